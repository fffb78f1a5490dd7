"""The built-in Guangzhou scenario keeps the promises of the 一体两翼多点 network."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import pytest

from supply.core.coverage import coverage
from supply.core.network import Disruptions, build_network
from supply.core.routing import fastest_route
from supply.core.scenario import load_scenario
from supply.core.settings import Settings

DISTRICTS = {
    "Yuexiu",
    "Liwan",
    "Haizhu",
    "Tianhe",
    "Baiyun",
    "Huangpu",
    "Panyu",
    "Huadu",
    "Nansha",
    "Conghua",
    "Zengcheng",
}


@pytest.fixture(scope="module")
def sc():
    return load_scenario(None)


def test_is_the_default_and_says_it_is_illustrative(sc):
    assert sc.scenario.illustrative is True
    assert "illustrative" in sc.scenario.name
    assert "ILLUSTRATIVE" in Settings().default_scenario.read_text(encoding="utf-8")


def test_one_hub_two_wings_many_points(sc):
    tiers = Counter(s.tier for s in sc.stations)
    assert tiers["hub"] == 1 and tiers["wing"] == 2 and tiers["point"] >= 6
    hub = next(s for s in sc.stations if s.tier == "hub")
    assert abs(hub.lat - 23.149) < 0.02 and abs(hub.lon - 113.257) < 0.02  # by Guangzhou Railway Station
    assert {"NS-WING", "N-WING"} == {s.code for s in sc.stations if s.tier == "wing"}


def test_sites_cover_districts_neighbours_and_sea(sc):
    assert len(sc.sites) >= 30
    district_names = " ".join(s.name for s in sc.sites if s.kind == "district")
    assert all(d in district_names for d in DISTRICTS)
    assert sum(s.ring == "region" for s in sc.sites) >= 5
    assert sum(s.ring == "sea" for s in sc.sites) >= 3


def test_sea_sites_reached_by_sea_lanes_from_nansha(sc):
    net = build_network(sc)
    sea = nx.DiGraph([(u, v) for u, v, m in net.graph.edges(data="mode") if m == "sea"])
    for site in (s for s in sc.sites if s.ring == "sea"):
        assert nx.has_path(sea, "NS-WING", site.code), site.code
        assert fastest_route(net, "NS-WING", site.code).modes == ["sea"]


def test_travel_times_are_plausible(sc):
    net = build_network(sc)
    assert 30 <= fastest_route(net, "GZ-HUB", "CAN-AIR").minutes <= 50
    assert 60 <= fastest_route(net, "GZ-HUB", "NS-PORT").minutes <= 100
    closed = net.disrupted(Disruptions(close=("GZ-NS-BRIDGE",)))
    assert fastest_route(closed, "GZ-HUB", "NS-PORT").minutes > fastest_route(net, "GZ-HUB", "NS-PORT").minutes


def test_whole_city_covered_within_an_hour(sc):
    result = coverage(build_network(sc), (60,))
    assert result.ring_shares()["city"]["60"] == 1.0


def test_settings_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("JUNGONG_DATA_DIR", str(tmp_path))
    s = Settings()
    assert s.resolved_database_url() == f"sqlite:///{tmp_path / 'jungong.db'}"
    assert str(s.tz) == "Asia/Shanghai"
    monkeypatch.setenv("JUNGONG_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/x")
    assert Settings().resolved_database_url() == "postgresql+psycopg://u@127.0.0.1/x"


def test_sz_west_at_120_minutes_is_covered_within_120():
    """S-SZ-WEST is 120.05 min from NS-WING: printed "120", so covered within 120 (issue 19)."""
    result = coverage(build_network(load_scenario(None)), (120,))
    site = next(s for s in result.sites if s.code == "S-SZ-WEST")
    assert site.minutes == 120.0 and "S-SZ-WEST" not in result.uncovered(120)
