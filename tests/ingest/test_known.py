"""What validation learns from the existing graph, seeking ids one by one or reading all."""

from __future__ import annotations

from neo4j import Driver

from cobuild.settings import Settings
from ingest.known import Neo4jKnownGraph
from ingest.validate import KnownEntity
from ingest.write import TABLES, stored_hashes


def test_seek_and_preload_agree(sample_graph: Driver, neo4j_settings: Settings) -> None:
    db = neo4j_settings.neo4j_database
    ids = ["370202001", "91370202MAEXC1JF4N", "PO-370202001002", "P-370202-90025", "nope"]
    seek = Neo4jKnownGraph(sample_graph, db).entities(ids)
    preload = Neo4jKnownGraph(sample_graph, db, preload_above=0).entities(ids)
    paged = Neo4jKnownGraph(sample_graph, db, preload_above=0, page_size=7).entities(ids)
    assert seek == preload == paged
    assert seek["370202001"] == KnownEntity("regions", "street")
    assert seek["91370202MAEXC1JF4N"] == KnownEntity("organizations", None)
    assert seek["PO-370202001002"] == KnownEntity("party_orgs", None)
    assert seek["P-370202-90025"].table == "people"
    assert "nope" not in seek


def test_skills_by_name_or_alias(sample_graph: Driver, neo4j_settings: Settings) -> None:
    known = Neo4jKnownGraph(sample_graph, neo4j_settings.neo4j_database)
    found = known.skills_by_name(["无人机操作", "没有这个技能"])
    assert list(found) == ["无人机操作"]


def test_stored_hashes_read_in_pages_are_whole(
    sample_graph: Driver, neo4j_settings: Settings
) -> None:
    """Every table's stored hashes, in pages of 7 or in one page, against a plain read."""
    db = neo4j_settings.neo4j_database
    plain = {
        "regions": "MATCH (n:Region) RETURN n.id AS key, n.row_hash AS hash",
        "people": "MATCH (n:Person) RETURN n.id AS key, n.row_hash AS hash",
        "person_skills": "MATCH (p:Person)-[r:HAS_SKILL]->(s:Skill) "
        "RETURN p.id + '|' + s.id AS key, r.row_hash AS hash",
        "resource_usages": "MATCH ()-[r:USED]->() RETURN r.id AS key, r.row_hash AS hash",
    }
    for spec in TABLES:
        whole = stored_hashes(sample_graph, db, spec)
        assert stored_hashes(sample_graph, db, spec, page_size=7) == whole
        assert len(whole) > 7
        assert all(whole.values())
        if spec.table in plain:
            records, _, _ = sample_graph.execute_query(plain[spec.table], database_=db)
            assert whole == {r["key"]: r["hash"] for r in records}
