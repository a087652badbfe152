"""A run bigger than the memory Neo4j allows one transaction: refused whole, nothing written.

Its own local Neo4j, whose transactions may hold 6 MiB (the sample's one transaction needs
more, a batch of 50 rows less): the shared test server keeps its default limits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from api.app import create_app
from api.security import clear_cache
from cobuild.settings import Settings
from graph.keys import create_key
from graph.model import Role
from ingest.errors import RunTooLargeError
from ingest.pipeline import run_ingest
from tests.conftest import SAMPLE, SAMPLE_NODES, own_local_neo4j

# What ingest writes (not its run records, the schema's, nor API keys).
DATA_NODES = """
MATCH (n) WHERE NOT (n:IngestRun OR n:SchemaMigration OR n:IngestConfig OR n:ApiKey)
RETURN count(n) AS n
"""
# The shared CLEAR_DATA in smaller transactions, each within the limit.
CLEAR = """
MATCH (n) WHERE NOT n:SchemaMigration
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 50 ROWS
"""
RUNS = """
MATCH (r:IngestRun)
RETURN r.status AS status, r.atomic AS atomic, r.rows_written AS rows_written,
       r.elements_written AS elements_written, r.rows_retired AS rows_retired,
       r.tables_json AS tables_json
ORDER BY r.started_at
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Driver]]:
    with own_local_neo4j(
        tmp_path_factory.mktemp("cobuild-small-tx"),
        local_neo4j_conf={"db.memory.transaction.max": "6m"},
    ) as server:
        yield server


@pytest.fixture
def cleared(small: tuple[Settings, Driver]) -> tuple[Settings, Driver]:
    settings, driver = small
    with driver.session(database=settings.neo4j_database) as session:
        session.run(CLEAR).consume()
    return small


def _count(driver: Driver, settings: Settings) -> int:
    records, _, _ = driver.execute_query(DATA_NODES, database_=settings.neo4j_database)
    return int(records[0]["n"])


def test_a_run_too_big_for_one_transaction_writes_nothing_and_says_what_to_do(
    cleared: tuple[Settings, Driver],
) -> None:
    settings, driver = cleared
    with pytest.raises(RunTooLargeError) as refused:
        run_ingest(settings, SAMPLE / "csv", driver=driver)
    message = str(refused.value)
    assert "nothing was written" in message
    assert "COBUILD_LOCAL_HEAP" in message
    assert "--batched" in message
    assert refused.value.server_message  # Neo4j's own words, for the operator
    assert _count(driver, settings) == 0

    # Its record says it failed and, its transaction rolled back, that it wrote nothing.
    records, _, _ = driver.execute_query(RUNS, database_=settings.neo4j_database)
    (run,) = (record.data() for record in records)
    assert (run["status"], run["atomic"]) == ("failed", True)
    assert (run["rows_written"], run["elements_written"], run["rows_retired"]) == (0, 0, 0)
    tables = json.loads(run["tables_json"])
    assert tables  # it got as far as writing tables
    assert {t["written"] for t in tables.values()} == {0}
    assert {t["elements"] for t in tables.values()} == {0}

    # Asked to, the same load goes through batch by batch (each batch fits).
    in_batches = settings.model_copy(update={"ingest_batch_size": 50})
    loaded = run_ingest(in_batches, SAMPLE / "csv", batched=True, driver=driver)
    assert loaded.valid
    assert loaded.atomic is False
    assert _count(driver, settings) == SAMPLE_NODES


def test_the_upload_answers_413_and_writes_nothing(
    cleared: tuple[Settings, Driver], tmp_path: Path
) -> None:
    settings, driver = cleared
    clear_cache()
    key = create_key(driver, settings.neo4j_database, role=Role.ADMIN, region_id=None, name="test")
    with (
        TestClient(create_app(settings)) as client,
        (SAMPLE / "workbook.xlsx").open("rb") as handle,
    ):
        response = client.post(
            "/ingest", files={"file": ("样例.xlsx", handle)}, headers={"X-API-Key": key}
        )
    assert response.status_code == 413, response.text
    assert "--batched" in response.json()["detail"]
    assert _count(driver, settings) == 0
