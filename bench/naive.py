"""The naive loader of issue #7: one auto-committed ``MERGE`` statement per CSV row.

What a user would otherwise write first: read each contract table (data-contract.md) with
the csv module and, per row, MERGE the node by id and its declared ties, in the contract's
order so that the ends of every tie exist. No validation, no batching, no derived values, no
run bookkeeping: only the writes. ``bench.ingest`` compares its throughput with ``ingest``'s.
Uniqueness constraints are in place (``graph.migrations``), as any user would have them, so
each MERGE is an index seek.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, LiteralString

from neo4j import Driver

# Per table: the statement run once per row, with the row's cells as parameters ($row) and its
# list cells (';'-separated) split ($lists).
STATEMENTS: Final[tuple[tuple[str, LiteralString], ...]] = (
    (
        "regions",
        """
MERGE (r:Region {id: $row.id})
SET r.name = $row.name, r.level = $row.level,
    r.population = toInteger($row.population), r.households = toInteger($row.households),
    r.location = CASE WHEN $row.lat <> '' THEN
      point({latitude: toFloat($row.lat), longitude: toFloat($row.lon)}) END
WITH r WHERE $row.parent_id <> ''
MERGE (p:Region {id: $row.parent_id})
MERGE (r)-[:PART_OF]->(p)
""",
    ),
    (
        "organizations",
        """
MERGE (o:Organization:Unit {id: $row.id})
SET o.name = $row.name, o.kind = $row.kind, o.sector = $row.sector, o.address = $row.address,
    o.employees = toInteger($row.employees),
    o.location = CASE WHEN $row.lat <> '' THEN
      point({latitude: toFloat($row.lat), longitude: toFloat($row.lon)}) END
WITH o
MATCH (r:Region {id: $row.region_id})
MERGE (o)-[:IN_REGION]->(r)
""",
    ),
    (
        "skills",
        """
MERGE (s:Skill {id: $row.id})
SET s.name = $row.name, s.aliases = $lists.aliases
WITH s WHERE $row.parent_id <> ''
MERGE (p:Skill {id: $row.parent_id})
MERGE (s)-[:SUBCATEGORY_OF]->(p)
""",
    ),
    (
        "people",
        """
MERGE (p:Person {id: $row.id})
SET p.name = $row.name, p.gender = $row.gender, p.birth_year = toInteger($row.birth_year),
    p.is_party_member = $row.is_party_member = 'true', p.occupation = $row.occupation,
    p.new_employment_group = $row.new_employment_group = 'true', p.roles = $lists.roles,
    p.joined_on = CASE WHEN $row.joined_on <> '' THEN date($row.joined_on) END
WITH p
CALL (p) {
  MATCH (e:Organization {id: $row.employer_org_id}) MERGE (p)-[:EMPLOYED_BY]->(e)
}
CALL (p) {
  MATCH (r:Region {id: $row.residence_region_id}) MERGE (p)-[:RESIDES_IN]->(r)
}
""",
    ),
    (
        "party_orgs",
        """
MERGE (po:PartyOrg:Unit {id: $row.id})
SET po.name = $row.name, po.type = $row.type,
    po.founded_on = CASE WHEN $row.founded_on <> '' THEN date($row.founded_on) END,
    po.valid_to = CASE WHEN $row.valid_to <> '' THEN date($row.valid_to) END
WITH po
CALL (po) {
  MATCH (r:Region {id: $row.region_id}) MERGE (po)-[:IN_REGION]->(r)
}
CALL (po) {
  MATCH (o:Organization {id: $row.host_org_id}) MERGE (po)-[:SET_UP_IN]->(o)
}
CALL (po) {
  UNWIND $lists.covers_org_ids AS id
  MATCH (o:Organization {id: id}) MERGE (po)-[:COVERS]->(o)
}
CALL (po) {
  WITH po WHERE $row.parent_id <> ''
  MERGE (parent:PartyOrg:Unit {id: $row.parent_id})
  MERGE (po)-[:SUBORDINATE_TO]->(parent)
}
CALL (po) {
  MATCH (s:Person {id: $row.secretary_id}) MERGE (s)-[:SECRETARY_OF]->(po)
}
""",
    ),
    (
        "people",  # the ties to party organisations, once those exist
        """
MATCH (p:Person {id: $row.id})
CALL (p) {
  MATCH (po:PartyOrg {id: $row.party_org_id}) MERGE (p)-[:MEMBER_OF]->(po)
}
CALL (p) {
  MATCH (po:PartyOrg {id: $row.reports_to_party_org_id}) MERGE (p)-[:REPORTS_TO]->(po)
}
""",
    ),
    (
        "person_skills",
        """
MATCH (p:Person {id: $row.person_id})
MATCH (s:Skill) WHERE s.id = $row.skill OR s.name = $row.skill OR $row.skill IN s.aliases
MERGE (p)-[h:HAS_SKILL]->(s)
SET h.level = toInteger($row.level), h.certified = $row.certified = 'true'
""",
    ),
    (
        "resources",
        """
MERGE (res:Resource {id: $row.id})
SET res.name = $row.name, res.kind = $row.kind, res.capacity = toFloat($row.capacity),
    res.capacity_unit = $row.capacity_unit, res.scenarios = $lists.scenarios,
    res.shareable = $row.shareable = 'true', res.status = $row.status,
    res.available_from = CASE WHEN $row.available_from <> '' THEN date($row.available_from) END,
    res.available_to = CASE WHEN $row.available_to <> '' THEN date($row.available_to) END,
    res.location = CASE WHEN $row.lat <> '' THEN
      point({latitude: toFloat($row.lat), longitude: toFloat($row.lon)}) END
WITH res
CALL (res) {
  MATCH (u:Unit {id: $row.owner_id}) MERGE (res)-[:OWNED_BY]->(u)
}
CALL (res) {
  MATCH (r:Region {id: $row.region_id}) MERGE (res)-[:IN_REGION]->(r)
}
""",
    ),
    (
        "agreements",
        """
MERGE (a:Agreement {id: $row.id})
SET a.name = $row.name, a.kind = $row.kind, a.topics = $lists.topics,
    a.signed_on = CASE WHEN $row.signed_on <> '' THEN date($row.signed_on) END,
    a.expires_on = CASE WHEN $row.expires_on <> '' THEN date($row.expires_on) END
WITH a
UNWIND $lists.party_ids AS id
MATCH (u:Unit {id: id})
MERGE (u)-[party:PARTY_TO]->(a)
SET party.lead = id = $row.lead_id
""",
    ),
    (
        "demands",
        """
MERGE (d:Demand {id: $row.id})
SET d.title = $row.title, d.scenario = $row.scenario, d.urgency = toInteger($row.urgency),
    d.affected_people = toInteger($row.affected_people), d.status = $row.status,
    d.created_at = datetime($row.created_at),
    d.resolved_at = CASE WHEN $row.resolved_at <> '' THEN datetime($row.resolved_at) END,
    d.rating = toInteger($row.rating), d.source = $row.source
WITH d
CALL (d) {
  MATCH (r:Region {id: $row.region_id}) MERGE (d)-[:IN_REGION]->(r)
}
CALL (d) {
  UNWIND $lists.required_skills AS skill
  MATCH (s:Skill) WHERE s.id = skill OR s.name = skill OR skill IN s.aliases
  MERGE (d)-[:REQUIRES_SKILL]->(s)
}
CALL (d) {
  UNWIND $lists.assignee_ids AS id
  MATCH (p:Person {id: id}) MERGE (d)-[:ASSIGNED_TO]->(p)
}
CALL (d) {
  UNWIND $lists.resource_ids AS id
  MATCH (res:Resource {id: id}) MERGE (d)-[:USES_RESOURCE]->(res)
}
""",
    ),
    (
        "resource_usages",
        """
MATCH (res:Resource {id: $row.resource_id})
CALL () {
  MATCH (u:Unit {id: $row.user_id}) RETURN u
  UNION
  MATCH (u:Demand {id: $row.user_id}) RETURN u
}
MERGE (u)-[used:USED {used_on: date($row.used_on)}]->(res)
SET used.effect_rating = toInteger($row.effect_rating)
""",
    ),
)
# Cells holding ';'-separated lists.
LISTS: Final = frozenset(
    {
        "aliases",
        "roles",
        "covers_org_ids",
        "scenarios",
        "topics",
        "party_ids",
        "required_skills",
        "assignee_ids",
        "resource_ids",
    }
)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def _split(row: dict[str, str]) -> dict[str, list[str]]:
    return {k: [x for x in (row.get(k) or "").split(";") if x] for k in LISTS}


def naive_load(driver: Driver, database: str, folder: Path, *, budget_s: float) -> dict[str, Any]:
    """Load ``folder``'s CSV tables row by row until done or ``budget_s`` seconds pass; return
    the rows written and the time taken (a load stopped by the budget says so)."""
    started = time.perf_counter()
    rows = 0
    stopped = False
    with driver.session(database=database) as session:
        for table, statement in STATEMENTS:
            for row in _rows(folder / f"{table}.csv"):
                session.run(statement, row=row, lists=_split(row)).consume()
                rows += 1
                if time.perf_counter() - started > budget_s:
                    stopped = True
                    break
            if stopped:
                break
    return {"rows": rows, "seconds": time.perf_counter() - started, "stopped_by_budget": stopped}
