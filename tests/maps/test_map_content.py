"""What the coverage and drill maps say, read from the HTML (the browser tests check what is drawn)."""

from __future__ import annotations

import json
import re

import pytest

from maps import coverage_map, drill_map_html
from maps.coverage_map import station_popup
from supply.core.coverage import coverage
from supply.core.errors import InvalidArgumentError, UnknownCodeError
from supply.core.network import Disruptions, build_network
from supply.core.scenario import load_scenario


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(None)


def test_disruptions_drawn_and_named(scenario):
    d = Disruptions.parse(close=["Huanshi Road (hub to East station)"], offline=["NS-WING"], slow=["J-HUMEN~NS-WING=2"])
    net = build_network(scenario, d)
    html = coverage_map(net, coverage(net, (30, 60)))
    assert "CLOSED: Huanshi Road (hub to East station)" in html
    assert "slowed ×2: J-HUMEN~NS-WING" in html
    assert "NS-WING OFFLINE" in html and "OFFLINE — provides no coverage" in html
    assert html.count("jg-closed") == 1 and html.count("jg-slowed") == 1


def _site_features(html: str) -> dict[str, dict]:
    """The sites' GeoJSON properties drawn on a map, by code."""
    props = (json.loads(m) for m in re.findall(r'"properties": (\{[^{}]*\})', html))
    return {p["code"]: p for p in props if "ring" in p and "station" in p}


def test_coverage_computed_with_the_disruptions(scenario):
    """NS-WING offline: exactly the ten sites it was nearest to change station, each to a farther one.

    Nansha's sites and the estuary fall back to PY-PT (Panyu), Dongguan to HP-PT (Huangpu port);
    of them NS-PORT, S-HUMEN and S-NS-ANCH, within 60 min of the wing, are now beyond it. Every
    other site keeps its station and its minutes.
    """
    net = build_network(scenario)
    cut = net.disrupted(Disruptions(offline=("NS-WING",)))
    before = {s.code: s for s in coverage(net, (60,)).sites}
    after_result = coverage(cut, (60,))
    after = {s.code: s for s in after_result.sites}
    changed = {c: (before[c].station, after[c].station) for c in before if before[c] != after[c]}
    to_panyu = [
        "NS-PORT",
        "R-DONGCHONG",
        "D-NANSHA",
        "C-SHENZHEN",
        "S-HUMEN",
        "S-NS-ANCH",
        "S-LINGDING",
        "S-SZ-WEST",
        "S-MOUTH",
    ]
    assert changed == {**{c: ("NS-WING", "PY-PT") for c in to_panyu}, "C-DONGGUAN": ("NS-WING", "HP-PT")}
    assert all(after[c].minutes > before[c].minutes for c in changed)
    newly_uncovered = set(after_result.uncovered(60)) - set(coverage(net, (60,)).uncovered(60))
    assert newly_uncovered == {"NS-PORT", "S-HUMEN", "S-NS-ANCH"}

    html = coverage_map(cut, after_result)
    drawn = _site_features(html)
    assert set(drawn) == set(after)
    for code in changed:
        assert drawn[code]["station"] == after[code].station
        assert drawn[code]["minutes"] == f"{after[code].minutes:.0f} min"
    for code in newly_uncovered:
        assert drawn[code]["colour"] == drawn["C-SHENZHEN"]["colour"]  # drawn as beyond the last threshold
    assert f"{len(after_result.uncovered(60))} of {len(after)} sites beyond 60 min" in html


def test_popup_stock_days_of_supply_and_coverage(scenario):
    net = build_network(scenario)
    result = coverage(net, (30, 60, 120))
    live = {"GZ-HUB": {"meals": {"on_hand": 900, "days_of_supply": 0.5}, "diesel_l": 40000}}
    popup = station_popup(net, "GZ-HUB", result, live)
    assert scenario.station("GZ-HUB").name in popup
    assert "seats</td><td>1,500" in popup
    # items by name with their unit, not by code
    assert "Hot meals 热食 (份)</td><td>900 · 0.5 days of supply" in popup
    assert "Diesel 柴油 (L)</td><td>40,000" in popup and ">meals<" not in popup
    served = [s.code for s in result.sites if s.station == "GZ-HUB" and s.minutes <= 30]
    assert f"≤ 30 min</td><td>{len(served)} site(s) {served[0]}" in popup
    opening = station_popup(net, "GZ-HUB", result, None)
    assert "Opening stock (scenario)" in opening and "30,000" in opening
    assert "none recorded" in station_popup(net, "NS-WING", result, live)


def test_dispatch_routes_and_their_codes(scenario):
    net = build_network(scenario)
    result = coverage(net)
    html = coverage_map(
        net, result, dispatches=[["GZ-HUB", "GZ-RAIL"], {"path": ["NS-WING", "NS-PORT"], "label": "D-7"}]
    )
    assert html.count("jg-route") == 2 and "D-7" in html and "GZ-HUB → GZ-RAIL" in html
    with pytest.raises(UnknownCodeError, match="unknown station or site 'GZ-RAILL'"):
        coverage_map(net, result, dispatches=[["GZ-HUB", "GZ-RAILL"]])


def test_title_override_and_page_title(scenario):
    net = build_network(scenario)
    html = coverage_map(net, coverage(net), title="Exercise 拥军支前 2026")
    assert html.count("<title>Exercise 拥军支前 2026</title>") == 1


def test_drill_results_validated(scenario):
    with pytest.raises(InvalidArgumentError, match="missing 'stations'"):
        drill_map_html(scenario, {"replications": 1})
    with pytest.raises(UnknownCodeError, match="unknown station 'GZ-HUBB'"):
        drill_map_html(scenario, {"stations": {}, "bottleneck": "GZ-HUBB"})
    with pytest.raises(InvalidArgumentError, match="stations.GZ-HUB should be a table"):
        drill_map_html(scenario, {"stations": {"GZ-HUB": 3}})
