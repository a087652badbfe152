"""Network measures for analysts (questions.md §5): brokers, clusters, collaboration index.

**The active horizontal network** at ``as_of``: active units (organizations; party
organisations not past ``valid_to``), party-member people (every person with
``include_non_members``), active agreements and active resources, joined by the horizontal
ties of §1 — unit — agreement it is party to; person — party organisation they are a member
of, organization employing them, party organisation they report to (双报到); resource —
unit owning it, and — unit that used it (any recorded usage). Retired nodes and retired
``USED`` relationships take no part.

**Region filter.** With ``region_id`` the network is the one *of that region's units* (the
region and everything below it): its units, and the people, agreements and resources tied
to them, with the ties to units outside the region left out. Without it, the whole graph.

**Unit projection.** Two units are adjacent when they share an intermediary (an agreement, a
person or a resource); the edge weight is the number of intermediaries they share.

The network is fetched with four Cypher reads (units of the region, then the agreements,
people and resources of those units, side by side), each answering one collected record (the
async driver spends about 0.1 ms per record), and measured in a worker thread: betweenness by
a vectorised Brandes (:func:`betweenness`, checked against networkx), communities by
networkx's Louvain. Fetched networks and computed measures are cached in-process, keyed by the
latest completed ingest run, the database and every parameter that shapes them, so an ingest
invalidates them; a database with no completed run (data written by hand) is never cached.

Results are frozen dataclasses: :class:`BrokersResult`, :class:`ClustersResult`,
:class:`CollaborationResult`.
"""

from __future__ import annotations

import asyncio
import enum
import math
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from typing import Any, Final, TypeVar

import networkx as nx
import numpy as np
import numpy.typing as npt
from neo4j import AsyncDriver
from scipy import sparse

from graph.model import RegionLevel
from queries.errors import BadArgumentError, NotFoundError
from queries.partners import UnitKind, UnitRef
from queries.scope import WHOLE_CITY, Scope, scoped_region

# --- Cypher ---------------------------------------------------------------------------------

# §5 cache key: the latest completed ingest run (a handful of IngestRun nodes: label scan).
LATEST_RUN: Final = """
MATCH (r:IngestRun {status: 'completed'})
RETURN r.id AS id ORDER BY r.finished_at DESC LIMIT 1
"""

# §5 the region a measure is filtered to (unique constraint on :Region(id)).
REGION: Final = """
MATCH (r:Region {id: $region_id}) WHERE NOT r:Retired
RETURN r.id AS id, r.name AS name, r.level AS level, r.level_rank AS level_rank
"""

# §5 active units in a region's subtree with the chain of regions above each (unique
# :Region(id), then PART_OF / IN_REGION expansion).
UNITS_IN_REGION: Final = """
MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(r:Region)<-[:IN_REGION]-(u:Unit)
WHERE NOT u:Retired AND (u.valid_to IS NULL OR u.valid_to >= $as_of)
RETURN collect({
  id: u.id, name: u.name, is_party_org: u:PartyOrg,
  chain: [(r)-[:PART_OF*0..]->(x:Region) | x {.id, .name, .level_rank}]
}) AS rows
"""

# §5 every active unit with the chain of regions above it (label scan of :Unit).
UNITS_ALL: Final = """
MATCH (u:Unit)
WHERE NOT u:Retired AND (u.valid_to IS NULL OR u.valid_to >= $as_of)
OPTIONAL MATCH (u)-[:IN_REGION]->(r:Region)
RETURN collect({
  id: u.id, name: u.name, is_party_org: u:PartyOrg,
  chain: CASE WHEN r IS NULL THEN []
              ELSE [(r)-[:PART_OF*0..]->(x:Region) | x {.id, .name, .level_rank}] END
}) AS rows
"""

# §5 the active agreements of the given units, each with all its active parties (unique
# :Unit(id) per id, then PARTY_TO).
AGREEMENTS_OF_UNITS: Final = """
UNWIND $unit_ids AS unit_id
MATCH (:Unit {id: unit_id})-[:PARTY_TO]->(g:Agreement)
WHERE NOT g:Retired AND coalesce(g.signed_on <= $as_of, true)
  AND coalesce(g.expires_on >= $as_of, true)
WITH DISTINCT g
MATCH (g)<-[:PARTY_TO]-(p:Unit)
WHERE NOT p:Retired AND (p.valid_to IS NULL OR p.valid_to >= $as_of)
WITH g, collect(DISTINCT p.id) AS parties
RETURN collect({id: g.id, name: g.name, topics: coalesce(g.topics, []), parties: parties})
  AS rows
"""

# §5 the people linked to the given units (member, employee, 双报到), party members only
# unless $include_non_members, each with all the active units they are linked to (unique
# :Unit(id) per id). No phone property is read.
PEOPLE_OF_UNITS: Final = """
UNWIND $unit_ids AS unit_id
MATCH (:Unit {id: unit_id})<-[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]-(p:Person)
WHERE NOT p:Retired AND ($include_non_members OR coalesce(p.is_party_member, false))
WITH DISTINCT p
MATCH (p)-[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]->(u:Unit)
WHERE NOT u:Retired AND (u.valid_to IS NULL OR u.valid_to >= $as_of)
WITH p, collect(DISTINCT u.id) AS units
RETURN collect({id: p.id, units: units}) AS rows
"""

# §5 the resources the given units own or used, with whether each is active, its active
# owner, its scenarios and its usages by active units (unique :Unit(id) per id).
RESOURCES_OF_UNITS: Final = """
UNWIND $unit_ids AS unit_id
MATCH (u:Unit {id: unit_id})
CALL (u) {
  MATCH (u)<-[:OWNED_BY]-(r:Resource) RETURN r
  UNION
  MATCH (u)-[x:USED]->(r:Resource) WHERE x.retired_run IS NULL RETURN r
}
WITH DISTINCT r WHERE NOT r:Retired
OPTIONAL MATCH (r)-[:OWNED_BY]->(o:Unit)
WHERE NOT o:Retired AND (o.valid_to IS NULL OR o.valid_to >= $as_of)
RETURN collect({
  id: r.id, owner: o.id, scenarios: coalesce(r.scenarios, []),
  active: coalesce(r.available_from <= $as_of, true)
          AND coalesce(r.available_to >= $as_of, true),
  usages: [(r)<-[x:USED]-(user:Unit)
           WHERE x.retired_run IS NULL AND NOT user:Retired
             AND (user.valid_to IS NULL OR user.valid_to >= $as_of)
           | {id: x.id, user: user.id, used_on: x.used_on}]
}) AS rows
"""

# --- constants ------------------------------------------------------------------------------

BETWEENNESS_SEED: Final = 20240701  # pivots of sampled betweenness: fixed, so answers repeat
CLUSTER_SEED: Final = 42  # Louvain's node order: fixed, so clusters repeat
# Betweenness costs about 0.2–0.4 µs per source per node-or-edge on the reference 2-core
# machine: while n · (n + m) stays within this budget (~8 s) it is exact, past it that many
# work units' worth of sources are sampled.
EXACT_WORK: Final = 25_000_000
MIN_SAMPLES: Final = 64
MAX_LIMIT: Final = 1000
MAIN_SCENARIOS: Final = 3
CACHE_SIZE: Final = 32
COMPONENT_SIZES_SHOWN: Final = 10


class NetworkView(enum.StrEnum):
    FULL = "full"  # units, people, agreements, resources
    UNITS = "units"  # the unit projection


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegionRef:
    id: str
    name: str
    level: str | None


@dataclass(frozen=True, slots=True)
class Broker:
    rank: int
    unit: UnitRef
    betweenness: float  # raw: Σ over node pairs of the share of shortest paths through it
    normalized: float  # raw ÷ ((n − 1)(n − 2) / 2)
    degree: int  # ties in the view measured


@dataclass(frozen=True, slots=True)
class BrokersResult:
    region: RegionRef | None
    as_of: date
    view: NetworkView
    include_non_members: bool
    nodes: int
    edges: int
    component_sizes: tuple[int, ...]  # the largest first, at most 10
    exact: bool
    samples: int | None  # source nodes sampled when not exact
    brokers: tuple[Broker, ...]


@dataclass(frozen=True, slots=True)
class ScenarioCount:
    scenario: str
    count: int


@dataclass(frozen=True, slots=True)
class Cluster:
    id: int  # 1 = the largest
    size: int
    units: tuple[UnitRef, ...]  # most connected inside the cluster first
    main_scenarios: tuple[ScenarioCount, ...]
    internal_ties: int  # shared intermediaries between two units of the cluster
    external_ties: int  # … between a unit of the cluster and one outside it


@dataclass(frozen=True, slots=True)
class ClustersResult:
    region: RegionRef | None
    as_of: date
    include_non_members: bool
    resolution: float
    seed: int
    modularity: float | None  # None when the projection has no tie at all
    units: int
    clusters: tuple[Cluster, ...]  # size ≥ min_size, largest first
    smaller: int  # units in communities below min_size (isolated units among them)


@dataclass(frozen=True, slots=True)
class UnitCollaboration:
    rank: int
    unit: UnitRef
    region_id: str | None
    agreements: int
    resource_usages: int
    shared_people: int
    index: float  # agreements + resource_usages + shared_people


@dataclass(frozen=True, slots=True)
class RegionCollaboration:
    region: RegionRef | None  # None: the whole graph
    units: int
    agreements: int
    resource_usages: int
    shared_people: int
    agreements_per_unit: float
    usages_per_unit: float
    shared_people_per_unit: float
    index: float  # (agreements + resource_usages + shared_people) / units


@dataclass(frozen=True, slots=True)
class CollaborationResult:
    region: RegionRef | None
    as_of: date
    since: date | None
    include_non_members: bool
    level: RegionLevel
    overall: RegionCollaboration
    regions: tuple[RegionCollaboration, ...]  # at ``level``, highest index first
    total_units: int
    units: tuple[UnitCollaboration, ...]  # highest index first, at most ``limit``


# --- the questions --------------------------------------------------------------------------


async def find_brokers(
    driver: AsyncDriver,
    database: str,
    *,
    region_id: str | None = None,
    include_non_members: bool = False,
    view: NetworkView = NetworkView.FULL,
    as_of: date | None = None,
    limit: int = 10,
    samples: int | None = None,
    scope: Scope = WHOLE_CITY,
) -> BrokersResult:
    """Rank units by betweenness centrality on the active horizontal network.

    Betweenness is the unnormalised undirected betweenness networkx also computes (each
    unordered pair of nodes shares out one unit over its shortest paths), on the full
    network (units, people, agreements, resources) or, with ``view=UNITS``, on the unit
    projection; only units are ranked (ties by id). :func:`betweenness` computes it exactly
    while ``n · (n + m)`` stays within ``EXACT_WORK`` (about 8 s); above that — or when
    ``samples`` is given — it is estimated from that many source nodes drawn with a fixed
    seed and rescaled to the whole, and the result says so. Under a ``scope`` the network
    is the scope's (no region: the scope's own). Raises ``NotFoundError`` for an unknown
    region or one outside the scope, ``BadArgumentError`` for a limit outside 1–1000 or
    samples below 1.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise BadArgumentError(f"limit must be in 1–{MAX_LIMIT}, got {limit!r}")
    if samples is not None and samples < 1:
        raise BadArgumentError(f"samples must be at least 1, got {samples!r}")
    as_of = as_of or date.today()
    region_id = await scoped_region(driver, database, scope, region_id)
    net = await _scope(driver, database, region_id, as_of, include_non_members)
    key = ("brokers", view, samples)
    measured = await _cached(net, key, lambda: _measure_brokers(net.data, view, samples))
    graph_size, components, exact, used, values, degrees = measured
    n = graph_size[0]
    pairs = (n - 1) * (n - 2) / 2
    units = net.data.units
    ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    brokers = tuple(
        Broker(
            rank,
            units[uid].ref,
            value,
            value / pairs if pairs > 0 else 0.0,
            degrees[uid],
        )
        for rank, (uid, value) in enumerate(ranked, start=1)
    )
    return BrokersResult(
        region=net.region,
        as_of=as_of,
        view=view,
        include_non_members=include_non_members,
        nodes=graph_size[0],
        edges=graph_size[1],
        component_sizes=components,
        exact=exact,
        samples=None if exact else used,
        brokers=brokers,
    )


async def find_clusters(
    driver: AsyncDriver,
    database: str,
    *,
    region_id: str | None = None,
    include_non_members: bool = False,
    as_of: date | None = None,
    min_size: int = 2,
    resolution: float = 1.0,
    scope: Scope = WHOLE_CITY,
) -> ClustersResult:
    """Communities of units that work together: Louvain on the weighted unit projection.

    ``networkx.community.louvain_communities`` with ``CLUSTER_SEED`` and ``resolution``
    (higher: smaller communities) maximises modularity; the result reports it. Each cluster
    of at least ``min_size`` units lists its units (by ties inside it), its main scenarios —
    the most frequent tags among the topics of active agreements with two or more parties in
    the cluster and the scenarios of active resources its units own — and its internal and
    external ties. Under a ``scope`` the network is the scope's. Raises ``NotFoundError``
    for an unknown region or one outside the scope, ``BadArgumentError`` for a min_size
    below 1 or a resolution that is not positive.
    """
    if min_size < 1:
        raise BadArgumentError(f"min_size must be at least 1, got {min_size!r}")
    if not (math.isfinite(resolution) and resolution > 0):
        raise BadArgumentError(f"resolution must be positive, got {resolution!r}")
    as_of = as_of or date.today()
    region_id = await scoped_region(driver, database, scope, region_id)
    net = await _scope(driver, database, region_id, as_of, include_non_members)
    key = ("clusters", resolution)
    modularity, communities = await _cached(
        net, key, lambda: _measure_clusters(net.data, resolution)
    )
    # Communities come largest first, so the listed ones keep their numbers.
    clusters = tuple(c for c in communities if c.size >= min_size)
    data = net.data
    return ClustersResult(
        region=net.region,
        as_of=as_of,
        include_non_members=include_non_members,
        resolution=resolution,
        seed=CLUSTER_SEED,
        modularity=modularity,
        units=len(data.units),
        clusters=clusters,
        smaller=sum(c.size for c in communities if c.size < min_size),
    )


async def collaboration_index(
    driver: AsyncDriver,
    database: str,
    *,
    region_id: str | None = None,
    level: RegionLevel | str = RegionLevel.STREET,
    include_non_members: bool = False,
    as_of: date | None = None,
    since: date | None = None,
    limit: int = 100,
    scope: Scope = WHOLE_CITY,
) -> CollaborationResult:
    """The horizontal collaboration index (横向协同指数) per unit and per region.

    Per unit *u*: ``index(u) = A(u) + U(u) + S(u)`` with
    A = active agreements *u* is party to that have another active party,
    U = recorded usages (on or after ``since``) of another active unit's resource by *u*, or
    of *u*'s resource by another active unit,
    S = people (party members unless ``include_non_members``) linked to *u* and to at least
    one other active unit.
    Per region *R* with *N* active units (in it or below it):
    ``index(R) = (A_R + U_R + S_R) / N`` — ties per unit, so regions of different size
    compare — where A_R, U_R, S_R count *distinct* agreements, usages and people with at
    least one of their units in *R* (the other may be anywhere). Regions are those at
    ``level`` inside the filter region (units sitting above that level count only in the
    overall figure); regions with no active unit are not listed.

    Under a ``scope`` the network is the scope's. Raises ``NotFoundError`` for an unknown
    region or one outside the scope, ``BadArgumentError`` for an unknown level, a level not
    below the filter region's, or a limit outside 1–1000.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise BadArgumentError(f"limit must be in 1–{MAX_LIMIT}, got {limit!r}")
    try:
        level = RegionLevel(level)
    except ValueError:
        raise BadArgumentError(f"unknown region level {level!r}") from None
    as_of = as_of or date.today()
    region_id = await scoped_region(driver, database, scope, region_id)
    net = await _scope(driver, database, region_id, as_of, include_non_members)
    if net.region_rank is not None and level.rank <= net.region_rank:
        raise BadArgumentError(f"level {level} is not below the level of region {region_id!r}")
    key = ("collaboration", level, since)
    overall, regions, units = await _cached(
        net, key, lambda: _measure_collaboration(net.data, net.region, level, since)
    )
    return CollaborationResult(
        region=net.region,
        as_of=as_of,
        since=since,
        include_non_members=include_non_members,
        level=level,
        overall=overall,
        regions=regions,
        total_units=len(units),
        units=units[:limit],
    )


# --- fetching and caching -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Unit:
    ref: UnitRef
    chain: tuple[tuple[str, str, int], ...]  # (id, name, level_rank), finest first


@dataclass(frozen=True, slots=True)
class _Agreement:
    id: str
    topics: tuple[str, ...]
    parties: tuple[str, ...]  # every active party, in scope or not


@dataclass(frozen=True, slots=True)
class _Person:
    id: str
    units: tuple[str, ...]  # every active unit linked, in scope or not


@dataclass(frozen=True, slots=True)
class _Usage:
    id: str
    user: str
    used_on: date | None


@dataclass(frozen=True, slots=True)
class _Resource:
    id: str
    owner: str | None  # the active owner unit
    scenarios: tuple[str, ...]
    active: bool
    usages: tuple[_Usage, ...]  # by active units


@dataclass(frozen=True, slots=True)
class _Data:
    units: Mapping[str, _Unit]  # the units in scope
    agreements: tuple[_Agreement, ...]
    people: tuple[_Person, ...]
    resources: tuple[_Resource, ...]


@dataclass(frozen=True, slots=True)
class _Scope:
    key: tuple[Hashable, ...] | None  # None: not cacheable
    region: RegionRef | None
    region_rank: int | None
    data: _Data


_CACHE: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
T = TypeVar("T")


def clear_cache() -> None:
    """Forget every cached network and measure (tests; an ingest already invalidates)."""
    _CACHE.clear()


def _remember(key: tuple[Hashable, ...], value: T) -> T:
    _CACHE[key] = value
    _CACHE.move_to_end(key)
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


async def _cached(scope: _Scope, what: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()`` in a worker thread, remembered under the scope's key when it has one."""
    if scope.key is not None:
        key = (*scope.key, *what)
        if key in _CACHE:
            _CACHE.move_to_end(key)
            hit: T = _CACHE[key]
            return hit
        return _remember(key, await asyncio.to_thread(compute))
    return await asyncio.to_thread(compute)


async def _scope(
    driver: AsyncDriver,
    database: str,
    region_id: str | None,
    as_of: date,
    include_non_members: bool,
) -> _Scope:
    region: RegionRef | None = None
    rank: int | None = None
    if region_id is not None:
        records, _, _ = await driver.execute_query(
            REGION, region_id=region_id, database_=database, routing_="r"
        )
        if not records:
            raise NotFoundError(f"no region with id {region_id!r}")
        r = records[0]
        region, rank = RegionRef(r["id"], r["name"], r["level"]), r["level_rank"]
    runs, _, _ = await driver.execute_query(LATEST_RUN, database_=database, routing_="r")
    key: tuple[Hashable, ...] | None = None
    if runs:
        key = (database, runs[0]["id"], region_id, as_of, include_non_members)
        if key in _CACHE:
            _CACHE.move_to_end(key)
            cached: _Data = _CACHE[key]
            return _Scope(key, region, rank, cached)
    data = await _fetch(driver, database, region_id, as_of, include_non_members)
    if key is not None:
        _remember(key, data)
    return _Scope(key, region, rank, data)


async def _fetch(
    driver: AsyncDriver,
    database: str,
    region_id: str | None,
    as_of: date,
    include_non_members: bool,
) -> _Data:
    if region_id is None:
        records, _, _ = await driver.execute_query(
            UNITS_ALL, as_of=as_of, database_=database, routing_="r"
        )
    else:
        records, _, _ = await driver.execute_query(
            UNITS_IN_REGION, region_id=region_id, as_of=as_of, database_=database, routing_="r"
        )
    units = {
        r["id"]: _Unit(
            UnitRef(
                r["id"],
                r["name"],
                UnitKind.PARTY_ORG if r["is_party_org"] else UnitKind.ORGANIZATION,
            ),
            tuple(
                sorted(
                    ((x["id"], x["name"], int(x["level_rank"] or 0)) for x in r["chain"]),
                    key=lambda x: -x[2],
                )
            ),
        )
        for r in records[0]["rows"]
    }
    ids = sorted(units)
    params: dict[str, Any] = {"unit_ids": ids, "as_of": as_of}
    # Independent reads of the same units: side by side.
    (
        (agreement_records, _, _),
        (people_records, _, _),
        (resource_records, _, _),
    ) = await asyncio.gather(
        driver.execute_query(AGREEMENTS_OF_UNITS, params, database_=database, routing_="r"),
        driver.execute_query(
            PEOPLE_OF_UNITS,
            params,
            include_non_members=include_non_members,
            database_=database,
            routing_="r",
        ),
        driver.execute_query(RESOURCES_OF_UNITS, params, database_=database, routing_="r"),
    )
    agreements = agreement_records[0]["rows"]
    people = people_records[0]["rows"]
    resources = resource_records[0]["rows"]
    return _Data(
        units=dict(sorted(units.items())),
        agreements=tuple(
            sorted(
                (
                    _Agreement(g["id"], tuple(g["topics"]), tuple(sorted(g["parties"])))
                    for g in agreements
                ),
                key=lambda g: g.id,
            )
        ),
        people=tuple(
            sorted(
                (_Person(p["id"], tuple(sorted(p["units"]))) for p in people), key=lambda p: p.id
            )
        ),
        resources=tuple(
            sorted(
                (
                    _Resource(
                        r["id"],
                        r["owner"],
                        tuple(r["scenarios"]),
                        bool(r["active"]),
                        tuple(
                            sorted(
                                (
                                    _Usage(u["id"], u["user"], _date(u["used_on"]))
                                    for u in r["usages"]
                                ),
                                key=lambda u: (u.id, u.user),
                            )
                        ),
                    )
                    for r in resources
                ),
                key=lambda r: r.id,
            )
        ),
    )


def _date(value: object) -> date | None:
    if value is None:
        return None
    to_native = getattr(value, "to_native", None)
    native = to_native() if callable(to_native) else value
    return native if isinstance(native, date) else None


# --- graphs (pure) --------------------------------------------------------------------------


def _unit_node(unit_id: str) -> str:
    return f"U:{unit_id}"


def _full_graph(data: _Data) -> nx.Graph[str]:
    """The horizontal network of the units in scope (isolated units included)."""
    graph: nx.Graph[str] = nx.Graph()
    scope = data.units
    graph.add_nodes_from(_unit_node(u) for u in scope)
    for agreement in data.agreements:
        for party in agreement.parties:
            if party in scope:
                graph.add_edge(_unit_node(party), f"A:{agreement.id}")
    for person in data.people:
        for unit in person.units:
            if unit in scope:
                graph.add_edge(_unit_node(unit), f"P:{person.id}")
    for resource in data.resources:
        if not resource.active:
            continue
        ends = [resource.owner] if resource.owner is not None else []
        ends.extend(u.user for u in resource.usages)
        for unit in sorted(set(ends)):
            if unit in scope:
                graph.add_edge(_unit_node(unit), f"R:{resource.id}")
    return graph


def _projection(graph: nx.Graph[str]) -> nx.Graph[str]:
    """Units adjacent when they share an intermediary; weight = intermediaries shared."""
    projection: nx.Graph[str] = nx.Graph()
    projection.add_nodes_from(n for n in graph if n.startswith("U:"))
    for node in graph:
        if node.startswith("U:"):
            continue
        for a, b in combinations(sorted(graph[node]), 2):
            if projection.has_edge(a, b):
                projection[a][b]["weight"] += 1
            else:
                projection.add_edge(a, b, weight=1)
    return projection


def _component_sizes(graph: nx.Graph[str]) -> tuple[int, ...]:
    sizes = sorted((len(c) for c in nx.connected_components(graph)), reverse=True)
    return tuple(sizes[:COMPONENT_SIZES_SHOWN])


def betweenness(
    adjacency: sparse.csr_array, sources: npt.NDArray[np.int64] | None = None, batch: int = 64
) -> npt.NDArray[np.float64]:
    """Unnormalised betweenness of every node of an undirected, unweighted graph.

    ``adjacency`` is the graph's symmetric 0/1 matrix. This is Brandes' algorithm run for
    ``batch`` sources at once: breadth-first levels and path counts σ grow by one sparse ×
    dense product per level, and dependencies δ flow back level by level the same way, so the
    work is NumPy's rather than the interpreter's (an order of magnitude faster than
    ``networkx.betweenness_centrality`` here). Each unordered pair counts once, as networkx's
    ``normalized=False`` does for undirected graphs. With ``sources`` (a sample of node
    indices) the sum over those sources is scaled by n / len(sources): an unbiased estimate.
    Cost: O(L · nnz) per source for L levels.

    >>> path = sparse.csr_array(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    >>> betweenness(path).tolist()
    [0.0, 1.0, 0.0]
    """
    n = adjacency.shape[0]
    chosen = np.arange(n) if sources is None else np.asarray(sources, dtype=np.int64)
    total = np.zeros(n)
    for start in range(0, len(chosen), batch):
        block = chosen[start : start + batch]
        width = len(block)
        columns = np.arange(width)
        sigma = np.zeros((n, width))
        sigma[block, columns] = 1.0
        dist = np.full((n, width), -1, dtype=np.int32)
        dist[block, columns] = 0
        frontier = sigma.copy()
        level = 0
        while True:
            reached = adjacency @ frontier
            new = (reached > 0) & (dist < 0)
            if not new.any():
                break
            level += 1
            dist[new] = level
            frontier = np.where(new, reached, 0.0)
            sigma += frontier
        delta = np.zeros((n, width))
        for depth in range(level, 0, -1):
            at_depth = dist == depth
            share = np.divide(1.0 + delta, sigma, out=np.zeros_like(delta), where=at_depth)
            pulled = adjacency @ share
            delta += np.where(dist == depth - 1, sigma * pulled, 0.0)
        delta[block, columns] = 0.0  # a source is no intermediary of its own paths
        total += delta.sum(axis=1)
    scale = 0.5 if sources is None else 0.5 * n / max(1, len(chosen))
    return total * scale


def _adjacency(graph: nx.Graph[str], nodes: list[str]) -> sparse.csr_array:
    """The symmetric 0/1 adjacency matrix of ``graph`` in the order of ``nodes`` (any size)."""
    index = {node: i for i, node in enumerate(nodes)}
    pairs = [(index[a], index[b]) for a, b in graph.edges()]
    rows = [i for i, j in pairs] + [j for i, j in pairs]
    cols = [j for i, j in pairs] + [i for i, j in pairs]
    shape = (len(nodes), len(nodes))
    return sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=shape)


def _measure_brokers(
    data: _Data, view: NetworkView, samples: int | None
) -> tuple[tuple[int, int], tuple[int, ...], bool, int, dict[str, float], dict[str, int]]:
    graph = _full_graph(data)
    if view is NetworkView.UNITS:
        graph = _projection(graph)
    n, m = graph.number_of_nodes(), graph.number_of_edges()
    if samples is None:
        affordable = EXACT_WORK // max(1, n + m)
        samples = n if affordable >= n else max(MIN_SAMPLES, affordable)
    exact = samples >= n
    nodes = sorted(graph)
    adjacency = _adjacency(graph, nodes)
    chosen = None
    if not exact:
        rng = np.random.default_rng(BETWEENNESS_SEED)
        chosen = np.sort(rng.choice(n, size=samples, replace=False)).astype(np.int64)
    values = betweenness(adjacency, chosen)
    units = {
        node[2:]: float(value)
        for node, value in zip(nodes, values.tolist(), strict=True)
        if node.startswith("U:")
    }
    degrees = {node[2:]: int(graph.degree(node)) for node in graph if node.startswith("U:")}
    return (n, m), _component_sizes(graph), exact, min(samples, n), units, degrees


def _measure_clusters(data: _Data, resolution: float) -> tuple[float | None, tuple[Cluster, ...]]:
    """Every community (largest first, then by smallest unit id) and the modularity."""
    projection = _projection(_full_graph(data))
    modularity: float | None = None
    if projection.number_of_edges() == 0:
        communities: list[set[str]] = [{node} for node in projection]
    else:
        communities = nx.community.louvain_communities(
            projection, weight="weight", resolution=resolution, seed=CLUSTER_SEED
        )
        modularity = float(
            nx.community.modularity(projection, communities, weight="weight", resolution=resolution)
        )
    ordered = sorted((frozenset(c) for c in communities), key=lambda c: (-len(c), min(c)))
    return modularity, tuple(
        _cluster(number, members, projection, data)
        for number, members in enumerate(ordered, start=1)
    )


def _cluster(
    number: int, members: frozenset[str], projection: nx.Graph[str], data: _Data
) -> Cluster:
    inside: Counter[str] = Counter()
    internal = external = 0
    for node in members:
        for other, attrs in projection[node].items():
            weight = int(attrs["weight"])
            if other in members:
                inside[node] += weight
                internal += weight
            else:
                external += weight
    unit_ids = {node[2:] for node in members}
    tags: Counter[str] = Counter()
    for agreement in data.agreements:
        if sum(p in unit_ids for p in agreement.parties) >= 2:
            tags.update(set(agreement.topics))
    for resource in data.resources:
        if resource.active and resource.owner in unit_ids:
            tags.update(set(resource.scenarios))
    main = sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))[:MAIN_SCENARIOS]
    ordered = sorted(members, key=lambda node: (-inside[node], node))
    return Cluster(
        id=number,
        size=len(members),
        units=tuple(data.units[node[2:]].ref for node in ordered),
        main_scenarios=tuple(ScenarioCount(tag, count) for tag, count in main),
        internal_ties=internal // 2,
        external_ties=external,
    )


def _measure_collaboration(
    data: _Data, region: RegionRef | None, level: RegionLevel, since: date | None
) -> tuple[RegionCollaboration, tuple[RegionCollaboration, ...], tuple[UnitCollaboration, ...]]:
    scope = data.units
    # Every tie as (kind, id) with the units it joins; only ties joining two or more units.
    ties: list[tuple[str, str, frozenset[str]]] = []
    for agreement in data.agreements:
        if len(set(agreement.parties)) >= 2:
            ties.append(("agreement", agreement.id, frozenset(agreement.parties)))
    for resource in data.resources:
        if resource.owner is None:
            continue
        for usage in resource.usages:
            if usage.user == resource.owner:
                continue
            if since is not None and (usage.used_on is None or usage.used_on < since):
                continue
            ties.append(("usage", usage.id, frozenset({usage.user, resource.owner})))
    for person in data.people:
        if len(set(person.units)) >= 2:
            ties.append(("person", person.id, frozenset(person.units)))

    per_unit: dict[str, Counter[str]] = {u: Counter() for u in scope}
    level_of: dict[str, tuple[str, str] | None] = {}
    for uid, unit in scope.items():
        at_level = [(rid, name) for rid, name, rank in unit.chain if rank == level.rank]
        level_of[uid] = at_level[0] if at_level else None
    per_region: dict[tuple[str, str], dict[str, set[str]]] = {}
    region_units: Counter[tuple[str, str]] = Counter(r for r in level_of.values() if r is not None)
    overall: dict[str, set[str]] = {"agreement": set(), "usage": set(), "person": set()}
    for kind, tie_id, units in ties:
        present = [u for u in units if u in scope]
        if not present:
            continue
        overall[kind].add(tie_id)
        for uid in present:
            per_unit[uid][kind] += 1
            place = level_of[uid]
            if place is not None:
                bucket = per_region.setdefault(
                    place, {"agreement": set(), "usage": set(), "person": set()}
                )
                bucket[kind].add(tie_id)

    def row(
        ref: RegionRef | None, n: int, counts: Mapping[str, Iterable[str]]
    ) -> RegionCollaboration:
        a, u, s = (len(set(counts.get(k, ()))) for k in ("agreement", "usage", "person"))
        per = 1.0 / n if n else 0.0
        return RegionCollaboration(ref, n, a, u, s, a * per, u * per, s * per, (a + u + s) * per)

    regions = tuple(
        sorted(
            (
                row(
                    RegionRef(rid, name, str(level)),
                    region_units[(rid, name)],
                    per_region.get((rid, name), {}),
                )
                for rid, name in region_units
            ),
            key=lambda r: (-r.index, r.region.id if r.region else ""),
        )
    )
    unit_rows = sorted(
        ((uid, c["agreement"], c["usage"], c["person"]) for uid, c in per_unit.items()),
        key=lambda t: (-(t[1] + t[2] + t[3]), t[0]),
    )
    unit_ranking = tuple(
        UnitCollaboration(
            rank,
            scope[uid].ref,
            scope[uid].chain[0][0] if scope[uid].chain else None,
            a,
            u,
            s,
            float(a + u + s),
        )
        for rank, (uid, a, u, s) in enumerate(unit_rows, start=1)
    )
    return row(region, len(scope), overall), regions, unit_ranking
