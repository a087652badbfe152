"""Ingest while users query: queries keep answering, and never see a run half-written.

What a query may observe during a load (docs/security.md, "Bad days"): a run is one
transaction, so every answer shows the graph wholly before the run or wholly after it, and once
after, never before again. A run asked to write batch by batch (``batched``, for a first load
bigger than the heap): each batch is one transaction, so a row (its node, properties and
declared ties) is either as before or as after, never half-written; nothing is deleted, so
counts never dip; the run's record says ``running`` until every batch is in.
"""

from __future__ import annotations

import csv
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from api.app import create_app
from cobuild.settings import Settings
from ingest.pipeline import IngestResult, run_ingest
from tests.conftest import CLEAR_DATA, SAMPLE

RENAMED: Final = "·更名"
BOOKKEEPING: Final = frozenset({"IngestRun", "IngestConfig", "SchemaMigration"})
ORGS: Final = """{
  organizations(first: 500) {
    totalCount
    nodes { id name region { id } }
  }
  graphStats { nodes { name count } }
}"""


def _renamed_sample(folder: Path) -> dict[str, str]:
    """The sample with every organization renamed; returns id → old name."""
    shutil.copytree(SAMPLE / "csv", folder)
    path = folder / "organizations.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    old = {row["id"]: row["name"] for row in rows}
    for row in rows:
        row["name"] += RENAMED
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return old


def _data_counts(data: dict[str, Any]) -> dict[str, int]:
    """Node counts per label, without run bookkeeping (a load adds its own record)."""
    nodes = data["graphStats"]["nodes"]
    return {n["name"]: n["count"] for n in nodes if n["name"] not in BOOKKEEPING}


@pytest.fixture
def loaded(empty_graph: Driver, neo4j_settings: Settings) -> Iterator[Driver]:
    result = run_ingest(neo4j_settings, SAMPLE / "csv", driver=empty_graph)
    assert result.valid
    try:
        yield empty_graph
    finally:
        # The shared database must not look like the sample to later tests: they reload it.
        with empty_graph.session(database=neo4j_settings.neo4j_database) as session:
            session.run(CLEAR_DATA).consume()


@pytest.mark.parametrize("atomic", [True, False], ids=["one-transaction", "batched"])
def test_queries_answer_during_a_load_and_see_whole_rows(
    loaded: Driver, neo4j_settings: Settings, tmp_path: Path, atomic: bool
) -> None:
    old = _renamed_sample(tmp_path / "renamed")
    # Small batches in one writer: the load is many statements (one transaction, or many),
    # spread out in time.
    slow = neo4j_settings.model_copy(
        update={
            "ingest_batch_size": 10,
            "ingest_writers": 1,
        }
    )
    outcome: list[IngestResult] = []
    api = neo4j_settings.model_copy(update={"allow_anonymous": True, "rate_limit_per_minute": 0})

    def load() -> None:
        outcome.append(run_ingest(slow, tmp_path / "renamed", batched=not atomic, driver=loaded))

    with TestClient(create_app(api)) as client:
        before = client.post("/graphql", json={"query": ORGS}).json()["data"]
        writer = threading.Thread(target=load)
        writer.start()
        seen: list[dict[str, Any]] = []
        notices: list[dict[str, Any] | None] = []
        while writer.is_alive() or not seen:
            body = client.post("/graphql", json={"query": ORGS}).json()
            assert "errors" not in body, body["errors"]
            seen.append(body["data"])
            notices.append(body.get("extensions", {}).get("ingest"))
        writer.join()
        after = client.post("/graphql", json={"query": ORGS}).json()["data"]
        # The notice of a batched load goes once its run is recorded complete (within the
        # watch's look, a second).
        deadline = time.monotonic() + 5
        while client.post("/graphql", json={"query": ORGS}).json().get("extensions"):
            assert time.monotonic() < deadline, "the batched-load notice outlived the load"
            time.sleep(0.1)

    (result,) = outcome
    assert result.valid
    assert result.tables["organizations"].written == len(old)
    assert len(seen) >= 2  # queries kept being answered while the load ran
    for data in [before, *seen, after]:
        organizations = data["organizations"]
        assert organizations["totalCount"] == len(old)  # nothing vanished, nothing doubled
        assert _data_counts(data) == _data_counts(before)
        for org in organizations["nodes"]:
            # each row whole: the old name or the new one, with its region tie either way
            assert org["name"] in {old[org["id"]], old[org["id"]] + RENAMED}
            assert org["region"] is not None
    assert all(org["name"].endswith(RENAMED) for org in after["organizations"]["nodes"])
    assert not any(org["name"].endswith(RENAMED) for org in before["organizations"]["nodes"])
    assert result.atomic is atomic
    announced = [notice for notice in notices if notice is not None]
    if not atomic:
        # Answers that may mix old and new rows say so: the run waits, announced, until every
        # API process has looked.
        assert announced, "no answer during the batched load carried its notice"
        assert {n["batchedRunning"]["runId"] for n in announced} == {result.run_id}
        unannounced = [
            _side(data) for data, notice in zip(seen, notices, strict=True) if notice is None
        ]
        assert "mixed" not in unannounced, list(zip(map(_side, seen), notices, strict=True))
    else:
        assert announced == []  # a one-transaction run is never announced: never half-seen
    if atomic:
        # Each answer wholly before the run or wholly after it, in that order. One answer may
        # straddle the commit itself: Neo4j applies a commit's changes while a query already
        # running reads on (read committed, no snapshot), a window of a millisecond here.
        sides = [_side(data) for data in seen]
        straddling = [i for i, side in enumerate(sides) if side == "mixed"]
        assert len(straddling) <= 1, sides
        settled = [side for side in sides if side != "mixed"]
        assert settled == sorted(settled, key=["before", "after"].index), sides


def _side(data: dict[str, Any]) -> str:
    """Whether an answer shows every organization renamed (after), none (before), or some."""
    renamed = {org["name"].endswith(RENAMED) for org in data["organizations"]["nodes"]}
    return "after" if renamed == {True} else "before" if renamed == {False} else "mixed"
