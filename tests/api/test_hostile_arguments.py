"""Hostile strings through every String/ID argument of every root field, and every string
field of every input type: nothing is executed, nothing changes, nothing is a 500.

Every argument takes the whole corpus, 21 strings to a request as aliases (about 200
requests, three minutes on CI's two cores)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    is_leaf_type,
)
from neo4j import Driver

from api.app import create_app
from cobuild.settings import Settings
from graph.checksum import graph_checksum
from tests.hostile import HOSTILE

MASKED: Final = "internal error; it has been logged"
# Strings per request, as aliases: within the alias limit (30), one request per batch.
BATCH: Final = 21
# The kinds of place the attack must reach: ids, free text, filters, cursors, nested inputs.
KINDS_OF_PLACE: Final = frozenset(
    {
        "region(id)",
        "unit(id)",
        "search(text)",
        "organizations(where.sector)",
        "people(after)",
        "pathways(from)",
        "partners(need.skills)",
        "coverage(regionId)",
    }
)
# A node no query may delete: it has no label the API knows.
CANARY: Final = "CREATE (:Canary {id: 'canary', note: $note})"
CANARY_LEFT: Final = "MATCH (c:Canary {id: 'canary'}) RETURN count(c) AS n"
DROP_CANARY: Final = "MATCH (c:Canary) DELETE c"
# Valid stand-ins for the arguments not under attack (a region of the sample, mostly).
FILLERS: Final[dict[str, Any]] = {
    "ID": "370202001",
    "String": "法律",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Date": "2026-06-01",
}


@dataclass(frozen=True)
class Target:
    """One place a string goes: ``field(argument: …)``, or a field of that argument's input."""

    field: str
    argument: str
    input_field: str | None = None

    def __str__(self) -> str:
        inner = f".{self.input_field}" if self.input_field else ""
        return f"{self.field}({self.argument}{inner})"


def _is_text(input_type: GraphQLInputType) -> bool:
    named = get_named_type(input_type)
    return isinstance(named, GraphQLScalarType) and named.name in {"String", "ID"}


def _is_list(input_type: GraphQLInputType) -> bool:
    inner = input_type.of_type if isinstance(input_type, GraphQLNonNull) else input_type
    return isinstance(inner, GraphQLList)


def _filler(input_type: GraphQLInputType) -> Any:
    named = get_named_type(input_type)
    if isinstance(named, GraphQLEnumType):
        value: Any = next(iter(named.values))
    elif isinstance(named, GraphQLInputObjectType):
        value = {
            name: _filler(f.type)
            for name, f in named.fields.items()
            if isinstance(f.type, GraphQLNonNull)
        }
    else:
        value = FILLERS[named.name]
    return [value] if _is_list(input_type) else value


def targets(schema: GraphQLSchema) -> list[Target]:
    """Every String/ID argument of every root field, and every String/ID field of an input."""
    assert schema.query_type is not None
    found: list[Target] = []
    for name, field in schema.query_type.fields.items():
        for arg_name, arg in field.args.items():
            named = get_named_type(arg.type)
            if _is_text(arg.type):
                found.append(Target(name, arg_name))
            elif isinstance(named, GraphQLInputObjectType):
                found += [
                    Target(name, arg_name, input_name)
                    for input_name, input_field in named.fields.items()
                    if _is_text(input_field.type)
                ]
    return found


def _request(schema: GraphQLSchema, target: Target, texts: Sequence[str]) -> dict[str, Any]:
    """One document asking ``target`` once per text (aliases ``h0``, ``h1``, …), so a batch
    of the corpus costs one request; the other required arguments get valid fillers."""
    assert schema.query_type is not None
    field: GraphQLField = schema.query_type.fields[target.field]
    variables: dict[str, Any] = {}
    definitions: list[str] = []
    for arg_name, arg in field.args.items():
        if arg_name != target.argument and isinstance(arg.type, GraphQLNonNull):
            variables[arg_name] = _filler(arg.type)
            definitions.append(f"${arg_name}: {arg.type}")
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    attacked = field.args[target.argument]
    calls: list[str] = []
    for i, text in enumerate(texts):
        if target.input_field is None:
            value: Any = [text] if _is_list(attacked.type) else text
        else:
            named = get_named_type(attacked.type)
            assert isinstance(named, GraphQLInputObjectType)
            value = _filler(GraphQLNonNull(named))
            input_type = named.fields[target.input_field].type
            value[target.input_field] = [text] if _is_list(input_type) else text
            value = [value] if _is_list(attacked.type) else value
        variables[f"h{i}"] = value
        definitions.append(f"$h{i}: {attacked.type}")
        arguments = [f"{target.argument}: $h{i}"]
        arguments += [f"{a}: ${a}" for a in field.args if a in variables]
        calls.append(f"h{i}: {target.field}({', '.join(arguments)}){selection}")
    document = f"query Hostile({', '.join(definitions)}) {{ {' '.join(calls)} }}"
    return {"query": document, "variables": variables}


@pytest.fixture
def client(sample_graph: Driver, neo4j_settings: Settings) -> Iterator[TestClient]:
    settings = neo4j_settings.model_copy(
        update={"allow_anonymous": True, "rate_limit_per_minute": 0}
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_the_corpus_reaches_every_text_argument(client: TestClient) -> None:
    schema = build_client_schema(
        client.post("/graphql", json={"query": get_introspection_query()}).json()["data"]
    )
    found = {str(t) for t in targets(schema)}
    assert found >= KINDS_OF_PLACE
    assert len(found) >= 60


def test_hostile_strings_execute_nothing_and_change_nothing(
    client: TestClient, sample_graph: Driver, neo4j_settings: Settings
) -> None:
    db = neo4j_settings.neo4j_database
    schema = build_client_schema(
        client.post("/graphql", json={"query": get_introspection_query()}).json()["data"]
    )
    sample_graph.execute_query(CANARY, note="金丝雀", database_=db)
    try:
        before = graph_checksum(sample_graph, db)
        failures: list[str] = []
        answered = 0
        expected = 0
        for target in targets(schema):
            expected += len(HOSTILE)
            for start in range(0, len(HOSTILE), BATCH):
                texts = HOSTILE[start : start + BATCH]
                response = client.post("/graphql", json=_request(schema, target, texts))
                if response.status_code >= 500:
                    failures.append(f"{target}: HTTP {response.status_code}")
                    continue
                body = response.json()
                if "data" not in body and "errors" not in body:
                    failures.append(f"{target}: not a GraphQL response: {body}")
                for error in body.get("errors") or []:
                    code = (error.get("extensions") or {}).get("code")
                    if error["message"] == MASKED or code == "INTERNAL_SERVER_ERROR":
                        text = texts[int(error["path"][0][1:])] if error.get("path") else ""
                        failures.append(f"{target} ← {text[:40]!r}: {error['message']}")
                answered += len(texts)
        assert failures == []
        assert answered == expected
        assert expected == len(targets(schema)) * len(HOSTILE)
        after = graph_checksum(sample_graph, db)
        assert after == before
        records, _, _ = sample_graph.execute_query(CANARY_LEFT, database_=db)
        assert records[0]["n"] == 1
    finally:
        sample_graph.execute_query(DROP_CANARY, database_=db)


def test_search_text_too_long_for_lucene_is_bad_user_input(client: TestClient) -> None:
    """Regression: 5,000 Chinese characters overflowed Lucene's clause limit (a masked 500)."""
    query = "query($t: String!) { search(text: $t) { score } }"
    long_text = client.post("/graphql", json={"query": query, "variables": {"t": "长" * 5000}})
    (error,) = long_text.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "200" in error["message"]
    at_limit = client.post("/graphql", json={"query": query, "variables": {"t": "党建" * 100}})
    assert "errors" not in at_limit.json()
