"""The whole benchmark suite in one command (issue #7):

    python3 -m uv run python -m bench --scales 1 10 100

In order, each as its own process (one Neo4j at a time, each measured on a quiet machine):
ingest against the naive loader (``bench.ingest``), one transaction per run against batched
with the default 1 GB heap (``bench.transactions``, scales up to 10), the questions
(``bench.queries``, on the stores ingest's own runs do not touch), entity queries against the
peers (``bench.peers``, on the questions' stores), then the plots (``bench.plots``). Each
writes its JSON result to ``bench/results/``; their Markdown tables are collected in
``bench/results/summary.md`` and the plots in ``docs/img/``. ``--quick`` shortens every part
(fewer calls, shorter peer cells, a smaller naive budget) to check the suite end to end.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench.ingest import RESULTS
from cobuild.settings import PROJECT_ROOT


def _run(module: str, *args: str) -> str:
    """Run ``python -m module args``; its output (the module's Markdown tables) is returned."""
    command = [sys.executable, "-m", module, *args]
    print(f"==> {' '.join(command[2:])}", flush=True)
    kept: list[str] = []
    with subprocess.Popen(  # noqa: S603 - our own argv, no shell
        command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:  # shown as it comes: a part runs for many minutes
            if not line.startswith("{"):  # JSON log lines stay out of the summary
                print(line, end="", flush=True)
                kept.append(line.rstrip("\n"))
    if process.returncode:
        raise SystemExit(f"{module} failed with exit code {process.returncode}")
    return "\n".join(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["1", "10", "100"])
    parser.add_argument("--quick", action="store_true", help="a short run of every part")
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    naive_budget = "60" if args.quick else "600"
    seconds = "3" if args.quick else "10"
    calls = ["--calls-factor", "0.1"] if args.quick else []
    # A first load beyond scale 10 does not fit one transaction with the default heap; the
    # batched side alone is bench.ingest's.
    small = [scale for scale in args.scales if float(scale) <= 10] or ["1"]
    parts = [
        ("Ingest", _run("bench.ingest", "--scales", *args.scales, "--naive-budget", naive_budget)),
        ("One transaction", _run("bench.transactions", "--scales", *small, "--heap", "1g")),
        ("Questions", _run("bench.queries", "--scales", *args.scales, "--reuse", *calls)),
        ("Peers", _run("bench.peers", "--scales", *args.scales, "--reuse", "--seconds", seconds)),
        ("Plots", _run("bench.plots")),
    ]
    summary = [f"# Benchmark suite, {started}", ""]
    for title, tables in parts:
        summary += [f"## {title}", "", tables, ""]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.md").write_text("\n".join(summary), encoding="utf-8")
    print(f"wrote {(RESULTS / 'summary.md').relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
