"""GraphQL over HTTP compliance: graphql-http's server audits against the live API."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from bench.load import serve
from cobuild.settings import Settings

AUDIT = Path(__file__).parent / "http_audit"


@pytest.fixture
def live_url(sample_graph: Driver, neo4j_settings: Settings) -> Iterator[str]:
    # The audit sends its requests back to back: no rate limit (tests/api/test_limits.py).
    settings = neo4j_settings.model_copy(
        update={"allow_anonymous": True, "rate_limit_per_minute": 0}
    )
    with serve(settings) as url:
        yield f"{url}/graphql"


def test_every_must_audit_passes(live_url: str) -> None:
    node = shutil.which("node")
    assert node, "Node.js is required (the set-up command installs the audit suite)"
    assert (AUDIT / "node_modules" / "graphql-http").exists(), "run the set-up command first"
    done = subprocess.run(  # noqa: S603 - fixed argv
        [node, str(AUDIT / "audit.mjs"), live_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = json.loads(done.stdout)
    must = [r for r in results if r["name"].startswith("MUST")]
    assert len(must) > 10
    failed = [f"{r['name']}: {r['reason']}" for r in must if r["status"] != "ok"]
    assert failed == []
