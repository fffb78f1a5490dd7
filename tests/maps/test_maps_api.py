"""``GET /maps/coverage`` and the map assets on the product's app, through a real server on loopback.

The server is ``jungong serve`` on a fresh database of each backend (``live`` in ``tests/db.py``);
``north_wing`` (``conftest.py``) writes the stock and the dispatch the map must show.
"""

from __future__ import annotations

import httpx
import pytest

from maps.assets import STATIC_DIR, outside_urls


def test_assets_served_by_the_package(live):
    res = httpx.get(live.base + "/maps/assets/leaflet/leaflet.js")
    assert res.status_code == 200 and "javascript" in res.headers["content-type"]
    assert res.content == (STATIC_DIR / "leaflet/leaflet.js").read_bytes()
    assert httpx.get(live.base + "/maps/assets/leaflet/images/layers.png").headers["content-type"] == "image/png"
    for bad in ("/maps/assets/README.md", "/maps/assets/..%2Fassets.py", "/maps/assets/nope.js"):
        assert httpx.get(live.base + bad).status_code == 404, bad


def test_coverage_page_with_live_stock_and_dispatches(north_wing):
    params = {"offline": "GZS-PT"}
    res = httpx.get(north_wing.base + "/maps/coverage", params=params, headers=north_wing.headers, timeout=60)
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/html")
    html = res.text
    assert outside_urls(html) == []
    assert 'src="/maps/assets/leaflet/leaflet.js"' in html
    assert "GZS-PT offline" in html
    assert "Stock on hand (live)" in html
    on_hand, days = f"{north_wing.meals_on_hand:,.0f}", f"{north_wing.days_of_supply:.1f} days of supply"
    assert f"Hot meals 热食 (份)</td><td>{on_hand} · {days}" in html
    assert "unbounded (no consumption)" in html  # the stations and items nothing was drawn from
    assert north_wing.dispatch_label in html


@pytest.mark.parametrize(("headers", "status"), [({}, 401), ({"Authorization": "Bearer nope"}, 401)])
def test_the_map_needs_a_reader(live, headers, status):
    res = httpx.get(live.base + "/maps/coverage", headers=headers, timeout=60)
    assert res.status_code == status
    assert res.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({"minutes": "30,abc"}, 422, "--minutes: 'abc' is not a positive whole number of minutes"),
        ({"offline": "NOPE"}, 404, "unknown station 'NOPE'"),
        ({"close": "NOPE~X"}, 404, "unknown link 'NOPE~X'"),
        ({"assets": "cdn"}, 422, "--assets: 'cdn' is not one of inline, served"),
    ],
)
def test_bad_input_is_a_problem_not_a_500(live, params, status, detail):
    res = httpx.get(live.base + "/maps/coverage", params=params, headers=live.db.headers("commander"), timeout=60)
    assert res.status_code == status
    assert res.headers["content-type"] == "application/problem+json"
    assert res.json()["detail"].startswith(detail)
