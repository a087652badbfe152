"""Notices beside GraphQL answers, in the response's ``extensions``.

``ingest.batchedRunning``: a batched load (``cobuild ingest --batched``) is writing, so this
answer may show some of its rows and not yet others (docs/security.md, "Bad days"). Absent
otherwise, which is every one-transaction run's case: those are never seen half-written.
"""

from __future__ import annotations

import time
from typing import Any, Final

from neo4j import AsyncDriver
from strawberry.extensions import SchemaExtension

from cobuild.logs import get_logger
from graph.model import BATCHED_NOTICE_S
from queries.runs import BatchedRun, running_batched

log = get_logger(__name__)

# How long one look at the run records serves every request: a request costs no extra round
# trip; a batched run waits as long before writing (graph.model), and its end clears as soon.
WATCH_TTL_S: Final = BATCHED_NOTICE_S


class LoadWatch:
    """Whether a batched load is running, looked up at most once per ``ttl_s``.

    No lock: requests arriving together as the look expires each look again, which is
    harmless (a read of a few nodes) and keeps the watch free of any one event loop.
    """

    def __init__(self, ttl_s: float = WATCH_TTL_S) -> None:
        self._ttl_s = ttl_s
        self._seen: BatchedRun | None = None
        self._until = 0.0

    async def current(self, driver: AsyncDriver, database: str) -> BatchedRun | None:
        if time.monotonic() < self._until:
            return self._seen
        try:
            self._seen = await running_batched(driver, database)
        except Exception:
            # Kept as last seen for a look's while: during an outage a request waits on its
            # own query, not on this look too.
            log.warning("notices.unavailable", exc_info=True)
        self._until = time.monotonic() + self._ttl_s
        return self._seen


class IngestNotice(SchemaExtension):
    """Adds ``extensions.ingest`` to an answer while a batched load is writing."""

    def __init__(self, watch: LoadWatch) -> None:
        super().__init__()
        self._watch = watch

    async def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        run = await self._watch.current(context.driver, context.database)
        if run is None:
            return {}
        return {
            "ingest": {
                "batchedRunning": {"runId": run.id, "startedAt": run.started_at},
                "message": "a batched load is writing: this answer may show some of its rows "
                "and not yet others",
            }
        }
