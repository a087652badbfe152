"""Coverage gaps (questions.md §3): every known answer of the sample, the report against the
single questions, a street's scope against the city's, and exact answers on hand-built graphs
for the edge cases of each definition."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from neo4j import Driver

from cobuild.settings import Settings
from graph.model import RegionLevel, Sector
from ingest import runs
from ingest.transactions import Batched
from queries import coverage
from queries.coverage import (
    AffiliationProblem,
    CoverageReport,
    MemberRatio,
    RegionMemberRatios,
    blank_areas,
    coverage_report,
    marginal_units,
    member_ratios,
    resource_gaps,
    skill_gaps,
    unclear_affiliations,
    uncovered_organizations,
)
from queries.errors import BadArgumentError, NotFoundError
from tests.conftest import SAMPLE
from tests.queries.conftest import RunQuery

ANSWERS = json.loads((SAMPLE / "answers.json").read_text(encoding="utf-8"))
GAPS = ANSWERS["gaps"]
AS_OF = date.fromisoformat(ANSWERS["as_of"])
CITY, DISTRICT = "370200", "370202"
STREETS = sorted(GAPS["member_ratio"]["per_street"])


def _ask(run_query: RunQuery, question: Callable[..., Any], **options: Any) -> Any:
    options.setdefault("as_of", AS_OF)
    return run_query(lambda d, db: question(d, db, **options))


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test computes its answers (the cache is exercised on purpose where it matters)."""
    coverage.clear_cache()


# --- the sample's known answers ----------------------------------------------------------------


def test_sample_uncovered_organizations(sample_graph: Driver, run_query: RunQuery) -> None:
    known = GAPS["uncovered_organizations"]
    answer = _ask(run_query, uncovered_organizations)
    assert answer.scope.region.id == CITY  # the single top region by default
    counts = {
        s.sector: {"uncovered": s.uncovered, "total": s.organizations} for s in answer.by_sector
    }
    assert counts == known["counts"]
    for sector, ids in known["by_sector"].items():
        assert [i.id for i in answer.items if i.sector == sector] == ids
    per_street = {c.region.id: c.count for c in answer.counts}
    assert per_street == known["per_street_counts"]
    assert answer.outside_count_level == len(answer.items) - sum(per_street.values())
    lapsed = {i.id: [po.id for po in i.lapsed_party_orgs] for i in answer.items}
    assert lapsed["91370202MAG1EXCG07"] == ["PO-370202-9006"]  # hosted only by an expired one
    for item in answer.items:
        assert item.name in item.reason
        assert f"在职党员 {item.party_members} 名" in item.reason

    examples = known["filter_examples"]
    big = _ask(run_query, uncovered_organizations, sector="new_economic", min_employees=50)
    assert [i.id for i in big.items] == examples["new_economic_min_employees_50"]
    assert all(i.employees >= 50 for i in big.items)
    platforms = _ask(run_query, uncovered_organizations, kind="platform_company")
    assert [i.id for i in platforms.items] == examples["kind_platform_company"]


def _ratios_match(answer: RegionMemberRatios, known: dict[str, Any]) -> None:
    assert answer.region.name == known["name"]
    for sector in Sector:
        ratio = answer.sector(sector).ratio
        expected = known[sector.value]
        assert (ratio.numerator, ratio.denominator) == (
            expected["numerator"],
            expected["denominator"],
        )
        assert ratio.fraction == expected["fraction"]
        assert ratio.percent == expected["percent"]
    neg = answer.new_employment_group
    expected = known["new_employment_group"]
    assert (neg.numerator, neg.denominator, neg.percent) == (
        expected["numerator"],
        expected["denominator"],
        expected["percent"],
    )


def test_sample_member_ratios(sample_graph: Driver, run_query: RunQuery) -> None:
    known = GAPS["member_ratio"]
    city = _ask(run_query, member_ratios, region_id=CITY)
    _ratios_match(city.total, known["city"][CITY])
    assert [r.region.id for r in city.by_region] == STREETS
    for street in city.by_region:
        _ratios_match(street, known["per_street"][street.region.id])
        assert street.summary.startswith(street.region.name)
    district = _ask(run_query, member_ratios, region_id=DISTRICT, count_level="district")
    _ratios_match(district.total, known["per_district"][DISTRICT])
    _ratios_match(district.by_region[0], known["per_district"][DISTRICT])
    # One street asked about on its own gives the same figures.
    street = _ask(run_query, member_ratios, region_id=STREETS[0])
    _ratios_match(street.total, known["per_street"][STREETS[0]])


def test_sample_blank_areas(sample_graph: Driver, run_query: RunQuery) -> None:
    known = GAPS["blank_areas"]
    for level in ("grid", "compound", "building"):
        answer = _ask(run_query, blank_areas, level=level)
        assert [i.region.id for i in answer.items] == known[level]
        assert len(answer.items) == known["counts"][level]
        assert sum(c.count for c in answer.counts) == len(answer.items)
        for item in answer.items:
            assert item.region.level == level
            assert "无党员居住、无有效党组织" in item.reason
    grid = _ask(run_query, blank_areas, level="grid").items[0]
    assert grid.parent is not None
    assert f"登记居民 {grid.residents} 人" in grid.reason


def test_sample_unclear_affiliations(sample_graph: Driver, run_query: RunQuery) -> None:
    known = GAPS["unclear_affiliation"]
    answer = _ask(run_query, unclear_affiliations)
    assert answer.top is not None
    assert (answer.top.id, answer.top.name) == (
        known["top_party_org"]["id"],
        known["top_party_org"]["name"],
    )
    no_parent = [i for i in answer.items if i.problem is AffiliationProblem.NO_PARENT]
    inactive = [i for i in answer.items if i.problem is AffiliationProblem.INACTIVE_PARENT]
    assert [{"id": i.party_org.id, "name": i.party_org.name} for i in no_parent] == known[
        "no_parent"
    ]
    assert [
        {
            "id": i.party_org.id,
            "name": i.party_org.name,
            "parent": {"id": i.parent.id, "name": i.parent.name},
        }
        for i in inactive
        if i.parent is not None
    ] == known["inactive_parent"]
    assert inactive[0].parent is not None
    assert str(inactive[0].parent.valid_to) in inactive[0].reason


def test_sample_skill_gaps(sample_graph: Driver, run_query: RunQuery) -> None:
    answer = _ask(run_query, skill_gaps)
    found = {
        s.street.id: {
            g.skill_id: {"skill": g.skill_name, "demands": [d.id for d in g.demands]}
            for g in s.gaps
        }
        for s in answer.streets
    }
    assert found == GAPS["skill_gaps"]["per_street"]
    drone = answer.streets[-1].gaps[0]
    assert drone.holders_anywhere == 0  # nobody in the dataset has 无人机操作
    assert "无人机操作" in drone.reason


def test_sample_resource_gaps(sample_graph: Driver, run_query: RunQuery) -> None:
    answer = _ask(run_query, resource_gaps)
    found = {
        s.street.id: {g.scenario: [d.id for d in g.demands] for g in s.gaps} for s in answer.streets
    }
    assert found == GAPS["resource_gaps"]["per_street"]
    lift = next(g for s in answer.streets for g in s.gaps)
    # Two resources of 湛山 are tagged 加装电梯, neither usable: one unshareable, one unavailable.
    assert (lift.tagged_in_street, lift.unshareable, lift.unavailable) == (2, 1, 1)
    assert lift.nearest_usable is not None
    assert lift.usable_nearby >= 1
    assert lift.nearest_usable.distance_m <= coverage.NEARBY_RADIUS_M


def test_sample_marginal_units(sample_graph: Driver, run_query: RunQuery) -> None:
    known = GAPS["marginal_units"]
    answer = _ask(run_query, marginal_units)
    assert [i.id for i in answer.items] == known["primary"]
    assert answer.units == known["universe"]
    assert set(known["robust_include"]) <= {i.id for i in answer.items}
    assert not set(known["robust_exclude"]) & {i.id for i in answer.items}
    for item in answer.items:
        if item.partner is None:
            assert "没有任何有效横向联系" in item.reason
        else:
            assert item.partner.name in item.reason
            assert (
                item.shared_members
                or item.shared_resources
                or any(a.with_partner for a in item.agreements)
            )


@pytest.mark.parametrize(
    ("question", "options"),
    [
        (uncovered_organizations, {}),
        (blank_areas, {"level": RegionLevel.BUILDING}),
        (unclear_affiliations, {}),
        (marginal_units, {}),
    ],
)
def test_pages_put_together_are_the_whole_list(
    sample_graph: Driver, run_query: RunQuery, question: Callable[..., Any], options: Any
) -> None:
    whole = _ask(run_query, question, **options)
    assert whole.page.total == len(whole.items) >= 2
    assert not whole.page.has_next_page
    pages, offset = [], 0
    while True:
        page = _ask(run_query, question, first=1, offset=offset, **options)
        assert (page.counts, page.page.total) == (whole.counts, whole.page.total)
        pages += page.items
        offset += len(page.items)
        if not page.page.has_next_page:
            break
        assert page.page.end_cursor is not None
    assert tuple(pages) == whole.items
    with pytest.raises(BadArgumentError):
        _ask(run_query, question, first=-1, **options)


def test_report_is_every_question(sample_graph: Driver, run_query: RunQuery) -> None:
    report: CoverageReport = _ask(run_query, coverage_report)
    coverage.clear_cache()  # each question computed on its own below
    assert report.uncovered_organizations == _ask(run_query, uncovered_organizations)
    assert report.member_ratios == _ask(run_query, member_ratios)
    assert report.blank_areas == tuple(
        _ask(run_query, blank_areas, level=level) for level in coverage.BLANK_AREA_LEVELS
    )
    assert report.unclear_affiliations == _ask(run_query, unclear_affiliations)
    assert report.skill_gaps == _ask(run_query, skill_gaps)
    assert report.resource_gaps == _ask(run_query, resource_gaps)
    assert report.marginal_units == _ask(run_query, marginal_units)
    # Answered again from the cache (the sample came from a completed ingest run): the same.
    assert _ask(run_query, coverage_report) == report


def test_a_street_is_its_part_of_the_city(sample_graph: Driver, run_query: RunQuery) -> None:
    city = _ask(run_query, coverage_report, count_level="community")
    street_id = "370202003"
    street = _ask(run_query, coverage_report, region_id=street_id, count_level="community")
    assert street.scope.region.name == "香港中路街道"
    in_street = [
        c for c in city.uncovered_organizations.counts if c.region.id.startswith(street_id)
    ]
    assert street.uncovered_organizations.counts == tuple(in_street)
    assert (
        len(street.uncovered_organizations.items)
        == GAPS["uncovered_organizations"]["per_street_counts"][street_id]
    )
    assert [s.street.id for s in street.skill_gaps.streets] == [street_id]
    assert street.skill_gaps.streets[0] == city.skill_gaps.streets[-1]
    city_blank = {
        i.region.id for b in city.blank_areas for i in b.items if i.region.id.startswith(street_id)
    }
    assert {i.region.id for b in street.blank_areas for i in b.items} == city_blank
    assert [i.party_org.id for i in street.unclear_affiliations.items] == ["PO-370202-9007"]
    city_marginal = {i.id for i in city.marginal_units.items if i.region.id.startswith(street_id)}
    assert {i.id for i in street.marginal_units.items} == city_marginal
    # Counting below street level for the per-street questions counts per street.
    assert [c.region.id for c in street.skill_gaps.counts] == [street_id]


def test_errors(sample_graph: Driver, run_query: RunQuery) -> None:
    with pytest.raises(NotFoundError):
        _ask(run_query, coverage_report, region_id="999999")
    with pytest.raises(BadArgumentError):
        _ask(run_query, coverage_report, count_level="planet")
    with pytest.raises(BadArgumentError):
        _ask(run_query, blank_areas, level="street")
    with pytest.raises(BadArgumentError):
        _ask(run_query, uncovered_organizations, sector="old_economic")
    with pytest.raises(BadArgumentError):
        _ask(run_query, uncovered_organizations, kind="castle")
    with pytest.raises(BadArgumentError):
        _ask(run_query, uncovered_organizations, min_employees=-1)


def test_member_ratio_arithmetic() -> None:
    assert MemberRatio(7, 304).percent == 2.3
    assert MemberRatio(0, 0).value is None
    assert MemberRatio(0, 0).percent is None
    assert MemberRatio(2, 3).fraction == "2/3"


# --- hand-built graphs -------------------------------------------------------------------------

# A city → street S → community C → grid G1 (compound K1 → buildings B1, B2) and grid G2 (compound
# K2 → building B3); a second street T. Members, party orgs, organizations, people with skills,
# resources and demands are added per test.
REGIONS = """
CREATE (city:Region {id: 'CITY', name: '某市', level: 'city', level_rank: 1})
CREATE (s:Region {id: 'S', name: '甲街道', level: 'street', level_rank: 3})-[:PART_OF]->(city)
CREATE (t:Region {id: 'T', name: '乙街道', level: 'street', level_rank: 3})-[:PART_OF]->(city)
CREATE (c:Region {id: 'C', name: '丙社区', level: 'community', level_rank: 4})-[:PART_OF]->(s)
CREATE (g1:Region {id: 'G1', name: '第1网格', level: 'grid', level_rank: 5,
                   population: 100, households: 40})-[:PART_OF]->(c)
CREATE (g2:Region {id: 'G2', name: '第2网格', level: 'grid', level_rank: 5})-[:PART_OF]->(c)
CREATE (k1:Region {id: 'K1', name: '一号院', level: 'compound', level_rank: 6})-[:PART_OF]->(g1)
CREATE (k2:Region {id: 'K2', name: '二号院', level: 'compound', level_rank: 6})-[:PART_OF]->(g2)
CREATE (:Region {id: 'B1', name: '1栋', level: 'building', level_rank: 7})-[:PART_OF]->(k1)
CREATE (:Region {id: 'B2', name: '2栋', level: 'building', level_rank: 7})-[:PART_OF]->(k1)
CREATE (:Region {id: 'B3', name: '3栋', level: 'building', level_rank: 7})-[:PART_OF]->(k2)
CREATE (:Region {id: 'TC', name: '丁社区', level: 'community', level_rank: 4})-[:PART_OF]->(t)
"""


@pytest.fixture
def build(empty_graph: Driver, neo4j_settings: Settings) -> Callable[[str], None]:
    """``build(cypher)``: the region tree above plus what ``cypher`` creates (MATCHing regions)."""

    def create(cypher: str) -> None:
        db = neo4j_settings.neo4j_database
        empty_graph.execute_query(REGIONS, database_=db)
        if cypher:
            empty_graph.execute_query(cypher, database_=db)
        runs.derive_summaries(Batched(empty_graph, db))  # as every load does

    return create


def test_hand_uncovered(build: Callable[[str], None], run_query: RunQuery) -> None:
    build("""
    MATCH (c:Region {id: 'C'}), (city:Region {id: 'CITY'})
    CREATE (a:Organization:Unit {id: 'O1', name: '甲公司', sector: 'new_economic',
            kind: 'private_enterprise', employees: 10})-[:IN_REGION]->(c)
    CREATE (b:Organization:Unit {id: 'O2', name: '乙公司', sector: 'new_economic',
            kind: 'private_enterprise', employees: 60})-[:IN_REGION]->(c)
    CREATE (d:Organization:Unit {id: 'O3', name: '丙协会', sector: 'new_social',
            kind: 'social_organization'})-[:IN_REGION]->(city)
    CREATE (e:Organization:Unit {id: 'O4', name: '丁公司', sector: 'new_economic',
            kind: 'private_enterprise', employees: 5})-[:IN_REGION]->(c)
    CREATE (:PartyOrg:Unit {id: 'P1', name: '甲公司党支部', type: 'branch'})-[:SET_UP_IN]->(a)
    CREATE (:PartyOrg:Unit {id: 'P2', name: '临时党支部', type: 'temporary',
            valid_to: date('2024-12-31')})-[:COVERS]->(b)
    CREATE (:PartyOrg:Unit:Retired {id: 'P3', name: '旧党支部', type: 'branch'})-[:COVERS]->(e)
    WITH b
    UNWIND range(1, 3) AS i
    CREATE (:Person {id: 'M' + i, name: '党员' + i, is_party_member: true})-[:EMPLOYED_BY]->(b)
    """)
    answer = _ask(run_query, uncovered_organizations)
    assert [i.id for i in answer.items] == ["O2", "O3", "O4"]
    o2 = answer.items[0]
    assert [po.id for po in o2.lapsed_party_orgs] == ["P2"]
    assert o2.party_members == 3
    assert "可单独组建党支部" in o2.reason
    assert "2024-12-31 到期" in o2.reason
    assert answer.items[1].employees is None
    assert "从业人员数未报" in answer.items[1].reason
    assert [(c.region.id, c.count) for c in answer.counts] == [("S", 2), ("T", 0)]
    assert answer.outside_count_level == 1  # O3 sits at city level
    by_sector = {s.sector: (s.uncovered, s.organizations) for s in answer.by_sector}
    assert by_sector == {"new_economic": (2, 3), "new_social": (1, 1)}
    # Back when the temporary branch was active, it covered O2.
    then = _ask(run_query, uncovered_organizations, as_of=date(2024, 6, 1))
    assert [i.id for i in then.items] == ["O3", "O4"]
    big = _ask(run_query, uncovered_organizations, min_employees=50, sector=Sector.NEW_ECONOMIC)
    assert [i.id for i in big.items] == ["O2"]
    assert _ask(run_query, uncovered_organizations, region_id="T").items == ()


def test_hand_member_ratios(build: Callable[[str], None], run_query: RunQuery) -> None:
    build("""
    MATCH (c:Region {id: 'C'}), (city:Region {id: 'CITY'}), (b1:Region {id: 'B1'}),
          (tc:Region {id: 'TC'})
    CREATE (a:Organization:Unit {id: 'O1', name: '甲', sector: 'traditional', kind: 'agency',
            employees: 20})-[:IN_REGION]->(c)
    CREATE (b:Organization:Unit {id: 'O2', name: '乙', sector: 'traditional', kind: 'agency',
            employees: 30})-[:IN_REGION]->(city)
    CREATE (:Person {id: 'M1', name: '甲一', is_party_member: true})-[:EMPLOYED_BY]->(a)
    CREATE (:Person {id: 'M2', name: '甲二', is_party_member: true})-[:EMPLOYED_BY]->(a)
    CREATE (:Person {id: 'N1', name: '甲三', is_party_member: false})-[:EMPLOYED_BY]->(a)
    CREATE (:Person {id: 'M3', name: '乙一', is_party_member: true})-[:EMPLOYED_BY]->(b)
    CREATE (:Person:Retired {id: 'M4', name: '乙二', is_party_member: true})-[:EMPLOYED_BY]->(b)
    CREATE (:Person {id: 'R1', name: '骑手一', is_party_member: true, occupation: '外卖骑手',
            new_employment_group: false})-[:RESIDES_IN]->(b1)
    CREATE (:Person {id: 'R2', name: '主播一', is_party_member: false,
            new_employment_group: true})-[:RESIDES_IN]->(b1)
    CREATE (:Person {id: 'R3', name: '司机一', is_party_member: false,
            occupation: '网约车司机'})-[:RESIDES_IN]->(tc)
    CREATE (:Person {id: 'X1', name: '教师一', is_party_member: true,
            occupation: '教师'})-[:RESIDES_IN]->(b1)
    """)
    answer = _ask(run_query, member_ratios)
    total = answer.total
    assert total.sector("traditional").ratio == MemberRatio(3, 50)
    assert total.sector("traditional").organizations == 2
    assert total.sector("new_social").ratio == MemberRatio(0, 0)
    assert total.new_employment_group == MemberRatio(1, 3)
    s, t = answer.by_region
    assert (s.region.id, t.region.id) == ("S", "T")
    assert s.sector("traditional").ratio == MemberRatio(2, 20)  # O2 sits above any street
    assert s.new_employment_group == MemberRatio(1, 2)
    assert t.new_employment_group == MemberRatio(0, 1)
    assert "传统领域 2/20（10.00%）" in s.summary
    assert "新社会组织 0/0（—）" in s.summary


def test_hand_blank_areas(build: Callable[[str], None], run_query: RunQuery) -> None:
    build("""
    MATCH (b1:Region {id: 'B1'}), (b2:Region {id: 'B2'}), (k2:Region {id: 'K2'})
    CREATE (:Person {id: 'M1', name: '党员', is_party_member: true})-[:RESIDES_IN]->(b1)
    CREATE (:Person {id: 'N1', name: '群众', is_party_member: false})-[:RESIDES_IN]->(b2)
    CREATE (:Person:Retired {id: 'M2', name: '旧党员', is_party_member: true})-[:RESIDES_IN]->(b2)
    CREATE (:PartyOrg:Unit {id: 'P1', name: '临时党支部', type: 'temporary',
            valid_to: date('2024-12-31')})-[:IN_REGION]->(k2)
    """)
    grids = _ask(run_query, blank_areas, level=RegionLevel.GRID)
    # G1 has a member in B1 below it; G2 only an expired party org in K2 below it.
    assert [i.region.id for i in grids.items] == ["G2"]
    assert grids.areas == 2
    assert [po.id for po in grids.items[0].lapsed_party_orgs] == ["P1"]
    assert [(c.region.id, c.count) for c in grids.counts] == [("S", 1), ("T", 0)]
    buildings = _ask(run_query, blank_areas, level="building", count_level="grid")
    b2 = buildings.items[0]
    assert [i.region.id for i in buildings.items] == ["B2", "B3"]
    assert (b2.residents, b2.parent and b2.parent.id) == (1, "K1")  # the retired member is gone
    assert [(c.region.id, c.count) for c in buildings.counts] == [("G1", 1), ("G2", 1)]
    # While the temporary party org was active, G2 and its compound were covered.
    then = _ask(run_query, blank_areas, level="compound", as_of=date(2024, 6, 1))
    assert then.items == ()
    assert _ask(run_query, blank_areas, level="grid", region_id="T").areas == 0


def test_hand_unclear_affiliations(build: Callable[[str], None], run_query: RunQuery) -> None:
    build("""
    MATCH (city:Region {id: 'CITY'}), (s:Region {id: 'S'}), (c:Region {id: 'C'})
    CREATE (top:PartyOrg:Unit {id: 'TOP', name: '市委', type: 'committee'})-[:IN_REGION]->(city)
    CREATE (twin:PartyOrg:Unit {id: 'TWIN', name: '另一市委', type: 'committee'})
           -[:IN_REGION]->(city)
    CREATE (w:PartyOrg:Unit {id: 'W', name: '街道党工委', type: 'working_committee'})
           -[:IN_REGION]->(s)
    CREATE (w)-[:SUBORDINATE_TO]->(top)
    CREATE (gone:PartyOrg:Unit:Retired {id: 'GONE', name: '撤销党委', type: 'committee'})
           -[:IN_REGION]->(s)
    CREATE (orphan:PartyOrg:Unit {id: 'ORPHAN', name: '孤立支部', type: 'branch'})-[:IN_REGION]->(c)
    CREATE (orphan)-[:SUBORDINATE_TO]->(gone)
    CREATE (temp:PartyOrg:Unit {id: 'TEMP', name: '临时党支部', type: 'temporary',
            valid_to: date('2024-12-31')})-[:IN_REGION]->(c)
    CREATE (temp)-[:SUBORDINATE_TO]->(w)
    CREATE (child:PartyOrg:Unit {id: 'CHILD', name: '功能型支部', type: 'functional'})
           -[:IN_REGION]->(c)
    CREATE (child)-[:SUBORDINATE_TO]->(temp)
    """)
    answer = _ask(run_query, unclear_affiliations)
    # Two parentless committees at city level: no single top, both are findings.
    assert answer.top is None
    assert [po.id for po in answer.top_candidates] == ["TOP", "TWIN"]
    problems = {i.party_org.id: i.problem for i in answer.items}
    assert problems == {
        "CHILD": AffiliationProblem.INACTIVE_PARENT,
        "ORPHAN": AffiliationProblem.NO_PARENT,  # its parent is retired
        "TOP": AffiliationProblem.NO_PARENT,
        "TWIN": AffiliationProblem.NO_PARENT,
    }
    assert answer.outside_count_level == 2
    street = _ask(run_query, unclear_affiliations, region_id="S")
    assert [i.party_org.id for i in street.items] == ["CHILD", "ORPHAN"]
    child = street.items[0]
    assert child.parent is not None
    assert child.parent.valid_to == date(2024, 12, 31)
    # Back when the temporary party org was active, its child had a parent.
    then = _ask(run_query, unclear_affiliations, region_id="S", as_of=date(2024, 6, 1))
    assert [i.party_org.id for i in then.items] == ["ORPHAN"]


SKILLS_AND_RESOURCES = """
MATCH (c:Region {id: 'C'}), (g1:Region {id: 'G1'}), (b3:Region {id: 'B3'}), (tc:Region {id: 'TC'}),
      (s:Region {id: 'S'})
SET s.location = point({latitude: 36.06, longitude: 120.36})
CREATE (care:Skill {id: 'K-CARE', name: '照护'})
CREATE (elder:Skill {id: 'K-ELDER', name: '老年照护'})-[:SUBCATEGORY_OF]->(care)
CREATE (sign:Skill {id: 'K-SIGN', name: '手语'})
CREATE (drone:Skill {id: 'K-DRONE', name: '无人机'})
CREATE (law:Skill {id: 'K-LAW', name: '法律'})
CREATE (po:PartyOrg:Unit {id: 'PO', name: '丙社区党委', type: 'committee'})-[:IN_REGION]->(c)
CREATE (old:PartyOrg:Unit {id: 'OLD', name: '临时党支部', type: 'temporary',
        valid_to: date('2024-12-31')})-[:IN_REGION]->(c)
CREATE (p1:Person {id: 'P1', name: '护工', is_party_member: false})-[:RESIDES_IN]->(b3)
CREATE (p1)-[:HAS_SKILL {level: 4}]->(elder)
CREATE (p2:Person {id: 'P2', name: '律师', is_party_member: true})-[:RESIDES_IN]->(tc)
CREATE (p2)-[:REPORTS_TO]->(po), (p2)-[:HAS_SKILL {level: 5}]->(law)
CREATE (p3:Person {id: 'P3', name: '手语老师', is_party_member: true})-[:RESIDES_IN]->(tc)
CREATE (p3)-[:REPORTS_TO]->(old), (p3)-[:HAS_SKILL {level: 5}]->(sign)
CREATE (p4:Person {id: 'P4', name: '飞手', is_party_member: false})-[:RESIDES_IN]->(g1)
CREATE (p4)-[:HAS_SKILL {level: 3, retired_run: 'run-0'}]->(drone)
CREATE (d1:Demand {id: 'D1', title: '照护需求', status: 'open', scenario: '养老服务'})
       -[:IN_REGION]->(g1)
CREATE (d1)-[:REQUIRES_SKILL]->(care)
CREATE (d2:Demand {id: 'D2', title: '法律咨询', status: 'open', scenario: '法律援助'})
       -[:IN_REGION]->(b3)
CREATE (d2)-[:REQUIRES_SKILL]->(law), (d2)-[:REQUIRES_SKILL]->(sign)
CREATE (d3:Demand {id: 'D3', title: '航拍', status: 'open', scenario: '应急处置'})
       -[:IN_REGION]->(c)
CREATE (d3)-[:REQUIRES_SKILL]->(drone)
CREATE (d4:Demand {id: 'D4', title: '已办结', status: 'resolved', scenario: '托育'})
       -[:IN_REGION]->(c)
CREATE (d4)-[:REQUIRES_SKILL]->(sign)
CREATE (d5:Demand {id: 'D5', title: '手语翻译', status: 'open'})-[:IN_REGION]->(tc)
CREATE (d5)-[:REQUIRES_SKILL]->(sign)
CREATE (r1:Resource {id: 'R1', name: '日间照料中心', kind: 'venue', scenarios: ['养老服务'],
        shareable: true, status: 'available'})-[:IN_REGION]->(g1)
CREATE (r2:Resource {id: 'R2', name: '法律服务站', kind: 'venue', scenarios: ['法律援助'],
        shareable: false, status: 'available'})-[:IN_REGION]->(c)
CREATE (r3:Resource {id: 'R3', name: '旧无人机', kind: 'equipment', scenarios: ['应急处置'],
        shareable: true, status: 'available', available_to: date('2024-12-31')})
       -[:IN_REGION]->(c)
CREATE (r4:Resource {id: 'R4', name: '应急队', kind: 'volunteer_team', scenarios: ['应急处置'],
        shareable: true, status: 'available',
        location: point({latitude: 36.07, longitude: 120.36})})
       -[:IN_REGION]->(tc)
"""


def test_hand_skill_gaps(build: Callable[[str], None], run_query: RunQuery) -> None:
    build(SKILLS_AND_RESOURCES)
    answer = _ask(run_query, skill_gaps)
    s, t = answer.streets
    # 照护: held through the finer 老年照护 by a resident. 法律: by someone reporting to an active
    # party org in the street. 手语: only by someone reporting to an expired one. 无人机: only
    # through a retired skill record. D4 is resolved, D5 sits in the other street.
    assert s.open_demands == 3
    assert {g.skill_id: [d.id for d in g.demands] for g in s.gaps} == {
        "K-DRONE": ["D3"],
        "K-SIGN": ["D2"],
    }
    sign = next(g for g in s.gaps if g.skill_id == "K-SIGN")
    assert sign.holders_anywhere == 1
    assert "街道外共有 1 人具备" in sign.reason
    assert (t.open_demands, t.gaps) == (1, ())  # P3 resides in T
    assert [(c.region.id, c.count) for c in answer.counts] == [("S", 2), ("T", 0)]
    # Back when the temporary party org was active, 手语 was there.
    then = _ask(run_query, skill_gaps, as_of=date(2024, 6, 1))
    assert [g.skill_id for g in then.streets[0].gaps] == ["K-DRONE"]
    # Asked of grid G1 only: its street's people, its own demands.
    grid = _ask(run_query, skill_gaps, region_id="G1")
    assert [(s.street.id, s.open_demands, s.gaps) for s in grid.streets] == [("S", 1, ())]


def test_hand_resource_gaps(build: Callable[[str], None], run_query: RunQuery) -> None:
    build(SKILLS_AND_RESOURCES)
    answer = _ask(run_query, resource_gaps)
    s, t = answer.streets
    gaps = {g.scenario: g for g in s.gaps}
    assert sorted(gaps) == ["应急处置", "法律援助"]  # 养老服务 has the usable R1
    law = gaps["法律援助"]
    assert (law.tagged_in_street, law.unshareable, law.unavailable, law.inactive) == (1, 1, 0, 0)
    assert law.nearest_usable is None
    emergency = gaps["应急处置"]
    assert (emergency.tagged_in_street, emergency.inactive) == (1, 1)
    assert emergency.nearest_usable is not None
    assert emergency.nearest_usable.id == "R4"
    assert emergency.nearest_usable.region_name == "丁社区"
    assert 1000 < emergency.nearest_usable.distance_m < 1200
    assert "1 项不在可用期内" in emergency.reason
    assert (t.open_demands, t.gaps) == (1, ())  # D5 has no scenario
    then = _ask(run_query, resource_gaps, as_of=date(2024, 6, 1))
    assert [g.scenario for g in then.streets[0].gaps] == ["法律援助"]


def test_hand_marginal_units(build: Callable[[str], None], run_query: RunQuery) -> None:
    build("""
    MATCH (c:Region {id: 'C'})
    UNWIND ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] AS name
    CREATE (:Organization:Unit {id: name, name: name + '单位', sector: 'new_economic',
            kind: 'other'})-[:IN_REGION]->(c)
    WITH DISTINCT c
    MATCH (a {id: 'A'}), (b {id: 'B'}), (cc:Organization {id: 'C'}), (d {id: 'D'}),
          (e {id: 'E'}), (f {id: 'F'}), (g {id: 'G'}), (h {id: 'H'})
    CREATE (po:PartyOrg:Unit {id: 'PO', name: '联合支部', type: 'joint_branch'})-[:IN_REGION]->(c)
    CREATE (:PartyOrg:Unit {id: 'TMP', name: '无期限临时支部', type: 'temporary'})
           -[:IN_REGION]->(c)
    CREATE (x:Agreement {id: 'X', name: '结对协议', kind: 'pairing'})
    CREATE (a)-[:PARTY_TO]->(x), (b)-[:PARTY_TO]->(x)
    CREATE (old:Agreement {id: 'OLD', name: '旧协议', kind: 'pairing',
            expires_on: date('2024-12-31')})
    CREATE (b)-[:PARTY_TO]->(old), (cc)-[:PARTY_TO]->(old)
    CREATE (m:Person {id: 'M', name: '党员', is_party_member: true})
    CREATE (m)-[:EMPLOYED_BY]->(cc), (m)-[:MEMBER_OF]->(po)
    CREATE (n:Person {id: 'N', name: '群众', is_party_member: false})
    CREATE (n)-[:EMPLOYED_BY]->(d), (n)-[:REPORTS_TO]->(po)
    CREATE (r:Resource {id: 'R', name: '场地', kind: 'venue'})-[:OWNED_BY]->(e)
    CREATE (f)-[:USED {id: 'U1'}]->(r), (g)-[:USED {id: 'U2'}]->(r)
    CREATE (h)-[:USED {id: 'U3', retired_run: 'run-0'}]->(r)
    """)
    answer = _ask(run_query, marginal_units)
    assert answer.units == 10  # a temporary party org without an end date stays active
    # A–B share X; C–PO share member M; E owns R, F and G used it (co-users count too).
    # D's only tie is a non-member, H's usage is retired, B's tie to C expired.
    assert [i.id for i in answer.items] == ["A", "B", "C", "D", "H", "PO", "TMP"]
    by_id = {i.id: i for i in answer.items}
    assert by_id["A"].partner is not None
    assert by_id["A"].partner.id == "B"
    assert [(a.id, a.with_partner) for a in by_id["A"].agreements] == [("X", True)]
    assert by_id["C"].partner is not None
    assert (by_id["C"].partner.id, by_id["C"].shared_members) == ("PO", 1)
    assert by_id["D"].partner is None
    assert "没有任何有效横向联系" in by_id["D"].reason
    # Before the old agreement expired, B had two partners.
    then = _ask(run_query, marginal_units, as_of=date(2024, 6, 1))
    assert "B" not in {i.id for i in then.items}


def test_no_cache_without_an_ingest_run(
    build: Callable[[str], None],
    run_query: RunQuery,
    empty_graph: Driver,
    neo4j_settings: Settings,
) -> None:
    build("""
    MATCH (c:Region {id: 'C'})
    CREATE (:Organization:Unit {id: 'O1', name: '甲', sector: 'new_social',
            kind: 'other'})-[:IN_REGION]->(c)
    """)
    assert [i.id for i in _ask(run_query, uncovered_organizations).items] == ["O1"]
    empty_graph.execute_query(
        "MATCH (o:Organization {id: 'O1'}) CREATE (:PartyOrg:Unit {id: 'P', name: '支部', "
        "type: 'branch'})-[:SET_UP_IN]->(o)",
        database_=neo4j_settings.neo4j_database,
    )
    runs.derive_summaries(Batched(empty_graph, neo4j_settings.neo4j_database))  # as a load would
    assert _ask(run_query, uncovered_organizations).items == ()


# --- the tallies (graph.tallies) against walking the graph --------------------------------------


def _step_days(driver: Driver, database: str, count: int) -> list[date]:
    """Days on which the whole city's counts change and the day before each (where an
    off-by-one in a step shows), ``count`` of them spread over the range, and today."""
    records, _, _ = driver.execute_query(
        "MATCH (r:Region) WHERE NOT EXISTS { (r)-[:PART_OF]->(:Region) } RETURN r.tally_on AS days",
        database_=database,
    )
    found = sorted({d.to_native() for d in records[0]["days"]} - {date(1, 1, 1)})
    assert len(found) >= 3, "the city's counts never change: nothing to check"
    chosen = found[:: max(1, len(found) // count)]
    return sorted({date.today(), *chosen, *(d - timedelta(days=1) for d in chosen)})


def _tallied_as_walked(
    run_query: RunQuery, monkeypatch: pytest.MonkeyPatch, days: list[date]
) -> None:
    real = coverage._context

    async def walked(*args: Any, **kwargs: Any) -> Any:
        return dataclasses.replace(await real(*args, **kwargs), tallied=False)

    for day in days:
        for count_level in ("street", "community", "district"):
            coverage.clear_cache()
            tallied = _ask(
                run_query, coverage_report, as_of=day, count_level=count_level, first=None
            )
            paged = _ask(run_query, marginal_units, as_of=day, first=3, offset=2)
            with monkeypatch.context() as patch:
                patch.setattr(coverage, "_context", walked)
                coverage.clear_cache()
                assert (
                    _ask(run_query, coverage_report, as_of=day, count_level=count_level, first=None)
                    == tallied
                ), (day, count_level)
                assert _ask(run_query, marginal_units, as_of=day, first=3, offset=2) == paged


def test_tallies_answer_as_walking_the_sample(
    sample_graph: Driver,
    neo4j_settings: Settings,
    run_query: RunQuery,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    days = _step_days(sample_graph, neo4j_settings.neo4j_database, 6)
    _tallied_as_walked(run_query, monkeypatch, [AS_OF, *days])


def test_tallies_answer_as_walking_a_generated_city(
    generated_graph: Driver,
    neo4j_settings: Settings,
    run_query: RunQuery,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    days = _step_days(generated_graph, neo4j_settings.neo4j_database, 5)
    _tallied_as_walked(run_query, monkeypatch, days)
