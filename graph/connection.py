"""The one connection layer: drivers built from ``Settings``, and a readiness wait.

One driver per process, created at start-up (CLI entry, FastAPI lifespan) and passed in.
Callers name the database on every call (``database_=settings.neo4j_database``) and route
reads as reads, so the same code works against a single server and a cluster reached
through a ``neo4j://`` routing URI.
"""

from __future__ import annotations

from typing import Final

from neo4j import AsyncDriver, AsyncGraphDatabase, Driver, GraphDatabase
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from cobuild.settings import Settings
from graph import runtime
from graph.errors import Neo4jUnavailableError

BATCH_RETRY_S: Final = 30.0  # the driver's default


def _target(settings: Settings) -> tuple[str, tuple[str, str] | None]:
    if settings.uses_local_neo4j:
        return settings.local_bolt_uri, (settings.neo4j_user, runtime.local_password(settings))
    password = settings.neo4j_password
    auth = (settings.neo4j_user, password.get_secret_value()) if password else None
    assert settings.neo4j_uri is not None  # noqa: S101 - guarded by uses_local_neo4j
    return settings.neo4j_uri, auth


def create_driver(settings: Settings, *, serving: bool = False) -> Driver:
    """A synchronous driver for the CLI, ingest and tests (``serving``: for the API's uploads,
    which give up after ``neo4j_retry_s`` while Neo4j is down, as the API's reads do)."""
    uri, auth = _target(settings)
    return GraphDatabase.driver(
        uri,
        auth=auth,
        max_connection_pool_size=settings.neo4j_max_connection_pool_size,
        # The driver's own default (30 s of retries) suits batch work, not a waiting client.
        max_transaction_retry_time=settings.neo4j_retry_s if serving else BATCH_RETRY_S,
        user_agent="cobuild",
        # Notifications (e.g. "label does not exist" on an empty store) are noise here.
        notifications_min_severity="OFF",
    )


def create_async_driver(settings: Settings) -> AsyncDriver:
    """An asynchronous driver for the API (sync calls would block its event loop)."""
    uri, auth = _target(settings)
    return AsyncGraphDatabase.driver(
        uri,
        auth=auth,
        max_connection_pool_size=settings.neo4j_max_connection_pool_size,
        # A client waits at most this long for UNAVAILABLE while Neo4j is down.
        max_transaction_retry_time=settings.neo4j_retry_s,
        user_agent="cobuild",
        # Notifications (e.g. "label does not exist" on an empty store) are noise here.
        notifications_min_severity="OFF",
    )


def wait_until_ready(driver: Driver, *, timeout_s: float = 60.0) -> None:
    """Block until ``driver`` can open a connection; raise ``Neo4jUnavailableError`` if not."""

    @retry(
        retry=retry_if_exception_type((ServiceUnavailable, SessionExpired, OSError)),
        stop=stop_after_delay(timeout_s),
        wait=wait_exponential(multiplier=0.2, max=2),
        reraise=True,
    )
    def _probe() -> None:
        driver.verify_connectivity()

    try:
        _probe()
    except (ServiceUnavailable, SessionExpired, OSError) as exc:
        raise Neo4jUnavailableError(f"Neo4j did not answer within {timeout_s:.0f}s: {exc}") from exc
