"""Fuzzing: random valid GraphQL documents from the live schema (hypothesis-graphql) and
random requests to the REST endpoints from the app's OpenAPI (schemathesis), over HTTP to a
running server: no 500, no unhandled (masked) error. Sized for CI (tens of seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, Final

import graphql
import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries
from neo4j import Driver
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from api.schema import schema as api_schema
from api.security import clear_cache
from bench.load import serve
from cobuild.settings import Settings
from graph.keys import create_key
from graph.model import Role

MASKED: Final = "internal error; it has been logged"
SDL: Final = graphql.print_schema(api_schema._schema)
FUZZ: Final = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The custom scalar: ISO dates around the sample's years (and far outside them).
DATES: Final = st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(
    lambda d: graphql.StringValueNode(value=d.isoformat())
)


@pytest.fixture
def sample_url(sample_graph: Driver, neo4j_settings: Settings) -> Iterator[str]:
    with serve(
        neo4j_settings.model_copy(update={"allow_anonymous": True, "rate_limit_per_minute": 0})
    ) as url:
        yield url


@pytest.fixture
def empty_url(empty_graph: Driver, neo4j_settings: Settings) -> Iterator[str]:
    with serve(neo4j_settings.model_copy(update={"rate_limit_per_minute": 0})) as url:
        yield url


@pytest.fixture
def admin_key(empty_graph: Driver, neo4j_settings: Settings) -> str:
    clear_cache()
    return create_key(
        empty_graph, neo4j_settings.neo4j_database, role=Role.ADMIN, region_id=None, name="fuzz"
    )


def _unexpected(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        error
        for error in body.get("errors") or []
        if error["message"] == MASKED
        or (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
    ]


def test_random_valid_documents_never_fail_unexpectedly(sample_url: str) -> None:
    with httpx.Client(base_url=sample_url, timeout=60) as http:
        live_sdl = graphql.print_schema(
            graphql.build_client_schema(
                http.post("/graphql", json={"query": graphql.get_introspection_query()}).json()[
                    "data"
                ]
            )
        )
        assert live_sdl == SDL  # fuzzing the schema the server really serves

        @FUZZ
        @given(document=queries(SDL, custom_scalars={"Date": DATES}))
        def check(document: str) -> None:
            response = http.post("/graphql", json={"query": document})
            assert response.status_code < 500, document
            body = response.json()
            assert "data" in body or "errors" in body
            assert _unexpected(body) == [], document

        check()


def test_rest_endpoints_never_answer_500(empty_url: str, admin_key: str) -> None:
    rest = schemathesis.openapi.from_url(f"{empty_url}/openapi.json")
    operations = []
    for result in rest.get_all_operations():
        assert isinstance(result, Ok), result  # the app's OpenAPI document is valid
        operations.append(result.ok())
    paths = {operation.path for operation in operations}
    assert {"/healthz", "/readyz", "/ingest"} <= paths
    with requests.Session() as session:
        for operation in operations:

            @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def check(case: Any) -> None:
                for headers in ({}, {"Authorization": f"Bearer {admin_key}"}):
                    response = case.call(session=session, headers=headers)
                    assert response.status_code < 500, case.as_curl_command()
                    case.validate_response(response, checks=[not_a_server_error])

            check()
