"""Many officers at once against a real server (``jungong serve --workers 2``) on each database."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

CLIENTS = 24


def fire(base: str, n: int, call) -> list[httpx.Response]:
    """Run ``call(client, i)`` from ``n`` clients released together."""
    barrier = threading.Barrier(n)

    def one(i: int) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=60) as c:
            barrier.wait()
            return call(c, i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def stock(base: str, headers: dict, station: str, item: str) -> dict:
    rows = httpx.get(f"{base}/stations/{station}/stock", headers=headers).json()
    return next(r for r in rows if r["item"] == item)


@pytest.mark.slow
def test_last_stock_is_never_over_issued_or_over_reserved(live):
    server, db = live.base, live.db
    h = db.headers()
    # leave exactly 10 medical kits at Conghua (60 in the scenario)
    assert (
        httpx.post(
            f"{server}/stations/CH-PT/issues", json={"item": "medical_kits", "quantity": 50}, headers=h
        ).status_code
        == 201
    )
    issues = fire(
        server,
        CLIENTS,
        lambda c, i: c.post("/stations/CH-PT/issues", headers=h, json={"item": "medical_kits", "quantity": 1}),
    )
    codes = Counter(r.status_code for r in issues)
    assert codes == {201: 10, 409: CLIENTS - 10}, codes
    assert stock(server, h, "CH-PT", "medical_kits")["on_hand"] == 0

    # the same through dispatches: 2,500 meals, 24 dispatches of 250 → exactly 10 reserved
    req = httpx.post(
        f"{server}/requests",
        headers=h,
        json={"unit": "convoy", "headcount": 3000, "site": "D-CONGHUA", "arrive_at": "2030-01-01T08:00:00+08:00"},
    ).json()
    body = {"request_id": req["id"], "station": "CH-PT", "lines": [{"item": "meals", "quantity": 250}]}
    res = fire(server, CLIENTS, lambda c, i: c.post("/dispatches", headers=h, json=body))
    assert Counter(r.status_code for r in res) == {201: 10, 409: CLIENTS - 10}
    meals = stock(server, h, "CH-PT", "meals")
    assert (meals["reserved"], meals["available"]) == (2500.0, 0.0)

    # delivering the same dispatch from many clients issues it once
    did = next(r.json()["id"] for r in res if r.status_code == 201)
    httpx.post(f"{server}/dispatches/{did}/status", headers=h, json={"status": "dispatched"})
    res = fire(server, 8, lambda c, i: c.post(f"/dispatches/{did}/status", headers=h, json={"status": "delivered"}))
    assert Counter(r.status_code for r in res) == {200: 1, 409: 7}
    assert stock(server, h, "CH-PT", "meals")["on_hand"] == 2250.0


@pytest.mark.slow
def test_concurrent_retries_with_one_idempotency_key_record_once(live):
    server, db = live.base, live.db
    h = db.headers(**{"Idempotency-Key": "storm-1"})
    body = {"item": "water_l", "quantity": 7, "reason": "retry storm"}
    res = fire(server, CLIENTS, lambda c, i: c.post("/stations/PY-PT/receipts", headers=h, json=body))
    assert {r.status_code for r in res} == {201}
    assert len({r.json()["id"] for r in res}) == 1
    ledger = httpx.get(f"{server}/ledger", params={"station": "PY-PT", "item": "water_l"}, headers=db.headers()).json()
    assert [m["reason"] for m in ledger].count("retry storm") == 1
