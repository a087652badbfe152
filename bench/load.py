"""A bounded load test on loopback: locust, headless, for a fixed time, then it stops.

    python3 -m uv run python -m bench.load --seconds 60 --users 10

Without ``--url`` it starts a throw-away local Neo4j, loads ../shared/sample, serves the API on
a free 127.0.0.1 port (no rate limit: one client is the whole load), runs the workload of
``bench/locustfile.py`` and prints throughput, p50/p99 and errors. ``--url`` aims it at a
running server instead (127.0.0.1 only). ``tests/api/test_load.py`` runs a short one.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlparse

import uvicorn

from cobuild.settings import PROJECT_ROOT, LogFormat, Settings
from graph import runtime

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
SAMPLE = PROJECT_ROOT.parent / "shared" / "sample" / "csv"


@dataclass(frozen=True, slots=True)
class LoadResult:
    seconds: float
    users: int
    requests: int
    failures: int
    throughput_rps: float
    p50_ms: float
    p99_ms: float
    per_name: dict[str, dict[str, float]]


def run_load(url: str, *, seconds: int, users: int, out: Path) -> LoadResult:
    """Run locust headless against ``url`` (loopback only) for ``seconds``; return its stats."""
    if urlparse(url).hostname not in {"127.0.0.1", "localhost"}:
        raise ValueError(f"the load test runs on loopback only, not {url}")
    prefix = out / "load"
    subprocess.run(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--host",
            url,
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "10",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ],
        check=True,
        timeout=seconds + 120,
        capture_output=True,
    )
    with (out / "load_stats.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    per_name = {
        r["Name"]: {
            "requests": float(r["Request Count"]),
            "failures": float(r["Failure Count"]),
            "p50_ms": float(r["50%"]),
            "p99_ms": float(r["99%"]),
        }
        for r in rows
        if r["Name"] != "Aggregated"
    }
    return LoadResult(
        seconds=seconds,
        users=users,
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        throughput_rps=float(total["Requests/s"]),
        p50_ms=float(total["50%"]),
        p99_ms=float(total["99%"]),
        per_name=per_name,
    )


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """The API of ``settings`` on a free loopback port, for the duration of the block."""
    from api.app import create_app

    port = runtime.free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--url", help="a running server on loopback (default: start one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cobuild-load-") as tmp:
        if args.url:
            result = run_load(args.url, seconds=args.seconds, users=args.users, out=Path(tmp))
        else:
            from graph.connection import create_driver, wait_until_ready
            from graph.migrations import migrate
            from ingest.pipeline import run_ingest

            settings = Settings(
                data_dir=Path(tmp) / "data",
                local_bolt_port=runtime.free_port(),
                allow_anonymous=True,
                rate_limit_per_minute=0,
                log_format=LogFormat.CONSOLE,
                log_level="WARNING",
            )
            runtime.start(settings)
            try:
                with create_driver(settings) as driver:
                    wait_until_ready(driver)
                    migrate(driver, settings.neo4j_database)
                    assert run_ingest(settings, SAMPLE, driver=driver).valid
                with serve(settings) as url:
                    result = run_load(url, seconds=args.seconds, users=args.users, out=Path(tmp))
            finally:
                runtime.stop(settings)
    print(json.dumps(asdict(result), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
