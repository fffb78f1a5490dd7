"""Issue 14 end to end: a PostgreSQL centre behind a real server, two SQLite station nodes, one cut off.

    centre (PostgreSQL, `jungong serve`)          ← every sync goes through it (a star)
       ↑ /sync/push, /sync/pull (HTTP, node users)
    NS-WING node (SQLite, its own `jungong serve`)   N-WING node (SQLite)

The Nansha wing's node plans a dispatch and syncs. Then the two sides work apart: the centre
cancels that dispatch and issues Nansha meals; the centre goes down, and the node — cut off —
sends the dispatch on its way and issues meals too; its `sync run` retries and gives up (exit 1),
then `sync run --watch` waits until the centre is back and syncs by itself. The northern node
keeps working and syncs. After a last round every database holds the same ledger and balances,
nothing lost or doubled; the dispatch is `dispatched` everywhere (its owner's version stands);
the centre's cancellation is kept as a rejected change and shown by the API, the CLI and the
console; the meals drawn on both sides are a reconciliation alert naming both issues.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from supply.service import ledger
from supply.service.models import Dispatch, Movement, StockLock, table_of
from tests import processes
from tests.api.sync_helpers import in_session
from tests.conftest import ROOT
from tests.db import NODE_STATION, SYNC_PASSPHRASE, assert_reconciled, cli_env, free_port, wait_until_up

NORTH = "N-WING"
SHANGHAI = timezone(timedelta(hours=8))


class Server:
    """``jungong serve`` on a loopback port, stopped and started again at will."""

    def __init__(self, url: str, env: dict[str, str], log: Path) -> None:
        self.url, self.env, self.log = url, env, log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        cmd = [sys.executable, "-m", "supply.cli", "serve", "--db", self.url, "--port", str(self.port)]
        self.proc = processes.start(cmd, self.log, self.env)
        wait_until_up(self.proc, self.base, self.log)

    def stop(self) -> None:
        if self.proc is not None:
            processes.stop(self.proc)
        self.proc = None


def _ledger(url: str) -> tuple[set[str], dict[tuple, tuple[float, float]]]:
    """Every movement's global id, and every running balance (station, item, book) → (on hand, reserved)."""

    def read(s):
        uids = [r[0] for r in s.execute(select(table_of(Movement).c.uid))]
        locks = table_of(StockLock)
        rows = s.execute(select(locks.c.station, locks.c.item, locks.c.exercise, locks.c.on_hand, locks.c.reserved))
        return uids, {(st, it, bool(ex)): (round(oh, 6), round(rs, 6)) for st, it, ex, oh, rs in rows if oh or rs}

    uids, balances = in_session(url, read)
    assert len(uids) == len(set(uids)), "a movement is held twice"
    return set(uids), balances


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_a_node_works_cut_off_then_everything_converges(db, tmp_path):
    env = cli_env(tmp_path, JUNGONG_SYNC_PASSPHRASE=SYNC_PASSPHRASE)

    def cli(*args: str, code: int = 0) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "-m", "supply.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == code, (args, done.returncode, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    # -- set-up: two nodes made by `db init --node`, keys traded by file, users on each side --------
    nodes = {NODE_STATION: f"sqlite:///{tmp_path / 'nansha.db'}", NORTH: f"sqlite:///{tmp_path / 'north.db'}"}
    keys = {"centre": tmp_path / "centre.pem"}
    cli("sync", "key", "--db", db.url, "-o", str(keys["centre"]))
    for station, url in nodes.items():
        cli("db", "init", "--node", station, "--db", url)
        keys[station] = tmp_path / f"{station}.pem"
        cli("sync", "key", "--db", url, "-o", str(keys[station]))
        cli("sync", "trust", "--db", db.url, "--node", station, str(keys[station]))
        cli("sync", "trust", "--db", url, "--node", "centre", str(keys["centre"]))
    tokens = {NODE_STATION: db.tokens["node"]}  # node-1, bound to NS-WING in the test template
    added = cli("users", "add", "north-node", "--role", "node", "--station", NORTH, "--db", db.url)
    tokens[NORTH] = added.stdout.strip().splitlines()[-1]
    ns_officer = cli("users", "add", "chen", "--role", "officer", "--db", nodes[NODE_STATION])
    ns_token = ns_officer.stdout.strip().splitlines()[-1]

    centre = Server(db.url, env, tmp_path / "centre.log")
    nansha = Server(nodes[NODE_STATION], env, tmp_path / "nansha.log")
    watch: subprocess.Popen | None = None
    # closed whatever happens: a client left open by a failing step would fail a later test (ResourceWarning)
    at_centre = httpx.Client(base_url=centre.base, headers=db.headers("officer"), timeout=60)
    at_nansha = httpx.Client(base_url=nansha.base, headers={"Authorization": f"Bearer {ns_token}"}, timeout=60)
    try:
        centre.start()
        nansha.start()

        def sync(station: str, *extra: str, code: int = 0) -> subprocess.CompletedProcess:
            args = ("sync", "run", "--db", nodes[station], "--with", centre.base, "--token", tokens[station])
            return cli(*args, *extra, code=code)

        def meals_available(client: httpx.Client) -> float:
            rows = client.get(f"/stations/{NODE_STATION}/stock").json()
            return next(r for r in rows if r["item"] == "meals")["available"]

        # -- morning, connected: the Nansha node plans a dispatch on its own server, and syncs -----------
        arrive = (datetime.now(SHANGHAI) + timedelta(hours=6)).replace(microsecond=0).isoformat()
        req = at_nansha.post(
            "/requests",
            json={"unit": "Unit 73", "headcount": 300, "site": "NS-PORT", "arrive_at": arrive, "mode": "ship"},
        )
        assert req.status_code == 201, req.text
        body = {"request_id": req.json()["id"], "station": NODE_STATION, "lines": [{"item": "meals", "quantity": 300}]}
        planned = at_nansha.post("/dispatches", json=body)
        assert planned.status_code == 201, planned.text
        d_node = planned.json()["id"]
        first = json.loads(sync(NODE_STATION, "--json").stdout)
        assert first["pushed"]["applied"] > 0 and first["pushed"]["conflicts"] == []
        sync(NORTH)
        (d_centre,) = [d["id"] for d in at_centre.get("/dispatches").json() if d["station"] == NODE_STATION]
        assert at_centre.get(f"/dispatches/{d_centre}").json()["status"] == "planned"

        # -- apart: the centre cancels the Nansha dispatch and issues Nansha meals --------------------
        draw = meals_available(at_centre) - 10  # each side alone has enough; together they overdraw
        assert draw > 0 and meals_available(at_nansha) == draw + 10
        r = at_centre.post(f"/dispatches/{d_centre}/status", json={"status": "cancelled", "note": "unit re-routed"})
        assert r.status_code == 200, r.text
        issue = {"item": "meals", "quantity": draw, "reason": "centre: emergency draw"}
        assert at_centre.post(f"/stations/{NODE_STATION}/issues", json=issue).status_code == 201
        centre.stop()

        # -- cut off: the Nansha node works on, on its own server --------------------------------------
        r = at_nansha.post(f"/dispatches/{d_node}/status", json={"status": "dispatched", "note": "convoy left 07:10"})
        assert r.status_code == 200, r.text
        issue = {"item": "meals", "quantity": draw, "reason": "Nansha: typhoon shelter"}
        assert at_nansha.post(f"/stations/{NODE_STATION}/issues", json=issue).status_code == 201
        north_receipt = in_session(nodes[NORTH], lambda s: ledger.receive(s, "wu", NORTH, "water_l", 500, "well").uid)

        failed = sync(NODE_STATION, "--attempts", "3", "--delay", "0.2", code=1)
        tries = [line for line in failed.stderr.splitlines() if "attempt" in line]
        assert len(tries) == 3 and "cannot be reached" in tries[0] and "retrying in 0.2 s" in tries[0]
        assert "retrying in 0.4 s" in tries[1] and "giving up" in tries[2]

        # -- `--watch` waits for the centre and syncs as soon as it answers ----------------------------
        watch_log = tmp_path / "watch.log"
        watch = processes.start(
            [
                sys.executable,
                "-m",
                "supply.cli",
                "sync",
                "run",
                "--db",
                nodes[NODE_STATION],
                "--with",
                centre.base,
                "--token",
                tokens[NODE_STATION],
                "--watch",
                "--interval",
                "1",
                "--delay",
                "0.2",
                "--max-delay",
                "0.5",
                "--json",
            ],
            watch_log,
            env,
        )
        processes.wait_for_text(watch, watch_log, "cannot be reached")
        centre.start()
        processes.wait_for_text(watch, watch_log, '"pushed"')
        watch.send_signal(signal.SIGINT)  # Ctrl-C: it ends the round under way, then stops
        assert watch.wait(timeout=processes.READY_S) == 0, watch_log.read_text()
        text = watch_log.read_text()
        assert "sync: stopped" in text
        assert "Traceback" not in text
        report = json.loads(text[text.index("{") : text.index("\n}\n") + 2])

        # the centre's report of the push: the conflict, and the meals drawn on both sides
        (conflict,) = report["pushed"]["conflicts"]
        assert (conflict["table"], conflict["owner"]) == ("dispatch", NODE_STATION)
        assert (conflict["standing"]["to_status"], conflict["standing"]["origin"]) == ("dispatched", NODE_STATION)
        assert (conflict["rejected"]["to_status"], conflict["rejected"]["origin"]) == ("cancelled", "centre")
        alerts = [a for a in report["pushed"]["alerts"] if (a["station"], a["item"]) == (NODE_STATION, "meals")]
        assert alerts and alerts[0]["available"] < 0
        issued = in_session(
            db.url,
            lambda s: [
                r[0]
                for r in s.execute(
                    select(table_of(Movement).c.uid).where(
                        table_of(Movement).c.reason.in_(["centre: emergency draw", "Nansha: typhoon shelter"])
                    )
                )
            ],
        )
        assert len(issued) == 2 and set(issued) <= set(alerts[0]["movements"])

        # -- the north node syncs, then Nansha once more: everything everywhere -------------------------
        sync(NORTH)
        again = json.loads(sync(NODE_STATION, "--json").stdout)
        assert again["pushed"]["applied"] == 0 or again["pushed"]["conflicts"] == []

        centre_ledger = _ledger(db.url)
        for station, url in nodes.items():
            assert _ledger(url) == centre_ledger, f"{station} differs from the centre"
        assert north_receipt in centre_ledger[0]
        for url in (db.url, *nodes.values()):
            assert_reconciled(url)
            statuses = in_session(
                url,
                lambda s: [r[0] for r in s.execute(select(table_of(Dispatch).c.status))],
            )
            assert statuses == ["dispatched"]

        # -- the conflict, shown: API, CLI (on each node), console ---------------------------------------
        shown = at_centre.get("/sync/conflicts").json()
        assert [c["rejected"]["uid"] for c in shown] == [conflict["rejected"]["uid"]]
        for url in nodes.values():
            listed = json.loads(cli("sync", "conflicts", "--db", url, "--json").stdout)
            assert [c["rejected"]["uid"] for c in listed] == [conflict["rejected"]["uid"]]
        page = _console(centre.base, db.tokens["officer"], "/console/sync/conflicts")
        assert f'data-conflict="{conflict["rejected"]["uid"]}"' in page
        assert re.search(r'data-version="standing" data-field="to_status"[^>]*>[^<]*已出发', page)
        assert re.search(r'data-version="rejected" data-field="to_status"[^>]*>[^<]*已取消', page)
    finally:
        at_centre.close()
        at_nansha.close()
        if watch is not None:
            processes.stop(watch)
        centre.stop()
        nansha.stop()
    for log in ("centre.log", "nansha.log"):
        assert "Traceback" not in (tmp_path / log).read_text()


def _console(base: str, token: str, path: str) -> str:
    """A console page as an officer signed in sees it (the sign-in form, its CSRF value, the session cookie)."""
    with httpx.Client(base_url=base, timeout=30) as browser:
        signin = browser.get("/console/")
        csrf = re.search(r'name="csrf" value="([^"]+)"', signin.text).group(1)
        done = browser.post("/console/signin", data={"token": token, "csrf": csrf})
        assert done.status_code in (200, 303), done.text
        page = browser.get(path)
        assert page.status_code == 200
        return page.text
