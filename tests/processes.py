"""The processes a test starts — servers, ``sync run --watch`` — each in a process group of its own, and
always stopped: SIGTERM to the process, as an operator would, then SIGKILL to its whole group (a
server's workers and job processes included) after a bounded wait or once it has gone. Waiting on a
process means waiting for what it says (a line in its log, an answer on its port), never a fixed sleep.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.conftest import ROOT

#: How long a stopped process may take to end on its own before it and its group are killed.
GRACE_S = 15.0
#: How long a process may take to say it is ready.
READY_S = 60.0


def start(cmd: list[str], log: Path, env: dict[str, str], cwd: Path = ROOT) -> subprocess.Popen:
    """``cmd`` in a new session (its own process group), stdout and stderr appended to ``log``."""
    with log.open("a") as out:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Send ``sig`` to every process of ``proc``'s group (which :func:`start` made), if any is left."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def stop(proc: subprocess.Popen, grace: float = GRACE_S) -> int:
    """End ``proc`` as an operator would: SIGTERM, then SIGKILL to its group after ``grace`` seconds.

    Whatever the process did, the rest of its group (a server's worker and job processes) is killed
    once it has gone, so nothing outlives the test. Returns the process's exit code.
    """
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            signal_group(proc, signal.SIGKILL)
            proc.wait()
    signal_group(proc, signal.SIGKILL)  # any child left behind by a leader that has gone
    return proc.returncode


@contextmanager
def running(cmd: list[str], log: Path, env: dict[str, str], cwd: Path = ROOT) -> Iterator[subprocess.Popen]:
    """:func:`start` ``cmd``, and :func:`stop` it on the way out, whatever happened."""
    proc = start(cmd, log, env, cwd)
    try:
        yield proc
    finally:
        stop(proc)


def wait_for_text(proc: subprocess.Popen, log: Path, text: str, timeout: float = READY_S) -> None:
    """Wait until ``text`` appears in ``log``; fail with the log if ``proc`` exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert proc.poll() is None, f"exited ({proc.returncode}) before saying {text!r}:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"did not say {text!r} within {timeout:g} s:\n{log.read_text()[-3000:]}"
        time.sleep(0.05)
