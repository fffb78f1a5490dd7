"""Stock in transit over the API: sent, on the road in the stock rows and ``GET /transfers``, received short
with its discrepancy, overdue in the alerts with its time in the service's zone."""

from __future__ import annotations

PROBLEM = "application/problem+json"


def _row(client, db, station: str, item: str) -> dict:
    rows = client.get(f"/stations/{station}/stock", headers=db.headers()).json()
    return next(r for r in rows if r["item"] == item)


def test_transfer_on_the_road_then_received_short(client, db):
    before = _row(client, db, "ZC-PT", "water_l")["on_hand"]
    body = {"from": "GZ-HUB", "to": "ZC-PT", "item": "water_l", "quantity": 1000, "due_at": "2020-01-01T08:00:00+08:00"}
    res = client.post("/transfers", json=body, headers=db.headers())
    assert res.status_code == 201, res.text
    [out] = res.json()
    ref = out["transfer_ref"]
    row = _row(client, db, "ZC-PT", "water_l")
    assert (row["on_hand"], row["in_transit"]) == (before, 1000)
    [t] = client.get("/transfers", params={"station": "ZC-PT"}, headers=db.headers("commander")).json()
    assert (t["transfer_ref"], t["from"], t["quantity"], t["overdue"]) == (ref, "GZ-HUB", 1000, True)
    assert t["due_at"] == "2020-01-01T08:00:00+08:00"
    [late] = [a for a in client.get("/alerts", headers=db.headers()).json() if a["kind"] == "overdue_transfer"]
    assert (late["station"], late["from"], late["due_at"]) == ("ZC-PT", "GZ-HUB", "2020-01-01T08:00:00+08:00")
    res = client.post(f"/transfers/{ref}/receive", json={"quantity": 990}, headers=db.headers())
    assert res.status_code == 422 and res.json()["field"] == "reason"
    res = client.post(f"/transfers/{ref}/receive", json={"quantity": 990, "reason": "a leak"}, headers=db.headers())
    assert res.status_code == 201, res.text
    assert [(m["kind"], m["quantity"]) for m in res.json()] == [("transfer_in", 990), ("discrepancy", 10)]
    row = _row(client, db, "ZC-PT", "water_l")
    assert (row["on_hand"], row["in_transit"]) == (before + 990, 0)
    assert client.get("/transfers", headers=db.headers()).json() == []
    again = client.post(f"/transfers/{ref}/receive", json={"quantity": 10, "reason": "x"}, headers=db.headers())
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    res = client.post("/transfers/0f0f/receive", json={"quantity": 1}, headers=db.headers())
    assert res.status_code == 404
    assert (
        client.post(f"/transfers/{ref}/receive", json={"quantity": 1}, headers=db.headers("planner")).status_code == 403
    )


def test_a_dispatch_delivered_short_records_its_discrepancy(client, db):
    h = db.headers()
    need = {"unit": "Unit 7", "headcount": 300, "site": "GZ-RAIL", "arrive_at": "2030-05-01T12:00:00+08:00"}
    req = client.post("/requests", json={**need, "needs": {"meals": 300}}, headers=h).json()
    body = {"request_id": req["id"], "station": "GZ-HUB", "lines": [{"item": "meals", "quantity": 300}]}
    d = client.post("/dispatches", json=body, headers=h).json()["id"]
    early = client.post(f"/dispatches/{d}/status", json={"status": "dispatched", "received": {"meals": 1}}, headers=h)
    assert early.status_code == 422 and early.json()["field"] == "received"
    assert client.post(f"/dispatches/{d}/status", json={"status": "dispatched"}, headers=h).status_code == 200
    short = {"status": "delivered", "received": {"meals": 290}}
    res = client.post(f"/dispatches/{d}/status", json=short, headers=h)
    assert res.status_code == 422 and res.json()["field"] == "note"
    res = client.post(f"/dispatches/{d}/status", json={**short, "note": "ten spoiled on the way"}, headers=h)
    assert res.status_code == 200, res.text
    ledger = client.get("/ledger", params={"station": "GZ-HUB", "limit": 5}, headers=h).json()
    [gap] = [m for m in ledger if m["kind"] == "discrepancy"]
    assert (gap["quantity"], gap["on_hand_delta"], gap["dispatch_id"], gap["reason"]) == (
        10,
        0,
        d,
        "ten spoiled on the way",
    )
    delivery = [m for m in ledger if m["kind"] == "delivery"]
    assert sum(m["quantity"] for m in delivery) == 300  # the stock that left the station, as dispatched
