"""Whether an upload stays inside a coordinator's region subtree (docs/security.md).

A coordinator loads data for its own region and below, and nothing else: every row must
place its entity inside the subtree, and must not name an entity that already exists
outside it (a row would move it in, or overwrite it). The rules, per table:

- regions: the parent is in the subtree (or an accepted region of the same upload);
- organizations, party_orgs, resources, demands: ``region_id`` is in the subtree;
- people: ``residence_region_id`` is in the subtree;
- skills: never (the taxonomy is the whole city's: admins load it);
- agreements: every party is a unit of the subtree (accepted here, or existing inside);
- person_skills, resource_usages: the person, resp. the resource, is of the subtree.

An existing entity lies inside when it sits (``IN_REGION``) or, for a person, resides
(``RESIDES_IN``) in the subtree; an agreement when all its parties do. The upload route
refuses a dataset with any row outside, listing them, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, LiteralString

from neo4j import Driver

# The ids of a region's subtree (unique index on Region.id, then PART_OF inbound).
SUBTREE: Final = """
MATCH (:Region {id: $region_id})<-[:PART_OF*0..]-(r:Region)
RETURN collect(r.id) AS ids
"""
# Per label: which of $ids exist, and whether each lies in $regions (unique id indexes).
EXISTING: Final[dict[str, LiteralString]] = {
    "regions": "UNWIND $ids AS id MATCH (n:Region {id: id}) RETURN id, n.id IN $regions AS inside",
    "organizations": "UNWIND $ids AS id MATCH (n:Organization {id: id}) "
    "RETURN id, any(x IN [(n)-[:IN_REGION]->(g) | g.id] WHERE x IN $regions) AS inside",
    "party_orgs": "UNWIND $ids AS id MATCH (n:PartyOrg {id: id}) "
    "RETURN id, any(x IN [(n)-[:IN_REGION]->(g) | g.id] WHERE x IN $regions) AS inside",
    "units": "UNWIND $ids AS id MATCH (n:Unit {id: id}) "
    "RETURN id, any(x IN [(n)-[:IN_REGION]->(g) | g.id] WHERE x IN $regions) AS inside",
    "people": "UNWIND $ids AS id MATCH (n:Person {id: id}) "
    "RETURN id, any(x IN [(n)-[:RESIDES_IN]->(g) | g.id] WHERE x IN $regions) AS inside",
    "skills": "UNWIND $ids AS id MATCH (n:Skill {id: id}) RETURN id, false AS inside",
    "resources": "UNWIND $ids AS id MATCH (n:Resource {id: id}) "
    "RETURN id, any(x IN [(n)-[:IN_REGION]->(g) | g.id] WHERE x IN $regions) AS inside",
    "agreements": "UNWIND $ids AS id MATCH (n:Agreement {id: id}) "
    "RETURN id, all(x IN [(n)<-[:PARTY_TO]-(:Unit)-[:IN_REGION]->(g) | g.id] "
    "WHERE x IN $regions) AS inside",
    "demands": "UNWIND $ids AS id MATCH (n:Demand {id: id}) "
    "RETURN id, any(x IN [(n)-[:IN_REGION]->(g) | g.id] WHERE x IN $regions) AS inside",
}
_PLACED_BY: Final = {
    "organizations": "region_id",
    "party_orgs": "region_id",
    "resources": "region_id",
    "demands": "region_id",
    "people": "residence_region_id",
}


@dataclass(frozen=True, slots=True)
class OutsideRow:
    """A row of an upload that reaches outside the uploader's region subtree."""

    table: str
    key: str  # the row's id (or its identifying columns)
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"table": self.table, "key": self.key, "reason": self.reason}


class _Graph:
    def __init__(self, driver: Driver, database: str, regions: set[str]) -> None:
        self.driver, self.database, self.regions = driver, database, regions

    def placed(self, what: str, ids: Iterable[str]) -> dict[str, bool]:
        """Which of ``ids`` exist as ``what``, and whether each lies in the subtree."""
        wanted = sorted({i for i in ids if i})
        if not wanted:
            return {}
        records, _, _ = self.driver.execute_query(
            EXISTING[what],
            ids=wanted,
            regions=sorted(self.regions),
            database_=self.database,
            routing_="r",
        )
        return {r["id"]: bool(r["inside"]) for r in records}


def rows_outside(
    driver: Driver, database: str, region_id: str, tables: dict[str, list[dict[str, Any]]]
) -> list[OutsideRow]:
    """The rows of ``tables`` (validated, parents first) reaching outside ``region_id``'s
    subtree, by the rules of the module docstring; empty when the upload stays inside."""
    records, _, _ = driver.execute_query(
        SUBTREE, region_id=region_id, database_=database, routing_="r"
    )
    graph = _Graph(driver, database, set(records[0]["ids"]))
    out: list[OutsideRow] = []
    accepted: dict[str, set[str]] = {}

    def existing_outside(table: str) -> set[str]:
        rows = tables.get(table, [])
        placed = graph.placed(table, (r["id"] for r in rows))
        return {i for i, inside in placed.items() if not inside}

    regions = set(graph.regions)
    moved = existing_outside("regions")
    for row in tables.get("regions", []):
        if row["id"] in moved or row.get("parent_id") not in regions:
            out.append(OutsideRow("regions", row["id"], "the region is not below your region"))
        else:
            regions.add(row["id"])
    for table, column in _PLACED_BY.items():
        taken = existing_outside(table)
        accepted[table] = set()
        for row in tables.get(table, []):
            if row["id"] in taken:
                out.append(OutsideRow(table, row["id"], "it exists outside your region"))
            elif row.get(column) not in regions:
                out.append(OutsideRow(table, row["id"], f"{column} is not in your region"))
            else:
                accepted[table].add(row["id"])
    for row in tables.get("skills", []):
        out.append(OutsideRow("skills", row["id"], "the skill taxonomy is loaded by admins"))

    units = accepted["organizations"] | accepted["party_orgs"]
    agreements = tables.get("agreements", [])
    taken = existing_outside("agreements")
    unit_inside = graph.placed("units", (p for r in agreements for p in r["party_ids"]))
    for row in agreements:
        strangers = [p for p in row["party_ids"] if p not in units and not unit_inside.get(p)]
        if row["id"] in taken or strangers:
            out.append(OutsideRow("agreements", row["id"], "a party is outside your region"))

    links = tables.get("person_skills", [])
    person_inside = graph.placed("people", (r["person_id"] for r in links))
    for row in links:
        person = row["person_id"]
        if person not in accepted["people"] and not person_inside.get(person):
            key = f"{person}/{row.get('skill_id') or row.get('skill')}"
            out.append(OutsideRow("person_skills", key, "the person is outside your region"))

    usages = tables.get("resource_usages", [])
    resource_inside = graph.placed("resources", (r["resource_id"] for r in usages))
    for row in usages:
        resource = row["resource_id"]
        if resource not in accepted["resources"] and not resource_inside.get(resource):
            key = f"{resource}/{row.get('user_id')}/{row.get('used_on')}"
            out.append(OutsideRow("resource_usages", key, "the resource is outside your region"))
    return out
