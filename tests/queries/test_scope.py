"""Scopes on a tiny hand-built city: what lies inside, and how paths through the outside read."""

from __future__ import annotations

import pytest
from neo4j import Driver

from cobuild.settings import Settings
from queries.entities import Kind, ListFilter, count_entities, nodes_by_id
from queries.errors import NotFoundError
from queries.pathways import NodeKind, paths_between
from queries.scope import scope_of
from tests.queries.conftest import RunQuery

# Street A and street B under one city. Org1 and Org2 sit in A; the party organisation POB and
# the resource RB sit in B. X works at Org1 (so lies in A's scope) and is a member of POB; Y
# lives in B and is a member of POB only (outside). Org1 and Org2 both used RB.
CITY = """
CREATE (c:Region {id: 'C', name: '测试市', level: 'city', level_rank: 1})
CREATE (a:Region {id: 'A', name: '甲街道', level: 'street', level_rank: 3})-[:PART_OF]->(c)
CREATE (b:Region {id: 'B', name: '乙街道', level: 'street', level_rank: 3})-[:PART_OF]->(c)
CREATE (o1:Organization:Unit {id: 'O1', name: '甲一公司', kind: 'enterprise',
                              sector: 'new_economic'})-[:IN_REGION]->(a)
CREATE (o2:Organization:Unit {id: 'O2', name: '甲二公司', kind: 'enterprise',
                              sector: 'new_economic'})-[:IN_REGION]->(a)
CREATE (pob:PartyOrg:Unit {id: 'POB', name: '乙街道党工委', type: 'committee'})-[:IN_REGION]->(b)
CREATE (rb:Resource {id: 'RB', name: '乙街道活动室', kind: 'venue'})-[:IN_REGION]->(b)
CREATE (rb)-[:OWNED_BY]->(pob)
CREATE (x:Person {id: 'X', name: '甲员工', is_party_member: true})-[:EMPLOYED_BY]->(o1)
CREATE (x)-[:MEMBER_OF]->(pob), (x)-[:RESIDES_IN]->(b)
CREATE (y:Person {id: 'Y', name: '乙居民', is_party_member: true})-[:MEMBER_OF]->(pob)
CREATE (y)-[:RESIDES_IN]->(b)
CREATE (o1)-[:USED {id: 'U1'}]->(rb), (o2)-[:USED {id: 'U2'}]->(rb)
"""


def test_what_lies_in_a_street_s_scope(
    empty_graph: Driver, neo4j_settings: Settings, run_query: RunQuery
) -> None:
    empty_graph.execute_query(CITY, database_=neo4j_settings.neo4j_database)
    scope = run_query(lambda d, db: scope_of(d, db, "A"))
    assert scope.region_ids == {"A"}
    found = run_query(lambda d, db: nodes_by_id(d, db, Kind.PERSON, ["X", "Y"], scope))
    assert set(found) == {"X"}  # X works in A; Y only lives and is a member in B
    units = run_query(lambda d, db: nodes_by_id(d, db, None, ["O1", "O2", "POB"], scope))
    assert set(units) == {"O1", "O2"}
    people = run_query(lambda d, db: count_entities(d, db, Kind.PERSON, ListFilter(), scope))
    assert people == 1
    nowhere = run_query(lambda d, db: scope_of(d, db, "NO-SUCH-REGION"))
    assert nowhere.region_ids == frozenset()
    assert run_query(lambda d, db: count_entities(d, db, Kind.REGION, ListFilter(), nowhere)) == 0


def test_a_path_through_the_outside_shows_units_by_name_and_the_rest_generically(
    empty_graph: Driver, neo4j_settings: Settings, run_query: RunQuery
) -> None:
    empty_graph.execute_query(CITY, database_=neo4j_settings.neo4j_database)
    scope = run_query(lambda d, db: scope_of(d, db, "A"))
    result = run_query(
        lambda d, db: paths_between(d, db, "O1", "O2", k=5, include_non_members=True, scope=scope)
    )
    # O1 – RB – O2: the resource outside, by a generic name and a placeholder id.
    via_resource = [p for p in result.paths if p.length == 2]
    assert len(via_resource) == 1
    middle = via_resource[0].nodes[1]
    assert [n.id for n in via_resource[0].nodes][::2] == ["O1", "O2"]
    assert middle.kind is NodeKind.RESOURCE
    assert middle.id.startswith("outside-scope-")
    assert middle.name == "辖区外资源"
    every = [n for p in result.paths for n in p.nodes]
    outside = [n for n in every if n.id.startswith("outside-scope-")]
    assert outside
    assert {n.id for n in every} & {"RB", "POB", "Y"} == set()
    for node in outside:
        assert node.category is None
        assert node.is_party_member is None
        if node.kind is NodeKind.PARTY_ORG:
            assert node.name == "乙街道党工委"
        else:
            assert node.name in {"辖区外资源", "辖区外人员", "辖区外共建协议"}
    for path in result.paths:
        ids = {n.id for n in path.nodes}
        for step in path.steps:
            for tie in step.ties:
                assert {tie.start_id, tie.end_id} <= ids
        assert "RB" not in path.explanation
        assert "乙街道活动室" not in path.explanation
        assert "乙居民" not in path.explanation

    whole = run_query(lambda d, db: paths_between(d, db, "O1", "O2", k=5, include_non_members=True))
    assert "RB" in {n.id for p in whole.paths for n in p.nodes}


def test_ends_outside_the_scope_read_as_unknown(
    empty_graph: Driver, neo4j_settings: Settings, run_query: RunQuery
) -> None:
    empty_graph.execute_query(CITY, database_=neo4j_settings.neo4j_database)
    scope = run_query(lambda d, db: scope_of(d, db, "A"))
    with pytest.raises(NotFoundError, match="POB"):
        run_query(lambda d, db: paths_between(d, db, "O1", "POB", scope=scope))
