"""Resource-sharing partners (questions.md §2): the sample's cases S1/S2, properties of every
answer on the sample, exact scores on a hand-built graph, and properties of every answer on a
generated city against a reference computed from its plain facts."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from cobuild.settings import Settings
from graph.model import ResourceKind
from ingest import runs
from ingest.generate import REFERENCE_DATE
from ingest.transactions import Batched
from queries.errors import BadArgumentError, NotFoundError
from queries.matching import skill_quality
from queries.partners import (
    DEFAULT_WEIGHTS,
    Component,
    FacetKind,
    Need,
    Partner,
    PartnersResult,
    PersonLink,
    UnitKind,
    find_partners,
)
from tests.conftest import SAMPLE
from tests.queries.conftest import RunQuery, Unprinted

ANSWERS = json.loads((SAMPLE / "answers.json").read_text(encoding="utf-8"))
AS_OF = date.fromisoformat(ANSWERS["as_of"])
CASES = {case["id"]: case for case in ANSWERS["partners"]}

# The usable resources of the sample, to check that every listed resource is one.
USABLE = """
MATCH (r:Resource)
WHERE coalesce(r.shareable, true) AND r.status = 'available'
  AND coalesce(r.available_from <= $as_of, true) AND coalesce(r.available_to >= $as_of, true)
RETURN collect(r.id) AS ids
"""
# Unit pairs sharing an active agreement, to check new_only.
PAIRED = """
MATCH (a:Unit)-[:PARTY_TO]->(g:Agreement)<-[:PARTY_TO]-(b:Unit)
WHERE coalesce(g.signed_on <= $as_of, true) AND coalesce(g.expires_on >= $as_of, true)
RETURN collect(DISTINCT [a.id, b.id]) AS pairs
"""
UNITS = "MATCH (u:Unit) WHERE u.valid_to IS NULL RETURN u.id AS id ORDER BY id"


def _rank_key(partner: Partner) -> tuple[float, float, str]:
    """The documented order: score descending, then distance, then id."""
    assert partner.score is not None  # only partners outside a caller's scope have none
    return (-partner.score, _distance(partner), partner.unit.id)


def _distance(partner: Partner) -> float:
    assert partner.distance_km is not None
    return partner.distance_km


def _need(case: dict[str, object]) -> Need:
    return Need.model_validate(case["need"])


def _partners(run_query: RunQuery, case: dict[str, object], **options: object) -> PartnersResult:
    unit = case["unit"]["id"]  # type: ignore[index]
    return run_query(  # type: ignore[no-any-return]
        lambda d, db: find_partners(
            d,
            db,
            unit,
            need=_need(case),
            radius_km=float(case["radius_km"]),  # type: ignore[arg-type]
            as_of=AS_OF,
            limit=500,
            **options,  # type: ignore[arg-type]
        )
    )


# --- the sample's cases ------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_best_partner_in_top3_and_decoys_absent(
    sample_graph: Driver, run_query: RunQuery, case_id: str
) -> None:
    case = CASES[case_id]
    result = _partners(run_query, case)
    listed = [p.unit.id for p in result.partners]
    for unit in case["must_include_top3"]:
        assert unit["id"] in listed[:3]
    for decoy in case["must_exclude"]:
        assert decoy["id"] not in listed, decoy["why"]
    assert result.total == len(listed) == case["illustrative_listed"]
    best = result.partners[0]
    assert best.unit.id == case["must_include_top3"][0]["id"]
    assert {r.id for r in best.resources} >= set(case["illustrative_top5"][0]["resources"])
    assert len(best.people) == case["illustrative_top5"][0]["people"]


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_new_only_drops_existing_pairings(
    sample_graph: Driver, run_query: RunQuery, case_id: str
) -> None:
    case = CASES[case_id]
    result = _partners(run_query, case, new_only=True)
    listed = {p.unit.id for p in result.partners}
    for unit in case["with_new_only"]["must_exclude"]:
        assert unit["id"] not in listed
    expected_top3 = {u["unit"] for u in case["with_new_only"]["illustrative_top3"]}
    assert expected_top3 <= listed
    assert all(p.ties.shared_agreements == () for p in result.partners)


def test_match_evidence_is_concrete(sample_graph: Driver, run_query: RunQuery) -> None:
    result = _partners(run_query, CASES["S2"])
    best = result.partners[0]
    assert best.unit.kind is UnitKind.ORGANIZATION
    skills = {f.key: f for f in best.coverage if f.facet is FacetKind.SKILL}
    assert [s.name for s in result.need.skills] == ["消防安全"]  # type: ignore[union-attr]
    assert skills[result.need.skills[0].id].person_ids  # type: ignore[union-attr]
    assert all(p.link is PersonLink.EMPLOYEE for p in best.people)
    assert all(c.coverage == 1.0 for c in best.coverage)
    assert [c.name for c in best.components] == list(Component)
    # No phone number anywhere: the sample's phones all start with 1990000.
    assert "1990000" not in json.dumps(dataclasses.asdict(result), default=str)
    assert all("phone" not in f.name for f in dataclasses.fields(best.people[0]))


def test_errors(sample_graph: Driver, run_query: RunQuery) -> None:
    with pytest.raises(NotFoundError):
        run_query(lambda d, db: find_partners(d, db, "NO-SUCH-UNIT"))
    with pytest.raises(BadArgumentError):
        run_query(lambda d, db: find_partners(d, db, "PO-370202001002", radius_km=0))
    with pytest.raises(BadArgumentError):
        run_query(lambda d, db: find_partners(d, db, "PO-370202001002", limit=0))
    with pytest.raises(BadArgumentError, match="不存在的技能"):
        run_query(
            lambda d, db: find_partners(
                d, db, "PO-370202001002", need=Need(skills=("不存在的技能",))
            )
        )
    # An expired temporary party organisation is inactive: it takes part in no answer.
    with pytest.raises(BadArgumentError):
        run_query(lambda d, db: find_partners(d, db, "PO-370202-9006", as_of=AS_OF))


def test_skills_resolve_by_id_name_or_alias(sample_graph: Driver, run_query: RunQuery) -> None:
    def ask(ref: str) -> PartnersResult:
        need = Need(skills=(ref,))
        return run_query(  # type: ignore[no-any-return]
            lambda d, db: find_partners(d, db, "PO-370202003001", need=need, as_of=AS_OF)
        )

    results = [ask(ref) for ref in ("SK0701", "消防安全", " 消防安全 ")]
    assert results[0].partners
    assert all(r.partners == results[0].partners for r in results)


# --- properties on the sample ------------------------------------------------------------------

needs = st.builds(
    Need,
    scenario=st.sampled_from([None, "老年助餐", "养老服务", "电动自行车安全", "矛盾调解"]),
    skills=st.lists(
        st.sampled_from(["消防安全", "SK0102", "法律服务类", "手语翻译"]), max_size=2
    ).map(tuple),
    resource_kinds=st.lists(st.sampled_from(list(ResourceKind)), max_size=2).map(tuple),
)


@dataclasses.dataclass(frozen=True)
class SampleFacts:
    usable: frozenset[str]  # ids of usable resources
    paired: frozenset[tuple[str, str]]  # units sharing an active agreement
    units: list[str]  # active units


@pytest.fixture
def sample_facts(sample_graph: Driver, neo4j_settings: Settings) -> SampleFacts:
    db = neo4j_settings.neo4j_database
    usable, _, _ = sample_graph.execute_query(USABLE, as_of=AS_OF, database_=db)
    paired, _, _ = sample_graph.execute_query(PAIRED, as_of=AS_OF, database_=db)
    units, _, _ = sample_graph.execute_query(UNITS, database_=db)
    return SampleFacts(
        frozenset(usable[0]["ids"]),
        frozenset((a, b) for a, b in paired[0]["pairs"]),
        [r["id"] for r in units],
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    need=st.one_of(st.none(), needs),
    radius_km=st.floats(min_value=0.2, max_value=6.0),
    new_only=st.booleans(),
    limit=st.integers(min_value=1, max_value=6),
)
def test_every_answer_is_consistent(
    sample_facts: SampleFacts,
    run_query: RunQuery,
    data: st.DataObject,
    need: Need | None,
    radius_km: float,
    new_only: bool,
    limit: int,
) -> None:
    unit = data.draw(st.sampled_from(sample_facts.units))

    def ask(n: int) -> PartnersResult:
        return run_query(  # type: ignore[no-any-return]
            lambda d, db: find_partners(
                d,
                db,
                unit,
                need=need,
                radius_km=radius_km,
                new_only=new_only,
                limit=n,
                as_of=AS_OF,
            )
        )

    everything, top = ask(500), ask(limit)
    # The early stop of the track-record reads never changes the top of the ranking.
    assert top.partners == everything.partners[:limit]
    assert top.total == everything.total == len(everything.partners)
    keys = [_rank_key(p) for p in everything.partners]
    assert keys == sorted(keys)
    for rank, partner in enumerate(everything.partners, start=1):
        assert partner.rank == rank
        assert partner.unit.id != unit
        assert _distance(partner) <= radius_km + 1e-9
        assert partner.resources or partner.people
        assert {r.id for r in partner.resources} <= sample_facts.usable
        # The components add up to the score exactly, each weight × value.
        assert math.fsum(c.contribution for c in partner.components) == partner.score
        for component in partner.components:
            assert component.contribution == component.weight * component.value
            assert 0.0 <= component.value <= 1.0
        if new_only:
            assert (unit, partner.unit.id) not in sample_facts.paired


# --- a hand-built graph with exact answers (it replaces the sample: after the sample's tests) ---

TINY = """
CREATE (a:PartyOrg:Unit {id: 'A', name: '甲社区党委',
  location: point({latitude: 36.0, longitude: 120.0})})
CREATE (b:Organization:Unit {id: 'B', name: '乙公司',
  location: point({latitude: 36.0, longitude: 120.01})})
CREATE (c:Organization:Unit {id: 'C', name: '丙公司',
  location: point({latitude: 36.0, longitude: 120.005})})
CREATE (far:Organization:Unit {id: 'FAR', name: '远公司',
  location: point({latitude: 36.5, longitude: 120.0})})
CREATE (gone:Organization:Unit:Retired {id: 'GONE', name: '已退役',
  location: point({latitude: 36.0, longitude: 120.001})})
CREATE (po:PartyOrg:Unit {id: 'PO', name: '丁支部',
  location: point({latitude: 36.0, longitude: 120.002})})
CREATE (old:PartyOrg:Unit {id: 'OLD', name: '临时支部', valid_to: date('2020-01-01'),
  location: point({latitude: 36.0, longitude: 120.002})})
CREATE (law:Skill {id: 'SK01', name: '法律服务类', aliases: ['法律类']})
CREATE (advice:Skill {id: 'SK0101', name: '法律咨询', aliases: []})-[:SUBCATEGORY_OF]->(law)
CREATE (rb:Resource {id: 'RB', name: '乙食堂', kind: 'venue', scenarios: ['老年助餐'],
                     shareable: true, status: 'available'})-[:OWNED_BY]->(b)
CREATE (rc:Resource {id: 'RC', name: '丙食堂', kind: 'venue', scenarios: ['老年助餐'],
                     shareable: true, status: 'unavailable'})-[:OWNED_BY]->(c)
CREATE (rf:Resource {id: 'RF', name: '远食堂', kind: 'venue', scenarios: ['老年助餐'],
                     shareable: true, status: 'available'})-[:OWNED_BY]->(far)
CREATE (rg:Resource {id: 'RG', name: '退役食堂', kind: 'venue', scenarios: ['老年助餐'],
                     shareable: true, status: 'available'})-[:OWNED_BY]->(gone)
CREATE (ro:Resource {id: 'RO', name: '临时食堂', kind: 'venue', scenarios: ['老年助餐'],
                     shareable: true, status: 'available'})-[:OWNED_BY]->(old)
CREATE (g:Agreement {id: 'G', name: '甲乙结对', kind: 'pairing', signed_on: date('2020-01-01')})
CREATE (a)-[:PARTY_TO]->(g), (b)-[:PARTY_TO]->(g)
CREATE (a)-[:USED {id: 'U1', effect_rating: 5}]->(rb)
CREATE (a)-[:USED {id: 'U2', effect_rating: 4}]->(rb)
CREATE (lawyer:Person {id: 'P1', name: '律师', is_party_member: true, phone_masked: '199****0001'})
CREATE (lawyer)-[:MEMBER_OF]->(po)
CREATE (lawyer)-[:HAS_SKILL {level: 4, certified: true}]->(advice)
CREATE (gone_skill:Person {id: 'P2', name: '旧技能', is_party_member: false})-[:EMPLOYED_BY]->(c)
CREATE (gone_skill)-[:HAS_SKILL {level: 5, certified: true, retired_run: 'run-x'}]->(advice)
"""


def test_exact_scores_on_a_hand_built_graph(
    empty_graph: Driver, neo4j_settings: Settings, run_query: RunQuery
) -> None:
    empty_graph.execute_query(TINY, database_=neo4j_settings.neo4j_database)
    runs.derive_summaries(Batched(empty_graph, neo4j_settings.neo4j_database))  # as every load does
    need = Need(scenario="老年助餐", skills=("法律类",))
    result: PartnersResult = run_query(
        lambda d, db: find_partners(d, db, "A", need=need, radius_km=3.0, as_of=AS_OF)
    )
    # C's only canteen is unavailable and its skilled employee's skill is retired; FAR is
    # ~55 km away; GONE is retired; OLD expired; so B (canteen) and PO (a lawyer) remain.
    assert [p.unit.id for p in result.partners] == ["B", "PO"]
    b, po = result.partners
    values = {c.name: c.value for c in b.components}
    assert values[Component.COMPLEMENT] == pytest.approx(0.5)  # scenario yes, skill no
    assert values[Component.PROXIMITY] == pytest.approx(1 - _distance(b) / 3.0)
    assert 0.85 < _distance(b) < 0.95  # 0.01° of longitude at 36° N
    # One shared agreement and two usages of B's canteen by A: t = 3, ties = 3 / 4.
    assert values[Component.TIES] == pytest.approx(0.75)
    assert b.ties.resource_exchanges == 2
    assert len(b.ties.shared_agreements) == 1
    # Ratings 5 and 4 shrunk towards 3 by two pseudo-ratings: 15 / 4 = 3.75 → 0.6875.
    assert values[Component.TRACK_RECORD] == pytest.approx(0.6875)
    assert [r.id for r in b.resources] == ["RB"]

    po_values = {c.name: c.value for c in po.components}
    # The lawyer's 法律咨询 (level 4, certified) covers the needed category 法律服务类.
    assert po_values[Component.COMPLEMENT] == pytest.approx(skill_quality(4, True) / 2)
    assert po.people[0].link is PersonLink.MEMBER
    assert po.people[0].skills[0].covers.id == "SK01"
    assert po_values[Component.TIES] == 0.0
    assert po_values[Component.TRACK_RECORD] == 0.5
    assert "199****" not in json.dumps(dataclasses.asdict(result), default=str)

    general: PartnersResult = run_query(
        lambda d, db: find_partners(d, db, "A", radius_km=3.0, as_of=AS_OF)
    )
    # With no need: what A lacks — B's venue (kind and scenario), PO's lawyer's skill.
    assert {p.unit.id for p in general.partners} == {"B", "PO"}
    assert general.need is None
    newcomers: PartnersResult = run_query(
        lambda d, db: find_partners(d, db, "A", need=need, new_only=True, as_of=AS_OF)
    )
    assert [p.unit.id for p in newcomers.partners] == ["PO"]


# --- properties on a generated city (last: test_pathways.py starts on the same city, so it is
# loaded once for both) ----------------------------------------------------------------------

# Plain facts of the city; questions.md §2's rules are applied to them in Python, independently
# of the module's Cypher.
CITY_UNITS = """
MATCH (u:Unit)
RETURN u.id AS id, u:PartyOrg AS party_org, u:Retired AS retired, u.valid_to AS valid_to
"""
CITY_RESOURCES = """
MATCH (r:Resource)-[:OWNED_BY]->(owner:Unit)
RETURN r.id AS id, owner.id AS owner, r.kind AS kind, coalesce(r.scenarios, []) AS scenarios,
       r.shareable AS shareable, r.status AS status, r:Retired AS retired,
       r.available_from AS available_from, r.available_to AS available_to
"""
# People linked to a unit: employees of an organization, members of a party organisation.
CITY_LINKS = """
MATCH (p:Person)-[link:EMPLOYED_BY|MEMBER_OF]->(u:Unit) WHERE NOT p:Retired
RETURN u.id AS unit, p.id AS person, type(link) AS link
"""
CITY_HOLDINGS = """
MATCH (p:Person)-[h:HAS_SKILL]->(s:Skill) WHERE h.retired_run IS NULL AND NOT s:Retired
RETURN p.id AS person, s.id AS skill, h.level AS level, h.certified AS certified
"""
CITY_SKILLS = """
MATCH (s:Skill) WHERE NOT s:Retired
OPTIONAL MATCH (s)-[:SUBCATEGORY_OF]->(parent:Skill)
RETURN s.id AS id, s.name AS name, coalesce(s.aliases, []) AS aliases, parent.id AS parent
"""
CITY_AGREEMENTS = """
MATCH (u:Unit)-[:PARTY_TO]->(g:Agreement) WHERE NOT g:Retired
RETURN g.id AS id, g.signed_on AS signed_on, g.expires_on AS expires_on,
       collect(u.id) AS parties
"""
DISTANCES = """
MATCH (a:Unit {id: $unit_id}), (b:Unit) WHERE b <> a
RETURN b.id AS id, point.distance(a.location, b.location) AS metres
"""


@dataclasses.dataclass(frozen=True)
class Holding:
    skill: str
    level: int
    certified: bool


@dataclasses.dataclass(frozen=True)
class CityFacts(Unprinted):
    units: dict[str, Any]  # id → record (party_org, retired, valid_to)
    resources: dict[str, Any]  # id → record
    owned: dict[str, list[str]]  # unit id → ids of the resources it owns
    links: dict[str, dict[str, str]]  # unit id → person id → relationship type
    holdings: dict[str, list[Holding]]  # person id → skills held
    skill_names: dict[str, str]
    parents: dict[str, str | None]
    refs: dict[str, list[str]]  # skill id → references that name it alone (id, name, alias)
    agreements: list[tuple[str, date | None, date | None, frozenset[str]]]
    scenarios: list[str]  # tags on the city's resources
    kinds: list[ResourceKind]  # kinds of the city's resources
    bounds: list[date]  # every date a resource's or agreement's period starts or ends at


def _day(value: Any) -> date | None:
    return None if value is None else value.to_native()


def _within(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


@pytest.fixture
def city_facts(generated_graph: Driver, neo4j_settings: Settings) -> CityFacts:
    def read(query: str) -> list[Any]:
        records, _, _ = generated_graph.execute_query(
            query, database_=neo4j_settings.neo4j_database
        )
        return records

    resources = {r["id"]: r for r in read(CITY_RESOURCES)}
    owned: dict[str, list[str]] = defaultdict(list)
    for r in resources.values():
        owned[r["owner"]].append(r["id"])
    links: dict[str, dict[str, str]] = defaultdict(dict)
    for r in read(CITY_LINKS):
        links[r["unit"]][r["person"]] = r["link"]
    holdings: dict[str, list[Holding]] = defaultdict(list)
    for r in read(CITY_HOLDINGS):
        holdings[r["person"]].append(Holding(r["skill"], r["level"], r["certified"]))
    skills = read(CITY_SKILLS)
    # A reference used by exactly one skill resolves to it (names and aliases may repeat).
    users: dict[str, set[str]] = defaultdict(set)
    for s in skills:
        for ref in (s["id"], s["name"], *s["aliases"]):
            users[ref].add(s["id"])
    refs: dict[str, list[str]] = defaultdict(list)
    for ref, ids in sorted(users.items()):
        if len(ids) == 1:
            refs[next(iter(ids))].append(ref)
    agreements = [
        (r["id"], _day(r["signed_on"]), _day(r["expires_on"]), frozenset(r["parties"]))
        for r in read(CITY_AGREEMENTS)
    ]
    bounds = {
        d
        for r in resources.values()
        for d in (_day(r["available_from"]), _day(r["available_to"]))
        if d is not None
    } | {d for _, start, end, _ in agreements for d in (start, end) if d is not None}
    return CityFacts(
        units={r["id"]: r for r in read(CITY_UNITS)},
        resources=resources,
        owned=owned,
        links=links,
        holdings=holdings,
        skill_names={s["id"]: s["name"] for s in skills},
        parents={s["id"]: s["parent"] for s in skills},
        refs=refs,
        agreements=agreements,
        scenarios=sorted({tag for r in resources.values() for tag in r["scenarios"]}),
        kinds=sorted({ResourceKind(r["kind"]) for r in resources.values()}),
        bounds=sorted(bounds),
    )


def _usable(resource: Any, day: date) -> bool:
    """questions.md: active at ``day``, shareable and available (and not retired)."""
    return (
        not resource["retired"]
        and resource["shareable"] is True
        and resource["status"] == "available"
        and _within(day, _day(resource["available_from"]), _day(resource["available_to"]))
    )


def _lineage(facts: CityFacts, skill: str) -> set[str]:
    """The skill and every category above it: the needed skills that holding it covers."""
    found: set[str] = set()
    current: str | None = skill
    while current is not None and current not in found:
        found.add(current)
        current = facts.parents.get(current)
    return found


@dataclasses.dataclass(frozen=True)
class Offer:
    """What the reference finds a unit brings: relevant resources, people and facet values."""

    resources: frozenset[str]
    people: frozenset[str]
    facets: dict[tuple[FacetKind, str], float]  # facet → how well it is covered (0–1)


Facet = tuple[FacetKind, str]


def _offer(
    facts: CityFacts, unit: str, day: date, need: Need | None, needed: list[str], own: set[Facet]
) -> Offer:
    """What ``unit`` brings: with a need, what the need asks for (every facet listed, covered
    or not); with none, what A (``own``) lacks."""
    facets: dict[Facet, float] = {}
    if need is not None:
        keys = [(FacetKind.SCENARIO, need.scenario)] if need.scenario else []
        keys += [(FacetKind.RESOURCE_KIND, str(k)) for k in need.resource_kinds]
        keys += [(FacetKind.SKILL, s) for s in needed]
        facets = dict.fromkeys(keys, 0.0)

    def relevant(offered: list[Facet]) -> list[Facet]:
        return [f for f in offered if (f in facets if need is not None else f not in own)]

    resources: set[str] = set()
    for rid in facts.owned.get(unit, []):
        r = facts.resources[rid]
        brought = [(FacetKind.RESOURCE_KIND, r["kind"])]
        brought += [(FacetKind.SCENARIO, tag) for tag in r["scenarios"]]
        if _usable(r, day) and (matches := relevant(brought)):
            facets.update(dict.fromkeys(matches, 1.0))
            resources.add(rid)
    people: set[str] = set()
    for person in facts.links.get(unit, {}):
        for held in facts.holdings.get(person, []):
            if need is not None:
                lineage = _lineage(facts, held.skill)
                covered = [(FacetKind.SKILL, s) for s in needed if s in lineage]
            else:
                covered = relevant([(FacetKind.SKILL, held.skill)])
            for key in covered:
                facets[key] = max(facets.get(key, 0.0), skill_quality(held.level, held.certified))
            if covered:
                people.add(person)
    return Offer(frozenset(resources), frozenset(people), facets)


def _own(facts: CityFacts, unit: str, day: date) -> set[Facet]:
    """What A has itself: kinds and scenarios of its usable resources, its people's skills."""
    own: set[Facet] = set()
    for rid in facts.owned.get(unit, []):
        r = facts.resources[rid]
        if _usable(r, day):
            own.add((FacetKind.RESOURCE_KIND, r["kind"]))
            own.update((FacetKind.SCENARIO, tag) for tag in r["scenarios"])
    for person in facts.links.get(unit, {}):
        own.update((FacetKind.SKILL, held.skill) for held in facts.holdings.get(person, []))
    return own


def _active_unit(record: Any, day: date) -> bool:
    return not record["retired"] and _within(day, None, _day(record["valid_to"]))


def _city_needs(facts: CityFacts) -> st.SearchStrategy[Need | None]:
    skill_refs = st.sampled_from(sorted(facts.refs)).flatmap(
        lambda skill: st.sampled_from(facts.refs[skill])
    )
    return st.none() | st.builds(
        Need,
        scenario=st.none() | st.sampled_from(facts.scenarios),
        skills=st.lists(skill_refs, max_size=3).map(tuple),
        resource_kinds=st.lists(st.sampled_from(facts.kinds), max_size=2, unique=True).map(tuple),
    )


def _resolved(facts: CityFacts, need: Need | None) -> list[str]:
    """The skill ids a need's references name, in order, each once."""
    if need is None:
        return []
    by_ref = {ref: skill for skill, refs in facts.refs.items() for ref in refs}
    return list(dict.fromkeys(by_ref[ref] for ref in need.skills))


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_partners_on_a_generated_city(
    city_facts: CityFacts,
    generated_graph: Driver,
    neo4j_settings: Settings,
    run_query: RunQuery,
    data: st.DataObject,
) -> None:
    facts = city_facts
    at_bound = st.tuples(st.sampled_from(facts.bounds), st.integers(-1, 1)).map(
        lambda pick: pick[0] + timedelta(days=pick[1])
    )
    day = data.draw(st.just(REFERENCE_DATE) | at_bound, label="as_of")
    # Half the time A is party to an active agreement, or new_only would rarely leave anyone out.
    units = st.sampled_from(sorted(facts.units))
    partnered = sorted(
        {
            u
            for _, start, end, parties in facts.agreements
            if _within(day, start, end)
            for u in parties
        }
    )
    unit = data.draw(st.sampled_from(partnered) | units if partnered else units, label="unit")
    need = data.draw(_city_needs(facts), label="need")
    radius_km = data.draw(st.floats(min_value=0.2, max_value=6.0), label="radius_km")
    new_only = data.draw(st.booleans(), label="new_only")
    limit = data.draw(st.integers(min_value=1, max_value=6), label="limit")

    def ask(n: int, *, only_new: bool) -> PartnersResult:
        return run_query(  # type: ignore[no-any-return]
            lambda d, db: find_partners(
                d,
                db,
                unit,
                need=need,
                radius_km=radius_km,
                new_only=only_new,
                limit=n,
                as_of=day,
            )
        )

    if not _active_unit(facts.units[unit], day):
        with pytest.raises(BadArgumentError):
            ask(limit, only_new=new_only)
        return
    everyone, newcomers = ask(500, only_new=False), ask(500, only_new=True)
    top = ask(limit, only_new=new_only)

    # The reference: every active unit within the radius that brings something relevant.
    records, _, _ = generated_graph.execute_query(
        DISTANCES, unit_id=unit, database_=neo4j_settings.neo4j_database
    )
    metres = {r["id"]: r["metres"] for r in records}
    needed = _resolved(facts, need)
    empty = need is None or (not need.scenario and not needed and not need.resource_kinds)
    used_need = None if empty else need
    own = _own(facts, unit, day)
    offers = {
        b: offer
        for b, record in facts.units.items()
        if b != unit and _active_unit(record, day) and metres[b] <= radius_km * 1000
        for offer in [_offer(facts, b, day, used_need, needed, own)]
        if offer.resources or offer.people
    }
    paired = {
        b
        for _, start, end, parties in facts.agreements
        if unit in parties and _within(day, start, end)
        for b in parties
    } - {unit}

    for result, expected in ((everyone, set(offers)), (newcomers, set(offers) - paired)):
        assert (result.need is None) == empty
        if result.need is not None:
            assert [s.id for s in result.need.skills] == needed
        assert {p.unit.id for p in result.partners} == expected
        assert result.total == len(expected)
        keys = [_rank_key(p) for p in result.partners]
        assert keys == sorted(keys)
        assert [p.rank for p in result.partners] == list(range(1, len(result.partners) + 1))
    for partner in everyone.partners:
        _check_partner(facts, partner, offers[partner.unit.id], day, radius_km, metres, used_need)
        shared = {
            g
            for g, start, end, parties in facts.agreements
            if {unit, partner.unit.id} <= parties and _within(day, start, end)
        }
        assert {g.id for g in partner.ties.shared_agreements} == shared
    # new_only leaves out the units A shares an active agreement with, and changes nothing else.
    assert [dataclasses.replace(p, rank=0) for p in newcomers.partners] == [
        dataclasses.replace(p, rank=0) for p in everyone.partners if p.unit.id not in paired
    ]
    # The early stop of the track-record reads never changes the top of the ranking.
    whole = newcomers if new_only else everyone
    assert top.partners == whole.partners[:limit]
    assert top.total == whole.total


def _check_partner(
    facts: CityFacts,
    partner: Partner,
    offer: Offer,
    day: date,
    radius_km: float,
    metres: dict[str, float],
    need: Need | None,
) -> None:
    record = facts.units[partner.unit.id]
    assert partner.unit.kind is (
        UnitKind.PARTY_ORG if record["party_org"] else UnitKind.ORGANIZATION
    )
    assert partner.distance_km == pytest.approx(metres[partner.unit.id] / 1000, rel=1e-12)
    assert _distance(partner) <= radius_km
    # The components add up to the score exactly, each weight × value.
    assert [c.name for c in partner.components] == list(Component)
    assert math.fsum(c.contribution for c in partner.components) == partner.score
    for component in partner.components:
        assert component.weight == getattr(DEFAULT_WEIGHTS, component.name)
        assert component.contribution == component.weight * component.value
        assert 0.0 <= component.value <= 1.0
    values = {c.name: c.value for c in partner.components}
    # The documented complement: the need's mean coverage, or s / (s + 3) for s new things.
    offered = math.fsum(offer.facets.values())
    complement = offered / len(offer.facets) if need is not None else offered / (offered + 3.0)
    assert values[Component.COMPLEMENT] == pytest.approx(complement)
    assert values[Component.PROXIMITY] == pytest.approx(1 - _distance(partner) / radius_km)
    # The evidence is concrete: exactly the relevant usable resources and skilled people.
    assert {r.id for r in partner.resources} == offer.resources
    for resource in partner.resources:
        stored = facts.resources[resource.id]
        assert stored["owner"] == partner.unit.id
        assert _usable(stored, day)
        assert (resource.kind, list(resource.scenarios)) == (stored["kind"], stored["scenarios"])
    assert {p.id for p in partner.people} == offer.people
    linked = facts.links[partner.unit.id]
    for person in partner.people:
        link = PersonLink.MEMBER if linked[person.id] == "MEMBER_OF" else PersonLink.EMPLOYEE
        assert person.link is link
        assert person.skills
        for held in person.skills:
            assert Holding(held.skill.id, held.level, held.certified) in facts.holdings[person.id]
            assert held.covers.id in _lineage(facts, held.skill.id)
            assert held.skill.name == facts.skill_names[held.skill.id]
    assert {(f.facet, f.key) for f in partner.coverage} == set(offer.facets)
    for facet in partner.coverage:
        assert facet.coverage == pytest.approx(offer.facets[(facet.facet, facet.key)])


def test_new_only_on_a_generated_city(
    city_facts: CityFacts,
    generated_graph: Driver,
    neo4j_settings: Settings,
    run_query: RunQuery,
) -> None:
    """The property test meets units with active partners nearby only now and then: here is
    the unit of the city with the most of them, so that new_only surely leaves someone out."""
    facts, day, radius_km = city_facts, REFERENCE_DATE, 3.0
    partners: dict[str, set[str]] = defaultdict(set)
    for _, start, end, parties in facts.agreements:
        if _within(day, start, end):
            for u in parties:
                partners[u] |= parties - {u}

    def near(unit: str) -> set[str]:
        records, _, _ = generated_graph.execute_query(
            DISTANCES, unit_id=unit, database_=neo4j_settings.neo4j_database
        )
        return {r["id"] for r in records if r["metres"] <= radius_km * 1000}

    unit = max(sorted(partners), key=lambda u: len(partners[u] & near(u)))
    paired = partners[unit]

    def ask(new_only: bool) -> PartnersResult:
        return run_query(  # type: ignore[no-any-return]
            lambda d, db: find_partners(
                d, db, unit, radius_km=radius_km, new_only=new_only, limit=500, as_of=day
            )
        )

    everyone, newcomers = ask(False), ask(True)
    assert {p.unit.id for p in everyone.partners} & paired
    assert [dataclasses.replace(p, rank=0) for p in newcomers.partners] == [
        dataclasses.replace(p, rank=0) for p in everyone.partners if p.unit.id not in paired
    ]
    assert all(p.ties.shared_agreements == () for p in newcomers.partners)
