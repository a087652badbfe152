"""One real Neo4j per test run, shared by every test that touches data.

- ``NEO4J_URI`` set: that server (it must be disposable: tests clear it).
- ``COBUILD_TEST_DOCKER=1`` and a Docker engine: pytest-docker brings up the ``neo4j``
  service of ``docker-compose.yml``.
- otherwise: the local Neo4j of ``graph.runtime``, on a free port with a fresh store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

from cobuild.settings import Settings
from graph import runtime
from graph.connection import create_driver, wait_until_ready
from graph.migrations import migrate

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "sample"

# Everything ingest writes; schema bookkeeping (:SchemaMigration) survives a clear.
CLEAR_DATA = "MATCH (n) WHERE NOT n:SchemaMigration CALL (n) { DETACH DELETE n } IN TRANSACTIONS"


@pytest.fixture(scope="session")
def neo4j_settings(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Settings]:
    if os.environ.get("NEO4J_URI"):
        yield Settings()
        return
    if os.environ.get("COBUILD_TEST_DOCKER") == "1":
        request.getfixturevalue("docker_services")
        ip = request.getfixturevalue("docker_ip")
        yield Settings(
            neo4j_uri=f"bolt://{ip}:7687",
            neo4j_password=os.environ.get("COBUILD_NEO4J_PASSWORD", "cobuild-dev-password"),
        )
        return
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("cobuild-data"),
        local_bolt_port=runtime.free_port(),
        local_heap="768m",
        local_pagecache="256m",
    )
    runtime.start(settings)
    try:
        yield settings
    finally:
        runtime.stop(settings)


@contextmanager
def own_local_neo4j(data_dir: Path, **overrides: Any) -> Iterator[tuple[Settings, Driver]]:
    """A small local Neo4j of a test's own (settings the shared server must not take), migrated;
    stopped when the block ends."""
    settings = Settings(
        data_dir=data_dir,
        local_bolt_port=runtime.free_port(),
        local_heap="512m",
        local_pagecache="64m",
        **overrides,
    )
    runtime.start(settings)
    driver = create_driver(settings)
    try:
        wait_until_ready(driver)
        migrate(driver, settings.neo4j_database)
        yield settings, driver
    finally:
        driver.close()
        runtime.stop(settings)


@pytest.fixture(scope="session")
def docker_compose_file() -> Path:
    return ROOT / "docker-compose.yml"


@pytest.fixture(scope="session")
def docker_setup() -> list[str]:
    # Only the database: the API under test runs in-process.
    return ["up -d neo4j"]


@pytest.fixture(scope="session")
def driver(neo4j_settings: Settings) -> Iterator[Driver]:
    drv = create_driver(neo4j_settings)
    wait_until_ready(drv)
    migrate(drv, neo4j_settings.neo4j_database)
    try:
        yield drv
    finally:
        drv.close()


@pytest.fixture
def empty_graph(driver: Driver, neo4j_settings: Settings) -> Driver:
    """The shared database with every data node removed (schema kept)."""
    with driver.session(database=neo4j_settings.neo4j_database) as session:
        session.run(CLEAR_DATA).consume()
    return driver


# Whether the shared database holds exactly the sample, as loaded by ``sample_graph``.
SAMPLE_LOADED = """
RETURN COUNT { (r:IngestRun {source: $source, status: 'completed'}) } AS runs,
       COUNT { (n) WHERE NOT (n:IngestRun OR n:SchemaMigration OR n:IngestConfig) } AS nodes
"""
SAMPLE_NODES = 159 + 50 + 31 + 201 + 48 + 48 + 15 + 27


@pytest.fixture
def sample_graph(driver: Driver, neo4j_settings: Settings) -> Driver:
    """The shared database holding the sample dataset (loaded once, reloaded if cleared)."""
    return ensure_sample(driver, neo4j_settings)


def ensure_sample(driver: Driver, neo4j_settings: Settings) -> Driver:
    """Load the sample into the shared database unless it holds exactly that already."""
    from ingest.pipeline import run_ingest

    source = str(SAMPLE / "csv")
    db = neo4j_settings.neo4j_database
    records, _, _ = driver.execute_query(SAMPLE_LOADED, source=source, database_=db)
    if records[0]["runs"] and records[0]["nodes"] == SAMPLE_NODES:
        return driver
    with driver.session(database=db) as session:
        session.run(CLEAR_DATA).consume()
    result = run_ingest(neo4j_settings, SAMPLE / "csv", driver=driver)
    assert result.valid, result.report.issues[:5]
    return driver
