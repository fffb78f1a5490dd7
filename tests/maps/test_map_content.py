"""What the coverage and drill maps say, read from the HTML (the browser tests check what is drawn)."""

from __future__ import annotations

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


def test_coverage_computed_with_the_disruptions(scenario):
    net = build_network(scenario)
    cut = net.disrupted(Disruptions(offline=("NS-WING",)))
    before, after = coverage(net, (60,)), coverage(cut, (60,))
    assert len(after.uncovered(60)) > len(before.uncovered(60))
    html = coverage_map(cut, after)
    assert f"{len(after.uncovered(60))} of {len(after.sites)} sites beyond 60 min" in html


def test_popup_stock_days_of_supply_and_coverage(scenario):
    net = build_network(scenario)
    result = coverage(net, (30, 60, 120))
    live = {"GZ-HUB": {"meals": {"on_hand": 900, "days_of_supply": 0.5}, "diesel_l": 40000}}
    popup = station_popup(net, "GZ-HUB", result, live)
    assert scenario.station("GZ-HUB").name in popup
    assert "seats</td><td>1,500" in popup
    assert "meals</td><td>900 · 0.5 days of supply" in popup and "diesel_l</td><td>40,000" in popup
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
