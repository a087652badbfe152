"""The graph's vocabulary: node labels, relationship types and the enumerations they carry.

Every table of the data contract becomes nodes of one label (``resource_usages`` becomes
``USED`` relationships); every reference column becomes a relationship. ``docs/model.md``
draws the same model and maps each contract column to where it lands.

Organizations and party organisations both carry ``Unit`` so that "a unit by id" is one
index lookup. Every node and relationship written by ingest carries ``run_id`` (the
ingest run that last wrote it); ``retired_run``/``retired_on`` mark what a ``--sync`` load
found absent.
"""

from __future__ import annotations

import enum
from typing import Final

# How stale an API process's knowledge of running batched loads may be (it looks at the run
# records at most this often, api.notices); a batched run waits this long after announcing
# itself before its first write, so that every answer that may show it part-written says so.
BATCHED_NOTICE_S: Final = 1.0


class Label(enum.StrEnum):
    REGION = "Region"
    ORGANIZATION = "Organization"
    PARTY_ORG = "PartyOrg"
    UNIT = "Unit"  # Organization or PartyOrg
    PERSON = "Person"
    SKILL = "Skill"
    RESOURCE = "Resource"
    AGREEMENT = "Agreement"
    DEMAND = "Demand"
    INGEST_RUN = "IngestRun"
    MIGRATION = "SchemaMigration"
    API_KEY = "ApiKey"
    AUDIT_EVENT = "AuditEvent"  # one unmasked read of personal data (graph.audit)


class Rel(enum.StrEnum):
    """Relationship types; the direction is the one written below."""

    PART_OF = "PART_OF"  # (Region)->(Region): parent region
    IN_REGION = "IN_REGION"  # (Organization|PartyOrg|Resource|Demand)->(Region)
    SUBORDINATE_TO = "SUBORDINATE_TO"  # (PartyOrg)->(PartyOrg): 管理归属 parent
    SET_UP_IN = "SET_UP_IN"  # (PartyOrg)->(Organization): host_org_id, 单独组建
    COVERS = "COVERS"  # (PartyOrg)->(Organization): covers_org_ids, 联合/区域/行业
    SECRETARY_OF = "SECRETARY_OF"  # (Person)->(PartyOrg)
    MEMBER_OF = "MEMBER_OF"  # (Person)->(PartyOrg): where membership is kept
    EMPLOYED_BY = "EMPLOYED_BY"  # (Person)->(Organization)
    RESIDES_IN = "RESIDES_IN"  # (Person)->(Region)
    REPORTS_TO = "REPORTS_TO"  # (Person)->(PartyOrg): 双报到
    HAS_SKILL = "HAS_SKILL"  # (Person)->(Skill) {level, certified}
    SUBCATEGORY_OF = "SUBCATEGORY_OF"  # (Skill)->(Skill): parent category
    OWNED_BY = "OWNED_BY"  # (Resource)->(Unit)
    PARTY_TO = "PARTY_TO"  # (Unit)->(Agreement) {lead}
    REQUIRES_SKILL = "REQUIRES_SKILL"  # (Demand)->(Skill)
    ASSIGNED_TO = "ASSIGNED_TO"  # (Demand)->(Person)
    USES_RESOURCE = "USES_RESOURCE"  # (Demand)->(Resource): resource_ids of a demand
    USED = "USED"  # (Organization|PartyOrg|Demand)->(Resource) {id, used_on, effect_rating}


class RegionLevel(enum.StrEnum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"
    COMPOUND = "compound"
    BUILDING = "building"

    @property
    def rank(self) -> int:
        """0 for province … 7 for building: a parent's rank is strictly smaller."""
        return list(RegionLevel).index(self)


class OrgKind(enum.StrEnum):
    AGENCY = "agency"
    PUBLIC_INSTITUTION = "public_institution"
    STATE_OWNED = "state_owned"
    PRIVATE_ENTERPRISE = "private_enterprise"
    SOCIAL_ORGANIZATION = "social_organization"
    PLATFORM_COMPANY = "platform_company"
    RESIDENTS_COMMITTEE = "residents_committee"
    PROPERTY_MANAGEMENT = "property_management"
    SCHOOL = "school"
    HOSPITAL = "hospital"
    OTHER = "other"


class Sector(enum.StrEnum):
    TRADITIONAL = "traditional"
    NEW_ECONOMIC = "new_economic"
    NEW_SOCIAL = "new_social"


class PartyOrgType(enum.StrEnum):
    COMMITTEE = "committee"
    WORKING_COMMITTEE = "working_committee"
    GENERAL_BRANCH = "general_branch"
    BRANCH = "branch"
    JOINT_BRANCH = "joint_branch"
    FUNCTIONAL = "functional"
    TEMPORARY = "temporary"


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


class PersonRole(enum.StrEnum):
    SECRETARY = "secretary"
    COMMITTEE_MEMBER = "committee_member"
    GRID_WORKER = "grid_worker"
    BUILDING_LEADER = "building_leader"
    VOLUNTEER = "volunteer"
    PARTY_WORKER = "party_worker"
    ACTIVIST = "activist"


class ResourceKind(enum.StrEnum):
    VENUE = "venue"
    FUND = "fund"
    EQUIPMENT = "equipment"
    SERVICE = "service"
    VOLUNTEER_TEAM = "volunteer_team"
    EXPERTISE = "expertise"
    DATA = "data"
    OTHER = "other"


class ResourceStatus(enum.StrEnum):
    AVAILABLE = "available"
    IN_USE = "in_use"
    UNAVAILABLE = "unavailable"


class AgreementKind(enum.StrEnum):
    PAIRING = "pairing"
    ALLIANCE = "alliance"
    JOINT_MEETING = "joint_meeting"
    PROJECT = "project"


class DemandStatus(enum.StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    CLOSED = "closed"


class DemandSource(enum.StrEnum):
    RESIDENT = "resident"
    HOTLINE = "hotline"
    GRID_REPORT = "grid_report"
    PLATFORM = "platform"


class Role(enum.StrEnum):
    """Who a caller is, as API keys and tokens state it (docs/security.md)."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"  # scoped to a region subtree
    ANALYST = "analyst"  # read-only, personal data masked
    SYSTEM = "system"  # machine client, read-only, scoped


# Occupations that put a person in the new employment group (新就业群体) whatever the flag says.
NEW_EMPLOYMENT_OCCUPATIONS: frozenset[str] = frozenset(
    {"外卖骑手", "快递员", "网约车司机", "货车司机", "网络主播"}
)

# Labels whose nodes carry a contract ``id``, each with its own uniqueness constraint.
ID_LABELS: tuple[Label, ...] = (
    Label.REGION,
    Label.ORGANIZATION,
    Label.PARTY_ORG,
    Label.UNIT,
    Label.PERSON,
    Label.SKILL,
    Label.RESOURCE,
    Label.AGREEMENT,
    Label.DEMAND,
    Label.INGEST_RUN,
)
