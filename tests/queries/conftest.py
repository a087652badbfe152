"""Shared fixtures of the query tests: run an async query from a sync test, and a generated
city in the shared database for the properties that want more than the sample."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from neo4j import AsyncDriver, Driver

from cobuild.settings import Settings
from graph.connection import create_async_driver
from tests.conftest import CLEAR_DATA, SAMPLE_LOADED

RunQuery = Callable[[Callable[[AsyncDriver, str], Awaitable[Any]]], Any]


@pytest.fixture
def run_query(neo4j_settings: Settings) -> Iterator[RunQuery]:
    """``run_query(lambda driver, database: find_x(driver, database, ...))`` → the result.

    One event loop and one ``AsyncDriver`` serve every call of a test (an async driver's
    connections belong to the loop that opened them): a hypothesis test asks many questions,
    and a fresh driver would open and authenticate new connections for each.
    """
    with asyncio.Runner() as runner:

        async def connect() -> AsyncDriver:
            return create_async_driver(neo4j_settings)

        driver = runner.run(connect())

        def run(query: Callable[[AsyncDriver, str], Awaitable[Any]]) -> Any:
            async def main() -> Any:
                return await query(driver, neo4j_settings.neo4j_database)

            return runner.run(main())

        try:
            yield run
        finally:
            runner.run(driver.close())


class Unprinted:
    """A base for facts a hypothesis test takes from a fixture: printed as ``Name(...)``.

    Hypothesis pretty-prints a failing test's arguments, dataclasses field by field; with
    thousands of facts that broke its shrinking (``FlakyStrategyDefinition``, hypothesis
    6.170) and the counterexample was lost.
    """

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"{type(self).__name__}(...)")


@dataclass(frozen=True)
class GeneratedCity:
    folder: Path  # the generated tables, also the ingest run's source
    nodes: int  # nodes the generator wrote: what the database holds once it is loaded


@pytest.fixture(scope="session")
def generated_city(tmp_path_factory: pytest.TempPathFactory) -> GeneratedCity:
    """A generated city of about 3,000 nodes (scale 0.3, seed 11), written once per run."""
    from ingest.generate import generate

    folder = tmp_path_factory.mktemp("generated-city")
    stats = generate(0.3, 11, folder)
    return GeneratedCity(folder, stats.total_nodes)


@pytest.fixture
def generated_graph(
    driver: Driver, neo4j_settings: Settings, generated_city: GeneratedCity
) -> Driver:
    """The shared database holding the generated city in place of whatever it held.

    Other tests replace the database's content (the sample, hand-built graphs), so whether
    the city is still there is checked each time and it is loaded again only when it is not:
    loading takes seconds, so tests using it are best placed next to each other.
    """
    from ingest.pipeline import run_ingest

    db = neo4j_settings.neo4j_database
    records, _, _ = driver.execute_query(
        SAMPLE_LOADED, source=str(generated_city.folder), database_=db
    )
    if records[0]["runs"] and records[0]["nodes"] == generated_city.nodes:
        return driver
    with driver.session(database=db) as session:
        session.run(CLEAR_DATA).consume()
    result = run_ingest(neo4j_settings, generated_city.folder, driver=driver)
    assert result.valid, result.report.issues[:5]
    return driver
