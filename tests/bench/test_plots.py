"""The benchmark plots (bench.plots) are drawn from the results files the benchmarks write."""

from __future__ import annotations

import json
from pathlib import Path

from bench.plots import draw

PNG = b"\x89PNG\r\n\x1a\n"


def _question(name: str, p95: float) -> dict[str, object]:
    return {"question": name, "mode": "cold", "p50_ms": p95 / 2, "p95_ms": p95}


def test_every_result_file_gives_its_plot(tmp_path: Path) -> None:
    results, out = tmp_path / "results", tmp_path / "img"
    results.mkdir()
    graph = {"nodes": 10, "relationships": 20}
    queries = {
        "scales": [
            {"scale": 1, "graph": graph, "questions": [_question("pathways", 5.0)]},
            {
                "scale": 10,
                "graph": {"nodes": 100, "relationships": 200},
                "questions": [_question("pathways", 9.0)],
            },
        ]
    }
    ingest = {
        "ingest": [
            {
                "scale": 1,
                "nodes": 10,
                "relationships": 20,
                "first_load_elements_per_s": 900,
                "naive": {"first_load_elements_per_s": 300},
            },
        ]
    }
    (results / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
    (results / "ingest.json").write_text(json.dumps(ingest), encoding="utf-8")

    written = draw(results, out)

    assert sorted(p.name for p in written) == ["bench-ingest.png", "bench-latency.png"]
    for path in written:
        assert path.read_bytes()[:8] == PNG
        assert path.stat().st_size > 5_000  # axes, lines and labels, not an empty canvas
