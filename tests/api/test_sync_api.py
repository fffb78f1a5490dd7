"""``/sync/``: a node pushes its bundle and pulls the centre's; roles and refusals (issue 14).

The centre is the test database (SQLite and PostgreSQL); the node a SQLite file made as
``jungong db init --node NS-WING`` makes it, its user ``node-1`` bound to NS-WING.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from supply.service import ledger
from supply.service.models import Movement
from supply.service.sync import export_bundle, import_bundle
from tests.api.sync_helpers import in_session, make_node, trade_keys
from tests.db import NODE_STATION

OCTET = {"Content-Type": "application/octet-stream"}


def _uids(url: str) -> set[str]:
    """The ledger's movements by global id."""
    return in_session(url, lambda s: set(s.exec(select(Movement.uid))))


def _count(url: str) -> int:
    return len(_uids(url))


@pytest.fixture
def node(db, tmp_path, sync_passphrase):
    url = make_node(tmp_path, NODE_STATION)
    trade_keys(db.url, url, NODE_STATION)
    return url


def _receive(url: str, quantity: float, station: str = NODE_STATION) -> None:
    in_session(url, lambda s: ledger.receive(s, "li", station, "meals", quantity, "truck from Panyu"))


def _meals(url: str, station: str = NODE_STATION) -> float:
    return in_session(url, lambda s: ledger.balance(s, station, "meals", False).on_hand)


def test_push_then_pull_converges_and_repeats_change_nothing(client, db, node):
    opening = _meals(db.url)
    assert _meals(node) == opening  # both loaded the same scenario: the same opening stock, the same uids
    _receive(node, 120)
    bundle = in_session(node, lambda s: export_bundle(s, for_node="centre"))
    push = client.post("/sync/push", content=bundle, headers={**db.headers("node"), **OCTET})
    assert push.status_code == 200, push.text
    report = push.json()
    assert report["applied"] >= 2 and report["from"] == NODE_STATION  # the receipt, its audit entry…
    assert _meals(db.url) == opening + 120  # …and the opening stock not doubled
    assert report["conflicts"] == [] and report["alerts"] == []
    again = client.post("/sync/push", content=bundle, headers={**db.headers("node"), **OCTET})
    assert (again.json()["applied"], again.json()["skipped"]) == (0, report["applied"] + report["skipped"])
    assert _meals(db.url) == opening + 120  # the same bundle twice: nothing more

    _receive(db.url, 7, station="GZ-HUB")
    pull = client.get("/sync/pull", headers=db.headers("node"))
    assert pull.status_code == 200 and pull.headers["content-type"] == "application/octet-stream"
    got = in_session(node, lambda s: import_bundle(s, pull.content))
    assert got.applied >= 2 and got.conflicts == []
    assert _uids(node) == _uids(db.url)
    assert _meals(node) == opening + 120 and _meals(node, "GZ-HUB") == _meals(db.url, "GZ-HUB")
    assert in_session(node, lambda s: import_bundle(s, pull.content)).applied == 0


def test_only_nodes_and_admins_sync(client, db, node):
    bundle = in_session(node, lambda s: export_bundle(s, for_node="centre"))
    assert client.post("/sync/push", content=bundle, headers=OCTET).status_code == 401
    assert client.get("/sync/pull").status_code == 401
    for role in ("officer", "planner", "commander"):
        r = client.post("/sync/push", content=bundle, headers={**db.headers(role), **OCTET})
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json", role
        assert client.get("/sync/pull", headers=db.headers(role)).status_code == 403
    assert client.post("/sync/push", content=bundle, headers={**db.headers("admin"), **OCTET}).status_code == 200
    for role in ("officer", "planner", "commander", "admin", "node"):
        assert client.get("/sync/conflicts", headers=db.headers(role)).json() == []
    assert client.get("/sync/conflicts").status_code == 401
    admin = client.get("/sync/pull", headers=db.headers("admin"))
    assert admin.status_code == 422 and "?node=" in admin.json()["detail"]
    assert client.get("/sync/pull", params={"node": NODE_STATION}, headers=db.headers("admin")).status_code == 200
    unknown = client.get("/sync/pull", params={"node": "NS-WNG"}, headers=db.headers("admin"))
    assert unknown.status_code == 404 and "NS-WING" in unknown.json()["suggestions"]
    other = client.get("/sync/pull", params={"node": "GZ-HUB"}, headers=db.headers("node"))
    assert other.status_code == 403


def test_a_node_pushes_only_its_own_station(client, db, node):
    """A node user bound to GZ-HUB may not push NS-WING's records: refused whole, nothing applied."""
    admin = db.headers("admin")
    token = client.post("/users", json={"name": "hub-node", "role": "node", "station": "GZ-HUB"}, headers=admin)
    _receive(node, 5)
    before = _count(db.url)
    bundle = in_session(node, lambda s: export_bundle(s, for_node="centre"))
    r = client.post("/sync/push", content=bundle, headers={"Authorization": f"Bearer {token.json()['token']}", **OCTET})
    assert r.status_code in (403, 422), r.text
    assert r.headers["content-type"] == "application/problem+json" and NODE_STATION in r.json()["detail"]
    assert _count(db.url) == before


@pytest.mark.parametrize("kind", ["empty", "unsigned", "tampered", "garbage"])
def test_bad_bundles_are_refused_whole(client, db, node, kind):
    _receive(node, 9)
    bundle = in_session(node, lambda s: export_bundle(s, for_node="centre"))
    body = {
        "empty": b"",
        "unsigned": bundle.replace(b'"signature": "', b'"signature": "", "x": "', 1),
        "tampered": bundle[:-8] + bytes(b ^ 1 for b in bundle[-8:]),
        "garbage": b"\x00\x01not a bundle",
    }[kind]
    before = _count(db.url)
    r = client.post("/sync/push", content=body, headers={**db.headers("node"), **OCTET})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json" and r.json()["detail"]
    assert _count(db.url) == before


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_bundles_over_the_sync_limit_are_413(db, tmp_path):
    from fastapi.testclient import TestClient

    from supply.api import create_app
    from supply.core.settings import Settings

    app = create_app(Settings(database_url=db.url, data_dir=tmp_path, max_sync_bytes=2_000, max_body_bytes=1_000))
    with TestClient(app) as c:
        r = c.post("/sync/push", content=b"x" * 3_000, headers={**db.headers("node"), **OCTET})
        assert r.status_code == 413 and "JUNGONG_MAX_SYNC_BYTES" in r.json()["detail"]
        small = c.post("/sync/push", content=b"x" * 1_500, headers={**db.headers("node"), **OCTET})
        assert small.status_code == 422  # under the sync limit though over the JSON one: read, and refused as no bundle
    app.state.runtime.engine.dispose()


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("lang", "title", "none"), [("zh-CN", "同步冲突", "没有冲突"), ("en", "Sync conflicts", "No conflicts")]
)
def test_the_console_lists_conflicts_in_both_languages(client, db, lang, title, none):
    page = client.get("/console/", headers={"Accept-Language": lang})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/console/signin", data={"token": db.tokens["planner"], "csrf": csrf})
    shown = client.get("/console/sync/conflicts", headers={"Accept-Language": lang})
    assert shown.status_code == 200 and title in shown.text and none in shown.text
    assert 'href="/console/sync/conflicts"' in client.get("/console/stations", headers={"Accept-Language": lang}).text
