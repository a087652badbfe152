"""Coverage and partner answers for a caller bound to a region subtree (``queries.scope``).

The coverage questions are asked of the scope (no region: the scope's own region; a region
outside it reads as unknown), so what they read is what sits in it; the few things outside
it that an answer names as context (the city's top party organisation, a lapsed or inactive
parent, a marginal unit's one partner, the nearest usable resource) are shown as "outside
the scope": id ``outside-scope-<n>``, a generic name, and the same in the reasons.

Partners are looked for around a unit of the scope; partners outside it are shown by name
only (docs/security.md): their id becomes ``outside-scope-<n>``; their score, distance, score
components, coverage, resources, people, agreements and track record are all left out, since
each is read from data outside the scope. They keep their rank, so the order is the same.
Which units and resources lie in the scope is read in Cypher (``queries.scope``).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from functools import cache
from typing import Any, TypeVar

from neo4j import AsyncDriver

from graph.model import RegionLevel, Sector
from queries import coverage
from queries import partners as partner_search
from queries.scope import (
    Scope,
    require_units,
    resources_in_scope,
    scoped_region,
    units_in_scope,
)


async def coverage_report(
    driver: AsyncDriver, database: str, scope: Scope, region_id: str | None, **options: Any
) -> coverage.CoverageReport:
    """``coverage.coverage_report`` of ``region_id`` (default: the scope's region) in scope.

    Raises ``NotFoundError`` for a region outside the scope.
    """
    region = await scoped_region(driver, database, scope, region_id)
    report = await coverage.coverage_report(driver, database, region, **options)
    return await _redacted(driver, database, scope, report)


async def uncovered_organizations(
    driver: AsyncDriver,
    database: str,
    scope: Scope,
    *,
    region_id: str | None,
    sector: Sector | None,
    kind: str | None,
    min_employees: int | None,
    as_of: date | None,
    count_level: RegionLevel,
    first: int | None = None,
    offset: int = 0,
) -> coverage.UncoveredOrganizations:
    """``coverage.uncovered_organizations`` of ``region_id`` (default: the scope's) in scope."""
    region = await scoped_region(driver, database, scope, region_id)
    answer = await coverage.uncovered_organizations(
        driver,
        database,
        region_id=region,
        sector=sector,
        kind=kind,
        min_employees=min_employees,
        as_of=as_of,
        count_level=count_level,
        first=first,
        offset=offset,
    )
    return await _redacted(driver, database, scope, answer)


async def blank_areas(
    driver: AsyncDriver,
    database: str,
    scope: Scope,
    *,
    level: RegionLevel,
    region_id: str | None,
    as_of: date | None,
    count_level: RegionLevel,
    first: int | None = None,
    offset: int = 0,
) -> coverage.BlankAreas:
    """``coverage.blank_areas`` of ``region_id`` (default: the scope's) in scope."""
    region = await scoped_region(driver, database, scope, region_id)
    return await coverage.blank_areas(
        driver,
        database,
        level=level,
        region_id=region,
        as_of=as_of,
        count_level=count_level,
        first=first,
        offset=offset,
    )


async def gap_list(
    question: Callable[..., Awaitable[T]],
    driver: AsyncDriver,
    database: str,
    scope: Scope,
    *,
    region_id: str | None,
    **options: Any,
) -> T:
    """A coverage question (``coverage.unclear_affiliations``, ``coverage.marginal_units``) of
    ``region_id`` (default: the scope's) in scope."""
    region = await scoped_region(driver, database, scope, region_id)
    answer = await question(driver, database, region_id=region, **options)
    return await _redacted(driver, database, scope, answer)


async def find_partners(
    driver: AsyncDriver, database: str, scope: Scope, unit_id: str, **options: Any
) -> partner_search.PartnersResult:
    """``partners.find_partners`` for a unit of the scope, outside partners by name only.

    Raises ``NotFoundError`` for a unit outside the scope (as for an unknown one).
    """
    await require_units(driver, database, scope, [unit_id])
    result = await partner_search.find_partners(driver, database, unit_id, **options)
    if scope.whole_city or not result.partners:
        return result
    named = {p.unit.id for p in result.partners}
    named |= {u for p in result.partners for u in p.ties.common_partners}
    inside = await units_in_scope(driver, database, scope, sorted(named))
    outside: dict[str, str] = {}
    partners = tuple(
        _in_scope(p, inside) if p.unit.id in inside else _name_only(p, outside)
        for p in result.partners
    )
    return dataclasses.replace(result, partners=partners)


def _in_scope(partner: partner_search.Partner, inside: set[str]) -> partner_search.Partner:
    """An in-scope partner, its common partners outside the scope left out."""
    common = tuple(u for u in partner.ties.common_partners if u in inside)
    return dataclasses.replace(
        partner, ties=dataclasses.replace(partner.ties, common_partners=common)
    )


def _name_only(partner: partner_search.Partner, outside: dict[str, str]) -> partner_search.Partner:
    alias = outside.setdefault(partner.unit.id, f"outside-scope-{len(outside) + 1}")
    return dataclasses.replace(
        partner,
        unit=dataclasses.replace(partner.unit, id=alias),
        score=None,
        distance_km=None,
        components=(),
        coverage=(),
        resources=(),
        people=(),
        ties=partner_search.Ties(
            shared_agreements=(), shared_people=0, resource_exchanges=0, common_partners=()
        ),
        track_record=partner_search.TrackRecord(0, None, 0, None),
    )


# --- context outside the scope in coverage answers ---------------------------------------------

_UNIT_REFS = (coverage.PartyOrgRef, coverage.UnitRef)
OUTSIDE_UNIT = "辖区外单位"
OUTSIDE_RESOURCE = "辖区外资源"

T = TypeVar("T")


def _refs(value: Any) -> Iterator[Any]:
    """Every unit and resource reference inside a (nested) answer."""
    if isinstance(value, (*_UNIT_REFS, coverage.NearbyResource)):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _refs(getattr(value, f.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _refs(item)


async def _redacted(driver: AsyncDriver, database: str, scope: Scope, answer: T) -> T:
    """``answer`` with the units and resources outside ``scope`` it names made anonymous."""
    if scope.whole_city:
        return answer
    refs = list(_refs(answer))
    unit_ids = sorted({r.id for r in refs if isinstance(r, _UNIT_REFS)})
    resource_ids = sorted({r.id for r in refs if isinstance(r, coverage.NearbyResource)})
    inside = await units_in_scope(driver, database, scope, unit_ids)
    inside |= await resources_in_scope(driver, database, scope, resource_ids)
    outside: dict[str, str] = {}
    names: dict[str, str] = {}
    for ref in refs:
        if ref.id not in inside:
            outside.setdefault(ref.id, f"outside-scope-{len(outside) + 1}")
            generic = OUTSIDE_RESOURCE if isinstance(ref, coverage.NearbyResource) else OUTSIDE_UNIT
            names[ref.name] = generic
    if not outside:
        return answer
    return _rewrite(answer, outside, names)  # type: ignore[no-any-return]


@cache
def _init_fields(cls: type) -> tuple[str, ...]:
    """The fields ``cls.__init__`` takes (strawberry's decoration keeps the dataclass's)."""
    return tuple(p for p in inspect.signature(cls).parameters if p != "self")


def _rewrite(value: Any, outside: dict[str, str], names: dict[str, str]) -> Any:
    if isinstance(value, (*_UNIT_REFS, coverage.NearbyResource)) and value.id in outside:
        changes: dict[str, Any] = {"id": outside[value.id], "name": names[value.name]}
        if isinstance(value, coverage.NearbyResource):
            changes["region_name"] = None
        return dataclasses.replace(value, **changes)
    if isinstance(value, str):
        for name, generic in names.items():
            value = value.replace(name, generic)
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Derived fields (init=False, set in __post_init__) follow from the others.
        return type(value)(
            **{
                name: _rewrite(getattr(value, name), outside, names)
                for name in _init_fields(type(value))
            }
        )
    if isinstance(value, tuple):
        return tuple(_rewrite(item, outside, names) for item in value)
    return value
