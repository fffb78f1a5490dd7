"""Issue 20, item 2: jobs that fail cleanly, on SQLite and PostgreSQL.

A killed job process fails its drill at once with the reason and the server serves on; a killed
server worker takes its job processes with it and its drill is resumed elsewhere; drills queued
are capped per user and in all; plan and review of a drill not open answer 409 (the CLI: exit 2).
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient

from supply.api import create_app
from supply.api.drill_jobs import process_id
from supply.core.settings import Settings
from supply.drills import start
from supply.drills.jobs import MAX_RESUMES, claim_orphans
from supply.service.db import make_engine, write_session
from supply.service.models import id_of
from tests.api.drill_helpers import SMALL_DRILL, caller, drill_body, post_drill, small_scenario, start_at, wait_planned
from tests.api.test_hardening import sql
from tests.cli.test_hardening_cli import fails_cleanly
from tests.db import serve

#: A drill whose planning takes seconds (long enough to kill its job): the small one and 16 more trains.
LONG_DRILL = SMALL_DRILL + "".join(
    f'[[drill.units]]\ncode = "L{i}"\nheadcount = 150\nsite = "GZ-RAIL"\narrive = {200 + 20 * i}\ndwell_minutes = 60\n'
    for i in range(16)
)


def long_body() -> dict:
    return drill_body(start_at(), scenario_toml=LONG_DRILL, replications=500)


def wait_for(what: str, check, timeout: float = 30.0):
    """Poll ``check()`` until it is truthy (its value), failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"not within {timeout:g} s: {what}"
        time.sleep(0.05)
    return value


def job_processes(server_pid: int) -> dict[int, int]:
    """The server's job processes (children of its worker processes): ``{job pid: worker pid}``."""
    found = {}
    for worker in psutil.Process(server_pid).children():
        for job in worker.children():
            if job.status() != psutil.STATUS_ZOMBIE:
                found[job.pid] = worker.pid
    return found


def started_planning(client: httpx.Client, body: dict) -> int:
    """Start a drill and wait until its job has made progress (it runs); its id."""
    r = client.post("/drills", json=body)
    assert r.status_code == 202, r.text
    drill_id = r.json()["id"]
    wait_for("the job made progress", lambda: client.get(f"/drills/{drill_id}").json()["progress"] > 0)
    return drill_id


def planned(client: httpx.Client, drill_id: int) -> dict | None:
    """The drill once it is no longer planning, else ``None``."""
    drill = client.get(f"/drills/{drill_id}").json()
    return None if drill["status"] == "planning" else drill


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
def test_a_killed_job_process_fails_its_drill_and_the_server_serves_on(db, tmp_path):
    """Probe: kill -9 of a pool process left the drill planning for ever and every later POST a 500."""
    with serve(db, tmp_path) as server, httpx.Client(base_url=server.live.base, headers=db.headers("commander")) as c:
        drill_id = started_planning(c, long_body())
        jobs = job_processes(server.proc.pid)
        assert len(jobs) == 1, jobs  # one job runs: this drill's
        os.kill(next(iter(jobs)), signal.SIGKILL)
        drill = wait_for(
            "the drill failed", lambda: (d := c.get(f"/drills/{drill_id}").json())["status"] != "planning" and d, 5
        )
        assert drill["status"] == "failed" and "killed (SIGKILL" in drill["error"], drill
        assert c.get(f"/drills/{drill_id}/plan").status_code == 409
        for _ in range(4):  # both workers serve on: new drills plan, analyses run, nothing 500s
            r = c.post("/drills", json=drill_body(start_at()))
            assert r.status_code == 202, r.text
            assert wait_planned(c, r.json()["id"])["status"] == "open"
        a = c.post("/analyses", json={"kind": "coverage"})
        assert a.status_code in (200, 202), a.text
        assert wait_for(
            "the analysis ended", lambda: c.get(a.headers["Location"]).json()["status"] in ("done", "failed")
        )
    assert f"drill {drill_id}: its planning job stopped" in server.live.log.read_text()


@pytest.mark.slow
def test_a_killed_server_worker_takes_its_jobs_with_it_and_its_drill_resumes(db, tmp_path):
    """Probe: killing a server worker left its job processes running as orphans (~200 MB each)."""
    with serve(db, tmp_path) as server, httpx.Client(base_url=server.live.base, headers=db.headers("commander")) as c:
        drill_id = started_planning(c, long_body())
        [(job, worker)] = job_processes(server.proc.pid).items()
        os.kill(worker, signal.SIGKILL)
        wait_for("the job process ended with its server worker", lambda: gone(job), 5)
        # another worker (or the one restarted) claims the drill and plans it again: never planning for ever
        drill = wait_for("the drill was resumed and planned", lambda: planned(c, drill_id), 90)
        assert drill["status"] == "open", drill
        assert not any(p.pid == job for p in psutil.process_iter())


@contextmanager
def queue_app(db, tmp_path: Path, **settings) -> Iterator[TestClient]:
    """The app in-process on ``db`` with ``settings``; its jobs stopped and its engine disposed after."""
    app = create_app(Settings(database_url=db.url, data_dir=tmp_path, **settings))
    with TestClient(app) as client:
        yield client
    app.state.runtime.engine.dispose()


@pytest.mark.slow
def test_queued_drills_are_capped_per_user_and_in_all(db, tmp_path):
    """Probe: twelve full-size drills from one commander were accepted in under a second."""
    with queue_app(db, tmp_path, drill_queue_per_user=1, drill_queue=2, drill_workers=1) as c:
        long = long_body()
        first = c.post("/drills", json=long, headers=db.headers("commander"))
        assert first.status_code == 202
        again = c.post("/drills", json=long, headers=db.headers("commander"))
        assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0
        assert "JUNGONG_DRILL_QUEUE_PER_USER=1" in again.json()["detail"]
        other = c.post("/drills", json=long, headers=db.headers("admin"))
        assert other.status_code == 202
        third = c.post("/drills", json=long, headers=db.headers("admin"))
        assert third.status_code == 429  # the admin's own cap comes first
        # a failed drill never counts: cancelling the commander's frees their place
        assert c.post(f"/drills/{first.json()['id']}/cancel", headers=db.headers("commander")).status_code == 200
        assert c.post("/drills", json=long, headers=db.headers("commander")).status_code == 202
        assert len([d for d in c.get("/drills", headers=db.headers()).json() if d["status"] == "planning"]) == 2
    with queue_app(db, tmp_path, drill_queue_per_user=5, drill_queue=2) as c:
        busy = c.post("/drills", json=drill_body(start_at()), headers=db.headers("commander"))
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0
        assert "JUNGONG_DRILL_QUEUE=2" in busy.json()["detail"]


def test_plan_and_review_of_a_drill_not_open_are_409_and_the_cli_exits_2(client, db, tmp_path):
    """Probe: all 73 of a schemathesis run's 5xx were plan and review of drills planning or failed."""
    r = client.post("/drills", json=long_body(), headers=db.headers("commander"))
    assert r.status_code == 202
    failed = r.json()["id"]
    assert client.post(f"/drills/{failed}/cancel", headers=db.headers("commander")).status_code == 200
    planning = post_drill(client, drill_body(start_at()), db.headers("commander"))["id"]
    # back to planning, owned by this (live) process: no recovery claims it while the test looks
    sql(db, "UPDATE drill SET status = 'planning', job_owner = :me WHERE id = :d", me=process_id(), d=planning)
    page = client.get("/console/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/console/signin", data={"csrf": csrf, "token": db.tokens["planner"]}).status_code == 200
    for drill_id, status in ((failed, "failed"), (planning, "planning")):
        for path in ("plan", "plan?format=html", "review", "review?format=html"):
            r = client.get(f"/drills/{drill_id}/{path}", headers=db.headers())
            assert r.status_code == 409, (path, r.status_code, r.text[:300])
            assert f"drill {drill_id} is {status}" in r.json()["detail"]
        for page in ("plan", "review"):
            r = client.get(f"/console/drills/{drill_id}/{page}")
            assert r.status_code == 409 and f"drill {drill_id} is {status}" in r.text, (page, r.status_code)
        out = fails_cleanly(["review", str(drill_id), "--db", db.url], f"drill {drill_id} is {status}")
        assert len(out.strip().splitlines()) == 1, out
    sql(db, "UPDATE drill SET status = 'failed' WHERE id = :d", d=planning)  # nothing left planning


@contextmanager
def database_away(db, seconds: float) -> Iterator[None]:
    """The database unusable for ``seconds``: SQLite's write lock held; PostgreSQL refusing connections
    (those open are terminated)."""
    if db.backend == "sqlite":
        engine = make_engine(db.url)
        try:
            with write_session(engine) as session:
                session.connection()  # BEGIN IMMEDIATE: every other writer waits, then gives up
                time.sleep(seconds)
                session.rollback()
            yield
        finally:
            engine.dispose()
        return
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(db.url)
    admin = {"host": url.host, "port": url.port, "user": url.username, "dbname": "test", "autocommit": True}
    with psycopg.connect(**admin) as conn:
        conn.execute(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (url.database,))
        time.sleep(seconds)
        conn.execute(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS true')
    yield


def drill_state(client: TestClient, drill_id: int, headers: dict) -> dict | None:
    """The drill once no longer planning; ``None`` meanwhile (or while the database answers 503)."""
    r = client.get(f"/drills/{drill_id}", headers=headers)
    return None if r.status_code == 503 or r.json()["status"] == "planning" else r.json()


@pytest.mark.slow
def test_a_job_rides_out_a_database_away_for_seconds(db, tmp_path):
    """Probe: a job that lost its database connection failed for good, with no retry."""
    with queue_app(db, tmp_path, sqlite_busy_seconds=0.5) as c:
        h = db.headers("commander")
        r = c.post("/drills", json=long_body(), headers=h)
        assert r.status_code == 202
        drill_id = r.json()["id"]
        wait_for("the job made progress", lambda: c.get(f"/drills/{drill_id}", headers=h).json()["progress"] > 0)
        with database_away(db, 3):
            pass
        drill = wait_for("the drill was planned", lambda: drill_state(c, drill_id, h), 90)
        assert drill["status"] == "open", drill


def test_a_drill_interrupted_too_often_is_failed_not_resumed_again(session):
    """Nothing stays planning for ever, not even a drill that kills every server process running it."""
    commander, scenario = caller(session, "commander-1"), small_scenario()
    fresh, worn = (
        start.create_drill(session, commander, scenario, job={"resumes": n}, owner="gone:1") for n in (0, MAX_RESUMES)
    )
    claimed = claim_orphans(session, "me:2", lambda owner: owner != "gone:1")
    assert claimed == [(id_of(fresh), "commander-1")]
    session.refresh(fresh)
    session.refresh(worn)
    assert fresh.status == "planning" and fresh.job_owner == "me:2" and fresh.job["resumes"] == 1
    assert worn.status == "failed" and f"interrupted {MAX_RESUMES + 1} times" in worn.error
    assert claim_orphans(session, "me:3", lambda owner: owner != "gone:1") == []  # me:2 lives: its drill stays


@pytest.mark.slow
def test_a_killed_analysis_fails_at_once_and_never_counts_against_the_cap(db, tmp_path):
    """Probe: analyses stuck by a crashed job counted against their user's limit (429)."""
    with queue_app(db, tmp_path, analysis_jobs_per_user=1) as c:
        h = db.headers("planner")
        r = c.post("/analyses", json={"kind": "robustness", "links": True}, headers=h)
        assert r.status_code == 202, r.text
        jobs = c.app.state.runtime.jobs
        [pid] = wait_for("the analysis runs", jobs.running, 30)
        os.kill(pid, signal.SIGKILL)
        state = wait_for(
            "the analysis failed",
            lambda: (s := c.get(r.headers["Location"], headers=h).json())["status"] == "failed" and s,
            5,
        )
        assert "SIGKILL" in state["error"], state
        again = c.post("/analyses", json={"kind": "coverage", "minutes": "45"}, headers=h)
        assert again.status_code in (200, 202), again.text  # the failed one no longer holds the user's only place
