"""The ``cobuild`` command against the test database (settings come from the environment)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver
from typer.testing import CliRunner

from cobuild.cli import app
from cobuild.settings import Settings, get_settings
from graph.migrations import MIGRATIONS
from tests.conftest import SAMPLE


@pytest.fixture
def runner(neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    if neo4j_settings.uses_local_neo4j:
        monkeypatch.setenv("COBUILD_DATA_DIR", str(neo4j_settings.data_dir))
        monkeypatch.setenv("COBUILD_LOCAL_BOLT_PORT", str(neo4j_settings.local_bolt_port))
    monkeypatch.setenv("COBUILD_LOG_FORMAT", "json")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_dry_run_validates_and_reports(
    runner: CliRunner, empty_graph: Driver, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    result = runner.invoke(
        app, ["ingest", str(SAMPLE / "workbook.xlsx"), "--dry-run", "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(report.read_text(encoding="utf-8"))
    assert body["valid"] is True
    assert body["stats"]["people"]["rows_valid"] == 201


def test_rejected_rows_exit_non_zero(
    runner: CliRunner, empty_graph: Driver, tmp_path: Path
) -> None:
    (tmp_path / "regions.csv").write_text("id,name,level\nR1,青岛市,城市乡村\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(tmp_path)])
    assert result.exit_code == 1
    assert "invalid-enum" in result.output


def test_missing_path_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "absent")])
    assert result.exit_code == 2


def test_keys_and_status(runner: CliRunner, empty_graph: Driver) -> None:
    bad = runner.invoke(app, ["keys", "create", "--role", "emperor"])
    assert bad.exit_code == 2
    scoped = runner.invoke(app, ["keys", "create", "--role", "coordinator"])
    assert scoped.exit_code == 2  # a coordinator key needs --region
    phones = runner.invoke(app, ["keys", "create", "--role", "analyst", "--allow-phones"])
    assert phones.exit_code == 2  # analysts never read raw phones
    assert "may not read raw phone numbers" in phones.output
    ops = runner.invoke(app, ["keys", "create", "--role", "admin", "--allow-phones"])
    assert ops.exit_code == 0, ops.output
    ops_id = ops.output.strip().splitlines()[-1].split("_")[1]
    made = runner.invoke(app, ["keys", "create", "--role", "analyst", "--name", "测试"])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("cb_")
    key_id = key.split("_")[1]
    listed = runner.invoke(app, ["keys", "list"])
    assert key_id in listed.output
    assert next(line for line in listed.output.splitlines() if ops_id in line).count("phones")
    assert key.split("_", 2)[2] not in listed.output  # the secret is never listed
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 1
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 0, status.output
    assert f"schema versions {[m.version for m in MIGRATIONS]}" in status.output
