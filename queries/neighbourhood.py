"""Neighbourhoods for the explorer (图谱浏览): what a node is tied to, by kind of tie.

Two reads, both shaped for drawing:

- ``neighbourhood``: the neighbours of some nodes through the chosen kinds of tie, at most
  ``limit`` of them (those already tied to more of the seeds first, then by id), with the ties
  joining them to the seeds;
- ``subgraph``: some nodes by id with every tie among them (a view reopened from a link, or the
  nodes of a path or of a partner list placed on the canvas).

Kinds of tie (a superset of the pathways' ones, since the explorer also shows places, skills
and demands):

==========  ==========================================================================
kind        relationships, as stored (``docs/model.md``)
==========  ==========================================================================
hierarchy   ``SUBORDINATE_TO``, ``SET_UP_IN``, ``COVERS``
agreement   ``PARTY_TO``
membership  ``MEMBER_OF``, ``SECRETARY_OF``
employment  ``EMPLOYED_BY``
reporting   ``REPORTS_TO`` (双报到)
resource    ``OWNED_BY``, ``USED``
skill       ``HAS_SKILL``, ``SUBCATEGORY_OF``, ``REQUIRES_SKILL``
demand      ``ASSIGNED_TO``, ``USES_RESOURCE``
place       ``IN_REGION``, ``PART_OF``, ``RESIDES_IN``
==========  ==========================================================================

Retired nodes and retired ``HAS_SKILL``/``USED`` relationships never appear. A neighbour that
is an agreement not in force at ``as_of``, or a party organisation past its ``valid_to``, is left
out; every node also says whether it is active at ``as_of`` and carries its validity bounds, so
a view can hide what has lapsed at another date without asking again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from neo4j import AsyncDriver
from neo4j.time import Date

from queries.entities import Kind
from queries.errors import BadArgumentError
from queries.scope import IN_SCOPE, WHOLE_CITY, Scope

MAX_LIMIT: Final = 500
MAX_IDS: Final = 500


class ExploreTie(enum.StrEnum):
    """A kind of tie the explorer expands along."""

    HIERARCHY = "hierarchy"
    AGREEMENT = "agreement"
    MEMBERSHIP = "membership"
    EMPLOYMENT = "employment"
    REPORTING = "reporting"
    RESOURCE = "resource"
    SKILL = "skill"
    DEMAND = "demand"
    PLACE = "place"


RELATIONSHIPS: Final[dict[ExploreTie, tuple[str, ...]]] = {
    ExploreTie.HIERARCHY: ("SUBORDINATE_TO", "SET_UP_IN", "COVERS"),
    ExploreTie.AGREEMENT: ("PARTY_TO",),
    ExploreTie.MEMBERSHIP: ("MEMBER_OF", "SECRETARY_OF"),
    ExploreTie.EMPLOYMENT: ("EMPLOYED_BY",),
    ExploreTie.REPORTING: ("REPORTS_TO",),
    ExploreTie.RESOURCE: ("OWNED_BY", "USED"),
    ExploreTie.SKILL: ("HAS_SKILL", "SUBCATEGORY_OF", "REQUIRES_SKILL"),
    ExploreTie.DEMAND: ("ASSIGNED_TO", "USES_RESOURCE"),
    ExploreTie.PLACE: ("IN_REGION", "PART_OF", "RESIDES_IN"),
}
TIE_OF: Final[dict[str, ExploreTie]] = {
    rel: tie for tie, rels in RELATIONSHIPS.items() for rel in rels
}


@dataclass(frozen=True, slots=True)
class ExploreNode:
    """A node as the explorer draws it: kind, what styles it, where it is, whether it is active.

    ``category`` is the organization kind, party organisation type, resource kind, agreement
    kind, region level or demand status; ``roles`` a person's roles. ``regions`` lists the
    region the node sits (or resides) in and every region above it, for subtree filters.
    ``valid_from``/``valid_to`` are the bounds of an agreement, party organisation or resource.
    Never carries a phone number.
    """

    id: str
    kind: Kind
    name: str
    category: str | None = None
    sector: str | None = None
    employees: int | None = None
    members: int | None = None
    is_party_member: bool | None = None
    roles: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    location_inherited: bool = False
    regions: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class ExploreEdge:
    """A stored relationship, in its stored direction, with its kind of tie."""

    source: str
    target: str
    relationship: str
    tie: ExploreTie


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """The neighbours drawn (at most ``limit``), the ties to them, and how many there were."""

    nodes: tuple[ExploreNode, ...]
    edges: tuple[ExploreEdge, ...]
    total: int
    truncated: bool


@dataclass(frozen=True, slots=True)
class Subgraph:
    """Nodes found by id (unknown or retired ids absent) and every tie among them."""

    nodes: tuple[ExploreNode, ...]
    edges: tuple[ExploreEdge, ...]
    missing: tuple[str, ...]


# The seed nodes of any kind by id (one lookup on each label's unique id constraint).
_SEEDS: Final = (
    """
UNWIND $ids AS id
CALL (id) {
  MATCH (n:Unit {id: id}) RETURN n
  UNION MATCH (n:Person {id: id}) RETURN n
  UNION MATCH (n:Resource {id: id}) RETURN n
  UNION MATCH (n:Agreement {id: id}) RETURN n
  UNION MATCH (n:Skill {id: id}) RETURN n
  UNION MATCH (n:Region {id: id}) RETURN n
  UNION MATCH (n:Demand {id: id}) RETURN n
}
WITH DISTINCT n WHERE NOT n:Retired AND """
    + IN_SCOPE
    + """
"""
)

# What describes a node ``m`` for drawing: its region chain (IN_REGION/RESIDES_IN then
# PART_OF), a party organisation's member count, and whether it is active at $as_of.
_DESCRIBE: Final = """
CALL (m) {
  CALL (m) {
    MATCH (m:Region)-[:PART_OF*0..]->(g:Region) RETURN g.id AS g
    UNION
    MATCH (m)-[:IN_REGION|RESIDES_IN]->(:Region)-[:PART_OF*0..]->(g:Region) RETURN g.id AS g
  }
  WITH g WHERE $scope_regions IS NULL OR g IN $scope_regions
  RETURN collect(g) AS regions
}
RETURN m, labels(m) AS labels, regions,
       CASE WHEN m:PartyOrg
         THEN COUNT { (m)<-[:MEMBER_OF]-(p:Person) WHERE NOT p:Retired } END AS members,
       m.location.latitude AS lat, m.location.longitude AS lon,
       CASE
         WHEN m:Agreement THEN coalesce(m.signed_on <= $as_of, true)
                               AND coalesce(m.expires_on >= $as_of, true)
         WHEN m:Resource THEN coalesce(m.available_from <= $as_of, true)
                              AND coalesce(m.available_to >= $as_of, true)
         ELSE coalesce(m.valid_to >= $as_of, true)
       END AS active
"""

# Neighbours of the seeds through $types (seeds by unique id; expansion bounded by the seeds'
# degree), active lapsed agreements and party organisations left out; the $limit drawn are
# those tied to most seeds, then by id.
NEIGHBOURS: Final = (
    _SEEDS
    + """
MATCH (n)-[r]-(m)
WHERE type(r) IN $types AND NOT m:Retired AND r.retired_run IS NULL
  AND (NOT m:Agreement OR (coalesce(m.signed_on <= $as_of, true)
                           AND coalesce(m.expires_on >= $as_of, true)))
  AND (NOT m:PartyOrg OR coalesce(m.valid_to >= $as_of, true))
CALL (m) {
  WITH m AS n
  RETURN """
    + IN_SCOPE
    + """ AS inside
}
WITH n, r, m WHERE inside
WITH m, collect({source: startNode(r).id, target: endNode(r).id, type: type(r)}) AS ties,
     count(DISTINCT n) AS seeds
ORDER BY seeds DESC, m.id
WITH collect({m: m, ties: ties}) AS found
WITH size(found) AS total, found[..$limit] AS kept
UNWIND kept AS item
WITH total, item.m AS m, item.ties AS ties
"""
    + _DESCRIBE
    + ", ties, total"
)

# Nodes by id (unique id constraints) with every live relationship among them.
SUBGRAPH_NODES: Final = (
    _SEEDS
    + """
WITH n AS m
"""
    + _DESCRIBE
)

# The relationships among nodes given by id (unique id constraints; retired ones left out).
SUBGRAPH_EDGES: Final = (
    _SEEDS
    + """
WITH collect(n) AS found
UNWIND found AS a
MATCH (a)-[r]->(b)
WHERE b IN found AND r.retired_run IS NULL AND type(r) IN $types
RETURN a.id AS source, b.id AS target, type(r) AS type
"""
)


def _native_date(value: Any) -> date | None:
    return value.to_native() if isinstance(value, Date) else None


_CATEGORY: Final[dict[Kind, str]] = {
    Kind.ORGANIZATION: "kind",
    Kind.PARTY_ORG: "type",
    Kind.RESOURCE: "kind",
    Kind.AGREEMENT: "kind",
    Kind.REGION: "level",
    Kind.DEMAND: "status",
}
_BOUNDS: Final[dict[Kind, tuple[str, str]]] = {
    Kind.AGREEMENT: ("signed_on", "expires_on"),
    Kind.PARTY_ORG: ("founded_on", "valid_to"),
    Kind.RESOURCE: ("available_from", "available_to"),
}


def _node(record: Any) -> ExploreNode:
    labels = set(record["labels"])
    kind = next(k for k in Kind if k.value in labels)
    props = dict(record["m"].items())
    bounds = _BOUNDS.get(kind)
    category_key = _CATEGORY.get(kind)
    employees = props.get("employees")
    return ExploreNode(
        id=props["id"],
        kind=kind,
        name=str(props.get("title") if kind is Kind.DEMAND else props.get("name", props["id"])),
        category=props.get(category_key) if category_key else None,
        sector=props.get("sector"),
        employees=int(employees) if employees is not None else None,
        members=record["members"],
        is_party_member=props.get("is_party_member") if kind is Kind.PERSON else None,
        roles=tuple(props.get("roles") or ()),
        lat=record["lat"],
        lon=record["lon"],
        location_inherited=bool(props.get("location_inherited", False)),
        regions=tuple(record["regions"]),
        valid_from=_native_date(props.get(bounds[0])) if bounds else None,
        valid_to=_native_date(props.get(bounds[1])) if bounds else None,
        active=bool(record["active"]),
    )


def _edge(source: str, target: str, relationship: str) -> ExploreEdge:
    return ExploreEdge(source, target, relationship, TIE_OF[relationship])


def _check_ids(ids: list[str]) -> None:
    if not ids:
        raise BadArgumentError("give at least one node id")
    if len(ids) > MAX_IDS:
        raise BadArgumentError(f"at most {MAX_IDS} ids at once, got {len(ids)}")


def _types(ties: list[ExploreTie] | None) -> list[str]:
    chosen = ties if ties else list(ExploreTie)
    return [rel for tie in dict.fromkeys(chosen) for rel in RELATIONSHIPS[tie]]


async def neighbourhood(
    driver: AsyncDriver,
    database: str,
    ids: list[str],
    ties: list[ExploreTie] | None = None,
    *,
    as_of: date | None = None,
    limit: int = 200,
    scope: Scope = WHOLE_CITY,
) -> Neighbourhood:
    """The neighbours of the nodes ``ids`` through the kinds of tie ``ties`` (None/empty: all).

    Neighbours already among ``ids`` count too (their ties to other seeds are returned).
    At most ``limit`` neighbours, those tied to most seeds first, then by id; ``total`` is how
    many there were. Unknown ids, and nodes outside ``scope`` (seeds or neighbours), contribute
    nothing; region chains stop at the scope's region.

    Raises ``BadArgumentError`` for no ids, more than 500, or ``limit`` outside 1–500.
    """
    _check_ids(ids)
    if not 1 <= limit <= MAX_LIMIT:
        raise BadArgumentError(f"limit must be in 1–{MAX_LIMIT}, got {limit!r}")
    records, _, _ = await driver.execute_query(
        NEIGHBOURS,
        ids=ids,
        types=_types(ties),
        as_of=as_of or date.today(),
        limit=limit,
        **scope.params(),
        database_=database,
        routing_="r",
    )
    nodes = tuple(_node(r) for r in records)
    edges = {_edge(t["source"], t["target"], t["type"]): None for r in records for t in r["ties"]}
    total = records[0]["total"] if records else 0
    return Neighbourhood(nodes, tuple(edges), total, total > len(nodes))


async def subgraph(
    driver: AsyncDriver,
    database: str,
    ids: list[str],
    *,
    as_of: date | None = None,
    scope: Scope = WHOLE_CITY,
) -> Subgraph:
    """The nodes ``ids`` (unknown, retired or outside ``scope``: listed in ``missing``) and the
    ties among them.

    Raises ``BadArgumentError`` for no ids or more than 500.
    """
    _check_ids(ids)
    when = as_of or date.today()
    records, _, _ = await driver.execute_query(
        SUBGRAPH_NODES, ids=ids, as_of=when, **scope.params(), database_=database, routing_="r"
    )
    nodes = tuple(_node(r) for r in records)
    rels, _, _ = await driver.execute_query(
        SUBGRAPH_EDGES,
        ids=ids,
        types=_types(None),
        **scope.params(),
        database_=database,
        routing_="r",
    )
    edges = {_edge(r["source"], r["target"], r["type"]): None for r in rels}
    found = {n.id for n in nodes}
    missing = tuple(dict.fromkeys(i for i in ids if i not in found))
    return Subgraph(nodes, tuple(edges), missing)
