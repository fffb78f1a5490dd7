"""Station names are labels on the map, not only popups; neighbours' labels go to opposite sides."""

from __future__ import annotations

from maps import coverage_map
from maps.layers import label_side
from supply.core.coverage import coverage
from supply.core.network import build_network
from supply.core.scenario import load_scenario


def test_every_station_has_a_label_with_its_code_and_short_name():
    net = build_network(load_scenario(None))
    html = coverage_map(net, coverage(net, (30, 60)))
    assert html.count('"className": "jg-station-label') == len(net.scenario.stations) == 10
    # folium writes the label's HTML as a JSON string
    assert r"\u003cb\u003eGZ-HUB\u003c/b\u003e\u003cbr\u003e\u003cspan\u003eGuangzhou main city station" in html


def test_a_station_with_a_neighbour_just_east_labels_on_its_left():
    stations = {s.code: s for s in load_scenario(None).stations}
    everyone = list(stations.values())
    # the hub (113.26) has Guangzhou East (113.325) just east of it; Guangzhou East has nobody
    assert label_side(stations["GZ-HUB"], everyone) == "left"
    assert label_side(stations["GZE-PT"], everyone) == "right"
    assert label_side(stations["NS-WING"], everyone) == "right"
