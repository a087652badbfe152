"""Cross-unit pathways (questions.md §1): properties of every answer on a generated city, the
sample's cases PW1…PW7 under every option, properties of every answer against a brute-force
reference on the sample, exact answers on hand-built graphs, and the path selection on its
own."""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from cobuild.settings import Settings
from queries.errors import BadArgumentError, NotFoundError
from queries.pathways import (
    Candidate,
    NodeKind,
    PathNode,
    PathwaysResult,
    TieDirection,
    TieKind,
    paths_between,
    select_paths,
)
from tests.conftest import SAMPLE
from tests.queries.conftest import RunQuery, Unprinted

ANSWERS = json.loads((SAMPLE / "answers.json").read_text(encoding="utf-8"))
AS_OF = date.fromisoformat(ANSWERS["as_of"])

# The sample's names for ties → (tie kind, relationship type).
TIES = {
    "host": (TieKind.HIERARCHY, "SET_UP_IN"),
    "covers": (TieKind.HIERARCHY, "COVERS"),
    "parent": (TieKind.HIERARCHY, "SUBORDINATE_TO"),
    "agreement": (TieKind.AGREEMENT, "PARTY_TO"),
    "member": (TieKind.MEMBERSHIP, "MEMBER_OF"),
    "employed": (TieKind.EMPLOYMENT, "EMPLOYED_BY"),
    "reports": (TieKind.REPORTING, "REPORTS_TO"),
    "resource_owner": (TieKind.RESOURCE, "OWNED_BY"),
    "resource_user": (TieKind.RESOURCE, "USED"),
}
CASES = [
    pytest.param(case, option, id=f"{case['id']}-{option}")
    for case in ANSWERS["pathways"]
    for option in case["answers"]
]


def _options(answer: dict[str, Any]) -> dict[str, Any]:
    given_options = answer["options"]
    options: dict[str, Any] = {"as_of": AS_OF}
    if "as_of" in given_options:
        options["as_of"] = date.fromisoformat(given_options["as_of"])
    if "kinds" in given_options:
        options["tie_kinds"] = {TIES[name][0] for name in given_options["kinds"]}
    for flag in ("horizontal_only", "include_non_members"):
        if flag in given_options:
            options[flag] = given_options[flag]
    return options


def _paths(run_query: RunQuery, a: str, b: str, **options: Any) -> PathwaysResult:
    return run_query(lambda d, db: paths_between(d, db, a, b, **options))  # type: ignore[no-any-return]


def _shown(node: PathNode) -> str:
    """A node as the sample's answers write it: people as surname + 某 + membership."""
    if node.kind is NodeKind.PERSON:
        return f"{node.name[0]}某（{'党员' if node.is_party_member else '非党员'}）"
    return node.name


# --- properties on a generated city (first: test_partners.py ends on the same city, so it need
# not be loaded again before these; the sample's tests below load the sample back) ------------

# The facts the reference walks: every stored relationship of a type §1 walks, and every node of
# a label it walks. §1's rules are applied to them in Python, not in the module's Cypher.
CITY_TIES = """
MATCH (x)-[r:SUBORDINATE_TO|SET_UP_IN|COVERS|PARTY_TO|MEMBER_OF|EMPLOYED_BY|REPORTS_TO
           |OWNED_BY|USED]->(y)
RETURN type(r) AS type, x.id AS start, labels(x) AS start_labels, y.id AS end,
       labels(y) AS end_labels, r.retired_run IS NOT NULL AS retired
"""
CITY_NODES = """
MATCH (n) WHERE n:Unit OR n:Person OR n:Agreement OR n:Resource
RETURN n.id AS id, labels(n) AS labels, n.name AS name, n.type AS type,
       n.is_party_member AS member, n.valid_to AS valid_to, n.signed_on AS signed_on,
       n.expires_on AS expires_on, n.available_from AS available_from,
       n.available_to AS available_to
"""
# §1's table of ties: relationship type → (tie kind, label of its stored start, of its end).
WALKED = {
    "SUBORDINATE_TO": (TieKind.HIERARCHY, "PartyOrg", "PartyOrg"),
    "SET_UP_IN": (TieKind.HIERARCHY, "PartyOrg", "Organization"),
    "COVERS": (TieKind.HIERARCHY, "PartyOrg", "Organization"),
    "PARTY_TO": (TieKind.AGREEMENT, "Unit", "Agreement"),
    "MEMBER_OF": (TieKind.MEMBERSHIP, "Person", "PartyOrg"),
    "EMPLOYED_BY": (TieKind.EMPLOYMENT, "Person", "Organization"),
    "REPORTS_TO": (TieKind.REPORTING, "Person", "PartyOrg"),
    "OWNED_BY": (TieKind.RESOURCE, "Resource", "Unit"),
    "USED": (TieKind.RESOURCE, "Unit", "Resource"),
}
NODE_KINDS = {
    "Organization": NodeKind.ORGANIZATION,
    "PartyOrg": NodeKind.PARTY_ORG,
    "Person": NodeKind.PERSON,
    "Agreement": NodeKind.AGREEMENT,
    "Resource": NodeKind.RESOURCE,
}
Tie = tuple[str, str, str]  # (relationship type, stored start id, stored end id)


@dataclasses.dataclass(frozen=True)
class CityNode:
    id: str
    labels: frozenset[str]
    name: str
    type: str | None
    member: bool | None
    bounds: tuple[date | None, date | None]  # the period it is active in (None: open)

    def walkable(self, day: date, *, include_non_members: bool) -> bool:
        """questions.md: active at ``day`` (a missing bound is open), never retired, and
        people only when party members unless non-members are admitted."""
        if "Retired" in self.labels:
            return False
        if "Person" in self.labels and self.member is not True and not include_non_members:
            return False
        start, end = self.bounds
        return (start is None or start <= day) and (end is None or day <= end)


@dataclasses.dataclass(frozen=True)
class City(Unprinted):
    nodes: dict[str, CityNode]
    ties: list[Tie]  # §1's ties as stored, retired ones left out
    units: list[str]
    bounds: list[date]  # every date some node's activity starts or ends at


def _native(value: Any) -> date | None:
    return None if value is None else value.to_native()


def _bounds(record: Any) -> tuple[date | None, date | None]:
    labels = set(record["labels"])
    if "PartyOrg" in labels and record["type"] == "temporary":
        return None, _native(record["valid_to"])
    if "Agreement" in labels:
        return _native(record["signed_on"]), _native(record["expires_on"])
    if "Resource" in labels:
        return _native(record["available_from"]), _native(record["available_to"])
    return None, None


@pytest.fixture
def city(generated_graph: Driver, neo4j_settings: Settings) -> City:
    db = neo4j_settings.neo4j_database
    records, _, _ = generated_graph.execute_query(CITY_NODES, database_=db)
    nodes = {
        r["id"]: CityNode(
            r["id"], frozenset(r["labels"]), r["name"], r["type"], r["member"], _bounds(r)
        )
        for r in records
    }
    assert len(nodes) == len(records), "the reference tells nodes apart by their ids"
    records, _, _ = generated_graph.execute_query(CITY_TIES, database_=db)
    ties = [
        (r["type"], r["start"], r["end"])
        for r in records
        if not r["retired"]
        and WALKED[r["type"]][1] in r["start_labels"]
        and WALKED[r["type"]][2] in r["end_labels"]
    ]
    units = sorted(n.id for n in nodes.values() if "Unit" in n.labels and "Retired" not in n.labels)
    bounds = sorted({d for n in nodes.values() for d in n.bounds if d is not None})
    return City(nodes, ties, units, bounds)


def _pair(x: str, y: str) -> tuple[str, str]:
    return (x, y) if x < y else (y, x)


def _allowed(
    city: City, day: date, kinds: set[TieKind], *, include_non_members: bool
) -> dict[tuple[str, str], set[Tie]]:
    """Every tie the walk may take at ``day``, by the (unordered) pair of nodes it joins."""
    walkable = {
        n.id
        for n in city.nodes.values()
        if n.walkable(day, include_non_members=include_non_members)
    }
    allowed: dict[tuple[str, str], set[Tie]] = defaultdict(set)
    for tie in city.ties:
        relationship, start, end = tie
        if WALKED[relationship][0] in kinds and start in walkable and end in walkable:
            allowed[_pair(start, end)].add(tie)
    return allowed


def _walk_graph(allowed: dict[tuple[str, str], set[Tie]]) -> nx.Graph[str]:
    graph: nx.Graph[str] = nx.Graph()
    graph.add_edges_from(allowed)
    return graph


def _shortest_lengths(graph: nx.Graph[str], a: str, b: str, k: int, max_hops: int) -> list[int]:
    """Lengths of the k shortest simple paths of at most max_hops (networkx: Yen's method)."""
    if a not in graph or b not in graph or not nx.has_path(graph, a, b):
        return []
    lengths: list[int] = []
    for path in nx.shortest_simple_paths(graph, a, b):
        if len(lengths) == k or len(path) - 1 > max_hops:
            break
        lengths.append(len(path) - 1)
    return lengths


def _days(bounds: list[date]) -> st.SearchStrategy[date]:
    """Any day of the city's years, or one at or next to a bound, where ≤ and < differ."""
    at_bound = st.tuples(st.sampled_from(bounds), st.integers(-1, 1)).map(
        lambda pick: pick[0] + timedelta(days=pick[1])
    )
    return at_bound | st.dates(date(2015, 1, 1), date(2032, 12, 31))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_paths_on_a_generated_city(city: City, run_query: RunQuery, data: st.DataObject) -> None:
    day = data.draw(_days(city.bounds), label="as_of")
    a = data.draw(st.sampled_from(city.units), label="a")
    tie_kinds = data.draw(st.none() | st.sets(st.sampled_from(TieKind), min_size=1), label="kinds")
    k = data.draw(st.integers(1, 5), label="k")
    max_hops = data.draw(st.integers(1, 6), label="max_hops")
    horizontal_only = data.draw(st.booleans(), label="horizontal_only")
    include_non_members = data.draw(st.booleans(), label="include_non_members")
    kinds = set(TieKind if tie_kinds is None else tie_kinds)
    if horizontal_only:
        kinds -= {TieKind.HIERARCHY}
    allowed = _allowed(city, day, kinds, include_non_members=include_non_members)
    graph = _walk_graph(allowed)
    # Half the time B is a unit A reaches within the limit, or most answers would be empty.
    reached = nx.single_source_shortest_path_length(graph, a, cutoff=max_hops) if a in graph else {}
    others = [u for u in city.units if u != a]
    near = [u for u in others if u in reached]
    b = data.draw(
        st.sampled_from(near) | st.sampled_from(others) if near else st.sampled_from(others),
        label="b",
    )
    options: dict[str, Any] = {
        "k": k,
        "max_hops": max_hops,
        "horizontal_only": horizontal_only,
        "include_non_members": include_non_members,
        "tie_kinds": tie_kinds,
        "as_of": day,
    }
    if not kinds:
        with pytest.raises(BadArgumentError):
            _paths(run_query, a, b, **options)
        return
    result = _paths(run_query, a, b, **options)

    assert set(result.tie_kinds) == kinds
    for path in result.paths:
        ids = [n.id for n in path.nodes]
        assert (ids[0], ids[-1]) == (a, b)
        assert len(set(ids)) == len(ids) == path.length + 1 <= max_hops + 1
        for node in path.nodes:
            fact = city.nodes[node.id]
            assert fact.walkable(day, include_non_members=include_non_members)
            assert NODE_KINDS[next(iter(fact.labels & NODE_KINDS.keys()))] is node.kind
            assert node.is_party_member == (fact.member if node.kind is NodeKind.PERSON else None)
            assert node.name == fact.name
        for (left, right), step in zip(itertools.pairwise(ids), path.steps, strict=True):
            # A step lists every allowed tie between its two nodes, and only those.
            shown = {(t.relationship, t.start_id, t.end_id) for t in step.ties}
            assert shown == allowed.get(_pair(left, right), set())
            assert shown
            for tie in step.ties:
                assert tie.kind is WALKED[tie.relationship][0]
                forward = (tie.start_id, tie.end_id) == (left, right)
                assert tie.direction is (TieDirection.FORWARD if forward else TieDirection.BACKWARD)
        if horizontal_only:
            assert path.horizontal
        assert path.explanation
        assert "\n" not in path.explanation
        assert result.from_unit.name in path.explanation
        assert result.to_unit.name in path.explanation
    # Best first (length, then fewer vertical steps, then ids), no path twice, at most k.
    keys = [(p.length, p.vertical_steps, tuple(n.id for n in p.nodes)) for p in result.paths]
    assert keys == sorted(set(keys))
    assert len(result.paths) <= k
    assert "****" not in json.dumps(dataclasses.asdict(result), default=str)  # masked phones

    reachable = a in graph and b in graph and nx.has_path(graph, a, b)
    shortest = nx.shortest_path_length(graph, a, b) if reachable else None
    if shortest is not None and shortest <= max_hops:
        assert result.paths
        assert result.paths[0].length == shortest
    else:
        assert result.paths == ()
    assert [p.length for p in result.paths] == _shortest_lengths(graph, a, b, k, max_hops)


# --- the sample's known answers ----------------------------------------------------------------


@pytest.mark.parametrize(("case", "option"), CASES)
def test_sample_pathways(
    sample_graph: Driver, run_query: RunQuery, case: dict[str, Any], option: str
) -> None:
    answer = case["answers"][option]
    result = _paths(run_query, case["a"]["id"], case["b"]["id"], **_options(answer))

    assert [p.length for p in result.paths] == answer.get("path_lengths", [])
    assert result.shortest_length == answer["length"]
    assert result.from_unit.name == case["a"]["name"]
    assert result.to_unit.name == case["b"]["name"]
    if not result.paths:
        return
    first = result.paths[0]
    assert [_shown(n) for n in first.nodes] == answer["first_path"]
    expected_ties = [{TIES[name] for name in names} for names in answer["first_path_ties"]]
    assert [{(t.kind, t.relationship) for t in s.ties} for s in first.steps] == expected_ties
    shortest = [p for p in result.paths if p.length == first.length]
    assert len(shortest) == answer["number_of_shortest_paths"]


def test_sample_explanations_read_the_path(sample_graph: Driver, run_query: RunQuery) -> None:
    pw6 = _paths(run_query, "91370202MA4T3FWK5G", "PO-370202002001", as_of=AS_OF)
    person = pw6.paths[0].nodes[1]
    assert pw6.paths[0].explanation == (
        f"青岛博海工程设计有限公司 的职工 {person.name} 到 兰雅桥社区党委 报到（双报到）"
    )
    pw7 = _paths(run_query, "91370202MAJA3AUQ8J", "ORG-370202-9001", as_of=AS_OF)
    assert pw7.paths[0].explanation == (
        "青岛康泰医疗器械有限公司 的 康泰便携式制氧机（共享） 由 香港中路街道银发互助会 使用"
    )
    pw1 = _paths(run_query, "91370202MAEXC1JF4N", "3137020206382199XJ", as_of=AS_OF)
    assert pw1.paths[0].explanation == (
        "青岛海蓝信息技术有限公司 建有 青岛海蓝信息技术有限公司党支部；"
        "青岛海蓝信息技术有限公司党支部 隶属于 八大关街道滨海商务楼宇联合党委；"
        "八大关街道滨海商务楼宇联合党委 下辖 山东正衡律师事务所党支部；"
        "山东正衡律师事务所党支部 依托 山东正衡律师事务所 组建"
    )
    pw5 = _paths(
        run_query, "91370202MA8M165X5K", "PO-370202001001", include_non_members=True, as_of=AS_OF
    )
    activist = pw5.paths[0].nodes[1]
    assert not activist.is_party_member
    assert f"{activist.name}（非党员）" in pw5.paths[0].explanation


def test_errors(sample_graph: Driver, run_query: RunQuery) -> None:
    a, b = "91370202MA4T3FWK5G", "PO-370202002001"
    with pytest.raises(NotFoundError):
        _paths(run_query, "NO-SUCH-UNIT", b)
    with pytest.raises(NotFoundError):
        _paths(run_query, a, "P-370202-00001")  # a person is not a unit
    bad: list[dict[str, Any]] = [
        {"k": 0},
        {"k": 21},
        {"max_hops": 0},
        {"max_hops": 11},
        {"tie_kinds": []},
        {"tie_kinds": ["friendship"]},
        {"tie_kinds": [TieKind.HIERARCHY], "horizontal_only": True},
    ]
    for options in bad:
        with pytest.raises(BadArgumentError):
            _paths(run_query, a, b, **options)
    with pytest.raises(BadArgumentError):
        _paths(run_query, a, a)
    # Tie kinds may be given by their string values.
    by_name = _paths(run_query, a, b, tie_kinds=["employment", "reporting"], as_of=AS_OF)
    assert [p.length for p in by_name.paths] == [2]


# --- every answer against a brute-force reference ----------------------------------------------

# Every walkable tie of the sample at $as_of, as (start id, end id, type, start is a person who
# is no party member); a reference independent of the module's Cypher.
ALL_TIES = """
MATCH (x)-[r:SUBORDINATE_TO|SET_UP_IN|COVERS|PARTY_TO|MEMBER_OF|EMPLOYED_BY|REPORTS_TO
           |OWNED_BY|USED]->(y)
WHERE NOT x:Demand AND NOT x:Retired AND NOT y:Retired AND r.retired_run IS NULL
  AND all(n IN [x, y] WHERE
        NOT (n:PartyOrg AND n.type = 'temporary' AND coalesce(n.valid_to < $as_of, false))
        AND NOT (n:Agreement AND (coalesce(n.signed_on > $as_of, false)
                                  OR coalesce(n.expires_on < $as_of, false)))
        AND NOT (n:Resource AND (coalesce(n.available_from > $as_of, false)
                                 OR coalesce(n.available_to < $as_of, false))))
RETURN x.id AS a, y.id AS b, type(r) AS type, x:Person AND NOT x.is_party_member AS outsider
"""
UNITS = "MATCH (u:Unit) RETURN u.id AS id ORDER BY id"
VERTICAL = {"SUBORDINATE_TO", "SET_UP_IN", "COVERS"}


def _reference_lengths(
    ties: list[dict[str, Any]],
    a: str,
    b: str,
    *,
    k: int,
    max_hops: int,
    horizontal_only: bool,
    include_non_members: bool,
) -> list[int]:
    """Lengths of the k shortest simple node paths, by exhaustive enumeration."""
    graph: dict[str, set[str]] = defaultdict(set)
    for tie in ties:
        if horizontal_only and tie["type"] in VERTICAL:
            continue
        if tie["outsider"] and not include_non_members:
            continue
        graph[tie["a"]].add(tie["b"])
        graph[tie["b"]].add(tie["a"])
    to_b = {b: 0}
    frontier = [b]
    while frontier:
        nxt = []
        for v in frontier:
            for w in graph[v]:
                if w not in to_b:
                    to_b[w] = to_b[v] + 1
                    nxt.append(w)
        frontier = nxt
    lengths: list[int] = []

    def walk(node: str, seen: set[str], used: int) -> None:
        if node == b:
            lengths.append(used)
            return
        for w in graph[node]:
            if w not in seen and w in to_b and used + 1 + to_b[w] <= max_hops:
                walk(w, seen | {w}, used + 1)

    if a in to_b:
        walk(a, {a}, 0)
    return sorted(lengths)[:k]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_answer_matches_the_reference(
    sample_graph: Driver, neo4j_settings: Settings, run_query: RunQuery, data: st.DataObject
) -> None:
    db = neo4j_settings.neo4j_database
    units = [r["id"] for r in sample_graph.execute_query(UNITS, database_=db)[0]]
    ties = [dict(r) for r in sample_graph.execute_query(ALL_TIES, as_of=AS_OF, database_=db)[0]]
    a = data.draw(st.sampled_from(units), label="a")
    b = data.draw(st.sampled_from([u for u in units if u != a]), label="b")
    options: dict[str, Any] = {
        "k": data.draw(st.integers(1, 5), label="k"),
        "max_hops": data.draw(st.integers(1, 5), label="max_hops"),
        "horizontal_only": data.draw(st.booleans(), label="horizontal_only"),
        "include_non_members": data.draw(st.booleans(), label="include_non_members"),
    }
    result = _paths(run_query, a, b, as_of=AS_OF, **options)

    assert [p.length for p in result.paths] == _reference_lengths(ties, a, b, **options)
    adjacent = {(t["a"], t["b"]) for t in ties} | {(t["b"], t["a"]) for t in ties}
    for path in result.paths:
        ids = [n.id for n in path.nodes]
        assert ids[0] == a
        assert ids[-1] == b
        assert len(set(ids)) == len(ids) == path.length + 1
        assert all(pair in adjacent for pair in itertools.pairwise(ids))
        assert all(step.ties for step in path.steps)
        if options["horizontal_only"]:
            assert path.horizontal
        if not options["include_non_members"]:
            assert all(n.is_party_member is not False for n in path.nodes)
        assert path.explanation
        assert "\n" not in path.explanation
        assert result.from_unit.name in path.explanation
        assert result.to_unit.name in path.explanation
        assert "phone" not in {f.name for f in dataclasses.fields(PathNode)}


# --- hand-built graphs -------------------------------------------------------------------------

# A → alliance X ← B(party org) ← member 张三 → employer C; a second, vertical route from A to B
# (A's branch under B) of the same length as A–X–B; 张三 also reports to B; a non-member 李四
# employed by A reporting to B; an expired agreement and an out-of-period resource joining A and
# C directly; a retired usage; a temporary party org past its date and one with no
# end date; D sits in A's region only.
HAND_GRAPH = """
CREATE (region:Region {id: 'R', name: '某社区', level: 'community', level_rank: 4})
CREATE (a:Organization:Unit {id: 'A', name: '甲公司', kind: 'private_enterprise',
                             sector: 'new_economic'})-[:IN_REGION]->(region)
CREATE (b:PartyOrg:Unit {id: 'B', name: '乙党委', type: 'committee'})-[:IN_REGION]->(region)
CREATE (c:Organization:Unit {id: 'C', name: '丙中心', kind: 'social_organization',
                             sector: 'new_social'})-[:IN_REGION]->(region)
CREATE (d:Organization:Unit {id: 'D', name: '丁商店', kind: 'other', sector: 'new_economic'})
       -[:IN_REGION]->(region)
CREATE (branch:PartyOrg:Unit {id: 'AB', name: '甲公司党支部', type: 'branch'})
CREATE (branch)-[:SET_UP_IN]->(a), (branch)-[:SUBORDINATE_TO]->(b)
CREATE (x:Agreement {id: 'X', name: '某党建联盟', kind: 'alliance', signed_on: date('2020-01-01')})
CREATE (a)-[:PARTY_TO {lead: true}]->(x), (b)-[:PARTY_TO {lead: false}]->(x)
CREATE (zhang:Person {id: 'P1', name: '张三', is_party_member: true, phone_masked: '199****0001'})
CREATE (zhang)-[:MEMBER_OF]->(b), (zhang)-[:REPORTS_TO]->(b), (zhang)-[:EMPLOYED_BY]->(c)
CREATE (li:Person {id: 'P2', name: '李四', is_party_member: false})
CREATE (li)-[:EMPLOYED_BY]->(a), (li)-[:REPORTS_TO]->(b)
CREATE (old:Agreement {id: 'OLD', name: '旧协议', kind: 'pairing', expires_on: date('2020-12-31')})
CREATE (a)-[:PARTY_TO]->(old), (c)-[:PARTY_TO]->(old)
CREATE (gone:Resource {id: 'RG', name: '过期场地', kind: 'venue', available_to: date('2021-01-01')})
CREATE (gone)-[:OWNED_BY]->(a), (c)-[:USED {id: 'U1'}]->(gone)
CREATE (kept:Resource {id: 'RK', name: '共享设备', kind: 'equipment'})
CREATE (kept)-[:OWNED_BY]->(c), (d)-[:USED {id: 'U2', retired_run: 'run-0'}]->(kept)
CREATE (temp:PartyOrg:Unit {id: 'T', name: '临时党支部', type: 'temporary',
                            valid_to: date('2022-12-31')})
CREATE (temp)-[:COVERS]->(d), (temp)-[:SUBORDINATE_TO]->(b)
CREATE (:PartyOrg:Unit {id: 'T2', name: '无期限临时党支部', type: 'temporary'})
       -[:SUBORDINATE_TO]->(b)
"""


@pytest.fixture
def hand_graph(empty_graph: Driver, neo4j_settings: Settings) -> Driver:
    empty_graph.execute_query(HAND_GRAPH, database_=neo4j_settings.neo4j_database)
    return empty_graph


def test_hand_graph_paths_ties_and_explanation(hand_graph: Driver, run_query: RunQuery) -> None:
    result = _paths(run_query, "A", "C", as_of=AS_OF)
    # A–X–B–张三–C and A–branch–B–张三–C both have 4 ties; the horizontal one comes first.
    assert [p.length for p in result.paths] == [4, 4]
    first, second = result.paths
    assert [n.id for n in first.nodes] == ["A", "X", "B", "P1", "C"]
    assert [n.id for n in second.nodes] == ["A", "AB", "B", "P1", "C"]
    assert first.horizontal
    assert second.vertical_steps == 2
    assert (
        first.explanation
        == "甲公司 与 乙党委 同属 某党建联盟；乙党委 的党员 张三（并在此报到） 在 丙中心 工作"
    )
    assert second.explanation.startswith("甲公司 建有 甲公司党支部；甲公司党支部 隶属于 乙党委；")
    # 张三 is a member of B and reports to it: one step, two ties, both stored person → party org.
    member_step = first.steps[2]
    assert [(t.relationship, t.direction) for t in member_step.ties] == [
        ("MEMBER_OF", TieDirection.BACKWARD),
        ("REPORTS_TO", TieDirection.BACKWARD),
    ]
    assert [t.direction for t in first.steps[0].ties] == [TieDirection.FORWARD]
    assert [(t.start_id, t.end_id) for t in member_step.ties] == [("P1", "B"), ("P1", "B")]
    assert [(t.start_id, t.end_id) for t in first.steps[0].ties] == [("A", "X")]
    assert first.nodes[3] == PathNode("P1", NodeKind.PERSON, "张三", None, True)
    assert first.nodes[1].category == "alliance"


def test_hand_graph_filters(hand_graph: Driver, run_query: RunQuery) -> None:
    # The non-member 李四 joins A and B in two ties only when non-members are admitted.
    assert [p.length for p in _paths(run_query, "A", "B", as_of=AS_OF).paths] == [2, 2]
    admitted = _paths(run_query, "A", "B", as_of=AS_OF, include_non_members=True, k=5)
    assert [p.length for p in admitted.paths] == [2, 2, 2]
    assert any(n.id == "P2" and n.is_party_member is False for p in admitted.paths for n in p.nodes)
    # The expired agreement and the out-of-period resource join A and C back then, not now.
    then = _paths(run_query, "A", "C", as_of=date(2020, 6, 30), tie_kinds=["agreement", "resource"])
    assert [p.length for p in then.paths] == [2, 2]
    assert {p.nodes[1].id for p in then.paths} == {"OLD", "RG"}
    assert _paths(run_query, "A", "C", as_of=AS_OF, tie_kinds=["agreement", "resource"]).paths == ()
    # D only shares a region with A (never walked), a retired usage and an expired party org.
    assert _paths(run_query, "A", "D", as_of=AS_OF).paths == ()
    back_then = _paths(run_query, "A", "D", as_of=date(2022, 1, 1))
    assert [[n.id for n in p.nodes] for p in back_then.paths] == [
        ["A", "X", "B", "T", "D"],
        ["A", "AB", "B", "T", "D"],
    ]
    # An inactive end takes part in no answer; the limit on hops holds.
    assert _paths(run_query, "T", "B", as_of=AS_OF).paths == ()
    assert [p.length for p in _paths(run_query, "T2", "B", as_of=AS_OF).paths] == [1]
    assert _paths(run_query, "A", "C", as_of=AS_OF, max_hops=3).paths == ()
    assert [p.length for p in _paths(run_query, "A", "C", as_of=AS_OF, k=1).paths] == [4]


# --- choosing node paths among Neo4j's relationship paths --------------------------------------


def _candidate(*nodes: str, types: tuple[str, ...] | None = None) -> Candidate:
    hops = len(nodes) - 1
    return Candidate(list(nodes), list(nodes), list(types or ("PARTY_TO",) * hops))


def test_select_paths_collapses_parallel_ties_and_drops_revisits() -> None:
    found = [
        _candidate("a", "p", "b", types=("MEMBER_OF", "EMPLOYED_BY")),
        _candidate("a", "p", "b", types=("REPORTS_TO", "EMPLOYED_BY")),  # parallel tie
        _candidate("a", "x", "a2", "x", "b"),  # revisits x
        _candidate("a", "y", "z", "b"),
    ]
    # Four relationship paths asked, four returned: only node paths shorter than 4 are settled.
    assert select_paths(found, 2, exhaustive=False) == [found[0], found[3]]
    assert select_paths(found, 3, exhaustive=False) is None
    assert select_paths(found, 3, exhaustive=True) == [found[0], found[3]]


def test_select_paths_orders_by_length_then_horizontal_then_ids() -> None:
    vertical = _candidate("a", "m", "b", types=("SET_UP_IN", "SUBORDINATE_TO"))
    horizontal = _candidate("a", "n", "b")
    earlier = _candidate("a", "k", "b")
    longer = _candidate("a", "q", "r", "b")
    found = [longer, vertical, horizontal, earlier]
    assert select_paths(found, 4, exhaustive=True) == [earlier, horizontal, vertical, longer]
