"""The SDL kept in the repo is the schema served: a change without an export fails here."""

from __future__ import annotations

from api.schema import schema
from tests.conftest import ROOT


def test_exported_sdl_is_current() -> None:
    exported = (ROOT / "api" / "schema.graphql").read_text(encoding="utf-8")
    assert exported == str(schema) + "\n", (
        "the GraphQL schema changed: run `uv run cobuild export-schema` and commit the file"
    )


def test_every_type_and_field_is_described() -> None:
    undocumented = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in {
            "String",
            "Int",
            "Float",
            "Boolean",
            "ID",
            "Date",
            "DateTime",
            "Query",
        }:
            continue
        if not graphql_type.description:
            undocumented.append(name)
    assert undocumented == []
