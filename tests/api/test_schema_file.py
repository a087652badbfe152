"""The SDL kept in the repo is the schema served: a change without an export fails here."""

from __future__ import annotations

import re

from graphql import GraphQLInputObjectType, GraphQLObjectType

from api.schema import schema
from tests.conftest import ROOT


def test_exported_sdl_is_current() -> None:
    exported = (ROOT / "api" / "schema.graphql").read_text(encoding="utf-8")
    assert exported == str(schema) + "\n", (
        "the GraphQL schema changed: run `uv run cobuild export-schema` and commit the file"
    )


def _bilingual(text: str | None) -> bool:
    """English and Chinese, and not a Python signature or docstring leaking through."""
    return bool(
        text
        and re.search(r"[\u4e00-\u9fff]", text)
        and re.search(r"[A-Za-z]", text)
        and not re.match(r"^[A-Z][A-Za-z]+\(\w+: '", text)
        and "Enum where members" not in text
    )


def test_every_type_and_field_is_described_in_english_and_chinese() -> None:
    undescribed = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in {
            "String",
            "Int",
            "Float",
            "Boolean",
            "ID",
            "Date",
            "DateTime",
        }:
            continue
        if not _bilingual(graphql_type.description):
            undescribed.append(name)
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInputObjectType):
            undescribed += [
                f"{name}.{field_name}"
                for field_name, field in graphql_type.fields.items()
                if not _bilingual(field.description)
            ]
    assert undescribed == []
