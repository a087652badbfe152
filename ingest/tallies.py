"""Derive the regions' tallies (graph.tallies) after a load: what a whole city's coverage reads.

Each source is read once, grouped in Cypher by the chain of regions down to community level
(``region_path[..5]``) and what decides its steps, so a city of 10^5 organizations comes back
as a few thousand rows; the steps are added up per region in Python, where date arithmetic and
the marginal-unit periods are plain code, and written only where they changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from neo4j import Driver

from graph import tallies
from graph.model import NEW_EMPLOYMENT_OCCUPATIONS
from graph.tallies import ALWAYS, FOREVER, Steps

# The regions that carry tallies, and whether each is a root (things in no region count there).
READ_REGIONS: Final = """
MATCH (r:Region)
WHERE r.level_rank <= $depth
RETURN r.id AS id, NOT EXISTS { (r)-[:PART_OF]->(:Region) } AS root
"""
# Organizations by place, sector and the last day they are covered (ingest.runs
# DERIVE_ORG_COVERAGE): how many, their employees and the party members they employ.
READ_ORGANIZATIONS: Final = """
MATCH (o:Organization)
WHERE NOT o:Retired
RETURN o.region_path[..$depth + 1] AS path, o.sector AS sector, o.covered_until AS until,
       count(o) AS n, sum(coalesce(o.employees, 0)) AS employees,
       sum(coalesce(o.member_employees, 0)) AS members
"""
# The new employment group by residence (as queries.coverage MEMBER_RATIO_NEW_EMPLOYMENT).
READ_NEW_EMPLOYMENT: Final = """
MATCH (p:Person)
WHERE NOT p:Retired AND (p.new_employment_group = true OR p.occupation IN $occupations)
MATCH (p)-[:RESIDES_IN]->(r:Region)
RETURN r.region_path[..$depth + 1] AS path, count(p) AS people,
       count(CASE WHEN p.is_party_member = true THEN 1 END) AS members
"""
# Areas by place, level and the last day the party reaches them (ingest.runs
# DERIVE_AREA_REACH): blank after it when no member resides in or below (null: never blank, as
# the walked question reads a missing value).
READ_AREAS: Final = """
MATCH (a:Region)
WHERE a.level IN $levels AND NOT a:Retired
RETURN a.region_path[..$depth + 1] AS path, a.level AS level,
       CASE WHEN a.members_below <= 0 THEN a.party_orgs_until END AS reached_until,
       count(a) AS n
"""
# Active units by place and the last day they are active (a temporary party org's valid_to).
# Those whose first two ties always hold (ingest.runs DERIVE_UNIT_TIES keeps two such first) are
# never marginal and only counted; the others come with their ties.
READ_UNITS: Final = """
MATCH (u:Unit)
WHERE NOT u:Retired
WITH u, u.region_path[..$depth + 1] AS path,
     CASE WHEN u:PartyOrg AND u.type = 'temporary' THEN u.valid_to END AS until,
     size(coalesce(u.tie_ids, [])) >= 2
     AND u.tie_since[1] = date('0001-01-01') AND u.tie_until[1] = date('9999-12-31') AS tied
WITH path, until, tied,
     count(u) AS n,
     collect(CASE WHEN NOT tied THEN [u.tie_ids, u.tie_since, u.tie_until] END) AS ties
RETURN path, until, n, ties
"""
# Resources with a street, per distinct scenario tag, by their period, shareable and available.
READ_RESOURCES: Final = """
MATCH (res:Resource)
WHERE NOT res:Retired AND res.region_path[3] <> ''
UNWIND res.scenarios AS scenario
WITH DISTINCT res, scenario
RETURN res.region_path[3] AS street, scenario, res.available_from AS since,
       res.available_to AS until, coalesce(res.shareable, true) AS shareable,
       coalesce(res.status, 'available') = 'available' AS available, count(res) AS n
"""
# Every tallied region's lists, written where they changed.
WRITE_TALLIES: Final = """
UNWIND $rows AS row
MATCH (r:Region {id: row.id})
WHERE NOT coalesce(r.tally_keys = row.keys AND r.tally_on = row.on
                   AND r.tally_delta = row.delta, false)
SET r.tally_keys = row.keys, r.tally_on = row.on, r.tally_delta = row.delta
RETURN count(r) AS written
"""


def _native(value: Any) -> Any:
    return value.to_native() if hasattr(value, "to_native") else value


class _Tallies:
    """Steps per region, each added to every tallied region on an item's chain."""

    def __init__(self, regions: Sequence[Any]) -> None:
        self.steps: dict[str, Steps] = {row["id"]: Steps() for row in regions}
        self.roots = [row["id"] for row in regions if row["root"]]

    def places(self, path: Sequence[str] | None) -> Iterable[str]:
        if path is None:  # in no region: it counts for the whole (as the walked questions read)
            yield from self.roots
            return
        for region_id in path:
            if region_id and region_id in self.steps:
                yield region_id

    def add(self, path: Sequence[str] | None, steps: Steps) -> None:
        for region_id in self.places(path):
            self.steps[region_id].merge(steps)


def _organizations(rows: Iterable[Any], into: _Tallies) -> None:
    for row in rows:
        steps = Steps()
        sector = row["sector"]
        n = row["n"]
        steps.add(tallies.organizations(sector), ALWAYS, n)
        steps.add(tallies.employees(sector), ALWAYS, row["employees"])
        steps.add(tallies.members(sector), ALWAYS, row["members"])
        until = _native(row["until"])
        if until is not None:  # uncovered from the day after the last one covered
            steps.add(tallies.uncovered(sector), tallies.day_after(until), n)
        into.add(row["path"], steps)


def _new_employment(rows: Iterable[Any], into: _Tallies) -> None:
    for row in rows:
        steps = Steps()
        steps.add(tallies.NEW_EMPLOYMENT_PEOPLE, ALWAYS, row["people"])
        steps.add(tallies.NEW_EMPLOYMENT_MEMBERS, ALWAYS, row["members"])
        into.add(row["path"], steps)


def _areas(rows: Iterable[Any], into: _Tallies) -> None:
    for row in rows:
        steps = Steps()
        steps.add(tallies.areas(row["level"]), ALWAYS, row["n"])
        reached_until = _native(row["reached_until"])
        if reached_until is not None:
            steps.add(tallies.blank(row["level"]), tallies.day_after(reached_until), row["n"])
        into.add(row["path"], steps)


def _units(rows: Iterable[Any], into: _Tallies) -> None:
    for row in rows:
        steps = Steps()
        until = _native(row["until"]) or FOREVER
        steps.hold(tallies.UNITS, ALWAYS, until, row["n"])
        for ids, since, ends in row["ties"]:
            days = [_native(d) for d in since or []], [_native(d) for d in ends or []]
            for first, last in tallies.marginal_intervals(until, ids or [], *days):
                steps.hold(tallies.MARGINAL, first, last)
        into.add(row["path"], steps)


def _resources(rows: Iterable[Any], into: _Tallies) -> None:
    for row in rows:
        if row["street"] not in into.steps:
            continue
        steps = Steps()
        scenario, n = row["scenario"], row["n"]
        since = _native(row["since"]) or ALWAYS
        until = _native(row["until"]) or FOREVER
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
        into.steps[row["street"]].merge(steps)


def derive_tallies(driver: Driver, database: str) -> int:
    """Recompute every tallied region's counts; return how many regions' lists changed."""
    depth = tallies.TALLY_DEPTH
    with driver.session(database=database) as session:
        regions = list(session.run(READ_REGIONS, depth=depth))
        into = _Tallies(regions)
        _organizations(session.run(READ_ORGANIZATIONS, depth=depth), into)
        _new_employment(
            session.run(
                READ_NEW_EMPLOYMENT, depth=depth, occupations=sorted(NEW_EMPLOYMENT_OCCUPATIONS)
            ),
            into,
        )
        levels = [level.value for level in tallies.AREA_LEVELS]
        _areas(session.run(READ_AREAS, depth=depth, levels=levels), into)
        _units(session.run(READ_UNITS, depth=depth), into)
        _resources(session.run(READ_RESOURCES), into)
        rows = []
        for region_id, steps in into.steps.items():
            keys, on, delta = steps.lists()
            rows.append({"id": region_id, "keys": keys, "on": on, "delta": delta})
        written = 0
        for start in range(0, len(rows), 500):
            record = session.run(WRITE_TALLIES, rows=rows[start : start + 500]).single()
            written += record["written"] if record else 0
    return written
