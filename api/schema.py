"""The GraphQL schema (strawberry): entities, lists, search, and the questions.

Types map ``queries`` results thinly; expected failures carry codes (``api.errors``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Final

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types import Info

from api.audit import AuditQuery
from api.context import Context
from api.descriptions import describe
from api.errors import CodedErrors, masking, not_found
from api.explore import ExploreQuery
from api.limits import QueryCostLimiter
from api.notices import IngestNotice, LoadWatch
from api.questions import QuestionQuery
from api.types import (
    AgreementType,
    Connection,
    DemandType,
    OrganizationType,
    PartyOrgType,
    PersonType,
    RegionType,
    ResourceType,
    SkillType,
    Unit,
    connection,
    page_window,
    to_type,
)
from cobuild.settings import Settings, get_settings
from queries import entities
from queries.entities import Kind, ListFilter, OrderBy
from queries.stats import graph_counts


@strawberry.type(description="A label or relationship type with its count · 标签或关系类型及其数量")
class CountType:
    name: str
    count: int


@strawberry.type(description="What the graph holds · 图谱概况")
class GraphStatsType:
    nodes: list[CountType]
    relationships: list[CountType]


# Registers the query layer's enums with GraphQL names (strawberry annotates the classes).
strawberry.enum(Kind, name="EntityKind", description="实体类型")
strawberry.enum(OrderBy, name="SortBy", description="排序字段")

Entity = Annotated[
    RegionType
    | OrganizationType
    | PartyOrgType
    | PersonType
    | SkillType
    | ResourceType
    | AgreementType
    | DemandType,
    strawberry.union("Entity", description="Any entity of the graph · 任一实体"),
]


@strawberry.type(name="SearchHit", description="A full-text search result · 检索结果")
class SearchHitType:
    score: float
    entity: Entity


@strawberry.input(description="Filters of a list; each applies where the property exists · 筛选")
class ListFilterInput:
    region_id: strawberry.ID | None = strawberry.field(
        default=None, description="that region's subtree · 区划(含下级)"
    )
    kind: str | None = strawberry.field(default=None, description="类型")
    sector: str | None = strawberry.field(default=None, description="领域")
    type: str | None = strawberry.field(default=None, description="党组织类型")
    status: str | None = strawberry.field(default=None, description="状态")
    level: str | None = strawberry.field(default=None, description="区划层级")
    scenario: str | None = strawberry.field(default=None, description="场景标签")
    skill_id: strawberry.ID | None = strawberry.field(default=None, description="技能")
    is_party_member: bool | None = strawberry.field(default=None, description="是否党员")
    active_on: date | None = strawberry.field(
        default=None, description="only what is active on this date · 有效日期"
    )
    min_employees: int | None = strawberry.field(default=None, description="最少从业人数")

    def to_filter(self) -> ListFilter:
        return ListFilter(
            region_id=self.region_id,
            kind=self.kind,
            sector=self.sector,
            type=self.type,
            status=self.status,
            level=self.level,
            scenario=self.scenario,
            skill_id=self.skill_id,
            is_party_member=self.is_party_member,
            active_on=self.active_on,
            min_employees=self.min_employees,
        )


async def _by_id(info: Info[Context, None], kind: Kind | None, ident: str, what: str) -> object:
    record = await info.context.loaders.nodes_by_kind_and_id.load((kind, ident))
    if record is None:
        raise not_found(what, ident)
    return to_type(record)


async def _list(
    info: Info[Context, None],
    kind: Kind,
    where: ListFilterInput | None,
    first: int | None,
    after: str | None,
    order_by: OrderBy,
    descending: bool,
) -> Connection[object]:
    size, offset = page_window(first, after)
    flt = (where or ListFilterInput()).to_filter()
    ctx = info.context
    # One more than asked tells whether a next page exists without counting.
    records = await entities.list_entities(
        ctx.driver,
        ctx.database,
        kind,
        flt,
        order_by=order_by,
        descending=descending,
        first=size,
        offset=offset,
        scope=ctx.scope,
        lookahead=True,
    )

    async def total() -> int:
        return await entities.count_entities(ctx.driver, ctx.database, kind, flt, ctx.scope)

    items = [to_type(r) for r in records[:size]]
    return connection(items, offset, len(records) > size, total)


_LIST_ARGS = "first ≤ 500 (default 50), after = a cursor; sorted by orderBy then id"


@strawberry.type
class Query:
    @strawberry.field(
        description="Node and relationship counts; under a region scope, the entities of "
        "each kind in it (no relationship counts) · 节点与关系数量"
    )
    async def graph_stats(self, info: Info[Context, None]) -> GraphStatsType:
        counts = await graph_counts(info.context.driver, info.context.database, info.context.scope)
        return GraphStatsType(
            nodes=[CountType(name=c.name, count=c.count) for c in counts.nodes],
            relationships=[CountType(name=c.name, count=c.count) for c in counts.relationships],
        )

    # --- one entity by id (NOT_FOUND when unknown) ----------------------------------------
    @strawberry.field(description="A region by id · 区划")
    async def region(self, info: Info[Context, None], id: strawberry.ID) -> RegionType:  # noqa: A002
        return await _by_id(info, Kind.REGION, id, "region")  # type: ignore[return-value]

    @strawberry.field(description="An organization by id · 单位")
    async def organization(
        self,
        info: Info[Context, None],
        id: strawberry.ID,  # noqa: A002
    ) -> OrganizationType:
        return await _by_id(info, Kind.ORGANIZATION, id, "organization")  # type: ignore[return-value]

    @strawberry.field(description="A party organisation by id · 党组织")
    async def party_org(self, info: Info[Context, None], id: strawberry.ID) -> PartyOrgType:  # noqa: A002
        return await _by_id(info, Kind.PARTY_ORG, id, "party organisation")  # type: ignore[return-value]

    @strawberry.field(description="An organization or party organisation by id · 单位或党组织")
    async def unit(self, info: Info[Context, None], id: strawberry.ID) -> Unit:  # noqa: A002
        return await _by_id(info, None, id, "unit")  # type: ignore[return-value]

    @strawberry.field(description="A person by id · 人员")
    async def person(self, info: Info[Context, None], id: strawberry.ID) -> PersonType:  # noqa: A002
        return await _by_id(info, Kind.PERSON, id, "person")  # type: ignore[return-value]

    @strawberry.field(description="A skill by id · 技能")
    async def skill(self, info: Info[Context, None], id: strawberry.ID) -> SkillType:  # noqa: A002
        return await _by_id(info, Kind.SKILL, id, "skill")  # type: ignore[return-value]

    @strawberry.field(description="A resource by id · 资源")
    async def resource(self, info: Info[Context, None], id: strawberry.ID) -> ResourceType:  # noqa: A002
        return await _by_id(info, Kind.RESOURCE, id, "resource")  # type: ignore[return-value]

    @strawberry.field(description="An agreement by id · 共建协议")
    async def agreement(self, info: Info[Context, None], id: strawberry.ID) -> AgreementType:  # noqa: A002
        return await _by_id(info, Kind.AGREEMENT, id, "agreement")  # type: ignore[return-value]

    @strawberry.field(description="A demand by id · 诉求")
    async def demand(self, info: Info[Context, None], id: strawberry.ID) -> DemandType:  # noqa: A002
        return await _by_id(info, Kind.DEMAND, id, "demand")  # type: ignore[return-value]

    # --- lists ------------------------------------------------------------------------------
    @strawberry.field(description="Regions · 区划列表 (" + _LIST_ARGS + ")")
    async def regions(
        self,
        info: Info[Context, None],
        where: ListFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: OrderBy = OrderBy.NAME,
        descending: bool = False,
    ) -> Connection[RegionType]:
        return await _list(info, Kind.REGION, where, first, after, order_by, descending)  # type: ignore[return-value]

    @strawberry.field(description="Organizations · 单位列表 (" + _LIST_ARGS + ")")
    async def organizations(
        self,
        info: Info[Context, None],
        where: ListFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: OrderBy = OrderBy.NAME,
        descending: bool = False,
    ) -> Connection[OrganizationType]:
        return await _list(info, Kind.ORGANIZATION, where, first, after, order_by, descending)  # type: ignore[return-value]

    @strawberry.field(description="Party organisations · 党组织列表 (" + _LIST_ARGS + ")")
    async def party_orgs(
        self,
        info: Info[Context, None],
        where: ListFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: OrderBy = OrderBy.NAME,
        descending: bool = False,
    ) -> Connection[PartyOrgType]:
        return await _list(info, Kind.PARTY_ORG, where, first, after, order_by, descending)  # type: ignore[return-value]

    @strawberry.field(description="People · 人员列表 (" + _LIST_ARGS + ")")
    async def people(
        self,
        info: Info[Context, None],
        where: ListFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: OrderBy = OrderBy.NAME,
        descending: bool = False,
    ) -> Connection[PersonType]:
        return await _list(info, Kind.PERSON, where, first, after, order_by, descending)  # type: ignore[return-value]

    @strawberry.field(description="Skills · 技能列表 (" + _LIST_ARGS + ")")
    async def skills(
        self,
        info: Info[Context, None],
        where: ListFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: OrderBy = OrderBy.NAME,
        descending: bool = False,
    ) -> Connection[SkillType]:
        return await _list(info, Kind.SKILL, where, first, after, order_by, descending)  # type: ignore[return-value]

    @strawberry.field(description="Resources · 资源列表 (" + _LIST_ARGS + ")")
    async def resources(
        self,
        info: Info[Context, None],
        where: ListFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: OrderBy = OrderBy.NAME,
        descending: bool = False,
    ) -> Connection[ResourceType]:
        return await _list(info, Kind.RESOURCE, where, first, after, order_by, descending)  # type: ignore[return-value]

    @strawberry.field(description="Agreements · 共建协议列表 (" + _LIST_ARGS + ")")
    async def agreements(
        self,
        info: Info[Context, None],
        where: ListFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: OrderBy = OrderBy.NAME,
        descending: bool = False,
    ) -> Connection[AgreementType]:
        return await _list(info, Kind.AGREEMENT, where, first, after, order_by, descending)  # type: ignore[return-value]

    @strawberry.field(description="Demands · 诉求列表 (" + _LIST_ARGS + ")")
    async def demands(
        self,
        info: Info[Context, None],
        where: ListFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: OrderBy = OrderBy.CREATED,
        descending: bool = True,
    ) -> Connection[DemandType]:
        return await _list(info, Kind.DEMAND, where, first, after, order_by, descending)  # type: ignore[return-value]

    # --- search -----------------------------------------------------------------------------
    @strawberry.field(
        description="Chinese full-text search over names of units, people, resources, "
        "skills and regions · 全文检索"
    )
    async def search(
        self,
        info: Info[Context, None],
        text: str,
        kinds: list[Kind] | None = None,
        limit: int = 20,
    ) -> list[SearchHitType]:
        hits = await entities.search(
            info.context.driver,
            info.context.database,
            text,
            kinds=kinds or [],
            limit=limit,
            scope=info.context.scope,
        )
        return [SearchHitType(score=h.score, entity=to_type(h.record)) for h in hits]  # type: ignore[arg-type]


RootQuery = merge_types("Query", (Query, QuestionQuery, ExploreQuery, AuditQuery))


def limits(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Refuse documents too deep, with too many aliases or tokens, or too costly, before they
    execute."""
    depth, aliases = settings.graphql_max_depth, settings.graphql_max_aliases
    tokens, cost = settings.graphql_max_tokens, settings.graphql_max_cost
    # strawberry's depth and alias limiters are validation rules, each a class made when the
    # limiter is made: made once here, so that the validation cache sees the same rules on
    # every request (a per-request limiter would make every request a cache miss).
    rules = [
        *QueryDepthLimiter(max_depth=depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=aliases).validation_rules,
    ]
    return [
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=tokens),
        lambda: QueryCostLimiter(max_cost=cost),
    ]


# Documents whose parse and validation are kept (LRU): machine clients send the same few
# documents again and again, and validating one cost more than answering it (bench.profile,
# docs/benchmarks.md). Bounded, so that a stream of distinct documents cannot grow memory.
DOCUMENT_CACHE_SIZE: Final = 512


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with ``settings``' limits (each app is built with its own settings), every
    type and field described in English and Chinese."""
    caches: list[Callable[[], SchemaExtension]] = [
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
    ]
    watch = LoadWatch()
    built = strawberry.Schema(
        query=RootQuery,
        extensions=[
            *limits(settings),
            *caches,
            masking,
            CodedErrors,
            lambda: IngestNotice(watch),
        ],
    )
    describe(built._schema)
    return built


# With the environment's settings: for exporting the SDL and for tools.
schema = build_schema(get_settings())
