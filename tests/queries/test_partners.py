"""Resource-sharing partners (questions.md §2): the sample's cases S1/S2, properties of every
answer on the sample, and exact scores on a hand-built graph."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from cobuild.settings import Settings
from graph.model import ResourceKind
from queries.errors import BadArgumentError, NotFoundError
from queries.matching import skill_quality
from queries.partners import (
    Component,
    FacetKind,
    Need,
    PartnersResult,
    PersonLink,
    UnitKind,
    find_partners,
)
from tests.conftest import SAMPLE
from tests.queries.conftest import RunQuery

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
    keys = [(-p.score, p.distance_km, p.unit.id) for p in everything.partners]
    assert keys == sorted(keys)
    for rank, partner in enumerate(everything.partners, start=1):
        assert partner.rank == rank
        assert partner.unit.id != unit
        assert partner.distance_km <= radius_km + 1e-9
        assert partner.resources or partner.people
        assert {r.id for r in partner.resources} <= sample_facts.usable
        # The components add up to the score exactly, each weight × value.
        assert math.fsum(c.contribution for c in partner.components) == partner.score
        for component in partner.components:
            assert component.contribution == component.weight * component.value
            assert 0.0 <= component.value <= 1.0
        if new_only:
            assert (unit, partner.unit.id) not in sample_facts.paired


# --- a hand-built graph with exact answers (it replaces the sample: keep these last) -----------

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
    assert values[Component.PROXIMITY] == pytest.approx(1 - b.distance_km / 3.0)
    assert 0.85 < b.distance_km < 0.95  # 0.01° of longitude at 36° N
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
