"""Ingest runs as the graph records them: provenance, snapshots (--sync), derived values.

Cypher that is about a run rather than a table lives here: the ``(:IngestRun)`` record,
retiring what a ``--sync`` load found absent, and the values derived after every load.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any, Final, LiteralString

from neo4j import Driver

from graph.model import RegionLevel
from ingest.read import DatasetSource
from ingest.tallies import derive_tallies
from ingest.transactions import Writes

# Opens a run's record before anything is written.
START_RUN: Final = """
CREATE (r:IngestRun {id: $id})
SET r.started_at = datetime(), r.status = 'running', r.source = $source,
    r.dataset_checksum = $checksum, r.load_key = $load_key, r.user = $user,
    r.strict = $strict, r.sync = $sync, r.atomic = $atomic, r.unchanged_since = $unchanged_since
"""
# Closes a run's record with what it did.
FINISH_RUN: Final = """
MATCH (r:IngestRun {id: $id})
SET r.finished_at = datetime(), r.status = $status, r.duration_s = $duration_s,
    r.rows_read = $rows_read, r.rows_rejected = $rows_rejected,
    r.rows_written = $rows_written, r.rows_skipped = $rows_skipped,
    r.elements_written = $elements_written, r.rows_retired = $rows_retired,
    r.tables_json = $tables_json, r.issue_count = $issue_count, r.stats_json = $stats_json
"""
# The latest run, to tell whether a dataset is exactly what the graph was last loaded from.
LATEST_RUN: Final = """
MATCH (r:IngestRun)
RETURN r.id AS id, r.status AS status, r.load_key AS load_key, r.sync AS sync,
       r.issue_count AS issue_count, r.stats_json AS stats_json
ORDER BY r.started_at DESC
LIMIT 1
"""
# Runs that never finished (killed): marked so when a later run starts.
ABANDON_RUNS: Final = """
MATCH (r:IngestRun {status: 'running'}) WHERE r.id <> $id
SET r.status = 'abandoned'
RETURN count(r) AS abandoned
"""
# The salt of phone hashes: one per database, created once, so hashes stay stable.
PHONE_SALT: Final = """
MERGE (c:IngestConfig {id: 'phones'})
ON CREATE SET c.salt = $salt
RETURN c.salt AS salt
"""

# --- --sync: retire (never delete) what the snapshot no longer contains ---------------------
RETIRE_REGIONS: Final = """
MATCH (n:Region) WHERE NOT n:Retired AND NOT n.id IN $keys
SET n:Retired, n.retired_run = $run_id, n.retired_on = date()
RETURN count(n) AS retired
"""
RETIRE_ORGANIZATIONS: Final = """
MATCH (n:Organization) WHERE NOT n:Retired AND NOT n.id IN $keys
SET n:Retired, n.retired_run = $run_id, n.retired_on = date()
RETURN count(n) AS retired
"""
RETIRE_PARTY_ORGS: Final = """
MATCH (n:PartyOrg) WHERE NOT n:Retired AND NOT n.id IN $keys
SET n:Retired, n.retired_run = $run_id, n.retired_on = date()
RETURN count(n) AS retired
"""
RETIRE_PEOPLE: Final = """
MATCH (n:Person) WHERE NOT n:Retired AND NOT n.id IN $keys
SET n:Retired, n.retired_run = $run_id, n.retired_on = date()
RETURN count(n) AS retired
"""
RETIRE_SKILLS: Final = """
MATCH (n:Skill) WHERE NOT n:Retired AND NOT n.id IN $keys
SET n:Retired, n.retired_run = $run_id, n.retired_on = date()
RETURN count(n) AS retired
"""
RETIRE_RESOURCES: Final = """
MATCH (n:Resource) WHERE NOT n:Retired AND NOT n.id IN $keys
SET n:Retired, n.retired_run = $run_id, n.retired_on = date()
RETURN count(n) AS retired
"""
RETIRE_AGREEMENTS: Final = """
MATCH (n:Agreement) WHERE NOT n:Retired AND NOT n.id IN $keys
SET n:Retired, n.retired_run = $run_id, n.retired_on = date()
RETURN count(n) AS retired
"""
RETIRE_DEMANDS: Final = """
MATCH (n:Demand) WHERE NOT n:Retired AND NOT n.id IN $keys
SET n:Retired, n.retired_run = $run_id, n.retired_on = date()
RETURN count(n) AS retired
"""
RETIRE_PERSON_SKILLS: Final = """
MATCH (p:Person)-[r:HAS_SKILL]->(s:Skill)
WHERE r.retired_run IS NULL AND NOT (p.id + '|' + s.id) IN $keys
SET r.retired_run = $run_id, r.retired_on = date()
RETURN count(r) AS retired
"""
RETIRE_RESOURCE_USAGES: Final = """
MATCH ()-[r:USED]->() WHERE r.retired_run IS NULL AND NOT r.id IN $keys
SET r.retired_run = $run_id, r.retired_on = date()
RETURN count(r) AS retired
"""
RETIRE: Final[dict[str, LiteralString]] = {
    "regions": RETIRE_REGIONS,
    "organizations": RETIRE_ORGANIZATIONS,
    "party_orgs": RETIRE_PARTY_ORGS,
    "people": RETIRE_PEOPLE,
    "skills": RETIRE_SKILLS,
    "resources": RETIRE_RESOURCES,
    "agreements": RETIRE_AGREEMENTS,
    "demands": RETIRE_DEMANDS,
    "person_skills": RETIRE_PERSON_SKILLS,
    "resource_usages": RETIRE_RESOURCE_USAGES,
}

# Lists what --sync loads retired, newest first.
LIST_RETIRED: Final = """
MATCH (n:Retired)
RETURN [l IN labels(n) WHERE l <> 'Retired' AND l <> 'Unit'][0] AS label, n.id AS id,
       n.name AS name, n.retired_run AS run, n.retired_on AS retired_on
ORDER BY n.retired_on DESC, label, id
LIMIT $limit
"""

# --- derived after every load ---------------------------------------------------------------
# A run's one transaction is planned from committed counts: on a first load every label counts
# zero, and a per-node subquery that labels the nodes it reaches may then be planned to start
# from a scan of that label, once per outer node (every party member read again for each of 927
# units at scale 1: 2.7 million rows, 15 s instead of 1). So the subqueries below label only the
# node they start from; what they reach is implied by the relationship type, or checked in what
# they return (a tie's other unit, a party org sitting in an area). tests/ingest/
# test_derive_plans.py plans them against an empty store.

# --- derived after every load: coordinates inherited from the region (walking up) ----------
# A region without coordinates takes its nearest placed ancestor's: run level by level from
# the top (a parent's level is strictly higher), each region copies its parent's location,
# which is by then its own or already inherited. One hop per region, not a walk up each chain.
INHERIT_REGION_LOCATIONS: Final = """
MATCH (r:Region {level: $level})-[:PART_OF]->(p:Region)
WHERE r.lat IS NULL AND NOT coalesce(r.location = p.location, false)
CALL (r, p) {
  SET r.location = p.location, r.location_inherited = true
} IN TRANSACTIONS OF 10000 ROWS
"""
# A unit, resource or demand without coordinates takes its region's.
INHERIT_PLACED_LOCATIONS: Final = """
MATCH (n)-[:IN_REGION]->(r:Region)
WHERE (n:Organization OR n:PartyOrg OR n:Resource OR n:Demand) AND n.lat IS NULL
  AND NOT coalesce(n.location = r.location, false)
CALL (n, r) {
  SET n.location = r.location, n.location_inherited = true
} IN TRANSACTIONS OF 10000 ROWS
"""
# A person is placed where they reside.
INHERIT_PEOPLE_LOCATIONS: Final = """
MATCH (n:Person)-[:RESIDES_IN]->(r:Region)
WHERE NOT coalesce(n.location = r.location, false)
CALL (n, r) {
  SET n.location = r.location, n.location_inherited = true
} IN TRANSACTIONS OF 10000 ROWS
"""

# --- derived after every load: each region's chain of ancestors --------------------------------
# Every region carries the ids of the chain from its tree's root down to itself, indexed by
# level rank (region_path[3] is the street it sits in; '' where the chain skips a level):
# "the region at a level this sits in" is then one property read instead of a walk up PART_OF
# — and the regions people reside in are dense nodes, whose PART_OF costs many reads to find.
# Roots first, then level by level from the top, each region extending its parent's chain (one
# hop each); written only where it changed.
DERIVE_ROOT_PATHS: Final = """
MATCH (r:Region)
WHERE NOT EXISTS { (r)-[:PART_OF]->() }
WITH r, [i IN range(1, coalesce(r.level_rank, 0)) | ''] + r.id AS path
WHERE NOT coalesce(r.region_path = path, false)
SET r.region_path = path
"""
DERIVE_REGION_PATHS: Final = """
MATCH (r:Region {level: $level})-[:PART_OF]->(p:Region)
WITH r, coalesce(p.region_path, [p.id]) AS above
WITH r, above + [i IN range(size(above), coalesce(r.level_rank, size(above)) - 1) | ''] + r.id
     AS path
WHERE NOT coalesce(r.region_path = path, false)
CALL (r, path) {
  SET r.region_path = path
} IN TRANSACTIONS OF 10000 ROWS
"""

# Units and resources carry the chain of the region they sit in (its region_path): questions
# over a whole city group them by the region at a level, and finding a unit's IN_REGION among
# its employees and members reads them all. After the regions' chains; written only where it
# changed.
DERIVE_PLACED_PATHS: Final = """
MATCH (x:Unit|Resource)-[:IN_REGION]->(r:Region)
WHERE NOT coalesce(x.region_path = r.region_path, false)
CALL (x, r) {
  SET x.region_path = r.region_path
} IN TRANSACTIONS OF 10000 ROWS
"""

# --- derived after every load: what each unit's people can do --------------------------------
# The distinct (skill, level, certified) held by a unit's linked people (employees of an
# organization, members of a party organisation), as three parallel lists on the unit, sorted:
# partners with no need (questions.md §2) compare thousands of nearby units by what their
# people hold, and a unit's own lists cost one property read where its people cost thousands of
# relationship hops. Written only where they changed. A MATCH, not an OPTIONAL MATCH, inside
# the aggregating subquery: whether an OPTIONAL MATCH's null row reaches the aggregation depends
# on the plan (seen in CI after a killed load: levels [3] beside no skill ids), while an
# aggregation over no rows is one row of empty lists whatever the plan.
DERIVE_UNIT_SKILLS: Final = """
MATCH (b:Unit)
CALL (b) {
  MATCH (b)<-[:EMPLOYED_BY|MEMBER_OF]-(p)-[h:HAS_SKILL]->(s)
  WHERE NOT p:Retired AND h.retired_run IS NULL AND NOT s:Retired
  WITH DISTINCT s.id AS skill, coalesce(h.level, 3) AS level,
       coalesce(h.certified, false) AS certified
  ORDER BY skill, level, certified
  RETURN collect(skill) AS skills, collect(level) AS levels, collect(certified) AS certified
}
WITH b, skills, levels, certified
WHERE NOT coalesce(b.offer_skill_ids = skills AND b.offer_skill_levels = levels
                   AND b.offer_skill_certified = certified, false)
CALL (b, skills, levels, certified) {
  SET b.offer_skill_ids = skills, b.offer_skill_levels = levels,
      b.offer_skill_certified = certified
} IN TRANSACTIONS OF 5000 ROWS
"""

# --- derived after every load: party members each organization employs ----------------------
# Member ratios and uncovered organizations (questions.md §3) weigh every organization of the
# city by its member employees; counted once per load, they cost one property read per
# organization instead of every employee's relationship. Written only where they changed.
DERIVE_MEMBER_EMPLOYEES: Final = """
MATCH (o:Organization)
WITH o, COUNT {
  MATCH (o)<-[:EMPLOYED_BY]-(p) WHERE p.is_party_member = true AND NOT p:Retired
} AS members
WHERE o.member_employees IS NULL OR o.member_employees <> members
CALL (o, members) {
  SET o.member_employees = members
} IN TRANSACTIONS OF 10000 ROWS
"""

# --- derived after every load: until when each organization is covered ----------------------
# Uncovered organizations (questions.md §3) ask of every organization of a city whether an
# active party org is set up in it or covers it. Per organization: the last day one is
# (9999-12-31 while a lasting one does, 0001-01-01 when none ever did): uncovered at a date
# after it. Written only where it changed.
DERIVE_ORG_COVERAGE: Final = """
MATCH (o:Organization)
CALL (o) {
  MATCH (o)<-[:SET_UP_IN|COVERS]-(po)
  WHERE NOT po:Retired
  RETURN max(CASE WHEN po.type <> 'temporary' OR po.valid_to IS NULL THEN date('9999-12-31')
                  ELSE po.valid_to END) AS until
}
WITH o, coalesce(until, date('0001-01-01')) AS until
WHERE NOT coalesce(o.covered_until = until, false)
CALL (o, until) {
  SET o.covered_until = until
} IN TRANSACTIONS OF 10000 ROWS
"""

# --- derived after every load: the other units each unit is tied to -------------------------
# Marginal units (questions.md §3) ask of every active unit of the city whether two other active
# units are tied to it horizontally — through a party member (member, employee or reporting), a
# shared agreement or a resource (owned or used) — and walking every unit's people, agreements
# and resources at question time costs the whole city's graph. Per unit, each tie as (other
# unit, first day, last day it holds): an agreement's signed_on..expires_on, a resource's
# available_from..available_to, cut at the end of a temporary party organisation on the other
# side; open ends are 0001-01-01 and 9999-12-31 (lists hold no nulls). Ties that always hold
# are kept for the first two other units only (by id; with two, the unit is never marginal and
# its dated ties are dropped), dated ones all: enough to tell "at most one" at any date.
# Written only where they changed.
DERIVE_UNIT_TIES: Final = """
MATCH (u:Unit)
CALL (u) {
  CALL (u) {
    MATCH (u)<-[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]-(p)-[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]->(v)
    WHERE p.is_party_member = true AND NOT p:Retired
    RETURN v, null AS since, null AS until
    UNION
    MATCH (u)-[:PARTY_TO]->(a)<-[:PARTY_TO]-(v)
    WHERE NOT a:Retired
    RETURN v, a.signed_on AS since, a.expires_on AS until
    UNION
    MATCH (u)-[t1:OWNED_BY|USED]-(res)-[t2:OWNED_BY|USED]-(v)
    WHERE t1.retired_run IS NULL AND t2.retired_run IS NULL AND NOT res:Retired
    RETURN v, res.available_from AS since, res.available_to AS until
  }
  WITH v, since, until, CASE WHEN v:PartyOrg AND v.type = 'temporary' THEN v.valid_to END AS ends
  WHERE v:Unit AND v <> u AND NOT v:Retired
  WITH DISTINCT v.id AS id, coalesce(since, date('0001-01-01')) AS since,
       CASE WHEN ends IS NOT NULL AND (until IS NULL OR ends < until) THEN ends
            ELSE coalesce(until, date('9999-12-31')) END AS until
  WHERE since <= until
  ORDER BY id, since, until
  WITH collect([id, since, until]) AS ties
  WITH ties, [t IN ties WHERE t[1] = date('0001-01-01') AND t[2] = date('9999-12-31') | t[0]]
       AS lasting
  WITH lasting[..2] AS lasting,
       CASE WHEN size(lasting) >= 2 THEN [] ELSE [t IN ties WHERE NOT t[0] IN lasting] END AS dated
  RETURN lasting + [t IN dated | t[0]] AS ids,
         [i IN lasting | date('0001-01-01')] + [t IN dated | t[1]] AS since,
         [i IN lasting | date('9999-12-31')] + [t IN dated | t[2]] AS until
}
WITH u, ids, since, until
WHERE NOT coalesce(u.tie_ids = ids AND u.tie_since = since AND u.tie_until = until, false)
CALL (u, ids, since, until) {
  SET u.tie_ids = ids, u.tie_since = since, u.tie_until = until
} IN TRANSACTIONS OF 5000 ROWS
"""

# --- derived after every load: the skills held in each street, and each skill's holders -------
# Skill gaps (questions.md §3) compare the skills a street's open demands need with those held
# by the people residing in the street or reporting to an active party org sitting in it —
# every resident's skills, a million people in a city. Per street: the skill ids held so (when
# held only through temporary party orgs with an end date, separately with the latest end);
# per skill: how many hold it or a finer skill (each holding counted). Written only where they
# changed.
DERIVE_STREET_SKILLS: Final = """
MATCH (street:Region {level: 'street'})
CALL (street) {
  OPTIONAL CALL (street) {
    MATCH (street)<-[:PART_OF]-{0,7}()<-[l:RESIDES_IN|IN_REGION]-(n)
    CALL (l, n) {
      WITH n WHERE type(l) = 'RESIDES_IN' AND NOT n:Retired
      RETURN n AS p, date('9999-12-31') AS until
      UNION
      WITH n WHERE n:PartyOrg AND NOT n:Retired
      MATCH (n)<-[:REPORTS_TO]-(p)
      WHERE NOT p:Retired
      RETURN p, CASE WHEN n.type = 'temporary' AND n.valid_to IS NOT NULL THEN n.valid_to
                     ELSE date('9999-12-31') END AS until
    }
    WITH p, max(until) AS until
    MATCH (p)-[h:HAS_SKILL]->(s)
    WHERE h.retired_run IS NULL
    RETURN s.id AS skill, max(until) AS until
  }
  WITH skill, until ORDER BY skill
  WITH collect(CASE WHEN until.year = 9999 THEN skill END) AS held,
       collect(CASE WHEN until.year < 9999 THEN [skill, until] END) AS dated
  RETURN held, [d IN dated | d[0]] AS dated_ids, [d IN dated | d[1]] AS dated_until
}
WITH street, held, dated_ids, dated_until
WHERE NOT coalesce(street.held_skill_ids = held AND street.held_dated_skill_ids = dated_ids
                   AND street.held_dated_until = dated_until, false)
SET street.held_skill_ids = held, street.held_dated_skill_ids = dated_ids,
    street.held_dated_until = dated_until
"""
DERIVE_SKILL_HOLDERS: Final = """
MATCH (k:Skill)
WITH k, COUNT {
  MATCH (p)-[h:HAS_SKILL]->()-[:SUBCATEGORY_OF]->{0,5}(k)
  WHERE NOT p:Retired AND h.retired_run IS NULL
} AS holders
WHERE k.holders IS NULL OR k.holders <> holders
SET k.holders = holders
"""

# --- derived after every load: whether the party reaches each small area --------------------
# Blank areas (questions.md §3) are the grids, compounds and buildings where no party member
# resides in or below and no active party org sits in or below; asked of every building of a
# city, that walks every resident. Per area: the party members residing in or below it, and the
# last day an active party org sits in or below it (9999-12-31 while one lasts, 0001-01-01 when
# none ever): blank at a date when no member and that day has passed. Bottom up, level by level
# (an area adds its children's); written only where they changed.
AREA_REACH_LEVELS: Final = tuple(
    level for level in reversed(RegionLevel) if level.rank >= RegionLevel.GRID.rank
)
DERIVE_AREA_REACH: Final = """
MATCH (a:Region {level: $level})
CALL (a) {
  OPTIONAL MATCH (a)<-[:RESIDES_IN]-(p)
  WHERE p.is_party_member = true AND NOT p:Retired
  RETURN count(p) AS residing
}
CALL (a) {
  MATCH (a)<-[:IN_REGION]-(po)
  RETURN max(CASE WHEN NOT po:PartyOrg OR po:Retired THEN null
                  WHEN po.type = 'temporary' AND po.valid_to IS NOT NULL THEN po.valid_to
                  ELSE date('9999-12-31') END) AS sitting
}
CALL (a) {
  OPTIONAL MATCH (a)<-[:PART_OF]-(c)
  RETURN sum(coalesce(c.members_below, 0)) AS below, max(c.party_orgs_until) AS below_until
}
WITH a, residing + below AS members,
     CASE WHEN sitting IS NULL OR below_until > sitting
          THEN coalesce(below_until, date('0001-01-01')) ELSE sitting END AS until
WHERE NOT coalesce(a.members_below = members AND a.party_orgs_until = until, false)
CALL (a, members, until) {
  SET a.members_below = members, a.party_orgs_until = until
} IN TRANSACTIONS OF 10000 ROWS
"""

# Whether a store predates a derived value (loaded before it existed): derive then, even when a
# load writes nothing. Each EXISTS stops at its first witness.
SUMMARIES_MISSING: Final = """
RETURN EXISTS { MATCH (r:Region) WHERE r.region_path IS NULL }
    OR EXISTS { MATCH (u:Unit) WHERE u.offer_skill_ids IS NULL }
    OR EXISTS { MATCH (o:Organization) WHERE o.member_employees IS NULL }
    OR EXISTS { MATCH (u:Unit) WHERE u.tie_ids IS NULL }
    OR EXISTS { MATCH (r:Region {level: 'street'}) WHERE r.held_skill_ids IS NULL }
    OR EXISTS { MATCH (k:Skill) WHERE k.holders IS NULL }
    OR EXISTS { MATCH (a:Region {level: 'grid'}) WHERE a.members_below IS NULL }
    OR EXISTS { MATCH (u:Unit) WHERE u.region_path IS NULL }
    OR EXISTS { MATCH (o:Organization) WHERE o.covered_until IS NULL }
    OR EXISTS { MATCH (r:Region) WHERE r.level_rank <= 4 AND r.tally_keys IS NULL } AS missing
"""


def load_key(dataset: DatasetSource, *, keep_extra: bool) -> str:
    """What identifies a load's input: each table part's bytes, where they go, and the options
    that change what is written (the dataset checksum alone ignores file names)."""
    parts = sorted(f"{p.table.name}|{p.sheet or ''}|{p.file.sha256}" for p in dataset.parts)
    text = "\n".join([f"keep_extra={keep_extra}", *parts])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class LastLoad:
    """The completed run the graph still stands on, when a dataset repeats it exactly."""

    run_id: str
    stats: dict[str, dict[str, int]]  # per table, as ``TableStats`` fields


def unchanged_since(driver: Driver, database: str, key: str, *, sync: bool) -> LastLoad | None:
    """The latest run, if it completed cleanly from the same input (``key``) and nothing ran
    since: loading that input again would then validate and skip every row, so it need not.

    Not for a run that found issues (its report must be shown again), nor for a ``sync`` run
    after one that was not (absent rows may still need retiring).
    """
    records, _, _ = driver.execute_query(LATEST_RUN, database_=database, routing_="r")
    if not records:
        return None
    last: dict[str, Any] = records[0].data()
    if (
        last["status"] != "completed"
        or last["load_key"] != key
        or last["issue_count"] != 0
        or last["stats_json"] is None
        or (sync and not last["sync"])
    ):
        return None
    return LastLoad(last["id"], json.loads(last["stats_json"]))


def phone_salt(driver: Driver, database: str) -> bytes:
    """The database's phone-hash salt, created on first use."""
    records, _, _ = driver.execute_query(PHONE_SALT, salt=secrets.token_hex(16), database_=database)
    return bytes.fromhex(records[0]["salt"])


def derive(writes: Writes) -> None:
    """Recompute every derived value after a load: inherited coordinates, then the summaries."""
    for level in RegionLevel:  # top down
        writes.run(INHERIT_REGION_LOCATIONS, level=level.value)
    writes.run(INHERIT_PLACED_LOCATIONS)
    writes.run(INHERIT_PEOPLE_LOCATIONS)
    derive_summaries(writes)


def summaries_missing(writes: Writes) -> bool:
    """Whether some node lacks a derived summary (a store loaded before it was introduced)."""
    (records,) = writes.reads([(SUMMARIES_MISSING, {})])  # a read, routed as one when batched
    return bool(records[0]["missing"])


def derive_summaries(writes: Writes) -> None:
    """Recompute what the questions read instead of walking the graph: regions' chains of
    ancestors (and of the regions units and resources sit in), units' skill offers,
    organizations' member employees and coverage, units' ties to other units, streets' skills
    held and skills' holders, small areas' party reach, regions' tallies (docs/model.md)."""
    writes.run(DERIVE_ROOT_PATHS)
    for level in RegionLevel:  # top down
        writes.run(DERIVE_REGION_PATHS, level=level.value)
    writes.run(DERIVE_PLACED_PATHS)
    writes.run(DERIVE_UNIT_SKILLS)
    writes.run(DERIVE_MEMBER_EMPLOYEES)
    writes.run(DERIVE_ORG_COVERAGE)
    writes.run(DERIVE_UNIT_TIES)
    writes.run(DERIVE_STREET_SKILLS)
    writes.run(DERIVE_SKILL_HOLDERS)
    for level in AREA_REACH_LEVELS:  # bottom up
        writes.run(DERIVE_AREA_REACH, level=level.value)
    derive_tallies(writes)  # from the values above


def retire_absent(writes: Writes, table: str, keys: list[str], run_id: str) -> int:
    """Mark the ``table`` entities not in ``keys`` as retired by ``run_id``; return how many."""
    return int(writes.run(RETIRE[table], keys=keys, run_id=run_id)[0]["retired"])
