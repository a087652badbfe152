"""The questions through GraphQL, against the sample's known answers (answers.json)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from api.app import create_app
from cobuild.settings import Settings
from tests.conftest import SAMPLE

ANSWERS = json.loads((SAMPLE / "answers.json").read_text(encoding="utf-8"))


@pytest.fixture
def client(sample_graph: Driver, neo4j_settings: Settings) -> Iterator[TestClient]:
    settings = neo4j_settings.model_copy(update={"allow_anonymous": True})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def gql(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    body = client.post("/graphql", json={"query": query, "variables": variables}).json()
    return dict(body)


PARTNERS = """
query($unit: ID!, $need: NeedInput, $radius: Float!, $newOnly: Boolean!) {
  partners(unit: $unit, need: $need, radiusKm: $radius, newOnly: $newOnly) {
    partners { rank score unit { id name }
      components { name weight value contribution detail }
      resources { id name } people { id name } }
  }
}
"""


@pytest.mark.parametrize("case", ANSWERS["partners"], ids=lambda c: c["id"])
def test_partners(client: TestClient, case: dict[str, Any]) -> None:
    need = {
        "scenario": case["need"]["scenario"],
        "skills": case["need"]["skills"],
        "resourceKinds": [k.upper() for k in case["need"]["resource_kinds"]],
    }
    args = {"unit": case["unit"]["id"], "need": need, "radius": float(case["radius_km"])}
    body = gql(client, PARTNERS, newOnly=False, **args)
    assert "errors" not in body, body.get("errors")
    listed = body["data"]["partners"]["partners"]
    ids = [p["unit"]["id"] for p in listed]
    for best in case["must_include_top3"]:
        assert best["id"] in ids[:3]
    for decoy in case["must_exclude"]:
        assert decoy["id"] not in ids
    for partner in listed:
        assert partner["score"] == pytest.approx(
            sum(c["contribution"] for c in partner["components"])
        )
        assert partner["resources"] or partner["people"]
    fresh = gql(client, PARTNERS, newOnly=True, **args)["data"]["partners"]["partners"]
    assert case["must_include_top3"][0]["id"] not in [p["unit"]["id"] for p in fresh]


def test_optimal_assignment(client: TestClient) -> None:
    expected = ANSWERS["matching"]
    body = gql(
        client,
        """query($region: ID!, $capacity: Int!) {
          assignDemands(regionId: $region, capacity: $capacity) {
            assigned { demand { id } person { id } }
            unassigned { demand { id } reason why whyEn }
        } }""",
        region=expected["region"]["id"],
        capacity=expected["capacity"],
    )
    assert "errors" not in body, body.get("errors")
    result = body["data"]["assignDemands"]
    assert len(result["assigned"]) == expected["assignable_count_optimal"]
    optimal = expected["detail"]["optimal_assignment"]
    assert {a["demand"]["id"]: a["person"]["id"] for a in result["assigned"]} == optimal
    stuck = {u["demand"]["id"]: u for u in result["unassigned"]}
    assert all(u["why"] and u["whyEn"] for u in stuck.values())


def test_match_demand_unknown_is_not_found(client: TestClient) -> None:
    body = gql(client, '{ matchDemand(demandId: "DM-NOPE") { totalCandidates } }')
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_top_broker(client: TestClient) -> None:
    body = gql(client, "{ brokers(limit: 3) { brokers { unit { id } betweenness } } }")
    assert "errors" not in body, body.get("errors")
    top = body["data"]["brokers"]["brokers"][0]["unit"]["id"]
    assert top == ANSWERS["brokers"]["top_broker"]["id"]
