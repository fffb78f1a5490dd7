"""Catchments on the tiny network, where every reach can be worked out by hand.

TINY: H --10-- J --20-- W --15(sea)-- SEA1; H --5-- S-CITY; J --40-- S-REG; P --25-- S-REG; H --50-- P.
Off-network speed 20 km/h (the scenario's connector_kmh default): 3 min = 1 km.
"""

from __future__ import annotations

import pytest
from shapely.geometry import Point

from maps.catchment import catchments
from supply.core.network import Disruptions, build_network
from supply.core.scenario import load_scenario


def _along(net, a, b, f):
    ga, gb = net.graph.nodes[a], net.graph.nodes[b]
    return Point(ga["lon"] + f * (gb["lon"] - ga["lon"]), ga["lat"] + f * (gb["lat"] - ga["lat"]))


def _areas(net, t):
    return {c.station: c.geometry for c in catchments(net, [t]) if c.threshold == t}


@pytest.fixture
def tiny(tiny_path):
    return build_network(load_scenario(tiny_path))


def test_catchment_follows_the_links_not_a_circle(tiny):
    hub = _areas(tiny, 30)["H"]
    # H→P is 50 min: 40% along is reached at 20 min (10 min left → 3.3 km disc): inside.
    assert hub.contains(_along(tiny, "H", "P", 0.4))
    # 80% along would take 40 min: outside.
    assert not hub.contains(_along(tiny, "H", "P", 0.8))
    # Along H→J→W: J at 10 min, half of J→W at 20 min: inside.
    assert hub.contains(_along(tiny, "J", "W", 0.5))


def test_thresholds_nest_and_grow(tiny):
    a30, a60 = _areas(tiny, 30), _areas(tiny, 60)
    for code, geom in a30.items():
        assert a60[code].buffer(1e-6).covers(geom)
        assert a60[code].area >= geom.area
    assert sum(g.area for g in a60.values()) > sum(g.area for g in a30.values())


def test_sea_lane_reaches_the_sea_site(tiny):
    sea = tiny.graph.nodes["SEA1"]
    areas = _areas(tiny, 15)
    assert areas["W"].contains(Point(sea["lon"], sea["lat"]))
    closed = tiny.disrupted(Disruptions(close=("W~SEA1",)))
    assert not _areas(closed, 15)["W"].contains(Point(sea["lon"], sea["lat"]))


def test_offline_station_has_no_catchment(tiny):
    off = tiny.disrupted(Disruptions(offline=("P",)))
    assert "P" in _areas(tiny, 30)
    assert "P" not in _areas(off, 30)
