"""Fixtures for the map tests: a tile server stand-in on loopback, where screenshots go (the shared
Chromium page, ``browser_session``, is the root conftest's).

The API's maps are tested on the product's app through the real server of ``tests/db.py`` (``live``).
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from maps.assets import STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


class _Tiles(http.server.BaseHTTPRequestHandler):
    """A stand-in for a tile server on the user's network: every ``/tiles/…png`` is one small PNG."""

    tile = (STATIC_DIR / "leaflet/images/layers.png").read_bytes()

    def do_GET(self) -> None:
        if not (self.path.startswith("/tiles/") and self.path.endswith(".png")):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.tile)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(self.tile)

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture(scope="session")
def tile_server() -> Iterator[str]:
    """Base URL of a tiny tile server on loopback (for ``--tiles``); the maps themselves come from the product's app."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@dataclass(frozen=True)
class NorthWing:
    """What ``north_wing`` wrote through the product's API, and what its map must then show."""

    base: str
    headers: dict[str, str]
    dispatch_label: str
    meals_on_hand: float
    days_of_supply: float


@pytest.fixture(scope="session")
def north_wing(live) -> NorthWing:
    """On the shared real server (``live``, its own stations: N-WING only): meals issued and a dispatch under way.

    N-WING opens with 12,000 meals; 1,400 issued within the 7-day consumption window make 200 a
    day, so 10,600 on hand last 53.0 days. One dispatch of water to Guangzhou North station is planned.
    """
    h = live.db.headers()
    res = httpx.post(f"{live.base}/stations/N-WING/issues", json={"item": "meals", "quantity": 1400}, headers=h)
    assert res.status_code == 201, res.text
    req = {"unit": "Unit 66", "headcount": 200, "site": "GZN-RAIL", "arrive_at": "2030-05-01T12:00:00+08:00"}
    res = httpx.post(f"{live.base}/requests", json=req, headers=h)
    assert res.status_code == 201, res.text
    body = {"request_id": res.json()["id"], "station": "N-WING", "lines": [{"item": "water_l", "quantity": 500}]}
    res = httpx.post(f"{live.base}/dispatches", json=body, headers=h)
    assert res.status_code == 201, res.text
    label = f"dispatch {res.json()['id']} (planned): N-WING → Unit 66 at GZN-RAIL"
    return NorthWing(live.base, live.db.headers("commander"), label, 10_600, 53.0)
