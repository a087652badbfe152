"""Resource-sharing partners (资源共享伙伴), questions.md §2: which units should A work with?

**Candidates.** Units B ≠ A, active at ``as_of`` and not retired, whose ``location`` (inherited
from the region when the unit has no coordinates of its own) lies within ``radius_km`` of A's,
and that bring something relevant:

- with a :class:`Need` — a *usable* resource (active, ``shareable``, status ``available``)
  tagged with the need's scenario or of one of its resource kinds, or a *linked person* (an
  employee when B is an organization, a member when B is a party organisation) holding one of
  its skills (the skill itself or one of its subcategories);
- with no need — a usable resource of a kind or with a scenario tag that none of A's own
  usable resources has, or a linked person holding a skill that none of A's linked people
  holds.

A unit with nothing relevant is not listed; unusable resources never count. With
``new_only``, units already party to an active agreement with A are left out.

**Score** = Σ weight × value over four components, each value in [0, 1] (the default weights
are those the sample illustrates: 0.45, 0.2, 0.2, 0.15):

- ``complement`` — with a need: the mean coverage of its facets (the scenario, each resource
  kind, each skill); a resource facet is covered (1) or not (0), a skill facet by its best
  holder's :func:`queries.matching.skill_quality`. With no need: ``s / (s + 3)`` where ``s``
  sums the coverage of every new kind, scenario and skill B brings.
- ``proximity`` — ``1 − distance / radius``.
- ``ties`` — ``t / (t + 1)`` where ``t`` = shared active agreements + people linked to both
  (member, employee or 双报到 reporting) + resource exchanges (one unit used the other's
  active resource) + ½ × common partners (other units directly tied to both A and B: the
  2-step paths A — C — B).
- ``track_record`` — the mean of the effect ratings of B's resources in recorded usages and
  the ratings of resolved demands assigned to B's linked people, shrunk towards 3 by two
  pseudo-ratings and mapped from 1–5 to 0–1 (no record at all gives 0.5).

The score is ``math.fsum`` of the contributions (the correctly rounded exact sum), so the
components reported add up to it exactly. Partners are ranked by score, then distance, then
id. No phone number appears in any result.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import math
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, LiteralString

from neo4j import AsyncDriver
from pydantic import BaseModel, ConfigDict, field_validator

from graph.model import ResourceKind
from queries.errors import BadArgumentError, NotFoundError
from queries.matching import skill_quality

# --- Cypher ---------------------------------------------------------------------------------

# §2 what unit A already offers (for "no need"), read wherever it is compared against: kinds
# and scenarios of its usable resources, skills of its linked people (the derived
# offer_skill_ids, see CANDIDATES_GENERAL). Read in each query rather than passed as lists:
# Neo4j plans a query again for each size class of a list parameter (0, 1, 2-9, 10-99, …), a
# few hundred milliseconds each time a class is first met after a start.
_OWN: Final = """
CALL (a) {
  OPTIONAL MATCH (a)<-[:OWNED_BY]-(r:Resource)
  WHERE NOT r:Retired AND coalesce(r.shareable, true)
    AND coalesce(r.status, 'available') = 'available'
    AND coalesce(r.available_from <= $as_of, true) AND coalesce(r.available_to >= $as_of, true)
  WITH collect(r) AS owned
  RETURN [r IN owned | r.kind] AS own_kinds,
         reduce(tags = [], r IN owned | tags + coalesce(r.scenarios, [])) AS own_scenarios,
         coalesce(a.offer_skill_ids, []) AS own_skills
}
"""

# §2 anchor: unit A, its location and activity, and what it already offers. Unique :Unit(id).
ANCHOR: Final = (
    """
MATCH (a:Unit {id: $unit_id}) WHERE NOT a:Retired
"""
    + _OWN
    + """
RETURN a.id AS id, a.name AS name, a:PartyOrg AS is_party_org, a.location AS location,
       (a.valid_to IS NULL OR a.valid_to >= $as_of) AS active,
       own_kinds, own_scenarios, own_skills
"""
)

# §2 skill vocabulary, to resolve a need's skills by id, name or alias and to expand each to
# its subcategories (the taxonomy is small: a label scan).
SKILLS: Final = """
MATCH (s:Skill) WHERE NOT s:Retired
OPTIONAL MATCH (s)-[:SUBCATEGORY_OF]->(parent:Skill) WHERE NOT parent:Retired
RETURN collect({
  id: s.id, name: s.name, aliases: coalesce(s.aliases, []), parent_id: parent.id
}) AS rows
"""

# §2 candidates' resources, with a need: active units within $radius_m of A (point indexes on
# Organization.location and PartyOrg.location) with their usable resources tagged with the need's
# scenario or of one of its kinds.
CANDIDATE_RESOURCES: Final = """
MATCH (a:Unit {id: $unit_id})
CALL (a) {
  MATCH (b:Organization) WHERE point.distance(b.location, a.location) <= $radius_m RETURN b
  UNION
  MATCH (b:PartyOrg) WHERE point.distance(b.location, a.location) <= $radius_m RETURN b
}
WITH a, b
WHERE b <> a AND NOT b:Retired AND (b.valid_to IS NULL OR b.valid_to >= $as_of)
MATCH (b)<-[:OWNED_BY]-(r:Resource)
WHERE NOT r:Retired AND coalesce(r.shareable, true)
  AND coalesce(r.status, 'available') = 'available'
  AND coalesce(r.available_from <= $as_of, true) AND coalesce(r.available_to >= $as_of, true)
  AND (r.kind IN $kinds OR $scenario IN coalesce(r.scenarios, []))
RETURN collect({
  unit_id: b.id, unit_name: b.name, is_party_org: b:PartyOrg,
  distance_m: point.distance(a.location, b.location),
  resource: r {.id, .name, .kind, .capacity, .capacity_unit, scenarios: coalesce(r.scenarios, [])}
}) AS rows
"""

# §2 candidates' skills, with a need: active units within $radius_m of A (point indexes on
# Organization.location and PartyOrg.location) whose people hold one of the needed skills or
# their subcategories ($held_skills), as (skill, level, certified) from the unit's derived
# offer_skill_* lists: enough to score; who holds them is read for the best few only
# (PEOPLE_WITH_SKILLS). A popular skill's holders across the city number in the thousands; the
# units around A are bounded by the radius.
CANDIDATE_SKILLS: Final = """
MATCH (a:Unit {id: $unit_id})
CALL (a) {
  MATCH (b:Organization) WHERE point.distance(b.location, a.location) <= $radius_m RETURN b
  UNION
  MATCH (b:PartyOrg) WHERE point.distance(b.location, a.location) <= $radius_m RETURN b
}
WITH a, b
WHERE b <> a AND NOT b:Retired AND (b.valid_to IS NULL OR b.valid_to >= $as_of)
  AND any(held IN coalesce(b.offer_skill_ids, []) WHERE held IN $held_skills)
WITH a, b, b.offer_skill_ids AS held
RETURN collect({
  unit_id: b.id, unit_name: b.name, is_party_org: b:PartyOrg,
  distance_m: point.distance(a.location, b.location),
  skills: [i IN range(0, size(held) - 1) WHERE held[i] IN $held_skills
           | {skill_id: held[i], level: b.offer_skill_levels[i],
              certified: b.offer_skill_certified[i]}]
}) AS rows
"""

# §2 who holds the needed skills, for the best-scored units only: their people (employees of an
# organization, members of a party organisation) holding one of $held_skills (unique :Unit(id)
# per unit, then the link and HAS_SKILL).
PEOPLE_WITH_SKILLS: Final = """
UNWIND $unit_ids AS unit_id
MATCH (:Unit {id: unit_id})<-[link:EMPLOYED_BY|MEMBER_OF]-(p:Person)-[h:HAS_SKILL]->(s:Skill)
WHERE NOT p:Retired AND h.retired_run IS NULL AND NOT s:Retired AND s.id IN $held_skills
RETURN collect({
  unit_id: unit_id, person_id: p.id, person_name: p.name, link: type(link),
  skill_id: s.id, skill_name: s.name,
  level: coalesce(h.level, 3), certified: coalesce(h.certified, false)
}) AS rows
"""

# §2 candidates with no need: active units within $radius_m of A (point indexes on
# Organization.location and PartyOrg.location) with how many new facets (a kind or scenario A
# lacks) their usable resources bring, and the (skill, level, certification) their people hold
# among the skills none of A's people holds — the unit's derived offer_skill_* lists (ingest.runs
# DERIVE_UNIT_SKILLS), as thousands of people can sit within the radius. Enough to score every
# unit; which resources and who holds the skills is read for the best few only (RESOURCES_OF_UNITS,
# PEOPLE_OF_UNITS). Thousands of units answer: as parallel lists of plain values, which the driver
# decodes several times faster than a map per unit. The organizations and the party organisations
# are two queries, run side by side (two cores).
_GENERAL_NEAR: Final[dict[str, LiteralString]] = {
    "Organization": """
MATCH (b:Organization) WHERE point.distance(b.location, a.location) <= $radius_m
""",
    "PartyOrg": """
MATCH (b:PartyOrg) WHERE point.distance(b.location, a.location) <= $radius_m
""",
}
_GENERAL_OFFERS: Final = """
WITH a, own_kinds, own_scenarios, own_skills, b
WHERE b <> a AND NOT b:Retired AND (b.valid_to IS NULL OR b.valid_to >= $as_of)
CALL (b, own_kinds, own_scenarios) {
  MATCH (b)<-[:OWNED_BY]-(r:Resource)
  WHERE NOT r:Retired AND coalesce(r.shareable, true)
    AND coalesce(r.status, 'available') = 'available'
    AND coalesce(r.available_from <= $as_of, true) AND coalesce(r.available_to >= $as_of, true)
  UNWIND [k IN [r.kind] WHERE NOT k IN own_kinds | 'kind:' + k]
       + [t IN coalesce(r.scenarios, []) WHERE NOT t IN own_scenarios | 'scenario:' + t]
       AS facet
  RETURN count(DISTINCT facet) AS facets
}
WITH a, b, facets, coalesce(b.offer_skill_ids, []) AS held, own_skills
WITH a, b, facets, [i IN range(0, size(held) - 1) WHERE NOT held[i] IN own_skills] AS new
WHERE facets > 0 OR size(new) > 0
RETURN collect(b.id) AS ids, collect(b.name) AS names, collect(b:PartyOrg) AS party_orgs,
       collect(point.distance(a.location, b.location)) AS distances, collect(facets) AS facets,
       collect([i IN new | b.offer_skill_ids[i]]) AS skills,
       collect([i IN new | b.offer_skill_levels[i]]) AS levels,
       collect([i IN new | b.offer_skill_certified[i]]) AS certified
"""
CANDIDATES_GENERAL: Final[dict[str, LiteralString]] = {
    label: "MATCH (a:Unit {id: $unit_id})" + _OWN + near + _GENERAL_OFFERS
    for label, near in _GENERAL_NEAR.items()
}

# §2 what the best-scored units bring, with no need: their usable resources of a kind or with a
# scenario A's own usable resources lack (unique :Unit(id) per unit, then OWNED_BY).
RESOURCES_OF_UNITS: Final = (
    "MATCH (a:Unit {id: $unit_id})"
    + _OWN
    + """
UNWIND $unit_ids AS unit_id
MATCH (:Unit {id: unit_id})<-[:OWNED_BY]-(r:Resource)
WHERE NOT r:Retired AND coalesce(r.shareable, true)
  AND coalesce(r.status, 'available') = 'available'
  AND coalesce(r.available_from <= $as_of, true) AND coalesce(r.available_to >= $as_of, true)
  AND (NOT r.kind IN own_kinds
       OR any(tag IN coalesce(r.scenarios, []) WHERE NOT tag IN own_scenarios))
RETURN collect({
  unit_id: unit_id,
  resource: r {.id, .name, .kind, .capacity, .capacity_unit, scenarios: coalesce(r.scenarios, [])}
}) AS rows
"""
)

# §2 who holds what, with no need, for the best-scored units only: their people (employees of
# an organization, members of a party organisation) holding a skill none of A's people holds
# (unique :Unit(id) per unit, then the link and HAS_SKILL).
PEOPLE_OF_UNITS: Final = """
MATCH (a:Unit {id: $unit_id})
WITH coalesce(a.offer_skill_ids, []) AS own_skills
UNWIND $unit_ids AS unit_id
MATCH (:Unit {id: unit_id})<-[link:EMPLOYED_BY|MEMBER_OF]-(p:Person)-[h:HAS_SKILL]->(s:Skill)
WHERE NOT p:Retired AND h.retired_run IS NULL AND NOT s:Retired AND NOT s.id IN own_skills
RETURN collect({
  unit_id: unit_id, person_id: p.id, person_name: p.name, link: type(link),
  skill_id: s.id, skill_name: s.name,
  level: coalesce(h.level, 3), certified: coalesce(h.certified, false)
}) AS rows
"""

# §2 A's direct horizontal ties, one row per (unit, tie): a shared active agreement, a person
# linked to both (member, employee, 双报到), a usage of one's active resource by the other
# (unique :Unit(id), then A's own relationships only).
DIRECT_TIES: Final = """
MATCH (a:Unit {id: $unit_id})
CALL (a) {
  MATCH (a)-[:PARTY_TO]->(g:Agreement)<-[:PARTY_TO]-(c:Unit)
  WHERE NOT g:Retired AND coalesce(g.signed_on <= $as_of, true)
    AND coalesce(g.expires_on >= $as_of, true)
  RETURN c, 'agreement' AS tie, g.id AS via, g.name AS name, g.kind AS kind
  UNION
  MATCH (a)<-[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]-(p:Person)
        -[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]->(c:Unit)
  WHERE NOT p:Retired
  RETURN c, 'person' AS tie, p.id AS via, null AS name, null AS kind
  UNION
  MATCH (a)-[u:USED]->(r:Resource)-[:OWNED_BY]->(c:Unit)
  WHERE u.retired_run IS NULL AND NOT r:Retired AND coalesce(r.available_from <= $as_of, true)
    AND coalesce(r.available_to >= $as_of, true)
  RETURN c, 'usage' AS tie, u.id AS via, null AS name, null AS kind
  UNION
  MATCH (a)<-[:OWNED_BY]-(r:Resource)<-[u:USED]-(c:Unit)
  WHERE u.retired_run IS NULL AND NOT r:Retired AND coalesce(r.available_from <= $as_of, true)
    AND coalesce(r.available_to >= $as_of, true)
  RETURN c, 'usage' AS tie, u.id AS via, null AS name, null AS kind
}
WITH a, c, tie, via, name, kind
WHERE c <> a AND NOT c:Retired AND (c.valid_to IS NULL OR c.valid_to >= $as_of)
RETURN collect({unit_id: c.id, tie: tie, via: via, name: name, kind: kind}) AS rows
"""

# §2 2-step paths: for each of A's direct partners C, the units within $radius_m of A that are
# C's direct partners too (same ties as DIRECT_TIES; unique :Unit(id) per partner). Bounded by
# the radius, not by the candidates, so that it runs while the candidates are read.
TWO_STEP: Final = """
MATCH (a:Unit {id: $unit_id})
UNWIND $partner_ids AS partner_id
MATCH (c:Unit {id: partner_id})
CALL (c) {
  MATCH (c)-[:PARTY_TO]->(g:Agreement)<-[:PARTY_TO]-(b:Unit)
  WHERE NOT g:Retired AND coalesce(g.signed_on <= $as_of, true)
    AND coalesce(g.expires_on >= $as_of, true)
  RETURN b
  UNION
  MATCH (c)<-[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]-(p:Person)
        -[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]->(b:Unit)
  WHERE NOT p:Retired
  RETURN b
  UNION
  MATCH (c)-[u:USED]->(r:Resource)-[:OWNED_BY]->(b:Unit)
  WHERE u.retired_run IS NULL AND NOT r:Retired AND coalesce(r.available_from <= $as_of, true)
    AND coalesce(r.available_to >= $as_of, true)
  RETURN b
  UNION
  MATCH (c)<-[:OWNED_BY]-(r:Resource)<-[u:USED]-(b:Unit)
  WHERE u.retired_run IS NULL AND NOT r:Retired AND coalesce(r.available_from <= $as_of, true)
    AND coalesce(r.available_to >= $as_of, true)
  RETURN b
}
WITH a, c, b WHERE b <> c AND point.distance(b.location, a.location) <= $radius_m
WITH c, collect(DISTINCT b.id) AS unit_ids
RETURN collect({partner_id: c.id, unit_ids: unit_ids}) AS rows
"""

# §2 track record of each candidate (unique :Unit(id) per id): effect ratings of its
# resources in recorded usages, ratings of resolved demands assigned to its linked people.
TRACK_RECORDS: Final = """
UNWIND $ids AS unit_id
MATCH (b:Unit {id: unit_id})
CALL (b) {
  OPTIONAL MATCH (b)<-[:OWNED_BY]-(r:Resource)<-[u:USED]-()
  WHERE NOT r:Retired AND u.retired_run IS NULL AND u.effect_rating IS NOT NULL
  RETURN count(u) AS resource_ratings, coalesce(sum(u.effect_rating), 0) AS resource_total
}
CALL (b) {
  OPTIONAL MATCH (b)<-[:EMPLOYED_BY|MEMBER_OF]-(p:Person)<-[:ASSIGNED_TO]-(d:Demand)
  WHERE NOT p:Retired AND NOT d:Retired AND d.status = 'resolved' AND d.rating IS NOT NULL
  WITH DISTINCT d
  RETURN count(d) AS demand_ratings, coalesce(sum(d.rating), 0) AS demand_total
}
RETURN collect({
  unit_id: unit_id, resource_ratings: resource_ratings, resource_total: resource_total,
  demand_ratings: demand_ratings, demand_total: demand_total
}) AS rows
"""

# --- scoring constants ----------------------------------------------------------------------

GENERAL_SATURATION: Final = 3.0  # no need: s new facets give s / (s + 3)
# How a resource kind reads in a facet's label (the data contract's Chinese names).
KIND_LABELS: Final[Mapping[str, str]] = {
    ResourceKind.VENUE: "场地",
    ResourceKind.FUND: "资金",
    ResourceKind.EQUIPMENT: "设备",
    ResourceKind.SERVICE: "服务",
    ResourceKind.VOLUNTEER_TEAM: "志愿队伍",
    ResourceKind.EXPERTISE: "专业力量",
    ResourceKind.DATA: "数据",
    ResourceKind.OTHER: "其他",
}
COMMON_PARTNER_WEIGHT: Final = 0.5  # a 2-step path counts half a direct tie
PRIOR_RATING: Final = 3.0  # track record shrinks towards a middling rating …
PRIOR_WEIGHT: Final = 2.0  # … by this many pseudo-ratings
MAX_RADIUS_KM: Final = 200.0  # a "partner" further than this is not a neighbour
MAX_LIMIT: Final = 500


class UnitKind(enum.StrEnum):
    ORGANIZATION = "organization"
    PARTY_ORG = "party_org"


class FacetKind(enum.StrEnum):
    """What a need (or, with no need, a new offer) is made of."""

    SCENARIO = "scenario"
    RESOURCE_KIND = "resource_kind"
    SKILL = "skill"


class PersonLink(enum.StrEnum):
    EMPLOYEE = "employee"  # EMPLOYED_BY the organization
    MEMBER = "member"  # MEMBER_OF the party organisation


class Component(enum.StrEnum):
    COMPLEMENT = "complement"
    PROXIMITY = "proximity"
    TIES = "ties"
    TRACK_RECORD = "track_record"


# --- inputs ---------------------------------------------------------------------------------


class Need(BaseModel):
    """What A needs: a scenario tag, skills (ids, names or aliases) and resource kinds.

    An empty need (nothing given) means "no need": partners are then ranked on what they
    bring that A lacks.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    scenario: str | None = None
    skills: tuple[str, ...] = ()
    resource_kinds: tuple[ResourceKind, ...] = ()

    @field_validator("scenario")
    @classmethod
    def _blank_scenario_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("skills")
    @classmethod
    def _no_blank_skills(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.strip() for s in value if s.strip()))

    @property
    def is_empty(self) -> bool:
        return self.scenario is None and not self.skills and not self.resource_kinds


@dataclass(frozen=True, slots=True)
class PartnerWeights:
    """Weights of the four score components (non-negative, not all zero)."""

    complement: float = 0.45
    proximity: float = 0.2
    ties: float = 0.2
    track_record: float = 0.15

    def __post_init__(self) -> None:
        values = (self.complement, self.proximity, self.ties, self.track_record)
        if any(not math.isfinite(v) or v < 0 for v in values) or not any(values):
            raise BadArgumentError("weights must be finite, non-negative and not all zero")


DEFAULT_WEIGHTS: Final = PartnerWeights()


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitRef:
    id: str
    name: str
    kind: UnitKind


@dataclass(frozen=True, slots=True)
class SkillRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ResolvedNeed:
    """The need as understood: skills resolved to taxonomy entries."""

    scenario: str | None
    skills: tuple[SkillRef, ...]
    resource_kinds: tuple[ResourceKind, ...]


@dataclass(frozen=True, slots=True)
class ScoreComponent:
    """One term of the score: ``contribution = weight × value``."""

    name: Component
    weight: float
    value: float
    contribution: float
    detail: str  # one line, Chinese: the numbers behind the value


@dataclass(frozen=True, slots=True)
class FacetCoverage:
    """How B covers one facet of the need (or one new thing it brings)."""

    facet: FacetKind
    key: str  # the scenario tag, resource kind or skill id
    label: str  # the same for people: the tag, the kind's Chinese name, the skill's name
    coverage: float  # 0–1
    resource_ids: tuple[str, ...]
    person_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MatchedResource:
    id: str
    name: str
    kind: str
    scenarios: tuple[str, ...]
    capacity: float | None
    capacity_unit: str | None
    matches: tuple[
        str, ...
    ]  # facet keys it covers, e.g. "scenario:老年助餐", "resource_kind:venue"


@dataclass(frozen=True, slots=True)
class HeldSkill:
    """A skill a matched person holds; ``covers`` is the needed skill it satisfies."""

    skill: SkillRef
    level: int
    certified: bool
    covers: SkillRef


@dataclass(frozen=True, slots=True)
class MatchedPerson:
    """A person linked to the partner who holds a relevant skill (never a phone number)."""

    id: str
    name: str
    link: PersonLink
    skills: tuple[HeldSkill, ...]


@dataclass(frozen=True, slots=True)
class AgreementRef:
    id: str
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class Ties:
    shared_agreements: tuple[AgreementRef, ...]
    shared_people: int
    resource_exchanges: int
    common_partners: tuple[str, ...]  # unit ids directly tied to both A and B


@dataclass(frozen=True, slots=True)
class TrackRecord:
    resource_ratings: int  # effect ratings of B's resources in recorded usages
    resource_rating_mean: float | None
    demand_ratings: int  # ratings of resolved demands assigned to B's linked people
    demand_rating_mean: float | None


@dataclass(frozen=True, slots=True)
class Partner:
    rank: int
    unit: UnitRef
    # math.fsum of the components' contributions; None (as is distance_km) for a partner
    # outside the caller's scope, shown by name only (queries.scoped)
    score: float | None
    distance_km: float | None
    components: tuple[ScoreComponent, ...]
    coverage: tuple[FacetCoverage, ...]
    resources: tuple[MatchedResource, ...]
    people: tuple[MatchedPerson, ...]
    ties: Ties
    track_record: TrackRecord


@dataclass(frozen=True, slots=True)
class PartnersResult:
    unit: UnitRef
    need: ResolvedNeed | None  # None: "no need", partners bring what A lacks
    radius_km: float
    new_only: bool
    as_of: date
    weights: PartnerWeights
    total: int  # partners found before ``limit``
    partners: tuple[Partner, ...]


# --- the question ---------------------------------------------------------------------------


async def find_partners(
    driver: AsyncDriver,
    database: str,
    unit_id: str,
    *,
    need: Need | None = None,
    radius_km: float = 3.0,
    new_only: bool = False,
    limit: int = 10,
    as_of: date | None = None,
    weights: PartnerWeights = DEFAULT_WEIGHTS,
) -> PartnersResult:
    """Rank the units A should work with, for ``need`` or (no need) in general.

    Returns the best ``limit`` partners (definition and score in the module docstring),
    each with every score component, the facets it covers and the concrete resources and
    people that make it a match; ``total`` counts every unit that qualifies. Raises
    ``NotFoundError`` when ``unit_id`` names no unit (or a retired one), ``BadArgumentError``
    for a radius outside (0, 200] km, a limit outside 1–500, a need skill that resolves to
    no skill (or to several), or a unit that is inactive at ``as_of``.

    Cost: the candidates come from point-index seeks around A, scored from their resources
    and the skill offers derived on each unit at ingest (not their people); ties are read from
    A's side only; track records, and who holds the skills, are read best-bound-first, only
    until no unread candidate can still enter the top ``limit``.
    """
    as_of = as_of or date.today()
    if not (math.isfinite(radius_km) and 0 < radius_km <= MAX_RADIUS_KM):
        raise BadArgumentError(f"radius_km must be in (0, {MAX_RADIUS_KM:g}], got {radius_km!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadArgumentError(f"limit must be in 1–{MAX_LIMIT}, got {limit!r}")
    if need is not None and need.is_empty:
        need = None

    taxonomy_query = _skill_taxonomy(driver, database) if need and need.skills else _no_taxonomy()
    (records, _, _), taxonomy = await asyncio.gather(
        driver.execute_query(
            ANCHOR, unit_id=unit_id, as_of=as_of, database_=database, routing_="r"
        ),
        taxonomy_query,
    )
    if not records:
        raise NotFoundError(f"no unit with id {unit_id!r}")
    anchor = records[0]
    unit = UnitRef(anchor["id"], anchor["name"], _unit_kind(anchor["is_party_org"]))
    if not anchor["active"]:
        raise BadArgumentError(f"unit {unit_id!r} is not active on {as_of.isoformat()}")

    resolved: ResolvedNeed | None = None
    covers: dict[str, tuple[SkillRef, ...]] = {}  # held skill id → needed skills it satisfies
    if need is not None:
        needed = taxonomy.resolve(need.skills)
        covers = taxonomy.coverage(needed)
        resolved = ResolvedNeed(need.scenario, needed, need.resource_kinds)

    empty = PartnersResult(unit, resolved, radius_km, new_only, as_of, weights, 0, ())
    if anchor["location"] is None:
        return empty  # a unit placed nowhere has nobody within any radius

    own = _Own(
        frozenset(anchor["own_kinds"]),
        frozenset(anchor["own_scenarios"]),
        frozenset(anchor["own_skills"]),
    )
    # The reads around A are independent: run them side by side.
    near: dict[str, Any] = {"unit_id": unit_id, "as_of": as_of, "radius_m": radius_km * 1000}
    ties_read = _ties(driver, database, unit_id, as_of, radius_km * 1000)
    details: _Details | None = None
    if resolved is None:
        tie_rows, organizations, party_orgs = await asyncio.gather(
            ties_read,
            _read_columns(driver, database, CANDIDATES_GENERAL["Organization"], **near),
            _read_columns(driver, database, CANDIDATES_GENERAL["PartyOrg"], **near),
        )
        candidates = _general_candidates([organizations, party_orgs])

        async def details(chunk: Sequence[_Candidate]) -> dict[str, Callable[[], _Candidate]]:
            return await _with_offers(driver, database, chunk, unit_id, as_of, own)

    else:
        reads: list[Awaitable[Any]] = [ties_read]
        if resolved.scenario is not None or resolved.resource_kinds:
            reads.append(
                _read(
                    driver,
                    database,
                    CANDIDATE_RESOURCES,
                    **near,
                    scenario=resolved.scenario,
                    kinds=[str(k) for k in resolved.resource_kinds],
                )
            )
        else:
            reads.append(_nothing())
        held_skills = sorted(covers)
        if covers:
            reads.append(_read(driver, database, CANDIDATE_SKILLS, **near, held_skills=held_skills))
        else:
            reads.append(_nothing())
        tie_rows, resource_rows, skill_rows = await asyncio.gather(*reads)
        candidates, by_unit = _candidates(resource_rows, skill_rows, resolved, covers, own)
        need_now = resolved

        async def details(chunk: Sequence[_Candidate]) -> dict[str, Callable[[], _Candidate]]:
            return await _with_holders(
                driver, database, chunk, by_unit, held_skills, need_now, covers, own
            )

    direct, common = tie_rows
    if new_only:
        candidates = [
            c for c in candidates if not (c.unit.id in direct and direct[c.unit.id].agreements)
        ]
    if not candidates:
        return empty

    no_ties, no_common = _Direct(), frozenset[str]()
    pending = [
        _bound(c, direct.get(c.unit.id, no_ties), common.get(c.unit.id, no_common), unit_id)
        for c in candidates
    ]

    def upper_bound(bound: _Bound) -> float:
        return _upper_bound(bound, radius_km, resolved, weights)

    def partial(bound: _Bound) -> _Partial:
        return _partial(bound, unit_id, radius_km, resolved, weights)

    scored = await _complete_best(
        driver, database, pending, upper_bound, partial, limit, weights, details
    )
    partners = tuple(_with_rank(p, rank) for rank, p in enumerate(scored[:limit], start=1))
    return PartnersResult(
        unit, resolved, radius_km, new_only, as_of, weights, len(candidates), partners
    )


@dataclass(frozen=True, slots=True)
class _Own:
    """What A has itself (the "no need" reading compares against it)."""

    kinds: frozenset[str]
    scenarios: frozenset[str]
    skills: frozenset[str]


@dataclass(slots=True)
class _Direct:
    """A's direct ties to one unit."""

    agreements: dict[str, AgreementRef] = dataclasses.field(default_factory=dict)
    people: set[str] = dataclasses.field(default_factory=set)
    usages: set[str] = dataclasses.field(default_factory=set)


async def _ties(
    driver: AsyncDriver, database: str, unit_id: str, as_of: date, radius_m: float
) -> tuple[dict[str, _Direct], dict[str, set[str]]]:
    """A's direct ties by unit, and for each unit within the radius the direct partners of A
    it is tied to as well (its common partners with A)."""
    direct = _direct_ties(await _read(driver, database, DIRECT_TIES, unit_id=unit_id, as_of=as_of))
    common: dict[str, set[str]] = {}
    if direct:
        rows = await _read(
            driver,
            database,
            TWO_STEP,
            unit_id=unit_id,
            partner_ids=sorted(direct),
            as_of=as_of,
            radius_m=radius_m,
        )
        for row in rows:
            for other in row["unit_ids"]:
                common.setdefault(other, set()).add(row["partner_id"])
    return direct, common


def _direct_ties(rows: Iterable[Mapping[str, Any]]) -> dict[str, _Direct]:
    ties: dict[str, _Direct] = {}
    for row in rows:
        entry = ties.setdefault(row["unit_id"], _Direct())
        if row["tie"] == "agreement":
            entry.agreements[row["via"]] = AgreementRef(row["via"], row["name"], row["kind"])
        elif row["tie"] == "person":
            entry.people.add(row["via"])
        else:
            entry.usages.add(row["via"])
    return ties


# --- skills ---------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Names compare as ingest compares them: NFKC, casefolded, without blanks/_/-/*."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "_-*")


@dataclass(frozen=True, slots=True)
class _Skill:
    id: str
    name: str
    aliases: tuple[str, ...]
    parent_id: str | None


class _Taxonomy:
    def __init__(self, skills: Mapping[str, _Skill]) -> None:
        self.skills = skills
        self.children: dict[str, list[str]] = {}
        for skill in skills.values():
            if skill.parent_id is not None:
                self.children.setdefault(skill.parent_id, []).append(skill.id)

    def resolve(self, refs: Sequence[str]) -> tuple[SkillRef, ...]:
        """Each reference by id, then name, then alias (folded); unknown or ambiguous: error."""
        by_name: dict[str, set[str]] = {}
        by_alias: dict[str, set[str]] = {}
        for skill in self.skills.values():
            by_name.setdefault(_fold(skill.name), set()).add(skill.id)
            for alias in skill.aliases:
                by_alias.setdefault(_fold(alias), set()).add(skill.id)
        found: list[SkillRef] = []
        unknown: list[str] = []
        for ref in refs:
            ids = (
                {ref} if ref in self.skills else by_name.get(_fold(ref)) or by_alias.get(_fold(ref))
            )
            if not ids:
                unknown.append(ref)
            elif len(ids) > 1:
                raise BadArgumentError(f"skill {ref!r} is ambiguous: {', '.join(sorted(ids))}")
            else:
                skill = self.skills[next(iter(ids))]
                if all(s.id != skill.id for s in found):
                    found.append(SkillRef(skill.id, skill.name))
        if unknown:
            raise BadArgumentError(f"unknown skill(s): {', '.join(unknown)}")
        return tuple(found)

    def coverage(self, needed: Iterable[SkillRef]) -> dict[str, tuple[SkillRef, ...]]:
        """Held skill id → the needed skills it satisfies (itself or an ancestor category)."""
        covers: dict[str, list[SkillRef]] = {}
        for need in needed:
            stack, seen = [need.id], set()
            while stack:
                current = stack.pop()
                if current in seen:
                    continue
                seen.add(current)
                covers.setdefault(current, []).append(need)
                stack.extend(self.children.get(current, ()))
        return {held: tuple(refs) for held, refs in covers.items()}


async def _read(
    driver: AsyncDriver, database: str, query: LiteralString, **params: Any
) -> list[dict[str, Any]]:
    """One read, routed as a read, of a query answering one record with its ``rows``.

    Rows come collected in one record because the async driver spends about 0.1 ms on each
    record it receives: thousands of rows as records would cost more than the query.
    """
    records, _, _ = await driver.execute_query(query, params, database_=database, routing_="r")
    rows: list[dict[str, Any]] = records[0]["rows"]
    return rows


async def _read_columns(
    driver: AsyncDriver, database: str, query: LiteralString, **params: Any
) -> dict[str, list[Any]]:
    """One read, routed as a read, of a query answering one record of parallel lists."""
    records, _, _ = await driver.execute_query(query, params, database_=database, routing_="r")
    record = records[0]
    return dict(zip(record.keys(), record.values(), strict=True))  # a Record iterates values


async def _nothing() -> list[dict[str, Any]]:
    return []


async def _no_taxonomy() -> _Taxonomy:
    return _Taxonomy({})


async def _skill_taxonomy(driver: AsyncDriver, database: str) -> _Taxonomy:
    records = await _read(driver, database, SKILLS)
    return _Taxonomy(
        {r["id"]: _Skill(r["id"], r["name"], tuple(r["aliases"]), r["parent_id"]) for r in records}
    )


# --- candidates and scores ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    unit: UnitRef
    distance_km: float
    resources: tuple[MatchedResource, ...]
    people: tuple[MatchedPerson, ...]
    coverage: tuple[FacetCoverage, ...]
    # The coverage values alone, for a candidate scored before its details are read.
    values: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class _Partial:
    """A candidate scored on everything but its track record (read later, best first)."""

    candidate: _Candidate
    components: tuple[ScoreComponent, ...]
    ties: Ties
    upper_bound: float  # the score with a perfect track record, which no one reaches


def _unit_kind(is_party_org: bool) -> UnitKind:
    return UnitKind.PARTY_ORG if is_party_org else UnitKind.ORGANIZATION


def _facet_key(facet: FacetKind, key: str) -> str:
    return f"{facet}:{key}"


# A candidate's unit, distance and matching resources (by id), as the need's reads found them.
_Found = tuple[UnitRef, float, dict[str, Mapping[str, Any]]]


def _candidates(
    resource_rows: Iterable[Mapping[str, Any]],
    skill_rows: Iterable[Mapping[str, Any]],
    need: ResolvedNeed,
    covers: Mapping[str, tuple[SkillRef, ...]],
    own: _Own,
) -> tuple[list[_Candidate], dict[str, _Found]]:
    """Group the rows by unit and work out what each unit brings, scored from the skills its
    people hold (who holds them is read later, for the units whose details are shown); also
    each unit's unit, distance and resources, for :func:`_with_holders`."""
    found: dict[str, _Found] = {}
    offered: dict[str, Sequence[Mapping[str, Any]]] = {}
    for row in resource_rows:
        ref, distance_km = _unit_of(row)
        found.setdefault(row["unit_id"], (ref, distance_km, {}))[2][row["resource"]["id"]] = row[
            "resource"
        ]
    for row in skill_rows:
        ref, distance_km = _unit_of(row)
        found.setdefault(row["unit_id"], (ref, distance_km, {}))
        offered[row["unit_id"]] = row["skills"]
    result = [
        _candidate(
            ref,
            distance_km,
            [resources[rid] for rid in sorted(resources)],
            [],
            need,
            covers,
            own,
            offered=offered.get(uid, ()),
        )
        for uid, (ref, distance_km, resources) in sorted(found.items())
    ]
    return [c for c in result if any(f.coverage > 0 for f in c.coverage)], found


async def _with_holders(
    driver: AsyncDriver,
    database: str,
    chunk: Sequence[_Candidate],
    found: Mapping[str, _Found],
    held_skills: Sequence[str],
    need: ResolvedNeed,
    covers: Mapping[str, tuple[SkillRef, ...]],
    own: _Own,
) -> dict[str, Callable[[], _Candidate]]:
    """The candidates of ``chunk`` again, with the people who hold the needed skills."""
    ids = sorted(c.unit.id for c in chunk)
    people: dict[str, dict[str, tuple[str, str, list[Mapping[str, Any]]]]] = {}
    if held_skills:
        records = await _read(
            driver, database, PEOPLE_WITH_SKILLS, unit_ids=ids, held_skills=list(held_skills)
        )
        for record in records:
            person = people.setdefault(record["unit_id"], {}).setdefault(
                record["person_id"], (record["person_name"], record["link"], [])
            )
            person[2].append(record)
    detailed: dict[str, Callable[[], _Candidate]] = {}
    for uid in ids:
        ref, distance_km, resources = found[uid]
        holders = people.get(uid, {})
        detailed[uid] = functools.partial(
            _candidate,
            ref,
            distance_km,
            [resources[rid] for rid in sorted(resources)],
            [(pid, *holders[pid]) for pid in sorted(holders)],
            need,
            covers,
            own,
        )
    return detailed


def _unit_of(row: Mapping[str, Any]) -> tuple[UnitRef, float]:
    ref = UnitRef(row["unit_id"], row["unit_name"], _unit_kind(row["is_party_org"]))
    return ref, float(row["distance_m"]) / 1000.0


# Reads, for candidates, what scoring did not need (who holds what, which resources): by unit
# id, how to build each one complete — built for the partners shown only.
_Details = Callable[[Sequence[_Candidate]], Awaitable[dict[str, Callable[[], _Candidate]]]]


# skill_quality of every (level, certified) a derived offer holds: thousands are looked up per
# call with no need.
_QUALITY: Final[Mapping[tuple[int, bool], float]] = {
    (level, certified): skill_quality(level, certified)
    for level in range(1, 6)
    for certified in (False, True)
}


def _general_candidates(answers: Iterable[Mapping[str, list[Any]]]) -> list[_Candidate]:
    """Candidates with no need, scored from what they bring, not yet what it is.

    Each stands as its unit, distance and the coverage of every new facet it brings (a new
    resource kind or scenario: 1; a new skill: its best holding's quality), enough for the
    score; :func:`_with_offers` reads the rest for the units whose track records are read.
    Every unit answered brings something new (the query keeps no other).
    """
    result = []
    for answer in answers:
        for uid, name, is_party_org, distance_m, facets, skills, levels, certified in zip(
            answer["ids"],
            answer["names"],
            answer["party_orgs"],
            answer["distances"],
            answer["facets"],
            answer["skills"],
            answer["levels"],
            answer["certified"],
            strict=True,
        ):
            best: dict[str, float] = {}
            for skill, level, cert in zip(skills, levels, certified, strict=True):
                quality = _QUALITY.get((level, cert))
                if quality is None:
                    quality = skill_quality(int(level), bool(cert))
                if quality > best.get(skill, -1.0):
                    best[skill] = quality
            ref = UnitRef(uid, name, _unit_kind(is_party_org))
            values = (*(1.0 for _ in range(facets)), *best.values())
            result.append(_Candidate(ref, float(distance_m) / 1000.0, (), (), (), values))
    result.sort(key=lambda c: c.unit.id)
    return result


async def _with_offers(
    driver: AsyncDriver,
    database: str,
    chunk: Sequence[_Candidate],
    unit_id: str,
    as_of: date,
    own: _Own,
) -> dict[str, Callable[[], _Candidate]]:
    """The candidates of ``chunk`` again, with the resources and the people behind what they
    bring."""
    ids = sorted(c.unit.id for c in chunk)
    resource_rows, people_rows = await asyncio.gather(
        _read(
            driver,
            database,
            RESOURCES_OF_UNITS,
            unit_id=unit_id,
            unit_ids=ids,
            as_of=as_of,
        ),
        _read(driver, database, PEOPLE_OF_UNITS, unit_id=unit_id, unit_ids=ids),
    )
    resources: dict[str, list[Mapping[str, Any]]] = {}
    for row in resource_rows:
        resources.setdefault(row["unit_id"], []).append(row["resource"])
    people: dict[str, dict[str, tuple[str, str, list[Mapping[str, Any]]]]] = {}
    for record in people_rows:
        person = people.setdefault(record["unit_id"], {}).setdefault(
            record["person_id"], (record["person_name"], record["link"], [])
        )
        person[2].append(record)
    detailed: dict[str, Callable[[], _Candidate]] = {}
    for c in chunk:
        uid = c.unit.id
        holders = people.get(uid, {})
        detailed[uid] = functools.partial(
            _candidate,
            c.unit,
            c.distance_km,
            sorted(resources.get(uid, ()), key=lambda r: str(r["id"])),
            [(pid, *holders[pid]) for pid in sorted(holders)],
            None,
            {},
            own,
        )
    return detailed


def _candidate(
    unit: UnitRef,
    distance_km: float,
    resource_rows: Sequence[Mapping[str, Any]],
    people_rows: Sequence[tuple[str, str, str, list[Mapping[str, Any]]]],
    need: ResolvedNeed | None,
    covers: Mapping[str, tuple[SkillRef, ...]],
    own: _Own,
    *,
    offered: Sequence[Mapping[str, Any]] = (),
) -> _Candidate:
    """What B brings: resources, people and the facets they cover (need or no need).

    ``offered`` — (skill, level, certified) held by B's people, when who holds them is not
    read yet: they cover the need's skill facets as the people would, without naming them.
    """
    facets: dict[tuple[FacetKind, str], tuple[str, list[str], list[str], float]] = {}

    def cover(
        facet: FacetKind, key: str, label: str, value: float, rid: str = "", pid: str = ""
    ) -> None:
        old_label, rids, pids, best = facets.get((facet, key), (label, [], [], 0.0))
        if rid and rid not in rids:
            rids.append(rid)
        if pid and pid not in pids:
            pids.append(pid)
        facets[(facet, key)] = (old_label, rids, pids, max(best, value))

    if need is not None:  # the need's facets first, in its order, covered or not
        if need.scenario is not None:
            cover(FacetKind.SCENARIO, need.scenario, need.scenario, 0.0)
        for kind in need.resource_kinds:
            cover(FacetKind.RESOURCE_KIND, str(kind), KIND_LABELS.get(kind, str(kind)), 0.0)
        for skill in need.skills:
            cover(FacetKind.SKILL, skill.id, skill.name, 0.0)

    resources: list[MatchedResource] = []
    for r in resource_rows:
        scenarios = tuple(r["scenarios"])
        matches: list[tuple[FacetKind, str]] = []
        if need is not None:
            if need.scenario is not None and need.scenario in scenarios:
                matches.append((FacetKind.SCENARIO, need.scenario))
            if r["kind"] in need.resource_kinds:
                matches.append((FacetKind.RESOURCE_KIND, r["kind"]))
        else:
            if r["kind"] not in own.kinds:
                matches.append((FacetKind.RESOURCE_KIND, r["kind"]))
            matches.extend(
                (FacetKind.SCENARIO, tag)
                for tag in dict.fromkeys(scenarios)
                if tag not in own.scenarios
            )
        for facet, key in matches:
            label = KIND_LABELS.get(key, key) if facet is FacetKind.RESOURCE_KIND else key
            cover(facet, key, label, 1.0, rid=r["id"])
        if matches:
            resources.append(
                MatchedResource(
                    r["id"],
                    r["name"],
                    r["kind"],
                    scenarios,
                    r["capacity"],
                    r["capacity_unit"],
                    tuple(_facet_key(facet, key) for facet, key in matches),
                )
            )

    for s in offered:
        quality = skill_quality(int(s["level"]), bool(s["certified"]))
        for target in covers.get(s["skill_id"], ()):
            cover(FacetKind.SKILL, target.id, target.name, quality)

    people: list[MatchedPerson] = []
    for pid, name, link, rows in people_rows:
        held: list[HeldSkill] = []
        for s in sorted(rows, key=lambda s: s["skill_id"]):
            skill = SkillRef(s["skill_id"], s["skill_name"])
            targets = covers.get(skill.id, ()) if need is not None else (skill,)
            level, certified = int(s["level"]), bool(s["certified"])
            for target in targets:
                held.append(HeldSkill(skill, level, certified, target))
                quality = skill_quality(level, certified)
                cover(FacetKind.SKILL, target.id, target.name, quality, pid=pid)
        if held:
            as_what = PersonLink.MEMBER if link == "MEMBER_OF" else PersonLink.EMPLOYEE
            people.append(MatchedPerson(pid, name, as_what, tuple(held)))

    coverage = tuple(
        FacetCoverage(facet, key, label, value, tuple(rids), tuple(pids))
        for (facet, key), (label, rids, pids, value) in facets.items()
        if need is not None or value > 0
    )
    return _Candidate(unit, distance_km, tuple(resources), tuple(people), coverage)


@dataclass(frozen=True, slots=True)
class _Bound:
    """A candidate with its direct ties and common partners, before anything is spelt out."""

    candidate: _Candidate
    direct: _Direct
    common: frozenset[str] | set[str]
    partners: tuple[str, ...]  # common partners other than A and B
    strength: float  # the ties component's t


def _bound(
    candidate: _Candidate, direct: _Direct, common: frozenset[str] | set[str], unit_id: str
) -> _Bound:
    partners = tuple(sorted(common - {unit_id, candidate.unit.id})) if common else ()
    strength = (
        len(direct.agreements)
        + len(direct.people)
        + len(direct.usages)
        + COMMON_PARTNER_WEIGHT * len(partners)
    )
    return _Bound(candidate, direct, common, partners, strength)


def _values(
    bound: _Bound, radius_km: float, need: ResolvedNeed | None
) -> tuple[float, float, float, tuple[float, ...]]:
    """Complement, proximity and ties values (and the facet values behind the complement)."""
    candidate = bound.candidate
    values = candidate.values
    if values is None:
        values = tuple(f.coverage for f in candidate.coverage)
    if need is not None:
        complement = math.fsum(values) / len(values) if values else 0.0
    else:
        offered = math.fsum(values)
        complement = offered / (offered + GENERAL_SATURATION)
    proximity = min(1.0, max(0.0, 1.0 - candidate.distance_km / radius_km))
    return complement, proximity, bound.strength / (bound.strength + 1.0), values


def _upper_bound(
    bound: _Bound, radius_km: float, need: ResolvedNeed | None, weights: PartnerWeights
) -> float:
    """The score with a perfect track record: what :func:`_partial` would report, cheaply
    (thousands of candidates are bounded; only the few read are spelt out)."""
    complement, proximity, ties_value, _ = _values(bound, radius_km, need)
    return math.fsum(
        [
            weights.complement * complement,
            weights.proximity * proximity,
            weights.ties * ties_value,
            weights.track_record,
        ]
    )


def _partial(
    bound: _Bound,
    unit_id: str,
    radius_km: float,
    need: ResolvedNeed | None,
    weights: PartnerWeights,
) -> _Partial:
    """Complement, proximity and ties: everything known before the track record is read."""
    candidate, direct = bound.candidate, bound.direct
    complement, proximity, ties_value, values = _values(bound, radius_km, need)
    if need is not None:
        covered = [f.label for f in candidate.coverage if f.coverage > 0]
        complement_detail = f"覆盖需求 {len(covered)}/{len(values)} 项" + (
            f"：{'、'.join(covered)}" if covered else ""
        )
    else:
        complement_detail = f"带来本单位没有的 {len(values)} 项资源类型、场景或技能"
    proximity_detail = f"相距 {candidate.distance_km:.2f} km（半径 {radius_km:g} km）"
    agreements = tuple(direct.agreements[g] for g in sorted(direct.agreements))
    ties_detail = (
        f"共建协议 {len(agreements)} 个，共同人员 {len(direct.people)} 人，"
        f"资源往来 {len(direct.usages)} 次，共同伙伴 {len(bound.partners)} 个"
    )
    components = (
        _component(Component.COMPLEMENT, weights.complement, complement, complement_detail),
        _component(Component.PROXIMITY, weights.proximity, proximity, proximity_detail),
        _component(Component.TIES, weights.ties, ties_value, ties_detail),
    )
    return _Partial(
        candidate,
        components,
        Ties(agreements, len(direct.people), len(direct.usages), bound.partners),
        math.fsum([*(c.contribution for c in components), weights.track_record]),
    )


async def _complete_best(
    driver: AsyncDriver,
    database: str,
    bounds: Sequence[_Bound],
    upper_bound: Callable[[_Bound], float],
    partial: Callable[[_Bound], _Partial],
    limit: int,
    weights: PartnerWeights,
    details: _Details | None = None,
) -> list[Partner]:
    """Read track records best upper bound first until the top ``limit`` is settled.

    An unread candidate scores at most its upper bound (a perfect track record), so once the
    ``limit``-th complete score exceeds the best unread bound no unread candidate can enter
    the top (not even on the distance tie-break): the answer is exact. ``details``, when
    given, completes each read candidate with what scoring did not need (who holds what),
    read alongside its track record.
    """
    upper = {id(b): upper_bound(b) for b in bounds}
    pending = sorted(
        bounds, key=lambda b: (-upper[id(b)], b.candidate.distance_km, b.candidate.unit.id)
    )
    done: list[Partner] = []
    read: dict[str, tuple[_Partial, Mapping[str, Any]]] = {}
    detailed: dict[str, Callable[[], _Candidate]] = {}
    batch = max(2 * limit, 16)
    start = 0
    while start < len(pending):
        chunk = pending[start : start + batch]
        start += len(chunk)
        track_read = driver.execute_query(
            TRACK_RECORDS,
            ids=[b.candidate.unit.id for b in chunk],
            database_=database,
            routing_="r",
        )
        if details is None:
            records, _, _ = await track_read
        else:
            (records, _, _), found = await asyncio.gather(
                track_read, details([b.candidate for b in chunk])
            )
            detailed.update(found)
        track = {r["unit_id"]: r for r in records[0]["rows"]}
        for b in chunk:
            p = partial(b)
            read[b.candidate.unit.id] = (p, track[b.candidate.unit.id])
            done.append(_complete(p, track[b.candidate.unit.id], weights))
        done.sort(key=_rank_key)
        settled = len(done) >= limit and start < len(pending)
        if settled and -_rank_key(done[limit - 1])[0] > upper[id(pending[start])]:
            break
        batch *= 2
    # The score does not depend on the details: spell them out for the partners shown only.
    for index, partner in enumerate(done[:limit]):
        unit = partner.unit.id
        if unit in detailed:
            p, track_row = read[unit]
            full = dataclasses.replace(p, candidate=detailed[unit]())
            done[index] = _complete(full, track_row, weights)
    return done


def _rank_key(partner: Partner) -> tuple[float, float, str]:
    score, distance = partner.score, partner.distance_km
    if score is None or distance is None:
        raise ValueError(f"partner {partner.unit.id} was redacted before it was ranked")
    return (-score, distance, partner.unit.id)


def _mean(total: float, count: int) -> float | None:
    return total / count if count else None


def _complete(partial: _Partial, track: Mapping[str, Any], weights: PartnerWeights) -> Partner:
    n_res, n_dem = int(track["resource_ratings"]), int(track["demand_ratings"])
    res_total, dem_total = float(track["resource_total"]), float(track["demand_total"])
    shrunk = (res_total + dem_total + PRIOR_RATING * PRIOR_WEIGHT) / (n_res + n_dem + PRIOR_WEIGHT)
    value = (shrunk - 1.0) / 4.0
    record = TrackRecord(n_res, _mean(res_total, n_res), n_dem, _mean(dem_total, n_dem))
    detail = (
        f"资源使用评价 {n_res} 次"
        + (f"，均分 {record.resource_rating_mean:.2f}" if record.resource_rating_mean else "")
        + f"；承接诉求评价 {n_dem} 次"
        + (f"，均分 {record.demand_rating_mean:.2f}" if record.demand_rating_mean else "")
    )
    components = (
        *partial.components,
        _component(Component.TRACK_RECORD, weights.track_record, value, detail),
    )
    candidate = partial.candidate
    return Partner(
        rank=0,
        unit=candidate.unit,
        score=math.fsum(c.contribution for c in components),
        distance_km=candidate.distance_km,
        components=components,
        coverage=candidate.coverage,
        resources=candidate.resources,
        people=candidate.people,
        ties=partial.ties,
        track_record=record,
    )


def _component(name: Component, weight: float, value: float, detail: str) -> ScoreComponent:
    return ScoreComponent(name, weight, value, weight * value, detail)


def _with_rank(partner: Partner, rank: int) -> Partner:
    return dataclasses.replace(partner, rank=rank)
