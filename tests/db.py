"""Fixtures for the duty officers' service, on SQLite files and on PostgreSQL.

A migrated database with the Guangzhou scenario and one user per role is built once per run
and backend (a *template*); each test gets a fresh copy (a file copy on SQLite, ``CREATE
DATABASE … TEMPLATE`` on PostgreSQL), so tests never see each other's writes. PostgreSQL
databases are named ``jungong_test_<random>`` and dropped at the end of the run (each pytest-xdist
worker builds and drops its own). A ``DROP DATABASE`` waits for a checkpoint of its own, which costs
up to seconds on a busy disk; the drops run over several connections at once so that one checkpoint
serves many of them (400 databases: minutes one by one, seconds this way).

Every test database is reconciled at teardown (:func:`assert_reconciled`): whatever a test
wrote, concurrently or through a killed connection, the running balances must equal the ledger.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from supply.core.scenario import load_scenario
from supply.drills.teams import sync_scenario_with_teams
from supply.service.auth import add_user
from supply.service.db import make_engine, write_session
from supply.service.migrate import upgrade
from tests import processes
from tests.conftest import GUANGZHOU, ROOT

PG_HOST, PG_PORT = "127.0.0.1", 5432
ROLES = ("officer", "planner", "commander", "admin")
#: The station of the template's node user ``node-1`` (token ``tokens["node"]``), a station's sync node.
NODE_STATION = "NS-WING"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pg_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=0.5):
            return True
    except OSError:
        return False


def _pg_admin_conn():
    import psycopg

    last: Exception | None = None
    for user in ("postgres", "root"):
        try:
            return psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname="test", autocommit=True), user
        except psycopg.OperationalError as exc:
            last = exc
    pytest.skip(f"PostgreSQL on {PG_HOST}:{PG_PORT} refused users postgres and root: {last}")


#: Connections that drop a run's databases at once (each DROP waits for a checkpoint; concurrent ones share it).
DROP_CONNECTIONS = 8


def _drop_databases(user: str, names: list[str]) -> None:
    """``DROP DATABASE … WITH (FORCE)`` for every name, over :data:`DROP_CONNECTIONS` connections at once."""
    import psycopg

    def drop(share: list[str]) -> None:
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname="test", autocommit=True) as conn:
            for name in share:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    shares = [names[i::DROP_CONNECTIONS] for i in range(DROP_CONNECTIONS) if names[i::DROP_CONNECTIONS]]
    with ThreadPoolExecutor(len(shares) or 1) as pool:
        list(pool.map(drop, shares))  # list(): a failed drop raises here


@dataclass
class Template:
    backend: str
    tokens: dict[str, str]
    make_copy: object  # () -> url
    cleanup: object


def _load(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with write_session(engine) as s:
            # the network, stations and stock of the built-in scenario, without its illustrative [[teams]]: each
            # test makes the teams it needs (a drill sees every real team, so the built-in ones would join them)
            sc = load_scenario(GUANGZHOU).model_copy(update={"teams": []})
            sync_scenario_with_teams(s, sc, GUANGZHOU.read_text(encoding="utf-8"), actor="test")
            tokens = {role: add_user(s, f"{role}-1", role, actor="test")[1] for role in ROLES}
            tokens["node"] = add_user(s, "node-1", "node", station=NODE_STATION, actor="test")[1]
            s.commit()
    finally:
        engine.dispose()
    return tokens


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    tokens = _load(f"sqlite:///{path}")
    counter = iter(range(1_000_000))

    def make_copy() -> str:
        target = folder / f"db-{next(counter)}.db"
        shutil.copyfile(path, target)
        return f"sqlite:///{target}"

    return Template("sqlite", tokens, make_copy, lambda: None)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[Template]:
    if not pg_reachable():
        pytest.skip(
            f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}; to run these tests start it with trust auth "
            "and a database 'test' (user postgres or root), or deselect them with -m 'not postgres'"
        )
    conn, user = _pg_admin_conn()
    prefix = f"jungong_test_{uuid.uuid4().hex[:8]}"
    template = f"{prefix}_tpl"
    created = [template]
    conn.execute(f'CREATE DATABASE "{template}"')
    base = f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}"
    tokens = _load(f"{base}/{template}")
    counter = iter(range(1_000_000))

    def make_copy() -> str:
        name = f"{prefix}_{next(counter)}"
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        created.append(name)
        return f"{base}/{name}"

    def cleanup() -> None:
        _drop_databases(user, created[1:])  # the copies first: a template cannot go while one is made from it
        _drop_databases(user, created[:1])

    yield Template("postgres", tokens, make_copy, cleanup)
    conn.close()
    cleanup()


@dataclass
class Db:
    backend: str
    url: str
    tokens: dict[str, str]

    def headers(self, role: str = "officer", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}


def assert_reconciled(url: str) -> None:
    """The test oracle: every running balance equals the sums of its ledger (``jungong db reconcile``)."""
    from supply.service.reconcile import reconcile

    engine = make_engine(url)
    try:
        with write_session(engine) as s:
            checked, found = reconcile(s)
            s.rollback()
    finally:
        engine.dispose()
    assert checked > 0 and not found, "balances differ from the ledger:\n" + "\n".join(m.describe() for m in found)


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest) -> Iterator[Db]:
    """A fresh database (Guangzhou scenario, one user per role) on each backend; reconciled at teardown."""
    template: Template = request.getfixturevalue(f"{request.param}_template")
    fresh = Db(template.backend, template.make_copy(), template.tokens)
    yield fresh
    assert_reconciled(fresh.url)


@pytest.fixture
def client(db: Db, tmp_path: Path):
    """The app in-process (fast); the end-to-end and concurrency tests use a real server."""
    from fastapi.testclient import TestClient

    from supply.api import create_app
    from supply.core.settings import Settings

    app = create_app(Settings(database_url=db.url, data_dir=tmp_path))
    with TestClient(app) as c:
        yield c
    app.state.runtime.engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUNGONG_")}
    return {**env, "PYTHONPATH": str(ROOT), "JUNGONG_DATA_DIR": str(tmp_path / "data"), **extra}


def run_cli(tmp_path: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """``jungong ARGS`` from this checkout in a subprocess (its data folder under ``tmp_path``)."""
    cmd = [sys.executable, "-m", "supply.cli", *args]
    return subprocess.run(cmd, cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=timeout)


@dataclass
class Live:
    """A real server and the database behind it, shared by a run's server tests (use disjoint stations)."""

    base: str
    db: Db
    log: Path  # the server's stdout and stderr


@pytest.fixture
def client_for(live: Live) -> Iterator[Callable[[str], httpx.Client]]:
    """``client_for(role)``: an HTTP client on the live server holding that role's token, closed
    after the test (an unclosed one is a ResourceWarning, an error under the warnings policy)."""
    clients: list[httpx.Client] = []

    def make(role: str) -> httpx.Client:
        clients.append(httpx.Client(base_url=live.base, headers=live.db.headers(role), timeout=60))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@dataclass
class Server:
    """A running ``jungong serve`` process (see :func:`serve`); ``stop()`` ends it as an operator would."""

    live: Live
    proc: subprocess.Popen

    def stop(self) -> None:
        processes.stop(self.proc)


def wait_until_up(proc: subprocess.Popen, base: str, log_path: Path) -> None:
    """Wait (60 s at most) until the server at ``base`` answers ``/health``; fail with its log if it exits."""
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {log_path.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail("server did not start within 60 s")
        time.sleep(0.1)


@contextmanager
def serve(db: Db, tmp_path: Path, **env: str) -> Iterator[Server]:
    """``jungong serve --workers 2`` on a free loopback port over ``db`` (``env``: extra settings), stopped
    (if still running) on exit; its log must hold no traceback."""
    port = free_port()
    log_path = tmp_path / "server.log"
    cmd = [sys.executable, "-m", "supply.cli", "serve", "--db", db.url, "--port", str(port), "--workers", "2"]
    proc = processes.start(cmd, log_path, cli_env(tmp_path, **env))
    base = f"http://127.0.0.1:{port}"
    server = Server(Live(base, db, log_path), proc)
    try:
        wait_until_up(proc, base, log_path)
        yield server
    finally:
        server.stop()
        assert "Traceback" not in log_path.read_text(), log_path.read_text()[-3000:]


@pytest.fixture(scope="session", params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``jungong serve --workers 2`` on a free loopback port, on a fresh database of each backend."""
    template: Template = request.getfixturevalue(f"{request.param}_template")
    db = Db(template.backend, template.make_copy(), template.tokens)
    with serve(db, tmp_path_factory.mktemp(f"server-{request.param}")) as server:
        yield server.live
    assert_reconciled(db.url)


SYNC_PASSPHRASE = "test-sync-passphrase"


@pytest.fixture
def sync_passphrase(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``JUNGONG_SYNC_PASSPHRASE`` set for this test (sync signing keys are encrypted at rest with it)."""
    from supply.core.settings import get_settings

    monkeypatch.setenv("JUNGONG_SYNC_PASSPHRASE", SYNC_PASSPHRASE)
    get_settings.cache_clear()
    yield SYNC_PASSPHRASE
    get_settings.cache_clear()


@pytest.fixture
def own_server(db: Db, tmp_path: Path) -> Iterator[Server]:
    """A server of the test's own on a fresh database of each backend, which the test may stop."""
    with serve(db, tmp_path) as server:
        yield server


@pytest.fixture
def session(db: Db) -> Iterator:
    """A write session on a fresh database of each backend, for domain tests that call functions directly.

    Domain functions never commit; the test sees its own writes through the one transaction and
    the database copy is thrown away afterwards.
    """
    engine = make_engine(db.url)
    s = write_session(engine)
    try:
        yield s
    finally:
        s.rollback()
        s.close()
        engine.dispose()
