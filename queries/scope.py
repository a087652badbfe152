"""What a caller may read: a region subtree (or the whole city), and whether raw phones.

Every query function that reads entities takes a :class:`Scope` and applies it *in its
Cypher*, as the parameter ``$scope_region`` (``null`` = the whole city), so that a resolver
forgetting a check cannot widen what is read. Where an entity lies:

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
    """A region subtree (``region_id``; None = the whole city) and the raw-phone permission."""

    region_id: str | None = None
    may_see_phones: bool = False

    @property
    def whole_city(self) -> bool:
        return self.region_id is None

    def params(self) -> dict[str, Any]:
        """The Cypher parameters every scoped query takes."""
        return {"scope_region": self.region_id}


WHOLE_CITY: Final = Scope()

# Whether node `n` lies in the scope: a walk up from n (IN_REGION, then PART_OF, at most the
# seven levels of the region tree) to the scope region, found by its unique id index. A
# fragment of the scoped queries of this package; `n` and $scope_region are bound there.
IN_SCOPE: Final = """($scope_region IS NULL OR CASE
  WHEN n:Skill THEN true
  WHEN n:Region THEN EXISTS { (n)-[:PART_OF*0..8]->(:Region {id: $scope_region}) }
  WHEN n:Person THEN EXISTS {
    (n)-[:RESIDES_IN|MEMBER_OF|EMPLOYED_BY]->()-[:IN_REGION*0..1]->(:Region)
       -[:PART_OF*0..8]->(:Region {id: $scope_region}) }
  WHEN n:Agreement THEN EXISTS {
    (n)<-[:PARTY_TO]-(:Unit)-[:IN_REGION]->(:Region)
       -[:PART_OF*0..8]->(:Region {id: $scope_region}) }
  WHEN n:Resource THEN EXISTS {
    (n)-[:IN_REGION]->(:Region)-[:PART_OF*0..8]->(:Region {id: $scope_region}) }
    OR (NOT EXISTS { (n)-[:IN_REGION]->(:Region) } AND EXISTS {
    (n)-[:OWNED_BY]->(:Unit)-[:IN_REGION]->(:Region)
       -[:PART_OF*0..8]->(:Region {id: $scope_region}) })
  ELSE EXISTS { (n)-[:IN_REGION]->(:Region)-[:PART_OF*0..8]->(:Region {id: $scope_region}) }
END)"""

# Whether a region lies in the scope (unique id index, then a walk up of at most 8 PART_OF).
REGION_IN_SCOPE: Final = (
    """
MATCH (n:Region {id: $region_id}) WHERE NOT n:Retired
RETURN """
    + IN_SCOPE
    + """ AS inside
"""
)
# Which of $ids name units in the scope (unique index on Unit.id; the walk up per unit).
UNITS_IN_SCOPE: Final = (
    """
UNWIND $ids AS id
MATCH (n:Unit {id: id}) WHERE NOT n:Retired
RETURN id, """
    + IN_SCOPE
    + """ AS inside
"""
)
# Which of $ids name nodes of any kind that lie in the scope, by element id (seeks).
ELEMENTS_IN_SCOPE: Final = (
    """
UNWIND $elements AS element
MATCH (n) WHERE elementId(n) = element
RETURN element, """
    + IN_SCOPE
    + """ AS inside
"""
)


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
