"""GraphQL over HTTP compliance: graphql-http's server audits against the live API."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from neo4j import Driver

from api.app import create_app
from cobuild.settings import Settings

AUDIT = Path(__file__).parent / "http_audit"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_url(sample_graph: Driver, neo4j_settings: Settings) -> Iterator[str]:
    # The audit sends its requests back to back: no rate limit (tests/api/test_limits.py).
    settings = neo4j_settings.model_copy(
        update={"allow_anonymous": True, "rate_limit_per_minute": 0}
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


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
