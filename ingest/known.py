"""The existing graph as validation sees it: which referenced ids are already loaded.

A dataset may add to what earlier loads wrote (demands today, referring to regions loaded
last month), so validation asks here for the ids it cannot find in the dataset itself.
Retired entities (absent from a ``--sync`` snapshot) do not count as existing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Final

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
# Every live entity's id and table at once, for large datasets (one streamed scan beats a
# million index seeks).
ALL_ENTITIES: Final = """
MATCH (n)
WHERE (n:Region OR n:Organization OR n:PartyOrg OR n:Person OR n:Skill OR n:Resource
       OR n:Agreement OR n:Demand) AND NOT n:Retired
RETURN n.id AS id, labels(n) AS labels, n.level AS level
"""
_TABLE_OF_LABEL: Final = {
    "Region": "regions",
    "Organization": "organizations",
    "PartyOrg": "party_orgs",
    "Person": "people",
    "Skill": "skills",
    "Resource": "resources",
    "Agreement": "agreements",
    "Demand": "demands",
}
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
        self, driver: Driver, database: str, *, preload_above: int = PRELOAD_ABOVE
    ) -> None:
        self._driver = driver
        self._database = database
        self._preload_above = preload_above
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
        with self._driver.session(database=self._database, default_access_mode="READ") as session:
            for r in session.run(ALL_ENTITIES):
                table = next(_TABLE_OF_LABEL[x] for x in r["labels"] if x in _TABLE_OF_LABEL)
                found[r["id"]] = KnownEntity(table, r["level"])
        return found

    def skills_by_name(self, names: Collection[str]) -> Mapping[str, Collection[str]]:
        if not names:
            return {}
        records, _, _ = self._driver.execute_query(
            SKILLS_BY_NAME, names=list(names), database_=self._database, routing_="r"
        )
        return {r["name"]: r["ids"] for r in records}
