"""Abusive requests are refused before they run, with a clear coded error, never a 500:
depth, aliases, tokens, cost, body size and request rate."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from fastapi.testclient import TestClient
from graphql import get_introspection_query, parse
from neo4j import Driver

from api.app import create_app
from api.errors import PAYLOAD_TOO_LARGE, QUERY_TOO_COSTLY, RATE_LIMITED, CodedErrors
from api.limits import client_key, document_cost
from api.schema import RootQuery, limits, schema
from api.types import DEFAULT_PAGE
from cobuild.settings import PROJECT_ROOT as ROOT
from cobuild.settings import Settings

LIMITS = Settings()  # the defaults the schema is built with


@pytest.fixture
def client(sample_graph: Driver, neo4j_settings: Settings) -> Iterator[TestClient]:
    # No rate limit here: these tests send many requests; the rate tests set their own.
    settings = neo4j_settings.model_copy(
        update={"allow_anonymous": True, "rate_limit_per_minute": 0}
    )
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


# --- cost --------------------------------------------------------------------------------
def _cost(query: str, variables: dict[str, Any] | None = None) -> int:
    return document_cost(schema._schema, parse(query), None, variables)


def test_each_field_costs_one_and_a_page_multiplies_what_is_below() -> None:
    assert _cost("{ region(id: 1) { id name } }") == 3
    # 1 (organizations) + 7 × (1 nodes + 2 fields): the connection's nodes are the page itself
    assert _cost("{ organizations(first: 7) { nodes { id name } } }") == 1 + 7 * 3
    # without first, the argument's default page (50) counts
    assert _cost("{ organizations { nodes { id } } }") == 1 + DEFAULT_PAGE * 2
    nested = "{ organizations(first: 10) { nodes { partyOrgs(first: 4) { nodes { id } } } } }"
    assert _cost(nested) == 1 + 10 * (1 + 1 + 4 * 2)


def test_cost_counts_variables_fragments_and_skips_introspection() -> None:
    by_variable = "query($n: Int) { people(first: $n) { nodes { id } } }"
    assert _cost(by_variable, {"n": 300}) == 1 + 300 * 2
    through_fragment = """
      query { ...Q }
      fragment Q on Query { people(first: 300) { nodes { ...P } } }
      fragment P on Person { id name }
    """
    assert _cost(through_fragment) == 1 + 300 * 3
    assert _cost(get_introspection_query()) == 0
    assert _cost("{ __typename }") == 0


def test_a_document_over_the_cost_budget_is_refused_before_it_runs(client: TestClient) -> None:
    within = "{ organizations(first: 20) { nodes { id partyOrgs(first: 5) { nodes { id } } } } }"
    ok = _post(client, within)
    assert "errors" not in ok.json()
    assert len(ok.json()["data"]["organizations"]["nodes"]) == 20
    costly = (
        "{ organizations(first: 500) { nodes { id "
        "employedPeople(first: 500) { nodes { id name } } } } }"
    )
    assert _cost(costly) > LIMITS.graphql_max_cost
    response = _post(client, costly)
    _refused(response, "query cost")
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == QUERY_TOO_COSTLY
    assert error["extensions"]["maxCost"] == LIMITS.graphql_max_cost


def test_the_cost_budget_is_a_setting(sample_graph: Driver, neo4j_settings: Settings) -> None:
    query = "{ organizations(first: 20) { nodes { id } } }"
    app = create_app(neo4j_settings.model_copy(update={"allow_anonymous": True}))
    strict = strawberry.Schema(
        query=RootQuery,
        extensions=[*limits(LIMITS.model_copy(update={"graphql_max_cost": 10})), CodedErrors],
    )
    assert _cost(query) > 10
    result = strict.execute_sync(query)
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": QUERY_TOO_COSTLY, "cost": 41, "maxCost": 10}
    with TestClient(app) as test_client:
        assert "errors" not in _post(test_client, query).json()


def test_every_documented_example_is_within_the_default_budget() -> None:
    examples = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    queries = re.findall(r"```graphql\n(.*?)```", examples, flags=re.DOTALL)
    assert len(queries) >= 8
    for query in queries:
        cost = _cost(query, {"id": "x", "n": DEFAULT_PAGE})
        assert 0 < cost <= LIMITS.graphql_max_cost, query


# --- body size ---------------------------------------------------------------------------
def _big_query(size: int) -> bytes:
    padding = "#" + "x" * size + "\n"
    return json.dumps({"query": padding + "{ __typename }"}).encode()


def test_a_body_over_the_limit_is_413_by_its_declared_length(client: TestClient) -> None:
    limit = LIMITS.graphql_max_body_kb * 1024
    small = client.post(
        "/graphql", content=_big_query(limit // 2), headers={"content-type": "application/json"}
    )
    assert small.json() == {"data": {"__typename": "Query"}}
    big = client.post(
        "/graphql", content=_big_query(limit), headers={"content-type": "application/json"}
    )
    assert big.status_code == 413
    assert big.json()["errors"][0]["extensions"]["code"] == PAYLOAD_TOO_LARGE
    assert "larger than" in big.json()["errors"][0]["message"]


def test_a_streamed_body_without_a_length_is_counted_as_it_arrives(client: TestClient) -> None:
    body = _big_query(LIMITS.graphql_max_body_kb * 1024)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == PAYLOAD_TOO_LARGE


# --- rate --------------------------------------------------------------------------------
def test_the_rate_limit_trips_per_key_and_resets(
    sample_graph: Driver, neo4j_settings: Settings
) -> None:
    settings = neo4j_settings.model_copy(
        update={"allow_anonymous": True, "rate_limit_per_minute": 100, "rate_limit_burst": 3}
    )
    query = {"query": "{ __typename }"}
    with TestClient(create_app(settings)) as test_client:
        for _ in range(3):
            assert test_client.post("/graphql", json=query).status_code == 200
        refused = test_client.post("/graphql", json=query)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 2
        assert refused.json()["errors"][0]["extensions"]["code"] == RATE_LIMITED
        # another key has its own budget; probes are never limited
        other = {"x-api-key": "cb_another"}
        assert test_client.post("/graphql", json=query, headers=other).status_code != 429
        assert all(test_client.get("/healthz").status_code == 200 for _ in range(10))
        time.sleep(1.1)
        assert test_client.post("/graphql", json=query).status_code == 200


def test_the_minute_window_holds_after_the_burst_resets(
    sample_graph: Driver, neo4j_settings: Settings
) -> None:
    settings = neo4j_settings.model_copy(
        update={"allow_anonymous": True, "rate_limit_per_minute": 4, "rate_limit_burst": 3}
    )
    with TestClient(create_app(settings)) as test_client:
        statuses = []
        for _ in range(2):
            statuses += [
                test_client.get("/graphql?query={__typename}").status_code for _ in range(3)
            ]
            time.sleep(1.1)
        assert statuses == [200, 200, 200, 200, 429, 429]
        assert int(test_client.get("/graphql?query={__typename}").headers["retry-after"]) > 50


def test_the_rate_limit_can_be_switched_off(sample_graph: Driver, neo4j_settings: Settings) -> None:
    settings = neo4j_settings.model_copy(
        update={"allow_anonymous": True, "rate_limit_per_minute": 0, "rate_limit_burst": 1}
    )
    with TestClient(create_app(settings)) as test_client:
        assert {test_client.get("/graphql?query={__typename}").status_code for _ in range(5)} == {
            200
        }


def test_the_client_key_is_the_credential_digest_or_the_address() -> None:
    def scope(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
        return {"headers": list(headers), "client": ("10.0.0.7", 5000)}

    bearer = client_key(scope((b"authorization", b"Bearer cb_secret")))
    assert bearer.startswith("key:")
    assert "cb_secret" not in bearer
    assert bearer != client_key(scope((b"authorization", b"Bearer cb_other")))
    assert client_key(scope((b"x-api-key", b"cb_secret"))).startswith("key:")
    assert client_key(scope()) == "addr:10.0.0.7"


def test_a_page_of_500_is_allowed_and_501_refused(client: TestClient) -> None:
    """Regression: a full page of 500 asked the query layer for 501 rows (one to tell whether
    another page follows), which it refused as BAD_USER_INPUT."""
    body = _post(client, "{ people(first: 500) { totalCount pageInfo { hasNextPage } } }").json()
    assert "errors" not in body
    assert body["data"]["people"]["pageInfo"]["hasNextPage"] is False
    refused = _post(client, "{ people(first: 501) { totalCount } }").json()
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
