"""A real, throwaway PostgreSQL server for tests (fixtures ``postgres_server`` and ``postgres_url`` in
``tests/conftest.py``).

``initdb`` + ``pg_ctl`` on a free 127.0.0.1 port, in a temp dir, with durability switched off (tests do not
survive a crash anyway). Postgres refuses to run as root, so as root the server runs as the ``postgres``
user (the Debian package creates it). Where Postgres or psycopg is missing the tests that need it skip,
except under CI (``CI`` set), where they fail: a test that never runs must not count as passing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests import ci

SERVER_USER = "postgres"  # who runs the server when the tests run as root


def unavailable(reason: str) -> None:
    """Skip locally; fail under CI, where Postgres is part of the set-up (scripts/install-system-deps.sh)."""
    ci.unavailable("Postgres", reason)


def find_bindir() -> Path | None:
    """Where ``initdb``/``pg_ctl`` live: ``pg_config --bindir``, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    candidates += [Path(p) for p in versions]
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def _admin(self):  # noqa: ANN202 - a psycopg connection
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True)

    def create_database(self) -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        with self._admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a private server for the test session and remove it (data and all) afterwards."""
    try:
        import psycopg  # noqa: F401 - the driver the tests connect with
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[test]')")
    bindir = find_bindir()
    if bindir is None:
        unavailable("no initdb/pg_ctl found (install the Debian package 'postgresql')")
    as_root = os.geteuid() == 0
    if as_root:
        try:
            account = pwd.getpwnam(SERVER_USER)
        except KeyError:
            unavailable(f"running as root and there is no '{SERVER_USER}' user to run the server as")

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", SERVER_USER, "--"] if as_root else []
        return subprocess.run([*prefix, *command], capture_output=True, text=True, check=False, timeout=120)

    # Not pytest's tmp_path: its parents are private to the current user, and the server user must get in.
    root = Path(tempfile.mkdtemp(prefix="voiceshop-pg-"))
    data, log = root / "data", root / "server.log"
    try:
        if as_root:
            os.chown(root, account.pw_uid, account.pw_gid)
        initdb = run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                     "--locale=C", "--no-sync")
        if initdb.returncode != 0:
            unavailable(f"initdb failed: {initdb.stderr.strip()[-500:]}")
        port = free_port()
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200")
        start = run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        if start.returncode != 0:
            server_log = log.read_text() if log.exists() else ""
            unavailable(f"pg_ctl start failed: {start.stderr.strip()[-300:]} {server_log[-500:]}")
        try:
            yield PostgresServer(host="127.0.0.1", port=port, user="postgres")
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
