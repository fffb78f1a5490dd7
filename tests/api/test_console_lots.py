"""The console's lot view, receive form with its discrepancy, approvals queue and survive table (in English)."""

from __future__ import annotations

import re

from tests.api.test_console_zh import _sign_in


def _csrf(client) -> str:
    return client.cookies.get("jg_csrf")


def test_lots_road_and_receipt_with_a_discrepancy(client, db):
    officer = db.headers("officer")
    client.post(
        "/stations/GZ-HUB/receipts",
        json={"item": "rations", "quantity": 40, "lot": "OLD-1", "expires_on": "2020-01-01"},
        headers=officer,
    )
    [sent] = client.post(
        "/transfers", json={"from": "NS-WING", "to": "GZ-HUB", "item": "water_l", "quantity": 100}, headers=officer
    ).json()
    ref = sent["transfer_ref"]
    client.headers["Accept-Language"] = "en"
    _sign_in(client, db.tokens["officer"])
    page = client.get("/console/stations/GZ-HUB").text
    assert re.search(r'<tr data-lot="OLD-1" data-item="rations" class="low">', page)
    assert "expired: never issued" in page and 'data-form="expire"' in page
    assert re.search(r'data-item="water_l" data-field="in_transit">100<', page)
    assert f'data-transfer="{ref}"' in page
    # short without a reason: the form again with the message; with one: recorded, the discrepancy in the ledger
    short = client.post(f"/console/stations/GZ-HUB/receive/{ref}", data={"csrf": _csrf(client), "quantity": "95"})
    assert short.status_code == 422 and "a discrepancy needs a reason" in short.text
    done = client.post(
        f"/console/stations/GZ-HUB/receive/{ref}",
        data={"csrf": _csrf(client), "quantity": "95", "reason": "five bottles broken"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert 'data-kind="discrepancy"' in page and "five bottles broken" in page
    assert "Nothing on the road to this station." in page
    gone = client.post(
        "/console/stations/GZ-HUB/expire",
        data={"csrf": _csrf(client), "item": "rations", "lot": "OLD-1", "reason": "burnt"},
        follow_redirects=False,
    )
    assert gone.status_code == 303 and 'data-lot="OLD-1"' not in client.get("/console/stations/GZ-HUB").text


def test_approvals_queue_and_survive_table(client, db):
    need = {"unit": "Convoy 9", "headcount": 50, "site": "GZ-RAIL", "arrive_at": "2030-05-01T12:00:00+08:00"}
    req = client.post("/requests", json={**need, "needs": {"diesel_l": 8000}}, headers=db.headers()).json()
    client.post("/stations/NS-WING/issues", json={"item": "meals", "quantity": 700}, headers=db.headers())
    client.headers["Accept-Language"] = "en"
    _sign_in(client, db.tokens["planner"])
    assert f'data-request="{req["id"]}"' not in client.get("/console/approvals").text  # not the planner's to decide
    _sign_in(client, db.tokens["commander"])
    page = client.get("/console/approvals").text
    assert f'data-request="{req["id"]}"' in page and "diesel_l 8000 above 5000" in page
    done = client.post(
        f"/console/requests/{req['id']}/approve",
        data={"csrf": _csrf(client), "reason": "HQ cleared"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert f"Request {req['id']}: approved." in client.get(done.headers["location"]).text
    assert client.get(f"/requests/{req['id']}", headers=db.headers()).json()["decided_by"] == "commander-1"
    table = client.get("/console/survive", params={"cut": "GZ-NS-BRIDGE"}).text
    assert "Closing GZ-NS-BRIDGE: cut off —; on a detour NS-WING +27.9 min" in table
    assert re.search(r'<tr data-station="NS-WING">\s*<th>NS-WING</th>\s*<td data-field="days">', table)
