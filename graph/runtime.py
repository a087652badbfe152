"""The local Neo4j: a real Neo4j 5.26 Community DBMS run as a plain Java process.

No Docker engine exists on these machines, so cobuild ships a small launcher
(``launcher/``, built with Maven from the official ``org.neo4j:neo4j`` and
``org.neo4j:neo4j-bolt`` artifacts) that opens Bolt on loopback and keeps its store in
``<data_dir>/neo4j``. This module starts it, waits until Bolt answers, reports its status and
stops it with SIGTERM (the launcher shuts the DBMS down cleanly on that signal).

The password of the ``neo4j`` user is generated at first start and kept in
``<data_dir>/neo4j/password`` (mode 0600); the launcher sets it at every start.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cobuild.logs import get_logger
from cobuild.settings import Settings
from graph.errors import LauncherMissingError, LocalNeo4jError

log = get_logger(__name__)

PID_FILE = "cobuild-neo4j.pid"
PASSWORD_FILE = "password"  # noqa: S105 - a file name, not a secret
LOG_FILE = "launcher.log"

# Processes this Python process started, kept so they are reaped (no zombie, no
# ResourceWarning) when stopped from here; a DBMS started by another CLI call is found by pid.
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True, slots=True)
class LocalStatus:
    running: bool
    pid: int | None
    uri: str
    home: Path


def local_password(settings: Settings) -> str:
    """Return the local Neo4j's password, creating it on first use."""
    home = settings.local_neo4j_home
    home.mkdir(parents=True, exist_ok=True)
    path = home / PASSWORD_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    password = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password)
    return password


def _read_pid(home: Path) -> int | None:
    try:
        pid = int((home / PID_FILE).read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child (exited, not yet reaped) still answers signal 0.
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    """A loopback port nothing listens on now, for a throw-away local Neo4j or a served app."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def status(settings: Settings) -> LocalStatus:
    """Whether the local Neo4j of ``settings`` runs, and where."""
    home = settings.local_neo4j_home
    pid = _read_pid(home)
    return LocalStatus(pid is not None, pid, settings.local_bolt_uri, home)


def start(settings: Settings) -> LocalStatus:
    """Start the local Neo4j unless it already runs; return once Bolt accepts transactions.

    Raises ``LauncherMissingError`` when the launcher jar is not built and
    ``LocalNeo4jError`` when the process exits or does not become ready in time
    (the tail of its log is in the message).
    """
    current = status(settings)
    if current.running:
        return current
    jar = settings.launcher_jar
    if not jar.exists():
        raise LauncherMissingError(
            f"{jar} is missing: build it with `mvn -q -f launcher/pom.xml package` "
            "(the README's set-up command does this)"
        )
    if _port_open(settings.local_bolt_host, settings.local_bolt_port):
        raise LocalNeo4jError(
            f"port {settings.local_bolt_port} is taken by another process; "
            "set COBUILD_LOCAL_BOLT_PORT or point NEO4J_URI at that server"
        )
    home = settings.local_neo4j_home
    home.mkdir(parents=True, exist_ok=True)
    (home / PID_FILE).unlink(missing_ok=True)
    env = dict(os.environ, COBUILD_NEO4J_PASSWORD=local_password(settings))
    command = [
        settings.java,
        f"-Xms{settings.local_heap}",
        f"-Xmx{settings.local_heap}",
        "-XX:+UseG1GC",
        "-jar",
        str(jar),
        "--home",
        str(home),
        "--bolt",
        f"{settings.local_bolt_host}:{settings.local_bolt_port}",
        "--conf",
        f"server.memory.pagecache.size={settings.local_pagecache}",
        "--conf",
        f"db.transaction.timeout={int(settings.neo4j_transaction_timeout_s)}s",
        "--conf",
        "db.logs.query.enabled=OFF",
    ]
    for name, value in settings.local_neo4j_conf.items():
        command += ["--conf", f"{name}={value}"]
    log_path = home / LOG_FILE
    started = time.monotonic()
    with open(log_path, "ab") as log_handle:
        # A new session: the DBMS outlives the CLI that started it and ignores its Ctrl-C.
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    _children[process.pid] = process
    deadline = started + settings.local_start_timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _children.pop(process.pid, None)
            raise LocalNeo4jError(
                f"local Neo4j exited with status {process.returncode}:\n{_tail(log_path)}"
            )
        if (home / PID_FILE).exists() and _port_open(
            settings.local_bolt_host, settings.local_bolt_port
        ):
            log.info(
                "neo4j.started",
                uri=settings.local_bolt_uri,
                pid=process.pid,
                seconds=round(time.monotonic() - started, 1),
            )
            return LocalStatus(True, process.pid, settings.local_bolt_uri, home)
        time.sleep(0.2)
    process.terminate()
    process.wait(timeout=30)
    raise LocalNeo4jError(
        f"local Neo4j not ready after {settings.local_start_timeout_s:.0f}s:\n{_tail(log_path)}"
    )


def stop(settings: Settings, *, timeout_s: float = 60.0) -> bool:
    """Stop the local Neo4j cleanly (SIGTERM, then SIGKILL after ``timeout_s``).

    Returns False when it was not running.
    """
    home = settings.local_neo4j_home
    pid = _read_pid(home)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _alive(pid):
        if time.monotonic() > deadline:
            log.warning("neo4j.kill", pid=pid, reason="no clean shutdown in time")
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.2)
        _reap(pid)
    child = _children.pop(pid, None)
    if child is not None:
        child.wait(timeout=10)
    (home / PID_FILE).unlink(missing_ok=True)
    log.info("neo4j.stopped", pid=pid)
    return True


def _reap(pid: int) -> None:
    # When this process started the DBMS, it must reap it or it lingers as a zombie.
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        del _children[pid]


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])
