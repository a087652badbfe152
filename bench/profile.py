"""Where an entity query's time goes (issue #7): the API in-process, database calls timed.

Runs each of ``bench.peers``' three queries through the app itself (httpx's ASGI transport,
no socket), on the scale's bench store, and splits each request's wall time into the time
spent waiting on ``execute_query`` and the rest (GraphQL parsing, validation, resolvers,
serialization, the app's middleware). Also measures the floor: ``{ __typename }``, a request
that reads nothing. With ``--pyinstrument`` it prints a profile of the requests of one query.

    python3 -m uv run python -m bench.profile --scale 10 --requests 50 [--pyinstrument unit]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from neo4j import AsyncDriver

from api.app import create_app
from bench.peers import COBUILD_QUERIES, SAMPLE_ARGUMENTS
from bench.queries import loaded_database
from cobuild.logs import configure_logging
from cobuild.settings import Settings
from graph import runtime

FLOOR = "{ __typename }"
WARM_UP = 200  # requests before measuring: plans cached, JIT warm


@dataclass
class Timed:
    query: str
    requests: int
    wall_ms: float  # median per request
    db_ms: float  # median per request, summed over its database calls
    db_calls: float  # mean per request


@contextmanager
def timed_database(spent: list[float], calls: list[int]) -> Iterator[None]:
    """Add each ``AsyncDriver.execute_query``'s wall time to the running request's tally."""
    original = AsyncDriver.execute_query

    async def timed(self: AsyncDriver, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(self, *args, **kwargs)
        finally:
            spent[-1] += time.perf_counter() - started
            calls[-1] += 1

    AsyncDriver.execute_query = timed  # type: ignore[method-assign]
    try:
        yield
    finally:
        AsyncDriver.execute_query = original  # type: ignore[method-assign]


async def profile(settings: Settings, requests: int, pyinstrument: str | None) -> list[Timed]:
    app_settings = settings.model_copy(
        update={"allow_anonymous": True, "rate_limit_per_minute": 0, "log_level": "WARNING"}
    )
    app = create_app(app_settings)
    transport = httpx.ASGITransport(app=app)
    results: list[Timed] = []
    async with app.router.lifespan_context(app):
        driver = app.state.driver
        records, _, _ = await driver.execute_query(
            SAMPLE_ARGUMENTS, database_=settings.neo4j_database
        )
        pool = records[0]
        rng = random.Random(7)
        arguments: dict[str, list[dict[str, Any]]] = {
            "floor": [{}],
            "unit": [{"id": i} for i in rng.sample(pool["units"], 50)],
            "list": [{"sector": s} for s in pool["sectors"]],
            "nested": [{"id": i} for i in rng.sample(pool["streets"], 20)],
        }
        documents = {"floor": FLOOR, **COBUILD_QUERIES}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, document in documents.items():
                spent: list[float] = []
                calls: list[int] = []
                walls: list[float] = []
                profiler = None
                if pyinstrument == name:
                    from pyinstrument import Profiler

                    profiler = Profiler(async_mode="enabled")
                with timed_database(spent, calls):
                    for i in range(WARM_UP + requests):
                        if i == WARM_UP and profiler is not None:
                            profiler.start()
                        spent.append(0.0)
                        calls.append(0)
                        variables = arguments[name][i % len(arguments[name])]
                        started = time.perf_counter()
                        response = await client.post(
                            "/graphql", json={"query": document, "variables": variables}
                        )
                        walls.append(time.perf_counter() - started)
                        body = response.json()
                        if response.status_code != 200 or body.get("errors"):
                            raise RuntimeError(f"{name}: {response.status_code} {body}")
                if profiler is not None:
                    profiler.stop()
                    print(profiler.output_text(unicode=True, color=False, show_all=False))
                results.append(
                    Timed(
                        query=name,
                        requests=requests,
                        wall_ms=round(statistics.median(walls[WARM_UP:]) * 1000, 2),
                        db_ms=round(statistics.median(spent[WARM_UP:]) * 1000, 2),
                        db_calls=round(statistics.fmean(calls[WARM_UP:]), 2),
                    )
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="4g")
    parser.add_argument("--pyinstrument", choices=["floor", *COBUILD_QUERIES], default=None)
    args = parser.parse_args()
    configure_logging(Settings(log_level="WARNING"))
    settings = loaded_database(args.scale, args.seed, args.heap, args.pagecache, reuse=True)
    try:
        results = asyncio.run(profile(settings, args.requests, args.pyinstrument))
    finally:
        runtime.stop(settings)
    print("| query | requests | wall p50 ms | in the database ms | database calls |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r.query} | {r.requests} | {r.wall_ms} | {r.db_ms} | {r.db_calls} |")


if __name__ == "__main__":
    main()
