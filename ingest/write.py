"""The write stage of ingest: validated rows → Neo4j, in batched, idempotent transactions.

Each table is written in dependency order. Each batch is one transaction that writes the
rows' nodes, replaces the relationships those rows declare, and stores each row's content
hash, all together: a load killed at any point leaves whole batches, and running it again
skips exactly the rows whose stored hash matches (so an unchanged re-load writes nothing and
a crashed load resumes where it stopped). Every node and relationship written records the
run in ``run_id``.

References are written with ``MATCH`` on the target's constrained id, except for targets of
a known label that may come later in the same load (a region's parent, a party
organisation's parent, a skill's parent, a party organisation's secretary): those are
``MERGE``d as a bare node that the target's own row fills in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, LiteralString

from neo4j import Driver, ManagedTransaction, Transaction
from neo4j.spatial import WGS84Point

from ingest.phones import PhoneVault
from ingest.transactions import Writes

# --- one statement per table: nodes, the relationships the rows declare, the row hash ------
# A row's declared relationships are CREATEd, not MERGEd: a row is written only when it is
# new (so are its relationships) or changed, and a changed row's old relationships are removed
# first, in the same transaction, by the table's REPLACE_* statement below. CREATE takes no
# locking read of the (often dense) target, which MERGE needs.

# regions: the region and its PART_OF parent (placeholder when the parent comes later).
WRITE_REGIONS: Final = """
UNWIND $rows AS row
MERGE (n:Region {id: row.id})
SET n = row.props, n.row_hash = row.hash, n.run_id = $run_id
REMOVE n:Retired
WITH n, row
CALL (n, row) {
  WITH n, row WHERE row.parent_id IS NOT NULL
  MERGE (p:Region {id: row.parent_id})
  CREATE (n)-[:PART_OF {run_id: $run_id}]->(p)
}
"""

# organizations: the unit and the region it sits in.
WRITE_ORGANIZATIONS: Final = """
UNWIND $rows AS row
MERGE (n:Organization {id: row.id})
SET n = row.props, n.row_hash = row.hash, n.run_id = $run_id, n:Unit
REMOVE n:Retired
WITH n, row
MATCH (region:Region {id: row.region_id})
CREATE (n)-[:IN_REGION {run_id: $run_id}]->(region)
"""

# party_orgs: region, parent (管理归属), host organization, covered organizations, secretary.
WRITE_PARTY_ORGS: Final = """
UNWIND $rows AS row
MERGE (n:PartyOrg {id: row.id})
SET n = row.props, n.row_hash = row.hash, n.run_id = $run_id, n:Unit
REMOVE n:Retired
WITH n, row
MATCH (region:Region {id: row.region_id})
CREATE (n)-[:IN_REGION {run_id: $run_id}]->(region)
WITH n, row
CALL (n, row) {
  WITH n, row WHERE row.parent_id IS NOT NULL
  MERGE (p:PartyOrg {id: row.parent_id})
  ON CREATE SET p:Unit
  CREATE (n)-[:SUBORDINATE_TO {run_id: $run_id}]->(p)
}
CALL (n, row) {
  WITH n, row WHERE row.host_org_id IS NOT NULL
  MATCH (o:Organization {id: row.host_org_id})
  CREATE (n)-[:SET_UP_IN {run_id: $run_id}]->(o)
}
CALL (n, row) {
  UNWIND row.covers_org_ids AS covered
  MATCH (o:Organization {id: covered})
  CREATE (n)-[:COVERS {run_id: $run_id}]->(o)
}
CALL (n, row) {
  WITH n, row WHERE row.secretary_id IS NOT NULL
  MERGE (s:Person {id: row.secretary_id})
  CREATE (s)-[:SECRETARY_OF {run_id: $run_id}]->(n)
}
"""

# people: membership, employer, residence, 双报到 reporting.
WRITE_PEOPLE: Final = """
UNWIND $rows AS row
MERGE (n:Person {id: row.id})
SET n = row.props, n.row_hash = row.hash, n.run_id = $run_id
REMOVE n:Retired
WITH n, row
CALL (n, row) {
  WITH n, row WHERE row.party_org_id IS NOT NULL
  MATCH (p:PartyOrg {id: row.party_org_id})
  CREATE (n)-[:MEMBER_OF {run_id: $run_id}]->(p)
}
CALL (n, row) {
  WITH n, row WHERE row.employer_org_id IS NOT NULL
  MATCH (o:Organization {id: row.employer_org_id})
  CREATE (n)-[:EMPLOYED_BY {run_id: $run_id}]->(o)
}
CALL (n, row) {
  WITH n, row WHERE row.residence_region_id IS NOT NULL
  MATCH (g:Region {id: row.residence_region_id})
  CREATE (n)-[:RESIDES_IN {run_id: $run_id}]->(g)
}
CALL (n, row) {
  WITH n, row WHERE row.reports_to_party_org_id IS NOT NULL
  MATCH (p:PartyOrg {id: row.reports_to_party_org_id})
  CREATE (n)-[:REPORTS_TO {run_id: $run_id}]->(p)
}
"""

# skills: the taxonomy, parent placeholder when the parent comes later.
WRITE_SKILLS: Final = """
UNWIND $rows AS row
MERGE (n:Skill {id: row.id})
SET n = row.props, n.row_hash = row.hash, n.run_id = $run_id
REMOVE n:Retired
WITH n, row
CALL (n, row) {
  WITH n, row WHERE row.parent_id IS NOT NULL
  MERGE (p:Skill {id: row.parent_id})
  CREATE (n)-[:SUBCATEGORY_OF {run_id: $run_id}]->(p)
}
"""

# person_skills: one HAS_SKILL relationship per (person, skill).
WRITE_PERSON_SKILLS: Final = """
UNWIND $rows AS row
MATCH (p:Person {id: row.person_id})
MATCH (s:Skill {id: row.skill_id})
MERGE (p)-[r:HAS_SKILL]->(s)
SET r = row.props, r.row_hash = row.hash, r.run_id = $run_id
"""

# resources: owner unit and region.
WRITE_RESOURCES: Final = """
UNWIND $rows AS row
MERGE (n:Resource {id: row.id})
SET n = row.props, n.row_hash = row.hash, n.run_id = $run_id
REMOVE n:Retired
WITH n, row
MATCH (owner:Unit {id: row.owner_id})
MATCH (region:Region {id: row.region_id})
CREATE (n)-[:OWNED_BY {run_id: $run_id}]->(owner)
CREATE (n)-[:IN_REGION {run_id: $run_id}]->(region)
"""

# agreements: every party, the lead marked on its PARTY_TO.
WRITE_AGREEMENTS: Final = """
UNWIND $rows AS row
MERGE (n:Agreement {id: row.id})
SET n = row.props, n.row_hash = row.hash, n.run_id = $run_id
REMOVE n:Retired
WITH n, row
CALL (n, row) {
  UNWIND row.party_ids AS party
  MATCH (u:Unit {id: party})
  CREATE (u)-[:PARTY_TO {lead: party = row.lead_id, run_id: $run_id}]->(n)
}
"""

# demands: region, required skills, assignees, resources used.
WRITE_DEMANDS: Final = """
UNWIND $rows AS row
MERGE (n:Demand {id: row.id})
SET n = row.props, n.row_hash = row.hash, n.run_id = $run_id
REMOVE n:Retired
WITH n, row
MATCH (region:Region {id: row.region_id})
CREATE (n)-[:IN_REGION {run_id: $run_id}]->(region)
WITH n, row
CALL (n, row) {
  UNWIND row.required_skill_ids AS skill
  MATCH (s:Skill {id: skill})
  CREATE (n)-[:REQUIRES_SKILL {run_id: $run_id}]->(s)
}
CALL (n, row) {
  UNWIND row.assignee_ids AS person
  MATCH (p:Person {id: person})
  CREATE (n)-[:ASSIGNED_TO {run_id: $run_id}]->(p)
}
CALL (n, row) {
  UNWIND row.resource_ids AS resource
  MATCH (res:Resource {id: resource})
  CREATE (n)-[:USES_RESOURCE {run_id: $run_id}]->(res)
}
"""

# resource_usages: one USED relationship per (user, resource, date), keyed by a derived id.
WRITE_RESOURCE_USAGES: Final = """
UNWIND $rows AS row
MATCH (res:Resource {id: row.resource_id})
CALL (row) {
  OPTIONAL MATCH (u:Unit {id: row.user_id})
  OPTIONAL MATCH (d:Demand {id: row.user_id})
  RETURN coalesce(u, d) AS user
}
WITH res, user, row WHERE user IS NOT NULL
MERGE (user)-[r:USED {id: row.id}]->(res)
SET r = row.props, r.id = row.id, r.row_hash = row.hash, r.run_id = $run_id
"""

# --- relationship-only tables that held nothing when the load began: every row is new -------
# (the key is unique among valid rows), so CREATE needs no locking look-up of the pair.
FIRST_PERSON_SKILLS: Final = """
UNWIND $rows AS row
MATCH (p:Person {id: row.person_id})
MATCH (s:Skill {id: row.skill_id})
CREATE (p)-[r:HAS_SKILL]->(s)
SET r = row.props, r.row_hash = row.hash, r.run_id = $run_id
"""
FIRST_RESOURCE_USAGES: Final = """
UNWIND $rows AS row
MATCH (res:Resource {id: row.resource_id})
CALL (row) {
  OPTIONAL MATCH (u:Unit {id: row.user_id})
  OPTIONAL MATCH (d:Demand {id: row.user_id})
  RETURN coalesce(u, d) AS user
}
WITH res, user, row WHERE user IS NOT NULL
CREATE (user)-[r:USED]->(res)
SET r = row.props, r.id = row.id, r.row_hash = row.hash, r.run_id = $run_id
"""

# --- a changed row's declared relationships, removed before it is written again --------------
REPLACE_REGIONS: Final = "UNWIND $ids AS id MATCH (:Region {id: id})-[old:PART_OF]->() DELETE old"
REPLACE_ORGANIZATIONS: Final = (
    "UNWIND $ids AS id MATCH (:Organization {id: id})-[old:IN_REGION]->() DELETE old"
)
REPLACE_PARTY_ORGS: Final = """
UNWIND $ids AS id
MATCH (n:PartyOrg {id: id})
CALL (n) {
  MATCH (n)-[old:IN_REGION|SUBORDINATE_TO|SET_UP_IN|COVERS]->() DELETE old
}
CALL (n) {
  MATCH (n)<-[old:SECRETARY_OF]-() DELETE old
}
"""
REPLACE_PEOPLE: Final = (
    "UNWIND $ids AS id MATCH (:Person {id: id})"
    "-[old:MEMBER_OF|EMPLOYED_BY|RESIDES_IN|REPORTS_TO]->() DELETE old"
)
REPLACE_SKILLS: Final = (
    "UNWIND $ids AS id MATCH (:Skill {id: id})-[old:SUBCATEGORY_OF]->() DELETE old"
)
REPLACE_RESOURCES: Final = (
    "UNWIND $ids AS id MATCH (:Resource {id: id})-[old:OWNED_BY|IN_REGION]->() DELETE old"
)
REPLACE_AGREEMENTS: Final = (
    "UNWIND $ids AS id MATCH (:Agreement {id: id})<-[old:PARTY_TO]-() DELETE old"
)
REPLACE_DEMANDS: Final = (
    "UNWIND $ids AS id MATCH (:Demand {id: id})"
    "-[old:IN_REGION|REQUIRES_SKILL|ASSIGNED_TO|USES_RESOURCE]->() DELETE old"
)

# --- stored hashes, to skip rows whose content did not change (one lookup per batch) --------
# Every row written before answers, retired ones with no hash (so they are written again, and
# their old relationships replaced); placeholders, never written by their own row, do not.
HASHES_REGIONS: Final = (
    "UNWIND $ids AS id MATCH (n:Region {id: id}) WHERE n.row_hash IS NOT NULL "
    "RETURN n.id AS key, CASE WHEN n:Retired THEN null ELSE n.row_hash END AS hash"
)
HASHES_ORGANIZATIONS: Final = (
    "UNWIND $ids AS id MATCH (n:Organization {id: id}) WHERE n.row_hash IS NOT NULL "
    "RETURN n.id AS key, CASE WHEN n:Retired THEN null ELSE n.row_hash END AS hash"
)
HASHES_PARTY_ORGS: Final = (
    "UNWIND $ids AS id MATCH (n:PartyOrg {id: id}) WHERE n.row_hash IS NOT NULL "
    "RETURN n.id AS key, CASE WHEN n:Retired THEN null ELSE n.row_hash END AS hash"
)
HASHES_PEOPLE: Final = (
    "UNWIND $ids AS id MATCH (n:Person {id: id}) WHERE n.row_hash IS NOT NULL "
    "RETURN n.id AS key, CASE WHEN n:Retired THEN null ELSE n.row_hash END AS hash"
)
HASHES_SKILLS: Final = (
    "UNWIND $ids AS id MATCH (n:Skill {id: id}) WHERE n.row_hash IS NOT NULL "
    "RETURN n.id AS key, CASE WHEN n:Retired THEN null ELSE n.row_hash END AS hash"
)
HASHES_RESOURCES: Final = (
    "UNWIND $ids AS id MATCH (n:Resource {id: id}) WHERE n.row_hash IS NOT NULL "
    "RETURN n.id AS key, CASE WHEN n:Retired THEN null ELSE n.row_hash END AS hash"
)
HASHES_AGREEMENTS: Final = (
    "UNWIND $ids AS id MATCH (n:Agreement {id: id}) WHERE n.row_hash IS NOT NULL "
    "RETURN n.id AS key, CASE WHEN n:Retired THEN null ELSE n.row_hash END AS hash"
)
HASHES_DEMANDS: Final = (
    "UNWIND $ids AS id MATCH (n:Demand {id: id}) WHERE n.row_hash IS NOT NULL "
    "RETURN n.id AS key, CASE WHEN n:Retired THEN null ELSE n.row_hash END AS hash"
)
HASHES_PERSON_SKILLS: Final = """
UNWIND $ids AS key
MATCH (:Person {id: split(key, '|')[0]})-[r:HAS_SKILL]->(:Skill {id: split(key, '|')[1]})
WHERE r.retired_run IS NULL
RETURN key, r.row_hash AS hash
"""
HASHES_RESOURCE_USAGES: Final = (
    "UNWIND $ids AS id MATCH ()-[r:USED {id: id}]->() WHERE r.retired_run IS NULL "
    "RETURN r.id AS key, r.row_hash AS hash"
)


# --- every stored hash of a table, read once before a re-load ---------------------------------
# Pages in key order (the id constraint's index gives it), each page one record of lists: the
# driver spends far more on a record than on a list item. Each returns the page's keys and
# hashes ('' for none), how many entries the page walked and the key to continue after.
_HASH_PAGE: Final = (
    " AND NOT n:Retired WITH n ORDER BY n.id LIMIT $size"
    " RETURN collect(n.id) AS keys, collect(coalesce(n.row_hash, '')) AS hashes,"
    " count(n) AS walked, max(n.id) AS last"
)
ALL_HASHES_REGIONS: Final = "MATCH (n:Region) WHERE n.id > $after" + _HASH_PAGE
ALL_HASHES_ORGANIZATIONS: Final = "MATCH (n:Organization) WHERE n.id > $after" + _HASH_PAGE
ALL_HASHES_PARTY_ORGS: Final = "MATCH (n:PartyOrg) WHERE n.id > $after" + _HASH_PAGE
ALL_HASHES_PEOPLE: Final = "MATCH (n:Person) WHERE n.id > $after" + _HASH_PAGE
ALL_HASHES_SKILLS: Final = "MATCH (n:Skill) WHERE n.id > $after" + _HASH_PAGE
ALL_HASHES_RESOURCES: Final = "MATCH (n:Resource) WHERE n.id > $after" + _HASH_PAGE
ALL_HASHES_AGREEMENTS: Final = "MATCH (n:Agreement) WHERE n.id > $after" + _HASH_PAGE
ALL_HASHES_DEMANDS: Final = "MATCH (n:Demand) WHERE n.id > $after" + _HASH_PAGE
# A page of people, with the skills each holds.
ALL_HASHES_PERSON_SKILLS: Final = """
MATCH (p:Person) WHERE p.id > $after
WITH p ORDER BY p.id LIMIT $size
WITH collect(p) AS page
CALL (page) {
  UNWIND page AS p
  MATCH (p)-[r:HAS_SKILL]->(s:Skill) WHERE r.retired_run IS NULL
  RETURN collect(p.id + '|' + s.id) AS keys, collect(coalesce(r.row_hash, '')) AS hashes
}
RETURN keys, hashes, size(page) AS walked, page[-1].id AS last
"""
ALL_HASHES_RESOURCE_USAGES: Final = """
MATCH ()-[r:USED]->() WHERE r.id > $after AND r.retired_run IS NULL
WITH r ORDER BY r.id LIMIT $size
RETURN collect(r.id) AS keys, collect(coalesce(r.row_hash, '')) AS hashes,
       count(r) AS walked, max(r.id) AS last
"""
HASH_PAGE_SIZE: Final = 100_000


@dataclass(frozen=True, slots=True)
class TableWrite:
    """How one contract table is written."""

    table: str
    write: LiteralString
    hashes: LiteralString
    # Removes a changed row's declared relationships (None: the row is the relationship).
    replace: LiteralString | None
    # Every stored hash of the table, to drop unchanged rows before any write transaction.
    all_hashes: LiteralString
    # Columns that become relationships (passed beside the properties, not stored on the node).
    refs: tuple[str, ...]
    # Builds the row's key (its id, or a composite for relationship-only tables).
    key: Callable[[dict[str, Any]], str]
    elements_per_row: Callable[[dict[str, Any]], int]
    # Writes a table that held nothing when the load began (None: ``write`` does).
    first: LiteralString | None = None


def _by_id(row: dict[str, Any]) -> str:
    return str(row["id"])


def _person_skill_key(row: dict[str, Any]) -> str:
    return f"{row['person_id']}|{row['skill_id']}"


def usage_id(row: dict[str, Any]) -> str:
    """A usage has no id in the contract: derive a stable one from what identifies it."""
    text = f"{row['resource_id']}|{row['user_id']}|{row['used_on']}"
    return "U-" + hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:20]


def _count(*columns: str, multi: tuple[str, ...] = ()) -> Callable[[dict[str, Any]], int]:
    def count(row: dict[str, Any]) -> int:
        single = sum(1 for c in columns if row.get(c) is not None)
        return 1 + single + sum(len(row.get(c) or ()) for c in multi)

    return count


# Dependency order: every MATCHed target is written by an earlier table.
TABLES: Final[tuple[TableWrite, ...]] = (
    TableWrite(
        "regions",
        WRITE_REGIONS,
        HASHES_REGIONS,
        REPLACE_REGIONS,
        ALL_HASHES_REGIONS,
        ("parent_id",),
        _by_id,
        _count("parent_id"),
    ),
    TableWrite(
        "skills",
        WRITE_SKILLS,
        HASHES_SKILLS,
        REPLACE_SKILLS,
        ALL_HASHES_SKILLS,
        ("parent_id",),
        _by_id,
        _count("parent_id"),
    ),
    TableWrite(
        "organizations",
        WRITE_ORGANIZATIONS,
        HASHES_ORGANIZATIONS,
        REPLACE_ORGANIZATIONS,
        ALL_HASHES_ORGANIZATIONS,
        ("region_id",),
        _by_id,
        _count("region_id"),
    ),
    TableWrite(
        "party_orgs",
        WRITE_PARTY_ORGS,
        HASHES_PARTY_ORGS,
        REPLACE_PARTY_ORGS,
        ALL_HASHES_PARTY_ORGS,
        ("region_id", "parent_id", "host_org_id", "covers_org_ids", "secretary_id"),
        _by_id,
        _count("region_id", "parent_id", "host_org_id", "secretary_id", multi=("covers_org_ids",)),
    ),
    TableWrite(
        "people",
        WRITE_PEOPLE,
        HASHES_PEOPLE,
        REPLACE_PEOPLE,
        ALL_HASHES_PEOPLE,
        ("party_org_id", "employer_org_id", "residence_region_id", "reports_to_party_org_id"),
        _by_id,
        _count("party_org_id", "employer_org_id", "residence_region_id", "reports_to_party_org_id"),
    ),
    TableWrite(
        "person_skills",
        WRITE_PERSON_SKILLS,
        HASHES_PERSON_SKILLS,
        None,
        ALL_HASHES_PERSON_SKILLS,
        ("person_id", "skill_id", "skill"),
        _person_skill_key,
        lambda _row: 1,
        FIRST_PERSON_SKILLS,
    ),
    TableWrite(
        "resources",
        WRITE_RESOURCES,
        HASHES_RESOURCES,
        REPLACE_RESOURCES,
        ALL_HASHES_RESOURCES,
        ("owner_id", "region_id"),
        _by_id,
        _count("owner_id", "region_id"),
    ),
    TableWrite(
        "agreements",
        WRITE_AGREEMENTS,
        HASHES_AGREEMENTS,
        REPLACE_AGREEMENTS,
        ALL_HASHES_AGREEMENTS,
        ("party_ids", "lead_id"),
        _by_id,
        _count(multi=("party_ids",)),
    ),
    TableWrite(
        "demands",
        WRITE_DEMANDS,
        HASHES_DEMANDS,
        REPLACE_DEMANDS,
        ALL_HASHES_DEMANDS,
        ("region_id", "required_skills", "required_skill_ids", "assignee_ids", "resource_ids"),
        _by_id,
        _count("region_id", multi=("required_skill_ids", "assignee_ids", "resource_ids")),
    ),
    TableWrite(
        "resource_usages",
        WRITE_RESOURCE_USAGES,
        HASHES_RESOURCE_USAGES,
        None,
        ALL_HASHES_RESOURCE_USAGES,
        ("resource_id", "user_id"),
        usage_id,  # the key is derived from the row, so raw rows have it too
        lambda _row: 1,
        FIRST_RESOURCE_USAGES,
    ),
)
TABLE_ORDER: Final[tuple[str, ...]] = tuple(t.table for t in TABLES)


def row_hash(row: dict[str, Any]) -> str:
    """A digest of a normalized row's content: equal rows, equal hashes, across runs."""
    text = json.dumps(row, sort_keys=True, ensure_ascii=False, default=_json_default)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _properties(spec: TableWrite, row: dict[str, Any], vault: PhoneVault | None) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for key, value in row.items():
        if key in spec.refs or value is None:
            continue
        if key == "extra":
            # Extra columns kept with --keep-extra: flat, prefixed, never clashing.
            props.update({f"x_{name}": text for name, text in value.items()})
        elif key == "aliases":
            props["aliases"] = value
            props["aliases_text"] = " ".join(value)  # full-text indexes take strings
        elif key == "phone":
            if vault is not None:
                props.update({k: v for k, v in vault.protect(str(value)).items() if v})
        else:
            props[key] = value
    if row.get("lat") is not None and row.get("lon") is not None:
        props["location"] = WGS84Point((row["lon"], row["lat"]))
    return props


@dataclass(frozen=True, slots=True)
class Prepared:
    key: str
    hash: str
    payload: dict[str, Any]
    elements: int
    unchanged: bool = False  # the stored hash already matches: nothing to send


def prepare(
    spec: TableWrite,
    rows: Iterable[dict[str, Any]],
    vault: PhoneVault | None,
    stored: Mapping[str, str | None] | None = None,
) -> Iterator[Prepared]:
    """Turn normalized rows into write payloads: properties, references, content hash.

    A row whose hash equals its ``stored`` one comes back marked ``unchanged``, without a
    payload (its properties, and any phone encryption, are never computed).
    """
    for source in rows:
        row = dict(source)
        if spec.table == "resource_usages":
            row["id"] = usage_id(row)
        digest = row_hash(row)
        key = spec.key(source)
        if stored is not None and stored.get(key) == digest:
            yield Prepared(key, digest, {}, 0, unchanged=True)
            continue
        # Absent references stay null: Cypher's UNWIND of null yields no rows. A list names
        # each target once, as its relationships are CREATEd (two names of one skill, say).
        payload: dict[str, Any] = {ref: _once(row.get(ref)) for ref in spec.refs}
        payload["hash"] = digest
        payload["props"] = _properties(spec, row, vault)
        if "id" in row:
            payload["id"] = row["id"]
            payload["props"]["id"] = row["id"]
        yield Prepared(key, digest, payload, spec.elements_per_row(row))


def _once(value: Any) -> Any:
    return list(dict.fromkeys(value)) if isinstance(value, list) else value


def batches(items: Iterable[Prepared], size: int) -> Iterator[list[Prepared]]:
    batch: list[Prepared] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(slots=True)
class TableOutcome:
    table: str
    rows: int = 0
    written: int = 0
    skipped: int = 0
    elements: int = 0


# How many rows of each table the database already holds (count store: no scan). A table
# with none needs no hash lookups, which makes a first load cheaper.
STORED_COUNTS: Final = """
RETURN COUNT { (:Region) } AS regions, COUNT { (:Skill) } AS skills,
       COUNT { (:Organization) } AS organizations, COUNT { (:PartyOrg) } AS party_orgs,
       COUNT { (:Person) } AS people, COUNT { ()-[:HAS_SKILL]->() } AS person_skills,
       COUNT { (:Resource) } AS resources, COUNT { (:Agreement) } AS agreements,
       COUNT { (:Demand) } AS demands, COUNT { ()-[:USED]->() } AS resource_usages
"""


def stored_tables(driver: Driver, database: str) -> set[str]:
    """The tables of which the database holds at least one node or relationship."""
    records, _, _ = driver.execute_query(STORED_COUNTS, database_=database, routing_="r")
    return {table for table, count in records[0].data().items() if count}


def stored_hashes(
    driver: Driver, database: str, spec: TableWrite, *, page_size: int = HASH_PAGE_SIZE
) -> dict[str, str | None]:
    """Every stored row hash of ``spec``'s table, keyed like ``TableWrite.key``."""
    found: dict[str, str | None] = {}
    after = ""
    while True:
        records, _, _ = driver.execute_query(
            spec.all_hashes, after=after, size=page_size, database_=database, routing_="r"
        )
        page = records[0]
        found.update(zip(page["keys"], (h or None for h in page["hashes"]), strict=True))
        if page["walked"] < page_size:
            return found
        after = page["last"]


def write_batch(
    writes: Writes,
    spec: TableWrite,
    batch: Sequence[Prepared],
    run_id: str,
    *,
    lookup: bool = True,
) -> tuple[int, int, int]:
    """Write the rows of ``batch`` whose stored hash differs; return (written, skipped, elements).

    ``lookup=False`` says the table held nothing when the load began, so every row is new.
    The hash lookup, the removal of changed rows' old relationships and the write are one unit
    of work, so a retried one (the driver retries transient failures of a batched run) sees its
    own earlier attempt's outcome consistently.
    """

    def work(tx: ManagedTransaction | Transaction) -> tuple[int, int, int]:
        stored: dict[str, str | None] = {}
        if lookup:
            stored = {r["key"]: r["hash"] for r in tx.run(spec.hashes, ids=[p.key for p in batch])}
        changed = [p for p in batch if stored.get(p.key) != p.hash]
        replaced = [p.key for p in changed if p.key in stored]
        if replaced and spec.replace is not None:
            tx.run(spec.replace, ids=replaced).consume()
        if changed:
            statement = spec.write if lookup or spec.first is None else spec.first
            tx.run(statement, rows=[p.payload for p in changed], run_id=run_id).consume()
        return len(changed), len(batch) - len(changed), sum(p.elements for p in changed)

    return writes.unit(work)
