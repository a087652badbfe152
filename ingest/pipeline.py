"""Ingest end to end: parse → validate → write, with a recorded run.

``run_ingest`` is what the CLI and the upload endpoint call. Nothing is written for
``dry_run``, nor for ``strict`` when any row is bad; otherwise the valid rows load and the bad
ones are listed in the report (the CLI exits non-zero when rows were rejected).
"""

from __future__ import annotations

import getpass
import json
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neo4j import Driver
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from cobuild.logs import get_logger
from cobuild.settings import Settings
from graph.connection import create_driver
from graph.model import BATCHED_NOTICE_S
from ingest import runs, transactions
from ingest.known import Neo4jKnownGraph
from ingest.phones import PhoneVault
from ingest.read import DatasetSource, open_dataset
from ingest.validate import Report, TableStats, ValidatedDataset, validate_dataset
from ingest.write import (
    TABLES,
    Prepared,
    TableOutcome,
    batches,
    prepare,
    stored_hashes,
    stored_tables,
    write_batch,
)

log = get_logger(__name__)


@dataclass
class IngestResult:
    """What a run did: the validation report plus what was written."""

    report: Report
    run_id: str | None = None
    written: bool = False
    tables: dict[str, TableOutcome] = field(default_factory=dict)
    retired: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    validation_seconds: float = 0.0  # of ``seconds``: reading and validating the dataset
    derive_seconds: float = 0.0  # of ``seconds``: values derived after the writes
    # The run this one repeated exactly (nothing validated or compared again), if any.
    unchanged_since: str | None = None
    atomic: bool = True  # written in one transaction (ingest.transactions)

    @property
    def valid(self) -> bool:
        return self.report.valid

    def rolled_back(self) -> None:
        """Forget what the run's one transaction wrote: it was rolled back."""
        for outcome in self.tables.values():
            outcome.written = outcome.elements = 0
        self.retired = {}

    @property
    def elements_written(self) -> int:
        return sum(t.elements for t in self.tables.values())

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "written": self.written,
            "valid": self.valid,
            "seconds": round(self.seconds, 3),
            "validation_seconds": round(self.validation_seconds, 3),
            "derive_seconds": round(self.derive_seconds, 3),
            "elements_written": self.elements_written,
            "unchanged_since": self.unchanged_since,
            "atomic": self.atomic,
            "tables": {
                name: {
                    "rows": t.rows,
                    "written": t.written,
                    "skipped": t.skipped,
                    "elements": t.elements,
                }
                for name, t in self.tables.items()
            },
            "retired": self.retired,
        }


def run_ingest(
    settings: Settings,
    source: Path,
    *,
    strict: bool = False,
    dry_run: bool = False,
    sync: bool = False,
    keep_extra: bool = False,
    recheck: bool = False,
    batched: bool = False,
    driver: Driver | None = None,
    user: str | None = None,
) -> IngestResult:
    """Validate the dataset at ``source`` and write its valid rows to Neo4j.

    A dataset byte for byte the one the graph was last loaded from, cleanly and with nothing
    run since, is recorded as a run that skipped every row without validating them again;
    ``recheck`` validates and compares every row anyway.

    The run is one transaction: queries see the graph wholly before it or wholly after it.
    ``batched`` writes it batch by batch instead, for first loads bigger than the server's
    transaction memory (queries may then see it part-written; ingest.transactions).

    Returns the result with the validation report. Raises ``RunTooLargeError`` when a run
    outgrows the server's transaction memory (nothing written), ``graph.errors.GraphError``
    subclasses and the driver's errors for other database failures, never for bad rows.
    """
    own_driver = driver is None
    drv = driver or create_driver(settings)
    try:
        return _run(
            settings, drv, source, strict, dry_run, sync, keep_extra, recheck, batched, user
        )
    finally:
        if own_driver:
            drv.close()


def _run(
    settings: Settings,
    driver: Driver,
    source: Path,
    strict: bool,
    dry_run: bool,
    sync: bool,
    keep_extra: bool,
    recheck: bool,
    batched: bool,
    user: str | None,
) -> IngestResult:
    database = settings.neo4j_database
    started = time.perf_counter()
    opened = open_dataset(source)
    load_key = runs.load_key(opened, keep_extra=keep_extra)
    if not (dry_run or recheck):
        last = runs.unchanged_since(driver, database, load_key, sync=sync)
        if last is not None:
            return _record_unchanged(settings, driver, opened, load_key, last, sync, user, started)
    dataset = validate_dataset(
        opened, keep_extra=keep_extra, known=Neo4jKnownGraph(driver, database)
    )
    result = IngestResult(report=dataset.report, validation_seconds=time.perf_counter() - started)
    log.info(
        "ingest.validated",
        source=str(source),
        valid=dataset.report.valid,
        issues=dataset.report.issue_count,
        seconds=round(result.validation_seconds, 2),
    )
    if dry_run or (strict and not dataset.report.valid):
        result.seconds = time.perf_counter() - started
        return result

    run_id = f"run-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    result.run_id = run_id
    valid_rows = sum(len(rows) for rows in dataset.tables.values())
    result.atomic = not batched
    if batched:
        log.warning(
            "ingest.batched",
            rows=valid_rows,
            reason="written batch by batch as asked: queries may see this run part-written "
            "until it finishes",
        )
    driver.execute_query(
        runs.START_RUN,
        id=run_id,
        source=str(source),
        checksum=dataset.report.checksum,
        load_key=load_key,
        user=user or getpass.getuser(),
        strict=strict,
        sync=sync,
        atomic=result.atomic,
        unchanged_since=None,
        database_=database,
    )
    if batched:
        # Every API process looks for running batched loads this often: once it has, its
        # answers say they may show this run part-written (api.notices).
        time.sleep(BATCHED_NOTICE_S)
    abandoned, _, _ = driver.execute_query(runs.ABANDON_RUNS, id=run_id, database_=database)
    # A killed run may have written everything but the derived values: derive again then.
    resuming = bool(abandoned[0]["abandoned"])
    key = settings.phone_key.get_secret_value() if settings.phone_key else None
    if key is None and dataset.tables.get("people"):
        log.warning(
            "ingest.phones_unencrypted",
            reason="COBUILD_PHONE_KEY is not set: phone numbers are stored masked and hashed "
            "only, and can never be revealed",
        )
    vault = PhoneVault(key, runs.phone_salt(driver, database))
    status = "failed"
    try:
        with transactions.writes(
            driver,
            database,
            atomic=result.atomic,
            timeout_s=settings.ingest_transaction_timeout_s,
            run_id=run_id,
        ) as writes:
            _write_tables(settings, driver, dataset, run_id, vault, result, writes)
            if sync:
                for spec in TABLES:
                    if _present(dataset, spec.table):
                        keys = [spec.key(row) for row in dataset.tables[spec.table]]
                        result.retired[spec.table] = runs.retire_absent(
                            writes, spec.table, keys, run_id
                        )
            if (
                result.elements_written
                or any(result.retired.values())
                or resuming
                or runs.summaries_missing(writes)
            ):
                # Derived values change only when something was written (or predate the store).
                derive_started = time.perf_counter()
                runs.derive(writes)
                result.derive_seconds = time.perf_counter() - derive_started
        result.written = True
        status = "completed"
    finally:
        result.seconds = time.perf_counter() - started
        if status == "failed" and result.atomic:  # rolled back: it wrote nothing
            result.rolled_back()
        driver.execute_query(
            runs.FINISH_RUN,
            id=run_id,
            status=status,
            duration_s=result.seconds,
            rows_read=sum(s.rows_read for s in dataset.report.stats.values()),
            rows_rejected=sum(s.rows_rejected for s in dataset.report.stats.values()),
            rows_written=sum(t.written for t in result.tables.values()),
            rows_skipped=sum(t.skipped for t in result.tables.values()),
            elements_written=result.elements_written,
            rows_retired=sum(result.retired.values()),
            tables_json=json.dumps(result.summary()["tables"], ensure_ascii=False),
            issue_count=dataset.report.issue_count,
            stats_json=json.dumps(dataset.report.to_dict()["stats"]),
            database_=database,
        )
    log.info("ingest.finished", **result.summary())
    return result


def _record_unchanged(
    settings: Settings,
    driver: Driver,
    opened: DatasetSource,
    load_key: str,
    last: runs.LastLoad,
    sync: bool,
    user: str | None,
    started: float,
) -> IngestResult:
    """Record a run of the dataset the graph was last loaded from: every row skipped."""
    database = settings.neo4j_database
    stats = {table: TableStats(**counts) for table, counts in last.stats.items()}
    report = Report(
        source=str(opened.root),
        checksum=opened.checksum,
        stats=stats,
        issues=(),
        issue_count=0,
        error_count=0,
        warning_count=0,
        counts={},
        files=opened.files,
    )
    result = IngestResult(report=report, written=True, unchanged_since=last.run_id)
    for spec in TABLES:
        table_stats = stats.get(spec.table)
        if table_stats is not None and table_stats.rows_read:
            valid = table_stats.rows_valid
            result.tables[spec.table] = TableOutcome(spec.table, valid, skipped=valid)
    result.run_id = f"run-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    driver.execute_query(
        runs.START_RUN,
        id=result.run_id,
        source=str(opened.root),
        checksum=opened.checksum,
        load_key=load_key,
        user=user or getpass.getuser(),
        strict=False,
        sync=sync,
        atomic=True,
        unchanged_since=last.run_id,
        database_=database,
    )
    result.seconds = time.perf_counter() - started
    read = sum(s.rows_read for s in stats.values())
    driver.execute_query(
        runs.FINISH_RUN,
        id=result.run_id,
        status="completed",
        duration_s=result.seconds,
        rows_read=read,
        rows_rejected=0,
        rows_written=0,
        rows_skipped=sum(t.skipped for t in result.tables.values()),
        elements_written=0,
        rows_retired=0,
        tables_json=json.dumps(result.summary()["tables"], ensure_ascii=False),
        issue_count=0,
        stats_json=json.dumps(report.to_dict()["stats"]),
        database_=database,
    )
    log.info("ingest.unchanged", since=last.run_id, **result.summary())
    return result


def _write_tables(
    settings: Settings,
    driver: Driver,
    dataset: ValidatedDataset,
    run_id: str,
    vault: PhoneVault,
    result: IngestResult,
    writes: transactions.Writes,
) -> None:
    # What the store held when the run began (committed; an atomic run's own writes re-check
    # inside its transaction).
    stored = stored_tables(driver, settings.neo4j_database)
    with _progress() as progress:
        for spec in TABLES:
            rows = dataset.tables.get(spec.table)
            if not _present(dataset, spec.table) or rows is None:
                continue
            outcome = TableOutcome(spec.table, rows=len(rows))
            result.tables[spec.table] = outcome
            task = progress.add_task(spec.table, total=len(rows)) if progress else None
            table_started = time.perf_counter()
            # On a re-load, one streamed read of the stored hashes drops unchanged rows before
            # any write transaction; the write still re-checks inside its transaction.
            stored_now = (
                stored_hashes(driver, settings.neo4j_database, spec)
                if spec.table in stored
                else None
            )
            prepared = prepare(spec, rows, vault, stored_now)
            changed = batches(_changed(prepared, outcome), settings.ingest_batch_size)
            lookup = spec.table in stored
            if writes.atomic:  # one transaction is one connection: batch after batch
                for batch in changed:
                    counts = write_batch(writes, spec, batch, run_id, lookup=lookup)
                    _count(counts, outcome, progress, task)
            else:
                # Two transactions in flight: Neo4j writes one batch while the other is sent
                # and the next is prepared. Batches of a table are independent (every row's
                # references point at earlier tables, or at MERGEd placeholders).
                with ThreadPoolExecutor(max_workers=settings.ingest_writers) as pool:
                    pending: set[Future[tuple[int, int, int]]] = set()
                    for batch in changed:
                        if len(pending) >= settings.ingest_writers:
                            done, pending = wait(pending, return_when=FIRST_COMPLETED)
                            _tally(done, outcome, progress, task)
                        pending.add(
                            pool.submit(write_batch, writes, spec, batch, run_id, lookup=lookup)
                        )
                    _tally(wait(pending).done, outcome, progress, task)
            if progress is not None and task is not None:
                progress.update(task, completed=len(rows))
            seconds = time.perf_counter() - table_started
            log.info(
                "ingest.table",
                table=spec.table,
                rows=outcome.rows,
                written=outcome.written,
                skipped=outcome.skipped,
                rows_per_s=round(outcome.rows / seconds) if seconds > 0 else None,
            )


def _changed(prepared: Iterable[Prepared], outcome: TableOutcome) -> Iterator[Prepared]:
    """The rows to write; unchanged ones are only counted."""
    for item in prepared:
        if item.unchanged:
            outcome.skipped += 1
        else:
            yield item


def _tally(
    done: Iterable[Future[tuple[int, int, int]]],
    outcome: TableOutcome,
    progress: Progress | None,
    task: TaskID | None,
) -> None:
    for future in done:
        _count(future.result(), outcome, progress, task)  # re-raises a failed batch


def _count(
    counts: tuple[int, int, int],
    outcome: TableOutcome,
    progress: Progress | None,
    task: TaskID | None,
) -> None:
    written, skipped, elements = counts
    outcome.written += written
    outcome.skipped += skipped
    outcome.elements += elements
    if progress is not None and task is not None:
        progress.advance(task, written + skipped)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:>9,.0f} rows/s")


def _present(dataset: ValidatedDataset, table: str) -> bool:
    """Whether the dataset brought ``table`` at all (a --sync snapshot covers only those)."""
    stats = dataset.report.stats.get(table)
    return stats is not None and stats.rows_read > 0


@contextmanager
def _progress() -> Iterator[Progress | None]:
    """A progress bar per table on a terminal; nothing (log lines only) otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    progress = Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        transient=False,
    )
    with progress:
        yield progress
