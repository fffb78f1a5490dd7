"""Lots over the API and the CLI: receipts into lots, stock by lot, 409 naming an expired lot, the write-off,
and the expiring-stock report against a hand-computed case.

GZ-HUB opens with 24,000 rations without a lot (drawn last). Dates are relative to today in the
service's zone, as the report reads them.
"""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta

import pytest

from supply.service.lots import today
from tests.db import run_cli

PROBLEM = "application/problem+json"


def _post(client, db, path: str, body: dict):
    return client.post(path, json=body, headers=db.headers())


def _stock_lots(client, db) -> list[dict]:
    rows = client.get("/stations/GZ-HUB/stock", params={"by": "lot"}, headers=db.headers("planner")).json()
    return [r for r in rows if r["item"] == "rations"]


def _lots_fixture(client, db) -> None:
    day = today()
    for lot, qty, days in (("R1", 2000, 5), ("R2", 3000, 20), ("OLD", 50, -1)):
        body = {"item": "rations", "quantity": qty, "lot": lot, "expires_on": (day + timedelta(days=days)).isoformat()}
        assert _post(client, db, "/stations/GZ-HUB/receipts", body).status_code == 201


def test_lots_by_api_fefo_409_and_write_off(client, db):
    _lots_fixture(client, db)
    assert [(r["lot"], r["on_hand"], r["expired"]) for r in _stock_lots(client, db)] == [
        ("OLD", 50, True),
        ("R1", 2000, False),
        ("R2", 3000, False),
        ("", 24000, False),
    ]
    res = _post(client, db, "/stations/GZ-HUB/issues", {"item": "rations", "quantity": 2100, "reason": "Unit 81"})
    assert res.status_code == 201, res.text
    body = res.json()
    assert [(d["lot"], d["quantity"]) for d in body["drawn"]] == [("R1", 2000), ("R2", 100)]
    assert (body["lot"], body["quantity"]) == ("R1", 2000)  # the first lot's movement, as before lots
    res = _post(client, db, "/stations/GZ-HUB/issues", {"item": "rations", "quantity": 1, "lot": "OLD"})
    assert res.status_code == 409 and res.headers["content-type"] == PROBLEM
    assert "lot 'OLD' expired on" in res.json()["detail"]
    res = _post(client, db, "/stations/GZ-HUB/receipts", {"item": "diesel_l", "quantity": 10, "lot": "X"})
    assert res.status_code == 422 and "diesel_l is not kept by lot" in res.text
    res = _post(client, db, "/stations/GZ-HUB/expiries", {"item": "rations", "lot": "R2"})
    assert res.status_code == 409 and "has not expired" in res.json()["detail"]
    res = _post(client, db, "/stations/GZ-HUB/expiries", {"item": "rations", "lot": "OLD", "reason": "burnt"})
    assert res.status_code == 201 and (res.json()["kind"], res.json()["on_hand_delta"]) == ("expire", -50)
    res = _post(client, db, "/stations/GZ-HUB/counts", {"item": "rations", "counted": 2890, "lot": "R2"})
    assert res.status_code == 201 and res.json()["on_hand_delta"] == -10
    assert [(r["lot"], r["on_hand"]) for r in _stock_lots(client, db)] == [("R2", 2890), ("", 24000)]
    book = next(r for r in client.get("/stations/GZ-HUB/stock", headers=db.headers()).json() if r["item"] == "rations")
    assert book["on_hand"] == 26890  # the lots add up to the book


def test_expiring_report_against_a_hand_computed_case(client, db):
    _lots_fixture(client, db)
    assert _post(client, db, "/stations/GZ-HUB/issues", {"item": "rations", "quantity": 700}).status_code == 201
    # 700 issued in the 7-day window: 100 a day. R1 (1,300 left, 6 days through its expiry day): 600 used,
    # 700 at risk. R2 (3,000, 21 days): 2,100 wanted, 1,300 of it from R1 first, so 800 used, 2,200 at risk.
    # OLD: expired, all 50 at risk.
    rep = client.get("/reports/expiring", params={"days": 30}, headers=db.headers("commander")).json()
    got = {r["lot"]: (r["days_left"], r["quantity"], r["expected_use"], r["at_risk"]) for r in rep["lots"]}
    assert got == {"R2": (21, 3000, 800, 2200), "R1": (6, 1300, 600, 700), "OLD": (0, 50, 0, 50)}
    assert [r["lot"] for r in rep["lots"]] == ["R2", "R1", "OLD"]  # most at risk first
    assert rep["at_risk"] == {"rations": 2950} and rep["window_days"] == 7 and "at risk" in rep["definition"]
    near = client.get("/reports/expiring", params={"days": 10}, headers=db.headers()).json()
    assert {r["lot"] for r in near["lots"]} == {"R1", "OLD"}
    assert client.get("/reports/expiring", params={"days": -1}, headers=db.headers()).status_code == 422


@pytest.mark.slow
def test_stock_expiring_cli(client, db, tmp_path):
    _lots_fixture(client, db)

    def run(*args: str) -> subprocess.CompletedProcess:
        return run_cli(tmp_path, "stock", "expiring", "--db", db.url, *args)

    out = run("--days", "10")
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0]
    assert first.startswith("At risk of expiring before use within 10 days (real book") and "rations 2,050" in first
    assert "OLD" in out.stdout and "expired" in out.stdout and "R2" not in out.stdout
    data = json.loads(run("--json").stdout)
    assert data["days"] == 30 and {r["lot"] for r in data["lots"]} == {"R1", "R2", "OLD"}
    bad = run("--days", "-3")
    assert bad.returncode == 2 and "--days" in bad.stderr
