"""Abusive documents are refused before they run: depth, aliases, tokens; never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from graphql import get_introspection_query
from neo4j import Driver

from api.app import create_app
from cobuild.settings import Settings

LIMITS = Settings()  # the defaults the schema is built with


@pytest.fixture
def client(sample_graph: Driver, neo4j_settings: Settings) -> Iterator[TestClient]:
    settings = neo4j_settings.model_copy(update={"allow_anonymous": True})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _post(client: TestClient, query: str) -> Any:  # the TestClient's response
    return client.post("/graphql", json={"query": query})


def _nested(depth: int) -> str:
    """A region's parent's parent's … ``depth`` fields deep in all."""
    inner = "id"
    for _ in range(depth - 1):
        inner = f"parent {{ {inner} }}"
    return f'{{ region(id: "370202001") {{ {inner} }} }}'


def _refused(response: Any, words: str) -> None:
    assert response.status_code != 500
    body = response.json()
    assert body.get("data") is None
    assert any(words in error["message"] for error in body["errors"]), body["errors"]


def test_depth_within_the_limit_runs_and_beyond_is_refused(client: TestClient) -> None:
    ok = _post(client, _nested(LIMITS.graphql_max_depth - 1))
    assert ok.status_code == 200
    assert "errors" not in ok.json()
    assert ok.json()["data"]["region"]["parent"] is not None
    _refused(_post(client, _nested(LIMITS.graphql_max_depth + 2)), "maximum operation depth")


def test_too_many_aliases_are_refused(client: TestClient) -> None:
    few = " ".join(f"a{i}: __typename" for i in range(3))
    assert _post(client, f"{{ {few} }}").json()["data"] == {f"a{i}": "Query" for i in range(3)}
    many = " ".join(f"a{i}: __typename" for i in range(LIMITS.graphql_max_aliases + 1))
    _refused(_post(client, f"{{ {many} }}"), "aliases")


def test_too_many_tokens_are_refused(client: TestClient) -> None:
    huge = "{ " + " ".join(["__typename"] * LIMITS.graphql_max_tokens) + " }"
    _refused(_post(client, huge), "token")


def test_introspection_is_not_limited_by_depth(client: TestClient) -> None:
    """GraphiQL and other systems read the schema with the standard, deep introspection."""
    body = _post(client, get_introspection_query()).json()
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
