"""Approvals over the API, on SQLite and PostgreSQL: the built-in scenario's rule (diesel_l above 5,000 L,
a commander decides) holds a request's dispatch until approved; the requester never decides their own."""

from __future__ import annotations

import pytest

from supply.core.approvals import approval_rules
from supply.core.errors import ScenarioError
from supply.core.scenario import load_scenario
from tests.conftest import GUANGZHOU

PROBLEM = "application/problem+json"
REQUEST = {
    "unit": "Convoy 12",
    "headcount": 200,
    "vehicles": 40,
    "site": "GZ-RAIL",
    "arrive_at": "2030-05-01T12:00:00+08:00",
    "needs": {"meals": 200, "diesel_l": 6000},
}


def _dispatch(client, db, request_id: int, quantity: float = 6000):
    body = {"request_id": request_id, "station": "GZ-HUB", "lines": [{"item": "diesel_l", "quantity": quantity}]}
    return client.post("/dispatches", json=body, headers=db.headers())


def test_the_built_in_scenario_declares_the_diesel_rule():
    [rule] = approval_rules(load_scenario(GUANGZHOU))
    assert (rule.item, rule.above, rule.role, rule.exercise) == ("diesel_l", 5000, "commander", None)


def test_bad_rules_are_named_by_key_path():
    sc = load_scenario(GUANGZHOU)
    bad = sc.model_copy(update={"approvals": [*sc.approvals, {"item": "fuel", "above": -1, "role": "cook"}]})
    with pytest.raises(ScenarioError) as err:
        approval_rules(bad, {"meals", "diesel_l"})
    said = "\n".join(str(p) for p in err.value.problems)
    assert "approvals[1].above" in said and "approvals[1].role" in said and "approvals[1].item" in said


def test_a_request_above_threshold_waits_for_a_commanders_approval(client, db):
    res = client.post("/requests", json=REQUEST, headers=db.headers())
    assert res.status_code == 201, res.text
    req = res.json()
    assert (req["approval"], req["approval_role"], req["approval_why"]) == (
        "pending",
        "commander",
        "diesel_l 6000 above 5000",
    )
    refused = _dispatch(client, db, req["id"])
    assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM
    assert "needs a commander's approval (diesel_l 6000 above 5000)" in refused.json()["detail"]
    queue = client.get("/approvals", headers=db.headers("commander")).json()
    assert [r["id"] for r in queue] == [req["id"]]
    assert client.get("/approvals", headers=db.headers("planner")).json() == []  # not theirs to decide
    path = f"/requests/{req['id']}/approve"
    assert client.post(path, json={"reason": "ok"}, headers=db.headers("officer")).status_code == 403
    assert client.post(path, json={}, headers=db.headers("commander")).status_code == 422  # a reason is required
    res = client.post(path, json={"reason": "convoy cleared by HQ"}, headers=db.headers("commander"))
    assert res.status_code == 200, res.text
    done = res.json()
    assert (done["approval"], done["decided_by"], done["decision_reason"]) == (
        "approved",
        "commander-1",
        "convoy cleared by HQ",
    )
    again = client.post(f"/requests/{req['id']}/reject", json={"reason": "no"}, headers=db.headers("commander"))
    assert again.status_code == 409
    assert _dispatch(client, db, req["id"]).status_code == 201
    audit = client.get("/audit", headers=db.headers("admin")).json()
    [entry] = [a for a in audit if a["action"] == "request.approve"]
    assert (entry["actor"], entry["reason"], entry["target"]) == (
        "commander-1",
        "convoy cleared by HQ",
        f"request:{req['id']}",
    )


def test_the_requester_cannot_decide_their_own_and_a_rejected_request_is_never_dispatched(client, db):
    own = client.post("/requests", json=REQUEST, headers=db.headers("admin")).json()
    res = client.post(f"/requests/{own['id']}/approve", json={"reason": "mine"}, headers=db.headers("admin"))
    assert res.status_code == 403 and "cannot decide their own request" in res.json()["detail"]
    res = client.post(f"/requests/{own['id']}/reject", json={"reason": "too much"}, headers=db.headers("commander"))
    assert res.status_code == 200 and res.json()["approval"] == "rejected"
    refused = _dispatch(client, db, own["id"])
    assert refused.status_code == 409 and "was rejected" in refused.json()["detail"]
    small = client.post("/requests", json={**REQUEST, "needs": {"diesel_l": 5000}}, headers=db.headers()).json()
    assert small["approval"] is None and _dispatch(client, db, small["id"], 5000).status_code == 201  # not above
