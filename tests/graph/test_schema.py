"""The schema exists after start, and Chinese full-text search works on it."""

from __future__ import annotations

from neo4j import Driver

from cobuild.settings import Settings
from graph import schema
from graph.migrations import MIGRATIONS, applied_versions, migrate


def test_migrations_recorded_and_idempotent(driver: Driver, neo4j_settings: Settings) -> None:
    db = neo4j_settings.neo4j_database
    assert applied_versions(driver, db) == {m.version for m in MIGRATIONS}
    assert migrate(driver, db) == []  # a second start applies nothing


def test_every_constraint_and_index_is_online(driver: Driver, neo4j_settings: Settings) -> None:
    db = neo4j_settings.neo4j_database
    records, _, _ = driver.execute_query(schema.SHOW_CONSTRAINTS, database_=db)
    constraints = set(records[0]["names"])
    assert {"region_id", "unit_id", "person_id", "used_id"} <= constraints
    declared = [s for m in MIGRATIONS for s in m.statements if s.startswith("CREATE CONSTRAINT")]
    assert len(constraints) == len(declared)
    indexes, _, _ = driver.execute_query(schema.SHOW_INDEXES, database_=db)
    by_name = {r["name"]: r for r in indexes}
    assert all(r["state"] == "ONLINE" for r in indexes)
    fulltext = by_name[schema.FULLTEXT_INDEX]
    assert fulltext["type"] == "FULLTEXT"
    assert fulltext["analyzer"] == "cjk"


def test_chinese_fulltext_finds_substring(empty_graph: Driver, neo4j_settings: Settings) -> None:
    db = neo4j_settings.neo4j_database
    empty_graph.execute_query(
        "UNWIND $rows AS row MERGE (p:PartyOrg:Unit {id: row.id}) SET p.name = row.name",
        rows=[
            {"id": "PO-1", "name": "八大关街道党工委"},
            {"id": "PO-2", "name": "湛山街道党工委"},
        ],
        database_=db,
    )
    records, _, _ = empty_graph.execute_query(
        "CALL db.index.fulltext.queryNodes($index, $text) YIELD node RETURN node.id AS id",
        index=schema.FULLTEXT_INDEX,
        text="八大关",
        database_=db,
    )
    assert [r["id"] for r in records] == ["PO-1"]


def test_uniqueness_is_enforced(empty_graph: Driver, neo4j_settings: Settings) -> None:
    import pytest
    from neo4j.exceptions import ConstraintError

    db = neo4j_settings.neo4j_database
    empty_graph.execute_query("CREATE (:Region {id: 'R1'})", database_=db)
    with pytest.raises(ConstraintError):
        empty_graph.execute_query("CREATE (:Region {id: 'R1'})", database_=db)
