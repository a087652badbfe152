"""Shared fixtures of the query tests: run an async query from a sync test."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from neo4j import AsyncDriver

from cobuild.settings import Settings
from graph.connection import create_async_driver

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
