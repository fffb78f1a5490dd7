"""The ``node`` role (issue 14): a station's sync node, bound to its station, that reads and writes
nothing but ``/sync/`` — no other route of the API and no page of the console."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.db import NODE_STATION, cli_env


def _fill(route: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "1" if m.group(1).endswith("id") else "GZ-HUB", route)


def test_a_node_token_is_refused_on_every_route_but_sync(client, db):
    paths = client.app.openapi()["paths"]
    checked = 0
    for route, methods in paths.items():
        if route.startswith("/sync/"):
            continue
        for method in methods:
            if client.request(method, _fill(route), json={}).status_code != 401:
                continue  # a page that needs no token (health, the board's shell)
            r = client.request(method, _fill(route), json={}, headers=db.headers("node"))
            assert r.status_code == 403, (method, route, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            checked += 1
    assert checked > 40


def test_node_users_are_bound_to_a_known_station(client, db):
    admin = db.headers("admin")
    made = client.post("/users", json={"name": "ns-node", "role": "node", "station": NODE_STATION}, headers=admin)
    assert made.status_code == 201, made.text
    assert (made.json()["role"], made.json()["station"]) == ("node", NODE_STATION)
    unbound = client.post("/users", json={"name": "n2", "role": "node"}, headers=admin)
    assert unbound.status_code == 422 and "--station" in unbound.json()["detail"]
    unknown = client.post("/users", json={"name": "n3", "role": "node", "station": "NS-WNG"}, headers=admin)
    assert unknown.status_code == 404 and unknown.json()["suggestions"][0] == "NS-WING"
    officer = client.post("/users", json={"name": "n4", "role": "officer", "station": "GZ-HUB"}, headers=admin)
    assert officer.status_code == 422 and "only a node user" in officer.json()["detail"]
    listed = {u["name"]: u["station"] for u in client.get("/users", headers=admin).json()}
    assert listed["ns-node"] == NODE_STATION and listed["officer-1"] is None


def test_a_node_token_opens_no_console_page(client, db):
    page = client.get("/console/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    refused = client.post("/console/signin", data={"token": db.tokens["node"], "csrf": csrf})
    assert refused.status_code == 403 and "jg_session" not in refused.cookies
    client.cookies.set("jg_session", db.tokens["node"], path="/console")  # a token is no session
    assert client.get("/console/stations", follow_redirects=False).headers["location"].startswith("/console/?next=")
    client.cookies.set("jg_session", open_node_session(db), path="/console")  # a node's session, were there one
    assert client.get("/console/stations").status_code == 403


def open_node_session(db) -> str:
    """A console session for the node user, opened behind the sign-in page's back."""
    from sqlalchemy import select

    from supply.service.console_sessions import open_session
    from supply.service.db import make_engine
    from supply.service.models import User

    engine = make_engine(db.url)
    try:
        with engine.begin() as conn:
            uid = conn.execute(select(User.id).where(User.role == "node")).scalar_one()
            return open_session(conn, uid, hours=1, idle_minutes=30, replaces=None)
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_cli_adds_a_node_user_for_its_station(db, tmp_path):
    def users(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "supply.cli", "users", *args, "--db", db.url]
        return subprocess.run(cmd, cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=120)

    made = users("add", "hub-node", "--role", "node", "--station", "GZ-HUB")
    assert made.returncode == 0, made.stderr
    assert "(node for station GZ-HUB)" in made.stdout and made.stdout.strip().splitlines()[-1].startswith("jg_")
    missing = users("add", "x-node", "--role", "node")
    assert missing.returncode == 2 and "--station" in missing.stderr and "Traceback" not in missing.stderr
    assert "hub-node\tnode GZ-HUB\t" in users("list").stdout
