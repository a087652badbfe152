"""Network measures (questions.md §5): the sample's published betweenness, clusters, the
collaboration index, and exact answers on a hand-built graph."""

from __future__ import annotations

import json
import math
from datetime import date

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from neo4j import Driver
from scipy import sparse

from cobuild.settings import Settings
from graph.model import RegionLevel
from queries.errors import BadArgumentError, NotFoundError
from queries.network import (
    BrokersResult,
    ClustersResult,
    CollaborationResult,
    NetworkView,
    betweenness,
    clear_cache,
    collaboration_index,
    find_brokers,
    find_clusters,
)
from tests.conftest import SAMPLE
from tests.queries.conftest import RunQuery

ANSWERS = json.loads((SAMPLE / "answers.json").read_text(encoding="utf-8"))
BROKERS = ANSWERS["brokers"]
AS_OF = date.fromisoformat(ANSWERS["as_of"])


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_cache()


def _brokers(run_query: RunQuery, **options: object) -> BrokersResult:
    return run_query(  # type: ignore[no-any-return]
        lambda d, db: find_brokers(d, db, as_of=AS_OF, **options)  # type: ignore[arg-type]
    )


# --- the sample ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "options"),
    [
        ("full_graph", {}),
        ("full_graph_with_non_members", {"include_non_members": True}),
        ("unit_projection", {"view": NetworkView.UNITS}),
    ],
)
def test_betweenness_matches_the_published_top5(
    sample_graph: Driver, run_query: RunQuery, published: str, options: dict[str, object]
) -> None:
    result = _brokers(run_query, limit=5, **options)
    assert result.exact
    assert result.samples is None
    assert result.brokers[0].unit.id == BROKERS["top_broker"]["id"]
    assert result.brokers[0].unit.name == BROKERS["top_broker"]["name"]
    got = [[b.unit.id, round(b.betweenness, 1)] for b in result.brokers]
    assert got == BROKERS["betweenness_top5"][published]


def test_unit_projection_components(sample_graph: Driver, run_query: RunQuery) -> None:
    result = _brokers(run_query, view=NetworkView.UNITS)
    expected = BROKERS["betweenness_top5"]["unit_projection_components"]
    assert list(result.component_sizes[: len(expected)]) == expected


def test_region_filter_keeps_the_region_s_units(sample_graph: Driver, run_query: RunQuery) -> None:
    whole = _brokers(run_query, limit=1000)
    district = _brokers(run_query, region_id="370202", limit=1000)
    assert district.region is not None
    assert district.region.name == "市南区"
    ids = {b.unit.id for b in district.brokers}
    # The top broker sits at city level, above the district: it is not in its network.
    assert BROKERS["top_broker"]["id"] not in ids
    assert ids < {b.unit.id for b in whole.brokers}
    assert district.nodes < whole.nodes


def test_a_region_without_units_has_an_empty_network(
    sample_graph: Driver, run_query: RunQuery
) -> None:
    building = "370202001001W01X01B01"  # a building where no unit sits
    brokers = _brokers(run_query, region_id=building)
    assert (brokers.nodes, brokers.edges, brokers.brokers) == (0, 0, ())
    clusters: ClustersResult = run_query(lambda d, db: find_clusters(d, db, region_id=building))
    assert clusters.clusters == ()
    assert clusters.modularity is None


def test_sampled_betweenness_says_so(sample_graph: Driver, run_query: RunQuery) -> None:
    result = _brokers(run_query, samples=40)
    assert not result.exact
    assert result.samples == 40
    assert all(math.isfinite(b.betweenness) and b.betweenness >= 0 for b in result.brokers)


def test_clusters_separate_the_two_sides(sample_graph: Driver, run_query: RunQuery) -> None:
    result: ClustersResult = run_query(lambda d, db: find_clusters(d, db, as_of=AS_OF))
    again: ClustersResult = run_query(lambda d, db: find_clusters(d, db, as_of=AS_OF))
    assert result == again  # fixed seed, cached or not
    cluster_of = {u.id: c.id for c in result.clusters for u in c.units}
    # 八大关 (杉腾洲) and 湛山 (兰雅桥) work in different clusters.
    assert cluster_of["PO-370202001001"] != cluster_of["PO-370202002001"]
    assert result.modularity is not None
    assert 0.3 < result.modularity < 1
    assert sum(c.size for c in result.clusters) + result.smaller == result.units
    assert len(cluster_of) == sum(c.size for c in result.clusters)
    assert [c.id for c in result.clusters] == list(range(1, len(result.clusters) + 1))
    sizes = [c.size for c in result.clusters]
    assert sizes == sorted(sizes, reverse=True)
    assert min(sizes) >= 2
    assert result.clusters[0].main_scenarios


def test_collaboration_index_adds_up(sample_graph: Driver, run_query: RunQuery) -> None:
    result: CollaborationResult = run_query(
        lambda d, db: collaboration_index(d, db, region_id="370202", as_of=AS_OF, limit=1000)
    )
    assert {r.region.name for r in result.regions if r.region} == {
        "八大关街道",
        "湛山街道",
        "香港中路街道",
    }
    for row in (result.overall, *result.regions):
        ties = row.agreements + row.resource_usages + row.shared_people
        assert row.index == pytest.approx(ties / row.units)
    assert result.total_units == result.overall.units == len(result.units)
    for unit in result.units:
        assert unit.index == unit.agreements + unit.resource_usages + unit.shared_people
    keys = [(-u.index, u.unit.id) for u in result.units]
    assert keys == sorted(keys)


def test_errors(sample_graph: Driver, run_query: RunQuery) -> None:
    with pytest.raises(NotFoundError):
        run_query(lambda d, db: find_brokers(d, db, region_id="999"))
    with pytest.raises(BadArgumentError):
        run_query(lambda d, db: find_brokers(d, db, limit=0))
    with pytest.raises(BadArgumentError):
        run_query(lambda d, db: find_brokers(d, db, samples=0))
    with pytest.raises(BadArgumentError):
        run_query(lambda d, db: find_clusters(d, db, min_size=0))
    with pytest.raises(BadArgumentError):
        run_query(lambda d, db: collaboration_index(d, db, level="planet"))
    with pytest.raises(BadArgumentError):  # a street is not below a street
        run_query(lambda d, db: collaboration_index(d, db, region_id="370202001", level="street"))


# --- the vectorised betweenness, pure -------------------------------------------------------

graphs = st.integers(min_value=1, max_value=24).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
    )
)


@settings(max_examples=150, deadline=None)
@given(graph=graphs, batch=st.integers(min_value=1, max_value=9))
def test_vectorised_betweenness_equals_networkx(
    graph: tuple[int, list[tuple[int, int]]], batch: int
) -> None:
    n, edges = graph
    g: nx.Graph[int] = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from((a, b) for a, b in edges if a != b)
    adjacency = sparse.csr_array(nx.to_scipy_sparse_array(g, nodelist=range(n), weight=None))
    expected = nx.betweenness_centrality(g, normalized=False)
    want = [pytest.approx(expected[i], abs=1e-9) for i in range(n)]
    assert betweenness(adjacency, batch=batch).tolist() == want
    # Every node as a "sample" is the exact answer again (the scale factor is 1).
    assert betweenness(adjacency, np.arange(n, dtype=np.int64), batch=batch).tolist() == want


# --- a hand-built graph with exact answers (it replaces the sample: keep these last) -----------

# U1 (org, street S1) — G1 — U2 (party org, S1) — P1 (member) — U3 (org, S2) — R1 — U1: a
# 6-cycle; G3 hangs off U3 (its other party U4 expired); U5 (S2) is isolated. G2 expired, R2
# is past its period, P2 is not a party member.
TINY = """
CREATE (d:Region {id: 'D', name: '区', level: 'district', level_rank: 2})
CREATE (s1:Region {id: 'S1', name: '一街道', level: 'street', level_rank: 3})-[:PART_OF]->(d)
CREATE (s2:Region {id: 'S2', name: '二街道', level: 'street', level_rank: 3})-[:PART_OF]->(d)
CREATE (u1:Organization:Unit {id: 'U1', name: '一公司'})-[:IN_REGION]->(s1)
CREATE (u2:PartyOrg:Unit {id: 'U2', name: '二支部'})-[:IN_REGION]->(s1)
CREATE (u3:Organization:Unit {id: 'U3', name: '三公司'})-[:IN_REGION]->(s2)
CREATE (u4:PartyOrg:Unit {id: 'U4', name: '临时支部', valid_to: date('2020-01-01')})
       -[:IN_REGION]->(s2)
CREATE (u5:Organization:Unit {id: 'U5', name: '五公司'})-[:IN_REGION]->(s2)
CREATE (g1:Agreement {id: 'G1', name: '一二结对', topics: ['养老服务']})
CREATE (g2:Agreement {id: 'G2', name: '过期协议', expires_on: date('2020-01-01')})
CREATE (g3:Agreement {id: 'G3', name: '三与临时', topics: ['应急处置']})
CREATE (u1)-[:PARTY_TO]->(g1), (u2)-[:PARTY_TO]->(g1)
CREATE (u2)-[:PARTY_TO]->(g2), (u3)-[:PARTY_TO]->(g2)
CREATE (u3)-[:PARTY_TO]->(g3), (u4)-[:PARTY_TO]->(g3)
CREATE (p1:Person {id: 'P1', name: '党员', is_party_member: true})
CREATE (p1)-[:MEMBER_OF]->(u2), (p1)-[:EMPLOYED_BY]->(u3)
CREATE (p2:Person {id: 'P2', name: '群众', is_party_member: false})
CREATE (p2)-[:EMPLOYED_BY]->(u1), (p2)-[:REPORTS_TO]->(u2)
CREATE (r1:Resource {id: 'R1', name: '一食堂', scenarios: ['助餐']})-[:OWNED_BY]->(u1)
CREATE (u3)-[:USED {id: 'X1', used_on: date('2025-05-01')}]->(r1)
CREATE (r2:Resource {id: 'R2', name: '旧设备', available_to: date('2020-01-01')})-[:OWNED_BY]->(u3)
CREATE (u2)-[:USED {id: 'X2', used_on: date('2019-06-01')}]->(r2)
"""
TINY_EDGES = [
    ("U:U1", "A:G1"), ("U:U2", "A:G1"), ("U:U2", "P:P1"), ("U:U3", "P:P1"),
    ("U:U1", "R:R1"), ("U:U3", "R:R1"), ("U:U3", "A:G3"),
]  # fmt: skip


@pytest.fixture
def tiny_graph(empty_graph: Driver, neo4j_settings: Settings) -> Driver:
    empty_graph.execute_query(TINY, database_=neo4j_settings.neo4j_database)
    return empty_graph


def test_brokers_on_a_hand_built_graph(tiny_graph: Driver, run_query: RunQuery) -> None:
    result = _brokers(run_query, limit=10)
    # Worked by hand: U3 carries G3's five pairs, (P1, R1), and half of (P1, U1), (U2, R1).
    assert [(b.unit.id, b.betweenness) for b in result.brokers] == [
        ("U3", 7.0), ("U1", 2.5), ("U2", 2.5), ("U5", 0.0),
    ]  # fmt: skip
    assert (result.nodes, result.edges) == (8, 7)
    assert result.component_sizes == (7, 1)
    assert result.brokers[0].normalized == pytest.approx(7.0 / (7 * 6 / 2))
    assert result.brokers[0].degree == 3

    with_everyone = _brokers(run_query, include_non_members=True)
    expected = nx.betweenness_centrality(
        nx.Graph([*TINY_EDGES, ("U:U1", "P:P2"), ("U:U2", "P:P2")]), normalized=False
    )
    assert {b.unit.id: b.betweenness for b in with_everyone.brokers if b.unit.id != "U5"} == {
        node[2:]: pytest.approx(value) for node, value in expected.items() if node[:2] == "U:"
    }

    street = _brokers(run_query, region_id="S2")
    # Inside S2 only U3 and U5: U3 is the hub of P1, R1 and G3 (three pairs).
    assert [(b.unit.id, b.betweenness) for b in street.brokers] == [("U3", 3.0), ("U5", 0.0)]

    projection = _brokers(run_query, view=NetworkView.UNITS)
    assert (projection.nodes, projection.edges) == (4, 3)


def test_clusters_on_a_hand_built_graph(tiny_graph: Driver, run_query: RunQuery) -> None:
    result: ClustersResult = run_query(lambda d, db: find_clusters(d, db, as_of=AS_OF))
    assert len(result.clusters) == 1
    assert result.smaller == 1
    cluster = result.clusters[0]
    assert {u.id for u in cluster.units} == {"U1", "U2", "U3"}
    assert (cluster.internal_ties, cluster.external_ties) == (3, 0)
    # G1 has two parties inside; R1 is owned inside; G3 has one active party only.
    assert {s.scenario for s in cluster.main_scenarios} == {"养老服务", "助餐"}


def test_collaboration_index_on_a_hand_built_graph(
    tiny_graph: Driver, neo4j_settings: Settings, run_query: RunQuery
) -> None:
    result: CollaborationResult = run_query(lambda d, db: collaboration_index(d, db, as_of=AS_OF))
    assert result.level is RegionLevel.STREET
    rows = [(u.unit.id, u.agreements, u.resource_usages, u.shared_people) for u in result.units]
    # G1 joins U1–U2; usages X1 (U3 used U1's R1) and X2 (U2 used U3's R2, a past usage);
    # P1 joins U2–U3; P2 is no party member.
    assert rows == [("U2", 1, 1, 1), ("U3", 0, 2, 1), ("U1", 1, 1, 0), ("U5", 0, 0, 0)]
    regions = {r.region.id: (r.units, r.index) for r in result.regions if r.region}
    assert regions == {"S1": (2, 2.0), "S2": (2, 1.5)}
    assert (result.overall.units, result.overall.index) == (4, 1.0)

    recent: CollaborationResult = run_query(
        lambda d, db: collaboration_index(d, db, as_of=AS_OF, since=date(2025, 1, 1))
    )
    indexes = {r.region.id: r.index for r in recent.regions if r.region}
    assert indexes == {"S1": 1.5, "S2": 1.0}

    # No completed ingest run: nothing is cached, so an edit shows at once.
    tiny_graph.execute_query(
        "MATCH (u3:Unit {id: 'U3'}), (u5:Unit {id: 'U5'}) "
        "CREATE (u3)-[:PARTY_TO]->(:Agreement {id: 'G4', name: '三五'})<-[:PARTY_TO]-(u5)",
        database_=neo4j_settings.neo4j_database,
    )
    edited: CollaborationResult = run_query(lambda d, db: collaboration_index(d, db, as_of=AS_OF))
    assert {u.unit.id: u.agreements for u in edited.units}["U5"] == 1


def test_cache_follows_the_latest_ingest_run(
    tiny_graph: Driver, neo4j_settings: Settings, run_query: RunQuery
) -> None:
    db = neo4j_settings.neo4j_database
    tiny_graph.execute_query(
        "CREATE (:IngestRun {id: 'run-1', status: 'completed', finished_at: datetime()})",
        database_=db,
    )
    before = _brokers(run_query)
    tiny_graph.execute_query("MATCH (u:Unit {id: 'U5'}) DETACH DELETE u", database_=db)
    assert _brokers(run_query) == before  # cached for run-1
    tiny_graph.execute_query(
        "CREATE (:IngestRun {id: 'run-2', status: 'completed', "
        "finished_at: datetime() + duration('PT1S')})",
        database_=db,
    )
    after = _brokers(run_query)
    assert "U5" not in {b.unit.id for b in after.brokers}
    assert after.nodes == before.nodes - 1
