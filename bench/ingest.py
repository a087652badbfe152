"""Ingest throughput: graph elements (nodes + relationships) written per second.

For each scale, on a fresh local Neo4j: a first load of a generated dataset, then a re-load
of the same, unchanged dataset (the run recognises the dataset it last loaded and skips it
whole), then the same re-load with ``recheck`` (every row validated again and compared with
its stored hash: what a re-load costs when something did change). Run from the repo root:

    python3 -m uv run python -m bench.ingest --scales 10 100

Writes ``bench/results/ingest.json`` and prints a Markdown table for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from pathlib import Path
from typing import Any

from bench.naive import naive_load
from cobuild.logs import configure_logging
from cobuild.settings import PROJECT_ROOT, LogFormat, Settings
from graph import runtime
from graph.connection import create_driver, wait_until_ready
from graph.migrations import migrate
from ingest.generate import generate
from ingest.pipeline import run_ingest

WORK = PROJECT_ROOT / "var" / "bench"
RESULTS = PROJECT_ROOT / "bench" / "results"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
    }


def dataset(scale: float, seed: int) -> Path:
    """The generated dataset for ``scale``, generated once and kept under var/bench."""
    out = WORK / f"data-scale-{scale:g}-seed-{seed}"
    if not (out / "resource_usages.csv").exists():
        shutil.rmtree(out, ignore_errors=True)
        generate(scale, seed, out)
    return out


def fresh_database(name: str, heap: str, pagecache: str) -> Settings:
    """Settings for a local Neo4j with an empty store, started and migrated."""
    data_dir = WORK / f"db-{name}"
    shutil.rmtree(data_dir, ignore_errors=True)
    settings = Settings(
        data_dir=data_dir,
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
    return settings


def _elements(driver: Any) -> int:
    records, _, _ = driver.execute_query(
        "CALL () { MATCH (n) WHERE NOT (n:IngestRun OR n:SchemaMigration OR n:IngestConfig) "
        "RETURN count(n) AS nodes } CALL () { MATCH ()-[r]->() RETURN count(r) AS rels } "
        "RETURN nodes + rels AS elements"
    )
    return int(records[0]["elements"])


def measure_naive(
    source: Path, scale: float, heap: str, pagecache: str, budget_s: float
) -> dict[str, Any]:
    """The naive per-row MERGE loader (bench.naive) on a fresh store: a first load and, when it
    finished within the budget, an unchanged re-load (MERGE finds everything)."""
    settings = fresh_database(f"naive-{scale:g}", heap, pagecache)
    try:
        with create_driver(settings) as driver:
            first = naive_load(driver, settings.neo4j_database, source, budget_s=budget_s)
            elements = _elements(driver)
            again = None
            if not first["stopped_by_budget"]:
                again = naive_load(driver, settings.neo4j_database, source, budget_s=budget_s)
    finally:
        runtime.stop(settings)
    return {
        "rows": first["rows"],
        "elements": elements,
        "first_load_s": round(first["seconds"], 2),
        "first_load_elements_per_s": round(elements / first["seconds"]),
        "stopped_by_budget": first["stopped_by_budget"],
        "reload_s": round(again["seconds"], 2) if again else None,
    }


def measure(
    scale: float, seed: int, heap: str, pagecache: str, naive_budget_s: float
) -> dict[str, Any]:
    source = dataset(scale, seed)
    settings = fresh_database(f"ingest-{scale:g}", heap, pagecache)
    try:
        with create_driver(settings) as driver:
            # A bulk first load, as the naive loader's: batch by batch (scale 100 outgrows any
            # heap as one transaction, about 10 KiB per row).
            first = run_ingest(settings, source, batched=True, driver=driver)
            again = run_ingest(settings, source, driver=driver)
            rechecked = run_ingest(settings, source, recheck=True, driver=driver)
            records, _, _ = driver.execute_query(
                "MATCH (n) WHERE NOT (n:IngestRun OR n:SchemaMigration OR n:IngestConfig) "
                "RETURN count(n) AS nodes"
            )
            nodes = records[0]["nodes"]
            records, _, _ = driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS rels")
            rels = records[0]["rels"]
    finally:
        runtime.stop(settings)
    elements = nodes + rels
    naive = measure_naive(source, scale, heap, pagecache, naive_budget_s)
    return {
        "scale": scale,
        "nodes": nodes,
        "relationships": rels,
        "first_load_s": round(first.seconds, 2),
        "first_load_elements_per_s": round(elements / first.seconds),
        "first_load_validation_s": round(first.validation_seconds, 2),
        "first_load_derive_s": round(first.derive_seconds, 2),
        "reload_s": round(again.seconds, 2),
        "reload_elements_written": again.elements_written,
        "reload_speedup": round(first.seconds / again.seconds, 2),
        "reload_skipped_whole": again.unchanged_since is not None,
        "recheck_s": round(rechecked.seconds, 2),
        "recheck_validation_s": round(rechecked.validation_seconds, 2),
        "recheck_elements_written": rechecked.elements_written,
        "recheck_speedup": round(first.seconds / rechecked.seconds, 2),
        "valid": first.valid,
        "naive": naive,
        "first_load_vs_naive": round(
            (elements / first.seconds) / naive["first_load_elements_per_s"], 2
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=float, nargs="+", default=[10.0, 100.0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="4g")
    parser.add_argument(
        "--naive-budget",
        type=float,
        default=600.0,
        help="seconds the naive loader may run per scale (its rate is measured on what it wrote)",
    )
    args = parser.parse_args()
    configure_logging(Settings(log_level="WARNING"))
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    rows = [
        measure(scale, args.seed, args.heap, args.pagecache, args.naive_budget)
        for scale in args.scales
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"started": started, "machine": machine(), "ingest": rows}
    (RESULTS / "ingest.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(
        "| scale | nodes | relationships | first load | elements/s | unchanged re-load "
        "| speed-up | re-load, every row rechecked | speed-up |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['scale']:g} | {r['nodes']:,} | {r['relationships']:,} | {r['first_load_s']} s "
            f"| {r['first_load_elements_per_s']:,} | {r['reload_s']} s | {r['reload_speedup']}× "
            f"| {r['recheck_s']} s | {r['recheck_speedup']}× |"
        )
    print()
    print(
        "| scale | ours: elements/s | naive MERGE: elements/s | ours ÷ naive "
        "| naive first load | naive unchanged re-load |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        n = r["naive"]
        budget = " (stopped by the budget)" if n["stopped_by_budget"] else ""
        reload = "–" if n["reload_s"] is None else f"{n['reload_s']} s"
        print(
            f"| {r['scale']:g} | {r['first_load_elements_per_s']:,} "
            f"| {n['first_load_elements_per_s']:,} | {r['first_load_vs_naive']}× "
            f"| {n['first_load_s']} s, {n['elements']:,} elements{budget} | {reload} |"
        )


if __name__ == "__main__":
    main()
