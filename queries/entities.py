"""Entities and their ties: what the API's types are made of.

Three kinds of reads, all batched so that a nested GraphQL query costs one round trip per
level, whatever the number of items:

- ``nodes_by_id``: nodes of one kind by id (``UNWIND $ids`` on the id constraint);
- ``related``: one tie of many nodes at once (a page of neighbours per node, with totals);
- ``list_entities`` / ``count_entities``: a filtered, sorted page of one kind.

Retired nodes (absent from a ``--sync`` snapshot) never appear. Phone numbers are carried
only masked; the encrypted form never leaves this module.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Final, LiteralString, TypeVar

from neo4j import AsyncDriver
from neo4j.graph import Node
from neo4j.spatial import WGS84Point
from neo4j.time import Date, DateTime

from queries.errors import BadArgumentError
from queries.scope import (
    AGREEMENT_IN_SCOPE,
    IN_SCOPE,
    PERSON_IN_SCOPE,
    PLACED_IN_SCOPE,
    REGION_IN_SCOPE_OF_N,
    RESOURCE_IN_SCOPE,
    SKILL_IN_SCOPE,
    Scope,
)

# --- records ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegionRecord:
    id: str
    name: str
    level: str
    level_rank: int | None = None
    lat: float | None = None
    lon: float | None = None
    population: int | None = None
    households: int | None = None


@dataclass(frozen=True, slots=True)
class OrganizationRecord:
    id: str
    name: str
    kind: str
    sector: str
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    employees: int | None = None


@dataclass(frozen=True, slots=True)
class PartyOrgRecord:
    id: str
    name: str
    type: str
    founded_on: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class PersonRecord:
    id: str
    name: str
    is_party_member: bool
    gender: str | None = None
    birth_year: int | None = None
    occupation: str | None = None
    new_employment_group: bool = False
    roles: tuple[str, ...] = ()
    joined_on: date | None = None
    phone_masked: str | None = None


@dataclass(frozen=True, slots=True)
class SkillRecord:
    id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceRecord:
    id: str
    name: str
    kind: str
    shareable: bool = True
    status: str = "available"
    scenarios: tuple[str, ...] = ()
    capacity: float | None = None
    capacity_unit: str | None = None
    available_from: date | None = None
    available_to: date | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class AgreementRecord:
    id: str
    name: str
    kind: str
    topics: tuple[str, ...] = ()
    signed_on: date | None = None
    expires_on: date | None = None


@dataclass(frozen=True, slots=True)
class DemandRecord:
    id: str
    title: str
    status: str
    created_at: datetime | None = None
    scenario: str | None = None
    required_resource_kinds: tuple[str, ...] = ()
    urgency: int | None = None
    affected_people: int | None = None
    resolved_at: datetime | None = None
    rating: int | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class UsageRecord:
    id: str
    resource_id: str
    user_id: str
    used_on: date | None = None
    effect_rating: int | None = None


Record = (
    RegionRecord
    | OrganizationRecord
    | PartyOrgRecord
    | PersonRecord
    | SkillRecord
    | ResourceRecord
    | AgreementRecord
    | DemandRecord
)


class Kind(enum.StrEnum):
    REGION = "Region"
    ORGANIZATION = "Organization"
    PARTY_ORG = "PartyOrg"
    PERSON = "Person"
    SKILL = "Skill"
    RESOURCE = "Resource"
    AGREEMENT = "Agreement"
    DEMAND = "Demand"


RECORD_OF: Final[dict[Kind, type[Record]]] = {
    Kind.REGION: RegionRecord,
    Kind.ORGANIZATION: OrganizationRecord,
    Kind.PARTY_ORG: PartyOrgRecord,
    Kind.PERSON: PersonRecord,
    Kind.SKILL: SkillRecord,
    Kind.RESOURCE: ResourceRecord,
    Kind.AGREEMENT: AgreementRecord,
    Kind.DEMAND: DemandRecord,
}

R = TypeVar("R")


# Each record's field names, read once (to_record runs for every node an answer shows).
_FIELD_NAMES: Final[dict[type[Record], frozenset[str]]] = {
    cls: frozenset(f.name for f in fields(cls)) for cls in RECORD_OF.values()
}
# Plain values a record keeps as they come.
_PLAIN: Final = (str, int, float, bool)


def native(value: Any) -> Any:
    """Neo4j temporal values as Python ones; lists as tuples (records are immutable)."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, DateTime):
        return value.to_native()
    if isinstance(value, Date):
        return value.to_native()
    if isinstance(value, list):
        return tuple(native(v) for v in value)
    if isinstance(value, WGS84Point):
        return None
    return value


def to_record(node: Node | Mapping[str, Any]) -> Record:
    """The record for a node or its projection (``PROJECTED``), by its labels; properties the
    record does not have are ignored."""
    labels = node.labels if isinstance(node, Node) else node["labels"]
    for kind in Kind:
        if kind.value in labels:
            cls = RECORD_OF[kind]
            names = _FIELD_NAMES[cls]
            # A projection reads a missing property as null: the record's default then.
            values = {k: native(v) for k, v in node.items() if k in names and v is not None}
            return cls(**values)
    raise ValueError(f"node with labels {sorted(labels)} is no entity")


# What the records read of each kind's node: map projections of exactly those properties and
# the labels, so that the derived and bookkeeping properties (long lists of ties and skills kept
# for the questions, row hashes, points) never cross the wire: decoding whole organizations
# cost more than finding them. One per kind, for a node bound to `n` or `m`.
_FIELDS: Final[dict[Kind, LiteralString]] = {
    Kind.REGION: ".id, .name, .level, .level_rank, .lat, .lon, .population, .households",
    Kind.ORGANIZATION: ".id, .name, .kind, .sector, .address, .lat, .lon, .employees",
    Kind.PARTY_ORG: ".id, .name, .type, .founded_on, .valid_to",
    Kind.PERSON: ".id, .name, .is_party_member, .gender, .birth_year, .occupation, "
    ".new_employment_group, .roles, .joined_on, .phone_masked",
    Kind.SKILL: ".id, .name, .aliases",
    Kind.RESOURCE: ".id, .name, .kind, .shareable, .status, .scenarios, .capacity, "
    ".capacity_unit, .available_from, .available_to, .lat, .lon",
    Kind.AGREEMENT: ".id, .name, .kind, .topics, .signed_on, .expires_on",
    Kind.DEMAND: ".id, .title, .status, .created_at, .scenario, .required_resource_kinds, "
    ".urgency, .affected_people, .resolved_at, .rating, .source",
}
# A unit: an organization or a party organisation.
_UNIT_FIELDS: Final = (
    ".id, .name, .kind, .sector, .address, .lat, .lon, .employees, .type, .founded_on, .valid_to"
)
# Any entity (search): every kind's fields.
_ANY_FIELDS: Final = (
    _FIELDS[Kind.REGION]
    + ", .kind, .sector, .address, .employees, .type, .founded_on, .valid_to, .is_party_member, "
    ".gender, .birth_year, .occupation, .new_employment_group, .roles, .joined_on, "
    ".phone_masked, .aliases, .shareable, .status, .scenarios, .capacity, .capacity_unit, "
    ".available_from, .available_to, .topics, .signed_on, .expires_on, .title, .created_at, "
    ".scenario, .required_resource_kinds, .urgency, .affected_people, .resolved_at, .rating, "
    ".source"
)
PROJECTED: Final[dict[Kind | None, LiteralString]] = {
    **{kind: "n {" + f + ", labels: labels(n)}" for kind, f in _FIELDS.items()},
    None: "n {" + _UNIT_FIELDS + ", labels: labels(n)}",
}
_PROJECTED_X: Final[dict[Kind | None, LiteralString]] = {
    **{kind: "x {" + f + ", labels: labels(x)}" for kind, f in _FIELDS.items()},
    None: "x {" + _UNIT_FIELDS + ", labels: labels(x)}",
}


# --- nodes by id ----------------------------------------------------------------------------

# Each: one kind's nodes by id (unique constraint on id), retired ones and those outside the
# scope left out (the scope check of the kind, from queries.scope).
REGIONS_BY_ID: Final = (
    "UNWIND $ids AS id MATCH (n:Region {id: id}) WHERE NOT n:Retired AND "
    + REGION_IN_SCOPE_OF_N
    + " RETURN id, "
    + PROJECTED[Kind.REGION]
    + " AS n"
)
ORGANIZATIONS_BY_ID: Final = (
    "UNWIND $ids AS id MATCH (n:Organization {id: id}) WHERE NOT n:Retired AND "
    + PLACED_IN_SCOPE
    + " RETURN id, "
    + PROJECTED[Kind.ORGANIZATION]
    + " AS n"
)
PARTY_ORGS_BY_ID: Final = (
    "UNWIND $ids AS id MATCH (n:PartyOrg {id: id}) WHERE NOT n:Retired AND "
    + PLACED_IN_SCOPE
    + " RETURN id, "
    + PROJECTED[Kind.PARTY_ORG]
    + " AS n"
)
PEOPLE_BY_ID: Final = (
    "UNWIND $ids AS id MATCH (n:Person {id: id}) WHERE NOT n:Retired AND "
    + PERSON_IN_SCOPE
    + " RETURN id, "
    + PROJECTED[Kind.PERSON]
    + " AS n"
)
SKILLS_BY_ID: Final = (
    "UNWIND $ids AS id MATCH (n:Skill {id: id}) WHERE NOT n:Retired RETURN id, "
    + PROJECTED[Kind.SKILL]
    + " AS n"
)
RESOURCES_BY_ID: Final = (
    "UNWIND $ids AS id MATCH (n:Resource {id: id}) WHERE NOT n:Retired AND "
    + RESOURCE_IN_SCOPE
    + " RETURN id, "
    + PROJECTED[Kind.RESOURCE]
    + " AS n"
)
AGREEMENTS_BY_ID: Final = (
    "UNWIND $ids AS id MATCH (n:Agreement {id: id}) WHERE NOT n:Retired AND "
    + AGREEMENT_IN_SCOPE
    + " RETURN id, "
    + PROJECTED[Kind.AGREEMENT]
    + " AS n"
)
DEMANDS_BY_ID: Final = (
    "UNWIND $ids AS id MATCH (n:Demand {id: id}) WHERE NOT n:Retired AND "
    + PLACED_IN_SCOPE
    + " RETURN id, "
    + PROJECTED[Kind.DEMAND]
    + " AS n"
)
# A unit (organization or party organisation) by id (unique constraint on Unit.id), in scope.
UNITS_BY_ID: Final = (
    "UNWIND $ids AS id MATCH (n:Unit {id: id}) WHERE NOT n:Retired AND "
    + PLACED_IN_SCOPE
    + " RETURN id, "
    + PROJECTED[None]
    + " AS n"
)
# The stored cipher text of people's phones, for an unmasked read (unique index on Person.id);
# only people in the scope.
PHONE_CIPHERS: Final = (
    "UNWIND $ids AS id MATCH (n:Person {id: id}) WHERE NOT n:Retired AND "
    + PERSON_IN_SCOPE
    + " RETURN id, n.phone_encrypted AS cipher, n.phone_masked AS masked"
)

BY_ID: Final[dict[Kind, LiteralString]] = {
    Kind.REGION: REGIONS_BY_ID,
    Kind.ORGANIZATION: ORGANIZATIONS_BY_ID,
    Kind.PARTY_ORG: PARTY_ORGS_BY_ID,
    Kind.PERSON: PEOPLE_BY_ID,
    Kind.SKILL: SKILLS_BY_ID,
    Kind.RESOURCE: RESOURCES_BY_ID,
    Kind.AGREEMENT: AGREEMENTS_BY_ID,
    Kind.DEMAND: DEMANDS_BY_ID,
}


async def nodes_by_id(
    driver: AsyncDriver,
    database: str,
    kind: Kind | None,
    ids: list[str],
    scope: Scope,
) -> dict[str, Record]:
    """Records of ``kind`` (None: any unit) for ``ids``; unknown ids and ids outside
    ``scope`` are absent (the two look the same)."""
    query = UNITS_BY_ID if kind is None else BY_ID[kind]
    records, _, _ = await driver.execute_query(
        query, ids=ids, **scope.params(), database_=database, routing_="r"
    )
    return {r["id"]: to_record(r["n"]) for r in records}


@dataclass(frozen=True, slots=True)
class PhoneCipher:
    """What is stored of a person's phone: the cipher text (None without a key) and the mask."""

    cipher: str | None
    masked: str | None


async def phone_ciphers(
    driver: AsyncDriver, database: str, ids: list[str], scope: Scope
) -> dict[str, PhoneCipher]:
    """The stored phone forms of the people ``ids`` lying in ``scope`` (others absent).

    Only for a read that shows the clear number; the caller checks the permission, decrypts
    and records the read (``graph.audit``).
    """
    records, _, _ = await driver.execute_query(
        PHONE_CIPHERS, ids=ids, **scope.params(), database_=database, routing_="r"
    )
    return {r["id"]: PhoneCipher(r["cipher"], r["masked"]) for r in records}


# --- ties: a page of neighbours for many nodes at once -------------------------------------


class Tie(enum.StrEnum):
    """A tie the API exposes as a field; each has its own literal Cypher below."""

    REGION_PARENT = "region_parent"
    REGION_CHILDREN = "region_children"
    REGION_ORGANIZATIONS = "region_organizations"
    REGION_PARTY_ORGS = "region_party_orgs"
    PLACED_REGION = "placed_region"  # organization / party org / resource / demand → region
    ORGANIZATION_PARTY_ORGS = "organization_party_orgs"
    ORGANIZATION_EMPLOYEES = "organization_employees"
    UNIT_RESOURCES = "unit_resources"
    UNIT_AGREEMENTS = "unit_agreements"
    PARTY_ORG_PARENT = "party_org_parent"
    PARTY_ORG_CHILDREN = "party_org_children"
    PARTY_ORG_HOST = "party_org_host"
    PARTY_ORG_COVERED = "party_org_covered"
    PARTY_ORG_MEMBERS = "party_org_members"
    PARTY_ORG_REPORTING = "party_org_reporting"
    PARTY_ORG_SECRETARY = "party_org_secretary"
    PERSON_PARTY_ORG = "person_party_org"
    PERSON_EMPLOYER = "person_employer"
    PERSON_RESIDENCE = "person_residence"
    PERSON_REPORTS_TO = "person_reports_to"
    PERSON_SKILLS = "person_skills"
    PERSON_DEMANDS = "person_demands"
    SKILL_PARENT = "skill_parent"
    SKILL_CHILDREN = "skill_children"
    SKILL_HOLDERS = "skill_holders"
    RESOURCE_OWNER = "resource_owner"
    AGREEMENT_PARTIES = "agreement_parties"
    DEMAND_SKILLS = "demand_skills"
    DEMAND_ASSIGNEES = "demand_assignees"
    DEMAND_RESOURCES = "demand_resources"


# Every tie is one step from a node `p` to its neighbours `m` (`r`: the relationship, or a map of
# what it says), with the anchor finding `p` by id, the neighbours' kind and their scope check
# (queries.scope; none for skills, which lie in every scope).
@dataclass(frozen=True, slots=True)
class _Step:
    anchor: LiteralString
    step: LiteralString
    kind: Kind | None  # None: units (organizations and party organisations)
    check: LiteralString | None


TIE_STEPS: Final[dict[Tie, _Step]] = {
    # the region a region is part of
    Tie.REGION_PARENT: _Step(
        "MATCH (p:Region {id: id})",
        "MATCH (p)-[r:PART_OF]->(m:Region) WHERE NOT m:Retired",
        Kind.REGION,
        REGION_IN_SCOPE_OF_N,
    ),
    # the regions directly below a region
    Tie.REGION_CHILDREN: _Step(
        "MATCH (p:Region {id: id})",
        "MATCH (p)<-[r:PART_OF]-(m:Region) WHERE NOT m:Retired",
        Kind.REGION,
        REGION_IN_SCOPE_OF_N,
    ),
    # organizations sitting directly in a region
    Tie.REGION_ORGANIZATIONS: _Step(
        "MATCH (p:Region {id: id})",
        "MATCH (p)<-[r:IN_REGION]-(m:Organization) WHERE NOT m:Retired",
        Kind.ORGANIZATION,
        PLACED_IN_SCOPE,
    ),
    # party organisations sitting directly in a region
    Tie.REGION_PARTY_ORGS: _Step(
        "MATCH (p:Region {id: id})",
        "MATCH (p)<-[r:IN_REGION]-(m:PartyOrg) WHERE NOT m:Retired",
        Kind.PARTY_ORG,
        PLACED_IN_SCOPE,
    ),
    # the region a unit, resource or demand sits in
    Tie.PLACED_REGION: _Step(
        "CALL (id) { MATCH (p:Unit {id: id}) RETURN p UNION MATCH (p:Resource {id: id}) RETURN p "
        "UNION MATCH (p:Demand {id: id}) RETURN p }",
        "MATCH (p)-[r:IN_REGION]->(m:Region) WHERE NOT m:Retired",
        Kind.REGION,
        REGION_IN_SCOPE_OF_N,
    ),
    # party organisations set up in or covering an organization (r type says which)
    Tie.ORGANIZATION_PARTY_ORGS: _Step(
        "MATCH (p:Organization {id: id})",
        "MATCH (p)<-[rel:SET_UP_IN|COVERS]-(m:PartyOrg) WHERE NOT m:Retired "
        "WITH m, {how: type(rel)} AS r",
        Kind.PARTY_ORG,
        PLACED_IN_SCOPE,
    ),
    # people employed by an organization
    Tie.ORGANIZATION_EMPLOYEES: _Step(
        "MATCH (p:Organization {id: id})",
        "MATCH (p)<-[r:EMPLOYED_BY]-(m:Person) WHERE NOT m:Retired",
        Kind.PERSON,
        PERSON_IN_SCOPE,
    ),
    # resources a unit owns
    Tie.UNIT_RESOURCES: _Step(
        "MATCH (p:Unit {id: id})",
        "MATCH (p)<-[r:OWNED_BY]-(m:Resource) WHERE NOT m:Retired",
        Kind.RESOURCE,
        RESOURCE_IN_SCOPE,
    ),
    # agreements a unit is party to
    Tie.UNIT_AGREEMENTS: _Step(
        "MATCH (p:Unit {id: id})",
        "MATCH (p)-[r:PARTY_TO]->(m:Agreement) WHERE NOT m:Retired",
        Kind.AGREEMENT,
        AGREEMENT_IN_SCOPE,
    ),
    # the party organisation one reports to (管理归属)
    Tie.PARTY_ORG_PARENT: _Step(
        "MATCH (p:PartyOrg {id: id})",
        "MATCH (p)-[r:SUBORDINATE_TO]->(m:PartyOrg) WHERE NOT m:Retired",
        Kind.PARTY_ORG,
        PLACED_IN_SCOPE,
    ),
    # the party organisations reporting to one
    Tie.PARTY_ORG_CHILDREN: _Step(
        "MATCH (p:PartyOrg {id: id})",
        "MATCH (p)<-[r:SUBORDINATE_TO]-(m:PartyOrg) WHERE NOT m:Retired",
        Kind.PARTY_ORG,
        PLACED_IN_SCOPE,
    ),
    # the organization a party organisation is set up in (单独组建)
    Tie.PARTY_ORG_HOST: _Step(
        "MATCH (p:PartyOrg {id: id})",
        "MATCH (p)-[r:SET_UP_IN]->(m:Organization) WHERE NOT m:Retired",
        Kind.ORGANIZATION,
        PLACED_IN_SCOPE,
    ),
    # further organizations a party organisation covers (联合组建 …)
    Tie.PARTY_ORG_COVERED: _Step(
        "MATCH (p:PartyOrg {id: id})",
        "MATCH (p)-[r:COVERS]->(m:Organization) WHERE NOT m:Retired",
        Kind.ORGANIZATION,
        PLACED_IN_SCOPE,
    ),
    # members whose membership is kept by a party organisation
    Tie.PARTY_ORG_MEMBERS: _Step(
        "MATCH (p:PartyOrg {id: id})",
        "MATCH (p)<-[r:MEMBER_OF]-(m:Person) WHERE NOT m:Retired",
        Kind.PERSON,
        PERSON_IN_SCOPE,
    ),
    # people reporting to a community party organisation (双报到)
    Tie.PARTY_ORG_REPORTING: _Step(
        "MATCH (p:PartyOrg {id: id})",
        "MATCH (p)<-[r:REPORTS_TO]-(m:Person) WHERE NOT m:Retired",
        Kind.PERSON,
        PERSON_IN_SCOPE,
    ),
    # a party organisation's secretary
    Tie.PARTY_ORG_SECRETARY: _Step(
        "MATCH (p:PartyOrg {id: id})",
        "MATCH (p)<-[r:SECRETARY_OF]-(m:Person) WHERE NOT m:Retired",
        Kind.PERSON,
        PERSON_IN_SCOPE,
    ),
    # where a person's membership is kept
    Tie.PERSON_PARTY_ORG: _Step(
        "MATCH (p:Person {id: id})",
        "MATCH (p)-[r:MEMBER_OF]->(m:PartyOrg) WHERE NOT m:Retired",
        Kind.PARTY_ORG,
        PLACED_IN_SCOPE,
    ),
    # a person's employer
    Tie.PERSON_EMPLOYER: _Step(
        "MATCH (p:Person {id: id})",
        "MATCH (p)-[r:EMPLOYED_BY]->(m:Organization) WHERE NOT m:Retired",
        Kind.ORGANIZATION,
        PLACED_IN_SCOPE,
    ),
    # where a person resides
    Tie.PERSON_RESIDENCE: _Step(
        "MATCH (p:Person {id: id})",
        "MATCH (p)-[r:RESIDES_IN]->(m:Region) WHERE NOT m:Retired",
        Kind.REGION,
        REGION_IN_SCOPE_OF_N,
    ),
    # the community party organisation a person reports to
    Tie.PERSON_REPORTS_TO: _Step(
        "MATCH (p:Person {id: id})",
        "MATCH (p)-[r:REPORTS_TO]->(m:PartyOrg) WHERE NOT m:Retired",
        Kind.PARTY_ORG,
        PLACED_IN_SCOPE,
    ),
    # a person's skills with level and certification
    Tie.PERSON_SKILLS: _Step(
        "MATCH (p:Person {id: id})",
        "MATCH (p)-[r:HAS_SKILL]->(m:Skill) WHERE NOT m:Retired AND r.retired_run IS NULL",
        Kind.SKILL,
        None,
    ),
    # demands assigned to a person
    Tie.PERSON_DEMANDS: _Step(
        "MATCH (p:Person {id: id})",
        "MATCH (p)<-[r:ASSIGNED_TO]-(m:Demand) WHERE NOT m:Retired",
        Kind.DEMAND,
        PLACED_IN_SCOPE,
    ),
    # a skill's broader category
    Tie.SKILL_PARENT: _Step(
        "MATCH (p:Skill {id: id})",
        "MATCH (p)-[r:SUBCATEGORY_OF]->(m:Skill) WHERE NOT m:Retired",
        Kind.SKILL,
        None,
    ),
    # a category's narrower skills
    Tie.SKILL_CHILDREN: _Step(
        "MATCH (p:Skill {id: id})",
        "MATCH (p)<-[r:SUBCATEGORY_OF]-(m:Skill) WHERE NOT m:Retired",
        Kind.SKILL,
        None,
    ),
    # people holding a skill
    Tie.SKILL_HOLDERS: _Step(
        "MATCH (p:Skill {id: id})",
        "MATCH (p)<-[r:HAS_SKILL]-(m:Person) WHERE NOT m:Retired AND r.retired_run IS NULL",
        Kind.PERSON,
        PERSON_IN_SCOPE,
    ),
    # the unit owning a resource
    Tie.RESOURCE_OWNER: _Step(
        "MATCH (p:Resource {id: id})",
        "MATCH (p)-[r:OWNED_BY]->(m:Unit) WHERE NOT m:Retired",
        None,
        PLACED_IN_SCOPE,
    ),
    # the parties to an agreement (r.lead marks the lead)
    Tie.AGREEMENT_PARTIES: _Step(
        "MATCH (p:Agreement {id: id})",
        "MATCH (p)<-[r:PARTY_TO]-(m:Unit) WHERE NOT m:Retired",
        None,
        PLACED_IN_SCOPE,
    ),
    # skills a demand requires
    Tie.DEMAND_SKILLS: _Step(
        "MATCH (p:Demand {id: id})",
        "MATCH (p)-[r:REQUIRES_SKILL]->(m:Skill) WHERE NOT m:Retired",
        Kind.SKILL,
        None,
    ),
    # people a demand is assigned to
    Tie.DEMAND_ASSIGNEES: _Step(
        "MATCH (p:Demand {id: id})",
        "MATCH (p)-[r:ASSIGNED_TO]->(m:Person) WHERE NOT m:Retired",
        Kind.PERSON,
        PERSON_IN_SCOPE,
    ),
    # resources a demand used
    Tie.DEMAND_RESOURCES: _Step(
        "MATCH (p:Demand {id: id})",
        "MATCH (p)-[r:USES_RESOURCE]->(m:Resource) WHERE NOT m:Retired",
        Kind.RESOURCE,
        RESOURCE_IN_SCOPE,
    ),
}


@dataclass(frozen=True, slots=True)
class Ahead:
    """A tie read along with a page: for each node of the page, one page of its neighbours
    (``first`` from ``offset``) and, below those, the ties ``ahead`` of them."""

    tie: Tie
    first: int
    offset: int
    ahead: tuple[Ahead, ...] = ()


@dataclass(frozen=True, slots=True)
class Linked:
    """A neighbour and the tie's own properties (e.g. a skill's level, a party's lead flag),
    with the pages of the ties read ahead for it (in the order they were asked)."""

    record: Record
    tie: dict[str, Any] = field(default_factory=dict)
    ahead: tuple[Page, ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    total: int
    items: tuple[Linked, ...]


EMPTY_PAGE: Final = Page(0, ())

# A tie's statement takes $ids, $first, $offset and $scope_regions and returns, per id, the
# total and one page of the neighbours in the scope, sorted by name then id for stable pages;
# for each neighbour of the page, the pages of the ties read ahead (their windows are
# $first_<path>/$offset_<path>), so that a nested selection is one round trip, not one per
# level. It is composed of the literal fragments below, per tie, ties ahead and scope.
_CHECKED: Final = " WITH m AS n, r WHERE "
_CHECKED_END: Final = " WITH n AS m, r"
_SORTED: Final = """
WITH m, r ORDER BY m.name, m.id
WITH collect({m: m, r: properties(r)}) AS items
WITH size(items) AS total, items["""
_EACH: Final = """] AS page
CALL (page) {
  UNWIND range(0, size(page) - 1) AS i
  WITH i, page[i].m AS x, page[i].r AS r
"""
_AHEAD: Final = "  CALL (x) { WITH x AS p "
_AHEAD_RETURNS: Final = "RETURN {total: total, page: shown} AS c"
_SHOWN: Final = "  WITH i, x, r"
_SHOWN_COLLECT: Final = " ORDER BY i\n  RETURN collect({m: "
_SHOWN_END: Final = "}) AS shown\n}\n"


# A read-ahead tree without its windows (those are parameters): what a statement depends on.
_Shape = tuple[tuple[Tie, "_Shape"], ...]


def _shape(ahead: tuple[Ahead, ...]) -> _Shape:
    return tuple((a.tie, _shape(a.ahead)) for a in ahead)


def _level(tie: Tie, path: str, ahead: _Shape, scoped: bool, returns: str) -> str:
    """The part of a tie's statement from `p` to its page (`total`, `shown`) and ``returns``."""
    step = TIE_STEPS[tie]
    text = step.step
    if scoped and step.check is not None:
        text += _CHECKED + step.check + _CHECKED_END
    window = f"$offset{path}..$offset{path} + $first{path}"
    text += _SORTED + window + _EACH
    for j, (child, below) in enumerate(ahead):
        inner = _level(child, f"{path}_{j}", below, scoped, f"{_AHEAD_RETURNS}{j}")
        text += _AHEAD + inner + " }\n"
    kept = "".join(f", c{j}" for j in range(len(ahead)))
    fields_ahead = "".join(f", c{j}: c{j}" for j in range(len(ahead)))
    text += _SHOWN + kept + _SHOWN_COLLECT + _PROJECTED_X[step.kind] + ", r: r" + fields_ahead
    return text + _SHOWN_END + returns


def tie_statement(tie: Tie, ahead: tuple[Ahead, ...] = (), *, scoped: bool = True) -> str:
    """The statement of ``tie`` with the ties ``ahead`` (``scoped``: with the scope checks)."""
    return _statement(tie, _shape(ahead), scoped)


# Kept per shape, not per window: windows are parameters, and a cache keyed by them would grow
# with every distinct `first` a client sends.
@lru_cache(maxsize=1024)
def _statement(tie: Tie, shape: _Shape, scoped: bool) -> str:
    body = _level(tie, "", shape, scoped, "RETURN total, shown")
    return (
        "UNWIND $ids AS id "
        + TIE_STEPS[tie].anchor
        + " CALL (p) { "
        + body
        + " } RETURN id, total, shown AS page"
    )


def _windows(ahead: tuple[Ahead, ...], path: str = "") -> dict[str, int]:
    params: dict[str, int] = {}
    for j, child in enumerate(ahead):
        params[f"first{path}_{j}"] = child.first
        params[f"offset{path}_{j}"] = child.offset
        params |= _windows(child.ahead, f"{path}_{j}")
    return params


def _page(total: int, shown: list[dict[str, Any]], ahead: tuple[Ahead, ...]) -> Page:
    items = tuple(
        Linked(
            to_record(item["m"]),
            _tie_props(item["r"]),
            tuple(
                _page(item[f"c{j}"]["total"], item[f"c{j}"]["page"], child.ahead)
                for j, child in enumerate(ahead)
            ),
        )
        for item in shown
    )
    return Page(total, items)


async def related(
    driver: AsyncDriver,
    database: str,
    tie: Tie,
    ids: list[str],
    *,
    first: int,
    offset: int,
    scope: Scope,
    ahead: tuple[Ahead, ...] = (),
) -> dict[str, Page]:
    """For each of ``ids``, one page of its neighbours in ``scope`` through ``tie`` and
    their total (neighbours outside the scope are neither shown nor counted), each with the
    pages of the ties ``ahead`` (in the scope too)."""
    records, _, _ = await driver.execute_query(
        tie_statement(tie, ahead, scoped=not scope.whole_city),
        {"ids": ids, "first": first, "offset": offset, **_windows(ahead), **scope.params()},
        database_=database,
        routing_="r",
    )
    return {r["id"]: _page(r["total"], r["page"], ahead) for r in records}


_BOOKKEEPING: Final = frozenset({"run_id", "row_hash", "retired_run", "retired_on", "id"})


def _tie_props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: native(v) for k, v in props.items() if k not in _BOOKKEEPING}


# --- lists ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListFilter:
    """Filters of a list; each applies only to the kinds that have the property."""

    region_id: str | None = None  # the region's subtree (where the entity sits / resides)
    kind: str | None = None  # organization kind, resource kind, agreement kind
    sector: str | None = None
    type: str | None = None  # party organisation type
    status: str | None = None  # resource or demand status
    level: str | None = None  # region level
    scenario: str | None = None  # resource scenario, demand scenario, agreement topic
    skill_id: str | None = None  # people holding it, demands requiring it
    is_party_member: bool | None = None
    active_on: date | None = None  # agreements, temporary party orgs, resources
    min_employees: int | None = None


class OrderBy(enum.StrEnum):
    NAME = "name"
    ID = "id"
    EMPLOYEES = "employees"  # organizations
    CREATED = "created"  # demands
    URGENCY = "urgency"  # demands


MAX_PAGE: Final = 500

# A list's statement is composed of the literal fragments below for the filters actually set,
# so that each is a plain predicate the planner can serve from an index (one statement with
# every filter as `$x IS NULL OR …` read every node of the label and sorted them all). Values
# are always parameters.

# Candidates: the subtree of the region asked, or of the caller's scope (index seek on
# Region.id, then PART_OF down) ...
_IN_SUBTREE: Final[dict[Kind, LiteralString]] = {
    Kind.REGION: "MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(n:Region)",
    Kind.ORGANIZATION: "MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(:Region)"
    "<-[:IN_REGION]-(n:Organization)",
    Kind.PARTY_ORG: "MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(:Region)"
    "<-[:IN_REGION]-(n:PartyOrg)",
    # people: residents of the region asked
    Kind.PERSON: "MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(:Region)"
    "<-[:RESIDES_IN]-(n:Person)",
    Kind.SKILL: "MATCH (n:Skill)",
    Kind.RESOURCE: "MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(:Region)"
    "<-[:IN_REGION]-(n:Resource)",
    Kind.AGREEMENT: "MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(:Region)"
    "<-[:IN_REGION]-(:Unit)-[:PARTY_TO]->(a:Agreement) WITH DISTINCT a AS n",
    Kind.DEMAND: "MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(:Region)"
    "<-[:IN_REGION]-(n:Demand)",
}
# ... the people of a scope with no region asked: its residents, and the members and
# employees of its units (see queries.scope) ...
_PEOPLE_OF_SCOPE: Final = """CALL () {
  MATCH (:Region {id: $scope_region})<-[:PART_OF*0..]-(:Region)<-[:RESIDES_IN]-(n:Person)
  RETURN n
  UNION
  MATCH (:Region {id: $scope_region})<-[:PART_OF*0..]-(:Region)<-[:IN_REGION]-(:Unit)
        <-[:MEMBER_OF|EMPLOYED_BY]-(n:Person)
  RETURN n
}"""
# ... or, for the whole city, every node of the label.
_ALL: Final[dict[Kind, LiteralString]] = {
    Kind.REGION: "MATCH (n:Region)",
    Kind.ORGANIZATION: "MATCH (n:Organization)",
    Kind.PARTY_ORG: "MATCH (n:PartyOrg)",
    Kind.PERSON: "MATCH (n:Person)",
    Kind.SKILL: "MATCH (n:Skill)",
    Kind.RESOURCE: "MATCH (n:Resource)",
    Kind.AGREEMENT: "MATCH (n:Agreement)",
    Kind.DEMAND: "MATCH (n:Demand)",
}
_WHERE: Final = "\nWITH n WHERE NOT n:Retired"
# One predicate per filter set (ListFilter's field names); a filter a kind lacks the property
# of matches nothing, as in questions.md.
_FILTERS: Final[dict[str, LiteralString]] = {
    "kind": "n.kind = $kind",
    "sector": "n.sector = $sector",
    "type": "n.type = $type",
    "status": "n.status = $status",
    "level": "n.level = $level",
    "scenario": "($scenario = n.scenario OR $scenario IN coalesce(n.scenarios, [])"
    " OR $scenario IN coalesce(n.topics, []))",
    "is_party_member": "n.is_party_member = $is_party_member",
    "min_employees": "n.employees >= $min_employees",
    "skill_id": "(EXISTS { (n)-[h:HAS_SKILL]->(:Skill {id: $skill_id}) "
    "WHERE h.retired_run IS NULL } OR EXISTS { (n)-[:REQUIRES_SKILL]->(:Skill {id: $skill_id}) })",
}
# "Active on a day" has a meaning for three kinds only; the others are always active.
_ACTIVE_ON: Final[dict[Kind, LiteralString]] = {
    Kind.AGREEMENT: "coalesce(n.signed_on <= $active_on, true) "
    "AND coalesce($active_on <= n.expires_on, true)",
    Kind.PARTY_ORG: "(n.type <> 'temporary' OR coalesce($active_on <= n.valid_to, true))",
    Kind.RESOURCE: "coalesce(n.available_from <= $active_on, true) "
    "AND coalesce($active_on <= n.available_to, true)",
}
# The scope check of each kind (queries.scope), left out for the whole city.
_SCOPE_CHECK: Final[dict[Kind, LiteralString]] = {
    Kind.REGION: REGION_IN_SCOPE_OF_N,
    Kind.ORGANIZATION: PLACED_IN_SCOPE,
    Kind.PARTY_ORG: PLACED_IN_SCOPE,
    Kind.PERSON: PERSON_IN_SCOPE,
    Kind.SKILL: SKILL_IN_SCOPE,
    Kind.RESOURCE: RESOURCE_IN_SCOPE,
    Kind.AGREEMENT: AGREEMENT_IN_SCOPE,
    Kind.DEMAND: PLACED_IN_SCOPE,
}
_AND: Final = "\n  AND "
_ORDER_KEY: Final[dict[OrderBy, LiteralString]] = {
    OrderBy.NAME: "n.name",
    OrderBy.ID: "n.id",
    OrderBy.EMPLOYEES: "n.employees",
    OrderBy.CREATED: "n.created_at",
    OrderBy.URGENCY: "n.urgency",
}
_ORDER: Final = "\nWITH n ORDER BY "
_DESC: Final = " DESC"
_LIST_PAGE: Final = ", n.id\nSKIP $offset LIMIT $first\nRETURN "
_COUNT: Final = "\nRETURN count(n) AS total"
# A whole label's list in name order is read from a name index in that order and stops at the
# page's end (PartialTop) instead of sorting every match (graph.schema NAME_ORDER_INDEXES):
# the name is required (data contract), so asking for it changes nothing; with an equality
# filter the composite index (that property, name) serves it, ordered by the filter's
# property first (one value, so the order is the same).
_NAMED: Final = "\n  AND n.name IS NOT NULL"
_NAME_ORDER_FILTERS: Final[dict[Kind, tuple[str, ...]]] = {
    Kind.REGION: ("level",),
    Kind.ORGANIZATION: ("sector", "kind"),
    Kind.PARTY_ORG: ("type",),
    Kind.PERSON: ("is_party_member",),
    Kind.RESOURCE: ("kind", "status"),
    Kind.AGREEMENT: ("kind",),
}
_NAME_ORDER_KEY: Final[dict[str, LiteralString]] = {
    "level": "n.level",
    "sector": "n.sector",
    "kind": "n.kind",
    "type": "n.type",
    "is_party_member": "n.is_party_member",
    "status": "n.status",
}


def _matching(
    kind: Kind, flt: ListFilter, scope: Scope
) -> tuple[LiteralString, dict[str, Any], bool]:
    """The part of a list's statement that finds its nodes (`n`), its parameters, and whether
    it reads the whole label (rather than a region's subtree)."""
    params: dict[str, Any] = {f.name: getattr(flt, f.name) for f in fields(flt)}
    if params["region_id"] is None and kind is not Kind.PERSON:
        # Candidates from the scope's subtree instead of the whole label; the scope check
        # still filters them (and filters the candidates of a region asked for).
        params["region_id"] = scope.region_id
    whole_label = False
    if params["region_id"] is not None:
        statement = _IN_SUBTREE[kind]
    elif kind is Kind.PERSON and not scope.whole_city:
        statement = _PEOPLE_OF_SCOPE
    else:
        statement = _ALL[kind]
        whole_label = True
    statement += _WHERE
    for name, predicate in _FILTERS.items():
        if params[name] is not None:
            statement += _AND + predicate
    if flt.active_on is not None and kind in _ACTIVE_ON:
        statement += _AND + _ACTIVE_ON[kind]
    if not scope.whole_city:
        statement += _AND + _SCOPE_CHECK[kind]
    return statement, {**params, **scope.params()}, whole_label


def _order(
    kind: Kind, flt: ListFilter, order_by: OrderBy, descending: bool, whole_label: bool
) -> LiteralString:
    """The order of a list, written so that an index can serve it where one does."""
    direction: LiteralString = _DESC if descending else ""
    if order_by is not OrderBy.NAME or not whole_label or kind not in _NAME_ORDER_FILTERS:
        return _ORDER + _ORDER_KEY[order_by] + direction
    leading = next((f for f in _NAME_ORDER_FILTERS[kind] if getattr(flt, f) is not None), None)
    if leading is None:
        return _NAMED + _ORDER + "n.name" + direction
    return _NAMED + _ORDER + _NAME_ORDER_KEY[leading] + direction + ", n.name" + direction


def check_page(first: int, offset: int) -> None:
    """Raise ``BadArgumentError`` for a page size outside 0..500 or a negative offset."""
    if not 0 <= first <= MAX_PAGE:
        raise BadArgumentError(f"first must be between 0 and {MAX_PAGE}, got {first}")
    if offset < 0:
        raise BadArgumentError(f"offset must not be negative, got {offset}")


async def list_entities(
    driver: AsyncDriver,
    database: str,
    kind: Kind,
    flt: ListFilter,
    *,
    order_by: OrderBy = OrderBy.NAME,
    descending: bool = False,
    first: int = 50,
    offset: int = 0,
    scope: Scope,
    lookahead: bool = False,
) -> list[Record]:
    """One page of ``kind`` in ``scope`` matching ``flt``, sorted by ``order_by`` (then id);
    with ``lookahead``, one record more when there is one (whether a next page exists)."""
    check_page(first, offset)
    statement, params, whole_label = _matching(kind, flt, scope)
    statement += _order(kind, flt, order_by, descending, whole_label) + _LIST_PAGE
    statement += PROJECTED[kind] + " AS n"
    records, _, _ = await driver.execute_query(
        statement,
        params,
        first=first + 1 if lookahead else first,
        offset=offset,
        database_=database,
        routing_="r",
    )
    return [to_record(r["n"]) for r in records]


async def count_entities(
    driver: AsyncDriver, database: str, kind: Kind, flt: ListFilter, scope: Scope
) -> int:
    """How many ``kind`` in ``scope`` match ``flt``."""
    statement, params, _ = _matching(kind, flt, scope)
    records, _, _ = await driver.execute_query(
        statement + _COUNT, params, database_=database, routing_="r"
    )
    return int(records[0]["total"])


# --- search -----------------------------------------------------------------------------------

# Chinese full-text search over names (and skill aliases) of every entity kind (entity_names),
# in the scope (a scoped search reads more hits, most of the city lying outside it).
SEARCH: Final = (
    """
CALL db.index.fulltext.queryNodes('entity_names', $text,
  {limit: CASE WHEN $scope_region IS NULL THEN $limit * 3 ELSE $limit * 50 END})
YIELD node AS n, score
WHERE NOT n:Retired AND (size($kinds) = 0 OR any(k IN $kinds WHERE k IN labels(n)))
  AND """
    + IN_SCOPE
    + """
RETURN n {"""
    + _ANY_FIELDS
    + """, labels: labels(n)} AS node, score
ORDER BY score DESC, node.id
LIMIT $limit
"""
)

_LUCENE_SPECIAL: Final = frozenset('+-&|!(){}[]^"~*?:\\/')


MAX_SEARCH_CHARS: Final = 200


def lucene_text(text: str) -> str:
    """User text as a Lucene query of plain terms: operators escaped, never interpreted."""
    escaped = "".join(f"\\{c}" if c in _LUCENE_SPECIAL else c for c in text.strip())
    # AND/OR/NOT are Lucene keywords only in upper case.
    return " ".join(w.lower() if w in {"AND", "OR", "NOT"} else w for w in escaped.split())


@dataclass(frozen=True, slots=True)
class SearchHit:
    record: Record | RegionRecord
    score: float


async def search(
    driver: AsyncDriver,
    database: str,
    text: str,
    *,
    kinds: list[Kind],
    limit: int = 20,
    scope: Scope,
) -> list[SearchHit]:
    """Entities in ``scope`` whose name (or skill alias) matches ``text``, best first.

    Raises ``BadArgumentError`` for empty text, text over ``MAX_SEARCH_CHARS`` or a limit
    outside 1..100.
    """
    query = lucene_text(text)
    if not query:
        raise BadArgumentError("search text must not be empty")
    # Each CJK character pair is a Lucene clause: long text overflows Lucene's clause limit.
    if len(text) > MAX_SEARCH_CHARS:
        raise BadArgumentError(
            f"search text must be at most {MAX_SEARCH_CHARS} characters, got {len(text)}"
        )
    if not 1 <= limit <= 100:
        raise BadArgumentError(f"limit must be between 1 and 100, got {limit}")
    records, _, _ = await driver.execute_query(
        SEARCH,
        text=query,
        kinds=[k.value for k in kinds],
        limit=limit,
        **scope.params(),
        database_=database,
        routing_="r",
    )
    return [SearchHit(to_record(r["node"]), r["score"]) for r in records]
