"""The existing graph as validation sees it: which referenced ids are already loaded.

A dataset may add to what earlier loads wrote (demands today, referring to regions loaded
last month), so validation asks here for the ids it cannot find in the dataset itself.
Retired entities (absent from a ``--sync`` snapshot) do not count as existing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Final, LiteralString

from neo4j import Driver

from ingest.validate import KnownEntity

# Which of $ids exist, with the table they came from (one index lookup per label).
ENTITIES_BY_ID: Final = """
UNWIND $ids AS id
CALL (id) {
  MATCH (n:Region {id: id}) WHERE NOT n:Retired RETURN 'regions' AS tbl, n.level AS level
  UNION
  MATCH (n:Organization {id: id}) WHERE NOT n:Retired RETURN 'organizations' AS tbl, null AS level
  UNION
  MATCH (n:PartyOrg {id: id}) WHERE NOT n:Retired RETURN 'party_orgs' AS tbl, null AS level
  UNION
  MATCH (n:Person {id: id}) WHERE NOT n:Retired RETURN 'people' AS tbl, null AS level
  UNION
  MATCH (n:Skill {id: id}) WHERE NOT n:Retired RETURN 'skills' AS tbl, null AS level
  UNION
  MATCH (n:Resource {id: id}) WHERE NOT n:Retired RETURN 'resources' AS tbl, null AS level
  UNION
  MATCH (n:Agreement {id: id}) WHERE NOT n:Retired RETURN 'agreements' AS tbl, null AS level
  UNION
  MATCH (n:Demand {id: id}) WHERE NOT n:Retired RETURN 'demands' AS tbl, null AS level
}
RETURN id, tbl, level
"""
# Every live entity's id of one label, a page at a time in id order (the id constraint's
# index gives the order), for large datasets: pages beat a million index seeks, and stay far
# below the transaction timeout. A page comes back as one record of lists: the driver spends
# far more on a record than on a list item (a page of 100k ids as rows takes ~15× longer).
_PAGE_TAIL: Final = (
    " AND NOT n:Retired WITH n ORDER BY n.id LIMIT $size"
    " RETURN collect(n.id) AS ids, collect(coalesce(n.level, '')) AS levels"
)
IDS_AFTER: Final[dict[str, LiteralString]] = {
    "regions": "MATCH (n:Region) WHERE n.id > $after" + _PAGE_TAIL,
    "organizations": "MATCH (n:Organization) WHERE n.id > $after" + _PAGE_TAIL,
    "party_orgs": "MATCH (n:PartyOrg) WHERE n.id > $after" + _PAGE_TAIL,
    "people": "MATCH (n:Person) WHERE n.id > $after" + _PAGE_TAIL,
    "skills": "MATCH (n:Skill) WHERE n.id > $after" + _PAGE_TAIL,
    "resources": "MATCH (n:Resource) WHERE n.id > $after" + _PAGE_TAIL,
    "agreements": "MATCH (n:Agreement) WHERE n.id > $after" + _PAGE_TAIL,
    "demands": "MATCH (n:Demand) WHERE n.id > $after" + _PAGE_TAIL,
}
PAGE_SIZE: Final = 100_000
# Above this many ids in one question, read every id once instead of seeking each.
PRELOAD_ABOVE: Final = 5000

# Skills whose name or one of whose aliases is one of $names (the taxonomy is small: a scan).
SKILLS_BY_NAME: Final = """
UNWIND $names AS name
MATCH (s:Skill) WHERE NOT s:Retired AND (s.name = name OR name IN s.aliases)
RETURN name, collect(s.id) AS ids
"""


class Neo4jKnownGraph:
    """``ingest.validate.KnownGraph`` answered by the database."""

    def __init__(
        self,
        driver: Driver,
        database: str,
        *,
        preload_above: int = PRELOAD_ABOVE,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._driver = driver
        self._database = database
        self._preload_above = preload_above
        self._page_size = page_size
        self._all: dict[str, KnownEntity] | None = None

    def entities(self, ids: Collection[str]) -> Mapping[str, KnownEntity]:
        if not ids:
            return {}
        if self._all is None and len(ids) > self._preload_above:
            self._all = self._read_all()
        if self._all is not None:
            return {i: self._all[i] for i in ids if i in self._all}
        records, _, _ = self._driver.execute_query(
            ENTITIES_BY_ID, ids=list(ids), database_=self._database, routing_="r"
        )
        return {r["id"]: KnownEntity(r["tbl"], r["level"]) for r in records}

    def _read_all(self) -> dict[str, KnownEntity]:
        found: dict[str, KnownEntity] = {}
        for table, query in IDS_AFTER.items():
            kinds: dict[str, KnownEntity] = {}
            after = ""
            while True:
                records, _, _ = self._driver.execute_query(
                    query, after=after, size=self._page_size, database_=self._database, routing_="r"
                )
                ids: list[str] = records[0]["ids"]
                levels: list[str] = records[0]["levels"]
                for id_, level in zip(ids, levels, strict=True):
                    # one shared (immutable) value per table and level, not one per id
                    entity = kinds.get(level)
                    if entity is None:
                        entity = kinds[level] = KnownEntity(table, level or None)
                    found[id_] = entity
                if len(ids) < self._page_size:
                    break
                after = ids[-1]
        return found

    def skills_by_name(self, names: Collection[str]) -> Mapping[str, Collection[str]]:
        if not names:
            return {}
        records, _, _ = self._driver.execute_query(
            SKILLS_BY_NAME, names=list(names), database_=self._database, routing_="r"
        )
        return {r["name"]: r["ids"] for r in records}
