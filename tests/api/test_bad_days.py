"""Bad days: Neo4j stops and returns under a running API; a query runs past its time limit.

These tests start their own local Neo4j (``graph.runtime``, own port and store, an 8-second
transaction timeout), never the session one, since they stop it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any, Final

import pytest
import strawberry
from fastapi.testclient import TestClient
from neo4j import Driver
from strawberry.types import Info

from api.app import create_app
from api.errors import QUERY_TIMEOUT, UNAVAILABLE, CodedErrors, masking
from api.security import clear_cache
from cobuild.settings import Settings
from graph import runtime
from graph.connection import create_async_driver
from graph.keys import create_key
from graph.model import Role
from tests.conftest import own_local_neo4j

# A read that would run for minutes: it must be stopped by the database's transaction timeout.
SPIN: Final = "UNWIND range(1, 4000000000) AS x WITH x WHERE x = -1 RETURN count(x) AS n"
# Two regions, the smallest graph the probes can count.
TWO_REGIONS: Final = (
    "CREATE (:Region {id: 'R1', name: '市南区'})-[:PART_OF]->(:Region {id: 'R0', name: '青岛市'})"
)
STATS: Final = {"query": "{ graphStats { nodes { name count } } }"}
# Long enough for ingest's first (compiling) transactions on a busy machine.
TIMEOUT_S: Final = 8.0


@pytest.fixture(scope="module")
def own_neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Driver]]:
    with own_local_neo4j(
        tmp_path_factory.mktemp("bad-days"),
        neo4j_transaction_timeout_s=TIMEOUT_S,
        neo4j_retry_s=1.0,
        allow_anonymous=True,
        rate_limit_per_minute=0,
    ) as (settings, driver):
        driver.execute_query(TWO_REGIONS, database_=settings.neo4j_database)
        yield settings, driver


def _region_count(client: TestClient) -> Any:
    body = client.post("/graphql", json=STATS).json()
    assert "errors" not in body, body
    return next(n["count"] for n in body["data"]["graphStats"]["nodes"] if n["name"] == "Region")


def _timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_neo4j_stops_and_the_same_app_recovers_by_itself(
    own_neo4j: tuple[Settings, Driver],
) -> None:
    settings, driver = own_neo4j
    clear_cache()
    key = create_key(
        driver, settings.neo4j_database, role=Role.ADMIN, region_id=None, name="bad days"
    )
    admin = {"Authorization": f"Bearer {key}"}
    upload = {"file": ("skills.csv", b"id,name\nSK-BAD,\xe6\xb3\x95\xe5\xbe\x8b\n")}
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200
        assert _region_count(client) == 2
        # The admin key is verified (and cached) while the database answers.
        assert client.post("/ingest?dry_run=true", files=upload, headers=admin).status_code == 200

        assert runtime.stop(settings)

        ready, seconds = _timed(lambda: client.get("/readyz"))
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert seconds < 10

        answer, seconds = _timed(lambda: client.post("/graphql", json=STATS))
        assert answer.status_code == 200
        body = answer.json()
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == UNAVAILABLE
        assert "unavailable" in error["message"]
        assert seconds < 10

        refused, seconds = _timed(lambda: client.post("/ingest", files=upload, headers=admin))
        assert refused.status_code == 503
        assert refused.json()["code"] == UNAVAILABLE
        assert int(refused.headers["retry-after"]) > 0
        assert seconds < 15

        runtime.start(settings)
        deadline = time.monotonic() + 60
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the API did not see Neo4j return"
            time.sleep(0.5)
        # The same app, the same driver: it reconnected on its own, and nothing was lost.
        assert _region_count(client) == 2
        written = client.post("/ingest", files=upload, headers=admin)
        assert written.status_code == 200
        assert written.json()["valid"] is True


@strawberry.type
class Spinning:
    @strawberry.field
    async def spin(self, info: Info[Any, None]) -> int:
        records, _, _ = await info.context["driver"].execute_query(
            SPIN, database_=info.context["database"], routing_="r"
        )
        return int(records[0]["n"])


def test_a_query_past_the_transaction_timeout_is_stopped_and_coded(
    own_neo4j: tuple[Settings, Driver],
) -> None:
    """The database stops any transaction after ``neo4j_transaction_timeout_s`` (the driver
    sets no timeout of its own), and the client gets QUERY_TIMEOUT, not an internal error."""
    settings, _ = own_neo4j
    schema = strawberry.Schema(query=Spinning, extensions=[masking, CodedErrors])

    async def run() -> Any:
        driver = create_async_driver(settings)
        try:
            context = {"driver": driver, "database": settings.neo4j_database}
            return await schema.execute("{ spin }", context_value=context)
        finally:
            await driver.close()

    result, seconds = _timed(lambda: asyncio.run(run()))
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions["code"] == QUERY_TIMEOUT
    assert "time limit" in error.message
    assert TIMEOUT_S <= seconds < TIMEOUT_S + 10
