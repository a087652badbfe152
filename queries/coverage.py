"""Coverage gaps (覆盖盲区): where does the party organisation system not reach?

Definitions (``questions.md`` §3, read as ``shared/sample/README.md`` reads them). Everything is
judged at ``as_of`` (default today): a temporary party organisation is active while
``as_of ≤ valid_to``, an agreement while ``signed_on ≤ as_of ≤ expires_on``, a resource while
``as_of`` lies in ``[available_from, available_to]`` (a missing bound is open); a resource is
usable when active, ``shareable`` and of status ``available``; a demand is open when its status
is ``open``. Retired nodes and retired ``USED``/``HAS_SKILL`` relationships never count.
Membership is the ``is_party_member`` flag as loaded.

Every question is asked of a region's subtree (``region_id``; default: the single top region)
and returns its gap items, each with a Chinese ``reason`` carrying the numbers behind it, plus
counts per region at ``count_level`` (default: street):

- ``uncovered_organizations`` (组织覆盖空白): organizations that no active party organisation
  is set up in (``SET_UP_IN``) or covers (``COVERS``); filters sector, kind, min_employees.
- ``member_ratios``: per region and sector, party members employed by organizations sitting
  there ÷ the sum of those organizations' ``employees``; for the new employment group (flag
  true, or an occupation in ``NEW_EMPLOYMENT_OCCUPATIONS``), members ÷ people by residence.
- ``blank_areas`` (空白网格/楼栋): grids, compounds or buildings where no party member resides
  in or below the area and no active party organisation sits in or below it.
- ``unclear_affiliations`` (管理归属不清): active party organisations, other than the top one
  (the single parentless active one at the highest region level), with no parent or an
  inactive parent.
- ``skill_gaps`` (技能缺口), per street: skills required by open demands in the street that no
  person residing in the street, or reporting to an active party organisation sitting in it,
  holds (holding a finer skill of the taxonomy counts).
- ``resource_gaps`` (资源缺口), per street: scenarios of open demands in the street with no usable
  resource tagged with the scenario sitting in the street.
- ``marginal_units`` (边缘主体): active units linked to at most one *other* active unit through
  active horizontal ties: a shared active agreement, a party member linked to both (member,
  employee or reporting), or an active resource owned by one and used by the other — or used
  by both: the sample's known "primary" answer counts two users of one resource as linked.

``coverage_report`` answers all of them for one region, concurrently.

How: each question is one Cypher query. Things sitting in a region are found by walking down
the region tree from the region's unique ``id`` index (``PART_OF`` inbound), so a street costs
its own subtree and no more — or, when the region is the root of the only region tree, by a
label or index scan, cheaper than walking everything; a walk to one level is pruned by
``level_rank``; a per-item ``EXISTS`` stops at the first witness; open demands come from the
``demand_status`` index; counts per region walk up from each item (a tree: at most seven hops,
pruned by ``level_rank``). Answers of many rows come back as one collected record (the async
driver spends about 0.1 ms per record), and the scope, its count regions and its streets in one
round trip.
A whole city counted at community level or above reads its counts from the regions' tallies
(``graph.tallies``, derived at ingest: a node per region instead of every organization, area,
unit and resource), and only the page of items asked for, in id order from an index, stopping
at the page's end; resource gaps read each street's tallies wherever they are asked.
Answers are remembered per process (``CACHE_SIZE``), keyed by the latest completed ingest run
and the arguments, so an ingest invalidates them; with no completed run nothing is remembered.
"""

from __future__ import annotations

import asyncio
import enum
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, LiteralString, TypeVar

from neo4j import AsyncDriver

from graph import tallies
from graph.model import NEW_EMPLOYMENT_OCCUPATIONS, OrgKind, RegionLevel, Sector
from graph.tallies import TALLY_DEPTH
from queries.errors import BadArgumentError, NotFoundError
from queries.pages import Page

# Levels a blank area can be looked for at (questions.md §3).
BLANK_AREA_LEVELS: Final = (RegionLevel.GRID, RegionLevel.COMPOUND, RegionLevel.BUILDING)
DEFAULT_COUNT_LEVEL: Final = RegionLevel.STREET
# A branch may be set up where an organization has at least this many members (支部工作条例).
BRANCH_MINIMUM_MEMBERS: Final = 3
# How far from a street a resource gap looks for usable resources elsewhere (§2's default radius).
NEARBY_RADIUS_M: Final = 3000.0
# Answers kept per process, keyed by the latest completed ingest run (an ingest invalidates).
CACHE_SIZE: Final = 64
# Questions of one coverage report in flight at once.
REPORT_CONCURRENCY: Final = 3
# Items of each gap list in a report, as the API serves it: a first screen (an entity page); the
# counts always cover every item.
REPORT_PAGE: Final = 50
# The end of "every item from the offset on" in a Cypher list slice.
PAGE_END: Final = 2**31 - 1

T = TypeVar("T")

# --- Cypher: scope ------------------------------------------------------------------------------

# §3 scope, in one round trip: the region asked about (unique index on Region.id) or, without one,
# the root of the region tree walked up from any region; whether everything sits in it (it is the
# root of the only region tree: regions minus PART_OF links, both from the count store, counts the
# roots); whether the root of its tree carries tallies (graph.tallies: then every region of the tree
# does); the latest completed ingest run, which keys the cache; and the regions the answers are
# counted for (at $count_level) and the streets the per-street questions cover (each with its region
# at $street_group), each in the subtree walked down from the region and pruned by level_rank, or
# the one above it when the level is higher than the region's.
_SCOPE_REGION: Final = """
CALL () { MATCH (n:Region) RETURN count(n) AS regions }
CALL () { MATCH ()-[l:PART_OF]->() RETURN count(l) AS links }
MATCH (r:Region {id: $region_id})
WHERE NOT r:Retired
WITH r, regions - links AS roots,
     regions - links = 1 AND NOT EXISTS { (r)-[:PART_OF]->(:Region) } AS everywhere
"""
_SCOPE_TOP: Final = """
CALL () { MATCH (n:Region) RETURN count(n) AS regions }
CALL () { MATCH ()-[l:PART_OF]->() RETURN count(l) AS links }
MATCH (any:Region)
WITH any, regions - links AS roots LIMIT 1
MATCH (any)-[:PART_OF]->{0,7}(r:Region)
WHERE NOT EXISTS { (r)-[:PART_OF]->(:Region) }
WITH r, roots, roots = 1 AS everywhere
"""
_SCOPE_REGIONS: Final = """
CALL (r) {
  CALL (r) {
    MATCH (r)((:Region)<-[:PART_OF]-(x:Region WHERE x.level_rank <= $count_rank)){0,7}(g:Region)
    WHERE g.level = $count_level
    RETURN g
    UNION
    MATCH (r)-[:PART_OF]->{1,7}(g:Region)
    WHERE g.level = $count_level
    RETURN g
  }
  WITH g WHERE NOT g:Retired
  WITH g ORDER BY g.id
  RETURN collect([g.id, g.name, g.level]) AS count_regions
}
CALL (r) {
  CALL (r) {
    MATCH (r)((:Region)<-[:PART_OF]-(x:Region WHERE x.level_rank <= 3)){0,7}(g:Region)
    WHERE g.level = 'street'
    RETURN g
    UNION
    MATCH (r)-[:PART_OF]->{1,7}(g:Region)
    WHERE g.level = 'street'
    RETURN g
  }
  WITH g WHERE NOT g:Retired
  OPTIONAL MATCH (g)-[:PART_OF]->{0,7}(above:Region {level: $street_group})
  WITH g, above ORDER BY g.id
  RETURN collect([g.id, g.name, g.level, above.id]) AS streets
}
RETURN r.id AS id, r.name AS name, r.level AS level, r.level_rank AS rank, roots, everywhere,
       EXISTS {
         MATCH (t:Region {id: head([x IN coalesce(r.region_path, []) WHERE x <> ''])})
         WHERE t.tally_keys IS NOT NULL
       } AS tallied,
       COLLECT {
         MATCH (run:IngestRun {status: 'completed'})
         RETURN run.id ORDER BY run.finished_at DESC LIMIT 1
       }[0] AS run,
       count_regions, streets
"""
FIND_SCOPE: Final[dict[bool, LiteralString]] = {
    False: _SCOPE_REGION + _SCOPE_REGIONS,
    True: _SCOPE_TOP + _SCOPE_REGIONS,
}

# The steps on or before $as_of of the tallies (graph.tallies) of the regions $ids whose measure
# is one of $prefixes, as [region id, [[key, step], ...]] in one record.
TALLIES: Final = """
UNWIND $ids AS id
MATCH (r:Region {id: id})
WITH r, coalesce(r.tally_keys, []) AS keys, r.tally_on AS on, r.tally_delta AS delta
RETURN collect([r.id, [i IN range(0, size(keys) - 1)
  WHERE on[i] <= $as_of AND any(p IN $prefixes WHERE keys[i] STARTS WITH p)
  | [keys[i], delta[i]]]]) AS regions
"""

# --- Cypher: the questions ---------------------------------------------------------------------
#
# A question over the things sitting in a region starts with one of two literal variants: the
# region's subtree walked down from the unique Region.id index (PART_OF inbound), or — when the
# region is the root of the only region tree, so that everything sits in it — a label scan,
# which is far cheaper than walking the whole tree. QUESTION[everywhere] is the variant.

# Organizations in the subtree: unique Region.id index, walked down.
_ORGANIZATIONS_IN_SUBTREE: Final = """
MATCH (:Region {id: $region_id})<-[:PART_OF]-{0,7}(r:Region)<-[:IN_REGION]-(o:Organization)
WHERE NOT o:Retired
"""
# Every organization: Organization label scan (the region it sits in is its derived
# region_path: finding its IN_REGION among an organization's employees reads them all).
_ORGANIZATIONS_EVERYWHERE: Final = """
MATCH (o:Organization)
WHERE NOT o:Retired
"""

# §3 uncovered organizations: the organizations matching the filters, whether an active party
# org is set up in one or covers it (its derived covered_until: ingest.runs
# DERIVE_ORG_COVERAGE), per sector; the uncovered ones sorted by id and told their region at
# $count_level (region_path), and for the page asked for what explains the gap (members
# employed, lapsed party orgs).
# What explains one uncovered organization o.
_UNCOVERED_ITEM: Final = """
  MATCH (o)-[:IN_REGION]->(r:Region)
  RETURN {
    id: o.id, name: o.name, sector: o.sector, kind: o.kind, employees: o.employees,
    region: r {.id, .name, .level}, members: coalesce(o.member_employees, 0),
    lapsed: COLLECT {
      MATCH (o)<-[:SET_UP_IN|COVERS]-(po:PartyOrg)
      WHERE NOT po:Retired
      RETURN po {.id, .name, .valid_to} ORDER BY po.id
    }
  } AS gap
"""
_UNCOVERED_ORGANIZATIONS: Final = (
    """
WITH o
WHERE ($sector IS NULL OR o.sector = $sector)
  AND ($kind IS NULL OR o.kind = $kind)
  AND coalesce(o.employees, 0) >= $min_employees
WITH o.sector AS sector, count(o) AS organizations,
     collect(CASE WHEN NOT $as_of <= o.covered_until THEN o END) AS gaps
ORDER BY sector
WITH collect({sector: sector, organizations: organizations, uncovered: size(gaps)}) AS by_sector,
     collect(gaps) AS per_sector
CALL (per_sector) {
  UNWIND per_sector AS gaps
  UNWIND gaps AS o
  WITH o ORDER BY o.id
  RETURN collect(o) AS gaps
}
RETURN by_sector, size(gaps) AS total,
       [o IN gaps | nullIf(o.region_path[$count_rank], '')] AS group_ids,
       COLLECT {
  UNWIND gaps[$offset..$page_end] AS o
"""
    + _UNCOVERED_ITEM
    + """
} AS items
"""
)
UNCOVERED_ORGANIZATIONS: Final[dict[bool, LiteralString]] = {
    False: _ORGANIZATIONS_IN_SUBTREE + _UNCOVERED_ORGANIZATIONS,
    True: _ORGANIZATIONS_EVERYWHERE + _UNCOVERED_ORGANIZATIONS,
}
# The whole city's uncovered organizations when the counts come from the regions' tallies: the
# page asked for, in id order from the unique index (the scan stops at the page's end).
UNCOVERED_PAGE: Final = (
    """
MATCH (o:Organization)
WHERE o.id IS NOT NULL AND NOT o:Retired AND NOT $as_of <= o.covered_until
WITH o ORDER BY o.id SKIP $offset LIMIT $limit
CALL (o) {
"""
    + _UNCOVERED_ITEM
    + """
}
RETURN collect(gap) AS items
"""
)

# §3 member ratio by sector: the organizations with their employees and the party members they
# employ (derived at ingest: ingest.runs DERIVE_MEMBER_EMPLOYEES), summed per region at
# $count_level they sit in (region_path; null when they sit higher) and sector; one collected
# record.
_MEMBER_RATIO_BY_SECTOR: Final = """
WITH nullIf(o.region_path[$count_rank], '') AS group_id, o.sector AS sector,
     count(o) AS organizations, sum(coalesce(o.employees, 0)) AS employees,
     sum(coalesce(o.member_employees, 0)) AS members
WITH group_id, collect({sector: sector, organizations: organizations, employees: employees,
                        members: members}) AS tallies
RETURN collect({group_id: group_id, tallies: tallies}) AS rows
"""
MEMBER_RATIO_BY_SECTOR: Final[dict[bool, LiteralString]] = {
    False: _ORGANIZATIONS_IN_SUBTREE + _MEMBER_RATIO_BY_SECTOR,
    True: _ORGANIZATIONS_EVERYWHERE + _MEMBER_RATIO_BY_SECTOR,
}

# §3 member ratio of the new employment group: its people by residence (the subtree walked down
# from the unique Region.id index, or a Person label scan) and how many are party members, per
# region at $count_level above their residence.
_NEW_EMPLOYMENT_IN_SUBTREE: Final = """
MATCH (:Region {id: $region_id})<-[:PART_OF]-{0,7}(r:Region)<-[:RESIDES_IN]-(p:Person)
WHERE NOT p:Retired AND (p.new_employment_group = true OR p.occupation IN $occupations)
"""
_NEW_EMPLOYMENT_EVERYWHERE: Final = """
MATCH (p:Person)
WHERE NOT p:Retired AND (p.new_employment_group = true OR p.occupation IN $occupations)
MATCH (p)-[:RESIDES_IN]->(r:Region)
"""
_MEMBER_RATIO_NEW_EMPLOYMENT: Final = """
WITH r, count(p) AS people, count(CASE WHEN p.is_party_member = true THEN 1 END) AS members
RETURN collect({
  group_id: nullIf(r.region_path[$count_rank], ''), people: people, members: members
}) AS rows
"""
MEMBER_RATIO_NEW_EMPLOYMENT: Final[dict[bool, LiteralString]] = {
    False: _NEW_EMPLOYMENT_IN_SUBTREE + _MEMBER_RATIO_NEW_EMPLOYMENT,
    True: _NEW_EMPLOYMENT_EVERYWHERE + _MEMBER_RATIO_NEW_EMPLOYMENT,
}

# §3 blank areas: the regions at $level — in the subtree, walked down from the unique Region.id
# index and pruned by level_rank, or every one (region_level index) when everything sits in
# the region — where no party member resides in or below and no active party org sits in or
# below: the area's derived members_below and party_orgs_until (ingest.runs
# DERIVE_AREA_REACH; walking every building's residents is most of the whole city's work); the
# blank ones sorted by id and told their region at $count_level (region_path), and only for the
# page asked for, their numbers and parents.
_AREAS_IN_SUBTREE: Final = """
MATCH (:Region {id: $region_id})
      ((:Region)<-[:PART_OF]-(x:Region WHERE x.level_rank <= $rank)){0,7}(a:Region)
WHERE a.level = $level AND NOT a:Retired
"""
_AREAS_EVERYWHERE: Final = """
MATCH (a:Region {level: $level})
WHERE NOT a:Retired
"""
# What explains one blank area a: its parent, numbers and any inactive party org sitting there.
_BLANK_ITEM: Final = """
  OPTIONAL MATCH (a)-[:PART_OF]->(parent:Region)
  CALL (a) {
    OPTIONAL MATCH (a)<-[:PART_OF]-{0,7}(:Region)<-[l:RESIDES_IN|IN_REGION]-(n)
    WHERE NOT n:Retired AND (type(l) = 'RESIDES_IN' OR n:PartyOrg)
    RETURN count(CASE WHEN type(l) = 'RESIDES_IN' THEN 1 END) AS residents,
           collect(CASE WHEN n:PartyOrg THEN [n.id, n.name, n.valid_to] END) AS lapsed
  }
  RETURN [
    a.id, a.name, parent.id, parent.name, parent.level, a.population, a.households, residents,
    lapsed
  ] AS row
"""
_BLANK_AREAS: Final = (
    """
WITH a, a.members_below > 0 OR $as_of <= a.party_orgs_until AS reached
WITH count(a) AS areas, collect(CASE WHEN NOT reached THEN a END) AS blanks
CALL (blanks) {
  UNWIND blanks AS a
  WITH a ORDER BY a.id
  RETURN collect(a) AS sorted
}
RETURN areas, size(sorted) AS total,
       [a IN sorted | nullIf(a.region_path[$count_rank], '')] AS group_ids,
       COLLECT {
  UNWIND sorted[$offset..$page_end] AS a
"""
    + _BLANK_ITEM
    + """
} AS items
"""
)
BLANK_AREAS: Final[dict[bool, LiteralString]] = {
    False: _AREAS_IN_SUBTREE + _BLANK_AREAS,
    True: _AREAS_EVERYWHERE + _BLANK_AREAS,
}
# The whole city's blank areas at $level when the counts come from the regions' tallies: the
# page asked for, in id order from the (level, id) index (the scan stops at the page's end).
BLANK_PAGE: Final = (
    """
MATCH (a:Region)
WHERE a.level = $level AND a.id IS NOT NULL AND NOT a:Retired
  AND NOT (a.members_below > 0 OR $as_of <= a.party_orgs_until)
WITH a ORDER BY a.level, a.id SKIP $offset LIMIT $limit
CALL (a) {
"""
    + _BLANK_ITEM
    + """
}
RETURN collect(row) AS items
"""
)

# §3 unclear affiliation. The top party org: the parentless active ones at the highest region
# level, looked for level by level from the top (region_level index, forced: started from the
# party orgs instead, the planner scans them all; the lazy LIMIT stops at the first level that
# has any); the top when there is exactly one.
_UNCLEAR_TOP: Final = """
CALL () {
  RETURN coalesce(COLLECT {
    UNWIND $levels AS level
    CALL (level) {
      MATCH (r:Region {level: level})
      USING INDEX r:Region(level)
      MATCH (r)<-[:IN_REGION]-(po:PartyOrg)
      WHERE NOT po:Retired
        AND (po.type <> 'temporary' OR po.valid_to IS NULL OR $as_of <= po.valid_to)
        AND NOT EXISTS { (po)-[:SUBORDINATE_TO]->(q:PartyOrg) WHERE NOT q:Retired }
      WITH po ORDER BY po.id
      RETURN collect(po) AS orgs
    }
    WITH orgs WHERE size(orgs) > 0
    RETURN orgs
    LIMIT 1
  }[0], []) AS tops
}
WITH tops, CASE WHEN size(tops) = 1 THEN tops[0] END AS top
RETURN [t IN tops | t {.id, .name, .type}] AS top_candidates, top {.id, .name, .type} AS top,
COLLECT {
"""
# Then the party orgs of the region: its subtree walked down from the unique Region.id index, or
# every one (PartyOrg label scan) when everything sits in the region.
_PARTY_ORGS_IN_SUBTREE: Final = """
  MATCH (:Region {id: $region_id})<-[:PART_OF]-{0,7}(r:Region)<-[:IN_REGION]-(po:PartyOrg)
  WHERE NOT po:Retired
"""
_PARTY_ORGS_EVERYWHERE: Final = """
  MATCH (po:PartyOrg)
  WHERE NOT po:Retired
  MATCH (po)-[:IN_REGION]->(r:Region)
"""
# And the active ones other than the top with no parent or an inactive parent, with what
# explains them and their region at $count_level (walked up).
_UNCLEAR_AFFILIATIONS: Final = """
  WITH po, r
  WHERE (po.type <> 'temporary' OR po.valid_to IS NULL OR $as_of <= po.valid_to)
    AND (top IS NULL OR po <> top)
  OPTIONAL MATCH (po)-[:SUBORDINATE_TO]->(parent:PartyOrg)
  WHERE NOT parent:Retired
  WITH po, r, parent
  WHERE parent IS NULL
     OR (parent.type = 'temporary' AND parent.valid_to IS NOT NULL AND parent.valid_to < $as_of)
  RETURN {
    id: po.id, name: po.name, type: po.type, region: r {.id, .name, .level},
    group_id: nullIf(r.region_path[$count_rank], ''), parent: parent {.id, .name, .type, .valid_to},
    members: COUNT { (po)<-[:MEMBER_OF]-(p:Person) WHERE NOT p:Retired },
    subordinates: COUNT { (po)<-[:SUBORDINATE_TO]-(c:PartyOrg) WHERE NOT c:Retired },
    organizations: COUNT { (po)-[:SET_UP_IN|COVERS]->(o:Organization) WHERE NOT o:Retired }
  } AS gap
  ORDER BY gap.id
} AS gaps
"""
UNCLEAR_AFFILIATIONS: Final[dict[bool, LiteralString]] = {
    False: _UNCLEAR_TOP + _PARTY_ORGS_IN_SUBTREE + _UNCLEAR_AFFILIATIONS,
    True: _UNCLEAR_TOP + _PARTY_ORGS_EVERYWHERE + _UNCLEAR_AFFILIATIONS,
}

# §3 skill and resource gaps start from the open demands of the region: its subtree walked
# down from the unique Region.id index, or every open one (demand_status index) when everything
# sits in the region; each walked up to the street it sits in (none above street level).
_OPEN_DEMANDS_IN_SUBTREE: Final = """
MATCH (:Region {id: $region_id})<-[:PART_OF]-{0,7}(r:Region)<-[:IN_REGION]-(d:Demand)
WHERE d.status = 'open' AND NOT d:Retired
"""
_OPEN_DEMANDS_EVERYWHERE: Final = """
MATCH (d:Demand {status: 'open'})-[:IN_REGION]->(r:Region)
WHERE NOT d:Retired
"""

# §3 skill gaps per street: the skills the open demands of each street require, each with the
# skills that satisfy it (itself and its finer skills: the taxonomy, walked down once per need),
# against the skills held by the people residing in the street or reporting to an active party
# org sitting in it — derived per street at ingest (ingest.runs DERIVE_STREET_SKILLS, those
# held through a temporary party org with its end date), as reading them means reading every
# resident's skills — and for the gaps how many hold the skill anywhere (derived per skill).
_SKILL_GAPS: Final = """
WITH d, nullIf(r.region_path[3], '') AS street_id
MATCH (street:Region {id: street_id})
WITH street, d ORDER BY d.id
WITH street, collect(d) AS demands
CALL (street, demands) {
  UNWIND demands AS d
  MATCH (d)-[:REQUIRES_SKILL]->(k:Skill)
  WHERE NOT k:Retired
  WITH k, collect(d {.id, .title}) AS needing
  RETURN collect({
    skill: k, needing: needing,
    covering: COLLECT { MATCH (k)<-[:SUBCATEGORY_OF]-{0,5}(s:Skill) RETURN s.id }
  }) AS required
}
WITH street, demands, required,
     coalesce(street.held_skill_ids, [])
     + [i IN range(0, size(coalesce(street.held_dated_skill_ids, [])) - 1)
        WHERE $as_of <= street.held_dated_until[i] | street.held_dated_skill_ids[i]] AS held
RETURN collect({street: street.id, open_demands: size(demands), gaps: [
  need IN required WHERE none(s IN need.covering WHERE s IN held) | {
    skill: {id: need.skill.id, name: need.skill.name},
    demands: need.needing,
    holders: coalesce(need.skill.holders, 0)
  }
]}) AS rows
"""
SKILL_GAPS: Final[dict[bool, LiteralString]] = {
    False: _OPEN_DEMANDS_IN_SUBTREE + _SKILL_GAPS,
    True: _OPEN_DEMANDS_EVERYWHERE + _SKILL_GAPS,
}

# §3 resource gaps per street: per scenario of the open demands of each street, the street's
# resources tagged with it and whether any is usable; for the gaps, the usable ones tagged with
# it within $radius metres (point index on Resource.location). First the scenarios each street
# needs.
_RESOURCE_NEEDS: Final = """
WITH d, nullIf(r.region_path[3], '') AS street_id
MATCH (street:Region {id: street_id})
WITH street, d ORDER BY d.id
WITH street, count(d) AS open_demands,
     collect(CASE WHEN d.scenario IS NOT NULL THEN d END) AS demands
CALL (street, demands) {
  UNWIND demands AS d
  WITH d.scenario AS scenario, collect(d {.id, .title}) AS needing
  RETURN collect({scenario: scenario, needing: needing}) AS needs
}
"""
# Per scenario, how many of the resources read are tagged with it, usable, outside their
# period, not shareable, of another status than available: [scenario, tagged, usable,
# inactive, unshareable, unavailable] (counted, not a row per resource: a city has 60,000).
_TALLY: Final = """
  WITH DISTINCT res, street_id, scenario,
       (res.available_from IS NULL OR res.available_from <= $as_of)
       AND (res.available_to IS NULL OR $as_of <= res.available_to) AS active,
       coalesce(res.shareable, true) AS shareable,
       coalesce(res.status, 'available') = 'available' AS available
  WITH street_id, scenario, count(res) AS tagged,
       count(CASE WHEN active AND shareable AND available THEN 1 END) AS usable,
       count(CASE WHEN NOT active THEN 1 END) AS inactive,
       count(CASE WHEN NOT shareable THEN 1 END) AS unshareable,
       count(CASE WHEN NOT available THEN 1 END) AS unavailable
  WITH street_id, collect([scenario, tagged, usable, inactive, unshareable, unavailable])
       AS tallies
"""
# Then the resources of each street: in a region's subtree, each street's subtree walked once;
# for the whole city, every resource read once and told its street by its derived region_path
# (walking every street's regions reads every building and every resident's tie to it).
_TAGGED_IN_STREETS: Final = (
    """
CALL (street, needs) {
  WITH street.id AS street_id, [n IN needs | n.scenario] AS wanted
  MATCH (street)<-[:PART_OF]-{0,7}(:Region)<-[:IN_REGION]-(res:Resource)
  WHERE NOT res:Retired
  UNWIND res.scenarios AS scenario
  WITH res, street_id, scenario WHERE scenario IN wanted
"""
    + _TALLY
    + """
  RETURN tallies
}
"""
)
_TAGGED_EVERYWHERE: Final = (
    """
WITH collect({street: street, open_demands: open_demands, needs: needs}) AS streets
CALL () {
  MATCH (res:Resource)
  WHERE NOT res:Retired
  WITH res, nullIf(res.region_path[3], '') AS street_id
  WHERE street_id IS NOT NULL
  UNWIND res.scenarios AS scenario
"""
    + _TALLY
    + """
  RETURN collect([street_id, tallies]) AS by_street
}
UNWIND streets AS s
WITH s, s.street.id AS street_id, by_street
WITH s.street AS street, s.open_demands AS open_demands, s.needs AS needs,
     coalesce([b IN by_street WHERE b[0] = street_id][0][1], []) AS tallies
"""
)
# Then per scenario needed, the street's tally and, for a gap (none usable), the nearest usable.
_RESOURCE_GAPS: Final = """
CALL (street, needs, tallies) {
  UNWIND needs AS need
  WITH need, coalesce([t IN tallies WHERE t[0] = need.scenario][0], [need.scenario, 0, 0, 0, 0, 0])
       AS mine
  WHERE mine[2] = 0
  CALL (street, need) {
    MATCH (res:Resource)
    WHERE point.distance(res.location, street.location) <= $radius
      AND NOT res:Retired AND need.scenario IN res.scenarios
      AND coalesce(res.shareable, true) AND coalesce(res.status, 'available') = 'available'
      AND (res.available_from IS NULL OR res.available_from <= $as_of)
      AND (res.available_to IS NULL OR $as_of <= res.available_to)
    WITH res, point.distance(res.location, street.location) AS distance
    ORDER BY distance, res.id
    WITH count(res) AS nearby, head(collect([res, distance])) AS first
    WITH nearby, first[0] AS res, first[1] AS distance
    RETURN nearby, CASE WHEN res IS NOT NULL THEN res {
      .id, .name, distance: distance,
      region: COLLECT { MATCH (res)-[:IN_REGION]->(x:Region) RETURN x.name }[0]
    } END AS nearest
  }
  WITH need, mine, nearby, nearest ORDER BY need.scenario
  RETURN collect({
    scenario: need.scenario, demands: need.needing, tagged: mine[1], inactive: mine[3],
    unshareable: mine[4], unavailable: mine[5], nearby: nearby, nearest: nearest
  }) AS gaps
}
RETURN collect({street: street.id, open_demands: open_demands, gaps: gaps}) AS rows
"""
RESOURCE_GAPS: Final[dict[bool, LiteralString]] = {
    False: _OPEN_DEMANDS_IN_SUBTREE + _RESOURCE_NEEDS + _TAGGED_IN_STREETS + _RESOURCE_GAPS,
    True: _OPEN_DEMANDS_EVERYWHERE + _RESOURCE_NEEDS + _TAGGED_EVERYWHERE + _RESOURCE_GAPS,
}
# Or, when the regions carry tallies (graph.tallies): the scenarios each street needs and its
# resource steps on or before $as_of (counted in Python: a street's own node instead of every
# resource) ...
_NEEDS_AND_TALLIES: Final = """
WITH street, open_demands, needs, coalesce(street.resource_tally_keys, []) AS keys,
     street.resource_tally_on AS on, street.resource_tally_delta AS delta
RETURN collect({
  street: street.id, open_demands: open_demands, needs: needs,
  steps: [i IN range(0, size(keys) - 1) WHERE on[i] <= $as_of | [keys[i], delta[i]]]
}) AS rows
"""
RESOURCE_NEEDS_TALLIED: Final[dict[bool, LiteralString]] = {
    False: _OPEN_DEMANDS_IN_SUBTREE + _RESOURCE_NEEDS + _NEEDS_AND_TALLIES,
    True: _OPEN_DEMANDS_EVERYWHERE + _RESOURCE_NEEDS + _NEEDS_AND_TALLIES,
}
# ... then, given each street's counts per scenario needed, the gaps and what is usable nearby.
RESOURCE_GAPS_FROM_TALLIES: Final = (
    """
UNWIND $streets AS s
MATCH (street:Region {id: s.street})
WITH street, s.open_demands AS open_demands, s.needs AS needs, s.tallies AS tallies
"""
    + _RESOURCE_GAPS
)

# Active units in the subtree: unique Region.id index, walked down.
_UNITS_IN_SUBTREE: Final = """
MATCH (:Region {id: $region_id})<-[:PART_OF]-{0,7}(r:Region)<-[:IN_REGION]-(u:Unit)
WHERE NOT u:Retired
  AND NOT (u:PartyOrg AND u.type = 'temporary' AND coalesce(u.valid_to < $as_of, false))
"""
# Every active unit: Unit label scan (where it sits: its derived region_path).
_UNITS_EVERYWHERE: Final = """
MATCH (u:Unit)
WHERE NOT u:Retired
  AND NOT (u:PartyOrg AND u.type = 'temporary' AND coalesce(u.valid_to < $as_of, false))
"""
# §3 marginal units: each unit's other active units tied to it through a party member (member,
# employee or reporting), an active agreement or an active resource (owned or used; two users
# of one resource count, as the sample reads it) — read from the unit's derived tie_* lists
# (ingest.runs DERIVE_UNIT_TIES: each tie with the dates it holds between), as walking every
# unit's people, agreements and resources costs the whole city's graph. Those with at most one
# come sorted by id and counted per region; only the page asked for is built, with the ties
# behind each (building them all is most of the whole city's work).
# What explains one marginal unit u with its one partner's id (or null).
_MARGINAL_ITEM: Final = """
  MATCH (u)-[:IN_REGION]->(r:Region)
  OPTIONAL MATCH (v:Unit {id: partner_id})
  RETURN {
    id: u.id, name: u.name, label: CASE WHEN u:PartyOrg THEN 'PartyOrg' ELSE 'Organization' END,
    category: coalesce(u.type, u.kind), region: r {.id, .name, .level},
    partner: v {.id, .name},
    agreements: COLLECT {
      MATCH (u)-[:PARTY_TO]->(a:Agreement)
      WHERE NOT a:Retired
        AND (a.signed_on IS NULL OR a.signed_on <= $as_of)
        AND (a.expires_on IS NULL OR $as_of <= a.expires_on)
      RETURN a {.id, .name, with_partner: v IS NOT NULL AND EXISTS { (a)<-[:PARTY_TO]-(v) }}
      ORDER BY a.id
    },
    members: CASE WHEN u:Organization THEN coalesce(u.member_employees, 0) ELSE COUNT {
      MATCH (u)<-[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]-(p:Person)
      WHERE p.is_party_member = true AND NOT p:Retired
    } END,
    shared_members: CASE WHEN v IS NULL THEN 0 ELSE COUNT {
      MATCH (u)<-[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]-(p:Person)
            -[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]->(v)
      WHERE p.is_party_member = true AND NOT p:Retired
    } END,
    resources: COUNT {
      MATCH (u)-[t:OWNED_BY|USED]-(res:Resource)
      WHERE t.retired_run IS NULL AND NOT res:Retired
        AND (res.available_from IS NULL OR res.available_from <= $as_of)
        AND (res.available_to IS NULL OR $as_of <= res.available_to)
    },
    shared_resources: COLLECT {
      MATCH (u)-[t1:OWNED_BY|USED]-(res:Resource)-[t2:OWNED_BY|USED]-(v)
      WHERE t1.retired_run IS NULL AND t2.retired_run IS NULL AND NOT res:Retired
        AND (res.available_from IS NULL OR res.available_from <= $as_of)
        AND (res.available_to IS NULL OR $as_of <= res.available_to)
      RETURN DISTINCT res {.id, .name} ORDER BY res.id
    }
  } AS gap
"""
# Each unit's other units tied to it at $as_of, at most one when it is marginal.
_PARTNERS: Final = """
WITH u, [i IN range(0, size(coalesce(u.tie_ids, [])) - 1)
         WHERE u.tie_since[i] <= $as_of <= u.tie_until[i] | u.tie_ids[i]] AS tied
WITH u, CASE WHEN all(id IN tied WHERE id = tied[0]) THEN tied[..1] ELSE tied END AS partners
"""
_MARGINAL_UNITS: Final = (
    _PARTNERS
    + """
WITH count(u) AS units,
     collect(CASE WHEN size(partners) <= 1 THEN {id: u.id, u: u, partner: partners[0]} END)
     AS marginal
CALL (marginal) {
  UNWIND marginal AS gap
  WITH gap ORDER BY gap.id
  RETURN collect(gap) AS gaps
}
RETURN units, size(gaps) AS total,
       [gap IN gaps | nullIf(gap.u.region_path[$count_rank], '')] AS group_ids,
       COLLECT {
  UNWIND gaps[$offset..$page_end] AS gap
  WITH gap.u AS u, gap.partner AS partner_id
"""
    + _MARGINAL_ITEM
    + """
} AS items
"""
)
MARGINAL_UNITS: Final[dict[bool, LiteralString]] = {
    False: _UNITS_IN_SUBTREE + _MARGINAL_UNITS,
    True: _UNITS_EVERYWHERE + _MARGINAL_UNITS,
}
# The whole city's marginal units when the counts come from the regions' tallies: the page asked
# for, in id order from the unique index (the scan stops at the page's end).
MARGINAL_PAGE: Final = (
    """
MATCH (u:Unit)
WHERE u.id IS NOT NULL AND NOT u:Retired
  AND NOT (u:PartyOrg AND u.type = 'temporary' AND coalesce(u.valid_to < $as_of, false))
"""
    + _PARTNERS
    + """
WITH u, partners
WHERE size(partners) <= 1
WITH u, partners[0] AS partner_id ORDER BY u.id SKIP $offset LIMIT $limit
CALL (u, partner_id) {
"""
    + _MARGINAL_ITEM
    + """
}
RETURN collect(gap) AS items
"""
)


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegionRef:
    id: str
    name: str
    level: str


@dataclass(frozen=True, slots=True)
class RegionCount:
    """How many gap items sit in one region at the count level."""

    region: RegionRef
    count: int


@dataclass(frozen=True, slots=True)
class Scope:
    """What a coverage answer was asked of: a region's subtree, at a date, counted per level."""

    region: RegionRef
    as_of: date
    count_level: RegionLevel


@dataclass(frozen=True, slots=True)
class PartyOrgRef:
    id: str
    name: str
    type: str | None = None
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class DemandRef:
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class UncoveredOrganization:
    """An organization no active party organisation is set up in or covers (组织覆盖空白)."""

    id: str
    name: str
    sector: str
    kind: str
    employees: int | None
    region: RegionRef
    party_members: int  # party members it employs
    lapsed_party_orgs: tuple[PartyOrgRef, ...]  # inactive party orgs once set up in / covering it
    reason: str


@dataclass(frozen=True, slots=True)
class SectorCoverage:
    sector: str
    organizations: int  # organizations of the sector in scope (after the filters)
    uncovered: int

    @property
    def covered(self) -> int:
        return self.organizations - self.uncovered


@dataclass(frozen=True, slots=True)
class UncoveredOrganizations:
    scope: Scope
    sector: Sector | None
    kind: OrgKind | None
    min_employees: int
    by_sector: tuple[SectorCoverage, ...]
    items: tuple[UncoveredOrganization, ...]  # the page asked for, by id
    page: Page
    counts: tuple[RegionCount, ...]
    outside_count_level: int  # items sitting above the count level (in no counted region)


@dataclass(frozen=True, slots=True)
class MemberRatio:
    """A ratio with its numerator and denominator (the seeds' 1.4 % / 4.13 % / 0.09 %).

    ``value`` is the ratio (``None`` over a zero denominator), ``percent`` the same in per
    cent rounded to two decimals, ``fraction`` "numerator/denominator"; all three derived.
    """

    numerator: int
    denominator: int
    value: float | None = field(init=False)
    percent: float | None = field(init=False)
    fraction: str = field(init=False)

    def __post_init__(self) -> None:
        value = self.numerator / self.denominator if self.denominator else None
        # Stored, not computed on access, so that every consumer (the API too) sees them.
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "percent", None if value is None else round(100 * value, 2))
        object.__setattr__(self, "fraction", f"{self.numerator}/{self.denominator}")


@dataclass(frozen=True, slots=True)
class SectorMemberRatio:
    """Party members employed by a sector's organizations ÷ the sum of their ``employees``."""

    sector: str
    organizations: int
    ratio: MemberRatio


@dataclass(frozen=True, slots=True)
class RegionMemberRatios:
    region: RegionRef
    sectors: tuple[SectorMemberRatio, ...]  # traditional, new_economic, new_social: always all
    new_employment_group: MemberRatio  # members ÷ people of the group residing in the region
    summary: str

    def sector(self, sector: Sector | str) -> SectorMemberRatio:
        return next(s for s in self.sectors if s.sector == sector)


@dataclass(frozen=True, slots=True)
class MemberRatios:
    scope: Scope
    total: RegionMemberRatios  # the scope's region as a whole
    by_region: tuple[RegionMemberRatios, ...]  # each region at the count level


@dataclass(frozen=True, slots=True)
class BlankArea:
    """A grid, compound or building with no resident party member and no active party org."""

    region: RegionRef
    parent: RegionRef | None
    population: int | None
    households: int | None
    residents: int  # people on record residing in or below it (none a party member)
    lapsed_party_orgs: tuple[PartyOrgRef, ...]  # inactive party orgs sitting in or below it
    reason: str


@dataclass(frozen=True, slots=True)
class BlankAreas:
    scope: Scope
    level: RegionLevel
    areas: int  # regions at ``level`` in scope
    items: tuple[BlankArea, ...]  # the page asked for, by region id
    page: Page
    counts: tuple[RegionCount, ...]
    outside_count_level: int


class AffiliationProblem(enum.StrEnum):
    NO_PARENT = "no_parent"
    INACTIVE_PARENT = "inactive_parent"


@dataclass(frozen=True, slots=True)
class UnclearAffiliation:
    """An active party organisation with no parent or an inactive one (管理归属不清)."""

    party_org: PartyOrgRef
    region: RegionRef
    problem: AffiliationProblem
    parent: PartyOrgRef | None
    members: int
    subordinates: int  # party organisations under it
    organizations: int  # organizations it is set up in or covers
    reason: str


@dataclass(frozen=True, slots=True)
class UnclearAffiliations:
    scope: Scope
    top: PartyOrgRef | None  # None when no single parentless one sits highest
    top_candidates: tuple[PartyOrgRef, ...]  # the parentless ones at the highest level
    items: tuple[UnclearAffiliation, ...]  # the page asked for, by party org id
    page: Page
    counts: tuple[RegionCount, ...]
    outside_count_level: int


@dataclass(frozen=True, slots=True)
class SkillGap:
    skill_id: str
    skill_name: str
    demands: tuple[DemandRef, ...]  # the open demands in the street requiring it
    holders_anywhere: int  # people holding it (or a finer skill) anywhere in the data
    reason: str


@dataclass(frozen=True, slots=True)
class StreetSkillGaps:
    street: RegionRef
    open_demands: int
    gaps: tuple[SkillGap, ...]


@dataclass(frozen=True, slots=True)
class SkillGaps:
    scope: Scope
    streets: tuple[StreetSkillGaps, ...]
    counts: tuple[RegionCount, ...]  # gaps per region at the count level (street or above)


@dataclass(frozen=True, slots=True)
class NearbyResource:
    id: str
    name: str
    region_name: str | None
    distance_m: float


@dataclass(frozen=True, slots=True)
class ResourceGap:
    scenario: str
    demands: tuple[DemandRef, ...]  # the open demands in the street with this scenario
    tagged_in_street: int  # resources in the street tagged with it (none usable)
    inactive: int  # … of which outside their availability period
    unshareable: int  # … not shareable
    unavailable: int  # … of a status other than available
    usable_nearby: int  # usable resources tagged with it within NEARBY_RADIUS_M of the street
    nearest_usable: NearbyResource | None  # the closest of them
    reason: str


@dataclass(frozen=True, slots=True)
class StreetResourceGaps:
    street: RegionRef
    open_demands: int
    gaps: tuple[ResourceGap, ...]


@dataclass(frozen=True, slots=True)
class ResourceGaps:
    scope: Scope
    streets: tuple[StreetResourceGaps, ...]
    counts: tuple[RegionCount, ...]


@dataclass(frozen=True, slots=True)
class UnitRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class AgreementRef:
    id: str
    name: str
    with_partner: bool  # the partner unit is a party to it too


@dataclass(frozen=True, slots=True)
class MarginalUnit:
    """An active unit linked horizontally to at most one other unit (边缘主体)."""

    id: str
    name: str
    kind: str  # "organization" or "party_org"
    category: str | None  # organization kind or party organisation type
    region: RegionRef
    partner: UnitRef | None  # the one other unit it is linked to, if any
    agreements: tuple[AgreementRef, ...]  # active agreements it is party to
    linked_members: int  # party members linked to it (member, employee or reporting)
    shared_members: int  # … of which also linked to the partner
    resources: int  # active resources it owns or used
    shared_resources: tuple[UnitRef, ...]  # active resources it shares with the partner
    reason: str


@dataclass(frozen=True, slots=True)
class MarginalUnits:
    scope: Scope
    units: int  # active units in scope
    items: tuple[MarginalUnit, ...]  # the page asked for, by id
    page: Page
    counts: tuple[RegionCount, ...]
    outside_count_level: int


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """Every coverage question for one region (``coverage_report``)."""

    scope: Scope
    uncovered_organizations: UncoveredOrganizations
    member_ratios: MemberRatios
    blank_areas: tuple[BlankAreas, ...]  # grid, compound, building
    unclear_affiliations: UnclearAffiliations
    skill_gaps: SkillGaps
    resource_gaps: ResourceGaps
    marginal_units: MarginalUnits


# --- the questions -----------------------------------------------------------------------------

_SECTOR_LABELS: Final = {
    Sector.TRADITIONAL: "传统领域",
    Sector.NEW_ECONOMIC: "新经济组织",
    Sector.NEW_SOCIAL: "新社会组织",
}


@dataclass(frozen=True, slots=True)
class _Context:
    scope: Scope
    rank: int  # the scope region's level_rank
    everywhere: bool  # the region is the root of the only region tree: everything sits in it
    count_regions: tuple[RegionRef, ...]  # regions at the count level, in or above the scope
    streets: _Streets  # the streets the per-street questions cover
    database: str
    run: str | None  # latest completed ingest run; None (no caching) when the data has none
    tallied: bool  # the regions carry tallies (graph.tallies): derived by a load

    @property
    def from_tallies(self) -> bool:
        """Whether counts come from the tallies: asked of everything, counted at a tallied
        level (below, items are grouped by regions that carry none; in a subtree, walking it is
        cheap and the pages would need a walk anyway)."""
        return self.tallied and self.everywhere and self.scope.count_level.rank <= TALLY_DEPTH


@dataclass(frozen=True, slots=True)
class _Window:
    """Which items of a gap list to build: ``first`` (all when None) from ``offset``."""

    first: int | None = None
    offset: int = 0

    def params(self) -> dict[str, int]:
        end = PAGE_END if self.first is None else self.offset + self.first
        return {"offset": self.offset, "page_end": end}

    def page(self, total: int, shown: int) -> Page:
        return Page.of(total, self.offset, shown)


def _window(first: int | None, offset: int) -> _Window:
    if first is not None and first < 0:
        raise BadArgumentError(f"first must not be negative, got {first}")
    if offset < 0:
        raise BadArgumentError(f"offset must not be negative, got {offset}")
    return _Window(first, offset)


async def uncovered_organizations(
    driver: AsyncDriver,
    database: str,
    *,
    region_id: str | None = None,
    as_of: date | None = None,
    count_level: RegionLevel | str = DEFAULT_COUNT_LEVEL,
    sector: Sector | str | None = None,
    kind: OrgKind | str | None = None,
    min_employees: int | None = None,
    first: int | None = None,
    offset: int = 0,
) -> UncoveredOrganizations:
    """Organizations in the region that no active party org is set up in or covers.

    Optionally only those of ``sector``, of ``kind``, or with at least ``min_employees``.
    Returns the items (each with its employees, the party members it employs and the inactive
    party organisations that once hosted or covered it), uncovered/total per sector, and
    counts per region at ``count_level``. Raises ``NotFoundError`` for an unknown region and
    ``BadArgumentError`` for an unknown sector, kind or level or a negative ``min_employees``.
    """
    filters = _org_filters(sector, kind, min_employees)
    window = _window(first, offset)
    ctx = await _context(driver, database, region_id, as_of, count_level)
    return await _uncovered(driver, database, ctx, *filters, window)


async def member_ratios(
    driver: AsyncDriver,
    database: str,
    *,
    region_id: str | None = None,
    as_of: date | None = None,
    count_level: RegionLevel | str = DEFAULT_COUNT_LEVEL,
) -> MemberRatios:
    """Member ratio by sector and of the new employment group, for the region and per region.

    Per sector: party members employed by the sector's organizations sitting in the region ÷
    the sum of those organizations' ``employees``. New employment group (flag true or one of
    the listed occupations): its party members ÷ its people, by residence. Returned for the
    region as a whole and for each region at ``count_level``, numerators and denominators
    included. Raises ``NotFoundError`` / ``BadArgumentError`` as ``uncovered_organizations``.
    """
    ctx = await _context(driver, database, region_id, as_of, count_level)
    return await _member_ratios(driver, database, ctx)


async def blank_areas(
    driver: AsyncDriver,
    database: str,
    *,
    level: RegionLevel | str = RegionLevel.GRID,
    region_id: str | None = None,
    as_of: date | None = None,
    count_level: RegionLevel | str = DEFAULT_COUNT_LEVEL,
    first: int | None = None,
    offset: int = 0,
) -> BlankAreas:
    """Areas at ``level`` (grid, compound or building) with no resident member and no party org.

    An area is blank when no party member resides in it or below it and no active party
    organisation sits in it or below it. Each item has its population, households, recorded
    residents and any inactive party organisation that sat there. Raises ``BadArgumentError``
    for another level, ``NotFoundError`` for an unknown region.
    """
    area_level = _level(level, "level")
    if area_level not in BLANK_AREA_LEVELS:
        raise BadArgumentError(f"blank areas are grids, compounds or buildings, not {level!r}")
    window = _window(first, offset)
    ctx = await _context(driver, database, region_id, as_of, count_level)
    return await _blank_areas(driver, database, ctx, area_level, window)


async def unclear_affiliations(
    driver: AsyncDriver,
    database: str,
    *,
    region_id: str | None = None,
    as_of: date | None = None,
    count_level: RegionLevel | str = DEFAULT_COUNT_LEVEL,
    first: int | None = None,
    offset: int = 0,
) -> UnclearAffiliations:
    """Active party orgs in the region, other than the top one, with no or an inactive parent.

    The top party organisation is the single parentless active one at the highest region
    level, looked for in the whole graph; when several tie, there is none and all of them are
    listed. Each item says which problem it has, its parent if any, and its members,
    subordinate party organisations and covered organizations. Raises as the others.
    """
    window = _window(first, offset)
    ctx = await _context(driver, database, region_id, as_of, count_level)
    return await _unclear(driver, database, ctx, window)


async def skill_gaps(
    driver: AsyncDriver,
    database: str,
    *,
    region_id: str | None = None,
    as_of: date | None = None,
    count_level: RegionLevel | str = DEFAULT_COUNT_LEVEL,
) -> SkillGaps:
    """Per street: skills required by open demands there that nobody in the street holds.

    A person counts for a street when residing in it or reporting to an active party org
    sitting in it; holding a finer skill of the taxonomy counts. Streets are those of the
    region, or the street above it (then only the region's demands count). Every street is
    listed, gaps or not; counts per region at ``count_level`` or, below street, per street.
    """
    ctx = await _context(driver, database, region_id, as_of, count_level)
    return await _skill_gaps(driver, database, ctx, ctx.streets)


async def resource_gaps(
    driver: AsyncDriver,
    database: str,
    *,
    region_id: str | None = None,
    as_of: date | None = None,
    count_level: RegionLevel | str = DEFAULT_COUNT_LEVEL,
) -> ResourceGaps:
    """Per street: scenarios of open demands there with no usable tagged resource in the street.

    Each gap says how many resources in the street carry the scenario but are not usable (and
    why) and how many usable ones sit elsewhere in the street's district. Streets as in
    ``skill_gaps``.
    """
    ctx = await _context(driver, database, region_id, as_of, count_level)
    return await _resource_gaps(driver, database, ctx, ctx.streets)


async def marginal_units(
    driver: AsyncDriver,
    database: str,
    *,
    region_id: str | None = None,
    as_of: date | None = None,
    count_level: RegionLevel | str = DEFAULT_COUNT_LEVEL,
    first: int | None = None,
    offset: int = 0,
) -> MarginalUnits:
    """Active units of the region linked to at most one other active unit horizontally.

    Two units are linked when they share an active agreement, a party member (member,
    employee or reporting, in any combination), or an active resource (one owns it and the
    other used it, or both used it: the sample's reading). Partners may sit anywhere. Each item
    names its one partner (if any) and the numbers of its horizontal ties.
    """
    window = _window(first, offset)
    ctx = await _context(driver, database, region_id, as_of, count_level)
    return await _marginal(driver, database, ctx, window)


async def coverage_report(
    driver: AsyncDriver,
    database: str,
    region_id: str | None = None,
    *,
    as_of: date | None = None,
    count_level: RegionLevel | str = DEFAULT_COUNT_LEVEL,
    first: int | None = None,
) -> CoverageReport:
    """Every coverage question for the region at once (no filters; blank areas at all levels),
    each list of gap items with its ``first`` items (all when None) and every count.

    The scope is resolved once and the questions run concurrently, ``REPORT_CONCURRENCY`` at a
    time. Raises ``NotFoundError`` for an unknown region and ``BadArgumentError`` for an unknown
    level.
    """
    window = _window(first, 0)
    ctx = await _context(driver, database, region_id, as_of, count_level)
    streets = ctx.streets
    # A few in flight at once: the database runs each on one core, and nine at once on a small
    # server only stretch every transaction (the largest ones towards the transaction timeout).
    slots = asyncio.Semaphore(REPORT_CONCURRENCY)

    async def limited(question: Awaitable[T]) -> T:
        async with slots:
            return await question

    async with asyncio.TaskGroup() as group:
        # The heaviest first, so that the light ones fill in around them: resource gaps search
        # around every gap; with the counts tallied, the rest read little (walked, blank
        # buildings and marginal units read most).
        resources = group.create_task(limited(_resource_gaps(driver, database, ctx, streets)))
        blanks = [
            group.create_task(limited(_blank_areas(driver, database, ctx, level, window)))
            for level in reversed(BLANK_AREA_LEVELS)
        ][::-1]
        marginal = group.create_task(limited(_marginal(driver, database, ctx, window)))
        uncovered = group.create_task(
            limited(_uncovered(driver, database, ctx, None, None, 0, window))
        )
        ratios = group.create_task(limited(_member_ratios(driver, database, ctx)))
        skills = group.create_task(limited(_skill_gaps(driver, database, ctx, streets)))
        unclear = group.create_task(limited(_unclear(driver, database, ctx, window)))
    return CoverageReport(
        scope=ctx.scope,
        uncovered_organizations=uncovered.result(),
        member_ratios=ratios.result(),
        blank_areas=tuple(task.result() for task in blanks),
        unclear_affiliations=unclear.result(),
        skill_gaps=skills.result(),
        resource_gaps=resources.result(),
        marginal_units=marginal.result(),
    )


# --- scope ---------------------------------------------------------------------------------------


def _level(value: RegionLevel | str, name: str) -> RegionLevel:
    try:
        return RegionLevel(value)
    except ValueError as exc:
        allowed = ", ".join(RegionLevel)
        raise BadArgumentError(f"unknown {name} {value!r}; allowed: {allowed}") from exc


def _org_filters(
    sector: Sector | str | None, kind: OrgKind | str | None, min_employees: int | None
) -> tuple[Sector | None, OrgKind | None, int]:
    try:
        chosen_sector = None if sector is None else Sector(sector)
        chosen_kind = None if kind is None else OrgKind(kind)
    except ValueError as exc:
        raise BadArgumentError(str(exc)) from exc
    if min_employees is not None and min_employees < 0:
        raise BadArgumentError(f"min_employees must not be negative, got {min_employees}")
    return chosen_sector, chosen_kind, min_employees or 0


async def _context(
    driver: AsyncDriver,
    database: str,
    region_id: str | None,
    as_of: date | None,
    count_level: RegionLevel | str,
) -> _Context:
    level = _level(count_level, "count_level")
    # Per-street answers are counted per street when the count level lies below street level.
    street_group = level if level.rank <= RegionLevel.STREET.rank else RegionLevel.STREET
    records, _, _ = await driver.execute_query(
        FIND_SCOPE[region_id is None],
        region_id=region_id,
        count_level=level.value,
        count_rank=level.rank,
        street_group=street_group.value,
        database_=database,
        routing_="r",
    )
    if not records:
        raise NotFoundError(
            "the graph holds no region" if region_id is None else f"no region with id {region_id!r}"
        )
    root = records[0]
    if region_id is None and root["roots"] != 1:
        raise BadArgumentError(f"the graph holds {root['roots']} top regions: give region_id")
    return _Context(
        scope=Scope(
            region=RegionRef(root["id"], root["name"], root["level"]),
            as_of=as_of or date.today(),
            count_level=level,
        ),
        rank=root["rank"],
        everywhere=bool(root["everywhere"]),
        count_regions=tuple(RegionRef(*row) for row in root["count_regions"]),
        streets=_Streets(tuple((RegionRef(*row[:3]), row[3]) for row in root["streets"])),
        database=database,
        run=root["run"],
        tallied=bool(root["tallied"]),
    )


_cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


async def _cached(run: str | None, key: tuple[Any, ...], compute: Callable[[], Awaitable[T]]) -> T:
    """``compute()``, remembered under ``key`` while ``run`` is the latest completed ingest.

    Answers change only when data does, and data changes only by ingest; with no completed
    ingest run (data written otherwise) nothing is remembered.
    """
    if run is None:
        return await compute()
    if key in _cache:
        _cache.move_to_end(key)
        answer: T = _cache[key]
        return answer
    answer = await compute()
    _cache[key] = answer
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return answer


def clear_cache() -> None:
    """Forget every remembered answer (for tests and after out-of-band writes)."""
    _cache.clear()


@dataclass(frozen=True, slots=True)
class _Streets:
    """The streets a per-street question covers: those in the region, or the one above it."""

    streets: tuple[tuple[RegionRef, str | None], ...]  # each with its region at the count level


def _params(ctx: _Context) -> dict[str, Any]:
    return {
        "region_id": ctx.scope.region.id,
        "as_of": ctx.scope.as_of,
        "count_level": ctx.scope.count_level.value,
        "count_rank": ctx.scope.count_level.rank,
    }


def _key(ctx: _Context, question: str, *more: Any) -> tuple[Any, ...]:
    return (question, ctx.database, ctx.run, ctx.scope, *more)


def _counts(
    regions: Sequence[RegionRef], group_ids: Sequence[str | None]
) -> tuple[tuple[RegionCount, ...], int]:
    """Items per count region, and how many no count region holds (those above the count
    level, or in a retired region)."""
    tally = Counter(group_ids)
    counts = tuple(RegionCount(ref, tally.get(ref.id, 0)) for ref in regions)
    return counts, len(group_ids) - sum(c.count for c in counts)


def _tallied_counts(
    regions: Sequence[RegionRef], total: int, of: dict[str, Counter[str]], keys: Sequence[str]
) -> tuple[tuple[RegionCount, ...], int]:
    """``_counts`` from tallies: the sum of ``keys`` per count region; the rest is outside."""
    counts = tuple(
        RegionCount(ref, sum(of.get(ref.id, Counter())[k] for k in keys)) for ref in regions
    )
    return counts, total - sum(c.count for c in counts)


async def _read_tallies(
    driver: AsyncDriver, ctx: _Context, prefixes: Sequence[str]
) -> dict[str, Counter[str]]:
    """The scope's and count regions' counts at the scope's date of the keys starting with one
    of ``prefixes``, per region id."""
    # The scope region (the longest lists) last: first it made the query four times slower.
    ids = [ref.id for ref in ctx.count_regions if ref.id != ctx.scope.region.id]
    records, _, _ = await driver.execute_query(
        TALLIES,
        ids=[*ids, ctx.scope.region.id],
        as_of=ctx.scope.as_of,
        prefixes=list(prefixes),
        database_=ctx.database,
        routing_="r",
    )
    found: dict[str, Counter[str]] = {}
    for region_id, steps in records[0]["regions"]:
        counts: Counter[str] = Counter()
        for key, delta in steps:
            counts[key] += delta
        found[region_id] = counts
    return found


def _keys(kept: dict[str, Counter[str]], measure: str) -> list[str]:
    """Every key of ``measure`` any of the regions read has."""
    return sorted({k for counts in kept.values() for k in counts if tallies.split(k)[0] == measure})


def _sector(of: str) -> str | None:
    """A sector from a tally key (graph.tallies writes a missing one as '')."""
    return of or None


def _limit(window: _Window) -> dict[str, int]:
    return {"offset": window.offset, "limit": window.params()["page_end"] - window.offset}


def _region(value: dict[str, Any]) -> RegionRef:
    return RegionRef(value["id"], value["name"], value["level"])


def _party_org(value: dict[str, Any]) -> PartyOrgRef:
    valid_to = value.get("valid_to")
    return PartyOrgRef(
        id=value["id"],
        name=value["name"],
        type=value.get("type"),
        valid_to=valid_to.to_native() if valid_to is not None else None,
    )


def _lapsed_text(lapsed: Sequence[PartyOrgRef]) -> str:
    return "".join(f"；原 {po.name} 已于 {po.valid_to} 到期" for po in lapsed)


# --- uncovered organizations -------------------------------------------------------------------


async def _uncovered(
    driver: AsyncDriver,
    database: str,
    ctx: _Context,
    sector: Sector | None,
    kind: OrgKind | None,
    min_employees: int,
    window: _Window,
) -> UncoveredOrganizations:
    async def compute() -> UncoveredOrganizations:
        if ctx.from_tallies and sector is None and kind is None and not min_employees:
            return await _uncovered_tallied(driver, ctx, window)
        records, _, _ = await driver.execute_query(
            UNCOVERED_ORGANIZATIONS[ctx.everywhere],
            {**_params(ctx), **window.params()},
            sector=sector.value if sector else None,
            kind=kind.value if kind else None,
            min_employees=min_employees,
            database_=database,
            routing_="r",
        )
        record = records[0]
        by_sector = tuple(
            SectorCoverage(r["sector"], r["organizations"], r["uncovered"])
            for r in record["by_sector"]
        )
        counts, outside = _counts(ctx.count_regions, record["group_ids"])
        items = sorted(record["items"], key=lambda g: str(g["id"]))
        return UncoveredOrganizations(
            scope=ctx.scope,
            sector=sector,
            kind=kind,
            min_employees=min_employees,
            by_sector=by_sector,
            items=tuple(_uncovered_item(g) for g in items),
            page=window.page(record["total"], len(items)),
            counts=counts,
            outside_count_level=outside,
        )

    key = _key(ctx, "uncovered", sector, kind, min_employees, window)
    return await _cached(ctx.run, key, compute)


async def _uncovered_tallied(
    driver: AsyncDriver, ctx: _Context, window: _Window
) -> UncoveredOrganizations:
    measures = ("organizations", "uncovered")
    kept, (records, _, _) = await asyncio.gather(
        _read_tallies(driver, ctx, [tallies.key(m, "") for m in measures]),
        driver.execute_query(
            UNCOVERED_PAGE,
            _limit(window),
            as_of=ctx.scope.as_of,
            database_=ctx.database,
            routing_="r",
        ),
    )
    whole = kept.get(ctx.scope.region.id, Counter())
    by_sector: dict[str | None, list[int]] = {}
    for key, count in whole.items():
        measure, of = tallies.split(key)
        by_sector.setdefault(_sector(of), [0, 0])[measures.index(measure)] += count
    uncovered = _keys(kept, "uncovered")
    total = sum(whole[k] for k in uncovered)
    counts, outside = _tallied_counts(ctx.count_regions, total, kept, uncovered)
    items = sorted(records[0]["items"], key=lambda g: str(g["id"]))
    return UncoveredOrganizations(
        scope=ctx.scope,
        sector=None,
        kind=None,
        min_employees=0,
        by_sector=tuple(
            SectorCoverage(sector, organizations, uncovered_here)  # type: ignore[arg-type]
            for sector, (organizations, uncovered_here) in sorted(
                by_sector.items(), key=lambda item: (item[0] is None, item[0] or "")
            )
            if organizations
        ),
        items=tuple(_uncovered_item(g) for g in items),
        page=window.page(total, len(items)),
        counts=counts,
        outside_count_level=outside,
    )


def _uncovered_item(gap: dict[str, Any]) -> UncoveredOrganization:
    lapsed = tuple(
        _party_org(po)
        for po in gap["lapsed"]
        if po.get("valid_to") is not None  # an active one would have covered it
    )
    members = gap["members"]
    employees = gap["employees"]
    label = _SECTOR_LABELS.get(gap["sector"], gap["sector"])
    staff = f"从业人员 {employees} 人" if employees is not None else "从业人员数未报"
    reason = f"{gap['name']}（{label}，{staff}）无有效党组织单独组建或联合覆盖"
    reason += f"；在职党员 {members} 名"
    if members >= BRANCH_MINIMUM_MEMBERS:
        reason += f"，已达 {BRANCH_MINIMUM_MEMBERS} 名，可单独组建党支部"
    reason += _lapsed_text(lapsed)
    return UncoveredOrganization(
        id=gap["id"],
        name=gap["name"],
        sector=gap["sector"],
        kind=gap["kind"],
        employees=employees,
        region=_region(gap["region"]),
        party_members=members,
        lapsed_party_orgs=lapsed,
        reason=reason,
    )


# --- member ratios -----------------------------------------------------------------------------


async def _member_ratios(driver: AsyncDriver, database: str, ctx: _Context) -> MemberRatios:
    async def compute() -> MemberRatios:
        # [organizations, members, employees] per (region at the count level, sector), the
        # scope as a whole under None; [members, people] of the new employment group likewise.
        if ctx.from_tallies:
            sectors, group = await _ratios_tallied(driver, ctx)
        else:
            sectors, group = await _ratios_walked(driver, database, ctx)

        def ratios(region: RegionRef, key: str | None) -> RegionMemberRatios:
            rows = tuple(
                SectorMemberRatio(
                    sector.value,
                    sectors.get((key, sector.value), [0, 0, 0])[0],
                    MemberRatio(*sectors.get((key, sector.value), [0, 0, 0])[1:]),
                )
                for sector in Sector
            )
            neg_ratio = MemberRatio(*group.get(key, [0, 0]))
            parts = [f"{_SECTOR_LABELS[Sector(r.sector)]} {_ratio_text(r.ratio)}" for r in rows]
            parts.append(f"新就业群体 {_ratio_text(neg_ratio)}")
            summary = f"{region.name}：" + "；".join(parts)
            return RegionMemberRatios(region, rows, neg_ratio, summary)

        return MemberRatios(
            scope=ctx.scope,
            total=ratios(ctx.scope.region, None),
            by_region=tuple(ratios(ref, ref.id) for ref in ctx.count_regions),
        )

    return await _cached(ctx.run, _key(ctx, "member_ratios"), compute)


_Ratios = tuple[dict[tuple[str | None, str | None], list[int]], dict[str | None, list[int]]]


async def _ratios_walked(driver: AsyncDriver, database: str, ctx: _Context) -> _Ratios:
    params = _params(ctx)
    (by_sector, _, _), (neg, _, _) = await asyncio.gather(
        driver.execute_query(
            MEMBER_RATIO_BY_SECTOR[ctx.everywhere], params, database_=database, routing_="r"
        ),
        driver.execute_query(
            MEMBER_RATIO_NEW_EMPLOYMENT[ctx.everywhere],
            params,
            occupations=sorted(NEW_EMPLOYMENT_OCCUPATIONS),
            database_=database,
            routing_="r",
        ),
    )
    sectors: dict[tuple[str | None, str | None], list[int]] = {}
    group: dict[str | None, list[int]] = {}
    for r in by_sector[0]["rows"]:
        for group_id in {r["group_id"], None}:
            for tally in r["tallies"]:
                totals = sectors.setdefault((group_id, tally["sector"]), [0, 0, 0])
                totals[0] += tally["organizations"]
                totals[1] += tally["members"]
                totals[2] += tally["employees"]
    for r in neg[0]["rows"]:
        for group_id in {r["group_id"], None}:
            people = group.setdefault(group_id, [0, 0])
            people[0] += r["members"]
            people[1] += r["people"]
    return sectors, group


async def _ratios_tallied(driver: AsyncDriver, ctx: _Context) -> _Ratios:
    measures = ("organizations", "members", "employees")
    new_employment = (tallies.NEW_EMPLOYMENT_MEMBERS, tallies.NEW_EMPLOYMENT_PEOPLE)
    kept = await _read_tallies(
        driver, ctx, [*(tallies.key(m, "") for m in measures), *new_employment]
    )
    sectors: dict[tuple[str | None, str | None], list[int]] = {}
    group: dict[str | None, list[int]] = {}
    counted = {ref.id for ref in ctx.count_regions}
    for region_id, counts in kept.items():
        # The scope is the whole (None), and a count region too when counted at its level.
        group_ids: list[str | None] = [region_id] if region_id in counted else []
        if region_id == ctx.scope.region.id:
            group_ids.append(None)
        for key, count in counts.items():
            measure, of = tallies.split(key)
            for group_id in group_ids:
                if key in new_employment:
                    group.setdefault(group_id, [0, 0])[new_employment.index(key)] += count
                else:
                    totals = sectors.setdefault((group_id, _sector(of)), [0, 0, 0])
                    totals[measures.index(measure)] += count
    return sectors, group


def _ratio_text(ratio: MemberRatio) -> str:
    percent = ratio.percent
    return f"{ratio.fraction}（{'—' if percent is None else f'{percent:.2f}%'}）"


# --- blank areas -------------------------------------------------------------------------------


async def _blank_areas(
    driver: AsyncDriver, database: str, ctx: _Context, level: RegionLevel, window: _Window
) -> BlankAreas:
    async def compute() -> BlankAreas:
        if ctx.from_tallies:
            return await _blank_areas_tallied(driver, ctx, level, window)
        records, _, _ = await driver.execute_query(
            BLANK_AREAS[ctx.everywhere],
            {**_params(ctx), **window.params()},
            level=level.value,
            rank=level.rank,
            database_=database,
            routing_="r",
        )
        record = records[0]
        counts, outside = _counts(ctx.count_regions, record["group_ids"])
        items = sorted(record["items"], key=lambda row: str(row[0]))
        return BlankAreas(
            scope=ctx.scope,
            level=level,
            areas=record["areas"],
            items=tuple(_blank_item(row, level) for row in items),
            page=window.page(record["total"], len(items)),
            counts=counts,
            outside_count_level=outside,
        )

    return await _cached(ctx.run, _key(ctx, "blank_areas", level, window), compute)


async def _blank_areas_tallied(
    driver: AsyncDriver, ctx: _Context, level: RegionLevel, window: _Window
) -> BlankAreas:
    keys = (tallies.areas(level), tallies.blank(level))
    kept, (records, _, _) = await asyncio.gather(
        _read_tallies(driver, ctx, keys),
        driver.execute_query(
            BLANK_PAGE,
            _limit(window),
            as_of=ctx.scope.as_of,
            level=level.value,
            database_=ctx.database,
            routing_="r",
        ),
    )
    whole = kept.get(ctx.scope.region.id, Counter())
    total = whole[keys[1]]
    counts, outside = _tallied_counts(ctx.count_regions, total, kept, keys[1:])
    items = sorted(records[0]["items"], key=lambda row: str(row[0]))
    return BlankAreas(
        scope=ctx.scope,
        level=level,
        areas=whole[keys[0]],
        items=tuple(_blank_item(row, level) for row in items),
        page=window.page(total, len(items)),
        counts=counts,
        outside_count_level=outside,
    )


def _blank_item(row: Sequence[Any], level: RegionLevel) -> BlankArea:
    area_id, name, parent_id, parent_name, parent_level = row[:5]
    population, households, residents, lapsed_rows = row[5:]
    region = RegionRef(area_id, name, level.value)
    parent = RegionRef(parent_id, parent_name, parent_level) if parent_id is not None else None
    lapsed = tuple(_lapsed(po) for po in sorted(lapsed_rows, key=lambda po: str(po[0])))
    where = f"{parent.name}{region.name}" if parent else region.name
    numbers = [f"登记居民 {residents} 人"]
    if population is not None:
        numbers.append(f"常住人口 {population} 人")
    if households is not None:
        numbers.append(f"{households} 户")
    reason = f"{where}：无党员居住、无有效党组织（{'，'.join(numbers)}）{_lapsed_text(lapsed)}"
    return BlankArea(
        region=region,
        parent=parent,
        population=population,
        households=households,
        residents=residents,
        lapsed_party_orgs=lapsed,
        reason=reason,
    )


def _lapsed(row: Sequence[Any]) -> PartyOrgRef:
    """A party organisation as ``[id, name, valid_to]``."""
    po_id, name, valid_to = row
    return PartyOrgRef(po_id, name, None, valid_to.to_native() if valid_to is not None else None)


# --- unclear affiliation -----------------------------------------------------------------------


async def _unclear(
    driver: AsyncDriver, database: str, ctx: _Context, window: _Window
) -> UnclearAffiliations:
    async def compute() -> UnclearAffiliations:
        records, _, _ = await driver.execute_query(
            UNCLEAR_AFFILIATIONS[ctx.everywhere],
            _params(ctx),
            levels=[level.value for level in RegionLevel],
            database_=database,
            routing_="r",
        )
        record = records[0]
        top = _party_org(record["top"]) if record["top"] else None
        gaps = record["gaps"]  # by id; a few per street, all built for the counts' sake
        counts, outside = _counts(ctx.count_regions, [g["group_id"] for g in gaps])
        end = None if window.first is None else window.offset + window.first
        items = tuple(_unclear_item(g, top) for g in gaps[window.offset : end])
        return UnclearAffiliations(
            scope=ctx.scope,
            top=top,
            top_candidates=tuple(_party_org(po) for po in record["top_candidates"]),
            items=items,
            page=window.page(len(gaps), len(items)),
            counts=counts,
            outside_count_level=outside,
        )

    return await _cached(ctx.run, _key(ctx, "unclear_affiliations", window), compute)


def _unclear_item(gap: dict[str, Any], top: PartyOrgRef | None) -> UnclearAffiliation:
    party_org = _party_org(gap)
    parent = _party_org(gap["parent"]) if gap["parent"] else None
    numbers = (
        f"党员 {gap['members']} 名，下级党组织 {gap['subordinates']} 个，"
        f"组建或覆盖单位 {gap['organizations']} 个"
    )
    if parent is None:
        problem = AffiliationProblem.NO_PARENT
        beside = f"（顶层党组织为 {top.name}）" if top else "（没有唯一的顶层党组织）"
        reason = f"{party_org.name} 无上级党组织{beside}；{numbers}"
    else:
        problem = AffiliationProblem.INACTIVE_PARENT
        lapse = f"{parent.name} 已于 {parent.valid_to} 到期"
        reason = f"{party_org.name} 的上级党组织 {lapse}；{numbers}"
    return UnclearAffiliation(
        party_org=party_org,
        region=_region(gap["region"]),
        problem=problem,
        parent=parent,
        members=gap["members"],
        subordinates=gap["subordinates"],
        organizations=gap["organizations"],
        reason=reason,
    )


# --- skill and resource gaps -------------------------------------------------------------------


def _street_params(ctx: _Context) -> dict[str, Any]:
    return {"region_id": ctx.scope.region.id, "as_of": ctx.scope.as_of}


def _street_counts(
    ctx: _Context, streets: _Streets, gaps: dict[str, int]
) -> tuple[RegionCount, ...]:
    """Gaps per region at the count level, or per street when counting below street level."""
    if ctx.scope.count_level.rank > RegionLevel.STREET.rank:
        return tuple(RegionCount(ref, gaps.get(ref.id, 0)) for ref, _ in streets.streets)
    tally: Counter[str | None] = Counter()
    for ref, group_id in streets.streets:
        tally[group_id] += gaps.get(ref.id, 0)
    return tuple(RegionCount(ref, tally.get(ref.id, 0)) for ref in ctx.count_regions)


def _demands(values: Iterable[dict[str, Any]]) -> tuple[DemandRef, ...]:
    return tuple(DemandRef(d["id"], d["title"]) for d in values)


async def _skill_gaps(
    driver: AsyncDriver, database: str, ctx: _Context, streets: _Streets
) -> SkillGaps:
    async def compute() -> SkillGaps:
        records, _, _ = await driver.execute_query(
            SKILL_GAPS[ctx.everywhere], _street_params(ctx), database_=database, routing_="r"
        )
        found = {r["street"]: r for r in records[0]["rows"]}
        answers = []
        for street, _ in streets.streets:
            record = found.get(street.id)
            if record is None:  # no open demand in the street
                answers.append(StreetSkillGaps(street, 0, ()))
                continue
            gaps = sorted(record["gaps"], key=lambda g: str(g["skill"]["id"]))
            answers.append(
                StreetSkillGaps(
                    street, record["open_demands"], tuple(_skill_gap(street, g) for g in gaps)
                )
            )
        counts = _street_counts(ctx, streets, {a.street.id: len(a.gaps) for a in answers})
        return SkillGaps(scope=ctx.scope, streets=tuple(answers), counts=counts)

    return await _cached(ctx.run, _key(ctx, "skill_gaps"), compute)


def _skill_gap(street: RegionRef, gap: dict[str, Any]) -> SkillGap:
    demands = _demands(gap["demands"])
    holders = gap["holders"]
    elsewhere = f"街道外共有 {holders} 人具备" if holders else "所有登记人员中无人具备"
    reason = (
        f"{street.name} 的 {len(demands)} 项待派单诉求需要「{gap['skill']['name']}」，"
        f"街道内居住或报到的人员无人具备；{elsewhere}"
    )
    return SkillGap(gap["skill"]["id"], gap["skill"]["name"], demands, holders, reason)


async def _resource_gaps(
    driver: AsyncDriver, database: str, ctx: _Context, streets: _Streets
) -> ResourceGaps:
    async def compute() -> ResourceGaps:
        if ctx.tallied:
            records = await _resource_gaps_tallied(driver, ctx)
        else:
            records, _, _ = await driver.execute_query(
                RESOURCE_GAPS[ctx.everywhere],
                _street_params(ctx),
                radius=NEARBY_RADIUS_M,
                database_=database,
                routing_="r",
            )
        found = {r["street"]: r for r in records[0]["rows"]}
        answers = []
        for street, _ in streets.streets:
            record = found.get(street.id)
            if record is None:  # no open demand in the street
                answers.append(StreetResourceGaps(street, 0, ()))
                continue
            gaps = tuple(_resource_gap(street, g) for g in record["gaps"])
            answers.append(StreetResourceGaps(street, record["open_demands"], gaps))
        counts = _street_counts(ctx, streets, {a.street.id: len(a.gaps) for a in answers})
        return ResourceGaps(scope=ctx.scope, streets=tuple(answers), counts=counts)

    return await _cached(ctx.run, _key(ctx, "resource_gaps"), compute)


async def _resource_gaps_tallied(driver: AsyncDriver, ctx: _Context) -> list[Any]:
    """``RESOURCE_GAPS``' records, the streets' resources counted from their tallies."""
    records, _, _ = await driver.execute_query(
        RESOURCE_NEEDS_TALLIED[ctx.everywhere],
        _street_params(ctx),
        database_=ctx.database,
        routing_="r",
    )
    streets = []
    for row in records[0]["rows"]:
        counts: Counter[str] = Counter()
        for key, delta in row["steps"]:
            counts[key] += delta
        # [scenario, tagged, usable, inactive, unshareable, unavailable], as RESOURCE_GAPS has.
        counted = [
            [need["scenario"]]
            + [counts[tallies.resource(m, need["scenario"])] for m in tallies.RESOURCE_MEASURES]
            for need in row["needs"]
        ]
        streets.append(
            {
                "street": row["street"],
                "open_demands": row["open_demands"],
                "needs": row["needs"],
                "tallies": counted,
            }
        )
    records, _, _ = await driver.execute_query(
        RESOURCE_GAPS_FROM_TALLIES,
        streets=streets,
        as_of=ctx.scope.as_of,
        radius=NEARBY_RADIUS_M,
        database_=ctx.database,
        routing_="r",
    )
    return records


def _resource_gap(street: RegionRef, gap: dict[str, Any]) -> ResourceGap:
    demands = _demands(gap["demands"])
    nearest = gap["nearest"]
    nearby = (
        NearbyResource(
            nearest["id"], nearest["name"], nearest["region"], round(nearest["distance"], 1)
        )
        if nearest
        else None
    )
    reason = (
        f"{street.name} 的 {len(demands)} 项待派单诉求属于「{gap['scenario']}」场景，"
        "街道内没有可用的对应资源"
    )
    if gap["tagged"]:
        why = [
            f"{n} 项{label}"
            for n, label in (
                (gap["unshareable"], "不可共享"),
                (gap["unavailable"], "状态不可用"),
                (gap["inactive"], "不在可用期内"),
            )
            if n
        ]
        reason += f"（有相关资源 {gap['tagged']} 项：{'、'.join(why)}）"
    radius_km = f"{NEARBY_RADIUS_M / 1000:g}"
    if nearby is None:
        reason += f"；{radius_km} 公里内也没有可用的"
    else:
        reason += (
            f"；{radius_km} 公里内有 {gap['nearby']} 项可用，最近的是 {nearby.name}"
            f"（{nearby.region_name or '—'}，{nearby.distance_m / 1000:.1f} 公里）"
        )
    return ResourceGap(
        scenario=gap["scenario"],
        demands=demands,
        tagged_in_street=gap["tagged"],
        inactive=gap["inactive"],
        unshareable=gap["unshareable"],
        unavailable=gap["unavailable"],
        usable_nearby=gap["nearby"],
        nearest_usable=nearby,
        reason=reason,
    )


# --- marginal units ----------------------------------------------------------------------------


async def _marginal(
    driver: AsyncDriver, database: str, ctx: _Context, window: _Window
) -> MarginalUnits:
    async def compute() -> MarginalUnits:
        if ctx.from_tallies:
            return await _marginal_tallied(driver, ctx, window)
        records, _, _ = await driver.execute_query(
            MARGINAL_UNITS[ctx.everywhere],
            {**_params(ctx), **window.params()},
            database_=database,
            routing_="r",
        )
        record = records[0]
        counts, outside = _counts(ctx.count_regions, record["group_ids"])
        items = sorted(record["items"], key=lambda g: str(g["id"]))
        return MarginalUnits(
            scope=ctx.scope,
            units=record["units"],
            items=tuple(_marginal_item(g) for g in items),
            page=window.page(record["total"], len(items)),
            counts=counts,
            outside_count_level=outside,
        )

    return await _cached(ctx.run, _key(ctx, "marginal_units", window), compute)


async def _marginal_tallied(driver: AsyncDriver, ctx: _Context, window: _Window) -> MarginalUnits:
    kept, (records, _, _) = await asyncio.gather(
        _read_tallies(driver, ctx, (tallies.UNITS, tallies.MARGINAL)),
        driver.execute_query(
            MARGINAL_PAGE,
            _limit(window),
            as_of=ctx.scope.as_of,
            database_=ctx.database,
            routing_="r",
        ),
    )
    whole = kept.get(ctx.scope.region.id, Counter())
    total = whole[tallies.MARGINAL]
    counts, outside = _tallied_counts(ctx.count_regions, total, kept, (tallies.MARGINAL,))
    items = sorted(records[0]["items"], key=lambda g: str(g["id"]))
    return MarginalUnits(
        scope=ctx.scope,
        units=whole[tallies.UNITS],
        items=tuple(_marginal_item(g) for g in items),
        page=window.page(total, len(items)),
        counts=counts,
        outside_count_level=outside,
    )


def _marginal_item(gap: dict[str, Any]) -> MarginalUnit:
    partner = UnitRef(gap["partner"]["id"], gap["partner"]["name"]) if gap["partner"] else None
    agreements = tuple(
        AgreementRef(a["id"], a["name"], bool(a["with_partner"])) for a in gap["agreements"]
    )
    shared = tuple(UnitRef(res["id"], res["name"]) for res in gap["shared_resources"])
    numbers = (
        f"有效共建协议 {len(agreements)} 个，关联党员 {gap['members']} 名，"
        f"有效资源 {gap['resources']} 项"
    )
    if partner is None:
        reason = f"{gap['name']} 与其他单位没有任何有效横向联系（{numbers}）"
    else:
        via = [
            f"{n} {label}"
            for n, label in (
                (sum(a.with_partner for a in agreements), "个共建协议"),
                (gap["shared_members"], "名共同党员"),
                (len(shared), "项共享资源"),
            )
            if n
        ]
        reason = f"{gap['name']} 只与 {partner.name} 有横向联系（经 {'、'.join(via)}；{numbers}）"
    return MarginalUnit(
        id=gap["id"],
        name=gap["name"],
        kind="party_org" if gap["label"] == "PartyOrg" else "organization",
        category=gap["category"],
        region=_region(gap["region"]),
        partner=partner,
        agreements=agreements,
        linked_members=gap["members"],
        shared_members=gap["shared_members"],
        resources=gap["resources"],
        shared_resources=shared,
        reason=reason,
    )
