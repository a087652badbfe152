"""Neighbourhoods and subgraphs for the explorer, on the sample: every answer is derived here
from the sample's CSV files, then compared with what Neo4j returns."""

from __future__ import annotations

import csv
from datetime import date
from functools import cache, partial

import pytest
from neo4j import AsyncDriver, Driver

from queries.entities import Kind
from queries.errors import BadArgumentError
from queries.neighbourhood import ExploreTie, Neighbourhood, neighbourhood, subgraph
from queries.scope import Scope
from tests.conftest import SAMPLE
from tests.queries.conftest import RunQuery

AS_OF = date(2027, 1, 1)  # inside the window where the sample's answers hold


@cache
def rows(table: str) -> tuple[dict[str, str], ...]:
    with (SAMPLE / "csv" / f"{table}.csv").open(encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def split(cell: str) -> list[str]:
    return [part for part in cell.split(";") if part]


def in_force(row: dict[str, str], when: date) -> bool:
    signed, expires = row["signed_on"], row["expires_on"]
    return (not signed or date.fromisoformat(signed) <= when) and (
        not expires or when <= date.fromisoformat(expires)
    )


async def _expand(
    ids: list[str], ties: list[ExploreTie], when: date, driver: AsyncDriver, database: str
) -> Neighbourhood:
    return await neighbourhood(driver, database, ids, ties, as_of=when)


def region_chain(region_id: str) -> set[str]:
    parent = {r["id"]: r["parent_id"] for r in rows("regions")}
    chain: set[str] = set()
    current = region_id
    while current:
        chain.add(current)
        current = parent[current]
    return chain


def test_employment_neighbours_are_the_employees(sample_graph: Driver, run_query: RunQuery) -> None:
    org = "91370202MAEXC1JF4N"
    employees = {p["id"] for p in rows("people") if p["employer_org_id"] == org}
    assert employees
    found = run_query(
        lambda d, db: neighbourhood(d, db, [org], [ExploreTie.EMPLOYMENT], as_of=AS_OF)
    )
    assert {n.id for n in found.nodes} == employees
    assert {n.kind for n in found.nodes} == {Kind.PERSON}
    assert {(e.source, e.target, e.relationship) for e in found.edges} == {
        (p, org, "EMPLOYED_BY") for p in employees
    }
    assert found.total == len(employees)
    assert not found.truncated


def test_agreements_follow_as_of(sample_graph: Driver, run_query: RunQuery) -> None:
    org = "91370202MAUBTPM675"  # PW4: only an expired agreement today
    mine = [a for a in rows("agreements") if org in split(a["party_ids"])]
    for when in (AS_OF, date(2022, 6, 30)):
        expected = {a["id"] for a in mine if in_force(a, when)}
        found = run_query(partial(_expand, [org], [ExploreTie.AGREEMENT], when))
        assert {n.id for n in found.nodes} == expected
        assert all(e.tie is ExploreTie.AGREEMENT for e in found.edges)
    assert any(not in_force(a, AS_OF) for a in mine)


def test_lapsed_temporary_party_org_is_left_out(sample_graph: Driver, run_query: RunQuery) -> None:
    temporary = next(p for p in rows("party_orgs") if p["type"] == "temporary")
    valid_to = date.fromisoformat(temporary["valid_to"])
    parent = temporary["parent_id"]
    children = {p["id"] for p in rows("party_orgs") if p["parent_id"] == parent}
    for when, expected in (
        (AS_OF, children - {temporary["id"]}),
        (valid_to, children),
    ):
        found = run_query(partial(_expand, [parent], [ExploreTie.HIERARCHY], when))
        po_children = {
            e.source
            for e in found.edges
            if e.relationship == "SUBORDINATE_TO" and e.target == parent
        }
        assert po_children == expected


def test_place_neighbours_of_a_region(sample_graph: Driver, run_query: RunQuery) -> None:
    region = "370202001001"
    expected = {r["id"] for r in rows("regions") if r["parent_id"] == region}
    expected |= {r["parent_id"] for r in rows("regions") if r["id"] == region}
    for table in ("organizations", "party_orgs", "resources", "demands"):
        expected |= {r["id"] for r in rows(table) if r["region_id"] == region}
    expected |= {p["id"] for p in rows("people") if p["residence_region_id"] == region}
    found = run_query(
        lambda d, db: neighbourhood(d, db, [region], [ExploreTie.PLACE], as_of=AS_OF, limit=500)
    )
    assert {n.id for n in found.nodes} == expected


def test_limit_keeps_the_first_by_id_and_says_it_cut(
    sample_graph: Driver, run_query: RunQuery
) -> None:
    party_org = "PO-370202001001"
    members = {p["id"] for p in rows("people") if p["party_org_id"] == party_org}
    secretary = {p["secretary_id"] for p in rows("party_orgs") if p["id"] == party_org} - {""}
    everyone = sorted(members | secretary)
    assert len(everyone) > 3
    found = run_query(
        lambda d, db: neighbourhood(
            d, db, [party_org], [ExploreTie.MEMBERSHIP], as_of=AS_OF, limit=3
        )
    )
    assert [n.id for n in found.nodes] == everyone[:3]
    assert found.total == len(everyone)
    assert found.truncated


def test_nodes_say_what_styles_and_places_them(sample_graph: Driver, run_query: RunQuery) -> None:
    org = next(o for o in rows("organizations") if o["lat"] and o["employees"])
    result = run_query(lambda d, db: subgraph(d, db, [org["id"], "PO-370202001001"], as_of=AS_OF))
    by_id = {n.id: n for n in result.nodes}
    node = by_id[org["id"]]
    assert node.kind is Kind.ORGANIZATION
    assert (node.name, node.category, node.sector) == (org["name"], org["kind"], org["sector"])
    assert node.employees == int(org["employees"])
    assert node.lat == pytest.approx(float(org["lat"]))
    assert node.lon == pytest.approx(float(org["lon"]))
    assert set(node.regions) == region_chain(org["region_id"])
    party_org = by_id["PO-370202001001"]
    assert party_org.members == sum(
        1 for p in rows("people") if p["party_org_id"] == "PO-370202001001"
    )
    assert party_org.lat is not None  # inherited from its region when the table has none


def test_subgraph_has_every_tie_among_its_nodes(sample_graph: Driver, run_query: RunQuery) -> None:
    party_org = "PO-370202001001"
    members = sorted(p["id"] for p in rows("people") if p["party_org_id"] == party_org)[:4]
    result = run_query(
        lambda d, db: subgraph(d, db, [party_org, *members, "NO-SUCH-ID"], as_of=AS_OF)
    )
    assert {n.id for n in result.nodes} == {party_org, *members}
    assert result.missing == ("NO-SUCH-ID",)
    member_ties = {(e.source, e.target) for e in result.edges if e.relationship == "MEMBER_OF"}
    assert member_ties == {(m, party_org) for m in members}


def test_temporary_party_org_is_inactive_after_valid_to(
    sample_graph: Driver, run_query: RunQuery
) -> None:
    temporary = next(p for p in rows("party_orgs") if p["type"] == "temporary")
    result = run_query(lambda d, db: subgraph(d, db, [temporary["id"]], as_of=AS_OF))
    (node,) = result.nodes
    assert node.valid_to == date.fromisoformat(temporary["valid_to"])
    assert not node.active


@pytest.mark.parametrize(
    ("ids", "limit"), [([], 10), (["PO-370202"], 0), (["PO-370202"], 501), (["x"] * 501, 10)]
)
def test_bad_arguments(
    sample_graph: Driver, run_query: RunQuery, ids: list[str], limit: int
) -> None:
    with pytest.raises(BadArgumentError):
        run_query(lambda d, db: neighbourhood(d, db, ids, limit=limit))


def test_a_scope_keeps_what_lies_outside_it_out(sample_graph: Driver, run_query: RunQuery) -> None:
    region = "370202001001"  # a community: its parent street lies outside a scope on it
    street = next(r["parent_id"] for r in rows("regions") if r["id"] == region)
    below = {r["id"] for r in rows("regions") if region in region_chain(r["id"])}
    scope = Scope(region_id=region, region_ids=frozenset(below))
    found = run_query(
        lambda d, db: neighbourhood(
            d, db, [region, street], [ExploreTie.PLACE], as_of=AS_OF, limit=500, scope=scope
        )
    )
    whole = run_query(
        lambda d, db: neighbourhood(d, db, [region], [ExploreTie.PLACE], as_of=AS_OF, limit=500)
    )
    # The street is no seed and no neighbour; everything shown sits inside, chains cut there.
    assert found.nodes
    assert street not in {n.id for n in found.nodes}
    assert {n.id for n in found.nodes} <= {n.id for n in whole.nodes} - {street}
    for node in found.nodes:
        assert set(node.regions) <= below
    assert all(street not in (e.source, e.target) for e in found.edges)
    shown = run_query(lambda d, db: subgraph(d, db, [region, street], as_of=AS_OF, scope=scope))
    assert [n.id for n in shown.nodes] == [region]
    assert shown.missing == (street,)
