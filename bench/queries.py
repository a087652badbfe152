"""Query latency: p50/p95/max of each question on generated data (issue #4).

For each scale, on its own local Neo4j (``var/bench/db-queries-scale-N``): the generated
dataset (seed 7) loaded by the ingest pipeline, then every question asked with a seeded random
sample of realistic arguments drawn from the loaded graph. Run from the repo root:

    python3 -m uv run python -m bench.queries --scales 10 100

``--reuse`` keeps a store that already holds the dataset (a completed ingest run of the same
folder) instead of reloading it; the scale-100 load takes minutes.

Coverage and network measures remember answers in-process. They are timed **cold** (their
caches cleared before every call, the figure the goals are judged on) and **warm** (the same
arguments asked again right after, answered from the cache). Neo4j's page cache is warmed by
reading the whole store once, and its query-plan cache and JIT by 100 untimed calls of each
question from a separate sample, as on a server in use; the first of those calls after the
start are reported on their own. Partners are also summarised per shape of
call (with or without a need).

Writes ``bench/results/queries.json`` and prints Markdown tables for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from neo4j import AsyncDriver
from neo4j.exceptions import DriverError, Neo4jError

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
# Warm-up: untimed calls drawn from a separate sample (so the timed calls find none of their own
# data pre-read), WARM_UPS of them (a quarter of the timed calls for the few-call questions:
# the whole city, districts). Neo4j plans each query text on first use, and again for each
# size class of a list parameter (0, 1, 2-9, 10-99, …: a few hundred ms each), and its JIT
# keeps warming for dozens of calls after a start: with 5 warm-ups, calls 5-11 of the partners
# plan (0.6-1 s each) set its p95 (docs/benchmarks.md, session 4). The first WARM_FIRST of
# them are reported on their own: what a coordinator meets right after a restart.
WARM_UPS: Final = 100
WARM_FIRST: Final = 10
WARM_UP_SEED_OFFSET: Final = 1000  # the warm-up sample's seed, from the timed one's
# What a call may fail with and still leave the others to measure: a bad argument drawn, or the
# server's transaction timeout (alone, or among a coverage report's concurrent questions).
FAILURES: Final = (QueryError, Neo4jError, DriverError, ExceptionGroup)

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
# Reads every node and relationship with its properties once, so that Neo4j's page cache holds
# the store as it would on a server in use (the measured calls then start from a warm cache).
WARM_NODES: Final = "MATCH (n) RETURN count(size(keys(properties(n)))) AS n"
WARM_RELATIONSHIPS: Final = "MATCH ()-[r]->() RETURN count(size(keys(properties(r)))) AS n"
COUNTS: Final = """
CALL () { MATCH (n) RETURN count(n) AS nodes }
CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships }
RETURN nodes, relationships
"""


def loaded_database(scale: float, seed: int, heap: str, pagecache: str, reuse: bool) -> Settings:
    """A started local Neo4j holding the dataset of ``scale``: reused when asked and loaded."""
    source = dataset(scale, seed)
    name = f"queries-scale-{scale:g}"
    if reuse and (WORK / f"db-{name}" / "neo4j" / "password").exists():
        settings = Settings(
            data_dir=WORK / f"db-{name}",
            local_bolt_port=runtime.free_port(),
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
        result = run_ingest(settings, source, batched=True, driver=driver)  # a bulk first load
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
    answered: int | None = None  # calls with a non-empty answer, where that is worth knowing

    def summary(self) -> dict[str, Any]:
        ms = sorted(self.calls)
        cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
        return {
            "question": self.question,
            "mode": self.mode,
            "calls": len(ms),
            "errors": self.errors,
            "answered": self.answered,
            "p50_ms": round(cuts[49], 1),
            "p95_ms": round(cuts[94], 1),
            "max_ms": round(ms[-1], 1),
            "mean_ms": round(statistics.fmean(ms), 1),
        }


@dataclass(frozen=True, slots=True)
class Question:
    name: str
    cached: bool  # answers are remembered in-process: timed cold and warm
    calls: list[Call]
    kinds: list[str] | None = None  # a label per call, also summarised per label
    answered: Callable[[Any], bool] | None = None  # whether an answer is non-empty


def _forget() -> None:
    coverage.clear_cache()
    network.clear_cache()


async def warm_up(question: Question, calls: Sequence[Call]) -> dict[str, Any]:
    """Run the warm-up ``calls`` (cycled); summarise the first ones."""
    count = WARM_UPS if len(question.calls) >= WARM_UPS else max(1, len(question.calls) // 4)
    times: list[float] = []
    for index in range(count):
        _forget()
        started = time.perf_counter()
        with contextlib.suppress(*FAILURES):
            await calls[index % len(calls)]()
        times.append((time.perf_counter() - started) * 1000)
    first = times[:WARM_FIRST]
    return {
        "question": question.name,
        "warm_up_calls": count,
        "first_p50_ms": round(statistics.median(first), 1),
        "first_max_ms": round(max(first), 1),
    }


async def measure_question(
    question: Question, warm_up_calls: Sequence[Call]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Warm up on ``warm_up_calls``, then time every call of ``question`` cold (caches cleared
    first) and, for cached questions, warm right after."""
    first = await warm_up(question, warm_up_calls)
    cold = Timing(question.name, "cold", answered=0 if question.answered else None)
    warm = Timing(question.name, "warm")
    by_kind: dict[str, Timing] = {}
    for index, call in enumerate(question.calls):
        _forget()
        started = time.perf_counter()
        try:
            answer = await call()
        except FAILURES as exc:
            # Counted, not timed.
            print(f"    {question.name} call {index}: {type(exc).__name__}: {exc}"[:300])
            cold.errors += 1
            continue
        ms = (time.perf_counter() - started) * 1000
        cold.calls.append(ms)
        if question.answered is not None and question.answered(answer):
            cold.answered = (cold.answered or 0) + 1
        if question.kinds is not None:
            kind = question.kinds[index]
            by_kind.setdefault(kind, Timing(f"{question.name} ({kind})", "cold")).calls.append(ms)
        if question.cached:
            started = time.perf_counter()
            await call()
            warm.calls.append((time.perf_counter() - started) * 1000)
    rows = [cold.summary()]
    if question.cached:
        rows.append(warm.summary())
    rows.extend(by_kind[kind].summary() for kind in sorted(by_kind))
    print(f"  {question.name}: " + ", ".join(f"{r['mode']} p95 {r['p95_ms']} ms" for r in rows))
    return rows, first


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
) -> list[Question]:
    """Each question with its calls (seeded arguments)."""
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

    needs = [_needs(rng, scenarios, skills) for _ in range(counts["partners"])]
    questions = [
        Question(
            "pathways",
            False,
            [bind(pathways.paths_between, a, b) for a, b in pairs(counts["pathways"])],
            answered=lambda result: bool(result.paths),
        ),
        Question(
            "partners",
            False,
            [
                bind(partners.find_partners, unit, need=need)
                for unit, need in zip(some(units, counts["partners"]), needs, strict=True)
            ],
            kinds=["no need" if need.is_empty else "need" for need in needs],
            answered=lambda result: bool(result.partners),
        ),
        Question(
            "coverage_street",
            True,
            [
                bind(coverage.coverage_report, s, first=coverage.REPORT_PAGE)
                for s in some(streets, counts["coverage_street"])
            ],
        ),
        Question(
            "coverage_city",
            True,
            [
                bind(coverage.coverage_report, city, first=coverage.REPORT_PAGE)
                for _ in range(counts["coverage_city"])
            ],
        ),
        Question(
            "match_demand",
            False,
            [bind(matching.match_demand, d) for d in some(demands, counts["match_demand"])],
            answered=lambda result: bool(result.candidates),
        ),
        Question(
            "assign_demands_street",
            False,
            [bind(matching.assign_demands, s) for s in some(streets, counts["assign_demands"])],
        ),
    ]
    for scope, regions, n in (
        ("street", streets, counts["network_street"]),
        ("district", districts, counts["network_district"]),
    ):
        chosen = some(regions, n)
        questions += [
            Question(
                f"brokers_{scope}", True, [bind(network.find_brokers, region_id=r) for r in chosen]
            ),
            Question(
                f"clusters_{scope}",
                True,
                [bind(network.find_clusters, region_id=r) for r in chosen],
            ),
            Question(
                f"collaboration_{scope}",
                True,
                [bind(network.collaboration_index, region_id=r, level="community") for r in chosen],
            ),
        ]
    return questions


DEFAULT_CALLS: Final[dict[str, int]] = {
    "pathways": 200,
    "partners": 200,
    "coverage_street": 100,
    "coverage_city": 10,  # the same arguments every time: ten calls show the spread
    "match_demand": 100,
    "assign_demands": 30,
    "network_street": 50,
    "network_district": 5,  # a district's exact betweenness takes seconds
}


async def measure_scale(
    settings: Settings, seed: int, counts: dict[str, int], only: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every question's timings, and its first calls after the start (the warm-up's)."""
    driver = create_async_driver(settings)
    try:
        database = settings.neo4j_database
        questions = await plan(driver, database, seed, counts)
        warm_ups = await plan(driver, database, seed + WARM_UP_SEED_OFFSET, counts)
        rows: list[dict[str, Any]] = []
        firsts: list[dict[str, Any]] = []
        for question, warm in zip(questions, warm_ups, strict=True):
            if not only or question.name.startswith(tuple(only)):
                timed, first = await measure_question(question, warm.calls)
                rows.extend(timed)
                firsts.append(first)
        return rows, firsts
    finally:
        await driver.close()


def _graph_size(settings: Settings) -> dict[str, int]:
    """The graph's size, read after warming Neo4j's page cache with the whole store."""
    with create_driver(settings) as driver:
        driver.execute_query(WARM_NODES, routing_="r")
        driver.execute_query(WARM_RELATIONSHIPS, routing_="r")
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
            notes = []
            if cold.get("answered") is not None:
                notes.append(f"{cold['answered']} non-empty")
            if cold["errors"]:
                notes.append(f"{cold['errors']} errors")
            calls = f"{cold['calls']}" + (f" ({', '.join(notes)})" if notes else "")
            cells = [cold["question"], calls, *(f"{cold[k]:,}" for k in _STATS)]
            cells += [f"{warm[k]:,}" for k in _STATS] if warm else ["–", "–", "–"]
            lines.append("| " + " | ".join(cells) + " |")
        lines += [
            "",
            "First calls after the start (the warm-up sample's first "
            f"{WARM_FIRST}, caches cleared), and how many warm-up calls ran:",
            "",
            "| question | first p50 | first max | warm-up calls |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {f['question']} | {f['first_p50_ms']:,} | {f['first_max_ms']:,} "
            f"| {f['warm_up_calls']} |"
            for f in scale.get("first", [])
        ]
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
    counts = {k: max(2, round(v * args.calls_factor)) for k, v in DEFAULT_CALLS.items()}
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    scales: list[dict[str, Any]] = []
    for scale in args.scales:
        settings = loaded_database(scale, args.seed, args.heap, args.pagecache, args.reuse)
        try:
            print(f"scale {scale:g}:", flush=True)
            graph = _graph_size(settings)
            rows, firsts = asyncio.run(
                measure_scale(settings, args.sample_seed, counts, args.only or ())
            )
            scales.append({"scale": scale, "graph": graph, "questions": rows, "first": firsts})
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
