"""Support requests, options and the dispatch lifecycle over the API."""

from __future__ import annotations

import csv
import io

import pytest

from supply.core.scenario import load_scenario
from tests.conftest import GUANGZHOU

REQUEST = {
    "unit": "Unit 81 (military train K-781)",
    "headcount": 800,
    "special_diets": {"halal": 12, "sick": 3},
    "vehicles": 20,
    "mode": "train",
    "site": "GZ-RAIL",
    "arrive_at": "2030-05-01T12:00:00+08:00",
    "dwell_minutes": 40,
    "priority": "urgent",
}


def make_request(client, db, **over) -> dict:
    res = client.post("/requests", json={**REQUEST, **over}, headers=db.headers())
    assert res.status_code == 201, res.text
    return res.json()


def available(client, db, station: str, item: str, exercise: bool = False) -> float:
    rows = client.get(f"/stations/{station}/stock", params={"exercise": exercise}, headers=db.headers()).json()
    return next(r for r in rows if r["item"] == item)["available"]


def test_request_computes_needs_from_factors(client, db):
    req = make_request(client, db)
    # tropical drinking water 11.4 L/person/day × 800 (one day); 1 meal per stop; 150 L diesel/vehicle
    assert req["needs"] == {"meals": 800.0, "water_l": 9120.0, "diesel_l": 3000.0}
    assert req["needs_computed"] is True and req["remaining"] == req["needs"]
    assert req["arrive_at"] == "2030-05-01T12:00:00+08:00" and req["special_diets"] == {"halal": 12, "sick": 3}
    assert req["notice_minutes"] > 0
    given = make_request(client, db, needs={"meals": 10, "bed_nights": 5})
    assert given["needs"] == {"meals": 10.0, "bed_nights": 5.0} and given["needs_computed"] is False


@pytest.mark.parametrize(
    ("over", "status", "field"),
    [
        ({"headcount": 0}, 422, "headcount"),
        ({"headcount": -3}, 422, "headcount"),
        ({"arrive_at": "01/05/2030 12:00"}, 422, "arrive_at"),
        ({"arrive_at": "2030-05-01T12:00:00"}, 422, "arrive_at"),  # no time zone
        ({"mode": "bicycle"}, 422, "mode"),
        ({"needs": {"caviar": 3}}, 422, "needs.caviar"),
        ({"needs": {"meals": 0}}, 422, "needs.meals"),
        ({"site": "NOWHERE"}, 404, None),
    ],
)
def test_bad_requests(client, db, over, status, field):
    res = client.post("/requests", json={**REQUEST, **over}, headers=db.headers())
    assert res.status_code == status, res.text
    assert res.headers["content-type"] == "application/problem+json"
    if field:
        assert res.json()["field"] == field


def test_options_ranked_by_eta_with_cover_and_shortfall(client, db):
    req = make_request(client, db, needs={"meals": 3000, "medical_kits": 100})
    opts = client.get(f"/requests/{req['id']}/options", headers=db.headers()).json()
    assert sorted(o["station"] for o in opts) == sorted(s.code for s in load_scenario(GUANGZHOU).stations)
    assert opts[0]["station"] == "GZ-HUB"  # the hub is beside Guangzhou Railway Station
    etas = [o["eta_minutes"] for o in opts]
    assert etas == sorted(etas)
    for o in opts:
        for item, need in req["needs"].items():
            have = available(client, db, o["station"], item)
            assert o["covers"][item] == min(have, need)
            assert o["shortfall"][item] == max(need - have, 0)
        assert o["covers_all"] == (not any(o["shortfall"].values()))
    assert any(not o["covers_all"] for o in opts)  # small points cannot cover 3,000 meals
    assert client.get("/requests/9999/options", headers=db.headers()).status_code == 404


def test_dispatch_lifecycle_reserves_issues_and_closes(client, db):
    h = db.headers()
    req = make_request(client, db)
    before = available(client, db, "GZ-HUB", "meals")
    body = {
        "request_id": req["id"],
        "station": "GZ-HUB",
        "lines": [{"item": "meals", "quantity": 800}, {"item": "water_l", "quantity": 9120}],
    }
    res = client.post("/dispatches", json=body, headers=h)
    assert res.status_code == 201
    d = res.json()
    assert d["status"] == "planned" and d["lines"] == [
        {"item": "meals", "quantity": 800.0},
        {"item": "water_l", "quantity": 9120.0},
    ]
    assert available(client, db, "GZ-HUB", "meals") == before - 800
    assert client.get(f"/requests/{req['id']}", headers=h).json()["remaining"]["meals"] == 0
    opts = client.get(f"/requests/{req['id']}/options", headers=h).json()
    assert opts[0]["covers"]["meals"] == 0  # nothing more needed
    bad = client.post(f"/dispatches/{d['id']}/status", json={"status": "closed"}, headers=h)
    assert bad.status_code == 409 and "cannot become closed" in bad.json()["detail"]
    for status in ("dispatched", "delivered"):
        res = client.post(f"/dispatches/{d['id']}/status", json={"status": status, "note": "ok"}, headers=h)
        assert res.status_code == 200 and res.json()["status"] == status
    rows = client.get("/stations/GZ-HUB/stock", headers=h).json()
    meals = next(r for r in rows if r["item"] == "meals")
    assert (meals["on_hand"], meals["reserved"]) == (before - 800, 0.0)
    assert client.post(f"/dispatches/{d['id']}/status", json={"status": "cancelled"}, headers=h).status_code == 409
    closed = client.post(f"/dispatches/{d['id']}/status", json={"status": "closed"}, headers=h).json()
    assert [e["to"] for e in closed["history"]] == ["planned", "dispatched", "delivered", "closed"]
    kinds = [m["kind"] for m in client.get("/ledger", params={"station": "GZ-HUB", "item": "meals"}, headers=h).json()]
    assert kinds[:2] == ["delivery", "reserve"]
    reserve_id = client.get("/ledger", params={"station": "GZ-HUB", "item": "meals"}, headers=h).json()[1]["id"]
    assert client.post(f"/movements/{reserve_id}/reversal", json={"reason": "x"}, headers=h).status_code == 409


def test_cancel_releases_and_short_stock_is_409(client, db):
    h = db.headers()
    req = make_request(client, db)
    short = {
        "request_id": req["id"],
        "station": "CH-PT",
        "lines": [{"item": "meals", "quantity": 2000}, {"item": "diesel_l", "quantity": 10**6}],
    }
    res = client.post("/dispatches", json=short, headers=h)
    assert res.status_code == 409 and "diesel_l" in res.json()["detail"]
    assert available(client, db, "CH-PT", "meals") == 2500  # nothing reserved: all lines or none
    ok = {**short, "lines": [{"item": "meals", "quantity": 1000}, {"item": "meals", "quantity": 1000}]}
    d = client.post("/dispatches", json=ok, headers=h).json()
    assert d["lines"] == [{"item": "meals", "quantity": 2000.0}] and available(client, db, "CH-PT", "meals") == 500
    assert client.post("/dispatches", json=ok, headers=h).status_code == 409
    res = client.post(
        f"/dispatches/{d['id']}/status", json={"status": "cancelled", "note": "unit re-routed"}, headers=h
    )
    assert res.status_code == 200 and available(client, db, "CH-PT", "meals") == 2500
    bad = [
        {"request_id": 9999, "station": "CH-PT", "lines": [{"item": "meals", "quantity": 1}]},
        {"request_id": req["id"], "station": "XX", "lines": [{"item": "meals", "quantity": 1}]},
    ]
    assert [client.post("/dispatches", json=b, headers=h).status_code for b in bad] == [404, 404]
    res = client.post("/dispatches", json={**ok, "lines": [{"item": "gold", "quantity": 1}]}, headers=h)
    assert res.status_code == 422 and res.json()["field"] == "lines[0].item"
    res = client.post("/dispatches", json={**ok, "lines": []}, headers=h)
    assert res.status_code == 422 and res.json()["field"] == "lines"


def test_exercise_dispatches_use_the_drill_book_and_filter_everywhere(client, db):
    h = db.headers()
    real = make_request(client, db)
    drill = make_request(client, db, exercise=True, unit="Drill unit")
    for req in (real, drill):
        body = {"request_id": req["id"], "station": "GZ-HUB", "lines": [{"item": "meals", "quantity": 100}]}
        assert client.post("/dispatches", json=body, headers=h).json()["exercise"] == req["exercise"]
    assert available(client, db, "GZ-HUB", "meals") == 29900 and available(client, db, "GZ-HUB", "meals", True) == 29900
    only = client.get("/dispatches", params={"exercise": True}, headers=h).json()
    assert [d["request_id"] for d in only] == [drill["id"]]
    assert [r["id"] for r in client.get("/requests", params={"exercise": False}, headers=h).json()] == [real["id"]]
    text = client.get("/reports/dispatches.csv", params={"exercise": False}, headers=h).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["unit"] for r in rows] == [REQUEST["unit"]] and rows[0]["exercise"] == "False"
    default = list(csv.DictReader(io.StringIO(client.get("/reports/dispatches.csv", headers=h).text)))
    assert default == rows  # the paper log of real operations never carries a drill
    drills = client.get("/reports/dispatches.csv", params={"exercise": True}, headers=h).text
    assert [r["unit"] for r in csv.DictReader(io.StringIO(drills))] == ["Drill unit"]


def test_dispatch_log_filters(client, db):
    h = db.headers()
    req = make_request(client, db)
    ids = []
    for station in ("GZ-HUB", "GZE-PT"):
        body = {"request_id": req["id"], "station": station, "lines": [{"item": "water_l", "quantity": 10}]}
        ids.append(client.post("/dispatches", json=body, headers=h).json()["id"])
    client.post(f"/dispatches/{ids[0]}/status", json={"status": "dispatched"}, headers=h)
    assert [d["id"] for d in client.get("/dispatches", params={"status": "dispatched"}, headers=h).json()] == ids[:1]
    assert [d["id"] for d in client.get("/dispatches", params={"station": "GZE-PT"}, headers=h).json()] == ids[1:]
    assert [d["id"] for d in client.get("/dispatches", headers=h).json()] == ids[::-1]
    assert client.get("/dispatches", params={"status": "lost"}, headers=h).status_code == 422


def test_stock_csv_export(client, db):
    text = client.get("/reports/stock.csv", headers=db.headers("commander")).text
    rows = list(csv.DictReader(io.StringIO(text)))
    sc = load_scenario(GUANGZHOU)
    items = {item for st in sc.stations for item in st.stock}
    assert {(r["station"], r["item"]) for r in rows} == {(st.code, item) for st in sc.stations for item in items}
    assert len(rows) == len(sc.stations) * len(items)  # one row each, no duplicates
    hub = next(r for r in rows if r["station"] == "GZ-HUB" and r["item"] == "water_l")
    assert (hub["on_hand"], hub["days_of_supply"], hub["book"]) == ("300000.0", "unbounded", "real")
