"""One transaction per run against batch by batch: time and the transaction's peak memory.

For each scale, on fresh local Neo4j stores: a first load in one transaction (skipped, and
said so, when about 10 KiB per row would not fit the heap's transaction pool) and a first load
batched; then, on the batched store, re-loads with 1% of the people and organizations changed
— one in one transaction, one batched (each changes other rows, so both write). The run's
transaction is sampled with ``SHOW TRANSACTIONS`` every 0.3 s for its peak estimated heap.
Run from the repo root:

    python3 -m uv run python -m bench.transactions --scales 1 10 --heap 1g

Writes ``bench/results/transactions.json`` and prints a Markdown table for
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from neo4j import Driver

from bench.ingest import RESULTS, WORK, dataset, fresh_database, machine
from cobuild.logs import configure_logging
from cobuild.settings import Settings
from graph import runtime
from graph.connection import create_driver
from ingest.errors import RunTooLargeError
from ingest.pipeline import run_ingest

# The run's own transaction, by the metadata ingest gives it (ingest.transactions).
PEAK: Final = """
SHOW TRANSACTIONS YIELD estimatedUsedHeapMemory, metaData
WHERE metaData.app = 'cobuild-ingest'
RETURN max(estimatedUsedHeapMemory) AS bytes
"""
BYTES_PER_ROW: Final = 10 * 1024  # docs/ingest.md, measured
POOL_SHARE: Final = 0.7  # dbms.memory.transaction.total.max: 70% of the heap


@contextmanager
def peak_memory(driver: Driver) -> Iterator[list[int]]:
    """Sample the ingest transaction's estimated heap while the block runs; peak in [0]."""
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                records, _, _ = driver.execute_query(PEAK)
                peak[0] = max(peak[0], records[0]["bytes"] or 0)
            except Exception:  # noqa: S110 - a missed sample only lowers the peak
                pass
            done.wait(0.3)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


def changed(source: Path, out: Path, offset: int) -> Path:
    """``source`` with every 100th person renamed and organization's head count raised (from
    row ``offset``)."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(source, out)
    for table, column in (("people", "name"), ("organizations", "employees")):
        with (source / f"{table}.csv").open(encoding="utf-8", newline="") as inp:
            rows = list(csv.DictReader(inp))
        for row in rows[offset::100]:
            value = row[column]
            row[column] = value + "新" if column == "name" else str(int(value or 0) + 1)
        with (out / f"{table}.csv").open("w", encoding="utf-8", newline="") as dst:
            writer = csv.DictWriter(dst, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return out


def timed(settings: Settings, driver: Driver, source: Path, *, batched: bool) -> dict[str, Any]:
    with peak_memory(driver) as peak:
        result = run_ingest(settings, source, batched=batched, driver=driver)
    assert result.valid, result.report.issues[:5]
    return {
        "seconds": round(result.seconds, 2),
        "derive_s": round(result.derive_seconds, 2),
        "rows_written": sum(t.written for t in result.tables.values()),
        "peak_tx_mib": round(peak[0] / 2**20, 1) if not batched else None,
    }


def _heap_bytes(heap: str) -> int:
    units = {"k": 2**10, "m": 2**20, "g": 2**30}
    return int(float(heap[:-1]) * units[heap[-1].lower()])


def measure(scale: float, seed: int, heap: str, pagecache: str) -> dict[str, Any]:
    source = dataset(scale, seed)
    rows = sum(sum(1 for _ in part.open(encoding="utf-8")) - 1 for part in source.glob("*.csv"))
    fits = rows * BYTES_PER_ROW <= POOL_SHARE * _heap_bytes(heap)
    one: dict[str, Any] | str
    if fits:
        settings = fresh_database(f"tx-one-{scale:g}", heap, pagecache)
        try:
            with create_driver(settings) as driver:
                try:
                    one = timed(settings, driver, source, batched=False)
                except RunTooLargeError:
                    one = "rolled back: the transaction pool was full"
        finally:
            runtime.stop(settings)
    else:
        one = f"not tried: {rows:,} rows need about {rows * BYTES_PER_ROW / 2**30:.1f} GiB"
    settings = fresh_database(f"tx-batched-{scale:g}", heap, pagecache)
    try:
        with create_driver(settings) as driver:
            batched = timed(settings, driver, source, batched=True)
            first_change = changed(source, WORK / "tx-changed-a", 0)
            reload_one = timed(settings, driver, first_change, batched=False)
            # From the first change, so that it writes only its own rows.
            second_change = changed(first_change, WORK / "tx-changed-b", 50)
            reload_batched = timed(settings, driver, second_change, batched=True)
    finally:
        runtime.stop(settings)
    return {
        "scale": scale,
        "rows": rows,
        "heap": heap,
        "first_load_one_transaction": one,
        "first_load_batched": batched,
        "reload_one_transaction": reload_one,
        "reload_batched": reload_batched,
    }


def _cell(r: dict[str, Any] | str) -> str:
    if isinstance(r, str):
        return r
    peak = f", peak {r['peak_tx_mib']} MiB" if r["peak_tx_mib"] is not None else ""
    return f"{r['seconds']} s (derive {r['derive_s']} s{peak})"


def _written(r: dict[str, Any]) -> str:
    return f"{r['rows_written']:,} rows written"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--pagecache", default="1g")
    args = parser.parse_args()
    configure_logging(Settings(log_level="WARNING"))
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    rows = [measure(scale, args.seed, args.heap, args.pagecache) for scale in args.scales]
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"started": started, "machine": machine(), "transactions": rows}
    (RESULTS / "transactions.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(
        "| scale | rows | heap | first load, one transaction | first load, batched "
        "| re-load (1% changed), one transaction | re-load (1% changed), batched |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['scale']:g} | {r['rows']:,} | {r['heap']} "
            f"| {_cell(r['first_load_one_transaction'])} | {_cell(r['first_load_batched'])} "
            f"| {_cell(r['reload_one_transaction'])}, {_written(r['reload_one_transaction'])} "
            f"| {_cell(r['reload_batched'])}, {_written(r['reload_batched'])} |"
        )


if __name__ == "__main__":
    main()
