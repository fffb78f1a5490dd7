"""Scenarios on an OSM road network saved as GraphML (the format osmnx writes)."""

from __future__ import annotations

import pytest

from supply.core.coverage import coverage
from supply.core.errors import ScenarioError
from supply.core.network import build_network
from supply.core.routing import fastest_route
from supply.core.scenario import load_scenario
from tests.conftest import write
from tests.core.osm_files import osm_scenario, two_way, write_graphml

NODES = {1: (113.00, 23.00), 2: (113.10, 23.00), 3: (113.20, 23.00), 4: (113.10, 23.20)}
ROADS = [
    (1, 2, {"length": 10000, "highway": "primary", "name": "Primary Rd"}),  # 50 km/h → 12 min
    (1, 2, {"length": 10000, "highway": "motorway", "speed_kph": 100}),  # parallel, faster: 6 min
    *two_way(2, 3, length=10000, highway="primary", travel_time=300),  # travel_time wins: 5 min
    (2, 1, {"length": 10000, "highway": "residential"}),  # 25 km/h → 24 min
    (2, 4, {"length": 30000, "highway": "unknown_class"}),  # default 30 km/h → 60 min
    (4, 2, {"length": 30000, "maxspeed": "60"}),  # 30 min
]


def write_osm_graphml(path):
    """A tiny road graph shaped like osmnx's output: MultiDiGraph, string attributes, x/y."""
    write_graphml(path, NODES, ROADS, street_count=2)


SCENARIO = osm_scenario(
    [("H", "hub", 23.0, 113.0)],
    [("EAST", "road", 23.0, 113.2), ("NORTH", "district", 23.2, 113.1), ("OFF", "district", 23.009, 113.2)],
    connector_kmh=30,
    snap_limit_m=2000,  # OFF is 1 km from its road
)


@pytest.fixture
def osm_net(tmp_path):
    write_osm_graphml(tmp_path / "roads.graphml")
    return build_network(load_scenario(write(tmp_path, SCENARIO)))


def test_places_snap_to_nearest_road_node(osm_net):
    g = osm_net.graph
    assert g.has_edge("H", "osm:1") and g.edges["H", "osm:1"]["minutes"] == pytest.approx(0)
    assert g.has_edge("OFF", "osm:3")
    # 0.009° of latitude ≈ 1.0 km at 30 km/h ≈ 2 minutes
    assert g.edges["osm:3", "OFF"]["minutes"] == pytest.approx(2.0, abs=0.01)


def test_travel_times_from_lengths_speeds_and_travel_time(osm_net):
    route = fastest_route(osm_net, "H", "EAST")
    assert route.path == ["H", "osm:1", "osm:2", "osm:3", "EAST"]
    assert route.minutes == pytest.approx(6 + 5)  # fastest parallel edge, then travel_time
    assert route.km == pytest.approx(20.0)
    assert fastest_route(osm_net, "H", "NORTH").minutes == pytest.approx(6 + 60)
    assert fastest_route(osm_net, "NORTH", "H").minutes == pytest.approx(30 + 24)


def test_coverage_on_osm_network(osm_net):
    result = {s.code: s.minutes for s in coverage(osm_net, (15,)).sites}
    assert result["EAST"] == pytest.approx(11)
    assert result["OFF"] == pytest.approx(13, abs=0.01)


def test_missing_graphml_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match=r"scenario.graphml: road network file not found"):
        build_network(load_scenario(write(tmp_path, SCENARIO)))


def test_malformed_graphml_is_a_scenario_error(tmp_path):
    (tmp_path / "roads.graphml").write_text("<graphml><oops", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"scenario.graphml: cannot read road network"):
        build_network(load_scenario(write(tmp_path, SCENARIO)))
