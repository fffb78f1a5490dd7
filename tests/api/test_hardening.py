"""Issue 11's probes, in-process on SQLite and PostgreSQL: roles that hold, no secrets at rest, frozen drills.

Each test reproduces one probe of the issue (its number in the docstring) and failed before its fix.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlalchemy import text

from supply.service.db import make_engine
from supply.service.models import utcnow
from tests.api.drill_helpers import SMALL_DRILL, at, drill_body, post_drill, start_at, wait_planned

REAL_TEAM = {"code": "R-WATER", "name": "Hub water team", "station": "GZ-HUB", "kind": "water", "headcount": 5}


def sql(db, query: str, **params):
    engine = make_engine(db.url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(query), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def test_a_drill_never_creates_or_changes_real_teams(client, db):
    """Probe 2: a commander's drill with [[teams]] moving a real team and adding a team of 9,999."""
    assert client.post("/teams", json=REAL_TEAM, headers=db.headers()).status_code == 201
    toml = SMALL_DRILL + (
        '\n[[teams]]\ncode = "R-WATER"\nstation = "NS-WING"\nkind = "water"\nheadcount = 1\n'
        '\n[[teams]]\ncode = "HUGE"\nstation = "GZ-HUB"\nkind = "security"\nheadcount = 9999\n'
    )
    drill_id = post_drill(client, {**drill_body(start_at()), "scenario_toml": toml}, db.headers("commander"))["id"]
    real = client.get("/teams/R-WATER", headers=db.headers()).json()
    assert (real["station"], real["headcount"], real["drill_id"]) == ("GZ-HUB", 5, None)
    huge = client.get("/teams/HUGE", headers=db.headers()).json()
    assert huge["drill_id"] == drill_id and all(e["exercise"] for e in huge["log"])
    # nothing the drill did is audited as real (or unknown) operations
    rows = sql(db, "SELECT action, exercise FROM audit_entry WHERE actor = 'commander-1'")
    assert rows and all(exercise is not None and bool(exercise) for _, exercise in rows), rows
    # an exercise team never takes a real dispatch
    req = {"unit": "Real 1", "headcount": 10, "site": "GZ-RAIL", "arrive_at": at(start_at(-60), 0)}
    rid = client.post("/requests", json=req, headers=db.headers()).json()["id"]
    body = {"request_id": rid, "station": "GZ-HUB", "lines": [{"item": "meals", "quantity": 10}]}
    did = client.post("/dispatches", json=body, headers=db.headers()).json()["id"]
    window = {"team": "HUGE", "start_at": at(start_at(-60), 0), "end_at": at(start_at(-60), 30)}
    r = client.post(f"/dispatches/{did}/teams", json=window, headers=db.headers())
    assert r.status_code == 409 and "exercise team" in r.json()["detail"]


def test_no_token_is_stored_for_an_idempotent_post_users(client, db):
    """Probe 3: POST /users with an Idempotency-Key kept the whole answer, token included."""
    h = db.headers("admin", **{"Idempotency-Key": "user-k1"})
    first = client.post("/users", json={"name": "li", "role": "officer"}, headers=h)
    assert first.status_code == 201 and first.json()["token"].startswith("jg_")
    token = first.json()["token"]
    stored = sql(db, "SELECT body FROM idempotency_record")
    assert stored and all(token not in body for (body,) in stored)
    again = client.post("/users", json={"name": "li", "role": "officer"}, headers=h)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["token"] is None and "shown once" in again.json()["token_note"]
    assert client.get("/stations", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_tokens_expire_and_can_be_revoked(client, db):
    """Probe 9: tokens never expired and could not be revoked."""
    admin = db.headers("admin")
    new = client.post("/users", json={"name": "zhao", "role": "officer"}, headers=admin).json()
    assert new["token_expires_at"] is not None and "token_hash" not in new
    h = {"Authorization": f"Bearer {new['token']}"}
    assert client.get("/stations", headers=h).status_code == 200
    assert client.post("/users/zhao/revoke", headers=db.headers("officer")).status_code == 403
    r = client.post("/users/zhao/revoke", headers=admin)
    assert r.status_code == 200 and r.json()["revoked"] is True
    denied = client.get("/stations", headers=h)
    assert denied.status_code == 401 and "revoked" in denied.json()["detail"]
    assert client.post("/users/nobody/revoke", headers=admin).status_code == 404
    listed = {u["name"]: u for u in client.get("/users", headers=admin).json()}
    assert listed["zhao"]["revoked"] is True and all("token" not in u for u in listed.values())
    sql(db, "UPDATE \"user\" SET token_expires_at = :t WHERE name = 'planner-1'", t=utcnow() - timedelta(seconds=1))
    expired = client.get("/stations", headers=db.headers("planner"))
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]


def test_idempotency_records_expire_and_are_purged(client, db):
    """Probe 9: idempotency records grew forever (and replayed forever)."""
    from supply.service.idempotency import purge

    h = db.headers(**{"Idempotency-Key": "old-key"})
    body = {"item": "meals", "quantity": 5, "reason": "truck"}
    assert client.post("/stations/GZ-HUB/receipts", json=body, headers=h).status_code == 201
    sql(db, "UPDATE idempotency_record SET created_at = :t", t=utcnow() - timedelta(days=30))
    again = client.post("/stations/GZ-HUB/receipts", json=body, headers=h)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers  # expired: a new receipt
    sql(db, "UPDATE idempotency_record SET created_at = :t", t=utcnow() - timedelta(days=30))
    engine = make_engine(db.url)
    try:
        assert purge(engine, utcnow() - timedelta(days=1), batch=1) == 1
    finally:
        engine.dispose()
    assert sql(db, "SELECT count(*) FROM idempotency_record") == [(0,)]


def test_graphml_is_confined_and_reveals_nothing(client, db):
    """Probe 8: graphml in scenario_toml opened any file and told whether it existed."""
    answers = []
    for target in ("/etc/passwd", "/no/such/file.graphml", "../../../../etc/hosts", "a\u0000b"):
        toml = SMALL_DRILL.replace('name = "Test drill: two trains"', f'name = "x"\ngraphml = {json.dumps(target)}')
        r = client.post("/drills", json={**drill_body(start_at()), "scenario_toml": toml}, headers=db.headers())
        assert r.status_code == 422, r.text
        answers.append(r.json()["detail"])
    assert answers[0] == answers[1] == answers[2] and "scenarios folder" in answers[0]
    assert all("/etc" not in a and "/no/such" not in a for a in answers)
    assert "U+0000" in answers[3]


def test_crafted_scenario_toml_is_422_not_500(client, db):
    """Probe 5: deep nesting, a NUL in extends and hours = inf were 500s."""
    base = drill_body(start_at())
    cases = {
        "nested": SMALL_DRILL + "\n[x]\ny = " + "[" * 500 + "]" * 500 + "\n",
        "extends": SMALL_DRILL.replace('extends = "../guangzhou.toml"', 'extends = "\\u0000"'),
        "inf": SMALL_DRILL.replace("hours = 12", "hours = inf"),
        "nan": SMALL_DRILL.replace("headcount = 200", "headcount = nan"),
    }
    for name, toml in cases.items():
        r = client.post("/drills", json={**base, "scenario_toml": toml}, headers=db.headers())
        assert r.status_code == 422, (name, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = client.post("/drills", json={**base, "scenario_toml": cases["inf"]}, headers=db.headers())
    assert "drill.hours" in r.json()["detail"] and "finite" in r.json()["detail"]


def test_a_closed_drill_is_frozen(client, db):
    """Probe 6: a closed drill's dispatches could still move and take teams, and its review changed."""
    joint, officer = db.headers("commander"), db.headers()
    drill = post_drill(client, drill_body(start_at()), joint)
    d1, d2 = (x["id"] for x in drill["dispatches"])
    assert client.post(f"/dispatches/{d1}/status", json={"status": "planned"}, headers=officer).status_code == 200
    assert client.post(f"/drills/{drill['id']}/close", headers=joint).status_code == 200
    before = client.get(f"/drills/{drill['id']}/review", headers=officer).json()
    assert [bool(x) for (x,) in sql(db, "SELECT review IS NOT NULL FROM drill WHERE id = :d", d=drill["id"])] == [True]
    s = start_at()
    refused = [
        client.post(f"/dispatches/{d1}/status", json={"status": "dispatched"}, headers=officer),
        client.post(f"/dispatches/{d2}/status", json={"status": "cancelled"}, headers=officer),
        client.post(
            f"/dispatches/{d2}/teams", json={"team": "T-MED", "start_at": at(s, 0), "end_at": at(s, 9)}, headers=officer
        ),
        client.post("/teams/T-MED/status", json={"status": "en_route"}, headers=officer),
        client.post(f"/drills/{drill['id']}/steps/notice_received", json={}, headers=joint),
        client.post(f"/drills/{drill['id']}/units/U1/times", json={"arrived_at": at(s, 1)}, headers=joint),
        client.post(f"/drills/{drill['id']}/orders", json={"station": "GZ-HUB", "text": "go"}, headers=joint),
    ]
    assert [x.status_code for x in refused] == [409] * len(refused), [x.text for x in refused]
    req_id = client.get(f"/dispatches/{d2}", headers=officer).json()["request_id"]
    body = {"request_id": req_id, "station": "GZ-HUB", "lines": [{"item": "meals", "quantity": 1}]}
    assert client.post("/dispatches", json=body, headers=officer).status_code == 409
    assert client.get(f"/drills/{drill['id']}/review", headers=officer).json() == before


def test_cross_references_run_on_what_parsed(tmp_path):
    """Probe 11: an unknown tier and a bad latitude hid a link to an unknown code until they were fixed."""
    import pytest

    from supply.core.errors import ScenarioError
    from supply.core.scenario import load_scenario
    from tests.conftest import TINY, write

    broken = TINY.replace('tier = "hub"', 'tier = "castle"').replace("lat = 23.01", "lat = 123.01")
    broken += '\n[[links]]\na = "H"\nb = "NOWHERE"\nminutes = 3\n'
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, broken))
    paths = {p.path: p.message for p in err.value.problems}
    assert "stations[0].tier" in paths and "sites[0].lat" in paths
    assert "links[7].b" in paths and "NOWHERE" in paths["links[7].b"]
    assert not any(p.startswith("links[") and "'H'" in m for p, m in paths.items())  # H is known, if invalid


def test_unexpected_errors_log_their_traceback_and_a_request_id(client, db, caplog, monkeypatch):
    """Probe 7: unexpected errors were logged as 'NoneType: None'."""
    from supply.api.routers import stations

    def boom(*args, **kwargs):
        msg = "kaboom"
        raise RuntimeError(msg)

    monkeypatch.setattr(stations, "require_station", boom)
    from fastapi.testclient import TestClient

    with TestClient(client.app, raise_server_exceptions=False) as c, caplog.at_level(logging.ERROR):
        r = c.get("/stations/GZ-HUB", headers=db.headers())
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    rid = r.json()["request_id"]
    record = next(rec for rec in caplog.records if rid in rec.getMessage())
    assert record.exc_info is not None and "kaboom" in str(record.exc_info[1])
    assert "NoneType: None" not in caplog.text


def test_a_drill_is_a_job_answered_at_once(client, db):
    """Probe 1: the simulation ran inside the request; now 202 + Location, planning → open, with progress."""
    r = client.post("/drills", json=drill_body(start_at()), headers=db.headers("commander"))
    assert r.status_code == 202 and r.json()["status"] == "planning" and r.json()["progress"] == 0.0
    drill = wait_planned(client, r.json()["id"], db.headers())
    assert drill["status"] == "open" and drill["progress"] == 1.0 and len(drill["dispatches"]) == 2


def test_a_planning_job_can_be_cancelled(client, db):
    """Probe 1: a client that went away could not stop the work; POST /drills/{id}/cancel does."""
    big = drill_body(start_at(), replications=500)
    r = client.post("/drills", json=big, headers=db.headers("commander"))
    assert r.status_code == 202
    d = r.json()["id"]
    assert client.post(f"/drills/{d}/cancel", headers=db.headers("planner")).status_code == 403
    c = client.post(f"/drills/{d}/cancel", headers=db.headers("commander"))
    assert c.status_code == 200 and c.json()["status"] == "failed" and "cancelled by commander-1" in c.json()["error"]
    drill = wait_planned(client, d, db.headers())
    assert drill["status"] == "failed" and drill["dispatches"] == []
    assert client.post(f"/drills/{d}/cancel", headers=db.headers("commander")).status_code == 409


def test_too_large_a_drill_is_refused_before_any_work(client, db):
    """Probe 1: hours, rates, unit counts and headcounts had no bound; the estimate is checked first."""
    huge = SMALL_DRILL + '\n[[drill.streams]]\nsite = "GZ-RAIL"\nrate_per_hour = 9000\nheadcount = 90000\n'
    r = client.post("/drills", json={**drill_body(start_at()), "scenario_toml": huge}, headers=db.headers())
    assert r.status_code == 422 and "too large to simulate" in r.json()["detail"] and "limit" in r.json()["detail"]
    for key, value in (("hours = 12", "hours = 100000"), ("headcount = 200", "headcount = 10000000")):
        toml = SMALL_DRILL.replace(key, value)
        r = client.post("/drills", json={**drill_body(start_at()), "scenario_toml": toml}, headers=db.headers())
        assert r.status_code == 422, r.text
    assert client.get("/drills", headers=db.headers()).json() == []


def test_a_job_left_planning_by_a_stopped_server_is_resumed(client, db):
    """Probe 1: a restart must resume (or fail) every job left planning; none hangs."""
    from supply.api import create_app
    from supply.core.settings import Settings

    r = client.post("/drills", json=drill_body(start_at()), headers=db.headers("commander"))
    d = r.json()["id"]
    wait_planned(client, d, db.headers())
    # as a server process killed mid-job leaves it: planning, owned by a process that is gone
    sql(db, "UPDATE drill SET status = 'planning', progress = 0.3, job_owner = 'nohost-x:1' WHERE id = :d", d=d)
    sql(db, "UPDATE drill SET job_owner = :o WHERE id = :d", o=f"{__import__('socket').gethostname()}:999999", d=d)
    from fastapi.testclient import TestClient

    app = create_app(Settings(database_url=db.url, data_dir=client.app.state.runtime.settings.data_dir))
    with TestClient(app) as restarted:
        drill = wait_planned(restarted, d, db.headers())
    app.state.runtime.engine.dispose()
    assert drill["status"] == "open" and len(drill["dispatches"]) == 2  # resumed, units not written twice


def test_quantities_are_strict_finite_and_whole_when_counted(client, db):
    """Probe 9: quantities accepted 5e-324, "5", true and fractions of countable items."""
    h = db.headers()
    url = "/stations/GZ-HUB/receipts"
    for bad in (5e-324, "5", True, -1, 1e12):
        r = client.post(url, json={"item": "water_l", "quantity": bad}, headers=h)
        assert r.status_code == 422 and r.json()["field"] == "quantity", (bad, r.text)
    r = client.post(url, json={"item": "meals", "quantity": 2.5}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "quantity" and "whole" in r.json()["detail"], r.text
    assert client.post(url, json={"item": "water_l", "quantity": 2.5}, headers=h).status_code == 201
    assert client.post(url, json={"item": "meals", "quantity": 3}, headers=h).status_code == 201
    req = {"unit": "U", "headcount": 10, "site": "GZ-RAIL", "arrive_at": at(start_at(-60), 0)}
    rid = client.post("/requests", json=req, headers=h).json()["id"]
    line = {"request_id": rid, "station": "GZ-HUB", "lines": [{"item": "medical_kits", "quantity": 0.5}]}
    r = client.post("/dispatches", json=line, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "lines[0].quantity", r.text
    r = client.post("/stations/GZ-HUB/counts", json={"item": "meals", "counted": 10.5, "reason": "x"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "counted", r.text


def test_request_bodies_above_the_limit_get_413(client, db):
    """Probe 9: no request-body size limit."""
    body = b'{"item": "meals", "quantity": 1, "reason": "' + b"x" * 2_000_000 + b'"}'
    r = client.post(
        "/stations/GZ-HUB/receipts", content=body, headers={**db.headers(), "Content-Type": "application/json"}
    )
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert "1,000,000" in r.json()["detail"]


def test_a_sqlite_writer_waits_a_bounded_time_then_503(db, tmp_path):
    """Probe 9: SQLite writers waited for the lock without end; now 503 + Retry-After after the busy timeout."""
    import fcntl
    import os

    import pytest
    from fastapi.testclient import TestClient

    from supply.api import create_app
    from supply.core.settings import Settings

    if db.backend != "sqlite":
        pytest.skip("the write lock is SQLite's")
    app = create_app(Settings(database_url=db.url, data_dir=tmp_path, sqlite_busy_seconds=0.3))
    body = {"item": "meals", "quantity": 1, "reason": "truck"}
    fd = os.open(db.url.removeprefix("sqlite:///") + ".writelock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        with TestClient(app) as c:
            fcntl.flock(fd, fcntl.LOCK_EX)  # another writer holds the database
            r = c.post("/stations/GZ-HUB/receipts", json=body, headers=db.headers())
            assert r.status_code == 503 and r.headers["Retry-After"] == "2", r.text
            assert r.headers["content-type"] == "application/problem+json"
            fcntl.flock(fd, fcntl.LOCK_UN)
            assert c.post("/stations/GZ-HUB/receipts", json=body, headers=db.headers()).status_code == 201
    finally:
        os.close(fd)
        app.state.runtime.engine.dispose()
