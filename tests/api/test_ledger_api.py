"""The stock ledger over the API: movements, balances, counts, reversals, alerts, books."""

from __future__ import annotations

import pytest

from supply.core.scenario import load_scenario
from tests.conftest import GUANGZHOU

PROBLEM = "application/problem+json"


def stock_of(client, db, station: str, item: str, exercise: bool = False) -> dict:
    rows = client.get(f"/stations/{station}/stock", params={"exercise": exercise}, headers=db.headers()).json()
    return next(r for r in rows if r["item"] == item)


def test_stations_list_and_one(client, db):
    rows = client.get("/stations", headers=db.headers("commander")).json()
    assert [r["code"] for r in rows] == sorted(s.code for s in load_scenario(GUANGZHOU).stations)
    assert {"code", "name", "tier", "capacity"} <= set(rows[0])
    res = client.get("/stations/GZ-HUB", headers=db.headers())
    hub = res.json()
    assert hub["tier"] == "hub" and hub["capacity"]["seats"] == 1500
    assert '"seats":1500,' in res.text and '"refuel_bays":8,' in res.text  # counts are whole: never 1500.0
    res = client.get("/stations/GZ-HUBB", headers=db.headers())
    assert res.status_code == 404 and res.headers["content-type"] == PROBLEM
    assert res.json()["suggestions"] == ["GZ-HUB"]


def test_opening_stock_and_shape(client, db):
    row = stock_of(client, db, "GZ-HUB", "meals")
    assert row == {
        "item": "meals",
        "unit": "份",
        "on_hand": 30000.0,
        "reserved": 0.0,
        "available": 30000.0,
        "in_transit": 0.0,
        "daily_consumption": 0.0,
        "days_of_supply": None,
    }


def test_receipt_and_issue_move_the_balance(client, db):
    res = client.post(
        "/stations/GZ-HUB/receipts", json={"item": "meals", "quantity": 500, "reason": "restock"}, headers=db.headers()
    )
    assert res.status_code == 201
    m = res.json()
    assert (m["kind"], m["on_hand_delta"], m["actor"], m["reason"]) == ("receipt", 500.0, "officer-1", "restock")
    assert m["at"].endswith("+08:00")
    res = client.post("/stations/GZ-HUB/issues", json={"item": "meals", "quantity": 700}, headers=db.headers())
    assert res.status_code == 201 and res.json()["on_hand_delta"] == -700.0
    row = stock_of(client, db, "GZ-HUB", "meals")
    assert row["on_hand"] == 29800.0 and row["available"] == 29800.0
    assert row["daily_consumption"] == pytest.approx(100.0) and row["days_of_supply"] == pytest.approx(298.0)


def test_issue_beyond_available_is_409_and_records_nothing(client, db):
    before = len(client.get("/ledger", params={"limit": 1000}, headers=db.headers()).json())
    res = client.post("/stations/ZC-PT/issues", json={"item": "medical_kits", "quantity": 10_000}, headers=db.headers())
    assert res.status_code == 409 and res.headers["content-type"] == PROBLEM
    assert "not enough medical_kits at ZC-PT" in res.json()["detail"]
    assert len(client.get("/ledger", params={"limit": 1000}, headers=db.headers()).json()) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"item": "meals", "quantity": 0}, "quantity"),
        ({"item": "meals", "quantity": -5}, "quantity"),
        ({"item": "mealz", "quantity": 5}, "item"),
        ({"item": "meals"}, "quantity"),
        ({"item": "meals", "quantity": "many"}, "quantity"),
    ],
)
def test_bad_movements_are_422_naming_the_field(client, db, body, field):
    res = client.post("/stations/GZ-HUB/issues", json=body, headers=db.headers())
    assert res.status_code == 422 and res.headers["content-type"] == PROBLEM
    assert res.json()["field"] == field


def test_unknown_station_is_404(client, db):
    res = client.post("/stations/NOPE/receipts", json={"item": "meals", "quantity": 1}, headers=db.headers())
    assert res.status_code == 404 and res.json()["kind"] == "station"


def test_transfer_is_atomic_and_reversible_as_one(client, db):
    body = {"from": "GZ-HUB", "to": "ZC-PT", "item": "water_l", "quantity": 1000, "reason": "rebalance"}
    res = client.post("/transfers", json=body, headers=db.headers())
    assert res.status_code == 201
    [out] = res.json()  # on the road until the destination receives it
    res = client.post(f"/transfers/{out['transfer_ref']}/receive", json={"quantity": 1000}, headers=db.headers())
    assert res.status_code == 201, res.text
    [into] = res.json()
    assert (out["kind"], out["station"], into["kind"], into["station"]) == (
        "transfer_out",
        "GZ-HUB",
        "transfer_in",
        "ZC-PT",
    )
    assert out["transfer_ref"] == into["transfer_ref"]
    zc = stock_of(client, db, "ZC-PT", "water_l")["on_hand"]
    res = client.post(f"/movements/{into['id']}/reversal", json={"reason": "wrong station"}, headers=db.headers())
    assert res.status_code == 201 and {m["reversal_of"] for m in res.json()} == {out["id"], into["id"]}
    assert stock_of(client, db, "GZ-HUB", "water_l")["on_hand"] == 300000.0
    assert stock_of(client, db, "ZC-PT", "water_l")["on_hand"] == zc - 1000
    too_much = {**body, "quantity": 10**8}
    assert client.post("/transfers", json=too_much, headers=db.headers()).status_code == 409
    same = {**body, "to": "GZ-HUB"}
    assert client.post("/transfers", json=same, headers=db.headers()).json()["field"] == "to"


def test_count_records_the_difference_or_nothing(client, db):
    res = client.post(
        "/stations/GZ-HUB/counts", json={"item": "rations", "counted": 23990, "reason": "weekly"}, headers=db.headers()
    )
    assert res.status_code == 201
    m = res.json()
    assert (m["kind"], m["on_hand_delta"]) == ("adjustment", -10.0) and "weekly" in m["reason"]
    res = client.post("/stations/GZ-HUB/counts", json={"item": "rations", "counted": 23990}, headers=db.headers())
    assert res.status_code == 200 and res.json() is None
    assert stock_of(client, db, "GZ-HUB", "rations")["on_hand"] == 23990.0


def test_reversal_appends_and_never_changes_the_original(client, db):
    m = client.post("/stations/HP-PT/receipts", json={"item": "diesel_l", "quantity": 250}, headers=db.headers()).json()
    res = client.post(f"/movements/{m['id']}/reversal", json={"reason": "entered twice"}, headers=db.headers())
    assert res.status_code == 201
    (r,) = res.json()
    assert (r["kind"], r["reversal_of"], r["on_hand_delta"]) == ("reversal", m["id"], -250.0)
    ledger = client.get("/ledger", params={"station": "HP-PT", "item": "diesel_l"}, headers=db.headers()).json()
    assert [x["id"] for x in ledger[:2]] == [r["id"], m["id"]]  # newest first
    assert ledger[1] == m  # untouched
    again = client.post(f"/movements/{m['id']}/reversal", json={"reason": "again"}, headers=db.headers())
    assert again.status_code == 409
    of_reversal = client.post(f"/movements/{r['id']}/reversal", json={"reason": "x"}, headers=db.headers())
    assert of_reversal.status_code == 409
    assert client.post("/movements/99999/reversal", json={"reason": "x"}, headers=db.headers()).status_code == 404
    assert client.post(f"/movements/{m['id']}/reversal", json={"reason": " "}, headers=db.headers()).status_code == 422


def test_ledger_filters_and_pages(client, db):
    h = db.headers()
    for q in (1, 2, 3):
        client.post("/stations/CH-PT/receipts", json={"item": "meals", "quantity": q}, headers=h)
    page1 = client.get("/ledger", params={"station": "CH-PT", "item": "meals", "limit": 2}, headers=h).json()
    page2 = client.get(
        "/ledger", params={"station": "CH-PT", "item": "meals", "limit": 2, "offset": 2}, headers=h
    ).json()
    assert [m["quantity"] for m in page1] == [3.0, 2.0] and page2[0]["quantity"] == 1.0
    since = page1[1]["at"]
    newer = client.get("/ledger", params={"station": "CH-PT", "since": since}, headers=h).json()
    assert [m["quantity"] for m in newer] == [3.0, 2.0]
    assert client.get("/ledger", params={"since": "yesterday"}, headers=h).status_code == 422


def test_exercise_book_is_separate(client, db):
    h = db.headers()
    res = client.post("/stations/GZ-HUB/issues", json={"item": "meals", "quantity": 29000, "exercise": True}, headers=h)
    assert res.status_code == 201 and res.json()["exercise"] is True
    assert stock_of(client, db, "GZ-HUB", "meals", exercise=True)["on_hand"] == 1000.0
    assert stock_of(client, db, "GZ-HUB", "meals")["on_hand"] == 30000.0
    drills = client.get("/ledger", params={"exercise": True}, headers=h).json()
    real = client.get("/ledger", params={"exercise": False}, headers=h).json()
    assert all(m["exercise"] for m in drills) and not any(m["exercise"] for m in real)
    alerts = client.get("/alerts", params={"exercise": True}, headers=h).json()
    assert {"station": "GZ-HUB", "item": "meals", "kind": "below_reorder_level"}.items() <= alerts[0].items()
    assert client.get("/alerts", headers=h).json() == []


def test_alerts_low_days_of_supply(client, db):
    h = db.headers()
    # 7,000 meals issued this week = 1,000/day; 30,000 − 7,000 = 23,000 → 23 days (threshold 3: no alert)
    client.post("/stations/GZ-HUB/issues", json={"item": "meals", "quantity": 7000}, headers=h)
    assert not [a for a in client.get("/alerts", headers=h).json() if a["kind"] == "low_days_of_supply"]
    # 21,000 more: 28,000 in 7 days = 4,000/day, 2,000 on hand → 0.5 days, and below the reorder level
    client.post("/stations/GZ-HUB/issues", json={"item": "meals", "quantity": 21000}, headers=h)
    kinds = {(a["station"], a["item"], a["kind"]) for a in client.get("/alerts", headers=h).json()}
    assert kinds == {("GZ-HUB", "meals", "low_days_of_supply"), ("GZ-HUB", "meals", "below_reorder_level")}
    dos = next(a for a in client.get("/alerts", headers=h).json() if a["kind"] == "low_days_of_supply")
    assert dos["days_of_supply"] == pytest.approx(0.5)


def test_station_counts_stored_as_floats_read_whole():
    """Stations loaded before counts were stored whole (1500.0) still show whole seats; rates stay rates."""
    from supply.service.scenario_sync import whole_counts

    got = whole_counts({"seats": 1500.0, "refuel_bays": 8.0, "meals_per_hour": 3000.0, "beds": 2.5})
    assert got == {"seats": 1500, "refuel_bays": 8, "meals_per_hour": 3000.0, "beds": 2.5}
    assert isinstance(got["seats"], int) and isinstance(got["meals_per_hour"], float)
