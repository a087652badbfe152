"""What the explorer page draws · 图谱浏览: neighbourhoods by kind of tie and subgraphs by id.

The query layer's frozen dataclasses are exposed as they are (strawberry types the same
classes), prefixed ``Explore``; merged into the root ``Query`` by ``api.schema``.
"""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from queries import neighbourhood as explore
from queries.entities import Kind
from queries.neighbourhood import ExploreTie

# The same GraphQL enum as api.schema's (this module is imported first; registering twice
# with one name and description yields one type).
strawberry.enum(Kind, name="EntityKind", description="实体类型")
strawberry.enum(
    ExploreTie, name="ExploreTie", description="A kind of tie to expand along · 关系类别"
)
strawberry.type(explore.ExploreNode, name="ExploreNode", description="A node as drawn · 节点")
strawberry.type(explore.ExploreEdge, name="ExploreEdge", description="A stored relationship · 关系")
strawberry.type(
    explore.Neighbourhood,
    name="ExploreNeighbourhood",
    description="Neighbours drawn (at most limit), the ties to them, how many there were · 邻居",
)
strawberry.type(
    explore.Subgraph,
    name="ExploreSubgraph",
    description="Nodes by id and every tie among them · 子图",
)


@strawberry.type
class ExploreQuery:
    @strawberry.field(
        description="Neighbours of nodes through the chosen kinds of tie (all when none), at "
        "most limit ≤ 500, lapsed agreements and party organisations at asOf left out · 邻居展开"
    )
    async def neighbourhood(
        self,
        info: Info[Context, None],
        ids: list[strawberry.ID],
        tie_kinds: list[ExploreTie] | None = None,
        as_of: date | None = None,
        limit: int = 200,
    ) -> explore.Neighbourhood:
        ctx = info.context
        return await explore.neighbourhood(
            ctx.driver,
            ctx.database,
            [str(i) for i in ids],
            tie_kinds,
            as_of=as_of,
            limit=limit,
            scope=ctx.scope,
        )

    @strawberry.field(description="Nodes by id (≤ 500) and every tie among them · 子图")
    async def subgraph(
        self,
        info: Info[Context, None],
        ids: list[strawberry.ID],
        as_of: date | None = None,
    ) -> explore.Subgraph:
        ctx = info.context
        return await explore.subgraph(
            ctx.driver, ctx.database, [str(i) for i in ids], as_of=as_of, scope=ctx.scope
        )
