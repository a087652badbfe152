"""A content checksum of the whole graph, to prove loads idempotent and crash-safe.

Two graphs have the same checksum when they hold the same nodes (labels and properties) and
the same relationships (type, end nodes' ids, properties), whatever their internal ids and
write order. Provenance (which run wrote what) and run bookkeeping are left out by default,
since two loads of the same data are different runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

from neo4j import Driver

PROVENANCE: Final[frozenset[str]] = frozenset({"run_id", "retired_run"})

# Every data node with its labels and properties (run bookkeeping excluded).
ALL_NODES: Final = """
MATCH (n) WHERE NOT (n:IngestRun OR n:SchemaMigration OR n:IngestConfig)
RETURN labels(n) AS labels, properties(n) AS props
"""
# Every relationship between data nodes, by its end nodes' ids.
ALL_RELATIONSHIPS: Final = """
MATCH (a)-[r]->(b)
RETURN type(r) AS type, a.id AS start, b.id AS end, properties(r) AS props
"""


@dataclass(frozen=True, slots=True)
class GraphChecksum:
    digest: str
    nodes: int
    relationships: int


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)  # dates, datetimes, points


def graph_lines(
    driver: Driver, database: str, *, exclude: frozenset[str] = PROVENANCE
) -> tuple[list[str], int]:
    """Every node and relationship as one canonical JSON line each, sorted, and how many of
    the lines are nodes: what ``graph_checksum`` digests, kept to show where two graphs differ."""
    lines: list[str] = []
    with driver.session(database=database, default_access_mode="READ") as session:
        for record in session.run(ALL_NODES):
            props = {k: v for k, v in record["props"].items() if k not in exclude}
            lines.append(json.dumps(["n", sorted(record["labels"]), _canonical(props)]))
        nodes = len(lines)
        for record in session.run(ALL_RELATIONSHIPS):
            props = {k: v for k, v in record["props"].items() if k not in exclude}
            lines.append(
                json.dumps(["r", record["type"], record["start"], record["end"], _canonical(props)])
            )
    lines.sort()
    return lines, nodes


def graph_checksum(
    driver: Driver, database: str, *, exclude: frozenset[str] = PROVENANCE
) -> GraphChecksum:
    """Return a digest of every node and relationship, independent of order and internal ids."""
    lines, nodes = graph_lines(driver, database, exclude=exclude)
    digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    return GraphChecksum(digest, nodes, len(lines) - nodes)
