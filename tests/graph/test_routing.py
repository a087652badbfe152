"""The service through a ``neo4j://`` routing URI, as it would reach a cluster (docs/scaling.md).

The local single server answers the driver's routing requests with itself as router, reader
and writer, so the same code path a cluster takes runs here: routing table, read
transactions sent as reads (a read-mode transaction that tried to write would be refused by
the server), ingest as writes.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver, Neo4jDriver
from pydantic import SecretStr

from api.app import create_app
from cobuild.settings import Settings
from graph import runtime
from graph.connection import create_driver
from ingest.pipeline import run_ingest
from scripts.api_examples import EXAMPLES
from tests.conftest import ROOT, SAMPLE, SAMPLE_LOADED, SAMPLE_NODES


@pytest.fixture
def routed(neo4j_settings: Settings) -> Settings:
    """The same local server, named by a routing URI (as a cluster's would be)."""
    assert neo4j_settings.uses_local_neo4j
    address = neo4j_settings.local_bolt_uri.removeprefix("bolt://")
    settings = neo4j_settings.model_copy(
        update={
            "neo4j_uri": f"neo4j://{address}",
            "neo4j_password": SecretStr(runtime.local_password(neo4j_settings)),
        }
    )
    with create_driver(settings) as driver:
        assert isinstance(driver, Neo4jDriver)  # the routing driver, not a direct connection
        driver.verify_connectivity()
    return settings


def _answers(settings: Settings) -> list[Any]:
    app_settings = settings.model_copy(update={"allow_anonymous": True, "rate_limit_per_minute": 0})
    with TestClient(create_app(app_settings)) as client:
        answers = []
        for _, title, query, variables in EXAMPLES:
            body = client.post("/graphql", json={"query": query, "variables": variables}).json()
            assert "errors" not in body, (title, body["errors"])
            answers.append(body["data"])
        return answers


def test_every_documented_question_answers_the_same_through_a_routing_uri(
    sample_graph: Driver, neo4j_settings: Settings, routed: Settings
) -> None:
    through_routing = _answers(routed)
    assert len(through_routing) == len(EXAMPLES) >= 10
    assert through_routing == _answers(neo4j_settings)


def test_ingest_through_a_routing_uri(
    empty_graph: Driver, neo4j_settings: Settings, routed: Settings
) -> None:
    result = run_ingest(routed, SAMPLE / "csv")  # its own driver, on the routing URI
    assert result.valid
    assert result.written
    records, _, _ = empty_graph.execute_query(
        SAMPLE_LOADED, source=str(SAMPLE / "csv"), database_=neo4j_settings.neo4j_database
    )
    assert records[0]["runs"] >= 1
    assert records[0]["nodes"] == SAMPLE_NODES


def _execute_query_calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "execute_query"
    ]


def test_every_query_the_api_asks_is_routed_as_a_read() -> None:
    """``queries/`` only reads: each of its calls names read routing, so a cluster sends it
    to a secondary (and the server refuses it any write)."""
    calls = 0
    for path in sorted((ROOT / "queries").glob("*.py")):
        for call in _execute_query_calls(path):
            routing = {k.arg: k.value for k in call.keywords}.get("routing_")
            assert routing is not None, f"{path.name}:{call.lineno} routes as a write"
            assert ast.literal_eval(routing) == "r", f"{path.name}:{call.lineno}"
            calls += 1
    assert calls >= 40
