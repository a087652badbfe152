"""The questions of questions.md as GraphQL fields · 五类问题的 GraphQL 接口.

The query layer's result types are frozen dataclasses; they are exposed as they are
(strawberry types the same classes), each GraphQL name prefixed by its question so the
small reference types of different questions never clash. Their docstrings become the
descriptions.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
from datetime import date
from types import ModuleType
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from api.context import Context
from api.errors import bad_input
from api.types import page_window
from graph.model import OrgKind, RegionLevel, ResourceKind, Sector
from queries import coverage as gaps
from queries import matching, network, pages, scoped
from queries import partners as partner_search
from queries import pathways as paths
from queries.entities import MAX_PAGE

_exposed: set[type] = set()


def expose(module: ModuleType, prefix: str) -> None:
    """Give every public result dataclass and enum of ``module`` a GraphQL type."""
    for name, value in vars(module).items():
        if (
            name.startswith("_")
            or not inspect.isclass(value)
            or value.__module__ != module.__name__
        ):
            continue
        if value in _exposed:
            continue
        doc = inspect.getdoc(value) or name
        description = doc.split("\n\n")[0].replace("\n", " ")
        graphql_name = name if name.startswith(prefix) else f"{prefix}{name}"
        if dataclasses.is_dataclass(value):
            strawberry.type(value, name=graphql_name, description=description)
        elif issubclass(value, enum.Enum):
            strawberry.enum(value, name=graphql_name, description=description)
        else:
            continue
        _exposed.add(value)


strawberry.enum(ResourceKind, name="ResourceKind", description="资源类型 resource kind")
strawberry.enum(RegionLevel, name="RegionLevel", description="区划层级 region level")
strawberry.enum(Sector, name="Sector", description="领域 sector")
strawberry.enum(OrgKind, name="OrgKind", description="单位类型 organization kind")
expose(pages, "Gap")
expose(paths, "Pathway")
expose(partner_search, "Partners")
expose(gaps, "Coverage")
expose(matching, "Matching")
expose(network, "Network")


@strawberry.input(description="What a unit needs · 需求 (scenario tag, skills, resource kinds)")
class NeedInput:
    scenario: str | None = strawberry.field(default=None, description="场景标签")
    skills: list[str] = strawberry.field(
        default_factory=list, description="skill ids, names or aliases · 技能"
    )
    resource_kinds: list[ResourceKind] = strawberry.field(
        default_factory=list, description="资源类型"
    )


def _args(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


@strawberry.type
class QuestionQuery:
    @strawberry.field(
        description="Up to k shortest paths between two units, each explained in Chinese "
        "· 跨单位联结路径"
    )
    async def pathways(
        self,
        info: Info[Context, None],
        from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        to: strawberry.ID,
        k: int = paths.DEFAULT_K,
        max_hops: int = paths.DEFAULT_MAX_HOPS,
        horizontal_only: bool = False,
        as_of: date | None = None,
        tie_kinds: list[paths.TieKind] | None = None,
        include_non_members: bool = False,
    ) -> paths.PathwaysResult:
        return await paths.paths_between(
            info.context.driver,
            info.context.database,
            from_,
            to,
            k=k,
            max_hops=max_hops,
            horizontal_only=horizontal_only,
            as_of=as_of,
            tie_kinds=tie_kinds,
            include_non_members=include_non_members,
            scope=info.context.scope,
        )

    @strawberry.field(
        description="Where the party organisation does not reach, in a region's subtree: every "
        "kind of gap with why and the numbers · 覆盖盲区"
    )
    async def coverage(
        self,
        info: Info[Context, None],
        region_id: strawberry.ID | None = None,
        as_of: date | None = None,
        count_level: RegionLevel = gaps.DEFAULT_COUNT_LEVEL,
        first: Annotated[
            int,
            strawberry.argument(
                description="items of each gap list (≤ 500; every count covers all of them; "
                "the list's own field pages on) · 每类条目数"
            ),
        ] = gaps.REPORT_PAGE,
    ) -> gaps.CoverageReport:
        if not 0 <= first <= MAX_PAGE:
            raise bad_input(f"first must be between 0 and {MAX_PAGE}, got {first}")
        return await scoped.coverage_report(
            info.context.driver,
            info.context.database,
            info.context.scope,
            region_id,
            as_of=as_of,
            count_level=count_level,
            first=first,
        )

    @strawberry.field(
        description="Organizations no active party organisation is set up in or covers, "
        "filtered · 组织覆盖空白"
    )
    async def uncovered_organizations(
        self,
        info: Info[Context, None],
        region_id: strawberry.ID | None = None,
        sector: Sector | None = None,
        kind: OrgKind | None = None,
        min_employees: int | None = None,
        as_of: date | None = None,
        count_level: RegionLevel = gaps.DEFAULT_COUNT_LEVEL,
        first: int | None = None,
        after: str | None = None,
    ) -> gaps.UncoveredOrganizations:
        size, offset = page_window(first, after)
        return await scoped.uncovered_organizations(
            info.context.driver,
            info.context.database,
            info.context.scope,
            region_id=region_id,
            sector=sector,
            kind=kind,
            min_employees=min_employees,
            as_of=as_of,
            count_level=count_level,
            first=size,
            offset=offset,
        )

    @strawberry.field(
        description="Grids, compounds or buildings with no resident member and no party "
        "organisation · 空白网格/楼栋"
    )
    async def blank_areas(
        self,
        info: Info[Context, None],
        level: RegionLevel = RegionLevel.GRID,
        region_id: strawberry.ID | None = None,
        as_of: date | None = None,
        count_level: RegionLevel = gaps.DEFAULT_COUNT_LEVEL,
        first: int | None = None,
        after: str | None = None,
    ) -> gaps.BlankAreas:
        size, offset = page_window(first, after)
        return await scoped.blank_areas(
            info.context.driver,
            info.context.database,
            info.context.scope,
            level=level,
            region_id=region_id,
            as_of=as_of,
            count_level=count_level,
            first=size,
            offset=offset,
        )

    @strawberry.field(
        description="Active party organisations with no parent or an inactive one · 管理归属不清"
    )
    async def unclear_affiliations(
        self,
        info: Info[Context, None],
        region_id: strawberry.ID | None = None,
        as_of: date | None = None,
        count_level: RegionLevel = gaps.DEFAULT_COUNT_LEVEL,
        first: int | None = None,
        after: str | None = None,
    ) -> gaps.UnclearAffiliations:
        size, offset = page_window(first, after)
        return await scoped.gap_list(
            gaps.unclear_affiliations,
            info.context.driver,
            info.context.database,
            info.context.scope,
            region_id=region_id,
            as_of=as_of,
            count_level=count_level,
            first=size,
            offset=offset,
        )

    @strawberry.field(
        description="Active units tied horizontally to at most one other unit · 边缘主体"
    )
    async def marginal_units(
        self,
        info: Info[Context, None],
        region_id: strawberry.ID | None = None,
        as_of: date | None = None,
        count_level: RegionLevel = gaps.DEFAULT_COUNT_LEVEL,
        first: int | None = None,
        after: str | None = None,
    ) -> gaps.MarginalUnits:
        size, offset = page_window(first, after)
        return await scoped.gap_list(
            gaps.marginal_units,
            info.context.driver,
            info.context.database,
            info.context.scope,
            region_id=region_id,
            as_of=as_of,
            count_level=count_level,
            first=size,
            offset=offset,
        )

    @strawberry.field(
        description="Units that should work with a unit, best first, with every score "
        "component and the resources and people behind it · 资源共享伙伴"
    )
    async def partners(
        self,
        info: Info[Context, None],
        unit: strawberry.ID,
        need: NeedInput | None = None,
        radius_km: float = 3.0,
        new_only: bool = False,
        limit: int = 10,
        as_of: date | None = None,
    ) -> partner_search.PartnersResult:
        wanted = (
            partner_search.Need(
                scenario=need.scenario,
                skills=tuple(need.skills),
                resource_kinds=tuple(need.resource_kinds),
            )
            if need is not None
            else None
        )
        return await scoped.find_partners(
            info.context.driver,
            info.context.database,
            info.context.scope,
            unit,
            need=wanted,
            radius_km=radius_km,
            new_only=new_only,
            limit=limit,
            as_of=as_of,
        )

    @strawberry.field(description="People who can take a demand, ranked, with reasons · 匹配")
    async def match_demand(
        self, info: Info[Context, None], demand_id: strawberry.ID, limit: int = 10
    ) -> matching.DemandMatch:
        return await matching.match_demand(
            info.context.driver,
            info.context.database,
            demand_id,
            limit=limit,
            scope=info.context.scope,
        )

    @strawberry.field(
        description="An optimal assignment of a region's open demands, each person taking at "
        "most `capacity`; the demands no one can take and why · 智能派单"
    )
    async def assign_demands(
        self, info: Info[Context, None], region_id: strawberry.ID, capacity: int = 2
    ) -> matching.Assignment:
        return await matching.assign_demands(
            info.context.driver,
            info.context.database,
            region_id,
            capacity=capacity,
            scope=info.context.scope,
        )

    @strawberry.field(
        description="Units ranked by betweenness on the active horizontal network · 关键联结者"
    )
    async def brokers(
        self,
        info: Info[Context, None],
        region_id: strawberry.ID | None = None,
        include_non_members: bool = False,
        view: network.NetworkView = network.NetworkView.FULL,
        as_of: date | None = None,
        limit: int = 10,
    ) -> network.BrokersResult:
        return await network.find_brokers(
            info.context.driver,
            info.context.database,
            **_args(
                region_id=region_id,
                include_non_members=include_non_members,
                view=view,
                as_of=as_of,
                limit=limit,
            ),
            scope=info.context.scope,
        )

    @strawberry.field(description="Communities of units that work together (modularity) · 协作群落")
    async def clusters(
        self,
        info: Info[Context, None],
        region_id: strawberry.ID | None = None,
        include_non_members: bool = False,
        as_of: date | None = None,
        min_size: int = 2,
    ) -> network.ClustersResult:
        return await network.find_clusters(
            info.context.driver,
            info.context.database,
            **_args(
                region_id=region_id,
                include_non_members=include_non_members,
                as_of=as_of,
                min_size=min_size,
            ),
            scope=info.context.scope,
        )

    @strawberry.field(
        description="Horizontal collaboration index per unit and per region · 横向协作指数"
    )
    async def collaboration(
        self,
        info: Info[Context, None],
        region_id: strawberry.ID | None = None,
        level: RegionLevel = RegionLevel.STREET,
        include_non_members: bool = False,
        as_of: date | None = None,
        since: date | None = None,
        limit: int = 100,
    ) -> network.CollaborationResult:
        return await network.collaboration_index(
            info.context.driver,
            info.context.database,
            **_args(
                region_id=region_id,
                level=level,
                include_non_members=include_non_members,
                as_of=as_of,
                since=since,
                limit=limit,
            ),
            scope=info.context.scope,
        )
