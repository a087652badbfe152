"""Shared fixtures of the query tests: run an async query from a sync test; the sample graph
also on a store that never held data."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from neo4j import AsyncDriver, Driver

from cobuild.settings import Settings
from graph.connection import create_async_driver
from tests.conftest import CLEAR_DATA, SAMPLE, SAMPLE_NODES

# Whether the database holds exactly the sample: one row even on a store with no data node.
SAMPLE_LOADED = """
CALL () {
  MATCH (r:IngestRun {source: $source, status: 'completed'}) RETURN count(r) AS runs
}
CALL () {
  MATCH (n) WHERE NOT (n:IngestRun OR n:SchemaMigration OR n:IngestConfig)
  RETURN count(n) AS nodes
}
RETURN runs, nodes
"""


@pytest.fixture
def sample_graph(driver: Driver, neo4j_settings: Settings) -> Driver:
    """The shared database holding the sample dataset (loaded once, reloaded if replaced).

    Overrides ``tests/conftest.py``'s fixture of the same name, whose check returns no row
    on a freshly started store (nothing but the schema) and so fails before loading.
    """
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


RunQuery = Callable[[Callable[[AsyncDriver, str], Awaitable[Any]]], Any]


@pytest.fixture
def run_query(neo4j_settings: Settings) -> RunQuery:
    """``run_query(lambda driver, database: find_x(driver, database, ...))`` → the result.

    Each call runs in its own event loop with its own ``AsyncDriver`` (an async driver's
    connections belong to the loop that opened them), closed afterwards.
    """

    def run(query: Callable[[AsyncDriver, str], Awaitable[Any]]) -> Any:
        async def main() -> Any:
            driver = create_async_driver(neo4j_settings)
            try:
                return await query(driver, neo4j_settings.neo4j_database)
            finally:
                await driver.close()

        return asyncio.run(main())

    return run
