"""The GraphQL schema (strawberry). Types map ``queries`` results thinly."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from queries.stats import graph_counts


@strawberry.type(description="A label or relationship type with its count · 标签或关系类型及其数量")
class CountType:
    name: str
    count: int


@strawberry.type(description="What the graph holds · 图谱概况")
class GraphStatsType:
    nodes: list[CountType]
    relationships: list[CountType]


@strawberry.type
class Query:
    @strawberry.field(description="Node and relationship counts · 节点与关系数量")
    async def graph_stats(self, info: Info[Context, None]) -> GraphStatsType:
        counts = await graph_counts(info.context.driver, info.context.database)
        return GraphStatsType(
            nodes=[CountType(name=c.name, count=c.count) for c in counts.nodes],
            relationships=[CountType(name=c.name, count=c.count) for c in counts.relationships],
        )


schema = strawberry.Schema(query=Query)
