"""The local Neo4j's life cycle: start, answer over Bolt, stop cleanly, keep its store."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from cobuild.settings import Settings
from graph import runtime
from graph.connection import create_driver, wait_until_ready
from graph.errors import LauncherMissingError, LocalNeo4jError


@pytest.mark.slow
def test_start_stop_restart_keeps_data(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        local_bolt_port=runtime.free_port(),
        local_heap="512m",
        local_pagecache="64m",
    )
    assert not runtime.status(settings).running
    started = runtime.start(settings)
    try:
        assert started.running
        assert started.pid is not None
        assert runtime.start(settings).pid == started.pid  # already running: no second process
        password_file = tmp_path / "neo4j" / runtime.PASSWORD_FILE
        assert password_file.stat().st_mode & 0o077 == 0  # the password is private
        with create_driver(settings) as driver:
            wait_until_ready(driver)
            driver.execute_query("CREATE (:Region {id: 'kept', name: '青岛市'})")
            info = driver.get_server_info()
            assert info.agent.startswith("Neo4j/5.26")
    finally:
        assert runtime.stop(settings)
    assert not runtime.status(settings).running
    log = (tmp_path / "neo4j" / runtime.LOG_FILE).read_text(encoding="utf-8")
    assert "STOPPED" in log  # SIGTERM ran the clean shutdown hook
    assert not runtime.stop(settings)  # stopping twice is harmless

    runtime.start(settings)
    try:
        with create_driver(settings) as driver:
            records, _, _ = driver.execute_query("MATCH (r:Region {id: 'kept'}) RETURN r.name AS n")
            assert [r["n"] for r in records] == ["青岛市"]
    finally:
        runtime.stop(settings)


def test_missing_launcher_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, launcher_jar=tmp_path / "absent.jar")
    with pytest.raises(LauncherMissingError, match="mvn"):
        runtime.start(settings)


def test_port_taken_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        settings = Settings(data_dir=tmp_path, local_bolt_port=busy.getsockname()[1])
        with pytest.raises(LocalNeo4jError, match="taken"):
            runtime.start(settings)
