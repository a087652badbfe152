"""Plots of the benchmarks' results (issue #7), for docs/benchmarks.md.

Reads what ``bench.queries``, ``bench.ingest`` and ``bench.peers`` wrote to ``bench/results/``
(whichever exist) and draws, into ``docs/img/``:

- ``bench-latency.png``: each question's cold p95 against the graph's size, log-log;
- ``bench-ingest.png``: first-load elements/s against the graph's size, ours and the naive
  per-row MERGE loader, log-log;
- ``bench-peers.png``: entity queries answered per second by this API, @neo4j/graphql and raw
  Cypher, per query and number of clients (log scale).

    python3 -m uv run python -m bench.plots
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Final

import matplotlib

matplotlib.use("Agg")  # files only: no display on these machines
import matplotlib.pyplot as plt

from bench.ingest import RESULTS
from cobuild.settings import PROJECT_ROOT

IMAGES: Final = PROJECT_ROOT / "docs" / "img"


def _load(results: Path, name: str) -> dict[str, Any] | None:
    path = results / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _save(figure: Any, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def latency(result: dict[str, Any], out: Path) -> Path:
    """Cold p95 of every question against nodes + relationships, one line per question."""
    series: defaultdict[str, list[tuple[int, float]]] = defaultdict(list)
    for scale in result["scales"]:
        size = scale["graph"]["nodes"] + scale["graph"]["relationships"]
        for row in scale["questions"]:
            if row["mode"] == "cold":
                series[row["question"]].append((size, row["p95_ms"]))
    figure, axes = plt.subplots(figsize=(8, 5.5))
    palette = plt.get_cmap("tab20")
    axes.set_prop_cycle(color=[palette(i) for i in range(20)])  # one colour per question
    for question, points in sorted(series.items()):
        points.sort()
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=question)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("graph size (nodes + relationships)")
    axes.set_ylabel("cold p95 (ms)")
    axes.set_title("Question latency against graph size")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, ncol=2)
    return _save(figure, out / "bench-latency.png")


def ingest(result: dict[str, Any], out: Path) -> Path:
    """First-load elements/s against the graph's size: ingest and the naive loader."""
    rows = sorted(result["ingest"], key=lambda r: r["scale"])
    sizes = [r["nodes"] + r["relationships"] for r in rows]
    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.plot(sizes, [r["first_load_elements_per_s"] for r in rows], marker="o", label="cobuild")
    naive = [
        (s, r["naive"]["first_load_elements_per_s"])
        for s, r in zip(sizes, rows, strict=True)
        if "naive" in r
    ]
    if naive:
        axes.plot([p[0] for p in naive], [p[1] for p in naive], marker="s", label="naive MERGE")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("graph size (nodes + relationships)")
    axes.set_ylabel("first load (elements/s)")
    axes.set_title("Ingest throughput")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    return _save(figure, out / "bench-ingest.png")


def peers(result: dict[str, Any], out: Path) -> Path:
    """Answers per second per peer, for each query and number of clients (the largest scale)."""
    scale = max(result["scales"], key=lambda s: s["scale"])
    runs = scale["runs"]
    cells = sorted({(r["query"], r["concurrency"]) for r in runs}, key=lambda c: (c[0], c[1]))
    names = list(dict.fromkeys(r["peer"] for r in runs))
    by = {(r["peer"], r["query"], r["concurrency"]): r["throughput_rps"] for r in runs}
    figure, axes = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(names)
    for index, name in enumerate(names):
        xs = [i + index * width for i in range(len(cells))]
        axes.bar(xs, [by.get((name, q, c), 0) for q, c in cells], width, label=name)
    axes.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(cells))])
    axes.set_xticklabels([f"{q}\n{c} clients" for q, c in cells], fontsize=8)
    axes.set_yscale("log")
    axes.set_ylabel("answers/s")
    axes.set_title(f"Entity queries, scale {scale['scale']:g}")
    axes.grid(True, axis="y", which="both", alpha=0.3)
    axes.legend()
    return _save(figure, out / "bench-peers.png")


def draw(results: Path = RESULTS, out: Path = IMAGES) -> list[Path]:
    """Every plot whose results exist in ``results``; returns the files written to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, plot in (("queries", latency), ("ingest", ingest), ("peers", peers)):
        result = _load(results, name)
        if result is not None:
            written.append(plot(result, out))
    return written


def main() -> None:
    for path in draw():
        print(path.relative_to(PROJECT_ROOT))


if __name__ == "__main__":
    main()
