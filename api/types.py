"""GraphQL types of the entities and their ties · 实体及其关系的 GraphQL 类型.

Each type maps a ``queries.entities`` record field for field; ties are fields resolved
through the per-request DataLoaders, which batch a level's nodes into one query and read the
ties selected below them in the same query (up to 3 ties deep), so a nested selection costs
one round trip per 3 levels, not one per level.
Lists are cursor-paginated connections (``first`` ≤ 500, ``after``) with ``totalCount``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime
from typing import Annotated, Any, Final, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from api.context import Context
from api.errors import bad_input
from api.phones import unmasked_phone
from queries.entities import (
    MAX_PAGE,
    TIE_STEPS,
    AgreementRecord,
    Ahead,
    DemandRecord,
    Kind,
    Linked,
    OrganizationRecord,
    PartyOrgRecord,
    PersonRecord,
    Record,
    RegionRecord,
    ResourceRecord,
    SkillRecord,
    Tie,
)
from queries.errors import BadArgumentError
from queries.pages import decode_cursor, encode_cursor

T = TypeVar("T")
DEFAULT_PAGE = 50


# --- pagination -------------------------------------------------------------------------------


def page_window(first: int | None, after: str | None) -> tuple[int, int]:
    """(first, offset) from connection arguments; raises BAD_USER_INPUT when out of range."""
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE:
        raise bad_input(f"first must be between 0 and {MAX_PAGE}, got {size}")
    return size, decode_cursor(after)


@strawberry.type(description="Where a page ends · 分页信息")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="An item of a page with its cursor · 分页条目")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list · 分页列表")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All items matching, over every page · 总数")
    async def total_count(self) -> int:
        return await self._total()

    @strawberry.field(description="The page's items without cursors · 本页条目")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def connection(
    items: list[T], offset: int, has_next: bool, total: Callable[[], Awaitable[int]]
) -> Connection[T]:
    edges = [Edge(cursor=encode_cursor(offset + i), node=item) for i, item in enumerate(items)]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None),
        _total=total,
    )


def _constant(value: int) -> Callable[[], Awaitable[int]]:
    async def total() -> int:
        return value

    return total


async def _tie_page(
    info: Info[Context, None],
    tie: Tie,
    ident: str,
    first: int | None,
    after: str | None,
    ahead: tuple[Ahead, ...] = (),
) -> tuple[list[Linked], int, int]:
    size, offset = page_window(first, after)
    key = (tie, ident, size, offset, ahead)
    page = await info.context.loaders.pages_by_tie_and_id.load(key)
    return list(page.items), offset, page.total


async def _tie_connection(
    info: Info[Context, None], tie: Tie, ident: str, first: int | None, after: str | None
) -> Connection[object]:
    below = _nodes_of_connection(info.selected_fields[0].selections)
    ahead = _ahead(TIE_STEPS[tie].kind, below)
    items, offset, total = await _tie_page(info, tie, ident, first, after, ahead)
    converted = [to_type(link.record) for link in items]
    return connection(converted, offset, offset + len(items) < total, _constant(total))


async def _one(info: Info[Context, None], tie: Tie, ident: str) -> object | None:
    ahead = _ahead(TIE_STEPS[tie].kind, info.selected_fields[0].selections)
    items, _, _ = await _tie_page(info, tie, ident, 1, None, ahead)
    return to_type(items[0].record) if items else None


# --- reading ahead: a selection's ties in its parent's query ----------------------------------

# The tie fields of each kind's type (GraphQL name → tie, and whether a connection (True) or
# a single neighbour); a selection of them below a tie is read in that tie's query.
TIE_FIELDS: Final[dict[Kind, dict[str, tuple[Tie, bool]]]] = {
    Kind.REGION: {
        "parent": (Tie.REGION_PARENT, False),
        "children": (Tie.REGION_CHILDREN, True),
        "organizations": (Tie.REGION_ORGANIZATIONS, True),
        "partyOrgs": (Tie.REGION_PARTY_ORGS, True),
    },
    Kind.ORGANIZATION: {
        "region": (Tie.PLACED_REGION, False),
        "partyOrgs": (Tie.ORGANIZATION_PARTY_ORGS, True),
        "employedPeople": (Tie.ORGANIZATION_EMPLOYEES, True),
        "resources": (Tie.UNIT_RESOURCES, True),
        "agreements": (Tie.UNIT_AGREEMENTS, True),
    },
    Kind.PARTY_ORG: {
        "region": (Tie.PLACED_REGION, False),
        "parent": (Tie.PARTY_ORG_PARENT, False),
        "children": (Tie.PARTY_ORG_CHILDREN, True),
        "hostOrganization": (Tie.PARTY_ORG_HOST, False),
        "coveredOrganizations": (Tie.PARTY_ORG_COVERED, True),
        "members": (Tie.PARTY_ORG_MEMBERS, True),
        "reportingPeople": (Tie.PARTY_ORG_REPORTING, True),
        "secretary": (Tie.PARTY_ORG_SECRETARY, False),
        "resources": (Tie.UNIT_RESOURCES, True),
        "agreements": (Tie.UNIT_AGREEMENTS, True),
    },
    Kind.PERSON: {
        "partyOrg": (Tie.PERSON_PARTY_ORG, False),
        "employer": (Tie.PERSON_EMPLOYER, False),
        "residence": (Tie.PERSON_RESIDENCE, False),
        "reportsTo": (Tie.PERSON_REPORTS_TO, False),
        "demands": (Tie.PERSON_DEMANDS, True),
    },
}


def _fields(selections: list[Selection]) -> Iterator[SelectedField]:
    """The fields of a selection, fragments' fields included."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _fields(selection.selections)


def _nodes_of_connection(selections: list[Selection]) -> list[Selection]:
    """What a connection's selection asks of its nodes (under `nodes` and `edges.node`)."""
    below: list[Selection] = []
    for f in _fields(selections):
        if f.name == "nodes":
            below += f.selections
        elif f.name == "edges":
            below += [n for e in _fields(f.selections) if e.name == "node" for n in e.selections]
    return below


# How much one statement reads ahead: deeper or wider selections are read in several
# statements (a chain of 11 `parent` ties in one statement took the planner past the database's
# time limit). Each part of a selection gets the same answer from _ahead whether its own
# resolver or its parent's asks, so what a parent primes is what its children look up.
MAX_AHEAD_DEPTH: Final = 3
MAX_AHEAD_TIES: Final = 12


def _size(ahead: tuple[Ahead, ...]) -> tuple[int, int]:
    """(depth, number of ties) of a read-ahead tree."""
    depth, ties = 0, 0
    for a in ahead:
        below_depth, below_ties = _size(a.ahead)
        depth, ties = max(depth, 1 + below_depth), ties + 1 + below_ties
    return depth, ties


def _ahead(kind: Kind | None, selections: list[Selection]) -> tuple[Ahead, ...]:
    """The ties a selection of nodes of ``kind`` asks for, with their windows and, below them,
    theirs; nothing when that is more than one statement should read (its parts then read
    ahead on their own). A window that is out of range is left to its resolver, which
    reports it."""
    ties = TIE_FIELDS.get(kind) if kind is not None else None
    if not ties:
        return ()
    found: dict[Ahead, None] = {}
    for f in _fields(selections):
        if f.name not in ties:
            continue
        tie, paged = ties[f.name]
        below_kind = TIE_STEPS[tie].kind
        if not paged:
            found[Ahead(tie, 1, 0, _ahead(below_kind, f.selections))] = None
            continue
        first, after = f.arguments.get("first"), f.arguments.get("after")
        try:
            size, offset = page_window(None if first is None else int(first), after)
        except (GraphQLError, BadArgumentError, ValueError, TypeError):
            continue
        below = _ahead(below_kind, _nodes_of_connection(f.selections))
        found[Ahead(tie, size, offset, below)] = None
    ahead = tuple(found)
    depth, count = _size(ahead)
    return ahead if depth <= MAX_AHEAD_DEPTH and count <= MAX_AHEAD_TIES else ()


# --- entity types -----------------------------------------------------------------------------


@strawberry.type(name="Region", description="An administrative or grid unit · 区划/网格")
class RegionType:
    id: strawberry.ID
    name: str
    level: str = strawberry.field(description="province … building · 层级")
    level_rank: int | None = strawberry.field(description="0 = province … 7 = building")
    lat: float | None
    lon: float | None
    population: int | None
    households: int | None

    @strawberry.field(description="The region it is part of · 上级区划")
    async def parent(self, info: Info[Context, None]) -> RegionType | None:
        return await _one(info, Tie.REGION_PARENT, self.id)  # type: ignore[return-value]

    @strawberry.field(description="Regions directly below · 下级区划")
    async def children(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[RegionType]:
        return await _tie_connection(info, Tie.REGION_CHILDREN, self.id, first, after)  # type: ignore[return-value]

    @strawberry.field(description="Organizations sitting directly in it · 辖区单位")
    async def organizations(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[OrganizationType]:
        return await _tie_connection(info, Tie.REGION_ORGANIZATIONS, self.id, first, after)  # type: ignore[return-value]

    @strawberry.field(description="Party organisations sitting directly in it · 辖区党组织")
    async def party_orgs(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[PartyOrgType]:
        return await _tie_connection(info, Tie.REGION_PARTY_ORGS, self.id, first, after)  # type: ignore[return-value]


@strawberry.type(
    name="Organization",
    description="A non-party unit: agency, enterprise, social organization … · 单位",
)
class OrganizationType:
    id: strawberry.ID
    name: str
    kind: str = strawberry.field(description="organization kind · 类型")
    sector: str = strawberry.field(description="traditional / new_economic / new_social · 领域")
    address: str | None
    lat: float | None
    lon: float | None
    employees: int | None = strawberry.field(description="从业人数")

    @strawberry.field(description="Where it sits · 所在区划")
    async def region(self, info: Info[Context, None]) -> RegionType | None:
        return await _one(info, Tie.PLACED_REGION, self.id)  # type: ignore[return-value]

    @strawberry.field(description="Party organisations set up in or covering it · 覆盖它的党组织")
    async def party_orgs(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[PartyOrgType]:
        return await _tie_connection(info, Tie.ORGANIZATION_PARTY_ORGS, self.id, first, after)  # type: ignore[return-value]

    @strawberry.field(description="People it employs · 从业人员")
    async def employed_people(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[PersonType]:
        return await _tie_connection(info, Tie.ORGANIZATION_EMPLOYEES, self.id, first, after)  # type: ignore[return-value]

    @strawberry.field(description="Resources it owns · 拥有的资源")
    async def resources(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[ResourceType]:
        return await _tie_connection(info, Tie.UNIT_RESOURCES, self.id, first, after)  # type: ignore[return-value]

    @strawberry.field(description="Co-building agreements it is party to · 参与的共建协议")
    async def agreements(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[AgreementType]:
        return await _tie_connection(info, Tie.UNIT_AGREEMENTS, self.id, first, after)  # type: ignore[return-value]


@strawberry.type(name="PartyOrg", description="A party organisation · 党组织")
class PartyOrgType:
    id: strawberry.ID
    name: str
    type: str = strawberry.field(description="committee, branch, temporary … · 类型")
    founded_on: date | None = strawberry.field(description="成立日期")
    valid_to: date | None = strawberry.field(description="撤销日期 (temporary ones end here)")

    @strawberry.field(description="Where it sits · 所在区划")
    async def region(self, info: Info[Context, None]) -> RegionType | None:
        return await _one(info, Tie.PLACED_REGION, self.id)  # type: ignore[return-value]

    @strawberry.field(description="The organisation it reports to · 上级党组织")
    async def parent(self, info: Info[Context, None]) -> PartyOrgType | None:
        return await _one(info, Tie.PARTY_ORG_PARENT, self.id)  # type: ignore[return-value]

    @strawberry.field(description="Organisations reporting to it · 下级党组织")
    async def children(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[PartyOrgType]:
        return await _tie_connection(info, Tie.PARTY_ORG_CHILDREN, self.id, first, after)  # type: ignore[return-value]

    @strawberry.field(description="The organization it is set up in · 依托单位")
    async def host_organization(self, info: Info[Context, None]) -> OrganizationType | None:
        return await _one(info, Tie.PARTY_ORG_HOST, self.id)  # type: ignore[return-value]

    @strawberry.field(description="Further organizations it covers · 覆盖单位")
    async def covered_organizations(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[OrganizationType]:
        return await _tie_connection(info, Tie.PARTY_ORG_COVERED, self.id, first, after)  # type: ignore[return-value]

    @strawberry.field(description="Members whose membership it keeps · 党员")
    async def members(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[PersonType]:
        return await _tie_connection(info, Tie.PARTY_ORG_MEMBERS, self.id, first, after)  # type: ignore[return-value]

    @strawberry.field(description="People reporting to it (双报到) · 报到人员")
    async def reporting_people(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[PersonType]:
        return await _tie_connection(info, Tie.PARTY_ORG_REPORTING, self.id, first, after)  # type: ignore[return-value]

    @strawberry.field(description="Its secretary · 书记")
    async def secretary(self, info: Info[Context, None]) -> PersonType | None:
        return await _one(info, Tie.PARTY_ORG_SECRETARY, self.id)  # type: ignore[return-value]

    @strawberry.field(description="Resources it owns · 拥有的资源")
    async def resources(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[ResourceType]:
        return await _tie_connection(info, Tie.UNIT_RESOURCES, self.id, first, after)  # type: ignore[return-value]

    @strawberry.field(description="Co-building agreements it is party to · 参与的共建协议")
    async def agreements(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[AgreementType]:
        return await _tie_connection(info, Tie.UNIT_AGREEMENTS, self.id, first, after)  # type: ignore[return-value]


@strawberry.type(name="PersonSkill", description="A skill a person holds · 人员技能")
class PersonSkillType:
    skill: SkillType
    level: int = strawberry.field(description="1–5 · 熟练度")
    certified: bool = strawberry.field(description="持证")


@strawberry.type(
    name="Person", description="A party member, resident, volunteer or activist · 人员"
)
class PersonType:
    id: strawberry.ID
    name: str
    is_party_member: bool = strawberry.field(description="是否党员")
    gender: str | None
    birth_year: int | None
    occupation: str | None
    new_employment_group: bool = strawberry.field(description="新就业群体")
    roles: list[str] = strawberry.field(description="书记, 网格员, 志愿者 … (English codes)")
    joined_on: date | None = strawberry.field(description="入党日期")
    phone_masked: strawberry.Private[str | None]

    @strawberry.field(
        description="Mobile number, masked (199****1234) unless `unmasked` is asked by a "
        "caller granted raw phones; every unmasked read is audited · 手机号(默认脱敏)"
    )
    async def phone(self, info: Info[Context, None], unmasked: bool = False) -> str | None:
        if not unmasked:
            return self.phone_masked
        return await unmasked_phone(info, self.id)

    @strawberry.field(description="Where their membership is kept · 所在党组织")
    async def party_org(self, info: Info[Context, None]) -> PartyOrgType | None:
        return await _one(info, Tie.PERSON_PARTY_ORG, self.id)  # type: ignore[return-value]

    @strawberry.field(description="Their employer · 工作单位")
    async def employer(self, info: Info[Context, None]) -> OrganizationType | None:
        return await _one(info, Tie.PERSON_EMPLOYER, self.id)  # type: ignore[return-value]

    @strawberry.field(description="Where they reside · 居住区划")
    async def residence(self, info: Info[Context, None]) -> RegionType | None:
        return await _one(info, Tie.PERSON_RESIDENCE, self.id)  # type: ignore[return-value]

    @strawberry.field(description="The community party organisation they report to · 报到党组织")
    async def reports_to(self, info: Info[Context, None]) -> PartyOrgType | None:
        return await _one(info, Tie.PERSON_REPORTS_TO, self.id)  # type: ignore[return-value]

    @strawberry.field(description="Their skills with level · 技能特长")
    async def skills(self, info: Info[Context, None]) -> list[PersonSkillType]:
        items, _, _ = await _tie_page(info, Tie.PERSON_SKILLS, self.id, MAX_PAGE, None)
        return [
            PersonSkillType(
                skill=to_type(link.record),  # type: ignore[arg-type]
                level=int(link.tie.get("level", 3)),
                certified=bool(link.tie.get("certified", False)),
            )
            for link in items
        ]

    @strawberry.field(description="Demands assigned to them · 承接的诉求")
    async def demands(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[DemandType]:
        return await _tie_connection(info, Tie.PERSON_DEMANDS, self.id, first, after)  # type: ignore[return-value]


@strawberry.type(name="Skill", description="A speciality in the taxonomy · 技能")
class SkillType:
    id: strawberry.ID
    name: str
    aliases: list[str] = strawberry.field(description="别名")

    @strawberry.field(description="Broader category · 上级类别")
    async def parent(self, info: Info[Context, None]) -> SkillType | None:
        return await _one(info, Tie.SKILL_PARENT, self.id)  # type: ignore[return-value]

    @strawberry.field(description="Narrower skills · 下级技能")
    async def children(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[SkillType]:
        return await _tie_connection(info, Tie.SKILL_CHILDREN, self.id, first, after)  # type: ignore[return-value]

    @strawberry.field(description="People holding it · 持有人员")
    async def holders(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[PersonType]:
        return await _tie_connection(info, Tie.SKILL_HOLDERS, self.id, first, after)  # type: ignore[return-value]


Unit = Annotated[
    OrganizationType | PartyOrgType,
    strawberry.union("Unit", description="An organization or a party organisation · 单位或党组织"),
]


@strawberry.type(name="Resource", description="A governance resource · 治理资源")
class ResourceType:
    id: strawberry.ID
    name: str
    kind: str = strawberry.field(description="venue, fund, service … · 类型")
    shareable: bool = strawberry.field(description="可共享")
    status: str = strawberry.field(description="available / in_use / unavailable · 状态")
    scenarios: list[str] = strawberry.field(description="适用场景")
    capacity: float | None
    capacity_unit: str | None
    available_from: date | None
    available_to: date | None
    lat: float | None
    lon: float | None

    @strawberry.field(description="The unit owning it · 所属单位")
    async def owner(self, info: Info[Context, None]) -> Unit | None:
        return await _one(info, Tie.RESOURCE_OWNER, self.id)  # type: ignore[return-value]

    @strawberry.field(description="Where it sits · 所在区划")
    async def region(self, info: Info[Context, None]) -> RegionType | None:
        return await _one(info, Tie.PLACED_REGION, self.id)  # type: ignore[return-value]


@strawberry.type(name="AgreementParty", description="A party to an agreement · 共建方")
class AgreementPartyType:
    unit: Unit
    lead: bool = strawberry.field(description="牵头方")


@strawberry.type(name="Agreement", description="A co-building agreement · 共建协议")
class AgreementType:
    id: strawberry.ID
    name: str
    kind: str = strawberry.field(description="pairing, alliance, joint_meeting, project · 类型")
    topics: list[str] = strawberry.field(description="共建内容")
    signed_on: date | None
    expires_on: date | None

    @strawberry.field(description="Its parties, the lead marked · 共建方")
    async def parties(self, info: Info[Context, None]) -> list[AgreementPartyType]:
        items, _, _ = await _tie_page(info, Tie.AGREEMENT_PARTIES, self.id, MAX_PAGE, None)
        return [
            AgreementPartyType(
                unit=to_type(link.record),  # type: ignore[arg-type]
                lead=bool(link.tie.get("lead", False)),
            )
            for link in items
        ]


@strawberry.type(name="Demand", description="A residents' request or governance task · 诉求")
class DemandType:
    id: strawberry.ID
    title: str
    status: str = strawberry.field(description="open / assigned / resolved / closed · 状态")
    created_at: datetime | None
    scenario: str | None
    required_resource_kinds: list[str]
    urgency: int | None
    affected_people: int | None
    resolved_at: datetime | None
    rating: int | None
    source: str | None

    @strawberry.field(description="Where it arose · 所在区划")
    async def region(self, info: Info[Context, None]) -> RegionType | None:
        return await _one(info, Tie.PLACED_REGION, self.id)  # type: ignore[return-value]

    @strawberry.field(description="Skills it needs · 所需技能")
    async def required_skills(self, info: Info[Context, None]) -> list[SkillType]:
        items, _, _ = await _tie_page(info, Tie.DEMAND_SKILLS, self.id, MAX_PAGE, None)
        return [to_type(link.record) for link in items]  # type: ignore[misc]

    @strawberry.field(description="People it is assigned to · 承接人")
    async def assignees(self, info: Info[Context, None]) -> list[PersonType]:
        items, _, _ = await _tie_page(info, Tie.DEMAND_ASSIGNEES, self.id, MAX_PAGE, None)
        return [to_type(link.record) for link in items]  # type: ignore[misc]

    @strawberry.field(description="Resources it used · 使用资源")
    async def resources(self, info: Info[Context, None]) -> list[ResourceType]:
        items, _, _ = await _tie_page(info, Tie.DEMAND_RESOURCES, self.id, MAX_PAGE, None)
        return [to_type(link.record) for link in items]  # type: ignore[misc]


# --- records → types ------------------------------------------------------------------------


def to_type(record: Record) -> object:
    """The GraphQL object for a query record (field for field; lists as lists)."""
    # Records are flat (slots, no nested dataclasses), so a shallow read of the fields does
    # what dataclasses.asdict would at a fraction of its cost (it deep-copies every value).
    values: dict[str, Any] = {}
    for name in record.__dataclass_fields__:
        value = getattr(record, name)
        values[name] = list(value) if isinstance(value, tuple) else value
    match record:
        case RegionRecord():
            return RegionType(**values)
        case OrganizationRecord():
            return OrganizationType(**values)
        case PartyOrgRecord():
            return PartyOrgType(**values)
        case PersonRecord():
            return PersonType(**values)
        case SkillRecord():
            return SkillType(**values)
        case ResourceRecord():
            return ResourceType(**values)
        case AgreementRecord():
            return AgreementType(**values)
        case DemandRecord():
            return DemandType(**values)
    raise TypeError(f"no GraphQL type for {type(record).__name__}")
