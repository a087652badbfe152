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
# Skills whose name or one of whose aliases is one of $names (the taxonomy is small: a scan).
SKILLS_BY_NAME: Final = """
UNWIND $names AS name
MATCH (s:Skill) WHERE NOT s:Retired AND (s.name = name OR name IN s.aliases)
RETURN name, collect(s.id) AS ids
"""


class Neo4jKnownGraph:
    """``ingest.validate.KnownGraph`` answered by the database."""

    def __init__(self, driver: Driver, database: str) -> None:
        self._driver = driver
        self._database = database

    def entities(self, ids: Collection[str]) -> Mapping[str, KnownEntity]:
        if not ids:
            return {}
        records, _, _ = self._driver.execute_query(
            ENTITIES_BY_ID, ids=list(ids), database_=self._database, routing_="r"
        )
        return {r["id"]: KnownEntity(r["tbl"], r["level"]) for r in records}

    def skills_by_name(self, names: Collection[str]) -> Mapping[str, Collection[str]]:
        if not names:
            return {}
        records, _, _ = self._driver.execute_query(
            SKILLS_BY_NAME, names=list(names), database_=self._database, routing_="r"
        )
        return {r["name"]: r["ids"] for r in records}
