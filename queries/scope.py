"""What a caller may read: a region subtree (or the whole city), and whether raw phones.

Every query function that reads entities takes a :class:`Scope` and applies it *in its
Cypher*, as the parameters ``$scope_regions`` (the subtree's region ids, read once per
request by :func:`scope_of`; ``null`` = the whole city) and ``$scope_region`` (its root), so
that a resolver forgetting a check cannot widen what is read. Where an entity lies:

- a region: in its own subtree (its ancestors lie outside a scope below them);
- an organization, party organisation, resource or demand: where it sits (``IN_REGION``);
  a resource with no region also where its owner sits;
- a person: where they reside, or where the unit keeping their membership or employing
  them sits (so a coordinator sees the members of their party organisations);
- an agreement: where any of its parties sits;
- a skill: everywhere (the taxonomy is no one's data).

An id outside the scope reads as unknown (``NotFoundError``), never as forbidden: whether
something exists outside one's scope is itself outside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from neo4j import AsyncDriver

from queries.errors import NotFoundError


@dataclass(frozen=True, slots=True)
class Scope:
    """A region subtree (``region_id``; None = the whole city) and the raw-phone permission.

    ``region_ids`` is the subtree's region ids, read once per request (:func:`scope_of`), so
    that the per-row check is a set lookup instead of a walk up the region tree (and the
    scoped queries stay cheap to plan).
    """

    region_id: str | None = None
    may_see_phones: bool = False
    region_ids: frozenset[str] | None = None

    @property
    def whole_city(self) -> bool:
        return self.region_id is None

    def params(self) -> dict[str, Any]:
        """The Cypher parameters every scoped query takes."""
        if self.region_id is not None and self.region_ids is None:
            raise ValueError("a region scope must be read first (queries.scope.scope_of)")
        return {
            "scope_region": self.region_id,
            "scope_regions": None if self.region_ids is None else sorted(self.region_ids),
        }


WHOLE_CITY: Final = Scope()

# The ids of a region's subtree (unique index on Region.id, then PART_OF inbound).
SUBTREE: Final = """
MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(r:Region)
RETURN collect(r.id) AS ids
"""


async def scope_of(
    driver: AsyncDriver, database: str, region_id: str | None, *, may_see_phones: bool = False
) -> Scope:
    """The scope of a caller bound to ``region_id`` (None: the whole city), read once.

    A region that does not exist gives an empty scope: its holder sees nothing.
    """
    if region_id is None:
        return Scope(may_see_phones=may_see_phones)
    records, _, _ = await driver.execute_query(
        SUBTREE, region_id=region_id, database_=database, routing_="r"
    )
    return Scope(region_id, may_see_phones, frozenset(records[0]["ids"]))


# Whether node `n` lies in the scope: the region it sits in (or, for a person, resides in or
# whose units sit in; an agreement, whose parties sit in; a resource with no region, whose
# owner sits in) is one of $scope_regions, the scope's subtree read once per request
# ($scope_regions null = the whole city). Fragments of the scoped queries of this package,
# one per kind (simple to plan) and IN_SCOPE for a node of any kind; `n` is bound there.
REGION_IN_SCOPE_OF_N: Final = "($scope_regions IS NULL OR n.id IN $scope_regions)"
PLACED_IN_SCOPE: Final = """($scope_regions IS NULL
  OR any(x IN [(n)-[:IN_REGION]->(g) | g.id] WHERE x IN $scope_regions))"""
PERSON_IN_SCOPE: Final = """($scope_regions IS NULL
  OR any(x IN [(n)-[:RESIDES_IN|MEMBER_OF|EMPLOYED_BY]->(m) |
               coalesce(head([(m)-[:IN_REGION]->(g) | g.id]), m.id)] WHERE x IN $scope_regions))"""
AGREEMENT_IN_SCOPE: Final = """($scope_regions IS NULL
  OR any(x IN [(n)<-[:PARTY_TO]-(:Unit)-[:IN_REGION]->(g) | g.id] WHERE x IN $scope_regions))"""
RESOURCE_IN_SCOPE: Final = """($scope_regions IS NULL
  OR any(x IN [(n)-[:IN_REGION]->(g) | g.id] WHERE x IN $scope_regions)
  OR (size([(n)-[:IN_REGION]->(g) | g]) = 0
      AND any(x IN [(n)-[:OWNED_BY]->(:Unit)-[:IN_REGION]->(g) | g.id]
              WHERE x IN $scope_regions)))"""
SKILL_IN_SCOPE: Final = "true"
IN_SCOPE: Final = (
    "(CASE WHEN n:Skill THEN true WHEN n:Region THEN "
    + REGION_IN_SCOPE_OF_N
    + " WHEN n:Person THEN "
    + PERSON_IN_SCOPE
    + " WHEN n:Agreement THEN "
    + AGREEMENT_IN_SCOPE
    + " WHEN n:Resource THEN "
    + RESOURCE_IN_SCOPE
    + " ELSE "
    + PLACED_IN_SCOPE
    + " END)"
)

# Whether a region lies in the scope (unique id index).
REGION_IN_SCOPE: Final = (
    """
MATCH (n:Region {id: $region_id}) WHERE NOT n:Retired
RETURN """
    + IN_SCOPE
    + """ AS inside
"""
)
# Which of $ids name units in the scope (unique index on Unit.id).
UNITS_IN_SCOPE: Final = (
    """
UNWIND $ids AS id
MATCH (n:Unit {id: id}) WHERE NOT n:Retired
RETURN id, """
    + IN_SCOPE
    + """ AS inside
"""
)


# Which of $ids name resources in the scope (unique index on Resource.id).
RESOURCES_IN_SCOPE: Final = (
    """
UNWIND $ids AS id
MATCH (n:Resource {id: id}) WHERE NOT n:Retired
RETURN id, """
    + RESOURCE_IN_SCOPE
    + """ AS inside
"""
)


async def resources_in_scope(
    driver: AsyncDriver, database: str, scope: Scope, ids: list[str]
) -> set[str]:
    """Those of ``ids`` that name (non-retired) resources lying in ``scope``."""
    if not ids:
        return set()
    records, _, _ = await driver.execute_query(
        RESOURCES_IN_SCOPE, ids=ids, **scope.params(), database_=database, routing_="r"
    )
    return {r["id"] for r in records if r["inside"]}


async def scoped_region(
    driver: AsyncDriver, database: str, scope: Scope, region_id: str | None
) -> str | None:
    """The region a region-rooted question runs on for ``scope``.

    No region asked: the scope's own region (None = the whole city). A region asked: itself
    when it lies in the scope. Raises ``NotFoundError`` for a region that does not exist or
    lies outside the scope (the two read the same).
    """
    if region_id is None:
        return scope.region_id
    records, _, _ = await driver.execute_query(
        REGION_IN_SCOPE, region_id=region_id, **scope.params(), database_=database, routing_="r"
    )
    if not records or not records[0]["inside"]:
        raise NotFoundError(f"no region with id {region_id!r}")
    return region_id


async def units_in_scope(
    driver: AsyncDriver, database: str, scope: Scope, ids: list[str]
) -> set[str]:
    """Those of ``ids`` that name (non-retired) units lying in ``scope``."""
    if not ids:
        return set()
    records, _, _ = await driver.execute_query(
        UNITS_IN_SCOPE, ids=ids, **scope.params(), database_=database, routing_="r"
    )
    return {r["id"] for r in records if r["inside"]}


async def require_units(driver: AsyncDriver, database: str, scope: Scope, ids: list[str]) -> None:
    """Raise ``NotFoundError`` for the first of ``ids`` that is no unit in ``scope``."""
    if scope.whole_city:
        return
    inside = await units_in_scope(driver, database, scope, ids)
    for unit_id in ids:
        if unit_id not in inside:
            raise NotFoundError(f"no unit with id {unit_id!r}")
