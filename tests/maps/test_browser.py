"""The maps as a person sees them: headless Chromium, no network beyond the page's own origin."""

from __future__ import annotations

import pytest

from maps import coverage_map, drill_map
from supply.core.coverage import coverage
from supply.core.network import Disruptions, build_network
from supply.core.scenario import load_scenario
from tools.chromium import file_url

pytestmark = pytest.mark.browser

READY = "window.jungongMap !== undefined && window.jungongMap instanceof L.Map"


def _assert_clean(s):
    assert s.outside == [], f"outside requests: {s.outside}"
    assert s.failed == [], f"failed requests: {s.failed}"
    assert s.errors == [], f"script errors: {s.errors}"


def _counts(page) -> dict:
    return page.evaluate(
        """() => ({
            stations: document.querySelectorAll('.leaflet-marker-pane .jg-station').length,
            offline: document.querySelectorAll('.leaflet-marker-pane .jg-station.jg-offline').length,
            sites: document.querySelectorAll('path.jg-site').length,
            uncovered: document.querySelectorAll('path.jg-uncovered').length,
            areas: [...new Set([...document.querySelectorAll('path.jg-area')].map(
                p => [...p.classList].find(c => /^jg-area-\\d+$/.test(c))))].sort(),
            rings: document.querySelectorAll('path.jg-ring').length,
            lanes: document.querySelectorAll('path.jg-sea-lane').length,
            closed: document.querySelectorAll('path.jg-closed').length,
            districts: document.querySelectorAll('.jg-label').length,
            scale: document.querySelectorAll('.leaflet-control-scale').length,
            layers: document.querySelectorAll('.leaflet-control-layers-overlays label').length,
            title: document.getElementById('jg-title').innerText,
        })"""
    )


def test_self_contained_file_offline(tmp_path, browser_session, artifacts):
    net = build_network(load_scenario(None), Disruptions(close=("J-HUMEN~NS-WING",), offline=("GZS-PT",)))
    result = coverage(net, (30, 60, 120))
    path = tmp_path / "coverage.html"
    path.write_text(coverage_map(net, result), encoding="utf-8")
    with browser_session() as s:
        s.page.goto(file_url(path))
        s.page.wait_for_function(READY)
        c = _counts(s.page)
        assert c["stations"] == len(net.scenario.stations)
        assert c["offline"] == 1
        assert c["sites"] == len(net.scenario.sites)
        assert c["uncovered"] == len(result.uncovered(120)) > 0
        assert c["areas"] == ["jg-area-120", "jg-area-30", "jg-area-60"]
        assert c["rings"] == 3 and c["lanes"] >= 3 and c["closed"] == 1
        assert c["districts"] == 11 and c["scale"] == 1 and c["layers"] >= 10
        assert "Guangzhou" in c["title"] and "closed J-HUMEN~NS-WING; GZS-PT offline" in c["title"]
        hub = net.scenario.station("GZ-HUB")
        s.page.locator(".jg-station.jg-tier-hub").click()
        popup = s.page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert hub.name in popup.inner_text() and "Coverage it provides" in popup.inner_text()
        s.page.screenshot(path=str(artifacts / "coverage-inline.png"))
        assert s.requests == [file_url(path)], "the page loads nothing but itself"
        _assert_clean(s)


def test_served_page_from_the_api(north_wing, browser_session, artifacts):
    """The product's app (``jungong serve``) serves the page and every asset it needs; nothing else is fetched."""
    base = north_wing.base
    with browser_session(base) as s:
        s.page.set_extra_http_headers(north_wing.headers)
        s.page.goto(base + "/maps/coverage?minutes=30,60,120")
        s.page.wait_for_function(READY)
        c = _counts(s.page)
        scenario = load_scenario(None)
        assert c["stations"] == len(scenario.stations) and c["sites"] == len(scenario.sites)
        assert c["areas"] == ["jg-area-120", "jg-area-30", "jg-area-60"]
        routes = s.page.locator("path.jg-route")
        assert routes.count() >= 1  # N-WING's dispatch (other server tests may add theirs)
        # the click event on the marker itself, not a click at its centre: whatever lies over that point
        # (labels, the routes other tests add on this shared server) may take it — under load, once, no popup
        s.page.locator(".jg-station.jg-tier-wing").nth(_wing_index(scenario, "N-WING")).dispatch_event("click")
        text = s.page.locator(".leaflet-popup-content").inner_text()
        assert "Stock on hand (live)" in text and f"{north_wing.days_of_supply:.1f} days of supply" in text
        s.page.screenshot(path=str(artifacts / "coverage-served.png"))
        fetched = sorted(u.removeprefix(base) for u in s.requests)
        assert "/maps/assets/leaflet/leaflet.js" in fetched and "/maps/assets/jquery/jquery.min.js" in fetched
        assert all(u.startswith("/maps/") for u in fetched), fetched
        _assert_clean(s)


def _wing_index(scenario, code: str) -> int:
    """Markers are added in the scenario's order: the position of ``code`` among the wings."""
    return [st.code for st in scenario.stations if st.tier == "wing"].index(code)


def test_tiles_come_only_from_the_given_server(tmp_path, tile_server, browser_session):
    net = build_network(load_scenario(None))
    path = tmp_path / "tiles.html"
    path.write_text(coverage_map(net, coverage(net), tiles=tile_server + "/tiles/{z}/{x}/{y}.png"), encoding="utf-8")
    with browser_session(tile_server) as s:
        s.page.goto(file_url(path))
        s.page.wait_for_function(READY)
        s.page.wait_for_function("document.querySelectorAll('img.leaflet-tile-loaded').length > 0")
        tiles = [u for u in s.requests if u.startswith(tile_server + "/tiles/")]
        assert tiles and all(u == file_url(path) or u in tiles for u in s.requests)
        _assert_clean(s)


def test_drill_map_bottleneck(tmp_path, browser_session, artifacts):
    results = {
        "replications": 10,
        "seed": 1,
        "service_level": {"mean": 0.8, "ci95": [0.75, 0.85]},
        "stations": {"GZ-HUB": {"served": 60, "stockouts": 40}, "PY-PT": {"served": 99, "stockouts": 1}},
        "units": {},
        "bottleneck": "GZ-HUB",
    }
    path = drill_map(load_scenario(None), results, tmp_path / "drill.html")
    with browser_session() as s:
        s.page.goto(file_url(path))
        s.page.wait_for_function(READY)
        hub = s.page.locator(".jg-station.jg-tier-hub")
        assert hub.locator("svg circle[stroke='#d50000']").count() == 1  # the bottleneck ring
        assert hub.locator("polygon[fill='#d7191c']").count() == 1  # 60% < 80%: red
        hub.click()
        text = s.page.locator(".leaflet-popup-content").inner_text()
        assert "BOTTLENECK" in text and "service level (every arrival)\t60.0%" in text and "mean wait" not in text
        s.page.screenshot(path=str(artifacts / "drill.png"))
        _assert_clean(s)


def test_drill_map_leads_with_planned_units(tmp_path, browser_session, artifacts):
    """Hand-built: GZ-HUB serves 98% of its arrivals on time, yet 3 of its 4 planned units are late —
    the map says "1 of 5" first, paints GZ-HUB red and names its late units; NS-WING (1 of 1) is green."""

    def unit(station, share, cause=None, reason=None):
        return {
            "planned": True,
            "stations": [station],
            "on_time_share": share,
            "late_cause": cause,
            "late_reason": reason,
        }

    results = {
        "replications": 10,
        "seed": 1,
        "service_level": {"mean": 0.975, "ci95": [0.97, 0.98]},
        "planned_units_on_time": {"mean": 0.2, "ci95": [0.2, 0.2]},
        "walk_ins_on_time": {"mean": 0.99, "ci95": [0.98, 1.0]},
        "late_units": ["C-201", "T-103", "C-202"],
        "stations": {
            "GZ-HUB": {"served": 3900, "stockouts": 0, "service_level": 0.98},
            "NS-WING": {"served": 1900, "stockouts": 0, "service_level": 0.5},
        },
        "units": {
            "T-101": unit("GZ-HUB", 1.0),
            "C-201": unit("GZ-HUB", 0.0, "refuel_bays", "8 refuel bays at GZ-HUB: 60 vehicles"),
            "T-103": unit("GZ-HUB", 0.1, "travel", "32 min from GZS-RAIL"),
            "C-202": {
                **unit("GZ-HUB", 0.0, "travel", "49 min from R-XINTANG"),
                "late_side": "both",
                "outcomes": {"people": {"on_time_share": 0.0}, "vehicles": {"on_time_share": 0.25}},
            },
            "E-301": unit("NS-WING", 0.95),
            "stream-1": {"planned": False, "stations": ["GZ-HUB"], "on_time_share": 0.99},
        },
        "bottleneck": "GZ-HUB",
        "placement": [{"unit": "C-202", "served_at": "GZ-HUB", "minutes": 130.2, "nearest_feasible": None}],
    }
    path = drill_map(load_scenario(None), results, tmp_path / "drill-planned.html")
    with browser_session() as s:
        s.page.goto(file_url(path))
        s.page.wait_for_function(READY)
        title = s.page.locator("#jg-title").inner_text()
        assert "Planned units on time: 2 of 5" in title and "late: C-201, T-103, C-202" in title
        assert title.index("Planned units on time") < title.index("walk-ins on time (share of stream arrivals) 99.0%")
        assert title.index("walk-ins on time") < title.index("every arrival alike")
        assert "every arrival alike (walk-ins included, blind to headcount) 97.5%" in title
        hub = s.page.locator(".jg-station.jg-tier-hub")
        assert hub.locator("polygon[fill='#d7191c']").count() == 1  # 1 of 4 planned units on time: red
        wing = s.page.locator(".jg-station.jg-tier-wing").nth(0)
        assert wing.locator("polygon[fill='#1a9850']").count() == 1  # 1 of 1: green
        hub.click()
        text = s.page.locator(".leaflet-popup-content").inner_text()
        assert "Planned units here: 1 of 4 on time" in text
        assert "C-201 late (on time in 0.0% of replications) — refuel bays: 8 refuel bays at GZ-HUB" in text
        assert "T-103 late" in text and "T-101" not in text
        assert "C-202 people and vehicles late (on time in people 0.0%, vehicles 25.0% of replications)" in text
        assert "placement: 130.2 min beyond target per replication from distance" in text
        s.page.screenshot(path=str(artifacts / "drill-planned.png"))
        _assert_clean(s)
