"""Every write route × every role (× own / other drill and team), on SQLite and PostgreSQL.

The table below must name every write route of the app (read from its OpenAPI document), so a
new route cannot ship without its row. Role-gated routes answer 403 to the roles they exclude
before looking at the body; drill routes are decided by the caller's role *in that drill*.
"""

from __future__ import annotations

import re

from tests.api.drill_helpers import at, drill_body, post_drill, start_at

ROLES = ("officer", "planner", "commander", "admin")
OFFICERS = {"officer", "admin"}
#: Who may call each write route, by service role; ``None``: any role, decided per drill or team.
WRITE_ROUTES: dict[tuple[str, str], set[str] | None] = {
    ("post", "/users"): {"admin"},
    ("post", "/users/{name}/revoke"): {"admin"},
    ("post", "/stations/{code}/receipts"): OFFICERS,
    ("post", "/stations/{code}/issues"): OFFICERS,
    ("post", "/transfers"): OFFICERS,
    ("post", "/transfers/{ref}/receive"): OFFICERS,
    ("post", "/stations/{code}/counts"): OFFICERS,
    ("post", "/movements/{movement_id}/reversal"): OFFICERS,
    ("post", "/stations/{code}/expiries"): OFFICERS,
    ("post", "/requests"): OFFICERS,
    (
        "post",
        "/requests/{request_id}/approve",
    ): None,  # the role the request's threshold names (tests/api/test_approvals.py)
    ("post", "/requests/{request_id}/reject"): None,
    ("post", "/dispatches"): OFFICERS,
    ("post", "/dispatches/{dispatch_id}/status"): OFFICERS,
    ("post", "/teams"): OFFICERS,
    ("post", "/dispatches/{dispatch_id}/teams"): OFFICERS,
    ("post", "/drills"): {"officer", "commander", "admin"},
    ("post", "/teams/{code}/status"): None,
    ("delete", "/drills/{drill_id}"): None,
    ("post", "/drills/{drill_id}/close"): None,
    ("post", "/drills/{drill_id}/cancel"): None,
    ("post", "/drills/{drill_id}/members"): None,
    ("post", "/drills/{drill_id}/orders"): None,
    ("post", "/drills/{drill_id}/orders/{order_id}/status"): None,
    ("post", "/drills/{drill_id}/steps/{step}"): None,
    ("post", "/drills/{drill_id}/units/{code}/times"): None,
    ("post", "/analyses"): set(ROLES),  # analyses write nothing to the books: every reader may run them
    ("post", "/analyses/{analysis_id}/cancel"): None,  # whoever started it, or an admin
    ("post", "/analyses/drill"): {"planner", "commander", "admin"},  # simulated drills: the planners' tool
    ("post", "/analyses/improve"): {"planner", "commander", "admin"},
    ("post", "/sync/push"): {"admin"},  # and a station's node (tests/api/test_sync_api.py)
}


def fill(route: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "1" if m.group(1).endswith("id") else "GZ-HUB", route)


def test_the_table_names_every_write_route(client):
    routes = {(m, r) for r, ms in client.app.openapi()["paths"].items() for m in ms if m != "get"}
    assert routes == set(WRITE_ROUTES)


def test_role_gated_routes(client, db):
    for (method, route), allowed in WRITE_ROUTES.items():
        if allowed is None:
            continue
        assert client.request(method, fill(route), json={}).status_code == 401, route
        for role in ROLES:
            r = client.request(method, fill(route), json={}, headers=db.headers(role))
            if role in allowed:
                assert r.status_code not in (401, 403), (route, role, r.text)
            else:
                assert r.status_code == 403, (route, role, r.status_code)


def test_drill_routes_by_role_in_the_drill(client, db):
    """Drill A is the commander's (its joint command), drill B the officer's; admins may act in both."""
    s = start_at()
    drills = {}
    for creator in ("commander", "officer"):
        drills[creator] = post_drill(client, drill_body(s), db.headers(creator))["id"]
    # planner-1 leads team T-MED in drill A
    r = client.post(
        f"/drills/{drills['commander']}/members",
        json={"user": "planner-1", "role": "team_leader", "team": "T-MED"},
        headers=db.headers("commander"),
    )
    assert r.status_code == 201
    for creator, d in drills.items():
        for role in ROLES:
            joint = role in ("admin", creator)
            h = db.headers(role)
            order = client.post(f"/drills/{d}/orders", json={"station": "GZ-HUB", "text": f"by {role}"}, headers=h)
            assert order.status_code == (201 if joint else 403), (creator, role, order.text)
            step = client.post(f"/drills/{d}/steps/notice_received", json={"at": at(s, 1)}, headers=h)
            assert (step.status_code in (200, 409)) if joint else step.status_code == 403, (creator, role, step.text)
            member = {"user": "admin-1", "role": "station_command", "station": "GZ-HUB"}
            m = client.post(f"/drills/{d}/members", json=member, headers=h)
            assert (m.status_code in (201, 409)) if joint else m.status_code == 403, (creator, role, m.text)
            times = client.post(f"/drills/{d}/units/U1/times", json={"arrived_at": at(s, 2)}, headers=h)
            may_time = joint or role == "officer"
            assert times.status_code == (200 if may_time else 403), (creator, role, times.text)
            assert client.delete(f"/drills/{d}", headers=h).status_code == 405
            cancel = client.post(f"/drills/{d}/cancel", headers=h)  # the drill is open: nothing to cancel
            assert cancel.status_code == (409 if joint else 403), (creator, role, cancel.text)
    # team status: officers and admins for any team; a team leader for their own team only
    for role, team, ok in (
        ("planner", "T-MED", True),
        ("planner", "T-KITCHEN", False),
        ("commander", "T-MED", False),
        ("officer", "T-KITCHEN", True),
        ("admin", "T-KITCHEN", True),
    ):
        r = client.post(f"/teams/{team}/status", json={"status": "stood_down"}, headers=db.headers(role))
        assert (r.status_code in (200, 409)) if ok else r.status_code == 403, (role, team, r.text)
    # an order's recipient moves it; nobody else
    order = client.get(f"/drills/{drills['commander']}/orders", headers=db.headers("commander")).json()[0]
    for role in ("planner", "officer"):
        r = client.post(
            f"/drills/{drills['commander']}/orders/{order['id']}/status",
            json={"status": "acknowledged"},
            headers=db.headers(role),
        )
        assert r.status_code == 403, (role, r.text)
    # closing: the drill's joint command or an admin
    for creator, d in drills.items():
        for role in ("planner", "officer" if creator == "commander" else "commander"):
            assert client.post(f"/drills/{d}/close", headers=db.headers(role)).status_code == 403
        assert client.post(f"/drills/{d}/close", headers=db.headers(creator)).status_code == 200
        assert client.post(f"/drills/{d}/close", headers=db.headers("admin")).status_code == 409
