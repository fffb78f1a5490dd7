"""Issue 20: a node's authority is its station — whoever carries its records (the node, an admin, a file).

The centre is the test database (SQLite and PostgreSQL) behind a real ``jungong serve``; the node a
SQLite file made as ``jungong db init --node NS-WING`` makes it. Each forged bundle is the node's
own, re-signed with the node's key: the signature holds, and the records inside must be refused —
a record claiming another origin, a receipt at GZ-HUB, a NUL in a reason, 1e308 or NaN — whole,
with nothing applied, naming the record, for a node user and an admin alike (422), and by
``jungong sync import`` (exit 2, one line).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest
from sqlmodel import select

from supply.core.errors import ForbiddenError
from supply.service import ledger
from supply.service.models import Movement
from supply.service.sync import export_bundle
from tests.api.sync_helpers import forged, in_session, make_node, trade_keys
from tests.conftest import ROOT
from tests.db import NODE_STATION, cli_env
from tests.service.sync_helpers import rows_of

OCTET = {"Content-Type": "application/octet-stream"}
HUB = "GZ-HUB"


def _state(url: str) -> tuple[set[str], float]:
    """The ledger's movements by global id, and GZ-HUB's real meals on hand."""
    return in_session(
        url, lambda s: (set(s.exec(select(Movement.uid))), ledger.balance(s, HUB, "meals", False).on_hand)
    )


def _receipt(body: dict[str, Any]) -> tuple[dict[str, int], list[Any]]:
    """The node's receipt in a bundle: its column positions and its row."""
    at, rows = rows_of(body, "movement")
    return at, next(r for r in rows if r[at["kind"]] == "receipt")


def _set(column: str, value: Any, *others: str):
    def edit(body: dict[str, Any]) -> None:
        at, row = _receipt(body)
        for name in (column, *others):
            row[at[name]] = value

    return edit


FORGERIES = {
    "another origin": _set("origin", "GZE-PT"),
    "another station's book": _set("station", HUB),
    "NUL in a reason": _set("reason", "truck\x00from Panyu"),
    "1e308": _set("quantity", 1e308, "on_hand_delta"),
    "NaN": _set("on_hand_delta", float("nan")),
}
#: What each refusal names, beside the record.
NAMED = {
    "another origin": "'GZE-PT'",
    "another station's book": "station GZ-HUB",
    "NUL in a reason": "reason: control character U+0000",
    "1e308": "quantity: 1e+308 is out of range",
    "NaN": "on_hand_delta: nan is not a finite number",
}


@pytest.fixture
def node(db, tmp_path, sync_passphrase):
    url = make_node(tmp_path, NODE_STATION)
    trade_keys(db.url, url, NODE_STATION)
    in_session(url, lambda s: ledger.receive(s, "li", NODE_STATION, "meals", 120, "truck from Panyu"))
    return url


def test_a_node_writes_only_its_own_station(tmp_path, sync_passphrase):
    """On the node's own database: a receipt at GZ-HUB is refused (403); a transfer to GZ-HUB is only
    the outgoing leg — GZ-HUB's book is GZ-HUB's to write when the stock arrives."""
    url = make_node(tmp_path, NODE_STATION)
    hub_before = _state(url)[1]
    with pytest.raises(ForbiddenError, match=f"node of {NODE_STATION}.*not {HUB}'s"):
        in_session(url, lambda s: ledger.receive(s, "li", HUB, "meals", 1111))
    with pytest.raises(ForbiddenError):
        in_session(url, lambda s: ledger.transfer(s, "li", HUB, NODE_STATION, "meals", 10))
    legs = in_session(
        url, lambda s: [(m.kind, m.station) for m in ledger.transfer(s, "li", NODE_STATION, HUB, "meals", 10)]
    )
    assert legs == [("transfer_out", NODE_STATION)]
    assert _state(url)[1] == hub_before


def test_the_nodes_api_refuses_another_stations_book(tmp_path, sync_passphrase):
    """The issue's case from the node's own server: an officer on NS-WING's node records a receipt at GZ-HUB."""
    from fastapi.testclient import TestClient

    from supply.api import create_app
    from supply.core.settings import Settings
    from supply.service.auth import add_user

    url = make_node(tmp_path, NODE_STATION)
    token = in_session(url, lambda s: add_user(s, "li", "officer")[1])
    app = create_app(Settings(database_url=url, data_dir=tmp_path))
    h = {"Authorization": f"Bearer {token}"}
    hub_before = _state(url)[1]
    with TestClient(app) as client:
        r = client.post(f"/stations/{HUB}/receipts", json={"item": "meals", "quantity": 1111}, headers=h)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
        assert f"node of {NODE_STATION}" in r.json()["detail"] and HUB in r.json()["detail"]
        body = {"from": NODE_STATION, "to": HUB, "item": "meals", "quantity": 10}
        legs = client.post("/transfers", json=body, headers=h)
        assert legs.status_code == 201 and [m["station"] for m in legs.json()] == [NODE_STATION]
        own = client.post(f"/stations/{NODE_STATION}/receipts", json={"item": "meals", "quantity": 5}, headers=h)
        assert own.status_code == 201
    app.state.runtime.engine.dispose()
    assert _state(url)[1] == hub_before


@pytest.mark.slow
def test_forged_and_out_of_station_bundles_are_refused_whole_by_a_real_server(db, node, own_server):
    before, uid = _state(db.url), _receipt_uid(node)
    with httpx.Client(base_url=own_server.live.base, timeout=60) as http:
        for kind, edit in FORGERIES.items():
            bundle = forged(node, NODE_STATION, edit)
            for role in ("admin", "node"):
                r = http.post("/sync/push", content=bundle, headers={**db.headers(role), **OCTET})
                assert r.status_code == 422, (kind, role, r.text)
                detail = r.json()["detail"]
                assert r.headers["content-type"] == "application/problem+json"
                assert f"movement {uid}" in detail and NAMED[kind] in detail, (kind, detail)
                assert _state(db.url) == before, (kind, role)  # nothing of it applied
        genuine = in_session(node, lambda s: export_bundle(s, for_node="centre"))
        ok = http.post("/sync/push", content=genuine, headers={**db.headers("admin"), **OCTET})
        assert ok.status_code == 200, ok.text
        assert http.get("/console/stations", headers=db.headers("officer")).status_code != 500
    assert _state(db.url)[1] == before[1]  # the genuine receipt was NS-WING's: GZ-HUB's book untouched


def _receipt_uid(node: str) -> str:
    """The global id of the node's receipt (the record each forgery changes)."""
    q = select(Movement.uid).where(Movement.kind == "receipt", Movement.origin == NODE_STATION)
    return in_session(node, lambda s: s.exec(q).one())


@pytest.mark.slow
def test_sync_import_refuses_a_forged_bundle_whole(db, node, tmp_path):
    """``jungong sync import`` (no role at all: whoever holds the file) applies the same rule."""
    for kind in ("another origin", "another station's book", "NaN"):
        path = tmp_path / "forged.bundle"
        path.write_bytes(forged(node, NODE_STATION, FORGERIES[kind]))
        before = _state(db.url)
        cmd = [sys.executable, "-m", "supply.cli", "sync", "import", "--db", db.url, str(path)]
        done = subprocess.run(cmd, cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, (kind, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert NAMED[kind] in done.stderr and f"movement {_receipt_uid(node)}" in done.stderr
        assert _state(db.url) == before
