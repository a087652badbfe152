"""What clients are told about ingest runs: whether a batched load is writing right now.

Every run is one transaction, never seen half-written, except a load an admin asked to write
batch by batch (``--batched``: a first load bigger than the heap). While one runs, answers may
mix rows it has written with rows it has not yet: the API says so beside each answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from neo4j import AsyncDriver

# The batched runs still writing (a handful of IngestRun nodes: label scan). A killed one stays
# 'running' until the next run marks it abandoned — it did leave part of its rows behind.
RUNNING_BATCHED: Final = """
MATCH (r:IngestRun {status: 'running'})
WHERE r.atomic = false
RETURN r.id AS id, toString(r.started_at) AS started_at
ORDER BY r.started_at
LIMIT 1
"""


@dataclass(frozen=True, slots=True)
class BatchedRun:
    id: str
    started_at: str


async def running_batched(driver: AsyncDriver, database: str) -> BatchedRun | None:
    """The oldest batched run still writing, if any."""
    records, _, _ = await driver.execute_query(RUNNING_BATCHED, database_=database, routing_="r")
    if not records:
        return None
    return BatchedRun(records[0]["id"], records[0]["started_at"])
