"""``GET /maps/coverage`` and the assets through a real uvicorn on loopback."""

from __future__ import annotations

import httpx
import pytest

from maps.assets import STATIC_DIR, outside_urls

COMMANDER = {"X-Role": "commander"}


def test_assets_served_by_the_package(map_server):
    res = httpx.get(map_server + "/maps/assets/leaflet/leaflet.js")
    assert res.status_code == 200 and "javascript" in res.headers["content-type"]
    assert res.content == (STATIC_DIR / "leaflet/leaflet.js").read_bytes()
    assert httpx.get(map_server + "/maps/assets/leaflet/images/layers.png").headers["content-type"] == "image/png"
    for bad in ("/maps/assets/README.md", "/maps/assets/..%2Fassets.py", "/maps/assets/nope.js"):
        assert httpx.get(map_server + bad).status_code == 404, bad


def test_coverage_page_with_live_stock_and_dispatches(map_server):
    res = httpx.get(map_server + "/maps/coverage", params={"offline": "GZS-PT"}, headers=COMMANDER, timeout=30)
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/html")
    html = res.text
    assert outside_urls(html) == []
    assert 'src="/maps/assets/leaflet/leaflet.js"' in html
    assert "GZS-PT offline" in html
    assert "Stock on hand (live)" in html and "2.5 days of supply" in html and "unbounded (no consumption)" in html
    assert "D-0001 meals to Guangzhou South" in html


def test_role_guard_applies(map_server):
    assert httpx.get(map_server + "/maps/coverage", timeout=30).status_code == 403


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({"minutes": "30,abc"}, 422, "--minutes: 'abc' is not a positive whole number of minutes"),
        ({"offline": "NOPE"}, 404, "unknown station 'NOPE'"),
        ({"close": "NOPE~X"}, 404, "unknown link 'NOPE~X'"),
        ({"assets": "cdn"}, 422, "--assets: 'cdn' is not one of inline, served"),
    ],
)
def test_bad_input_is_a_problem_not_a_500(map_server, params, status, detail):
    res = httpx.get(map_server + "/maps/coverage", params=params, headers=COMMANDER, timeout=30)
    assert res.status_code == status
    assert res.headers["content-type"] == "application/problem+json"
    assert res.json()["detail"].startswith(detail)
