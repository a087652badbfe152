"""Derive the regions' tallies (graph.tallies) after a load: what a whole city's coverage reads.

Each source is read once, grouped in Cypher by the chain of regions down to community level
(``region_path[..5]``) and what decides its steps, so a city of 10^5 organizations comes back
as a few thousand rows; the steps are added up per region in Python, where date arithmetic and
the marginal-unit periods are plain code, and written only where they changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Final, LiteralString

from graph import tallies
from graph.model import NEW_EMPLOYMENT_OCCUPATIONS
from graph.tallies import ALWAYS, FOREVER, Steps
from ingest.transactions import Writes

# The regions that carry tallies, and whether each is a root (things in no region count there).
READ_REGIONS: Final = """
MATCH (r:Region)
WHERE r.level IN $levels
RETURN r.id AS id, NOT EXISTS { (r)-[:PART_OF]->() } AS root, r.tally_digest AS digest,
       [x IN coalesce(r.region_path, [r.id]) WHERE x <> ''] AS chain
"""
# Organizations by place, sector and the last day they are covered (ingest.runs
# DERIVE_ORG_COVERAGE): how many, their employees and the party members they employ.
READ_ORGANIZATIONS: Final = """
MATCH (o:Organization)
WHERE NOT o:Retired
RETURN last([x IN o.region_path[..$depth + 1] WHERE x <> '']) AS place, o.sector AS sector,
       toString(o.covered_until) AS until,
       count(o) AS n, sum(coalesce(o.employees, 0)) AS employees,
       sum(coalesce(o.member_employees, 0)) AS members
"""
# The new employment group by residence (as queries.coverage MEMBER_RATIO_NEW_EMPLOYMENT).
READ_NEW_EMPLOYMENT: Final = """
MATCH (p:Person)
WHERE NOT p:Retired AND (p.new_employment_group = true OR p.occupation IN $occupations)
MATCH (p)-[:RESIDES_IN]->(r:Region)
RETURN last([x IN r.region_path[..$depth + 1] WHERE x <> '']) AS place, count(p) AS people,
       count(CASE WHEN p.is_party_member = true THEN 1 END) AS members
"""
# Areas by place, level and the last day the party reaches them (ingest.runs
# DERIVE_AREA_REACH): blank after it when no member resides in or below (null: never blank, as
# the walked question reads a missing value).
READ_AREAS: Final = """
MATCH (a:Region)
WHERE a.level IN $levels AND NOT a:Retired
RETURN last([x IN a.region_path[..$depth + 1] WHERE x <> '']) AS place, a.level AS level,
       CASE WHEN a.members_below <= 0 THEN toString(a.party_orgs_until) END AS reached_until,
       count(a) AS n
"""
# Active units by place and the last day they are active (a temporary party org's valid_to).
# Those whose first two ties always hold (ingest.runs DERIVE_UNIT_TIES keeps two such first) are
# never marginal and only counted; the others come with their ties.
READ_UNITS: Final = """
MATCH (u:Unit)
WHERE NOT u:Retired
WITH u, last([x IN u.region_path[..$depth + 1] WHERE x <> '']) AS place,
     CASE WHEN u:PartyOrg AND u.type = 'temporary' THEN toString(u.valid_to) END AS until,
     size(coalesce(u.tie_ids, [])) >= 2
     AND u.tie_since[1] = date('0001-01-01') AND u.tie_until[1] = date('9999-12-31') AS tied
WITH place, until, tied,
     count(u) AS n,
     collect(CASE WHEN NOT tied THEN [
       u.tie_ids, [d IN u.tie_since | toString(d)], [d IN u.tie_until | toString(d)]
     ] END) AS ties
RETURN place, until, n, ties
"""
# Resources with a street, per distinct scenario tag, by their period, shareable and available.
READ_RESOURCES: Final = """
MATCH (res:Resource)
WHERE NOT res:Retired AND res.region_path[3] <> ''
UNWIND res.scenarios AS scenario
WITH DISTINCT res, scenario
RETURN res.region_path[3] AS street, scenario, toString(res.available_from) AS since,
       toString(res.available_to) AS until, coalesce(res.shareable, true) AS shareable,
       coalesce(res.status, 'available') = 'available' AS available, count(res) AS n
"""
# The tallied regions' lists whose digest changed (comparing the stored lists themselves cost
# seconds at scale 100).
WRITE_TALLIES: Final = """
UNWIND $rows AS row
MATCH (r:Region {id: row.id})
SET r.tally_keys = row.keys, r.tally_on = row.on, r.tally_delta = row.delta,
    r.resource_tally_keys = row.resource_keys, r.resource_tally_on = row.resource_on,
    r.resource_tally_delta = row.resource_delta, r.tally_digest = row.digest
"""


def _day(value: str | None) -> date | None:
    """A day read as ISO text (strings cross the driver several times faster than dates)."""
    return None if value is None else date.fromisoformat(value)


class _Tallies:
    """Steps per region, each added to every tallied region on an item's chain."""

    def __init__(self, regions: Sequence[Any]) -> None:
        self.steps: dict[str, Steps] = {row["id"]: Steps() for row in regions}
        self.chains: dict[str, list[str]] = {row["id"]: row["chain"] for row in regions}
        # Kept apart on streets: resource gaps read only these, the coverage counts never.
        self.resources: dict[str, Steps] = {row["id"]: Steps() for row in regions}
        self.roots = [row["id"] for row in regions if row["root"]]

    def add(self, place: str | None, steps: Steps) -> None:
        """Add ``steps`` to the deepest tallied region an item sits in and every one above it
        (in no region: to the roots, as the walked questions count it for the whole)."""
        chain = self.roots if place is None else self.chains.get(place, ())
        for region_id in chain:
            if region_id in self.steps:
                self.steps[region_id].merge(steps)


def _organizations(rows: Iterable[Any], into: _Tallies) -> None:
    for row in rows:
        steps = Steps()
        sector = row["sector"]
        n = row["n"]
        steps.add(tallies.organizations(sector), ALWAYS, n)
        steps.add(tallies.employees(sector), ALWAYS, row["employees"])
        steps.add(tallies.members(sector), ALWAYS, row["members"])
        until = _day(row["until"])
        if until is not None:  # uncovered from the day after the last one covered
            steps.add(tallies.uncovered(sector), tallies.day_after(until), n)
        into.add(row["place"], steps)


def _new_employment(rows: Iterable[Any], into: _Tallies) -> None:
    for row in rows:
        steps = Steps()
        steps.add(tallies.NEW_EMPLOYMENT_PEOPLE, ALWAYS, row["people"])
        steps.add(tallies.NEW_EMPLOYMENT_MEMBERS, ALWAYS, row["members"])
        into.add(row["place"], steps)


def _areas(rows: Iterable[Any], into: _Tallies) -> None:
    for row in rows:
        steps = Steps()
        steps.add(tallies.areas(row["level"]), ALWAYS, row["n"])
        reached_until = _day(row["reached_until"])
        if reached_until is not None:
            steps.add(tallies.blank(row["level"]), tallies.day_after(reached_until), row["n"])
        into.add(row["place"], steps)


def _units(rows: Iterable[Any], into: _Tallies) -> None:
    for row in rows:
        steps = Steps()
        until = _day(row["until"]) or FOREVER
        steps.hold(tallies.UNITS, ALWAYS, until, row["n"])
        for ids, since, ends in row["ties"]:
            days = (
                [date.fromisoformat(d) for d in since or []],
                [date.fromisoformat(d) for d in ends or []],
            )
            for first, last in tallies.marginal_intervals(until, ids or [], *days):
                steps.hold(tallies.MARGINAL, first, last)
        into.add(row["place"], steps)


def _resources(rows: Iterable[Any], into: _Tallies) -> None:
    for row in rows:
        if row["street"] not in into.resources:
            continue
        steps = Steps()
        scenario, n = row["scenario"], row["n"]
        since = _day(row["since"]) or ALWAYS
        until = _day(row["until"]) or FOREVER
        steps.add(tallies.resource("tagged", scenario), ALWAYS, n)
        # Inactive is "not active": all of them, less those in their period while it lasts.
        steps.add(tallies.resource("inactive", scenario), ALWAYS, n)
        steps.hold(tallies.resource("inactive", scenario), since, until, -n)
        if not row["shareable"]:
            steps.add(tallies.resource("unshareable", scenario), ALWAYS, n)
        if not row["available"]:
            steps.add(tallies.resource("unavailable", scenario), ALWAYS, n)
        if row["shareable"] and row["available"]:
            steps.hold(tallies.resource("usable", scenario), since, until, n)
        into.resources[row["street"]].merge(steps)


def derive_tallies(writes: Writes) -> int:
    """Recompute every tallied region's counts; return how many regions' lists changed."""
    depth = tallies.TALLY_DEPTH
    reads: list[tuple[LiteralString, dict[str, Any]]] = [
        (READ_REGIONS, {"levels": [level.value for level in tallies.TALLY_LEVELS]}),
        (READ_ORGANIZATIONS, {"depth": depth}),
        (READ_NEW_EMPLOYMENT, {"depth": depth, "occupations": sorted(NEW_EMPLOYMENT_OCCUPATIONS)}),
        (READ_AREAS, {"depth": depth, "levels": [level.value for level in tallies.AREA_LEVELS]}),
        (READ_UNITS, {"depth": depth}),
        (READ_RESOURCES, {}),
    ]
    regions, organizations, new_employment, areas, units, resources = writes.reads(reads)
    into = _Tallies(regions)
    _organizations(organizations, into)
    _new_employment(new_employment, into)
    _areas(areas, into)
    _units(units, into)
    _resources(resources, into)
    stored = {row["id"]: row["digest"] for row in regions}
    rows = []
    for region_id, steps in into.steps.items():
        keys, on, delta = steps.lists()
        resource_keys, resource_on, resource_delta = into.resources[region_id].lists()
        lists = [keys, on, delta, resource_keys, resource_on, resource_delta]
        digest = hashlib.sha256(repr(lists).encode("utf-8")).hexdigest()
        if stored.get(region_id) == digest:
            continue
        rows.append(
            {
                "id": region_id,
                "keys": keys,
                "on": on,
                "delta": delta,
                "resource_keys": resource_keys,
                "resource_on": resource_on,
                "resource_delta": resource_delta,
                "digest": digest,
            }
        )
    for start in range(0, len(rows), 500):
        writes.run(WRITE_TALLIES, rows=rows[start : start + 500])
    return len(rows)
