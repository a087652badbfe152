"""Writing to the real Neo4j: same graph from every form, idempotent, crash-safe, synced."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any, LiteralString

import pytest
from cryptography.fernet import Fernet
from neo4j import Driver
from pydantic import SecretStr

from cobuild.settings import Settings
from graph.checksum import graph_checksum, graph_lines
from ingest.phones import PhoneVault
from ingest.pipeline import run_ingest
from ingest.runs import LIST_RETIRED
from tests.conftest import SAMPLE

CSV = SAMPLE / "csv"
WORKBOOK = SAMPLE / "workbook.xlsx"


def _count(driver: Driver, settings: Settings, query: str) -> int:
    records, _, _ = driver.execute_query(query, database_=settings.neo4j_database)
    return int(records[0][0])


def _copy_sample(tmp_path: Path) -> Path:
    target = tmp_path / "dataset"
    shutil.copytree(CSV, target)
    return target


def _rewrite(path: Path, change) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0].keys())
    rows = change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_csv_and_workbook_load_to_the_same_graph(
    empty_graph: Driver, neo4j_settings: Settings
) -> None:
    db = neo4j_settings.neo4j_database
    first = run_ingest(neo4j_settings, CSV, driver=empty_graph)
    assert first.valid
    assert first.written
    from_csv = graph_checksum(empty_graph, db)
    csv_lines, _ = graph_lines(empty_graph, db)
    assert from_csv.nodes == 159 + 50 + 31 + 201 + 48 + 48 + 15 + 27
    # HAS_SKILL and USED are relationships, one per row.
    assert _count(empty_graph, neo4j_settings, "MATCH ()-[r:HAS_SKILL]->() RETURN count(r)") == 227
    assert _count(empty_graph, neo4j_settings, "MATCH ()-[r:USED]->() RETURN count(r)") == 88

    # Keep the database's phone-hash salt (IngestConfig): the same salt, the same hashes.
    empty_graph.execute_query(
        "MATCH (n) WHERE NOT (n:SchemaMigration OR n:IngestConfig) DETACH DELETE n", database_=db
    )
    second = run_ingest(neo4j_settings, WORKBOOK, driver=empty_graph)
    assert second.valid
    # Line by line first: a difference names the nodes and properties that differ.
    _assert_same_graph(graph_lines(empty_graph, db)[0], csv_lines, "workbook against CSV")
    assert graph_checksum(empty_graph, db) == from_csv


def test_reload_is_idempotent_and_writes_nothing(
    empty_graph: Driver, neo4j_settings: Settings
) -> None:
    db = neo4j_settings.neo4j_database
    run_ingest(neo4j_settings, CSV, driver=empty_graph)
    before = graph_checksum(empty_graph, db)
    # recheck: every row validated and compared with its stored hash, none written.
    again = run_ingest(neo4j_settings, CSV, recheck=True, driver=empty_graph)
    assert again.unchanged_since is None
    assert again.elements_written == 0
    assert (
        sum(t.skipped for t in again.tables.values())
        == 159 + 50 + 31 + 201 + 48 + 227 + 48 + 15 + 27 + 88
    )
    assert all(t.written == 0 for t in again.tables.values())
    assert graph_checksum(empty_graph, db) == before
    # Provenance is untouched too: nothing was rewritten by the second run.
    assert graph_checksum(empty_graph, db, exclude=frozenset()) == graph_checksum(
        empty_graph, db, exclude=frozenset()
    )
    assert (
        _count(
            empty_graph, neo4j_settings, "MATCH (r:IngestRun {status: 'completed'}) RETURN count(r)"
        )
        == 2
    )


def _runs(driver: Driver, settings: Settings) -> list[dict[str, object]]:
    records, _, _ = driver.execute_query(
        "MATCH (r:IngestRun) RETURN r.id AS id, r.unchanged_since AS since, "
        "r.rows_skipped AS skipped, r.elements_written AS written ORDER BY r.started_at",
        database_=settings.neo4j_database,
    )
    return [r.data() for r in records]


def test_the_dataset_last_loaded_is_skipped_whole(
    empty_graph: Driver, neo4j_settings: Settings
) -> None:
    db = neo4j_settings.neo4j_database
    first = run_ingest(neo4j_settings, CSV, driver=empty_graph)
    before = graph_checksum(empty_graph, db, exclude=frozenset())
    again = run_ingest(neo4j_settings, CSV, driver=empty_graph)
    assert again.unchanged_since == first.run_id
    assert again.valid
    assert again.written
    assert again.elements_written == 0
    # The same per-table counts as a validated run, every valid row reported unchanged.
    assert again.report.stats == first.report.stats
    assert {t: o.skipped for t, o in again.tables.items()} == {
        t: s.rows_valid for t, s in first.report.stats.items() if s.rows_read
    }
    # Nothing touched, not even provenance; the run is recorded, saying what it repeated.
    assert graph_checksum(empty_graph, db, exclude=frozenset()) == before
    runs = _runs(empty_graph, neo4j_settings)
    assert [(r["id"], r["since"], r["written"]) for r in runs] == [
        (first.run_id, None, first.elements_written),
        (again.run_id, first.run_id, 0),
    ]
    assert runs[1]["skipped"] == sum(s.rows_valid for s in first.report.stats.values())
    # A third identical load repeats the first too, through the second.
    third = run_ingest(neo4j_settings, CSV, driver=empty_graph)
    assert third.unchanged_since == again.run_id


def test_a_run_in_between_or_a_recheck_validates_again(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    run_ingest(neo4j_settings, CSV, driver=empty_graph)
    assert run_ingest(neo4j_settings, CSV, recheck=True, driver=empty_graph).unchanged_since is None
    part = tmp_path / "part"
    part.mkdir()
    shutil.copy(CSV / "skills.csv", part / "skills.csv")
    assert run_ingest(neo4j_settings, part, driver=empty_graph).unchanged_since is None
    # The graph may have changed since the full load: compare every row again.
    back = run_ingest(neo4j_settings, CSV, driver=empty_graph)
    assert back.unchanged_since is None
    assert back.elements_written == 0
    # A snapshot (--sync) after plain loads may have rows to retire: never skipped whole.
    synced = run_ingest(neo4j_settings, CSV, sync=True, driver=empty_graph)
    assert synced.unchanged_since is None
    assert run_ingest(neo4j_settings, CSV, sync=True, driver=empty_graph).unchanged_since


def test_a_dataset_with_issues_is_never_skipped_whole(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    data = _bad_dataset(tmp_path)
    first = run_ingest(neo4j_settings, data, driver=empty_graph)
    assert not first.valid
    again = run_ingest(neo4j_settings, data, driver=empty_graph)
    assert again.unchanged_since is None
    # The same rows rejected, the same issues reported again.
    assert [i.to_dict() for i in again.report.issues] == [i.to_dict() for i in first.report.issues]


def test_a_renamed_file_is_a_different_dataset(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """The same bytes under another table's name load elsewhere: never taken as a repeat."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    shutil.copy(CSV / "skills.csv", one / "skills.csv")
    shutil.copy(CSV / "skills.csv", two / "技能.csv")
    run_ingest(neo4j_settings, one, driver=empty_graph)
    # Same table under its Chinese name: the same load, skipped whole.
    assert run_ingest(neo4j_settings, two, driver=empty_graph).unchanged_since
    shutil.move(two / "技能.csv", two / "regions.csv")
    assert run_ingest(neo4j_settings, two, driver=empty_graph).unchanged_since is None


def test_every_element_records_its_run(empty_graph: Driver, neo4j_settings: Settings) -> None:
    result = run_ingest(neo4j_settings, CSV, driver=empty_graph)
    untracked_nodes = _count(
        empty_graph,
        neo4j_settings,
        "MATCH (n) WHERE NOT (n:IngestRun OR n:SchemaMigration OR n:IngestConfig) "
        "AND n.run_id IS NULL RETURN count(n)",
    )
    untracked_rels = _count(
        empty_graph, neo4j_settings, "MATCH ()-[r]->() WHERE r.run_id IS NULL RETURN count(r)"
    )
    assert (untracked_nodes, untracked_rels) == (0, 0)
    records, _, _ = empty_graph.execute_query(
        "MATCH (r:IngestRun {id: $id}) RETURN r",
        id=result.run_id,
        database_=neo4j_settings.neo4j_database,
    )
    run = records[0]["r"]
    assert run["status"] == "completed"
    assert run["rows_read"] == 159 + 50 + 31 + 201 + 48 + 227 + 48 + 15 + 27 + 88
    assert run["rows_rejected"] == 0
    assert len(run["dataset_checksum"]) == 64
    assert run["user"]
    assert run["duration_s"] > 0


def test_changed_row_replaces_its_relationships(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    data = _copy_sample(tmp_path)
    run_ingest(neo4j_settings, data, driver=empty_graph)
    person = "P-370202-90025"

    def move(rows):
        for row in rows:
            if row["id"] == person:
                row["residence_region_id"] = "370202001001"
        return rows

    _rewrite(data / "people.csv", move)
    result = run_ingest(neo4j_settings, data, driver=empty_graph)
    assert result.tables["people"].written == 1
    records, _, _ = empty_graph.execute_query(
        "MATCH (:Person {id: $id})-[:RESIDES_IN]->(r) RETURN collect(r.id) AS regions",
        id=person,
        database_=neo4j_settings.neo4j_database,
    )
    assert records[0]["regions"] == ["370202001001"]


def test_one_target_named_twice_is_one_relationship(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """Relationships are CREATEd: a skill named by its name and by an alias is still one tie."""
    data = _copy_sample(tmp_path)
    demand = "DM-370202-00001"

    def twice(rows):
        for row in rows:
            if row["id"] == demand:
                row["required_skills"] = "人民调解;矛盾调解员;SK0102"
        return rows

    _rewrite(data / "demands.csv", twice)
    first = run_ingest(neo4j_settings, data, driver=empty_graph)
    assert first.valid
    query = (
        "MATCH (:Demand {id: $id})-[r:REQUIRES_SKILL]->(s) RETURN s.id AS skill, count(r) AS ties"
    )
    records, _, _ = empty_graph.execute_query(
        query, id=demand, database_=neo4j_settings.neo4j_database
    )
    assert [(r["skill"], r["ties"]) for r in records] == [("SK0102", 1)]


def test_sync_retires_absent_rows_and_reload_restores_them(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    db = neo4j_settings.neo4j_database
    data = _copy_sample(tmp_path)
    run_ingest(neo4j_settings, data, driver=empty_graph)
    full = graph_checksum(empty_graph, db)
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    shutil.copy(data / "demands.csv", snapshot / "demands.csv")
    _rewrite(snapshot / "demands.csv", lambda rows: rows[1:])
    with (data / "demands.csv").open(encoding="utf-8") as handle:
        dropped = next(csv.DictReader(handle))["id"]

    synced = run_ingest(neo4j_settings, snapshot, sync=True, driver=empty_graph)
    assert {table: n for table, n in synced.retired.items() if n} == {"demands": 1}
    records, _, _ = empty_graph.execute_query(LIST_RETIRED, limit=10, database_=db)
    assert [(r["label"], r["id"], r["run"]) for r in records] == [
        ("Demand", dropped, synced.run_id)
    ]
    # Retired, not deleted: the node and its relationships are still there.
    assert _count(empty_graph, neo4j_settings, "MATCH (d:Demand) RETURN count(d)") == 27

    run_ingest(neo4j_settings, data, driver=empty_graph)
    assert _count(empty_graph, neo4j_settings, "MATCH (n:Retired) RETURN count(n)") == 0
    assert graph_checksum(empty_graph, db) == full


def _bad_dataset(tmp_path: Path) -> Path:
    data = _copy_sample(tmp_path)

    def break_one(rows):
        rows[0]["kind"] = "不存在的类型"
        return rows

    _rewrite(data / "organizations.csv", break_one)
    return data


def test_strict_writes_nothing_when_a_row_is_bad(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    result = run_ingest(neo4j_settings, _bad_dataset(tmp_path), strict=True, driver=empty_graph)
    assert not result.valid
    assert not result.written
    assert (
        _count(empty_graph, neo4j_settings, "MATCH (n) WHERE NOT n:SchemaMigration RETURN count(n)")
        == 0
    )


def test_default_loads_valid_rows_and_lists_bad_ones(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    result = run_ingest(neo4j_settings, _bad_dataset(tmp_path), driver=empty_graph)
    assert not result.valid
    assert result.written
    errors = [i for i in result.report.issues if i.severity == "error"]
    assert errors[0].code == "invalid-enum"
    assert errors[0].row == 2
    assert errors[0].column == "kind"
    loaded = _count(empty_graph, neo4j_settings, "MATCH (o:Organization) RETURN count(o)")
    assert loaded == 50 - result.report.stats["organizations"].rows_rejected
    # Nothing points at the rejected organization: its dependants were rejected too.
    dangling = _count(
        empty_graph,
        neo4j_settings,
        "MATCH (n) WHERE (n:Organization OR n:Resource OR n:PartyOrg) "
        "AND NOT (n)-[:IN_REGION]->() AND NOT n:Retired RETURN count(n)",
    )
    assert dangling == 0


def test_dry_run_writes_nothing(empty_graph: Driver, neo4j_settings: Settings) -> None:
    result = run_ingest(neo4j_settings, CSV, dry_run=True, driver=empty_graph)
    assert result.valid
    assert not result.written
    assert _count(empty_graph, neo4j_settings, "MATCH (n:Region) RETURN count(n)") == 0


def _a_phone() -> tuple[str, str]:
    with (CSV / "people.csv").open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["phone"])
    return row["id"], row["phone"]


def test_phone_numbers_never_stored_in_clear(empty_graph: Driver, neo4j_settings: Settings) -> None:
    run_ingest(neo4j_settings, CSV, driver=empty_graph)
    person, phone = _a_phone()
    records, _, _ = empty_graph.execute_query(
        "MATCH (p:Person {id: $id}) RETURN properties(p) AS props",
        id=person,
        database_=neo4j_settings.neo4j_database,
    )
    props = records[0]["props"]
    assert props["phone_masked"] == f"{phone[:3]}****{phone[-4:]}"
    assert "phone_encrypted" not in props  # no key configured
    # No property of any node holds a clear number.
    records, _, _ = empty_graph.execute_query(
        "MATCH (n) RETURN properties(n) AS props", database_=neo4j_settings.neo4j_database
    )
    assert not [r for r in records if phone in str(r["props"])]


def test_phone_numbers_encrypted_with_a_key(empty_graph: Driver, neo4j_settings: Settings) -> None:
    key = Fernet.generate_key().decode()
    settings = neo4j_settings.model_copy(update={"phone_key": SecretStr(key)})
    run_ingest(settings, CSV, driver=empty_graph)
    person, phone = _a_phone()
    records, _, _ = empty_graph.execute_query(
        "MATCH (p:Person {id: $id}) RETURN p.phone_encrypted AS cipher",
        id=person,
        database_=neo4j_settings.neo4j_database,
    )
    assert PhoneVault(key, b"salt").reveal(records[0]["cipher"]) == phone
    assert PhoneVault(Fernet.generate_key().decode(), b"salt").reveal(records[0]["cipher"]) is None


def test_hostile_text_is_stored_inert(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    data = _copy_sample(tmp_path)
    hostile = "x'}) MATCH (n) DETACH DELETE n // <script>alert(1)</script>"

    def poison(rows):
        rows[0]["name"] = hostile
        return rows

    _rewrite(data / "organizations.csv", poison)
    result = run_ingest(neo4j_settings, data, driver=empty_graph)
    assert result.valid
    records, _, _ = empty_graph.execute_query(
        "MATCH (o:Organization) WHERE o.name = $name RETURN count(o) AS n",
        name=hostile,
        database_=neo4j_settings.neo4j_database,
    )
    assert records[0]["n"] == 1
    assert _count(empty_graph, neo4j_settings, "MATCH (n:Region) RETURN count(n)") == 159


def test_partial_dataset_resolves_references_in_the_graph(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    regions_only = tmp_path / "regions"
    regions_only.mkdir()
    shutil.copy(CSV / "regions.csv", regions_only)
    assert run_ingest(neo4j_settings, regions_only, driver=empty_graph).valid
    orgs_only = tmp_path / "orgs"
    orgs_only.mkdir()
    shutil.copy(CSV / "organizations.csv", orgs_only)
    result = run_ingest(neo4j_settings, orgs_only, driver=empty_graph)
    assert result.valid, result.report.issues[:3]
    assert (
        _count(
            empty_graph, neo4j_settings, "MATCH (:Organization)-[r:IN_REGION]->() RETURN count(r)"
        )
        == 50
    )


def _cli_env(settings: Settings, batch_size: int) -> dict[str, str]:
    env = dict(
        os.environ,
        COBUILD_INGEST_BATCH_SIZE=str(batch_size),
        COBUILD_LOG_FORMAT="json",
    )
    if settings.uses_local_neo4j:
        env.update(
            COBUILD_DATA_DIR=str(settings.data_dir),
            COBUILD_LOCAL_BOLT_PORT=str(settings.local_bolt_port),
        )
    return env


ELEMENTS = "RETURN COUNT { MATCH (n) } + COUNT { MATCH ()-[r]->() } AS n"


def _wait_until_written(
    driver: Driver, db: str, process: subprocess.Popen[bytes], elements: int
) -> None:
    """Return once ``elements`` nodes and relationships exist (a point part-way through the
    load, whatever the machine's speed), the load still running."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the load finished before it was killed"
        records, _, _ = driver.execute_query(ELEMENTS, database_=db)
        if records[0]["n"] >= elements:
            return
        time.sleep(0.01)
    raise AssertionError(f"the load never wrote {elements} elements")


def _rerun(command: list[str], env: dict[str, str]) -> None:
    """Load again, to the end."""
    rerun = subprocess.run(  # noqa: S603 - fixed argv
        command, env=env, capture_output=True, timeout=300, check=False
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]


def _assert_same_graph(actual: list[str], expected: list[str], when: str) -> None:
    """Equal line for line, or fail naming the lines only one side has."""
    if actual == expected:
        return
    extra = sorted((Counter(actual) - Counter(expected)).elements())
    missing = sorted((Counter(expected) - Counter(actual)).elements())
    shown = "\n".join(
        [*(f"+ {line}" for line in extra[:10]), *(f"- {line}" for line in missing[:10])]
    )
    raise AssertionError(
        f"{when}: {len(extra)} lines only in this graph, {len(missing)} only in the expected "
        f"one (of {len(expected)}):\n{shown}"
    )


@pytest.mark.slow
def test_killed_batched_load_then_rerun_equals_an_uninterrupted_load(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """A run too big for one transaction (here: every run) is written batch by batch; killed
    part-way, loading again finishes it."""
    from ingest.generate import generate

    db = neo4j_settings.neo4j_database
    data = tmp_path / "generated"
    generate(0.1, 11, data)
    run_ingest(neo4j_settings, data, driver=empty_graph)
    uninterrupted, _ = graph_lines(empty_graph, db)

    records, _, _ = empty_graph.execute_query(ELEMENTS, database_=db)
    total = records[0]["n"]

    env = _cli_env(neo4j_settings, batch_size=25)
    command = [sys.executable, "-m", "cobuild", "ingest", "--batched", str(data)]
    # Killed as soon as it writes, about half-way, and near the end.
    for fraction in (0.0, 0.5, 0.9):
        empty_graph.execute_query(
            "MATCH (n) WHERE NOT (n:SchemaMigration OR n:IngestConfig) DETACH DELETE n",
            database_=db,
        )
        records, _, _ = empty_graph.execute_query(ELEMENTS, database_=db)
        kept = records[0]["n"]
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_until_written(empty_graph, db, process, kept + int((total - kept) * fraction) + 1)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the load finished before it was killed"
        partial, _ = graph_lines(empty_graph, db)
        assert partial != uninterrupted
        _rerun(command, env)
        _assert_same_graph(graph_lines(empty_graph, db)[0], uninterrupted, f"killed at {fraction}")
    records, _, _ = empty_graph.execute_query(
        "MATCH (r:IngestRun) RETURN r.status AS status, count(*) AS n ORDER BY status",
        database_=db,
    )
    statuses = {r["status"]: r["n"] for r in records}
    assert statuses == {"abandoned": 1, "completed": 1}  # the killed run, then its rerun


# The ingest's one transaction, and the statement it is running, once it waits on a lock.
BLOCKED_RUN = """
SHOW TRANSACTIONS YIELD metaData, currentQuery, status
WHERE metaData.app = 'cobuild-ingest' AND status STARTS WITH 'Blocked'
RETURN currentQuery AS query
"""


def _kill_while_blocked(
    driver: Driver,
    db: str,
    command: list[str],
    env: dict[str, str],
    lock: tuple[LiteralString, dict[str, Any]],
    waiting_in: str,
) -> None:
    """Run the load while another transaction holds the lock ``lock`` takes; kill it once its
    transaction waits on that lock in a statement containing ``waiting_in`` — a known point
    inside the run, whatever the machine's speed."""
    with driver.session(database=db) as session, session.begin_transaction() as holder:
        assert holder.run(*lock).single(strict=True)["locked"] == 1
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the load ended unblocked (exit {process.returncode})")
            queries = [r["query"] for r in driver.execute_query(BLOCKED_RUN, database_=db)[0]]
            if queries:
                process.send_signal(signal.SIGKILL)
                process.wait()
                assert any(waiting_in in q for q in queries), queries
                holder.rollback()
                return
            time.sleep(0.01)
        process.kill()
        raise AssertionError("the load never waited on the lock")


def _changed_person(first: Path, second: Path) -> str:
    """A person both datasets have, with other values in the second."""

    def people(folder: Path) -> dict[str, dict[str, str]]:
        with (folder / "people.csv").open(encoding="utf-8", newline="") as handle:
            return {row["id"]: row for row in csv.DictReader(handle)}

    old, new = people(first), people(second)
    return next(key for key in sorted(old.keys() & new.keys()) if old[key] != new[key])


@pytest.mark.slow
def test_a_killed_one_transaction_load_leaves_the_graph_as_it_was(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """A run is one transaction: killed while writing its
    tables, or with every table written and its derived values under way, the graph is exactly
    the one before it; loading again gives what an uninterrupted run gives."""
    from ingest.generate import generate

    db = neo4j_settings.neo4j_database
    first, second = tmp_path / "first", tmp_path / "second"
    generate(0.1, 11, first)
    generate(0.1, 12, second)  # same ids, other values, more rows: updates and inserts
    run_ingest(neo4j_settings, first, driver=empty_graph)
    before, _ = graph_lines(empty_graph, db)
    run_ingest(neo4j_settings, second, driver=empty_graph)
    uninterrupted, _ = graph_lines(empty_graph, db)
    assert uninterrupted != before

    env = _cli_env(neo4j_settings, batch_size=25)
    command = [sys.executable, "-m", "cobuild", "ingest", str(second)]
    points: list[tuple[tuple[LiteralString, dict[str, Any]], str]] = [
        # A person's row, written after regions, skills, organizations and party orgs.
        (
            (
                "MATCH (p:Person {id: $id}) SET p.locked = 1 RETURN count(p) AS locked",
                {"id": _changed_person(first, second)},
            ),
            "UNWIND $rows",
        ),
        # The city's tallies, the last derived values: every table is written by then.
        (
            (
                "MATCH (r:Region) WHERE NOT EXISTS { (r)-[:PART_OF]->(:Region) } "
                "SET r.locked = 1 RETURN count(r) AS locked",
                {},
            ),
            "tally_keys",
        ),
    ]
    for lock, waiting_in in points:
        empty_graph.execute_query(  # the phone salt kept: phone hashes stay comparable
            "MATCH (n) WHERE NOT (n:SchemaMigration OR n:IngestConfig) DETACH DELETE n",
            database_=db,
        )
        run_ingest(neo4j_settings, first, driver=empty_graph)
        _kill_while_blocked(empty_graph, db, command, env, lock, waiting_in)
        _assert_same_graph(graph_lines(empty_graph, db)[0], before, f"killed in {waiting_in!r}")
        _rerun(command, env)
        _assert_same_graph(graph_lines(empty_graph, db)[0], uninterrupted, f"rerun {waiting_in!r}")
    records, _, _ = empty_graph.execute_query(
        "MATCH (r:IngestRun {atomic: true}) RETURN r.status AS status, count(*) AS n",
        database_=db,
    )
    assert {r["status"]: r["n"] for r in records} == {"completed": 2, "abandoned": 1}


LOCATED = {
    "regions.csv": "id,name,level,parent_id,lat,lon\n"
    "R1,青岛市,city,,36.0,120.0\nR2,市南区,district,R1,,\nR3,八大关街道,street,R2,36.1,120.1\n"
    "R4,太平角社区,community,R3,,\nR5,第1网格,grid,R4,,\n",
    "organizations.csv": "id,name,kind,sector,region_id,lat,lon\n"
    "O1,甲公司,private_enterprise,new_economic,R5,,\n"
    "O2,乙公司,private_enterprise,new_economic,R5,36.2,120.2\n",
    "people.csv": "id,name,is_party_member,residence_region_id\n"
    "P1,张三,false,R5\nP2,李四,false,R4\n",
}
PLACES = """
MATCH (n) WHERE n.id IN ['R1', 'R2', 'R3', 'R4', 'R5', 'O1', 'O2', 'P1', 'P2']
RETURN n.id AS id, [n.location.latitude, n.location.longitude] AS at,
       coalesce(n.location_inherited, false) AS inherited
"""


def test_places_without_coordinates_inherit_the_nearest(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """A region takes its nearest placed ancestor's location, a unit its region's, a person
    their residence's; they follow when that location changes on a re-load."""
    db = neo4j_settings.neo4j_database
    data = tmp_path / "located"
    data.mkdir()
    for name, text in LOCATED.items():
        (data / name).write_text(text, encoding="utf-8")

    def places() -> dict[str, tuple[list[float], bool]]:
        records, _, _ = empty_graph.execute_query(PLACES, database_=db)
        return {r["id"]: (r["at"], r["inherited"]) for r in records}

    assert run_ingest(neo4j_settings, data, driver=empty_graph).valid
    city, street, own = ([36.0, 120.0], False), ([36.1, 120.1], False), ([36.2, 120.2], False)
    assert places() == {
        "R1": city,
        "R2": (city[0], True),
        "R3": street,
        "R4": (street[0], True),
        "R5": (street[0], True),
        "O1": (street[0], True),
        "O2": own,
        "P1": (street[0], True),
        "P2": (street[0], True),
    }
    moved = LOCATED["regions.csv"].replace("R2,36.1,120.1", "R2,36.3,120.3")
    (data / "regions.csv").write_text(moved, encoding="utf-8")
    run_ingest(neo4j_settings, data, driver=empty_graph)
    after = places()
    assert after["R3"] == ([36.3, 120.3], False)
    assert {k: after[k] for k in ("R4", "R5", "O1", "P1", "P2")} == {
        k: ([36.3, 120.3], True) for k in ("R4", "R5", "O1", "P1", "P2")
    }
    assert (after["R2"], after["O2"]) == ((city[0], True), own)


# What a unit's people can do, walked afresh: the oracle for the derived offer_skill_* lists.
HELD_BY_UNIT = """
MATCH (b:Unit)
OPTIONAL MATCH (b)<-[:EMPLOYED_BY|MEMBER_OF]-(p:Person)-[h:HAS_SKILL]->(s:Skill)
WHERE NOT p:Retired AND h.retired_run IS NULL AND NOT s:Retired
WITH b, collect(DISTINCT [s.id, coalesce(h.level, 3), coalesce(h.certified, false)]) AS held
RETURN b.id AS id, held,
       [b.offer_skill_ids, b.offer_skill_levels, b.offer_skill_certified] AS derived
"""


def _offers(driver: Driver, settings: Settings) -> dict[str, tuple[list[list[object]], ...]]:
    """Per unit: (skill, level, certified) held, and the derived lists side by side — the three
    lists compared whole, so one longer than the others (a level without its skill) fails."""
    records, _, _ = driver.execute_query(HELD_BY_UNIT, database_=settings.neo4j_database)
    offers: dict[str, tuple[list[list[object]], ...]] = {}
    for r in records:
        held = sorted(h for h in r["held"] if h[0] is not None)
        offers[r["id"]] = ([[h[i] for h in held] for i in range(3)], r["derived"])
    return offers


def test_units_skill_offers_follow_their_people(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    data = _copy_sample(tmp_path)
    run_ingest(neo4j_settings, data, driver=empty_graph)
    offers = _offers(empty_graph, neo4j_settings)
    assert sum(1 for held, _ in offers.values() if held[0]) >= 5  # the sample has skilled staff
    assert all(derived == held for held, derived in offers.values())

    # Skills dropped from a --sync snapshot no longer count for their holders' units.
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    shutil.copy(data / "person_skills.csv", snapshot / "person_skills.csv")
    _rewrite(snapshot / "person_skills.csv", lambda rows: rows[: len(rows) // 2])
    run_ingest(neo4j_settings, snapshot, sync=True, driver=empty_graph)
    after = _offers(empty_graph, neo4j_settings)
    assert all(derived == held for held, derived in after.values())
    assert after != offers


# Every unit's horizontal ties walked afresh, each with the dates it holds between: the oracle
# for the derived tie_* lists.
TIES_WALKED = """
MATCH (u:Unit)
OPTIONAL CALL (u) {
  MATCH (u)<-[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]-(p:Person)
        -[:MEMBER_OF|EMPLOYED_BY|REPORTS_TO]->(v:Unit)
  WHERE p.is_party_member = true AND NOT p:Retired
  RETURN v, null AS since, null AS until
  UNION
  MATCH (u)-[:PARTY_TO]->(a:Agreement)<-[:PARTY_TO]-(v:Unit)
  WHERE NOT a:Retired
  RETURN v, a.signed_on AS since, a.expires_on AS until
  UNION
  MATCH (u)-[t1:OWNED_BY|USED]-(res:Resource)-[t2:OWNED_BY|USED]-(v:Unit)
  WHERE t1.retired_run IS NULL AND t2.retired_run IS NULL AND NOT res:Retired
  RETURN v, res.available_from AS since, res.available_to AS until
}
WITH u, collect(CASE WHEN v <> u AND NOT v:Retired THEN [
  v.id, since, until, CASE WHEN v:PartyOrg AND v.type = 'temporary' THEN v.valid_to END
] END) AS ties
RETURN u.id AS id, ties, u.tie_ids AS ids, u.tie_since AS since, u.tie_until AS until
"""


def _tied_at(settings: Settings, driver: Driver, days: list[date]) -> int:
    """Check that at each day the derived ties name the same other unit as a fresh walk when
    there is at most one, and at least two when there are more; return how many units have
    ties."""
    records, _, _ = driver.execute_query(TIES_WALKED, database_=settings.neo4j_database)
    with_ties = 0
    for r in records:
        with_ties += bool(r["ties"])
        for day in days:
            walked = {
                v
                for v, since, until, ends in r["ties"]
                if (since is None or since <= day)
                and (until is None or day <= until)
                and (ends is None or day <= ends)
            }
            derived = {
                v
                for v, since, until in zip(r["ids"], r["since"], r["until"], strict=True)
                if since <= day <= until
            }
            if len(walked) <= 1:
                assert derived == walked, (r["id"], day)
            else:
                assert len(derived) >= 2, (r["id"], day)
                assert derived <= walked, (r["id"], day)
    return with_ties


def test_units_ties_follow_their_people_agreements_and_resources(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    data = _copy_sample(tmp_path)
    run_ingest(neo4j_settings, data, driver=empty_graph)
    days = [date(2015, 1, 1), date(2023, 6, 1), date(2024, 6, 1), date.today(), date(2040, 1, 1)]
    assert _tied_at(neo4j_settings, empty_graph, days) >= 10
    dated = "MATCH (u:Unit) WHERE any(d IN u.tie_until WHERE d.year < 9999) RETURN count(u)"
    assert _count(empty_graph, neo4j_settings, dated) >= 1  # the sample's agreements expire

    # Agreements dropped from a --sync snapshot no longer tie their parties.
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    shutil.copy(data / "agreements.csv", snapshot / "agreements.csv")
    _rewrite(snapshot / "agreements.csv", lambda rows: rows[: len(rows) // 2])
    ties = "MATCH (u:Unit) RETURN sum(size(u.tie_ids))"
    before = _count(empty_graph, neo4j_settings, ties)
    run_ingest(neo4j_settings, snapshot, sync=True, driver=empty_graph)
    _tied_at(neo4j_settings, empty_graph, days)
    assert _count(empty_graph, neo4j_settings, ties) < before


# The skills held in each street, walked afresh (each holder with the end of the temporary
# party org it reports to, if that is all that places it in the street), and each skill's
# holdings: the oracle for held_* and holders.
HELD_IN_STREETS = """
MATCH (street:Region {level: 'street'})
OPTIONAL MATCH (street)<-[:PART_OF]-{0,7}(:Region)<-[l:RESIDES_IN|IN_REGION]-(n)
WHERE NOT n:Retired AND (type(l) = 'RESIDES_IN' OR n:PartyOrg)
OPTIONAL MATCH (n)<-[:REPORTS_TO]-(r:Person)
WHERE n:PartyOrg AND NOT r:Retired
WITH street, CASE WHEN type(l) = 'RESIDES_IN' THEN n ELSE r END AS p,
     CASE WHEN n:PartyOrg AND n.type = 'temporary' THEN n.valid_to END AS ends
OPTIONAL MATCH (p)-[h:HAS_SKILL]->(s:Skill)
WHERE h.retired_run IS NULL
WITH street, collect(CASE WHEN s IS NOT NULL THEN [s.id, ends] END) AS holdings
RETURN street.id AS id, holdings, street.held_skill_ids AS held,
       street.held_dated_skill_ids AS dated_ids, street.held_dated_until AS dated_until
"""
HOLDINGS = """
MATCH (k:Skill)
RETURN k.id AS id, k.holders AS derived, COUNT {
  MATCH (p:Person)-[h:HAS_SKILL]->(:Skill)-[:SUBCATEGORY_OF]->{0,5}(k)
  WHERE NOT p:Retired AND h.retired_run IS NULL
} AS holders
"""


def _held_at(settings: Settings, driver: Driver, days: list[date]) -> int:
    """Check each street's derived skills against a fresh walk at each day; return how many
    street skills there are."""
    records, _, _ = driver.execute_query(HELD_IN_STREETS, database_=settings.neo4j_database)
    held = 0
    for r in records:
        held += len(r["held"])
        for day in days:
            walked = {k for k, ends in r["holdings"] if ends is None or day <= ends}
            dated = zip(r["dated_ids"], r["dated_until"], strict=True)
            derived = set(r["held"]) | {k for k, until in dated if day <= until}
            assert derived == walked, (r["id"], day)
    records, _, _ = driver.execute_query(HOLDINGS, database_=settings.neo4j_database)
    assert [(r["id"], r["derived"]) for r in records] == [(r["id"], r["holders"]) for r in records]
    return held


def test_streets_skills_follow_their_residents_and_party_orgs(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    data = _copy_sample(tmp_path)
    run_ingest(neo4j_settings, data, driver=empty_graph)
    days = [date(2015, 1, 1), date(2024, 6, 1), date.today(), date(2040, 1, 1)]
    before = _held_at(neo4j_settings, empty_graph, days)
    assert before >= 5  # the sample's residents hold skills

    # Skills dropped from a --sync snapshot are no longer held in their holders' streets.
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    shutil.copy(data / "person_skills.csv", snapshot / "person_skills.csv")
    _rewrite(snapshot / "person_skills.csv", lambda rows: rows[: len(rows) // 4])
    run_ingest(neo4j_settings, snapshot, sync=True, driver=empty_graph)
    assert _held_at(neo4j_settings, empty_graph, days) < before


# Each small area's party members residing in or below it and the active party orgs sitting in
# or below it (with their ends), walked afresh: the oracle for members_below and
# party_orgs_until.
REACH_WALKED = """
MATCH (a:Region) WHERE a.level IN ['grid', 'compound', 'building']
RETURN a.id AS id, a.members_below AS members, a.party_orgs_until AS until,
       COUNT {
         MATCH (a)<-[:PART_OF]-{0,7}(:Region)<-[:RESIDES_IN]-(p:Person)
         WHERE p.is_party_member = true AND NOT p:Retired
       } AS walked_members,
       COLLECT {
         MATCH (a)<-[:PART_OF]-{0,7}(:Region)<-[:IN_REGION]-(po:PartyOrg)
         WHERE NOT po:Retired
         RETURN CASE WHEN po.type = 'temporary' THEN po.valid_to END
       } AS ends
"""


def _reach_holds(settings: Settings, driver: Driver) -> tuple[int, int]:
    """Check each area's derived reach against a fresh walk; return how many areas have members
    and how many have party orgs."""
    records, _, _ = driver.execute_query(REACH_WALKED, database_=settings.neo4j_database)
    with_members = with_orgs = 0
    for r in records:
        assert r["members"] == r["walked_members"], r["id"]
        ends = r["ends"]
        if not ends:
            assert r["until"] == date(1, 1, 1), r["id"]
        elif None in ends:
            assert r["until"] == date(9999, 12, 31), r["id"]
        else:
            assert r["until"] == max(ends), r["id"]
        with_members += r["members"] > 0
        with_orgs += bool(ends)
    return with_members, with_orgs


def test_areas_reach_follows_members_and_party_orgs(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    data = _copy_sample(tmp_path)
    # The sample's party orgs sit in streets and communities: add a lasting one in a building
    # and a temporary one, ended, in a building of another compound.
    extra = {"parent_id": "PO-370202", "founded_on": "2020-01-01"}
    _rewrite(
        data / "party_orgs.csv",
        lambda rows: [
            *rows,
            {
                **dict.fromkeys(rows[0], ""),
                **extra,
                "id": "PO-B",
                "name": "楼栋党小组",
                "type": "branch",
                "region_id": "370202001001W01X01B01",
            },
            {
                **dict.fromkeys(rows[0], ""),
                **extra,
                "id": "PO-T",
                "name": "临时党支部",
                "type": "temporary",
                "region_id": "370202001001W01X02B01",
                "valid_to": "2024-12-31",
            },
        ],
    )
    run_ingest(neo4j_settings, data, driver=empty_graph)
    with_members, with_orgs = _reach_holds(neo4j_settings, empty_graph)
    assert with_members >= 3
    assert with_orgs >= 5  # two buildings, their compounds, one grid above both

    # Members dropped from a --sync snapshot no longer reach their areas.
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    shutil.copy(data / "people.csv", snapshot / "people.csv")
    _rewrite(snapshot / "people.csv", lambda rows: rows[: len(rows) // 3])
    run_ingest(neo4j_settings, snapshot, sync=True, driver=empty_graph)
    assert _reach_holds(neo4j_settings, empty_graph)[0] < with_members


# Where each unit and resource sits and until when each organization is covered, read afresh:
# the oracle for their region_path and covered_until.
PLACED_AND_COVERED = """
MATCH (x:Unit|Resource)-[:IN_REGION]->(r:Region)
WITH count(x) AS placed, count(CASE WHEN x.region_path = r.region_path THEN 1 END) AS same
MATCH (o:Organization)
RETURN placed, same, count(o) AS organizations,
       count(CASE WHEN o.covered_until = coalesce(COLLECT {
         MATCH (o)<-[:SET_UP_IN|COVERS]-(po:PartyOrg) WHERE NOT po:Retired
         RETURN CASE WHEN po.type = 'temporary' THEN coalesce(po.valid_to, date('9999-12-31'))
                     ELSE date('9999-12-31') END AS until ORDER BY until DESC
       }[0], date('0001-01-01')) THEN 1 END) AS covered_right,
       count(CASE WHEN o.covered_until.year = 9999 THEN 1 END) AS lasting,
       count(CASE WHEN o.covered_until.year = 1 THEN 1 END) AS never
"""


def test_units_know_where_they_sit_and_organizations_until_when_covered(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    data = _copy_sample(tmp_path)
    run_ingest(neo4j_settings, data, driver=empty_graph)
    db = neo4j_settings.neo4j_database
    (r,), _, _ = empty_graph.execute_query(PLACED_AND_COVERED, database_=db)
    assert r["placed"] == r["same"] > 50
    assert r["organizations"] == r["covered_right"]
    assert r["lasting"] >= 1
    assert r["never"] >= 1  # the sample's uncovered organizations

    # A region moved under another parent: everything in and below it follows.
    _rewrite(
        data / "regions.csv",
        lambda rows: [
            {**row, "parent_id": "370202002"} if row["id"] == "370202001001" else row
            for row in rows
        ],
    )
    run_ingest(neo4j_settings, data, driver=empty_graph)
    (r,), _, _ = empty_graph.execute_query(PLACED_AND_COVERED, database_=db)
    assert r["placed"] == r["same"]
    moved = "MATCH (o:Organization) WHERE o.region_path[3] = '370202002' RETURN count(o)"
    assert _count(empty_graph, neo4j_settings, moved) >= 1


def test_a_store_loaded_before_a_summary_existed_gets_it_on_the_next_load(
    empty_graph: Driver, neo4j_settings: Settings
) -> None:
    run_ingest(neo4j_settings, CSV, driver=empty_graph)
    empty_graph.execute_query(
        "MATCH (r:Region) REMOVE r.region_path", database_=neo4j_settings.neo4j_database
    )
    again = run_ingest(neo4j_settings, CSV, recheck=True, driver=empty_graph)
    assert again.elements_written == 0
    missing = "MATCH (r:Region) WHERE r.region_path IS NULL RETURN count(r)"
    assert _count(empty_graph, neo4j_settings, missing) == 0
