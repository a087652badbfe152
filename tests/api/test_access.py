"""Nothing outside a caller's scope leaks: every root field, for every role, on the sample.

The schema is introspected, so a new root field is called here or fails the test. Each field
is called with arguments pointing outside the scope (and inside it), with a selection of every
field it returns reachable within a few levels (ties, unions and connections included). What
lies outside the scope is worked out here from the sample's tables, independently of the
Cypher under test (the rules of ``queries.scope``); no response or error of a scoped caller
may carry an out-of-scope id, name, raw phone or count. Out-of-scope units may appear by name
only in the pathway and partner answers; the regions above the scope may be named as context.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from fastapi.testclient import TestClient
from graphql import (
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    Lexer,
    Source,
    TokenKind,
    Undefined,
    get_named_type,
    is_leaf_type,
)
from neo4j import Driver

from api.app import create_app
from api.schema import schema
from cobuild.settings import Settings
from graph.model import Role
from tests.api.tokens import bearer, jwt_settings, token
from tests.conftest import SAMPLE, ensure_sample

SCOPE = "370202001"  # 八大关街道
OTHER_STREET = "370202002"  # 湛山街道: disjoint from the scope
ANCESTORS = {"370202", "370200"}  # 市南区, 青岛市: named as context, never listed
NAMES_ONLY_FIELDS = {"pathways", "partners"}


def _rows(table: str) -> list[dict[str, str]]:
    with (SAMPLE / "csv" / f"{table}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class World:
    """The sample split at the scope, by the rules of docs/security.md."""

    inside: dict[str, set[str]]  # kind → ids in scope
    outside: dict[str, set[str]]  # kind → ids outside (ancestors excepted)
    names: dict[str, str]  # id → name (title for demands)
    phones: set[str]  # every raw phone number of the sample
    outside_masks: set[str]  # masked phones of people outside the scope


@cache
def world() -> World:
    regions = _rows("regions")
    parent = {r["id"]: r["parent_id"] for r in regions}

    def under(region: str) -> bool:
        while region:
            if region == SCOPE:
                return True
            region = parent.get(region, "")
        return False

    inside: dict[str, set[str]] = defaultdict(set)
    every: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    for r in regions:
        every["Region"].add(r["id"])
        names[r["id"]] = r["name"]
        if under(r["id"]):
            inside["Region"].add(r["id"])
    for table, kind in (("organizations", "Organization"), ("party_orgs", "PartyOrg")):
        for r in _rows(table):
            every[kind].add(r["id"])
            names[r["id"]] = r["name"]
            if under(r["region_id"]):
                inside[kind].add(r["id"])
    units_in = inside["Organization"] | inside["PartyOrg"]
    for r in _rows("resources"):
        every["Resource"].add(r["id"])
        names[r["id"]] = r["name"]
        located = under(r["region_id"]) if r["region_id"] else r["owner_id"] in units_in
        if located:
            inside["Resource"].add(r["id"])
    for r in _rows("demands"):
        every["Demand"].add(r["id"])
        names[r["id"]] = r["title"]
        if under(r["region_id"]):
            inside["Demand"].add(r["id"])
    for r in _rows("agreements"):
        every["Agreement"].add(r["id"])
        names[r["id"]] = r["name"]
        if set(r["party_ids"].split(";")) & units_in:
            inside["Agreement"].add(r["id"])
    phones: set[str] = set()
    masks: set[str] = set()
    for r in _rows("people"):
        every["Person"].add(r["id"])
        names[r["id"]] = r["name"]
        if r["phone"]:
            phones.add(r["phone"])
        tied = {r["party_org_id"], r["employer_org_id"]} & units_in
        if under(r["residence_region_id"]) or tied:
            inside["Person"].add(r["id"])
        elif r["phone"]:
            masks.add(f"{r['phone'][:3]}****{r['phone'][-4:]}")
    for r in _rows("skills"):
        every["Skill"].add(r["id"])
        inside["Skill"].add(r["id"])
    outside = {kind: ids - inside[kind] - ANCESTORS for kind, ids in every.items()}
    return World(dict(inside), outside, names, phones, masks)


def _one_outside(kind: str, region: str = OTHER_STREET) -> str:
    """An id of ``kind`` sitting in ``region``'s subtree (outside the scope)."""
    w = world()
    rows = {
        "Organization": _rows("organizations"),
        "PartyOrg": _rows("party_orgs"),
        "Resource": _rows("resources"),
        "Demand": _rows("demands"),
    }[kind]
    return sorted(
        r["id"] for r in rows if r["region_id"].startswith(region) and r["id"] in w.outside[kind]
    )[0]


def _one_inside(kind: str) -> str:
    return sorted(world().inside[kind])[0]


def _person_outside() -> str:
    people = _rows("people")
    return sorted(
        r["id"]
        for r in people
        if r["id"] in world().outside["Person"]
        and r["residence_region_id"].startswith(OTHER_STREET)
    )[0]


# --- what each root field is called with ------------------------------------------------------


def calls() -> dict[str, list[dict[str, Any]]]:
    """Arguments per root field: out-of-scope ones first, then in-scope ones."""
    w = world()
    out_org, in_org = _one_outside("Organization"), _one_inside("Organization")
    out_po, in_po = _one_outside("PartyOrg"), "PO-370202001"
    out_agreement = sorted(w.outside["Agreement"])[0]
    lists = [{}, {"where": {"regionId": OTHER_STREET}}, {"where": {"regionId": "370202"}}]
    regional = [{}, {"regionId": OTHER_STREET}]
    return {
        "graphStats": [{}],
        "region": [{"id": OTHER_STREET}, {"id": "370202"}, {"id": SCOPE}],
        "organization": [{"id": out_org}, {"id": in_org}],
        "partyOrg": [{"id": out_po}, {"id": "PO-370202"}, {"id": in_po}],
        "unit": [{"id": out_org}, {"id": in_po}],
        "person": [{"id": _person_outside()}, {"id": _one_inside("Person")}],
        "skill": [{"id": _one_inside("Skill")}],
        "resource": [{"id": _one_outside("Resource")}, {"id": _one_inside("Resource")}],
        "agreement": [{"id": out_agreement}, {"id": _one_inside("Agreement")}],
        "demand": [{"id": _one_outside("Demand")}, {"id": _one_inside("Demand")}],
        "regions": lists,
        "organizations": lists,
        "partyOrgs": lists,
        "people": lists,
        "skills": [{}],
        "resources": lists,
        "agreements": lists,
        "demands": lists,
        "search": [{"text": w.names[out_org]}, {"text": "社区"}, {"text": "街道"}],
        "pathways": [
            {"from": in_po, "to": out_po},
            {"from": in_po, "to": "PO-370202001001", "k": 5},
            {"from": in_org, "to": in_po, "k": 5, "maxHops": 6},
        ],
        "coverage": regional,
        "uncoveredOrganizations": regional,
        "blankAreas": regional,
        "unclearAffiliations": regional,
        "marginalUnits": regional,
        "partners": [{"unit": out_org}, {"unit": in_po, "radiusKm": 20.0, "limit": 50}],
        "matchDemand": [{"demandId": _one_outside("Demand")}, {"demandId": _one_inside("Demand")}],
        "assignDemands": [{"regionId": OTHER_STREET}, {"regionId": SCOPE}],
        "brokers": regional,
        "clusters": regional,
        "collaboration": [{}, {"regionId": OTHER_STREET}, {"level": "COMMUNITY"}],
        "auditLog": [{}],
        "neighbourhood": [
            {"ids": [out_org, out_po]},
            {"ids": [in_po], "limit": 500},
            {"ids": [in_org, SCOPE], "limit": 500},
        ],
        "subgraph": [{"ids": [in_po, in_org, out_po, out_org, SCOPE]}],
    }


# --- documents built from the schema -----------------------------------------------------------

DEFAULT_DEPTH = 4
TOKEN_BUDGET = 2500  # under the server's limit (graphql_max_tokens, 3000 by default)


def _selection(named: GraphQLNamedType, depth: int, clashing: frozenset[str] = frozenset()) -> str:
    if isinstance(named, GraphQLUnionType):
        # Members' fields of one name but different types must be aliased apart.
        types: dict[str, set[str]] = defaultdict(set)
        for member in named.types:
            for name, field in member.fields.items():
                types[name].add(str(field.type))
        clash = frozenset(name for name, seen in types.items() if len(seen) > 1)
        members = " ".join(f"... on {m.name} {_selection(m, depth, clash)}" for m in named.types)
        return "{ __typename " + members + " }"
    assert isinstance(named, GraphQLObjectType)
    picked: list[str] = []
    for name, field in named.fields.items():
        if any(
            isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
            for arg in field.args.values()
        ):
            continue
        inner = get_named_type(field.type)
        label = f"{named.name}_{name}: {name}" if name in clashing else name
        if is_leaf_type(inner):
            picked.append(label)
        elif depth > 0:
            picked.append(f"{label} {_selection(inner, depth - 1)}")
    return "{ " + " ".join(picked or ["__typename"]) + " }"


def document(field_name: str, args: dict[str, Any]) -> str:
    root = schema._schema.query_type
    assert root is not None
    field = root.fields[field_name]
    declared = ", ".join(f"${a}: {field.args[a].type}" for a in args)
    passed = ", ".join(f"{a}: ${a}" for a in args)
    named = get_named_type(field.type)
    head = f"query Probe({declared})" if args else "query Probe"
    call = f"{field_name}({passed})" if args else field_name
    # The deepest selection within the token limit every client has.
    for depth in range(DEFAULT_DEPTH, -1, -1):
        body = "" if is_leaf_type(named) else _selection(named, depth)
        text = f"{head} {{ {call} {body} }}"
        if _tokens(text) <= TOKEN_BUDGET:
            return text
    raise AssertionError(f"no selection of {field_name} fits in {TOKEN_BUDGET} tokens")


def _tokens(text: str) -> int:
    lexer, count = Lexer(Source(text)), 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


# --- looking for leaks -------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@dataclass(frozen=True)
class Forbidden:
    ids: frozenset[str]
    names: frozenset[str]
    unit_names: frozenset[str]
    masks: frozenset[str]


@cache
def forbidden() -> Forbidden:
    w = world()
    inside_names = {w.names[i] for ids in w.inside.values() for i in ids if i in w.names}
    inside_names |= {w.names[a] for a in ANCESTORS}
    ids = frozenset(i for kind in w.outside.values() for i in kind)

    def distinctive(i: str) -> bool:
        name = w.names.get(i, "")
        return len(name) >= 2 and not any(name in other for other in inside_names)

    units = w.outside["Organization"] | w.outside["PartyOrg"]
    names = frozenset(w.names[i] for i in ids - units if distinctive(i))
    unit_names = frozenset(w.names[i] for i in units if distinctive(i))
    return Forbidden(ids, names, unit_names, frozenset(w.outside_masks))


def leaks(body: Any, *, asked: set[str], names_only: bool) -> list[str]:
    """What in ``body`` lies outside the scope (ids the caller asked with excepted)."""
    f = forbidden()
    found = []
    for text in _strings(body):
        if text in f.ids and text not in asked:
            found.append(f"id {text}")
        if names_only and text in f.unit_names:
            continue  # a unit's name may carry its region's (兰雅桥社区党委)
        found += [f"name {n} in {text!r}" for n in f.names if n in text]
        if not names_only:
            found += [f"unit name {n} in {text!r}" for n in f.unit_names if n in text]
        found += [f"masked phone {text}" for m in f.masks if m == text]
    return found


def raw_phones(body: Any) -> list[str]:
    phones = world().phones
    return [p for text in _strings(body) for p in phones if p in text]


# --- the tests ---------------------------------------------------------------------------------

ROLES = {
    Role.ADMIN: None,
    Role.ANALYST: None,
    Role.COORDINATOR: SCOPE,
    Role.SYSTEM: SCOPE,
}


@pytest.fixture(scope="module")
def responses(
    sample_graph_module: None, neo4j_settings: Settings
) -> dict[Role, dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]]:
    """Every call of every root field, for every role: (arguments, response body)."""
    # Every field four levels deep, some 280 requests in a burst: past the cost budget and the
    # rate limit on purpose (those have their own tests), so both are lifted here.
    settings = jwt_settings(neo4j_settings, graphql_max_cost=10**9, rate_limit_per_minute=0)
    root = schema._schema.query_type
    assert root is not None
    root_fields = set(root.fields)
    table = calls()
    unknown = root_fields - set(table)
    assert not unknown, f"root fields this test does not know how to call: {sorted(unknown)}"
    answers: dict[Role, dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]] = {}
    with TestClient(create_app(settings)) as client:
        for role, region in ROLES.items():
            headers = bearer(token(role, region))
            per_field: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
            for name in sorted(root_fields):
                per_field[name] = []
                for args in table[name]:
                    response = client.post(
                        "/graphql",
                        json={"query": document(name, args), "variables": args},
                        headers=headers,
                    )
                    assert response.status_code == 200, (role, name, args, response.text)
                    per_field[name].append((args, response.json()))
            answers[role] = per_field
    return answers


@pytest.fixture(scope="module")
def sample_graph_module(driver: Driver, neo4j_settings: Settings) -> None:
    ensure_sample(driver, neo4j_settings)


def _codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SYSTEM])
def test_scoped_roles_see_nothing_outside_their_scope(
    responses: dict[Role, dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]], role: Role
) -> None:
    problems = []
    for name, results in responses[role].items():
        for args, body in results:
            asked = {v for v in _strings(args)}
            found = leaks(body, asked=asked, names_only=name in NAMES_ONLY_FIELDS)
            if found:
                problems.append((name, args, sorted(set(found))[:5]))
    assert not problems


def test_every_call_answers_or_fails_with_a_code(
    responses: dict[Role, dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]],
) -> None:
    for role, per_field in responses.items():
        for name, results in per_field.items():
            for args, body in results:
                codes = _codes(body)
                assert "INTERNAL_SERVER_ERROR" not in codes, (role, name, args, body["errors"])
                assert None not in codes, (role, name, args, body["errors"])


def test_no_raw_phone_reaches_anyone_by_default(
    responses: dict[Role, dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]],
) -> None:
    for role, per_field in responses.items():
        for name, results in per_field.items():
            for args, body in results:
                assert not raw_phones(body), (role, name, args)


BY_ID = ["region", "organization", "partyOrg", "unit", "person", "resource", "agreement", "demand"]
ROOTED = [
    "pathways",
    "partners",
    "matchDemand",
    "assignDemands",
    "coverage",
    "uncoveredOrganizations",
    "blankAreas",
    "unclearAffiliations",
    "marginalUnits",
    "brokers",
    "clusters",
    "collaboration",
]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SYSTEM])
def test_outside_ids_read_as_not_found(
    responses: dict[Role, dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]], role: Role
) -> None:
    outside = forbidden().ids | ANCESTORS
    for name in BY_ID + ROOTED:
        for args, body in responses[role][name]:
            pointed = {v for v in _strings(args) if v in outside}
            if pointed:
                assert _codes(body) == ["NOT_FOUND"], (name, args, body)
                message = body["errors"][0]["message"]
                assert "forbidden" not in message.lower()


def test_whole_city_roles_read_what_scoped_ones_cannot(
    responses: dict[Role, dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]],
) -> None:
    """The leak check is not vacuous: the same calls show admins and analysts the outside."""
    for role in (Role.ADMIN, Role.ANALYST):
        seen = [
            f
            for name, results in responses[role].items()
            for args, body in results
            for f in leaks(body, asked=set(_strings(args)), names_only=False)
        ]
        assert any(s.startswith("id ") for s in seen)
        assert any(s.startswith("name ") for s in seen)
        for name in BY_ID:
            for args, body in responses[role][name]:
                assert "errors" not in body, (role, name, args, body)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SYSTEM])
def test_scoped_roles_still_read_their_scope(
    responses: dict[Role, dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]], role: Role
) -> None:
    w = world()
    inside_ids = {i for ids in w.inside.values() for i in ids}
    for name in BY_ID:
        for args, body in responses[role][name]:
            if args.get("id") in inside_ids:
                assert "errors" not in body, (name, args, body)
                assert body["data"][name]["id"] == args["id"]


LISTS = {
    "regions": "Region",
    "organizations": "Organization",
    "partyOrgs": "PartyOrg",
    "people": "Person",
    "resources": "Resource",
    "agreements": "Agreement",
    "demands": "Demand",
}


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SYSTEM])
def test_counts_are_the_scope_s(
    responses: dict[Role, dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]], role: Role
) -> None:
    w = world()
    for name, kind in LISTS.items():
        args, body = responses[role][name][0]
        assert args == {}
        assert body["data"][name]["totalCount"] == len(w.inside[kind]), name
        ids = {node["id"] for node in body["data"][name]["nodes"]}
        assert ids <= w.inside[kind]
        _, other = responses[role][name][1]
        assert other["data"][name]["totalCount"] == 0, name
    _, stats = responses[role]["graphStats"][0]
    counts = {c["name"]: c["count"] for c in stats["data"]["graphStats"]["nodes"]}
    assert counts == {kind: len(w.inside[kind]) for kind in sorted({*LISTS.values(), "Skill"})}
    assert stats["data"]["graphStats"]["relationships"] == []


def test_only_admins_read_the_audit_log(
    responses: dict[Role, dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]],
) -> None:
    for role, per_field in responses.items():
        (_, body) = per_field["auditLog"][0]
        if role is Role.ADMIN:
            assert "errors" not in body
        else:
            assert _codes(body) == ["FORBIDDEN"]
            assert body["data"] is None


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SYSTEM])
def test_partners_outside_the_scope_carry_a_rank_and_a_name_only(
    responses: dict[Role, dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]], role: Role
) -> None:
    """Score, distance and components are read from the outside too, so they are left out."""
    named = []
    for _, body in responses[role]["partners"]:
        for partner in (body.get("data") or {}).get("partners", {}).get("partners", []):
            if not partner["unit"]["id"].startswith("outside-scope-"):
                assert partner["score"] is not None
                assert partner["distanceKm"] is not None
                continue
            named.append(partner["unit"]["name"])
            assert partner["score"] is None
            assert partner["distanceKm"] is None
            assert partner["components"] == partner["coverage"] == []
            assert partner["resources"] == partner["people"] == []
            assert partner["trackRecord"]["resourceRatings"] == 0
    assert named  # the scope's units do have partners outside it
    for role_full in (Role.ADMIN, Role.ANALYST):
        for _, body in responses[role_full]["partners"]:
            for partner in (body.get("data") or {}).get("partners", {}).get("partners", []):
                assert partner["score"] is not None
                assert partner["components"]
