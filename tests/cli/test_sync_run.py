"""``jungong sync run`` against a real server: refusals are exit 2 at once (never retried), with the centre's reason."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests import processes
from tests.api.sync_helpers import make_node
from tests.conftest import ROOT
from tests.db import NODE_STATION, SYNC_PASSPHRASE, cli_env, free_port


@pytest.mark.parametrize(
    ("role", "said"),
    [
        (None, "invalid token"),
        ("officer", "role 'officer' may not do this"),
        ("node", "does not trust"),  # node-1 (NS-WING): its key was never given to this centre
    ],
)
def test_refusals_are_exit_2_without_retrying(live, tmp_path, sync_passphrase, role, said):
    node = make_node(tmp_path, NODE_STATION)
    token = live.db.tokens[role] if role else "jg_not-a-token"
    done = subprocess.run(
        [sys.executable, "-m", "supply.cli", "sync", "run", "--db", node, "--with", live.base, "--token", token],
        cwd=ROOT,
        env=cli_env(tmp_path, JUNGONG_SYNC_PASSPHRASE=SYNC_PASSPHRASE),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "refused POST /sync/push" in done.stderr and said in done.stderr
    assert "attempt" not in done.stderr and "Traceback" not in done.stderr


def test_a_bad_address_a_missing_token_or_no_database_is_exit_2(tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "supply.cli", "sync", "run", "--db", f"sqlite:///{tmp_path / 'n.db'}", *args]
        return subprocess.run(cmd, cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=120)

    bad = run("--with", "centre:8000", "--token", "t")
    assert bad.returncode == 2 and "http://host:port" in bad.stderr
    missing = run("--with", "http://127.0.0.1:9")
    assert missing.returncode == 2 and "--token" in missing.stderr
    nowhere = run("--with", "http://127.0.0.1:9", "--token", "t")
    assert nowhere.returncode == 2 and "run `jungong db init`" in nowhere.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_watch_stops_at_once_on_ctrl_c_or_a_service_managers_stop(tmp_path, sync_passphrase, sig):
    """Waiting for a centre that is away, ``--watch`` ends on the first SIGINT or SIGTERM: exit 0, "stopped"."""
    node = make_node(tmp_path, NODE_STATION)
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    log = tmp_path / "watch.log"
    cmd = [sys.executable, "-m", "supply.cli", "sync", "run", "--db", node, "--with", nowhere, "--token", "t"]
    env = cli_env(tmp_path, JUNGONG_SYNC_PASSPHRASE=SYNC_PASSPHRASE)
    with processes.running([*cmd, "--watch", "--delay", "600"], log, env) as watch:
        processes.wait_for_text(watch, log, "retrying in 600 s")
        watch.send_signal(sig)
        assert watch.wait(timeout=processes.GRACE_S) == 0, log.read_text()
    text = log.read_text()
    assert text.rstrip().endswith("sync: stopped") and "Traceback" not in text, text
