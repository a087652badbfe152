"""The load test's workload (locust): a coordinator's mix of the five questions and entity
lookups against the sample, through GraphQL. Run by ``bench/load.py``, never imported by it.

Weights: entity queries are the everyday traffic, questions the occasional heavier ones.
"""

from __future__ import annotations

import random
from typing import Any, Final

from locust import HttpUser, between, task

# Ids of the sample (../shared/sample), the same the documented examples use.
UNITS: Final = ("52370202MJ9350153T", "91370202MAWD6KY27P", "91370202MAEXC1JF4N")
STREETS: Final = ("370202001", "370202003")

ORGANIZATION: Final = """query($id: ID!) { organization(id: $id) {
  name sector employees region { name parent { name } }
  partyOrgs { nodes { name type } } employedPeople(first: 3) { totalCount nodes { name } } } }"""
LIST: Final = """query($region: ID!) { organizations(where: {regionId: $region}, first: 20,
  orderBy: EMPLOYEES, descending: true) { totalCount nodes { id name employees } } }"""
SEARCH: Final = """{ search(text: "八大关", limit: 5) { score
  entity { __typename ... on Region { id name } ... on Organization { id name } } } }"""
PATHWAYS: Final = """query($from: ID!, $to: ID!) { pathways(from: $from, to: $to) {
  paths { length explanation nodes { id name kind } } } }"""
PARTNERS: Final = """{ partners(unit: "PO-370202001002",
  need: {scenario: "老年助餐", resourceKinds: [VENUE, FUND]}, radiusKm: 3, limit: 3) {
  partners { rank score unit { id name } } } }"""
# One coverage question (the whole report runs all seven, seconds each: not interactive).
COVERAGE: Final = """query($region: ID!) { uncoveredOrganizations(regionId: $region) {
  bySector { sector organizations uncovered } items { name reason } } }"""
MATCHING: Final = """{ matchDemand(demandId: "DM-370202-90005", limit: 3) {
  totalCandidates candidates { rank person { id name } fit } } }"""
NETWORK: Final = """{ brokers(limit: 3) { brokers { rank unit { id name } betweenness } } }"""


class Coordinator(HttpUser):
    wait_time = between(0.05, 0.2)

    def _ask(self, name: str, query: str, variables: dict[str, Any] | None = None) -> None:
        payload = {"query": query, "variables": variables or {}}
        with self.client.post("/graphql", json=payload, name=name, catch_response=True) as resp:
            body = resp.json() if resp.status_code == 200 else {}
            if resp.status_code != 200 or body.get("errors") or not body.get("data"):
                resp.failure(f"HTTP {resp.status_code}: {str(body.get('errors'))[:200]}")

    @task(4)
    def organization(self) -> None:
        self._ask("organization", ORGANIZATION, {"id": random.choice(UNITS[1:])})

    @task(3)
    def organizations(self) -> None:
        self._ask("organizations", LIST, {"region": random.choice(STREETS)})

    @task(3)
    def search(self) -> None:
        self._ask("search", SEARCH)

    @task(2)
    def pathways(self) -> None:
        source, target = random.sample(UNITS, 2)
        self._ask("q1 pathways", PATHWAYS, {"from": source, "to": target})

    @task(2)
    def partners(self) -> None:
        self._ask("q2 partners", PARTNERS)

    @task(1)
    def coverage(self) -> None:
        self._ask("q3 coverage", COVERAGE, {"region": random.choice(STREETS)})

    @task(2)
    def matching(self) -> None:
        self._ask("q4 matchDemand", MATCHING)

    @task(1)
    def network(self) -> None:
        self._ask("q5 brokers", NETWORK)
