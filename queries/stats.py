"""What the graph holds: node and relationship counts, for status pages and the API.

Under a scope (a region subtree) only the entities lying in it are counted, kind by kind,
with the list queries of ``queries.entities``; relationships are counted for the whole city
only (counting those between in-scope nodes would walk the scope's every tie per request).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from neo4j import AsyncDriver

from queries.entities import Kind, ListFilter, count_entities
from queries.scope import Scope

# Node counts per label, from the count store (no scan).
NODE_COUNTS: Final = """
CALL db.labels() YIELD label
CALL (label) {
  MATCH (n) WHERE label IN labels(n)
  RETURN count(n) AS nodes
}
RETURN label, nodes ORDER BY label
"""
# Relationship counts per type, from the count store.
RELATIONSHIP_COUNTS: Final = """
CALL db.relationshipTypes() YIELD relationshipType AS type
CALL (type) {
  MATCH ()-[r]->() WHERE type(r) = type
  RETURN count(r) AS relationships
}
RETURN type, relationships ORDER BY type
"""


@dataclass(frozen=True, slots=True)
class Count:
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class GraphCounts:
    nodes: tuple[Count, ...]
    relationships: tuple[Count, ...]


async def graph_counts(driver: AsyncDriver, database: str, scope: Scope) -> GraphCounts:
    """Return the number of nodes per label and relationships per type.

    For a scope below the whole city: the entities of each kind lying in it (kinds in
    label order, none left out even at zero) and no relationship counts.
    """
    if not scope.whole_city:
        counts = [
            Count(kind.value, await count_entities(driver, database, kind, ListFilter(), scope))
            for kind in sorted(Kind, key=lambda k: k.value)
        ]
        return GraphCounts(nodes=tuple(counts), relationships=())
    nodes, _, _ = await driver.execute_query(NODE_COUNTS, database_=database, routing_="r")
    rels, _, _ = await driver.execute_query(RELATIONSHIP_COUNTS, database_=database, routing_="r")
    return GraphCounts(
        nodes=tuple(Count(r["label"], r["nodes"]) for r in nodes),
        relationships=tuple(Count(r["type"], r["relationships"]) for r in rels),
    )
