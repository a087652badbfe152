"""Query latency: p50/p95/max of each question on generated data (issue #4).

For each scale, on its own local Neo4j (``var/bench/db-queries-scale-N``): the generated
dataset (seed 7) loaded by the ingest pipeline, then every question asked with a seeded random
sample of realistic arguments drawn from the loaded graph. Run from the repo root:

    python3 -m uv run python -m bench.queries --scales 10 100

``--reuse`` keeps a store that already holds the dataset (a completed ingest run of the same
folder) instead of reloading it; the scale-100 load takes minutes.

Coverage and network measures remember answers in-process. They are timed **cold** (their
caches cleared before every call, the figure the goals are judged on) and **warm** (the same
arguments asked again right after, answered from the cache). Neo4j's own page cache and
query-plan cache stay warm throughout: a few untimed calls of each question run first.

Writes ``bench/results/queries.json`` and prints Markdown tables for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from neo4j import AsyncDriver

from bench.ingest import RESULTS, WORK, dataset, fresh_database, machine
from cobuild.logs import configure_logging
from cobuild.settings import LogFormat, Settings
from graph import runtime
from graph.connection import create_async_driver, create_driver, wait_until_ready
from graph.migrations import migrate
from graph.model import ResourceKind
from ingest.pipeline import run_ingest
from queries import coverage, matching, network, partners, pathways
from queries.errors import QueryError

# Goals of issue #4 at scale 100, in milliseconds of p95 (whole city: every call).
GOALS: Final[dict[str, float]] = {
    "pathways": 100.0,
    "partners": 150.0,
    "coverage_street": 200.0,
    "coverage_city": 2000.0,
}
WARM_UPS: Final = 3

# Arguments are drawn from what the loaded graph holds, sorted so that a seed repeats them.
ACTIVE_UNITS: Final = """
MATCH (u:Unit) WHERE NOT u:Retired AND u.location IS NOT NULL
  AND (u.valid_to IS NULL OR u.valid_to >= date())
RETURN u.id AS id ORDER BY id
"""
REGIONS_AT: Final = """
MATCH (r:Region {level: $level}) WHERE NOT r:Retired
RETURN r.id AS id ORDER BY id
"""
TOP_REGION: Final = """
MATCH (r:Region) WHERE NOT r:Retired AND NOT EXISTS { (r)-[:PART_OF]->(:Region) }
RETURN r.id AS id ORDER BY id
"""
DEMANDS: Final = """
MATCH (d:Demand) WHERE NOT d:Retired
RETURN d.id AS id ORDER BY id
"""
SCENARIOS: Final = """
MATCH (r:Resource) WHERE NOT r:Retired
UNWIND r.scenarios AS scenario
RETURN DISTINCT scenario ORDER BY scenario
"""
SKILLS: Final = """
MATCH (s:Skill) WHERE NOT s:Retired
RETURN s.id AS id ORDER BY id
"""
LOADED: Final = """
RETURN COUNT { (r:IngestRun {source: $source, status: 'completed'}) } AS runs
"""
COUNTS: Final = """
CALL () { MATCH (n) RETURN count(n) AS nodes }
CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships }
RETURN nodes, relationships
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loaded_database(scale: float, seed: int, heap: str, pagecache: str, reuse: bool) -> Settings:
    """A started local Neo4j holding the dataset of ``scale``: reused when asked and loaded."""
    source = dataset(scale, seed)
    name = f"queries-scale-{scale:g}"
    if reuse and (WORK / f"db-{name}" / "neo4j" / "password").exists():
        settings = Settings(
            data_dir=WORK / f"db-{name}",
            local_bolt_port=_free_port(),
            local_heap=heap,
            local_pagecache=pagecache,
            log_format=LogFormat.JSON,
            log_level="WARNING",
        )
        runtime.start(settings)
        with create_driver(settings) as driver:
            wait_until_ready(driver)
            migrate(driver, settings.neo4j_database)
            records, _, _ = driver.execute_query(LOADED, source=str(source))
        if records[0]["runs"]:
            return settings
        runtime.stop(settings)
    settings = fresh_database(name, heap, pagecache)
    started = time.monotonic()
    with create_driver(settings) as driver:
        result = run_ingest(settings, source, driver=driver)
    print(f"scale {scale:g}: loaded in {time.monotonic() - started:.0f} s", flush=True)
    assert result.valid, result.report.issues[:5]
    return settings


# --- one question, timed ------------------------------------------------------------------------

Call = Callable[[], Awaitable[Any]]


@dataclass(slots=True)
class Timing:
    question: str
    mode: str  # "cold" or "warm" (cached); questions without a cache are "cold" only
    calls: list[float] = field(default_factory=list)  # milliseconds
    errors: int = 0

    def summary(self) -> dict[str, Any]:
        ms = sorted(self.calls)
        cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
        return {
            "question": self.question,
            "mode": self.mode,
            "calls": len(ms),
            "errors": self.errors,
            "p50_ms": round(cuts[49], 1),
            "p95_ms": round(cuts[94], 1),
            "max_ms": round(ms[-1], 1),
            "mean_ms": round(statistics.fmean(ms), 1),
        }


def _forget() -> None:
    coverage.clear_cache()
    network.clear_cache()


async def _timed(call: Call) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def measure_question(
    question: str, calls: Sequence[Call], *, cached: bool
) -> list[dict[str, Any]]:
    """Time every call cold (caches cleared first) and, for cached questions, warm right after."""
    for call in calls[:WARM_UPS]:
        _forget()
        await call()
    cold = Timing(question, "cold")
    warm = Timing(question, "warm")
    for call in calls:
        _forget()
        try:
            cold.calls.append(await _timed(call))
        except QueryError:
            cold.errors += 1
            continue
        if cached:
            warm.calls.append(await _timed(call))
    rows = [cold.summary()]
    if cached:
        rows.append(warm.summary())
    print(f"  {question}: " + ", ".join(f"{r['mode']} p95 {r['p95_ms']} ms" for r in rows))
    return rows


# --- the arguments ------------------------------------------------------------------------------


async def _ids(driver: AsyncDriver, database: str, query: Any, **params: Any) -> list[Any]:
    records, _, _ = await driver.execute_query(query, params, database_=database, routing_="r")
    return [r[0] for r in records]


def _needs(rng: random.Random, scenarios: Sequence[str], skills: Sequence[str]) -> partners.Need:
    """A need as coordinators ask: a scenario, a skill, or a scenario with a resource kind."""
    shape = rng.randrange(4)
    if shape == 0:
        return partners.Need()  # no need: what B brings that A lacks
    if shape == 1:
        return partners.Need(scenario=rng.choice(scenarios))
    if shape == 2:
        return partners.Need(skills=(rng.choice(skills),))
    kind = rng.choice(list(ResourceKind))
    return partners.Need(scenario=rng.choice(scenarios), resource_kinds=(kind,))


async def plan(
    driver: AsyncDriver, database: str, seed: int, counts: dict[str, int]
) -> dict[str, tuple[bool, list[Call]]]:
    """Each question's calls (seeded), and whether the question caches its answers."""
    rng = random.Random(seed)
    units = await _ids(driver, database, ACTIVE_UNITS)
    streets = await _ids(driver, database, REGIONS_AT, level="street")
    districts = await _ids(driver, database, REGIONS_AT, level="district")
    (city,) = await _ids(driver, database, TOP_REGION)
    demands = await _ids(driver, database, DEMANDS)
    scenarios = await _ids(driver, database, SCENARIOS)
    skills = await _ids(driver, database, SKILLS)

    def pairs(n: int) -> list[tuple[str, str]]:
        return [(a, b) for a, b in (rng.sample(units, 2) for _ in range(n))]

    def some(values: Sequence[str], n: int) -> list[str]:
        return [rng.choice(values) for _ in range(n)]

    def bind(fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Call:
        return lambda: fn(driver, database, *args, **kwargs)

    questions: dict[str, tuple[bool, list[Call]]] = {
        "pathways": (
            False,
            [bind(pathways.paths_between, a, b) for a, b in pairs(counts["pathways"])],
        ),
        "partners": (
            False,
            [
                bind(partners.find_partners, unit, need=_needs(rng, scenarios, skills))
                for unit in some(units, counts["partners"])
            ],
        ),
        "coverage_street": (
            True,
            [bind(coverage.coverage_report, s) for s in some(streets, counts["coverage_street"])],
        ),
        "coverage_city": (
            True,
            [bind(coverage.coverage_report, city) for _ in range(counts["coverage_city"])],
        ),
        "match_demand": (
            False,
            [bind(matching.match_demand, d) for d in some(demands, counts["match_demand"])],
        ),
        "assign_demands_street": (
            False,
            [bind(matching.assign_demands, s) for s in some(streets, counts["assign_demands"])],
        ),
    }
    for scope, regions, n in (
        ("street", streets, counts["network_street"]),
        ("district", districts, counts["network_district"]),
    ):
        chosen = some(regions, n)
        questions[f"brokers_{scope}"] = (
            True,
            [bind(network.find_brokers, region_id=r) for r in chosen],
        )
        questions[f"clusters_{scope}"] = (
            True,
            [bind(network.find_clusters, region_id=r) for r in chosen],
        )
        questions[f"collaboration_{scope}"] = (
            True,
            [bind(network.collaboration_index, region_id=r, level="community") for r in chosen],
        )
    return questions


DEFAULT_CALLS: Final[dict[str, int]] = {
    "pathways": 200,
    "partners": 200,
    "coverage_street": 100,
    "coverage_city": 20,
    "match_demand": 100,
    "assign_demands": 50,
    "network_street": 50,
    "network_district": 10,
}


async def measure_scale(
    settings: Settings, seed: int, counts: dict[str, int], only: Sequence[str]
) -> list[Any]:
    driver = create_async_driver(settings)
    try:
        questions = await plan(driver, settings.neo4j_database, seed, counts)
        rows: list[dict[str, Any]] = []
        for question, (cached, calls) in questions.items():
            if not only or question.startswith(tuple(only)):
                rows.extend(await measure_question(question, calls, cached=cached))
        return rows
    finally:
        await driver.close()


def _graph_size(settings: Settings) -> dict[str, int]:
    with create_driver(settings) as driver:
        records, _, _ = driver.execute_query(COUNTS, routing_="r")
    return {"nodes": records[0]["nodes"], "relationships": records[0]["relationships"]}


def verdicts(scales: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each goal of issue #4 against the cold p95 at scale 100 (when measured)."""
    at_100 = next((s for s in scales if s["scale"] == 100), None)
    out = []
    for question, goal in GOALS.items():
        row = None
        if at_100 is not None:
            row = next(
                (
                    r
                    for r in at_100["questions"]
                    if r["question"] == question and r["mode"] == "cold"
                ),
                None,
            )
        out.append(
            {
                "question": question,
                "goal_p95_ms": goal,
                "p95_ms": row["p95_ms"] if row else None,
                "met": row["p95_ms"] <= goal if row else None,
            }
        )
    return out


def markdown(result: dict[str, Any]) -> str:
    lines: list[str] = []
    for scale in result["scales"]:
        size = scale["graph"]
        lines += [
            f"Scale {scale['scale']:g} ({size['nodes']:,} nodes, "
            f"{size['relationships']:,} relationships):",
            "",
            "| question | calls | cold p50 | cold p95 | cold max "
            "| warm p50 | warm p95 | warm max |",
            "|---|---|---|---|---|---|---|---|",
        ]
        rows = scale["questions"]
        for cold in (r for r in rows if r["mode"] == "cold"):
            warm = next(
                (r for r in rows if r["mode"] == "warm" and r["question"] == cold["question"]),
                None,
            )
            calls = f"{cold['calls']}" + (f" ({cold['errors']} errors)" if cold["errors"] else "")
            cells = [cold["question"], calls, *(f"{cold[k]:,}" for k in _STATS)]
            cells += [f"{warm[k]:,}" for k in _STATS] if warm else ["–", "–", "–"]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["| goal at scale 100 | p95 | verdict |", "|---|---|---|"]
    for v in result["goals"]:
        verdict = "not measured" if v["met"] is None else ("met" if v["met"] else "**missed**")
        p95 = "–" if v["p95_ms"] is None else f"{v['p95_ms']:,} ms"
        lines.append(f"| {v['question']} p95 ≤ {v['goal_p95_ms']:,.0f} ms | {p95} | {verdict} |")
    return "\n".join(lines)


_STATS: Final = ("p50_ms", "p95_ms", "max_ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=float, nargs="+", default=[10.0, 100.0])
    parser.add_argument("--seed", type=int, default=7, help="dataset seed")
    parser.add_argument("--sample-seed", type=int, default=4, help="seed of the arguments")
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="4g")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded store")
    parser.add_argument(
        "--calls-factor", type=float, default=1.0, help="scale every question's call count"
    )
    parser.add_argument("--only", nargs="*", help="measure only these questions (by prefix)")
    args = parser.parse_args()
    configure_logging(Settings(log_level="WARNING"))
    counts = {k: max(WARM_UPS, round(v * args.calls_factor)) for k, v in DEFAULT_CALLS.items()}
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    scales: list[dict[str, Any]] = []
    for scale in args.scales:
        settings = loaded_database(scale, args.seed, args.heap, args.pagecache, args.reuse)
        try:
            print(f"scale {scale:g}:", flush=True)
            graph = _graph_size(settings)
            rows = asyncio.run(measure_scale(settings, args.sample_seed, counts, args.only or ()))
            scales.append({"scale": scale, "graph": graph, "questions": rows})
        finally:
            runtime.stop(settings)
    result = {
        "started": started,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(),
        "heap": args.heap,
        "pagecache": args.pagecache,
        "scales": scales,
        "goals": verdicts(scales),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "queries.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
