"""Matching people to demands (questions.md §4): the sample's known answers, the assignment
algorithms against brute force, and properties on generated data."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from cobuild.settings import Settings
from queries.errors import BadArgumentError, NotFoundError
from queries.matching import (
    Assignment,
    DemandMatch,
    UnassignedReason,
    assign_demands,
    greedy_assignment,
    match_demand,
    optimal_assignment,
    skill_quality,
    total_fit,
)
from tests.conftest import SAMPLE
from tests.queries.conftest import RunQuery

ANSWERS = json.loads((SAMPLE / "answers.json").read_text(encoding="utf-8"))
MATCHING = ANSWERS["matching"]

# Whether a person holds a skill (or one of its subcategories).
HOLDS = """
MATCH (p:Person {id: $person_id})-[h:HAS_SKILL]->(:Skill)-[:SUBCATEGORY_OF*0..]->(s:Skill)
WHERE h.retired_run IS NULL AND s.id IN $skill_ids
RETURN collect(DISTINCT s.id) AS held
"""


def _holds_all(driver: Driver, database: str, person_id: str, skill_ids: list[str]) -> bool:
    records, _, _ = driver.execute_query(
        HOLDS, person_id=person_id, skill_ids=skill_ids, database_=database
    )
    return set(records[0]["held"]) == set(skill_ids)


# --- the sample --------------------------------------------------------------------------------


def test_planted_region_is_assigned_optimally(sample_graph: Driver, run_query: RunQuery) -> None:
    region = MATCHING["region"]["id"]
    result: Assignment = run_query(
        lambda d, db: assign_demands(d, db, region, capacity=MATCHING["capacity"])
    )
    assert result.open_demands == len(MATCHING["detail"]["open_demands"])
    chosen = {a.demand.id: a.person.id for a in result.assigned}
    assert chosen == MATCHING["detail"]["optimal_assignment"]
    assert len(chosen) == MATCHING["assignable_count_optimal"]
    assert result.greedy_assigned == MATCHING["assignable_count_greedy"]
    assert result.total_fit > result.greedy_total_fit
    assert result.unassigned == ()
    for item in result.assigned:
        assert math.fsum(c.contribution for c in item.components) == item.fit


def test_greedy_and_optimal_on_the_planted_fits(sample_graph: Driver, run_query: RunQuery) -> None:
    def candidates(demand_id: str) -> DemandMatch:
        return run_query(lambda d, db: match_demand(d, db, demand_id))  # type: ignore[no-any-return]

    fits: dict[tuple[str, str], float] = {}
    for demand_id in MATCHING["detail"]["open_demands"]:
        match = candidates(demand_id)
        fits.update({(demand_id, c.person.id): c.fit for c in match.candidates})
    expected_pairs = {tuple(k.split("->")[::-1]) for k in MATCHING["detail"]["fits"]}
    assert set(fits) == expected_pairs
    capacity = MATCHING["capacity"]
    assert greedy_assignment(fits, capacity) == MATCHING["detail"]["greedy_pairs_assignment"]
    assert optimal_assignment(fits, capacity) == MATCHING["detail"]["optimal_assignment"]


def test_best_holder_ranks_first_with_reasons(sample_graph: Driver, run_query: RunQuery) -> None:
    match: DemandMatch = run_query(lambda d, db: match_demand(d, db, "DM-370202-90003"))
    assert [c.person.id for c in match.candidates] == ["P-370202-90025", "P-370202-90026"]
    best = match.candidates[0]
    assert best.rank == 1
    assert best.skills[0].level == 5
    assert best.skills[0].certified
    assert best.components[0].value == skill_quality(5, True)
    assert len(best.reasons) == len(best.components)
    assert match.why_none is None
    assert match.missing_skills == ()


def test_candidates_hold_every_required_skill(
    sample_graph: Driver, neo4j_settings: Settings, run_query: RunQuery
) -> None:
    match: DemandMatch = run_query(lambda d, db: match_demand(d, db, "DM-370202-90007", limit=500))
    required = [s.id for s in match.demand.required_skills]
    assert required
    assert match.total_candidates == len(match.candidates) > 10
    db = neo4j_settings.neo4j_database
    for candidate in match.candidates:
        assert _holds_all(sample_graph, db, candidate.person.id, required)
        assert math.fsum(c.contribution for c in candidate.components) == candidate.fit
        assert all(0.0 <= c.value <= 1.0 for c in candidate.components)
    keys = [(-c.fit, c.person.id) for c in match.candidates]
    assert keys == sorted(keys)
    assert [c.rank for c in match.candidates] == list(range(1, len(match.candidates) + 1))


def test_unassignable_demand_says_why(sample_graph: Driver, run_query: RunQuery) -> None:
    expected = MATCHING["unassignable_demands"][0]
    match: DemandMatch = run_query(lambda d, db: match_demand(d, db, expected["demand"]))
    assert match.candidates == ()
    assert [s.id for s in match.missing_skills] == expected["missing_skills"]
    assert match.why_none is not None
    assert "无人机操作" in match.why_none

    district: Assignment = run_query(lambda d, db: assign_demands(d, db, "370202"))
    unassigned = {u.demand.id: u for u in district.unassigned}
    item = unassigned[expected["demand"]]
    assert item.reason is UnassignedReason.NOBODY_HOLDS_SKILL
    assert [s.id for s in item.missing_skills] == expected["missing_skills"]
    assert item.why_en == "nobody holds 无人机操作"
    assert item.candidates == 0
    # The planted region's optimum holds inside the whole district too.
    chosen = {a.demand.id: a.person.id for a in district.assigned}
    for demand, person in MATCHING["detail"]["optimal_assignment"].items():
        assert chosen[demand] == person


def test_demand_without_skills_takes_local_people(
    sample_graph: Driver, run_query: RunQuery
) -> None:
    match: DemandMatch = run_query(lambda d, db: match_demand(d, db, "DM-370202-00019", limit=500))
    assert match.demand.required_skills == ()
    assert match.candidates
    assert all(c.components[0].value == 1.0 for c in match.candidates)
    # Local = living or reporting in the demand's street: proximity is at least "same street".
    assert all(c.components[1].value >= 0.5 for c in match.candidates)


def test_errors(sample_graph: Driver, run_query: RunQuery) -> None:
    with pytest.raises(NotFoundError):
        run_query(lambda d, db: match_demand(d, db, "DM-NOPE"))
    with pytest.raises(NotFoundError):
        run_query(lambda d, db: assign_demands(d, db, "999999"))
    with pytest.raises(BadArgumentError):
        run_query(lambda d, db: assign_demands(d, db, "370202", capacity=0))
    with pytest.raises(BadArgumentError):
        run_query(lambda d, db: match_demand(d, db, "DM-370202-90003", limit=0))


# --- the algorithms, pure ----------------------------------------------------------------------

fit_tables = st.dictionaries(
    st.tuples(st.sampled_from("abcde"), st.sampled_from("xyz")),
    st.floats(min_value=0.01, max_value=1.0, allow_nan=False),
    max_size=15,
)


def _brute_force(fits: dict[tuple[str, str], float], capacity: int) -> float:
    demands = sorted({d for d, _ in fits})
    best = 0.0
    options = [[None, *sorted(p for dd, p in fits if dd == d)] for d in demands]
    for choice in itertools.product(*options):
        load = Counter(p for p in choice if p is not None)
        if any(n > capacity for n in load.values()):
            continue
        best = max(best, math.fsum(fits[(d, p)] for d, p in zip(demands, choice, strict=True) if p))
    return best


@settings(max_examples=300, deadline=None)
@given(fits=fit_tables, capacity=st.integers(min_value=1, max_value=3))
def test_optimal_assignment_is_optimal(fits: dict[tuple[str, str], float], capacity: int) -> None:
    chosen = optimal_assignment(fits, capacity)
    greedy = greedy_assignment(fits, capacity)
    for assignment in (chosen, greedy):
        assert all((d, p) in fits for d, p in assignment.items())
        assert max(Counter(assignment.values()).values(), default=0) <= capacity
    assert total_fit(fits, chosen) == pytest.approx(_brute_force(fits, capacity), abs=1e-9)
    assert total_fit(fits, chosen) >= total_fit(fits, greedy) - 1e-9


def test_assignment_arguments_are_checked() -> None:
    with pytest.raises(BadArgumentError):
        optimal_assignment({("d", "p"): 0.5}, 0)
    with pytest.raises(BadArgumentError):
        optimal_assignment({("d", "p"): -0.5}, 1)
    with pytest.raises(BadArgumentError):
        greedy_assignment({("d", "p"): 0.5}, 0)
    assert optimal_assignment({}, 2) == {}


# --- generated data (kept last: the city replaces the sample in the shared database) ----------


@pytest.fixture
def open_streets(generated_graph: Driver, neo4j_settings: Settings) -> list[str]:
    """The ids of the generated city's streets that have open demands."""
    records, _, _ = generated_graph.execute_query(
        "MATCH (s:Region {level: 'street'})<-[:PART_OF*0..]-(:Region)<-[:IN_REGION]-"
        "(d:Demand {status: 'open'}) RETURN DISTINCT s.id AS id ORDER BY id",
        database_=neo4j_settings.neo4j_database,
    )
    return [r["id"] for r in records]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), capacity=st.integers(min_value=1, max_value=3))
def test_assignment_properties_on_generated_data(
    open_streets: list[str],
    driver: Driver,
    neo4j_settings: Settings,
    run_query: RunQuery,
    data: st.DataObject,
    capacity: int,
) -> None:
    assert open_streets, "the generator plants open demands in every street"
    street = data.draw(st.sampled_from(open_streets))
    result: Assignment = run_query(lambda d, db: assign_demands(d, db, street, capacity=capacity))
    assert result.open_demands == len(result.assigned) + len(result.unassigned) > 0
    assert max(Counter(a.person.id for a in result.assigned).values(), default=0) <= capacity
    db = neo4j_settings.neo4j_database
    for item in result.assigned:
        required = [s.id for s in item.demand.required_skills]
        assert _holds_all(driver, db, item.person.id, required)
    assert result.total_fit >= result.greedy_total_fit - 1e-9
    assert len(result.assigned) >= 1 or all(u.candidates == 0 for u in result.unassigned)
    for left in result.unassigned:
        if left.reason is UnassignedReason.CAPACITY:
            assert left.candidates > 0
        else:
            assert left.candidates == 0
