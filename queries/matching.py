"""Matching people to demands (智能匹配与派单), questions.md §4.

**Candidates** for a demand are the people (not retired) who hold *every* skill it requires —
the skill itself or one of its subcategories. A demand that requires no skill admits
everyone on skills; its candidates are then the people who reside, or report (双报到) to a
party organisation that sits, in the demand's street (the demand's own region when it sits
at street level or above), so the list stays local.

**Fit** of a person for a demand = Σ weight × value over four components, values in [0, 1],
added with ``math.fsum`` (the components add up to the fit exactly):

- ``skill`` (0.6) — the mean over the required skills of the best holding's
  :func:`skill_quality` (1 when nothing is required);
- ``proximity`` (0.25) — where the person lives, or the region of the party organisation
  they report to, against the demand's region: 1 inside the demand's region or in the same
  community (or anything finer), 0.5 in the same street, 0.2 in the same district, else 0;
  the better of the two places counts;
- ``track_record`` (0.1) — the mean rating of resolved demands assigned to them, shrunk
  towards 3 by two pseudo-ratings and mapped from 1–5 to 0–1 (no record: 0.5);
- ``load`` (0.05) — ``1 / (1 + n)`` for the ``n`` open or assigned demands already assigned
  to them (1 when free).

**Assignment** for all open demands of a region (its subtree): the assignment of at most
one person per demand, each person taking at most ``capacity`` of these demands, that
maximises the total fit — an optimal b-matching, solved exactly with
``scipy.optimize.linear_sum_assignment`` on capacity-duplicated person columns (see
:func:`optimal_assignment`). :func:`greedy_assignment` is the best-first baseline it is
compared with. Demands nobody can take are listed with the reason.

How: the holders of the required skills come in one read (their skill fit is then known);
people are read best upper bound of the fit first (proximity at most 0.2 unless they live or
report in the demand's street, track record and load at most 1) until the top asked for — for
an assignment, each demand's candidates that :func:`optimal_assignment` keeps — is settled.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from neo4j import AsyncDriver
from scipy.optimize import linear_sum_assignment

from queries.errors import BadArgumentError, NotFoundError
from queries.scope import PERSON_IN_SCOPE, PLACED_IN_SCOPE, WHOLE_CITY, Scope, scoped_region

# --- Cypher ---------------------------------------------------------------------------------

# §4 one demand: its fields, required skills and the chain of regions above it (unique
# constraint on :Demand(id), then IN_REGION / PART_OF expansion).
DEMAND: Final = (
    """
MATCH (n:Demand {id: $demand_id}) WHERE NOT n:Retired AND """
    + PLACED_IN_SCOPE
    + """
WITH n AS d
OPTIONAL MATCH (d)-[:IN_REGION]->(r:Region)
RETURN d {.id, .title, .scenario, .status, .urgency} AS demand,
       [(d)-[:REQUIRES_SKILL]->(s:Skill) WHERE NOT s:Retired | s {.id, .name}] AS skills,
       CASE WHEN r IS NULL THEN []
            ELSE [(r)-[:PART_OF*0..]->(x:Region) | x {.id, .name, .level_rank}] END AS chain
"""
)

# §4 the region an assignment is asked for (unique constraint on :Region(id)).
REGION: Final = """
MATCH (r:Region {id: $region_id}) WHERE NOT r:Retired
RETURN r.id AS id, r.name AS name, r.level_rank AS level_rank
"""

# §4 the open demands in a region's subtree, as DEMAND returns them, in one record (unique
# :Region(id), PART_OF expansion down to the demands' IN_REGION). Multi-row answers come back
# as one collected record throughout: the async driver spends ~0.1 ms per record.
OPEN_DEMANDS_IN_REGION: Final = """
MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(r:Region)<-[:IN_REGION]-(d:Demand)
WHERE d.status = 'open' AND NOT d:Retired
WITH d, r ORDER BY d.id
RETURN collect({
  demand: d {.id, .title, .scenario, .status, .urgency},
  skills: [(d)-[:REQUIRES_SKILL]->(s:Skill) WHERE NOT s:Retired | s {.id, .name}],
  chain: [(r)-[:PART_OF*0..]->(x:Region) | x {.id, .name, .level_rank}]
}) AS rows
"""

# §4 who holds each required skill or one of its subcategories, with level and certification
# (unique :Skill(id), then SUBCATEGORY_OF and HAS_SKILL expansion).
HOLDERS: Final = (
    """
UNWIND $skill_ids AS skill_id
MATCH (:Skill {id: skill_id})<-[:SUBCATEGORY_OF*0..]-(held:Skill)<-[h:HAS_SKILL]-(n:Person)
WHERE NOT held:Retired AND h.retired_run IS NULL AND NOT n:Retired AND """
    + PERSON_IN_SCOPE
    + """
WITH skill_id, held, h, n AS p
RETURN collect([skill_id, p.id, held.id, held.name, coalesce(h.level, 3),
                coalesce(h.certified, false)]) AS rows
"""
)

# §4 people who reside, or report to a party organisation that sits, in a region's subtree:
# the candidates of a demand that requires no skill (unique :Region(id), PART_OF expansion).
LOCAL_PEOPLE: Final = (
    """
MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(r:Region)
CALL (r) {
  MATCH (r)<-[:RESIDES_IN]-(p:Person) RETURN p
  UNION
  MATCH (r)<-[:IN_REGION]-(:PartyOrg)<-[:REPORTS_TO]-(p:Person) RETURN p
}
WITH DISTINCT p AS n WHERE NOT n:Retired AND """
    + PERSON_IN_SCOPE
    + """
RETURN collect(n.id) AS ids
"""
)

# §4 each candidate: name, the region they reside in and the region of the party
# organisation they report to, their current load and the ratings of demands they resolved
# (unique :Person(id)). No phone property is read.
PEOPLE: Final = """
UNWIND $person_ids AS person_id
MATCH (p:Person {id: person_id})
RETURN collect({
  id: p.id, name: p.name, is_party_member: coalesce(p.is_party_member, false),
  home: head([(p)-[:RESIDES_IN]->(h:Region) | h.id]),
  post: head([(p)-[:REPORTS_TO]->(:PartyOrg)-[:IN_REGION]->(g:Region) | g.id]),
  load: COUNT { (p)<-[:ASSIGNED_TO]-(d:Demand)
                WHERE d.status IN ['open', 'assigned'] AND NOT d:Retired },
  ratings: [(p)<-[:ASSIGNED_TO]-(d:Demand)
            WHERE d.status = 'resolved' AND d.rating IS NOT NULL AND NOT d:Retired | d.rating]
}) AS rows
"""

# (HOLDERS, LOCAL_PEOPLE and DEMAND read only what lies in the caller's scope: the checks of
# queries.scope against the scope's region ids; $scope_regions null = the whole city.)

# §4 the chain of regions above each given region, itself included (unique :Region(id),
# then PART_OF): fetched once per distinct place, not once per person.
REGION_CHAINS: Final = """
UNWIND $region_ids AS region_id
MATCH (r:Region {id: region_id})
RETURN collect({
  region_id: region_id, chain: [(r)-[:PART_OF*0..]->(x:Region) | x {.id, .name, .level_rank}]
}) AS rows
"""

# --- fit constants --------------------------------------------------------------------------

WEIGHT_SKILL: Final = 0.6
WEIGHT_PROXIMITY: Final = 0.25
WEIGHT_TRACK_RECORD: Final = 0.1
WEIGHT_LOAD: Final = 0.05
PRIOR_RATING: Final = 3.0  # track record shrinks towards a middling rating …
PRIOR_WEIGHT: Final = 2.0  # … by this many pseudo-ratings
STREET_RANK: Final = 3  # Region.level_rank of a street (province 0 … building 7)
# Proximity by the finest region the person's place shares with the demand's region.
PROXIMITY_BY_SHARED_RANK: Final[Mapping[int, float]] = {2: 0.2, 3: 0.5}  # district, street
PROXIMITY_COMMUNITY: Final = 1.0  # same community (rank 4) or finer, or inside the region
COMMUNITY_RANK: Final = 4
# Proximity of a place outside the demand's street (or outside its region, when coarser): at
# most a shared district.
FAR_PROXIMITY_BOUND: Final = PROXIMITY_BY_SHARED_RANK[2]
MAX_LIMIT: Final = 500
MAX_CAPACITY: Final = 50


def skill_quality(level: int, certified: bool) -> float:
    """How well one holding covers a skill, in [0, 1]: ``0.8 × level / 5 + 0.2 × certified``.

    Level 5 certified gives 1.0, level 5 uncertified 0.8, level 3 certified 0.68, level 3
    uncertified 0.48; levels outside 1–5 are clamped.
    """
    return 0.8 * min(5, max(1, level)) / 5 + (0.2 if certified else 0.0)


def track_value(ratings: Sequence[float]) -> float:
    """Ratings 1–5 → [0, 1], shrunk towards 3 by ``PRIOR_WEIGHT`` pseudo-ratings (none: 0.5)."""
    shrunk = (math.fsum(ratings) + PRIOR_RATING * PRIOR_WEIGHT) / (len(ratings) + PRIOR_WEIGHT)
    return (shrunk - 1.0) / 4.0


# --- results --------------------------------------------------------------------------------


class FitComponentName(enum.StrEnum):
    SKILL = "skill"
    PROXIMITY = "proximity"
    TRACK_RECORD = "track_record"
    LOAD = "load"


class UnassignedReason(enum.StrEnum):
    NOBODY_HOLDS_SKILL = "nobody_holds_skill"  # a required skill is held by no one at all
    NOBODY_HOLDS_ALL = "nobody_holds_all"  # each skill is held, but by no one together
    NOBODY_NEARBY = "nobody_nearby"  # no skill required, and nobody lives or reports nearby
    CAPACITY = "capacity"  # candidates exist, but the optimum gives them other demands


@dataclass(frozen=True, slots=True)
class SkillRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class RegionRef:
    id: str
    name: str
    level_rank: int | None


@dataclass(frozen=True, slots=True)
class DemandInfo:
    id: str
    title: str
    scenario: str | None
    status: str
    urgency: int | None
    region: RegionRef | None
    required_skills: tuple[SkillRef, ...]


@dataclass(frozen=True, slots=True)
class PersonRef:
    """A person as results show them: never a phone number."""

    id: str
    name: str
    is_party_member: bool


@dataclass(frozen=True, slots=True)
class FitComponent:
    """One term of the fit: ``contribution = weight × value``."""

    name: FitComponentName
    weight: float
    value: float
    contribution: float
    detail: str


@dataclass(frozen=True, slots=True)
class SkillEvidence:
    """The holding that covers one required skill (``held`` may be a subcategory)."""

    required: SkillRef
    held: SkillRef
    level: int
    certified: bool
    quality: float


@dataclass(frozen=True, slots=True)
class Candidate:
    rank: int
    person: PersonRef
    fit: float  # math.fsum of the components' contributions
    components: tuple[FitComponent, ...]
    skills: tuple[SkillEvidence, ...]
    place: RegionRef | None  # the place proximity was judged from
    open_assignments: int
    resolved_ratings: int
    rating_mean: float | None
    reasons: tuple[str, ...]  # Chinese, one line each


@dataclass(frozen=True, slots=True)
class DemandMatch:
    demand: DemandInfo
    total_candidates: int
    candidates: tuple[Candidate, ...]  # best first, at most ``limit``
    missing_skills: tuple[SkillRef, ...]  # required skills nobody holds
    why_none: str | None  # Chinese, when there is no candidate


@dataclass(frozen=True, slots=True)
class AssignedDemand:
    demand: DemandInfo
    person: PersonRef
    fit: float
    components: tuple[FitComponent, ...]


@dataclass(frozen=True, slots=True)
class UnassignedDemand:
    demand: DemandInfo
    reason: UnassignedReason
    missing_skills: tuple[SkillRef, ...]
    candidates: int
    why: str  # Chinese
    why_en: str


@dataclass(frozen=True, slots=True)
class Assignment:
    region: RegionRef
    capacity: int
    open_demands: int
    assigned: tuple[AssignedDemand, ...]  # by demand id
    unassigned: tuple[UnassignedDemand, ...]  # by demand id
    total_fit: float
    greedy_assigned: int  # what the best-first baseline would have assigned …
    greedy_total_fit: float  # … and its total fit, for comparison


# --- the questions --------------------------------------------------------------------------


async def match_demand(
    driver: AsyncDriver,
    database: str,
    demand_id: str,
    *,
    limit: int = 10,
    scope: Scope = WHOLE_CITY,
) -> DemandMatch:
    """Rank the people who can take demand ``demand_id``, best fit first.

    Returns every candidate's fit with its components and reasons (definitions in the
    module docstring), ties broken by person id; when there is none, the required skills
    nobody holds and a sentence saying why. Under a ``scope``, only people lying in it are
    candidates and only places in it count for proximity. Raises ``NotFoundError`` for an
    unknown (or retired) demand or one outside the scope, ``BadArgumentError`` for a limit
    outside 1–500.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise BadArgumentError(f"limit must be in 1–{MAX_LIMIT}, got {limit!r}")
    records, _, _ = await driver.execute_query(
        DEMAND, demand_id=demand_id, **scope.params(), database_=database, routing_="r"
    )
    if not records:
        raise NotFoundError(f"no demand with id {demand_id!r}")
    demand = _Demand.of(records[0])
    pool = await _Pool.load(driver, database, [demand], scope)
    await pool.read_best(driver, database, [demand], limit)
    ranked = sorted(pool.candidates(demand), key=lambda c: (-c.fit, c.person.id))
    missing = pool.missing(demand)
    why = None
    if not ranked:
        why = _why_none(demand, missing)[0]
    return DemandMatch(
        demand=demand.info,
        total_candidates=pool.eligible_count(demand),
        candidates=tuple(_ranked(c, rank) for rank, c in enumerate(ranked[:limit], start=1)),
        missing_skills=missing,
        why_none=why,
    )


async def assign_demands(
    driver: AsyncDriver,
    database: str,
    region_id: str,
    *,
    capacity: int = 2,
    scope: Scope = WHOLE_CITY,
) -> Assignment:
    """Assign all open demands of region ``region_id`` (its subtree) optimally.

    Returns the assignment that maximises the total fit with each person taking at most
    ``capacity`` of these demands, the demands left unassigned with the reason, and the
    greedy baseline's count and total for comparison. Under a ``scope``, only people lying in
    it take demands. Raises ``NotFoundError`` for an unknown region or one outside the
    scope, ``BadArgumentError`` for a capacity outside 1–50.
    """
    if not 1 <= capacity <= MAX_CAPACITY:
        raise BadArgumentError(f"capacity must be in 1–{MAX_CAPACITY}, got {capacity!r}")
    await scoped_region(driver, database, scope, region_id)
    regions, _, _ = await driver.execute_query(
        REGION, region_id=region_id, database_=database, routing_="r"
    )
    if not regions:
        raise NotFoundError(f"no region with id {region_id!r}")
    records, _, _ = await driver.execute_query(
        OPEN_DEMANDS_IN_REGION, region_id=region_id, database_=database, routing_="r"
    )
    demands = [_Demand.of(r) for r in records[0]["rows"]]
    pool = await _Pool.load(driver, database, demands, scope)
    # optimal_assignment keeps each demand's best (D − 1) // capacity + 1 candidates, and the
    # greedy baseline never goes past them either: only those need reading.
    await pool.read_best(driver, database, demands, (len(demands) - 1) // capacity + 1)
    options: dict[str, dict[str, _Scored]] = {
        d.info.id: {c.person.id: c for c in pool.candidates(d)} for d in demands
    }
    fits = {(d, p): c.fit for d, by_person in options.items() for p, c in by_person.items()}
    chosen = optimal_assignment(fits, capacity)
    greedy = greedy_assignment(fits, capacity)

    assigned: list[AssignedDemand] = []
    unassigned: list[UnassignedDemand] = []
    for demand in demands:
        did = demand.info.id
        person_id = chosen.get(did)
        if person_id is not None:
            scored = options[did][person_id]
            assigned.append(
                AssignedDemand(demand.info, scored.person, scored.fit, scored.components)
            )
            continue
        missing = pool.missing(demand)
        count = pool.eligible_count(demand)
        if count:
            why = (
                f"{count} 名候选人均已分派给总匹配度更高的其他诉求（每人至多 {capacity} 件）",
                f"all {count} candidates are given other demands by the optimum "
                f"(at most {capacity} each)",
            )
            reason = UnassignedReason.CAPACITY
        else:
            why_zh, why_en, reason = _why_none(demand, missing)
            why = (why_zh, why_en)
        unassigned.append(UnassignedDemand(demand.info, reason, missing, count, *why))

    region = regions[0]
    return Assignment(
        region=RegionRef(region["id"], region["name"], region["level_rank"]),
        capacity=capacity,
        open_demands=len(demands),
        assigned=tuple(assigned),
        unassigned=tuple(unassigned),
        total_fit=total_fit(fits, chosen),
        greedy_assigned=len(greedy),
        greedy_total_fit=total_fit(fits, greedy),
    )


# --- assignment algorithms (pure) -----------------------------------------------------------


def optimal_assignment(fits: Mapping[tuple[str, str], float], capacity: int) -> dict[str, str]:
    """Demand → person maximising the total fit, each person taking ≤ ``capacity`` demands.

    ``fits`` maps (demand id, person id) to a non-negative fit; a missing pair cannot be
    assigned. Each person becomes ``capacity`` identical columns and
    ``scipy.optimize.linear_sum_assignment`` solves the rectangular problem exactly; pairs
    that are not in ``fits`` weigh 0, so they never beat a real pair and are dropped from
    the answer (the optimum over the padded matrix is the optimum b-matching because every
    real fit is ≥ 0). Before solving, each demand keeps only its best
    ``(D − 1) // capacity + 1`` persons (D = number of demands), which provably keeps an
    optimum: the other D − 1 demands can fill at most ``(D − 1) // capacity`` persons, so one
    of the kept persons always has room and fits at least as well as any dropped one. Ties
    resolve deterministically by id order.

    Raises ``BadArgumentError`` for a capacity below 1 or a negative or non-finite fit.
    Complexity: O(D² · C) for C kept columns (C ≤ D · keep · capacity).

    >>> optimal_assignment({("d1", "a"): 0.9, ("d2", "a"): 0.9, ("d1", "b"): 0.5}, 1)
    {'d1': 'b', 'd2': 'a'}
    """
    if capacity < 1:
        raise BadArgumentError(f"capacity must be at least 1, got {capacity!r}")
    if any(not math.isfinite(f) or f < 0 for f in fits.values()):
        raise BadArgumentError("fits must be finite and non-negative")
    by_demand: dict[str, list[tuple[float, str]]] = {}
    for (demand, person), fit in fits.items():
        by_demand.setdefault(demand, []).append((fit, person))
    if not by_demand:
        return {}
    keep = (len(by_demand) - 1) // capacity + 1
    demands = sorted(by_demand)
    kept: dict[str, list[str]] = {
        d: [p for _, p in sorted(by_demand[d], key=lambda fp: (-fp[0], fp[1]))[:keep]]
        for d in demands
    }
    persons = sorted({p for ps in kept.values() for p in ps})
    slots = {p: min(capacity, sum(p in ps for ps in kept.values())) for p in persons}
    columns = [p for p in persons for _ in range(slots[p])]
    first_column: dict[str, int] = {}
    for index, person in enumerate(columns):
        first_column.setdefault(person, index)
    weights = np.zeros((len(demands), len(columns)))
    for row, demand in enumerate(demands):
        for person in kept[demand]:
            start = first_column[person]
            weights[row, start : start + slots[person]] = fits[(demand, person)]
    rows, cols = linear_sum_assignment(weights, maximize=True)
    result: dict[str, str] = {}
    for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
        demand, person = demands[row], columns[col]
        if (demand, person) in fits and person in kept[demand]:
            result[demand] = person
    return dict(sorted(result.items()))


def greedy_assignment(fits: Mapping[tuple[str, str], float], capacity: int) -> dict[str, str]:
    """The best-first baseline: take pairs by falling fit (ties by demand id, then person
    id), each demand once and each person up to ``capacity`` times. Not optimal: a person
    used up early can leave a demand nobody else can take.

    Raises ``BadArgumentError`` for a capacity below 1.
    """
    if capacity < 1:
        raise BadArgumentError(f"capacity must be at least 1, got {capacity!r}")
    taken: dict[str, int] = {}
    result: dict[str, str] = {}
    for (demand, person), _ in sorted(fits.items(), key=lambda kv: (-kv[1], kv[0])):
        if demand in result or taken.get(person, 0) >= capacity:
            continue
        result[demand] = person
        taken[person] = taken.get(person, 0) + 1
    return dict(sorted(result.items()))


def total_fit(fits: Mapping[tuple[str, str], float], assignment: Mapping[str, str]) -> float:
    """The exact (``math.fsum``) total fit of an assignment."""
    return math.fsum(fits[(d, p)] for d, p in assignment.items())


# --- internals ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Demand:
    info: DemandInfo
    chain: Mapping[str, int]  # region id → level_rank, the demand's region and its ancestors

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> _Demand:
        d = record["demand"]
        chain_rows = sorted(record["chain"], key=lambda x: -(x["level_rank"] or 0))
        region = (
            RegionRef(chain_rows[0]["id"], chain_rows[0]["name"], chain_rows[0]["level_rank"])
            if chain_rows
            else None
        )
        skills = tuple(
            sorted((SkillRef(s["id"], s["name"]) for s in record["skills"]), key=lambda s: s.id)
        )
        info = DemandInfo(
            d["id"], d["title"], d["scenario"], d["status"], d["urgency"], region, skills
        )
        return cls(info, {x["id"]: x["level_rank"] for x in record["chain"]})

    @property
    def local_root(self) -> str | None:
        """Where people count as local: the demand's street, or its region if coarser."""
        region = self.info.region
        if region is None:
            return None
        if region.level_rank is None or region.level_rank <= STREET_RANK:
            return region.id
        streets = [rid for rid, rank in self.chain.items() if rank == STREET_RANK]
        return streets[0] if streets else region.id


@dataclass(frozen=True, slots=True)
class _Holding:
    held: SkillRef
    level: int
    certified: bool

    @property
    def quality(self) -> float:
        return skill_quality(self.level, self.certified)


@dataclass(frozen=True, slots=True)
class _Person:
    ref: PersonRef
    home: tuple[tuple[str, str, int], ...]  # (id, name, level_rank) from the place up
    post: tuple[tuple[str, str, int], ...]
    load: int
    ratings: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class _Scored:
    person: PersonRef
    fit: float
    components: tuple[FitComponent, ...]
    skills: tuple[SkillEvidence, ...]
    place: RegionRef | None
    person_data: _Person
    reasons: tuple[str, ...]


class _Pool:
    """Holders of the demands' skills, the people local to the demands, the people read."""

    def __init__(
        self,
        holders: Mapping[str, Mapping[str, list[_Holding]]],
        local: Mapping[str, set[str]],
        scope: Scope,
    ) -> None:
        self.holders = holders  # required skill id → person id → holdings
        self.local = local  # local root region id → person ids
        self.scope = scope
        self.people: dict[str, _Person] = {}  # the people read so far

    @classmethod
    async def load(
        cls, driver: AsyncDriver, database: str, demands: Sequence[_Demand], scope: Scope
    ) -> _Pool:
        """The holders of every required skill and the people local to each demand, in
        ``scope``."""
        skill_ids = sorted({s.id for d in demands for s in d.info.required_skills})
        holders: dict[str, dict[str, list[_Holding]]] = {sid: {} for sid in skill_ids}
        if skill_ids:
            records, _, _ = await driver.execute_query(
                HOLDERS, skill_ids=skill_ids, **scope.params(), database_=database, routing_="r"
            )
            for skill_id, person_id, held_id, held_name, level, certified in records[0]["rows"]:
                holders[skill_id].setdefault(person_id, []).append(
                    _Holding(SkillRef(held_id, held_name), int(level), bool(certified))
                )
        local: dict[str, set[str]] = {}
        roots = {d.local_root for d in demands}
        for root in sorted(r for r in roots if r is not None):
            records, _, _ = await driver.execute_query(
                LOCAL_PEOPLE, region_id=root, **scope.params(), database_=database, routing_="r"
            )
            local[root] = set(records[0]["ids"])
        return cls(holders, local, scope)

    async def read_best(
        self, driver: AsyncDriver, database: str, demands: Sequence[_Demand], top: int
    ) -> None:
        """Read people until each demand's ``top`` best candidates are known exactly.

        Candidates are read best upper bound first (:meth:`_bound`: their skill fit is known,
        their proximity is at most 0.2 unless they live or report in the demand's street, track
        record and load at most 1), several demands' next ones in one read; a demand is settled
        once its ``top``-th fit exceeds the best unread bound.
        """
        order = {d.info.id: self._by_bound(d) for d in demands}
        read = dict.fromkeys(order, 0)
        chunk = max(4 * top, 64)
        while True:
            wanted: set[str] = set()
            progressed = False
            for d in demands:
                ranked, done = order[d.info.id], read[d.info.id]
                if self._settled(d, ranked, done, top):
                    continue
                read[d.info.id] = min(len(ranked), done + chunk)
                progressed = True
                wanted.update(pid for pid in ranked[done : done + chunk] if pid not in self.people)
            if not progressed:
                return
            if wanted:
                await self._read(driver, database, sorted(wanted))
            chunk *= 2

    async def _read(self, driver: AsyncDriver, database: str, person_ids: list[str]) -> None:
        records, _, _ = await driver.execute_query(
            PEOPLE, person_ids=person_ids, database_=database, routing_="r"
        )
        rows = records[0]["rows"]
        places = sorted({r[k] for r in rows for k in ("home", "post") if r[k] is not None})
        chains: dict[str, tuple[tuple[str, str, int], ...]] = {}
        if places:
            found, _, _ = await driver.execute_query(
                REGION_CHAINS, region_ids=places, database_=database, routing_="r"
            )
            chains = {row["region_id"]: _chain(row["chain"]) for row in found[0]["rows"]}
        for r in rows:
            self.people[r["id"]] = _Person(
                PersonRef(r["id"], r["name"], bool(r["is_party_member"])),
                self._in_scope(chains.get(r["home"], ())),
                self._in_scope(chains.get(r["post"], ())),
                int(r["load"]),
                tuple(float(x) for x in r["ratings"]),
            )

    def _in_scope(
        self, chain: tuple[tuple[str, str, int], ...]
    ) -> tuple[tuple[str, str, int], ...]:
        """A place's chain when the place lies in the scope (its chain passes the scope's
        region); none otherwise: a place outside the scope is neither shown nor judged."""
        if self.scope.whole_city or any(x[0] == self.scope.region_id for x in chain):
            return chain
        return ()

    def _by_bound(self, demand: _Demand) -> list[str]:
        bounds = {pid: self._bound(demand, pid) for pid in self._eligible(demand)}
        return sorted(bounds, key=lambda pid: (-bounds[pid], pid))

    def _bound(self, demand: _Demand, person_id: str) -> float:
        """An upper bound of the fit, from what is known before the person is read."""
        root = demand.local_root
        near = root is not None and person_id in self.local.get(root, set())
        return math.fsum(
            (
                WEIGHT_SKILL * _skill_value(demand, person_id, self.holders),
                WEIGHT_PROXIMITY * (PROXIMITY_COMMUNITY if near else FAR_PROXIMITY_BOUND),
                WEIGHT_TRACK_RECORD,
                WEIGHT_LOAD,
            )
        )

    def _settled(self, demand: _Demand, ranked: Sequence[str], done: int, top: int) -> bool:
        if done >= len(ranked):
            return True
        if done < top:
            return False
        fits = sorted(
            (
                _score(demand, self.people[pid], self.holders).fit
                for pid in ranked[:done]
                if pid in self.people
            ),
            reverse=True,
        )
        if len(fits) < top:
            return False
        return fits[top - 1] > self._bound(demand, ranked[done])

    def _eligible(self, demand: _Demand) -> set[str]:
        required = demand.info.required_skills
        if not required:
            root = demand.local_root
            return set(self.local.get(root, set())) if root is not None else set()
        sets = [set(self.holders.get(s.id, {})) for s in required]
        return set.intersection(*sets)

    def eligible_count(self, demand: _Demand) -> int:
        return len(self._eligible(demand))

    def missing(self, demand: _Demand) -> tuple[SkillRef, ...]:
        return tuple(s for s in demand.info.required_skills if not self.holders.get(s.id))

    def candidates(self, demand: _Demand) -> list[_Scored]:
        """The demand's candidates read so far, scored."""
        return [
            _score(demand, self.people[pid], self.holders)
            for pid in sorted(self._eligible(demand))
            if pid in self.people
        ]


def _chain(rows: Sequence[Mapping[str, Any]] | None) -> tuple[tuple[str, str, int], ...]:
    if not rows:
        return ()
    return tuple(
        sorted(((x["id"], x["name"], int(x["level_rank"] or 0)) for x in rows), key=lambda x: -x[2])
    )


def _place_proximity(demand: _Demand, chain: tuple[tuple[str, str, int], ...]) -> tuple[float, str]:
    """Proximity of a place (its region chain, finest first) and how it relates, in Chinese."""
    if not chain or demand.info.region is None:
        return 0.0, "位置不详"
    if demand.info.region.id in {rid for rid, _, _ in chain}:
        return PROXIMITY_COMMUNITY, "在诉求所在区域内"
    shared = [(rank, name) for rid, name, rank in chain if rid in demand.chain]
    if not shared:
        return 0.0, "与诉求不在同一区"
    rank, name = max(shared)
    if rank >= COMMUNITY_RANK:
        return PROXIMITY_COMMUNITY, f"与诉求同在 {name}"
    return PROXIMITY_BY_SHARED_RANK.get(rank, 0.0), f"与诉求同在 {name}"


def _best_holdings(
    demand: _Demand, person_id: str, holders: Mapping[str, Mapping[str, list[_Holding]]]
) -> list[tuple[SkillRef, _Holding]]:
    """For each required skill, the person's best holding of it (or of a finer skill)."""
    return [
        (
            skill,
            max(
                holders[skill.id][person_id],
                key=lambda h: (h.quality, h.held.id == skill.id, h.held.id),
            ),
        )
        for skill in demand.info.required_skills
    ]


def _skill_value(
    demand: _Demand, person_id: str, holders: Mapping[str, Mapping[str, list[_Holding]]]
) -> float:
    best = _best_holdings(demand, person_id, holders)
    return math.fsum(h.quality for _, h in best) / len(best) if best else 1.0


def _score(
    demand: _Demand, person: _Person, holders: Mapping[str, Mapping[str, list[_Holding]]]
) -> _Scored:
    evidence = [
        SkillEvidence(skill, best.held, best.level, best.certified, best.quality)
        for skill, best in _best_holdings(demand, person.ref.id, holders)
    ]
    skill_value = math.fsum(e.quality for e in evidence) / len(evidence) if evidence else 1.0
    skill_detail = (
        "；".join(
            f"{e.held.name}{'' if e.held.id == e.required.id else f'（属 {e.required.name}）'}"
            f" {e.level} 级{'，持证' if e.certified else ''}"
            for e in evidence
        )
        or "无技能要求"
    )

    home_value, home_relation = _place_proximity(demand, person.home)
    post_value, post_relation = _place_proximity(demand, person.post)
    if person.post and post_value > home_value:
        proximity, place_chain, how, relation = post_value, person.post, "报到", post_relation
    else:
        proximity, place_chain, how, relation = home_value, person.home, "居住", home_relation
    place = RegionRef(*place_chain[0]) if place_chain else None
    proximity_detail = f"{how}地 {place.name}，{relation}" if place else "居住地不详"

    track = track_value(person.ratings)
    n = len(person.ratings)
    mean = math.fsum(person.ratings) / n if n else None
    track_detail = f"已办结有评价诉求 {n} 件" + (f"，均分 {mean:.2f}" if mean is not None else "")

    load_value = 1.0 / (1 + person.load)
    load_detail = f"当前承接未办结诉求 {person.load} 件"

    components = (
        _component(FitComponentName.SKILL, WEIGHT_SKILL, skill_value, skill_detail),
        _component(FitComponentName.PROXIMITY, WEIGHT_PROXIMITY, proximity, proximity_detail),
        _component(FitComponentName.TRACK_RECORD, WEIGHT_TRACK_RECORD, track, track_detail),
        _component(FitComponentName.LOAD, WEIGHT_LOAD, load_value, load_detail),
    )
    reasons = tuple(f"{c.detail}" for c in components)
    return _Scored(
        person=person.ref,
        fit=math.fsum(c.contribution for c in components),
        components=components,
        skills=tuple(evidence),
        place=place,
        person_data=person,
        reasons=reasons,
    )


def _component(name: FitComponentName, weight: float, value: float, detail: str) -> FitComponent:
    return FitComponent(name, weight, value, weight * value, detail)


def _ranked(scored: _Scored, rank: int) -> Candidate:
    ratings = scored.person_data.ratings
    return Candidate(
        rank=rank,
        person=scored.person,
        fit=scored.fit,
        components=scored.components,
        skills=scored.skills,
        place=scored.place,
        open_assignments=scored.person_data.load,
        resolved_ratings=len(ratings),
        rating_mean=math.fsum(ratings) / len(ratings) if ratings else None,
        reasons=scored.reasons,
    )


def _names(skills: Iterable[SkillRef]) -> str:
    return "、".join(s.name for s in skills)


def _why_none(demand: _Demand, missing: Sequence[SkillRef]) -> tuple[str, str, UnassignedReason]:
    """Why a demand has no candidate, in Chinese and English, with the reason code."""
    required = demand.info.required_skills
    if missing:
        return (
            f"没有人持有 {_names(missing)}",
            f"nobody holds {', '.join(s.name for s in missing)}",
            UnassignedReason.NOBODY_HOLDS_SKILL,
        )
    if required:
        return (
            f"没有人同时持有 {_names(required)}",
            f"nobody holds all of {', '.join(s.name for s in required)}",
            UnassignedReason.NOBODY_HOLDS_ALL,
        )
    return (
        "诉求无技能要求，但所在街道无人居住或报到",
        "no skill is required, but nobody lives or reports in the demand's street",
        UnassignedReason.NOBODY_NEARBY,
    )
