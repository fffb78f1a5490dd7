"""Issue 20, item 6: every failure mode of the CLI and the server's start exits 2 with one line.

Bad ``JUNGONG_*`` settings, ``serve`` on a database never initialised or on a port in use (before
any banner), and no command but ``db init`` creating a database.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.db import PG_HOST, PG_PORT, cli_env


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "supply.cli", *args]
    return subprocess.run(cmd, cwd=ROOT, env=cli_env(tmp_path, **env), capture_output=True, text=True, timeout=120)


def one_line_exit_2(res: subprocess.CompletedProcess, *words: str) -> str:
    """The run failed with exit 2 and one line on stderr holding ``words``, no traceback, no banner."""
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and "serving on" not in res.stdout, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and all(w in lines[0] for w in words), res.stderr
    return lines[0]


def test_bad_settings_exit_2_naming_every_one(tmp_path):
    """Probe: a bad JUNGONG_* value printed a pydantic traceback."""
    bad = {"JUNGONG_TOKEN_DAYS": "abc", "JUNGONG_TIMEZONE": "Mars/Base", "JUNGONG_DRILL_QUEUE": "0"}
    line = one_line_exit_2(run(tmp_path, "users", "list", **bad), "JUNGONG_TOKEN_DAYS", "JUNGONG_TIMEZONE")
    assert "JUNGONG_DRILL_QUEUE" in line and "Mars/Base" in line
    one_line_exit_2(run(tmp_path, "serve", **bad), "JUNGONG_TOKEN_DAYS")


@pytest.mark.slow
@pytest.mark.parametrize("where", ["missing", "empty", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_serve_refuses_a_database_never_initialised(tmp_path, where):
    """Probe: `serve` before `db init` answered /health 200, then 500 on every signed-in request."""
    file = tmp_path / "never.db"
    if where == "empty":
        file.touch()
    url = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/jungong_never_made" if where == "postgres" else None
    res = run(tmp_path, "serve", "--db", url or f"sqlite:///{file}", "--port", str(free_port()))
    one_line_exit_2(res, "does not exist" if where == "postgres" else "run `jungong db init`")
    assert file.exists() == (where == "empty") and not (tmp_path / "data").exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_refuses_a_port_in_use_before_its_banner(tmp_path):
    """Probe: `serve` on a port in use printed "serving on", then exited 3."""
    db = f"sqlite:///{tmp_path / 'j.db'}"
    assert run(tmp_path, "db", "init", "--db", db).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        one_line_exit_2(run(tmp_path, "serve", "--db", db, "--port", str(port)), f"--port {port}", "in use")


def test_no_command_but_db_init_creates_a_database(tmp_path):
    """Probe: `db reconcile` on a database that does not exist created it."""
    file = tmp_path / "nothing" / "here.db"
    for args in (("db", "reconcile"), ("users", "add", "wang"), ("users", "list"), ("review", "1")):
        one_line_exit_2(run(tmp_path, *args, "--db", f"sqlite:///{file}"), "run `jungong db init`")
    assert not file.parent.exists() and not (tmp_path / "data").exists()
