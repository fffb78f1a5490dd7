"""Running balances survive a server killed mid-write (SIGKILL): the ledger and the balances land
together or not at all, so a reconcile afterwards finds nothing, on both databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.conftest import ROOT
from tests.db import assert_reconciled, cli_env, free_port


@pytest.mark.slow
def test_balances_equal_the_ledger_after_kill_9_mid_writes(db, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "supply.cli", "serve", "--db", db.url, "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=cli_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    h = db.headers()
    written, stop = [], threading.Event()

    def officer(n: int) -> None:
        with httpx.Client(base_url=base, timeout=5) as c:
            req = c.post(
                "/requests",
                headers=h,
                json={"unit": f"u{n}", "headcount": 10, "site": "D-CONGHUA", "arrive_at": "2030-01-01T08:00:00+08:00"},
            ).json()
            while not stop.is_set():
                try:
                    c.post("/stations/GZ-HUB/receipts", headers=h, json={"item": "meals", "quantity": 3})
                    c.post(
                        "/transfers",
                        headers=h,
                        json={"from": "GZ-HUB", "to": "NS-WING", "item": "meals", "quantity": 2},
                    )
                    body = {
                        "request_id": req["id"],
                        "station": "GZ-HUB",
                        "lines": [{"item": "meals", "quantity": 1}, {"item": "water_l", "quantity": 5}],
                    }
                    d = c.post("/dispatches", headers=h, json=body).json()
                    for status in ("dispatched", "delivered"):
                        c.post(f"/dispatches/{d['id']}/status", headers=h, json={"status": status})
                    written.append(n)
                except (httpx.TransportError, KeyError, ValueError):
                    return  # the server is gone

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
            time.sleep(0.1)
        threads = [threading.Thread(target=officer, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        while len(written) < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # the server and its workers, mid-write
        proc.wait(timeout=15)
    finally:
        stop.set()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        log.close()
    for t in threads:
        t.join(timeout=10)
    assert len(written) >= 12
    assert_reconciled(db.url)  # and once more at the fixture's teardown
