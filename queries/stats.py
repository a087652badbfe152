"""What the graph holds: node and relationship counts, for status pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from neo4j import AsyncDriver

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


async def graph_counts(driver: AsyncDriver, database: str) -> GraphCounts:
    """Return the number of nodes per label and relationships per type."""
    nodes, _, _ = await driver.execute_query(NODE_COUNTS, database_=database, routing_="r")
    rels, _, _ = await driver.execute_query(RELATIONSHIP_COUNTS, database_=database, routing_="r")
    return GraphCounts(
        nodes=tuple(Count(r["label"], r["nodes"]) for r in nodes),
        relationships=tuple(Count(r["type"], r["relationships"]) for r in rels),
    )
