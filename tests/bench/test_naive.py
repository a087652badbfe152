"""The naive loader the ingest benchmark compares with (bench.naive) writes the graph ingest
writes: the same nodes per label and relationships per type, from one generated city."""

from __future__ import annotations

from pathlib import Path

from neo4j import Driver

from bench.naive import naive_load
from cobuild.settings import Settings
from ingest.generate import generate
from ingest.pipeline import run_ingest
from tests.conftest import CLEAR_DATA

SHAPE = """
CALL () {
  MATCH (n) WHERE NOT (n:IngestRun OR n:SchemaMigration OR n:IngestConfig)
  UNWIND labels(n) AS label
  WITH label, count(*) AS n ORDER BY label
  RETURN collect([label, n]) AS nodes
}
CALL () {
  MATCH ()-[r]->()
  WITH type(r) AS type, count(*) AS n ORDER BY type
  RETURN collect([type, n]) AS relationships
}
RETURN nodes, relationships
"""


def _shape(driver: Driver, database: str) -> tuple[list[list[object]], list[list[object]]]:
    records, _, _ = driver.execute_query(SHAPE, database_=database)
    return records[0]["nodes"], records[0]["relationships"]


def test_naive_loader_writes_what_ingest_writes(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    db = neo4j_settings.neo4j_database
    folder = tmp_path / "city"
    generate(0.05, 3, folder)
    result = run_ingest(neo4j_settings, folder, driver=empty_graph)
    assert result.valid, result.report.issues[:5]
    ours = _shape(empty_graph, db)
    people = dict((str(label), int(str(n))) for label, n in ours[0]).get("Person", 0)
    assert people > 100  # a city, not an empty table

    with empty_graph.session(database=db) as session:
        session.run(CLEAR_DATA).consume()
    loaded = naive_load(empty_graph, db, folder, budget_s=600)
    assert not loaded["stopped_by_budget"]
    assert _shape(empty_graph, db) == ours

    again = naive_load(empty_graph, db, folder, budget_s=600)  # MERGE: nothing new
    assert again["rows"] == loaded["rows"]
    assert _shape(empty_graph, db) == ours


def test_naive_loader_stops_at_its_budget(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "city"
    generate(0.05, 3, folder)
    loaded = naive_load(empty_graph, neo4j_settings.neo4j_database, folder, budget_s=0.0)
    assert loaded["stopped_by_budget"]
    assert loaded["rows"] == 1
