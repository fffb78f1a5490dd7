"""A small drill end to end through the real server (``jungong serve --workers 2``) on both databases:
start, members, orders and acknowledgements, dispatches with teams, deliveries, unit times, steps,
the board, "what if from now", close, and the review — its figures checked against the log by hand.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import httpx
import pytest

from tests.api.drill_helpers import NEEDS, at, drill_body, post_drill, start_at
from tests.conftest import ROOT
from tests.db import cli_env


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "supply.cli", *args],
        cwd=ROOT,
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _minutes(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() / 60.0


@pytest.mark.slow
def test_a_drill_through_the_real_server(live, client_for, tmp_path):
    db = live.db
    joint, station, leader = (client_for(r) for r in ("commander", "officer", "planner"))
    s = start_at(60)

    # start: the plan's units become exercise requests, its dispatches are proposed
    drill = post_drill(joint, drill_body(s))
    d = drill["id"]
    d1, d2 = (x["id"] for x in drill["dispatches"])
    for body in (
        {"user": "officer-1", "role": "station_command", "station": "GZ-HUB"},
        {"user": "planner-1", "role": "team_leader", "team": "T-MED"},
    ):
        assert joint.post(f"/drills/{d}/members", json=body).status_code == 201

    # orders down the chain, acknowledged up it
    o1 = joint.post(f"/drills/{d}/orders", json={"station": "GZ-HUB", "text": "prepare 300 hot meals"}).json()
    o2 = station.post(f"/drills/{d}/orders", json={"team": "T-MED", "text": "stand by at GZ-RAIL"}).json()
    o3 = joint.post(f"/drills/{d}/orders", json={"team": "T-MED", "text": "escort U2's drivers"}).json()
    assert station.post(f"/drills/{d}/orders", json={"station": "GZ-HUB", "text": "x"}).status_code == 403
    assert leader.post(f"/drills/{d}/orders/{o1['id']}/status", json={"status": "acknowledged"}).status_code == 403
    for status in ("acknowledged", "in_progress", "done"):
        assert station.post(f"/drills/{d}/orders/{o1['id']}/status", json={"status": status}).status_code == 200
    assert leader.post(f"/drills/{d}/orders/{o2['id']}/status", json={"status": "acknowledged"}).status_code == 200
    refused = leader.post(
        f"/drills/{d}/orders/{o3['id']}/status", json={"status": "refused", "reason": "vehicle broke down"}
    )
    assert refused.json()["status"] == "refused"
    assert [o["id"] for o in leader.get(f"/drills/{d}/orders").json()] == [o2["id"], o3["id"]]

    # officers confirm the proposed dispatches, assign teams, and deliver
    for dispatch in (d1, d2):
        assert station.post(f"/dispatches/{dispatch}/status", json={"status": "planned"}).status_code == 200
    win = {"team": "T-KITCHEN", "start_at": at(s, 100), "end_at": at(s, 170)}
    assert station.post(f"/dispatches/{d1}/teams", json=win).status_code == 201
    assert station.post(f"/dispatches/{d2}/teams", json={**win, "end_at": at(s, 240)}).status_code == 409
    assert (
        station.post(f"/dispatches/{d2}/teams", json={**win, "start_at": at(s, 170), "end_at": at(s, 240)}).status_code
        == 201
    )
    for status in ("en_route", "on_task"):
        assert leader.post("/teams/T-MED/status", json={"status": status, "dispatch_id": d2}).status_code == 200
    for dispatch in (d1, d2):
        for status in ("dispatched", "delivered"):
            assert station.post(f"/dispatches/{dispatch}/status", json={"status": status}).status_code == 200

    # what really happened: U1 fed 30 minutes after arriving, U2 50 (late: the target is 45)
    times = {"U1": (122, 152), "U2": (185, 235)}
    assert (
        station.post(
            f"/drills/{d}/units/U1/times", json={"arrived_at": at(s, 122), "served_at": at(s, 152)}
        ).status_code
        == 200
    )
    assert leader.post(f"/drills/{d}/units/U1/times", json={"departed_at": at(s, 200)}).status_code == 403

    # what if, from now: U1 is fed, so only U2 is still to come; the stock is the live exercise book
    res = _cli(tmp_path, "drill", "--from-live", str(d), "--db", db.url, "-n", "5", "-w", "1", "--json")
    assert res.returncode == 0, res.stderr
    what_if = json.loads(res.stdout)
    assert list(what_if["units"]) == ["U2"] and "from live drill" in what_if["scenario"]
    assert what_if["hours"] < 12 and what_if["replications"] == 5

    assert (
        station.post(
            f"/drills/{d}/units/U2/times", json={"arrived_at": at(s, 185), "served_at": at(s, 235)}
        ).status_code
        == 200
    )
    for step, minute in (("notice_received", 3), ("plan_approved", 40), ("teams_alerted", 80)):
        assert joint.post(f"/drills/{d}/steps/{step}", json={"at": at(s, minute)}).status_code == 200

    # the board
    board = joint.get(f"/drills/{d}/board").json()
    assert [o["id"] for o in board["orders"]] == [o2["id"]]  # the open ones
    assert board["stock"]["GZ-HUB"]["meals"]["drawn"] == 300.0
    assert {t["code"]: t["status"] for t in board["teams"]}["T-MED"] == "on_task"
    page = httpx.get(f"{live.base}/drills/{d}/board.html")  # the console's board now
    assert page.status_code == 308 and page.headers["location"] == f"/console/drills/{d}"

    # close: read-only, never deleted
    assert joint.post(f"/drills/{d}/close").json()["status"] == "closed"
    assert joint.delete(f"/drills/{d}").status_code == 405
    assert station.post(f"/drills/{d}/units/U2/times", json={"departed_at": at(s, 280)}).status_code == 409

    # the review, against figures computed by hand from the log
    rv = joint.get(f"/drills/{d}/review").json()
    plan = joint.get(f"/drills/{d}/plan").json()
    assert rv["exercise"] is True and rv["drill"]["status"] == "closed"
    assert rv["on_time_share"] == 0.5  # U1 30 min ≤ 45, U2 50 min > 45
    fed = {u["code"]: u["minutes_to_fed"] for u in rv["units"]}
    assert fed == {code: float(b - a) for code, (a, b) in times.items()}
    assert {u["code"]: u["arrival_delay_minutes"] for u in rv["units"]} == {"U1": 2.0, "U2": 5.0}
    for u in rv["units"]:
        lo, hi = next(p for p in plan["units"] if p["code"] == u["code"])["minutes_to_fed"]["band95"]
        assert u["outside_band"] == (not lo <= fed[u["code"]] <= hi)
    lo, hi = plan["service_level"]["band95"]
    assert rv["on_time_outside_band"] == (not lo <= 0.5 <= hi)
    hub = rv["stock"]["GZ-HUB"]
    assert hub["drawn"] == {"meals": 300.0, "water_l": 3420.0, "diesel_l": 300.0}
    assert hub["drawn"]["water_l"] == NEEDS["U1"]["water_l"] + NEEDS["U2"]["water_l"]
    lo, hi = plan["meals_drawn"]["GZ-HUB"]["band95"]
    assert hub["outside_band"] == (not lo <= 300.0 <= hi)
    for item, real in hub["drawn"].items():  # every item against its own band, and in total
        lo, hi = plan["bands"]["stock_drawn"]["GZ-HUB"][item]["band95"]
        assert hub["items"][item]["outside_band"] == (not lo <= real <= hi)
    assert {k: c["drawn"] for k, c in rv["stock_total"].items()} == hub["drawn"]
    band = plan["bands"]["steps"]["serving"]
    serving = next(x for x in rv["procedure"] if x["step"] == "serving")
    if band["replications_complete"]:  # some replication fed both units: reality (122 → 235) against the band
        lo, hi = band["band95"]
        assert serving["measured_minutes"] == 235 - 122 and serving["outside_band"] == (not lo <= 113 <= hi)
    else:  # exponential meals, 90-minute dwells: the simulation may never feed both, and then says so
        assert serving["simulated"] is None and "no replication completed it" in serving["note"]
    steps = {x["step"]: (x["actual_minutes"], x["over_target"]) for x in rv["procedure"]}
    assert steps["notice_received"] == (3.0, False)
    assert steps["plan_approved"] == (37.0, False)
    assert steps["teams_alerted"] == (40.0, True)  # target 30
    assert steps["dispatched"] == (None, False)
    orders = {o["id"]: o for o in joint.get(f"/drills/{d}/orders").json()}
    acks = [
        _minutes(o["issued_at"], next(h["at"] for h in o["history"] if h["to"] == "acknowledged"))
        for o in orders.values()
        if any(h["to"] == "acknowledged" for h in o["history"])
    ]
    assert rv["orders"]["by_status"] == {"done": 1, "acknowledged": 1, "refused": 1}
    assert rv["orders"]["mean_minutes_to_acknowledge"] == round(sum(acks) / len(acks), 2)
    assert rv["orders"]["refused"] == [{"id": o3["id"], "reason": "vehicle broke down"}]
    assert any("teams_alerted" in f for f in rv["flags"])

    # the same review from the CLI, and as the self-contained HTML record
    out = tmp_path / "review.html"
    res = _cli(tmp_path, "review", str(d), "--db", db.url, "--json", "--out", str(out))
    assert res.returncode == 0, res.stderr
    cli = json.loads(res.stdout)
    assert (cli["on_time_share"], cli["units"], cli["stock"], cli["flags"]) == (
        rv["on_time_share"],
        rv["units"],
        rv["stock"],
        rv["flags"],
    )
    html = out.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 3 and "<script" not in html and "EXERCISE" in html
    api_html = joint.get(f"/drills/{d}/review", params={"format": "html"}).text
    assert "After-action review" in api_html

    # trust: nothing of the drill among real operations
    assert not {"U1", "U2"} & {x["unit"] for x in joint.get("/requests", params={"exercise": False}).json()}
    real = joint.get("/reports/dispatches.csv", params={"exercise": False}).text
    assert not {str(d1), str(d2)} & {row.split(",")[0] for row in real.splitlines()[1:]}
    assert {
        x["exercise"]
        for x in joint.get("/dispatches", params={"request_id": drill["dispatches"][0]["request_id"]}).json()
    } == {True}


def test_concurrent_assignments_of_one_team_never_overlap(live):
    from tests.api.test_concurrency import fire

    db = live.db
    h = db.headers()
    team = {"code": "CONC-TEAM", "station": "GZE-PT", "kind": "transport", "headcount": 4, "vehicles": 1}
    assert httpx.post(f"{live.base}/teams", json=team, headers=h).status_code == 201
    s = start_at(10)
    # real dispatches: a real team takes no exercise dispatch (a drill's chain works with its own teams)
    unit = {"unit": "Conc 1", "headcount": 10, "site": "GZ-RAIL", "arrive_at": at(s, 0)}
    req = httpx.post(f"{live.base}/requests", json=unit, headers=h).json()["id"]
    line = {"request_id": req, "station": "GZE-PT", "lines": [{"item": "water_l", "quantity": 1}]}
    ids = [httpx.post(f"{live.base}/dispatches", json=line, headers=h).json()["id"] for _ in range(8)]
    win = {"team": "CONC-TEAM", "start_at": at(s, 60), "end_at": at(s, 120)}
    res = fire(live.base, len(ids), lambda c, i: c.post(f"/dispatches/{ids[i]}/teams", json=win, headers=h))
    assert sorted(r.status_code for r in res) == [201] + [409] * (len(ids) - 1)
    assert len(httpx.get(f"{live.base}/teams/CONC-TEAM", headers=h).json()["assignments"]) == 1
