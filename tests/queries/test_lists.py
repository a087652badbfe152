"""Entity lists: the statements composed from the filters set answer as one generic statement.

The oracle is the generic statement the lists used before they were composed (issue #7): it
fits every combination of filters into one shape (`$x IS NULL OR …`), which is slow (no index
serves it) but plain to read. On the sample, for random kinds, filters, scopes, orders and
pages, the composed statements must return the same records in the same order, and the same
totals.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import AsyncDriver, Driver

from cobuild.settings import Settings
from queries.entities import (
    _ANY_FIELDS,
    _FIELDS,
    _UNIT_FIELDS,
    RECORD_OF,
    Kind,
    ListFilter,
    OrderBy,
    OrganizationRecord,
    PartyOrgRecord,
    count_entities,
    list_entities,
    to_record,
)
from queries.scope import (
    AGREEMENT_IN_SCOPE,
    PERSON_IN_SCOPE,
    PLACED_IN_SCOPE,
    REGION_IN_SCOPE_OF_N,
    RESOURCE_IN_SCOPE,
    SKILL_IN_SCOPE,
    Scope,
    scope_of,
)
from tests.queries.conftest import RunQuery, Unprinted

_ORACLE_FILTERS: Final = """
WITH n WHERE NOT n:Retired
  AND ($kind IS NULL OR n.kind = $kind)
  AND ($sector IS NULL OR n.sector = $sector)
  AND ($type IS NULL OR n.type = $type)
  AND ($status IS NULL OR n.status = $status)
  AND ($level IS NULL OR n.level = $level)
  AND ($scenario IS NULL OR n.scenario = $scenario OR $scenario IN coalesce(n.scenarios, [])
       OR $scenario IN coalesce(n.topics, []))
  AND ($is_party_member IS NULL OR n.is_party_member = $is_party_member)
  AND ($min_employees IS NULL OR n.employees >= $min_employees)
  AND ($active_on IS NULL
       OR (NOT n:Agreement AND NOT n:Resource AND NOT n:PartyOrg)
       OR (n:Agreement AND coalesce(n.signed_on <= $active_on, true)
           AND coalesce($active_on <= n.expires_on, true))
       OR (n:PartyOrg AND (n.type <> 'temporary' OR coalesce($active_on <= n.valid_to, true)))
       OR (n:Resource AND coalesce(n.available_from <= $active_on, true)
           AND coalesce($active_on <= n.available_to, true)))
  AND ($skill_id IS NULL
       OR EXISTS { (n)-[h:HAS_SKILL]->(:Skill {id: $skill_id}) WHERE h.retired_run IS NULL }
       OR EXISTS { (n)-[:REQUIRES_SKILL]->(:Skill {id: $skill_id}) })
  AND """
_ORACLE_ORDER: Final = """
WITH n, CASE $order_by WHEN 'employees' THEN n.employees WHEN 'created' THEN n.created_at
                       WHEN 'urgency' THEN n.urgency WHEN 'id' THEN n.id ELSE n.name END AS key
ORDER BY CASE WHEN $descending THEN key END DESC, CASE WHEN NOT $descending THEN key END ASC,
         n.id
RETURN collect(n)[$offset..$offset + $first] AS page, count(n) AS total
"""


def _placed(label: str) -> str:
    return f"""CALL () {{
  MATCH (:Region {{id: $region_id}})<-[:PART_OF*0..]-(:Region)<-[:IN_REGION]-(n:{label})
  WHERE $region_id IS NOT NULL RETURN n
  UNION
  MATCH (n:{label}) WHERE $region_id IS NULL RETURN n
}}"""


_ORACLE_FROM: Final[dict[Kind, tuple[str, str]]] = {
    Kind.REGION: (
        """CALL () {
  MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(n:Region) WHERE $region_id IS NOT NULL
  RETURN n
  UNION
  MATCH (n:Region) WHERE $region_id IS NULL RETURN n
}""",
        REGION_IN_SCOPE_OF_N,
    ),
    Kind.ORGANIZATION: (_placed("Organization"), PLACED_IN_SCOPE),
    Kind.PARTY_ORG: (_placed("PartyOrg"), PLACED_IN_SCOPE),
    Kind.PERSON: (
        """CALL () {
  MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(:Region)<-[:RESIDES_IN]-(n:Person)
  WHERE $region_id IS NOT NULL RETURN n
  UNION
  MATCH (:Region {id: $scope_region})<-[:PART_OF*0..]-(:Region)<-[:RESIDES_IN]-(n:Person)
  WHERE $region_id IS NULL AND $scope_region IS NOT NULL RETURN n
  UNION
  MATCH (:Region {id: $scope_region})<-[:PART_OF*0..]-(:Region)<-[:IN_REGION]-(:Unit)
        <-[:MEMBER_OF|EMPLOYED_BY]-(n:Person)
  WHERE $region_id IS NULL AND $scope_region IS NOT NULL RETURN n
  UNION
  MATCH (n:Person) WHERE $region_id IS NULL AND $scope_region IS NULL RETURN n
}""",
        PERSON_IN_SCOPE,
    ),
    Kind.SKILL: ("MATCH (n:Skill)", SKILL_IN_SCOPE),
    Kind.RESOURCE: (_placed("Resource"), RESOURCE_IN_SCOPE),
    Kind.AGREEMENT: (
        """CALL () {
  MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(:Region)<-[:IN_REGION]-(:Unit)
        -[:PARTY_TO]->(n:Agreement)
  WHERE $region_id IS NOT NULL RETURN DISTINCT n
  UNION
  MATCH (n:Agreement) WHERE $region_id IS NULL RETURN n
}""",
        AGREEMENT_IN_SCOPE,
    ),
    Kind.DEMAND: (_placed("Demand"), PLACED_IN_SCOPE),
}

STREET: Final = "370202001"

# The values the sample holds, to filter by (and a few it does not).
VALUES: Final = """
RETURN
  collect { MATCH (r:Region) RETURN r.id } AS regions,
  collect { MATCH (n) WHERE n.kind IS NOT NULL RETURN DISTINCT n.kind } AS kinds,
  collect { MATCH (n:Organization) RETURN DISTINCT n.sector } AS sectors,
  collect { MATCH (n:PartyOrg) RETURN DISTINCT n.type } AS types,
  collect { MATCH (n) WHERE n.status IS NOT NULL RETURN DISTINCT n.status } AS statuses,
  collect { MATCH (n:Region) RETURN DISTINCT n.level } AS levels,
  collect { MATCH (n:Resource) UNWIND n.scenarios AS s RETURN DISTINCT s } AS scenarios,
  collect { MATCH (n:Skill) RETURN n.id } AS skills,
  collect { MATCH (n:Organization) WHERE n.employees IS NOT NULL RETURN DISTINCT n.employees }
    AS employees
"""


class Values(Unprinted):
    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row


@pytest.fixture
def values(sample_graph: Driver, neo4j_settings: Settings) -> Values:
    records, _, _ = sample_graph.execute_query(VALUES, database_=neo4j_settings.neo4j_database)
    return Values(records[0].data())


def _maybe(options: list[Any]) -> st.SearchStrategy[Any]:
    return st.none() | st.sampled_from([*options, "no-such-value"])


# The filters that apply to each kind (the others match nothing, or everything for activeOn).
RELEVANT: Final[dict[Kind, tuple[str, ...]]] = {
    Kind.REGION: ("region_id", "level"),
    Kind.ORGANIZATION: ("region_id", "kind", "sector", "min_employees"),
    Kind.PARTY_ORG: ("region_id", "type", "active_on"),
    Kind.PERSON: ("region_id", "is_party_member", "skill_id"),
    Kind.SKILL: ("region_id",),
    Kind.RESOURCE: ("region_id", "kind", "status", "scenario", "active_on"),
    Kind.AGREEMENT: ("region_id", "kind", "scenario", "active_on"),
    Kind.DEMAND: ("region_id", "status", "scenario", "skill_id"),
}


@st.composite
def filters(draw: st.DrawFn, values: Values, kind: Kind) -> ListFilter:
    """A filter with up to three fields set, mostly ones ``kind`` has (more filters leave
    nearly nothing), sometimes one it lacks."""
    row = values.row
    options: dict[str, st.SearchStrategy[Any]] = {
        "region_id": st.sampled_from(row["regions"]),
        "kind": _maybe(row["kinds"]),
        "sector": _maybe(row["sectors"]),
        "type": _maybe(row["types"]),
        "status": _maybe(row["statuses"]),
        "level": _maybe(row["levels"]),
        "scenario": _maybe(row["scenarios"]),
        "skill_id": _maybe(row["skills"]),
        "is_party_member": st.booleans(),
        "active_on": st.dates(date(2015, 1, 1), date(2028, 12, 31)),
        # a value some organization has exactly, so that >= and > differ
        "min_employees": st.sampled_from(row["employees"]),
    }
    chosen = draw(st.sets(st.sampled_from(RELEVANT[kind]), max_size=2))
    chosen |= draw(st.sets(st.sampled_from(sorted(options)), max_size=1))
    return ListFilter(**{name: draw(options[name]) for name in sorted(chosen)})


async def _oracle(
    driver: AsyncDriver,
    database: str,
    kind: Kind,
    flt: ListFilter,
    scope: Scope,
    order_by: OrderBy,
    descending: bool,
    first: int,
    offset: int,
) -> tuple[list[Any], int]:
    source, check = _ORACLE_FROM[kind]
    params = {name: getattr(flt, name) for name in ListFilter.__dataclass_fields__}
    if params["region_id"] is None and kind is not Kind.PERSON:
        params["region_id"] = scope.region_id
    records, _, _ = await driver.execute_query(
        source + _ORACLE_FILTERS + check + _ORACLE_ORDER,
        params,
        **scope.params(),
        order_by=order_by.value,
        descending=descending,
        first=first,
        offset=offset,
        database_=database,
    )
    return [to_record(n) for n in records[0]["page"]], records[0]["total"]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_composed_lists_answer_as_the_generic_statement(
    values: Values, run_query: RunQuery, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(list(Kind)))
    flt = data.draw(filters(values, kind))
    scoped = data.draw(st.booleans())
    scope = run_query(lambda d, db: scope_of(d, db, STREET if scoped else None))
    order_by = data.draw(st.sampled_from(list(OrderBy)))
    descending = data.draw(st.booleans())
    first = data.draw(st.integers(0, 30))
    offset = data.draw(st.integers(0, 20))

    expected, total = run_query(
        lambda d, db: _oracle(d, db, kind, flt, scope, order_by, descending, first, offset)
    )
    got = run_query(
        lambda d, db: list_entities(
            d,
            db,
            kind,
            flt,
            order_by=order_by,
            descending=descending,
            first=first,
            offset=offset,
            scope=scope,
        )
    )
    assert got == expected
    assert run_query(lambda d, db: count_entities(d, db, kind, flt, scope)) == total


def test_the_oracle_is_not_vacuous(values: Values, run_query: RunQuery) -> None:
    """The sample's lists are long enough that pages and filters change the answers."""
    city = run_query(lambda d, db: scope_of(d, db, None))
    street = run_query(lambda d, db: scope_of(d, db, STREET))

    def count(kind: Kind, scope: Scope) -> int:
        return int(run_query(lambda d, db: count_entities(d, db, kind, ListFilter(), scope)))

    for kind in (Kind.ORGANIZATION, Kind.PERSON, Kind.RESOURCE):
        assert 0 < count(kind, street) < count(kind, city)
    sector = ListFilter(sector="new_economic")
    new = run_query(lambda d, db: count_entities(d, db, Kind.ORGANIZATION, sector, city))
    assert 0 < new < 50


def test_each_projection_reads_exactly_its_record_s_fields() -> None:
    """A field missing from a projection would read as its default, silently."""

    def names(projected: str) -> set[str]:
        return {part.strip().removeprefix(".") for part in projected.split(",")}

    every: set[str] = set()
    for kind, record in RECORD_OF.items():
        wanted = {f.name for f in fields(record)}
        assert names(_FIELDS[kind]) == wanted, kind
        every |= wanted
    units = {f.name for f in fields(OrganizationRecord)} | {f.name for f in fields(PartyOrgRecord)}
    assert names(_UNIT_FIELDS) == units
    assert names(_ANY_FIELDS) == every
