"""A short bounded load test on loopback: the mixed workload answers without one error."""

from __future__ import annotations

from pathlib import Path

from neo4j import Driver

from bench.load import run_load, serve
from cobuild.settings import Settings

WORKLOAD = {
    "organization",
    "organizations",
    "search",
    "q1 pathways",
    "q2 partners",
    "q3 coverage",
    "q4 matchDemand",
    "q5 brokers",
}


def test_fifteen_seconds_of_mixed_load_without_errors(
    sample_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    # One client is the whole load here: no rate limit (tests/api/test_limits.py tests it).
    settings = neo4j_settings.model_copy(
        update={"allow_anonymous": True, "rate_limit_per_minute": 0}
    )
    with serve(settings) as url:
        result = run_load(url, seconds=15, users=4, out=tmp_path)
    assert result.failures == 0, result.per_name
    assert result.requests >= 30
    assert (
        set(result.per_name) == {f"POST {name}" for name in WORKLOAD}
        or set(result.per_name) == WORKLOAD
    )
    assert all(stats["requests"] > 0 for stats in result.per_name.values())
    assert 0 < result.p50_ms <= result.p99_ms
