"""DataLoaders, built per request: one database round trip per kind of fetch per level.

``nodes_by_kind_and_id`` batches entity lookups by kind; ``pages_by_tie_and_id`` batches the
neighbours of many nodes through one tie (with the same page window) into one query, and
reads the ties their selection asks for below them in the same query (``Ahead``): their pages
are primed into the loader, so the resolvers below find them without a round trip.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from neo4j import AsyncDriver
from strawberry.dataloader import DataLoader

from queries.entities import (
    EMPTY_PAGE,
    Ahead,
    Kind,
    Page,
    Record,
    Tie,
    nodes_by_id,
    related,
)
from queries.scope import Scope

NodeKey = tuple[Kind | None, str]  # None: any unit
TieKey = tuple[Tie, str, int, int, tuple[Ahead, ...]]  # tie, node id, first, offset, ahead


@dataclass
class Loaders:
    nodes_by_kind_and_id: DataLoader[NodeKey, Record | None]
    pages_by_tie_and_id: DataLoader[TieKey, Page]


def build_loaders(driver: AsyncDriver, database: str, scope: Scope) -> Loaders:
    """Fresh loaders for one request and its caller's scope (their caches must not outlive
    it: a cached answer of one caller is never another's)."""

    async def load_nodes(keys: Sequence[NodeKey]) -> list[Record | None]:
        by_kind: dict[Kind | None, list[str]] = defaultdict(list)
        for kind, ident in keys:
            by_kind[kind].append(ident)
        found: dict[NodeKey, Record] = {}
        for kind, ids in by_kind.items():
            for ident, record in (await nodes_by_id(driver, database, kind, ids, scope)).items():
                found[(kind, ident)] = record
        return [found.get(key) for key in keys]

    async def load_pages(keys: Sequence[TieKey]) -> list[Page]:
        groups: dict[tuple[Tie, int, int, tuple[Ahead, ...]], list[str]] = defaultdict(list)
        for tie, ident, first, offset, ahead in keys:
            groups[(tie, first, offset, ahead)].append(ident)
        pages: dict[TieKey, Page] = {}
        for (tie, first, offset, ahead), ids in groups.items():
            found = await related(
                driver, database, tie, ids, first=first, offset=offset, scope=scope, ahead=ahead
            )
            for ident, page in found.items():
                pages[(tie, ident, first, offset, ahead)] = page
                prime(page, ahead)
        return [pages.get(key, EMPTY_PAGE) for key in keys]

    def prime(page: Page, ahead: tuple[Ahead, ...]) -> None:
        for item in page.items:
            for child, below in zip(ahead, item.ahead, strict=True):
                key = (child.tie, item.record.id, child.first, child.offset, child.ahead)
                pages_loader.prime(key, below)
                prime(below, child.ahead)

    pages_loader = DataLoader(load_fn=load_pages)
    return Loaders(
        nodes_by_kind_and_id=DataLoader(load_fn=load_nodes),
        pages_by_tie_and_id=pages_loader,
    )
