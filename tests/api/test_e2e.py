"""A duty officer's day, end to end over HTTP against a real server, on each database."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import httpx
import pytest

SHANGHAI = timezone(timedelta(hours=8))


@pytest.mark.slow
def test_duty_officers_day(live, client_for):
    db = live.db
    officer, admin = client_for("officer"), client_for("admin")

    def stock(item: str) -> dict:
        return next(r for r in officer.get("/stations/NS-WING/stock").json() if r["item"] == item)

    # 1. a restock arrives at the Nansha wing
    meals0 = stock("meals")["on_hand"]
    res = officer.post(
        "/stations/NS-WING/receipts", json={"item": "meals", "quantity": 2000, "reason": "truck GD-A1234"}
    )
    assert res.status_code == 201 and stock("meals")["on_hand"] == meals0 + 2000

    # 2. a unit embarking at Nansha port in six hours: 500 people, 12 vehicles
    arrive = (datetime.now(SHANGHAI) + timedelta(hours=6)).replace(microsecond=0)
    res = officer.post(
        "/requests",
        json={
            "unit": "Unit 73 embarkation",
            "headcount": 500,
            "special_diets": {"halal": 20},
            "vehicles": 12,
            "mode": "ship",
            "site": "NS-PORT",
            "arrive_at": arrive.isoformat(),
            "dwell_minutes": 90,
            "priority": "priority",
        },
    )
    assert res.status_code == 201
    req = res.json()
    assert req["needs"] == {"meals": 500.0, "water_l": 5700.0, "diesel_l": 1800.0}

    # 3. ranked options: the Nansha wing is nearest and can cover everything, in time
    options = officer.get(f"/requests/{req['id']}/options").json()
    assert options[0]["station"] == "NS-WING" and options[0]["covers_all"] and options[0]["in_time"]
    assert [o["eta_minutes"] for o in options] == sorted(o["eta_minutes"] for o in options)

    # 4. dispatch what the best option covers (a radio retry must not double it)
    best = options[0]
    lines = [{"item": item, "quantity": qty} for item, qty in best["covers"].items()]
    body = {"request_id": req["id"], "station": best["station"], "lines": lines}
    first = officer.post("/dispatches", json=body, headers={"Idempotency-Key": "ns-73-1"})
    retry = officer.post("/dispatches", json=body, headers={"Idempotency-Key": "ns-73-1"})
    assert first.status_code == retry.status_code == 201 and first.json()["id"] == retry.json()["id"]
    dispatch = first.json()
    assert stock("meals")["reserved"] == 500 and stock("meals")["available"] == meals0 + 1500
    assert httpx.post(f"{live.base}/dispatches", json=body, headers=db.headers("commander")).status_code == 403

    # 5. the kitchens leave, deliver, and the job is closed
    for status in ("dispatched", "delivered", "closed"):
        res = officer.post(f"/dispatches/{dispatch['id']}/status", json={"status": status, "note": f"{status} ok"})
        assert res.status_code == 200 and res.json()["status"] == status
    meals = stock("meals")
    assert (meals["on_hand"], meals["reserved"]) == (meals0 + 1500, 0.0)
    assert meals["days_of_supply"] == pytest.approx((meals0 + 1500) / (500 / 7), rel=1e-3)
    assert officer.get(f"/requests/{req['id']}").json()["remaining"] == {"meals": 0, "water_l": 0, "diesel_l": 0}

    # 6. the paper log
    text = officer.get("/reports/dispatches.csv", params={"exercise": False, "station": "NS-WING"}).text
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["dispatch_id"] == str(dispatch["id"])]
    assert {(r["item"], float(r["quantity"]), r["status"]) for r in rows} == {
        ("meals", 500.0, "closed"),
        ("water_l", 5700.0, "closed"),
        ("diesel_l", 1800.0, "closed"),
    }
    stock_rows = csv.DictReader(io.StringIO(officer.get("/reports/stock.csv").text))
    ns_meals = next(r for r in stock_rows if r["station"] == "NS-WING" and r["item"] == "meals")
    assert float(ns_meals["on_hand"]) == meals["on_hand"]

    # 7. the audit trail tells the story, newest first, shown in Beijing time
    trail = admin.get("/audit", params={"actor": "officer-1", "limit": 500}).json()
    story = [
        e["action"] for e in reversed(trail) if e["target"] in (f"dispatch:{dispatch['id']}", f"request:{req['id']}")
    ]
    assert story == [
        "request.create",
        "dispatch.create",
        "dispatch.dispatched",
        "dispatch.delivered",
        "dispatch.closed",
    ]
    assert all(e["at"].endswith("+08:00") for e in trail)
