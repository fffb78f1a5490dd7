"""Routing, coverage and disruptions on the hand-checkable tiny network."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from supply.core.coverage import coverage, parse_thresholds
from supply.core.errors import InvalidArgumentError, UnknownCodeError, UnreachableError
from supply.core.graph_index import GraphIndex
from supply.core.network import Disruptions, build_network
from supply.core.routing import fastest_route
from supply.core.scenario import load_scenario


@pytest.fixture
def net(tiny_path):
    return build_network(load_scenario(tiny_path))


def by_code(result):
    return {s.code: (s.station, s.minutes) for s in result.sites}


def test_fastest_route_path_minutes_modes(net):
    route = fastest_route(net, "H", "SEA1")
    assert route.path == ["H", "J", "W", "SEA1"]
    assert route.minutes == pytest.approx(45)
    assert route.modes == ["road", "sea"]
    assert route.as_dict()["from"] == "H" and route.as_dict()["to"] == "SEA1"


def test_route_unknown_and_unreachable(net):
    with pytest.raises(UnknownCodeError, match="unknown station or site 'SEA2'; did you mean 'SEA1'"):
        fastest_route(net, "H", "SEA2")
    closed = net.disrupted(Disruptions(close=("W~SEA1",)))
    with pytest.raises(UnreachableError, match="no route from 'H' to 'SEA1' with closed W~SEA1"):
        fastest_route(closed, "H", "SEA1")


def test_coverage_nearest_station_and_ring_shares(net):
    result = coverage(net, (10, 30))
    assert by_code(result) == {"S-CITY": ("H", 5), "S-REG": ("P", 25), "SEA1": ("W", 15)}
    data = result.as_dict()
    assert data["rings"] == {
        "city": {"10": 1.0, "30": 1.0},
        "region": {"10": 0.0, "30": 1.0},
        "sea": {"10": 0.0, "30": 1.0},
    }
    assert data["uncovered"] == {"10": ["S-REG", "SEA1"], "30": []}


def test_offline_station_serves_no_one_but_roads_stay(net):
    result = coverage(net.disrupted(Disruptions(offline=("P", "W"))))
    assert by_code(result) == {"S-CITY": ("H", 5), "S-REG": ("H", 50), "SEA1": ("H", 45)}


def test_closed_link_and_unreachable_site_is_null(net):
    result = coverage(net.disrupted(Disruptions(close=("W~SEA1",))), (30,))
    assert by_code(result)["SEA1"] == (None, None)
    assert result.as_dict()["uncovered"]["30"] == ["SEA1"]
    named = coverage(net.disrupted(Disruptions(close=("H-J road",), offline=("P",))))
    assert by_code(named)["S-REG"] == ("W", 60)


def test_slow_link_by_factor(net):
    slowed = net.disrupted(Disruptions.parse(slow=["P~S-REG=3"]))
    assert by_code(coverage(slowed))["S-REG"] == ("H", 50)
    with pytest.raises(InvalidArgumentError, match="--slow 'P~S-REG': expected LINK=FACTOR"):
        Disruptions.parse(slow=["P~S-REG"])
    with pytest.raises(InvalidArgumentError, match="factor > 0"):
        Disruptions.parse(slow=["P~S-REG=-1"])


def test_tier_filter(net):
    assert by_code(coverage(net, tiers=["hub"]))["SEA1"] == ("H", 45)
    with pytest.raises(InvalidArgumentError, match="unknown tier 'spoke'"):
        coverage(net, tiers=["spoke"])


def test_unknown_codes_suggest_close_ones(net):
    with pytest.raises(UnknownCodeError, match=r"unknown station 'W1'; did you mean 'W'\?"):
        net.disrupted(Disruptions(offline=("W1",)))
    with pytest.raises(UnknownCodeError, match="unknown link 'H~X'"):
        net.disrupted(Disruptions(close=("H~X",)))


@pytest.mark.parametrize("bad", ["", "30,abc", "0", "-5", "30.5", "nan"])
def test_bad_thresholds(bad):
    with pytest.raises(InvalidArgumentError, match="--minutes"):
        parse_thresholds(bad)


def test_thresholds_sorted_and_deduplicated():
    assert parse_thresholds("120,30,60,30") == (30, 60, 120)


def test_csr_keeps_the_fastest_of_parallel_edges():
    g = nx.MultiDiGraph()
    g.add_edge("a", "b", minutes=9)
    g.add_edge("a", "b", minutes=4)
    g.add_edge("b", "c", minutes=0)
    index = GraphIndex.from_graph(g)
    assert index.table(["a"], ["b", "c"]).tolist() == [[4, pytest.approx(4)]]


def test_compiled_backend_agrees_with_networkx_on_guangzhou():
    from tests.conftest import GUANGZHOU

    net = build_network(load_scenario(GUANGZHOU))
    stations = net.station_codes()
    sites = [s.code for s in net.scenario.sites]
    minutes, nearest = net.index.nearest(stations, sites)
    dist, paths = nx.multi_source_dijkstra(net.graph, stations, weight="minutes")
    for code, m, st in zip(sites, minutes, nearest, strict=True):
        assert m == pytest.approx(dist[code])
        assert paths[code][0] == st or dist[code] == pytest.approx(
            nx.dijkstra_path_length(net.graph, st, code, weight="minutes")
        )
    table = net.index.table(stations[:3], sites)
    for i, st in enumerate(stations[:3]):
        lengths = nx.single_source_dijkstra_path_length(net.graph, st, weight="minutes")
        assert np.allclose(table[i], [lengths.get(c, np.inf) for c in sites])
