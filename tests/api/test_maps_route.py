"""``GET /maps/coverage`` on the real app: live stock and dispatches under way, on both databases."""

from __future__ import annotations

import re

from tests.api.test_dispatch_api import make_request


def test_commander_gets_the_map_with_live_stock_and_dispatch_routes(client, db):
    h = db.headers()
    client.post("/stations/NS-WING/receipts", json={"item": "rations", "quantity": 4321, "reason": "truck"}, headers=h)
    req = make_request(client, db, site="NS-PORT")
    body = {"request_id": req["id"], "station": "NS-WING", "lines": [{"item": "meals", "quantity": 100}]}
    dispatch = client.post("/dispatches", json=body, headers=h).json()

    res = client.get("/maps/coverage", headers=db.headers("commander"))
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/html")
    html = res.text
    assert "Nansha" in html and "Guangzhou" in html
    stock_rations = next(
        r["on_hand"] for r in client.get("/stations/NS-WING/stock", headers=h).json() if r["item"] == "rations"
    )
    assert f"{stock_rations:,.0f}" in html  # the popup shows the ledger's balance, not the scenario's
    assert f"dispatch {dispatch['id']} (planned): NS-WING" in html
    assert not re.findall(r"<(?:script|link)[^>]+(?:src|href)=[\"']https?://", html)
    assert "/maps/assets/" in html  # served mode: the app serves Leaflet itself
    asset = re.search(r"/maps/assets/[\w./-]+\.js", html).group()
    assert client.get(asset).status_code == 200


def test_map_needs_a_token_and_checks_its_input(client, db):
    res = client.get("/maps/coverage")
    assert res.status_code == 401
    assert res.headers["content-type"] == "application/problem+json"
    res = client.get("/maps/coverage", params={"minutes": "30,x"}, headers=db.headers("commander"))
    assert res.status_code == 422 and "--minutes" in res.json()["detail"]
    res = client.get("/maps/coverage", params={"offline": "NS-WIN"}, headers=db.headers("planner"))
    assert res.status_code == 404 and "did you mean 'NS-WING'" in res.json()["detail"]
