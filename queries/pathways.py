"""Cross-unit pathways (跨单位联结路径): how is unit A connected to unit B, and through whom?

Definition (``questions.md`` §1). The graph walked is undirected, over units (``Organization``,
``PartyOrg``), people, agreements and resources, joined by exactly these ties:

==========  ========================================================  ===================
tie kind    relationship, as stored                                    vertical/horizontal
==========  ========================================================  ===================
hierarchy   ``(PartyOrg)-[:SUBORDINATE_TO]->(PartyOrg)``               vertical (上下级)
hierarchy   ``(PartyOrg)-[:SET_UP_IN|COVERS]->(Organization)``         vertical
agreement   ``(Unit)-[:PARTY_TO]->(Agreement)``, agreement active       horizontal (共建)
membership  ``(Person)-[:MEMBER_OF]->(PartyOrg)``                       horizontal
employment  ``(Person)-[:EMPLOYED_BY]->(Organization)``                 horizontal
reporting   ``(Person)-[:REPORTS_TO]->(PartyOrg)``                      horizontal (双报到)
resource    ``(Resource)-[:OWNED_BY]->(Unit)``, ``(Unit)-[:USED]->(Resource)``,
            resource active                                             horizontal (资源共享)
==========  ========================================================  ===================

Regions, skills and demands are never walked. Inactive agreements, resources and temporary
party organisations are left out, and so are people who are not party members unless
``include_non_members``; retired nodes and retired ``USED`` relationships never count.

A *path* is a sequence of distinct nodes in which consecutive nodes are joined by at least one
allowed tie; its length is the number of hops. Two ties joining the same two nodes (a member
who also reports to their own party organisation, a party organisation both set up in and
covering an organization, an owner that used its own resource) make one hop, listed together
in that step. The answer is the ``k`` shortest paths of at most ``max_hops`` hops, shortest
first; among paths of equal length, fewer vertical steps first, then by the nodes' ids.

How: Neo4j's ``SHORTEST`` path selector over a quantified path pattern whose inline
predicates carry the node and tie filters, so Neo4j prunes while it searches, from the two
units (unique ``Unit.id`` index). Neo4j counts relationship paths that may revisit a node, so it
is asked for more than ``k`` and ``select_paths`` keeps distinct simple node paths (asking again
for more when that cannot be settled); a second query describes the chosen paths' nodes and
every tie between consecutive nodes.

Under a scope (``queries.scope``) both end units must lie in it (otherwise they read as
unknown); a path may run through nodes outside it, which are shown redacted: a unit by its
name only, a person, agreement or resource by a generic name, each with an
``outside-scope-<n>`` id that is stable within the answer (so the steps still join up), and
never a category or membership.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, LiteralString

from neo4j import AsyncDriver

from queries.errors import BadArgumentError, NotFoundError
from queries.scope import IN_SCOPE, PLACED_IN_SCOPE, WHOLE_CITY, Scope

DEFAULT_K: Final = 3
DEFAULT_MAX_HOPS: Final = 6
MAX_K: Final = 20  # bounds the search: more paths than this no longer explain anything
MAX_HOPS_RANGE: Final = range(1, 11)
# Relationship paths asked of Neo4j: the small request serves k ≤ 6 (four per wanted path
# leave room for parallel ties and revisits), the large one larger k and every retry.
_PATHS_SMALL: Final = 24
_PATHS_LARGE: Final = 192


class TieKind(enum.StrEnum):
    """The kinds of tie a caller can allow (questions.md §1)."""

    HIERARCHY = "hierarchy"  # 上下级: SUBORDINATE_TO, SET_UP_IN, COVERS (vertical)
    AGREEMENT = "agreement"  # 共建: PARTY_TO an active agreement
    MEMBERSHIP = "membership"  # MEMBER_OF
    EMPLOYMENT = "employment"  # EMPLOYED_BY
    REPORTING = "reporting"  # 双报到: REPORTS_TO
    RESOURCE = "resource"  # 资源共享: OWNED_BY, USED with an active resource


class NodeKind(enum.StrEnum):
    ORGANIZATION = "organization"
    PARTY_ORG = "party_org"
    PERSON = "person"
    AGREEMENT = "agreement"
    RESOURCE = "resource"


class TieDirection(enum.StrEnum):
    """Which way the stored relationship points, relative to the path's order."""

    FORWARD = "forward"  # stored from nodes[i] to nodes[i + 1]
    BACKWARD = "backward"  # stored from nodes[i + 1] to nodes[i]


# Relationship type → tie kind: the only relationship types the walk may use.
RELATIONSHIP_KINDS: Final[dict[str, TieKind]] = {
    "SUBORDINATE_TO": TieKind.HIERARCHY,
    "SET_UP_IN": TieKind.HIERARCHY,
    "COVERS": TieKind.HIERARCHY,
    "PARTY_TO": TieKind.AGREEMENT,
    "MEMBER_OF": TieKind.MEMBERSHIP,
    "EMPLOYED_BY": TieKind.EMPLOYMENT,
    "REPORTS_TO": TieKind.REPORTING,
    "OWNED_BY": TieKind.RESOURCE,
    "USED": TieKind.RESOURCE,
}
VERTICAL_KINDS: Final = frozenset({TieKind.HIERARCHY})

_NODE_KINDS: Final[dict[str, NodeKind]] = {
    "Organization": NodeKind.ORGANIZATION,
    "PartyOrg": NodeKind.PARTY_ORG,
    "Person": NodeKind.PERSON,
    "Agreement": NodeKind.AGREEMENT,
    "Resource": NodeKind.RESOURCE,
}

# --- Cypher ------------------------------------------------------------------------------------

# §1: the two end units, and whether each takes part at all (active); unique index on Unit.id.
FIND_ENDS: Final = (
    """
UNWIND $ids AS id
MATCH (n:Unit {id: id})
WHERE NOT n:Retired AND """
    + PLACED_IN_SCOPE
    + """
WITH id, n AS u
RETURN u.id AS id,
       CASE WHEN u:PartyOrg THEN 'PartyOrg' ELSE 'Organization' END AS label,
       u.name AS name,
       coalesce(u.type, u.kind) AS category,
       NOT (u:PartyOrg AND u.type = 'temporary' AND coalesce(u.valid_to < $as_of, false)) AS active
"""
)

# §1: the shortest relationship paths from unit A to unit B over the allowed ties. Neo4j 5.26
# takes neither the path count nor the quantifier as a parameter, so each variant is the
# concatenation of the literal fragments below: SHORTEST_PATHS[(paths, max_hops)] =
# _PATHS_MATCH + _PATHS_SELECTOR[paths] + _PATHS_STEP + _PATHS_QUANTIFIER[max_hops] +
# _PATHS_RETURN. Unique index on Unit.id for both ends; the relationship types are a fixed
# literal list narrowed by $types; every node after A must be walkable at $as_of (Region, Skill
# and Demand nodes fall to the ELSE branch).
_PATHS_MATCH: Final = """
MATCH (a:Unit {id: $from_id}), (b:Unit {id: $to_id})
MATCH p = """
_PATHS_SELECTOR: Final[dict[int, LiteralString]] = {
    _PATHS_SMALL: "SHORTEST 24",
    _PATHS_LARGE: "SHORTEST 192",
}
_PATHS_STEP: Final = """ (a)
  ((x)-[r:SUBORDINATE_TO|SET_UP_IN|COVERS|PARTY_TO|MEMBER_OF|EMPLOYED_BY|REPORTS_TO
          |OWNED_BY|USED]-(y)
    WHERE type(r) IN $types
      AND r.retired_run IS NULL
      AND NOT y:Retired
      AND CASE
        WHEN y:Organization THEN true
        WHEN y:PartyOrg THEN y.type <> 'temporary' OR y.valid_to IS NULL OR $as_of <= y.valid_to
        WHEN y:Person THEN y.is_party_member = true OR $include_non_members
        WHEN y:Agreement THEN (y.signed_on IS NULL OR y.signed_on <= $as_of)
                          AND (y.expires_on IS NULL OR $as_of <= y.expires_on)
        WHEN y:Resource THEN (y.available_from IS NULL OR y.available_from <= $as_of)
                         AND (y.available_to IS NULL OR $as_of <= y.available_to)
        ELSE false
      END
  )"""
_PATHS_QUANTIFIER: Final[dict[int, LiteralString]] = {
    1: "{1,1}",
    2: "{1,2}",
    3: "{1,3}",
    4: "{1,4}",
    5: "{1,5}",
    6: "{1,6}",
    7: "{1,7}",
    8: "{1,8}",
    9: "{1,9}",
    10: "{1,10}",
}
_PATHS_RETURN: Final = """ (b)
RETURN collect({
  elements: [n IN nodes(p) | elementId(n)],
  ids: [n IN nodes(p) | n.id],
  types: [t IN relationships(p) | type(t)]
}) AS rows
"""
SHORTEST_PATHS: Final[dict[tuple[int, int], LiteralString]] = {
    (paths, hops): _PATHS_MATCH + selector + _PATHS_STEP + quantifier + _PATHS_RETURN
    for paths, selector in _PATHS_SELECTOR.items()
    for hops, quantifier in _PATHS_QUANTIFIER.items()
}

# §1: what the chosen paths show: their nodes (never a phone) and every allowed tie between
# consecutive nodes, parallel ones included; element-id seeks, then Expand(Into) per pair.
DESCRIBE_PATHS: Final = (
    """
CALL () {
  UNWIND $elements AS element
  MATCH (n) WHERE elementId(n) = element
  RETURN collect({
    element: element,
    id: n.id,
    label: [l IN labels(n)
            WHERE l IN ['Organization', 'PartyOrg', 'Person', 'Agreement', 'Resource']][0],
    name: coalesce(n.name, n.id),
    category: coalesce(n.type, n.kind),
    member: n.is_party_member,
    inside: """
    + IN_SCOPE
    + """
  }) AS nodes
}
CALL () {
  UNWIND $pairs AS pair
  MATCH (s) WHERE elementId(s) = pair[0]
  MATCH (e) WHERE elementId(e) = pair[1]
  MATCH (s)-[t:SUBORDINATE_TO|SET_UP_IN|COVERS|PARTY_TO|MEMBER_OF|EMPLOYED_BY|REPORTS_TO
              |OWNED_BY|USED]-(e)
  WHERE type(t) IN $types AND t.retired_run IS NULL
  RETURN collect(DISTINCT {left: pair[0], right: pair[1], type: type(t),
                           forward: startNode(t) = s}) AS ties
}
RETURN nodes, ties
"""
)


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PathNode:
    """A node on a path. Never carries a phone number (masked or not).

    ``category`` is the organization kind, party organisation type, agreement kind or resource
    kind (``None`` for people); ``is_party_member`` is set for people only.
    """

    id: str
    kind: NodeKind
    name: str
    category: str | None = None
    is_party_member: bool | None = None

    @property
    def is_unit(self) -> bool:
        return self.kind in (NodeKind.ORGANIZATION, NodeKind.PARTY_ORG)


@dataclass(frozen=True, slots=True)
class PathTie:
    """One stored relationship joining two consecutive nodes of a path.

    ``start_id`` → ``end_id`` is the direction as stored; ``direction`` says whether that runs
    along the path (``forward``) or against it.
    """

    kind: TieKind
    relationship: str  # the relationship type as stored, e.g. "MEMBER_OF"
    direction: TieDirection
    start_id: str
    end_id: str

    @property
    def vertical(self) -> bool:
        return self.kind in VERTICAL_KINDS


@dataclass(frozen=True, slots=True)
class PathStep:
    """One hop: every allowed tie joining ``nodes[i]`` and ``nodes[i + 1]`` (at least one)."""

    ties: tuple[PathTie, ...]

    @property
    def vertical(self) -> bool:
        """A step is vertical when its ties are (ties between two nodes never mix)."""
        return all(t.vertical for t in self.ties)

    @property
    def kinds(self) -> tuple[TieKind, ...]:
        return tuple(dict.fromkeys(t.kind for t in self.ties))


@dataclass(frozen=True, slots=True)
class Path:
    """A path: ``steps[i]`` joins ``nodes[i]`` and ``nodes[i + 1]``; ``length`` = ``len(steps)``."""

    nodes: tuple[PathNode, ...]
    steps: tuple[PathStep, ...]
    explanation: str  # one line of Chinese built from the nodes and ties
    # Derived, but stored so that every consumer (the API too) sees it.
    length: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "length", len(self.steps))

    @property
    def vertical_steps(self) -> int:
        return sum(1 for s in self.steps if s.vertical)

    @property
    def horizontal(self) -> bool:
        return self.vertical_steps == 0


@dataclass(frozen=True, slots=True)
class PathwaysResult:
    """The answer: the end units, the options applied, and the paths (empty when none)."""

    from_unit: PathNode
    to_unit: PathNode
    as_of: date
    k: int
    max_hops: int
    tie_kinds: tuple[TieKind, ...]  # the kinds actually walked (after ``horizontal_only``)
    include_non_members: bool
    paths: tuple[Path, ...]

    @property
    def shortest_length(self) -> int | None:
        return self.paths[0].length if self.paths else None


# --- the question ------------------------------------------------------------------------------


async def paths_between(
    driver: AsyncDriver,
    database: str,
    from_id: str,
    to_id: str,
    *,
    k: int = DEFAULT_K,
    max_hops: int = DEFAULT_MAX_HOPS,
    horizontal_only: bool = False,
    as_of: date | None = None,
    tie_kinds: Iterable[TieKind | str] | None = None,
    include_non_members: bool = False,
    scope: Scope = WHOLE_CITY,
) -> PathwaysResult:
    """Return up to ``k`` shortest paths of at most ``max_hops`` ties from unit A to unit B.

    Paths run over the undirected graph of units, people, agreements and resources defined in
    the module docstring, restricted to ``tie_kinds`` (default: all six) minus the vertical
    ``hierarchy`` ties when ``horizontal_only``, with everything judged active at ``as_of``
    (default: today). Each path lists its nodes, its steps (every tie with its kind, stored
    type and direction, vertical or not) and a one-line Chinese explanation. No path within
    the limit, or an end unit that is inactive at ``as_of``, gives an empty ``paths``.

    Under a ``scope``, nodes outside it are redacted (module docstring).

    Raises ``NotFoundError`` when ``from_id`` or ``to_id`` is not a (non-retired) unit in
    the scope, and
    ``BadArgumentError`` when they are equal, ``k`` is outside 1..20, ``max_hops`` outside
    1..10, or the tie kinds are unknown or leave nothing to walk.
    """
    if from_id == to_id:
        raise BadArgumentError("from_id and to_id must be different units")
    if not 1 <= k <= MAX_K:
        raise BadArgumentError(f"k must be between 1 and {MAX_K}, got {k}")
    if max_hops not in MAX_HOPS_RANGE:
        raise BadArgumentError(f"max_hops must be between 1 and 10, got {max_hops}")
    kinds = _allowed_kinds(tie_kinds, horizontal_only=horizontal_only)
    day = as_of or date.today()

    types = sorted(t for t, kind in RELATIONSHIP_KINDS.items() if kind in kinds)
    params = {
        "from_id": from_id,
        "to_id": to_id,
        "types": types,
        "as_of": day,
        "include_non_members": include_non_members,
    }
    # The ends are checked while the search runs (one round trip saved): a missing end gives the
    # search nothing to find; paths found between inactive ends are dropped.
    (records, _, _), found = await asyncio.gather(
        driver.execute_query(
            FIND_ENDS,
            ids=[from_id, to_id],
            as_of=day,
            **scope.params(),
            database_=database,
            routing_="r",
        ),
        _search(driver, database, k, max_hops, params, scope),
    )
    ends = {r["id"]: r for r in records}
    for unit_id in (from_id, to_id):
        if unit_id not in ends:
            raise NotFoundError(f"no unit with id {unit_id!r}")
    start, end = ends[from_id], ends[to_id]
    paths = found if start["active"] and end["active"] else ()
    return PathwaysResult(
        from_unit=_end_node(start),
        to_unit=_end_node(end),
        as_of=day,
        k=k,
        max_hops=max_hops,
        tie_kinds=tuple(kind for kind in TieKind if kind in kinds),
        include_non_members=include_non_members,
        paths=paths,
    )


def _allowed_kinds(
    tie_kinds: Iterable[TieKind | str] | None, *, horizontal_only: bool
) -> frozenset[TieKind]:
    if tie_kinds is None:
        chosen = frozenset(TieKind)
    else:
        try:
            chosen = frozenset(TieKind(kind) for kind in tie_kinds)
        except ValueError as exc:
            allowed = ", ".join(TieKind)
            raise BadArgumentError(f"unknown tie kind ({exc}); allowed: {allowed}") from exc
    if horizontal_only:
        chosen -= VERTICAL_KINDS
    if not chosen:
        raise BadArgumentError("no tie kind left to walk")
    return chosen


async def _search(
    driver: AsyncDriver,
    database: str,
    k: int,
    max_hops: int,
    params: dict[str, Any],
    scope: Scope,
) -> tuple[Path, ...]:
    """Ask Neo4j for enough shortest relationship paths to settle the ``k`` node paths."""
    requested = _PATHS_SMALL if 4 * k <= _PATHS_SMALL else _PATHS_LARGE
    while True:
        records, _, _ = await driver.execute_query(
            SHORTEST_PATHS[(requested, max_hops)], params, database_=database, routing_="r"
        )
        found = [Candidate(r["elements"], r["ids"], r["types"]) for r in records[0]["rows"]]
        chosen = select_paths(found, k, exhaustive=len(found) < requested)
        if chosen is not None:
            break
        if requested == _PATHS_LARGE:
            # More than 192 relationship paths for fewer than k node paths (dense parallel
            # ties): the node paths found are still the shortest; fewer than k are returned.
            chosen = select_paths(found, k, exhaustive=True) or []
            break
        requested = _PATHS_LARGE
    if not chosen:
        return ()
    records, _, _ = await driver.execute_query(
        DESCRIBE_PATHS,
        elements=sorted({e for path in chosen for e in path.elements}),
        pairs=sorted({pair for path in chosen for pair in itertools.pairwise(path.elements)}),
        types=params["types"],
        **scope.params(),
        database_=database,
        routing_="r",
    )
    outside: dict[str, str] = {}
    nodes = {
        n["element"]: _node(n) if n["inside"] else _redacted(_node(n), n["element"], outside)
        for n in records[0]["nodes"]
    }
    ties: dict[tuple[str, str], list[PathTie]] = {}
    for t in records[0]["ties"]:
        left, right = nodes[t["left"]].id, nodes[t["right"]].id
        ties.setdefault((t["left"], t["right"]), []).append(
            PathTie(
                kind=RELATIONSHIP_KINDS[t["type"]],
                relationship=t["type"],
                direction=TieDirection.FORWARD if t["forward"] else TieDirection.BACKWARD,
                start_id=left if t["forward"] else right,
                end_id=right if t["forward"] else left,
            )
        )
    return tuple(_path(path.elements, nodes, ties) for path in chosen)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One relationship path as Neo4j returned it."""

    elements: Sequence[str]  # element ids of the nodes, in order
    ids: Sequence[str]  # contract ids of the same nodes
    types: Sequence[str]  # relationship type of each hop

    @property
    def length(self) -> int:
        return len(self.types)

    @property
    def simple(self) -> bool:
        return len(set(self.elements)) == len(self.elements)

    @property
    def vertical_steps(self) -> int:
        return sum(1 for t in self.types if RELATIONSHIP_KINDS[t] in VERTICAL_KINDS)


def select_paths(found: Sequence[Candidate], k: int, *, exhaustive: bool) -> list[Candidate] | None:
    """The ``k`` best node paths among Neo4j's shortest relationship paths, if settled.

    ``found`` are the shortest relationship paths, as many as were asked unless
    ``exhaustive`` (fewer came back, so they are all there are): every one shorter than the
    longest returned is among them. Paths that revisit a node are dropped, and paths over the
    same nodes (parallel ties) count once. With at least ``k`` node paths left, or
    ``exhaustive``, the first ``k`` are the answer: a node path missing from ``found`` is at
    least as long as every one kept. Otherwise returns ``None`` (ask for more). Order: length,
    then fewer vertical steps, then the nodes' ids.
    """
    unique: dict[tuple[str, ...], Candidate] = {}
    for candidate in found:
        if candidate.simple:
            unique.setdefault(tuple(candidate.elements), candidate)
    if len(unique) < k and not exhaustive:
        return None
    ordered = sorted(unique.values(), key=lambda c: (c.length, c.vertical_steps, tuple(c.ids)))
    return ordered[:k]


def _end_node(record: Any) -> PathNode:
    return PathNode(
        id=record["id"],
        kind=_NODE_KINDS[record["label"]],
        name=record["name"],
        category=record["category"],
    )


def _node(record: Any) -> PathNode:
    kind = _NODE_KINDS[record["label"]]
    return PathNode(
        id=record["id"],
        kind=kind,
        name=record["name"],
        category=None if kind is NodeKind.PERSON else record["category"],
        is_party_member=bool(record["member"]) if kind is NodeKind.PERSON else None,
    )


# What a node outside the caller's scope is called on a path (units keep their names).
_OUTSIDE_NAMES: Final[dict[NodeKind, str]] = {
    NodeKind.PERSON: "辖区外人员",
    NodeKind.AGREEMENT: "辖区外共建协议",
    NodeKind.RESOURCE: "辖区外资源",
}


def _redacted(node: PathNode, element: str, outside: dict[str, str]) -> PathNode:
    """``node`` as a caller outside whose scope it lies sees it: a unit by name only,
    anything else by a generic name; its id a placeholder stable within the answer."""
    alias = outside.setdefault(element, f"outside-scope-{len(outside) + 1}")
    name = node.name if node.is_unit else _OUTSIDE_NAMES[node.kind]
    return PathNode(id=alias, kind=node.kind, name=name)


def _path(
    elements: Sequence[str],
    nodes: dict[str, PathNode],
    ties: dict[tuple[str, str], list[PathTie]],
) -> Path:
    path_nodes = tuple(nodes[e] for e in elements)
    steps = tuple(
        PathStep(
            ties=tuple(
                sorted(
                    ties[(left, right)],
                    key=lambda t: (_TIE_ORDER.index(t.relationship), t.direction),
                )
            )
        )
        for left, right in itertools.pairwise(elements)
    )
    return Path(nodes=path_nodes, steps=steps, explanation=explain(path_nodes, steps))


# The order ties of one step are listed in (the first one names the step in explanations).
_TIE_ORDER: Final = (
    "SUBORDINATE_TO",
    "SET_UP_IN",
    "COVERS",
    "PARTY_TO",
    "MEMBER_OF",
    "EMPLOYED_BY",
    "REPORTS_TO",
    "OWNED_BY",
    "USED",
)


# --- the one-line explanation ------------------------------------------------------------------

# How two parties of an agreement relate, by agreement kind.
_AGREEMENT_VERB: Final = {
    "alliance": "同属",  # 党建联盟
    "joint_meeting": "同属",  # 联席会议
    "pairing": "签有",  # 结对共建
    "project": "共同参与",  # 共建项目
}


def explain(nodes: Sequence[PathNode], steps: Sequence[PathStep]) -> str:
    """A one-line Chinese explanation of a path, one clause per unit-to-unit segment.

    Only units are ever joined directly (by hierarchy); people, agreements and resources sit
    between two units, so the path splits into segments ``unit–unit`` or
    ``unit–connector–unit``, each read as one clause, joined with "；".
    """
    clauses: list[str] = []
    i = 0
    while i < len(steps):
        if nodes[i + 1].is_unit or i + 1 == len(steps):
            clauses.append(_direct(nodes[i], nodes[i + 1], steps[i]))
            i += 1
        else:
            clauses.append(_via(nodes[i], nodes[i + 1], nodes[i + 2], steps[i], steps[i + 1]))
            i += 2
    return "；".join(clauses)


def _rels(step: PathStep) -> set[str]:
    return {t.relationship for t in step.ties}


def _direct(left: PathNode, right: PathNode, step: PathStep) -> str:
    """A hierarchy tie, read in the path's order."""
    tie = step.ties[0]
    forward = tie.direction is TieDirection.FORWARD
    if tie.relationship == "SUBORDINATE_TO":
        return f"{left.name} {'隶属于' if forward else '下辖'} {right.name}"
    if tie.relationship == "SET_UP_IN":
        return (
            f"{left.name} 依托 {right.name} 组建" if forward else f"{left.name} 建有 {right.name}"
        )
    if tie.relationship == "COVERS":
        return f"{left.name} 覆盖 {right.name}" if forward else f"{left.name} 由 {right.name} 覆盖"
    return f"{left.name} 与 {right.name} 相连（{tie.relationship}）"  # not reachable by the model


def _via(left: PathNode, mid: PathNode, right: PathNode, into: PathStep, out: PathStep) -> str:
    if mid.kind is NodeKind.AGREEMENT:
        verb = _AGREEMENT_VERB.get(mid.category or "", "共同签订")
        return f"{left.name} 与 {right.name} {verb} {mid.name}"
    if mid.kind is NodeKind.RESOURCE:
        left_owns, right_owns = "OWNED_BY" in _rels(into), "OWNED_BY" in _rels(out)
        if left_owns:
            return f"{left.name} 的 {mid.name} 由 {right.name} 使用"
        if right_owns:
            return f"{left.name} 使用了 {right.name} 的 {mid.name}"
        return f"{left.name} 与 {right.name} 都使用过 {mid.name}"
    if mid.kind is NodeKind.PERSON:
        who = mid.name if mid.is_party_member else f"{mid.name}（非党员）"
        return f"{_holder(left, into, who)} {_predicate(right, out)}"
    return f"{left.name} 经 {mid.name} 与 {right.name} 相连"  # not reachable by the model


def _holder(unit: PathNode, step: PathStep, who: str) -> str:
    """The person introduced through their tie to ``unit``: "X 的党员 张三"."""
    rels = _rels(step)
    if "MEMBER_OF" in rels and "REPORTS_TO" in rels:
        return f"{unit.name} 的党员 {who}（并在此报到）"
    if "MEMBER_OF" in rels:
        return f"{unit.name} 的党员 {who}"
    if "EMPLOYED_BY" in rels:
        return f"{unit.name} 的职工 {who}"
    return f"到 {unit.name} 报到的 {who}"


def _predicate(unit: PathNode, step: PathStep) -> str:
    """What the person does at ``unit``: "在 X 工作"."""
    rels = _rels(step)
    if "MEMBER_OF" in rels and "REPORTS_TO" in rels:
        return f"是 {unit.name} 的党员并在此报到"
    if "MEMBER_OF" in rels:
        return f"是 {unit.name} 的党员"
    if "EMPLOYED_BY" in rels:
        return f"在 {unit.name} 工作"
    return f"到 {unit.name} 报到（双报到）"
