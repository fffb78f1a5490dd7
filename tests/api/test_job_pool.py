"""The job processes (:mod:`supply.api.job_pool`): fair across users, a killed job fails alone, no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from supply.api.job_pool import JobDied, JobPool, JobStopped
from tests.conftest import ROOT


def stamp(path: str, tag: str, seconds: float) -> str:
    """A job: note that ``tag`` started, then work ``seconds``."""
    with open(path, "a", encoding="utf-8") as out:
        out.write(tag + "\n")
    time.sleep(seconds)
    return tag


def sleeper(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_a_free_slot_goes_to_the_user_served_least(tmp_path):
    """Probe: twelve drills of one commander held another user's analysis ≈50 s."""
    log = str(tmp_path / "started")
    pool = JobPool(1)
    try:
        futures = [pool.submit(stamp, log, "a1", 0.3, user="a")]
        futures += [pool.submit(stamp, log, tag, 0.0, user="a") for tag in ("a2", "a3")]
        futures.append(pool.submit(stamp, log, "b1", 0.0, user="b"))
        assert [f.result(timeout=30) for f in futures] == ["a1", "a2", "a3", "b1"]
        assert Path(log).read_text().split() == ["a1", "b1", "a2", "a3"]
    finally:
        pool.close()


def test_a_killed_job_fails_alone_and_the_next_one_runs():
    pool = JobPool(2)
    try:
        doomed, other = pool.submit(sleeper, 30, user="a"), pool.submit(sleeper, 0.5, user="b")
        deadline = time.monotonic() + 10
        while len(pool.running()) < 2 or not all(psutil.Process(p).status() != "zombie" for p in pool.running()):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        victim = pool.running()[0]
        os.kill(victim, signal.SIGKILL)
        exc = doomed.exception(timeout=5)
        assert isinstance(exc, JobDied) and "SIGKILL" in str(exc)
        assert other.result(timeout=10) != victim  # the other job was not touched
        assert isinstance(pool.submit(sleeper, 0, user="a").result(timeout=10), int)
        # a job's own error comes back as it is
        assert isinstance(pool.submit(int, "x").exception(timeout=10), ValueError)
    finally:
        pool.close()


def test_closing_stops_running_and_queued_jobs():
    pool = JobPool(1)
    running, queued = pool.submit(sleeper, 30), pool.submit(sleeper, 30)
    deadline = time.monotonic() + 10
    while not pool.running():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    [pid] = pool.running()
    started = time.monotonic()
    pool.close()
    assert time.monotonic() - started < 5
    assert isinstance(running.exception(timeout=1), JobStopped) and isinstance(queued.exception(timeout=1), JobStopped)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"


@pytest.mark.slow
def test_a_job_ends_when_its_server_process_is_killed(tmp_path):
    """Probe: a killed server worker left its job processes running as orphans."""
    script = textwrap.dedent(
        """
        import time
        from supply.api.job_pool import JobPool
        from tests.api.test_job_pool import sleeper

        pool = JobPool(1)
        pool.submit(sleeper, 60)
        while not pool.running():
            time.sleep(0.01)
        print(pool.running()[0], flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        job = int(proc.stdout.readline())
        assert psutil.pid_exists(job)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while psutil.pid_exists(job) and psutil.Process(job).status() != "zombie":
            assert time.monotonic() < deadline, "the job outlived its server process"
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
