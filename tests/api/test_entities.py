"""Entities through GraphQL on the sample: ties, pages, filters, search, errors, batching."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from neo4j import AsyncDriver, Driver

from api.app import create_app
from cobuild.settings import Settings
from queries.runs import RUNNING_BATCHED
from tests.conftest import SAMPLE


class CountingDriver:
    """The real async driver, counting the queries an answer sends through it (not the
    once-a-second look for batched loads, api.notices)."""

    def __init__(self, driver: AsyncDriver) -> None:
        self._driver = driver
        self.queries = 0

    async def execute_query(self, *args: Any, **kwargs: Any) -> Any:
        if args[0] is not RUNNING_BATCHED:
            self.queries += 1
        return await self._driver.execute_query(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)


@pytest.fixture
def client(sample_graph: Driver, neo4j_settings: Settings) -> Iterator[TestClient]:
    settings = neo4j_settings.model_copy(update={"allow_anonymous": True})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def gql(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    return dict(response.json())


def _rows(table: str) -> list[dict[str, str]]:
    with (SAMPLE / "csv" / f"{table}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_organization_with_its_ties(client: TestClient) -> None:
    org = next(r for r in _rows("organizations") if r["id"] == "91370202MAEXC1JF4N")
    employees = [p for p in _rows("people") if p["employer_org_id"] == org["id"]]
    body = gql(
        client,
        """query($id: ID!) { organization(id: $id) {
            name sector region { id parent { id } }
            partyOrgs { totalCount nodes { name } }
            employedPeople(first: 2) { totalCount nodes { name phone } pageInfo { hasNextPage } }
        } }""",
        id=org["id"],
    )
    data = body["data"]["organization"]
    assert data["name"] == org["name"]
    assert data["sector"] == org["sector"]
    assert data["region"]["id"] == org["region_id"]
    region_parent = next(r for r in _rows("regions") if r["id"] == org["region_id"])["parent_id"]
    assert data["region"]["parent"]["id"] == region_parent
    assert data["partyOrgs"]["nodes"] == [{"name": "青岛海蓝信息技术有限公司党支部"}]
    assert data["employedPeople"]["totalCount"] == len(employees)
    assert data["employedPeople"]["pageInfo"]["hasNextPage"] == (len(employees) > 2)
    for person in data["employedPeople"]["nodes"]:
        assert person["phone"] is None or "****" in person["phone"]


def test_unknown_id_is_not_found_and_bad_page_is_bad_input(client: TestClient) -> None:
    missing = gql(client, '{ organization(id: "NOPE") { name } }')
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    too_big = gql(client, "{ organizations(first: 501) { totalCount } }")
    assert too_big["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # The largest page is allowed, for every kind of list (a look-ahead row must not refuse it).
    largest = gql(client, "{ organizations(first: 500) { totalCount nodes { id } } }")
    assert "errors" not in largest
    assert len(largest["data"]["organizations"]["nodes"]) == min(
        500, largest["data"]["organizations"]["totalCount"]
    )
    bad_cursor = gql(client, '{ organizations(after: "%%%") { totalCount } }')
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_pages_cover_the_list_without_overlap(client: TestClient) -> None:
    seen: list[str] = []
    after = None
    while True:
        body = gql(
            client,
            """query($after: String) { organizations(first: 15, after: $after, orderBy: ID) {
                totalCount nodes { id } pageInfo { hasNextPage endCursor } } }""",
            after=after,
        )
        page = body["data"]["organizations"]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert page["totalCount"] == 50
    assert seen == sorted(r["id"] for r in _rows("organizations"))


def test_filters(client: TestClient) -> None:
    organizations = _rows("organizations")
    new_economic = [o for o in organizations if o["sector"] == "new_economic"]
    body = gql(client, '{ organizations(where: {sector: "new_economic"}) { totalCount } }')
    assert body["data"]["organizations"]["totalCount"] == len(new_economic)
    big = [o for o in organizations if o["employees"] and int(o["employees"]) >= 50]
    body = gql(client, "{ organizations(where: {minEmployees: 50}) { totalCount } }")
    assert body["data"]["organizations"]["totalCount"] == len(big)
    # A temporary party organisation past valid_to is gone "as of" today, there before.
    body = gql(
        client,
        """{
          now: partyOrgs(where: {type: "temporary", activeOn: "2026-11-22"}) { totalCount }
          then: partyOrgs(where: {type: "temporary", activeOn: "2020-01-01"}) { totalCount }
        }""",
    )
    assert body["data"]["now"]["totalCount"] < body["data"]["then"]["totalCount"]


def test_region_subtree_filter(client: TestClient) -> None:
    regions = {r["id"]: r for r in _rows("regions")}

    def under(region: str, street: str) -> bool:
        while region:
            if region == street:
                return True
            region = regions[region]["parent_id"]
        return False

    street = "370202001"
    expected = sum(under(o["region_id"], street) for o in _rows("organizations"))
    body = gql(
        client, "query($r: ID) { organizations(where: {regionId: $r}) { totalCount } }", r=street
    )
    assert body["data"]["organizations"]["totalCount"] == expected
    assert 0 < expected < 50


def test_chinese_search(client: TestClient) -> None:
    body = gql(
        client,
        """{ search(text: "八大关", limit: 10) { score entity {
            ... on PartyOrg { name } ... on Region { name } ... on Organization { name }
            ... on Resource { name } ... on Person { name } ... on Skill { name } } } }""",
    )
    names = [hit["entity"]["name"] for hit in body["data"]["search"]]
    assert names
    assert all("八大关" in name for name in names)
    hostile = gql(client, '{ search(text: "name:* OR \\"x\\"") { score } }')
    assert "errors" not in hostile


def test_nested_query_is_batched(client: TestClient) -> None:
    counting = CountingDriver(client.app.state.driver)  # type: ignore[attr-defined]
    client.app.state.driver = counting  # type: ignore[attr-defined]
    body = gql(
        client,
        """{ people(first: 100) { nodes {
            name
            employer { name region { parent { name } } }
            partyOrg { name parent { name members(first: 3) { nodes { name } } } }
            skills { level skill { name parent { name } } }
        } } }""",
    )
    assert "errors" not in body, body.get("errors")
    assert len(body["data"]["people"]["nodes"]) == 100
    # One query for the list, then one per tie and level, whatever the number of people.
    assert counting.queries <= 12


NESTED = """query($id: ID!) { region(id: $id) { name
  children(first: 3) { totalCount nodes { id name
    organizations(first: 2) { totalCount edges { cursor node { id name
      partyOrgs { totalCount nodes { name secretary { name } members(first: 2) { nodes { id } } } }
      employedPeople(first: 3, after: "bzow") { totalCount pageInfo { hasNextPage } nodes {
        name employer { id } partyOrg { name } } } } } }
    partyOrgs(first: 1) { nodes { ... on PartyOrg { name parent { name } } } } } } } }"""


def test_a_nested_selection_is_read_ahead_in_one_query(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ties a selection asks below a tie come with it (one query for the whole tree
    below the region); the answer is the one level-by-level reading gives."""
    import api.types

    counting = CountingDriver(client.app.state.driver)  # type: ignore[attr-defined]
    client.app.state.driver = counting  # type: ignore[attr-defined]
    monkeypatch.setattr(api.types, "_ahead", lambda kind, selections: ())
    level_by_level = gql(client, NESTED, id="370202001")
    assert counting.queries > 2
    monkeypatch.undo()
    counting.queries = 0
    body = gql(client, NESTED, id="370202001")
    assert "errors" not in body, body.get("errors")
    children = body["data"]["region"]["children"]["nodes"]
    assert children
    assert any(c["organizations"]["edges"] for c in children)
    assert body == level_by_level
    assert counting.queries == 2  # the region, then everything below it
