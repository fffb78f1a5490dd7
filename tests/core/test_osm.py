"""OSM done right, on small hand-made GraphML files shaped like osmnx's output.

    H=1 ──(unnamed, two-way)── 2 ══['Alpha Rd','Beta St']══ 3 ══Alpha Rd══ 4=E
     │                          ╲                                     ╱
     └─► 6 (one-way pocket)      ╲──── 5=M (detour: ~4.5 + 5 min) ───╱

Node 6 hangs off node 1 by a one-way road: a place beside it must snap to node 1 (the largest
strongly connected component), not into the pocket.
"""

from __future__ import annotations

import pytest

from supply.core.coverage import coverage
from supply.core.errors import ScenarioError, UnknownCodeError
from supply.core.network import Disruptions, build_network
from supply.core.osm import maxspeed_kmh, split_list
from supply.core.robustness import robustness
from supply.core.routing import fastest_route
from supply.core.scenario import load_scenario
from tests.conftest import write
from tests.core.osm_files import osm_scenario, two_way, write_graphml
from tests.core.test_n1_links import brute_force

NODES = {
    1: (113.00, 23.00),
    2: (113.01, 23.00),
    3: (113.02, 23.00),
    4: (113.03, 23.00),
    5: (113.02, 23.01),
    6: (113.00, 23.0005),
}


def graphml(path, edges=None, nodes=NODES):
    if edges is None:
        roads = [
            *two_way(1, 2, length=1000, highway="residential"),  # 25 km/h: 2.4 min
            *two_way(2, 3, length=1000, name="['Alpha Rd', 'Beta St']", maxspeed="25 mph"),  # 40.2 km/h: 1.49 min
            *two_way(3, 4, length=1000, name="Alpha Rd", maxspeed="['50', '30']"),  # averaged 40 km/h: 1.5 min
            *two_way(2, 5, length=3000, highway="['secondary', 'residential']"),  # the first class: 40 km/h, 4.5 min
            *two_way(5, 4, length=3000, travel_time=300),  # 5 min
            (1, 6, {"length": 60}),  # one way
        ]
    else:
        roads = []
        for u, v, both in edges:
            roads += two_way(u, v, length=1000) if both else [(u, v, {"length": 1000})]
    write_graphml(path, nodes, roads)


SCENARIO = osm_scenario(
    [("H", "hub", 23.0, 113.0)],
    [("E", "district", 23.0, 113.03), ("M", "district", 23.01, 113.02), ("P", "district", 23.0006, 113.0)],
    connector_kmh=30,
)


@pytest.fixture
def net(tmp_path):
    graphml(tmp_path / "roads.graphml")
    return build_network(load_scenario(write(tmp_path, SCENARIO)))


def test_osm_lists_speeds_and_mph():
    assert split_list("['Alpha Rd', 'Beta St']") == ["Alpha Rd", "Beta St"]
    assert split_list("Alpha Rd") == ["Alpha Rd"] and split_list(None) == []
    assert maxspeed_kmh("25 mph") == pytest.approx(40.2336)
    assert maxspeed_kmh("['50', '30']") == pytest.approx(40)
    assert maxspeed_kmh("['30 mph', '50']") == pytest.approx((30 * 1.609344 + 50) / 2)
    assert maxspeed_kmh("signals") is None and maxspeed_kmh("50;70") == pytest.approx(60)


def test_edge_costs_read_as_osmnx_reads_them(net):
    g = net.graph
    assert g.edges["osm:2", "osm:3"]["minutes"] == pytest.approx(60 / 40.2336)  # mph, not km/h
    assert g.edges["osm:3", "osm:4"]["minutes"] == pytest.approx(1.5)  # two speeds averaged
    assert g.edges["osm:2", "osm:5"]["minutes"] == pytest.approx(4.5)  # first highway class
    assert fastest_route(net, "H", "E").minutes == pytest.approx(2.4 + 60 / 40.2336 + 1.5)


def test_a_street_is_closed_by_each_of_its_names(net):
    assert sorted(net.link_edges("Beta St")) == [("osm:2", "osm:3"), ("osm:3", "osm:2")]
    assert len(net.link_edges("Alpha Rd")) == 4  # the merged segment and its own
    closed = net.disrupted(Disruptions(close=("Beta St",)))
    assert fastest_route(closed, "H", "E").minutes == pytest.approx(2.4 + 4.5 + 5)


def test_a_two_way_segment_closes_both_ways_in_either_order(net):
    both = sorted(net.link_edges("osm:1~osm:2"))
    assert both == sorted(net.link_edges("osm:2~osm:1")) == [("osm:1", "osm:2"), ("osm:2", "osm:1")]
    assert net.link_edges("osm:1>osm:2") == [("osm:1", "osm:2")]
    for ref in ("osm:1~osm:2", "osm:2~osm:1"):
        closed = net.disrupted(Disruptions(close=(ref,)))
        assert not closed.graph.has_edge("osm:1", "osm:2") and not closed.graph.has_edge("osm:2", "osm:1")
    with pytest.raises(UnknownCodeError):
        net.link_edges("osm:1>osm:4")


def test_n1_counts_links_the_way_close_does(net):
    failures = {f.ref: f for f in robustness(net, 10).failures if f.kind == "link"}
    assert "osm:1~osm:2" in failures and "osm:2~osm:1" not in failures  # one row, both directions
    assert "Alpha Rd" in failures and not any("[" in ref for ref in failures)
    assert failures["Alpha Rd"].sites_lost == ["E"]  # 5.4 → 11.9 min


@pytest.mark.parametrize("threshold", [3, 6, 10])
def test_n1_equals_brute_force_on_an_osm_graph(net, threshold):
    expected = brute_force(net, threshold)
    got = {f.ref: f for f in robustness(net, threshold).failures if f.kind == "link"}
    for ref, (lost, cut, added) in expected.items():
        f = got.get(ref)
        assert ((f.sites_lost, f.sites_cut) if f else ([], [])) == (lost, cut), ref
        assert (f.minutes_added if f else 0.0) == pytest.approx(added, abs=1e-6), ref


def test_places_snap_into_the_largest_strongly_connected_component(net):
    assert net.graph.has_edge("P", "osm:1") and not net.graph.has_edge("P", "osm:6")
    assert fastest_route(net, "H", "P").minutes < 1  # 67 m away, not "unreachable"


def test_a_place_too_far_from_the_roads_is_an_error_naming_it(tmp_path):
    graphml(tmp_path / "roads.graphml")
    text = SCENARIO.replace("lat = 23.01\n", "lat = 23.2\n")  # M: ~22 km north of the roads
    with pytest.raises(ScenarioError) as err:
        build_network(load_scenario(write(tmp_path, text)))
    (problem,) = err.value.problems
    assert problem.path == "sites[1]" and "M is 21," in problem.message and "snap_limit_m = 500 m" in problem.message
    roomy = text.replace("connector_kmh = 30", "connector_kmh = 30\nsnap_limit_m = 30000")
    assert build_network(load_scenario(write(tmp_path, roomy))).graph.has_edge("M", "osm:5")


@pytest.mark.parametrize(
    ("nodes", "edges", "message"),
    [
        ({}, [], "the road network has no nodes"),
        ({1: (113.0, 23.0), 2: (113.01, 23.0)}, [(1, 2, False)], "no two nodes connected both ways"),
    ],
)
def test_empty_or_one_way_only_road_networks_are_errors(tmp_path, nodes, edges, message):
    graphml(tmp_path / "roads.graphml", edges=edges, nodes=nodes)
    with pytest.raises(ScenarioError, match=message):
        build_network(load_scenario(write(tmp_path, SCENARIO)))


#: A road known by two numbers and three names (issue 19's "M 6098"):
#:
#:     H=1 ──Xiang Rd / M 6098── 2=S2 ──Pearl Rd / ['M 6098', 'G 4']── 3=S3
#:      │                        │                                    │
#:      └──Ring Rd / S 105── 5 ──┼────────────(unnamed)───────────────┘
#:                               6=S6 (only through 2)
#:
#: Closing Xiang Rd or Pearl Rd alone costs minutes; closing "M 6098" (both) cuts S2 and S6 off.
REF_NODES = {1: (113.00, 23.00), 2: (113.01, 23.00), 3: (113.02, 23.00), 5: (113.01, 22.99), 6: (113.01, 23.01)}
REF_ROADS = [
    *two_way(1, 2, length=1000, name="Xiang Rd", ref="M 6098"),
    *two_way(2, 3, length=1000, name="Pearl Rd", ref="['M 6098', 'G 4']"),
    *two_way(1, 5, length=1500, name="Ring Rd", ref="S 105"),
    *two_way(5, 3, length=1500),
    *two_way(2, 6, length=1000),
]


def ref_scenario(tmp_path):
    """The scenario file on the road above: H at node 1, sites S2, S3, S5, S6 at their nodes."""
    write_graphml(tmp_path / "roads.graphml", REF_NODES, REF_ROADS)
    sites = [("S2", "district", 23.0, 113.01), ("S3", "district", 23.0, 113.02), ("S6", "district", 23.01, 113.01)]
    sites.append(("S5", "district", 22.99, 113.01))
    return write(tmp_path, osm_scenario([("H", "hub", 23.0, 113.0)], sites))


def test_n1_tries_every_name_and_road_number(tmp_path):
    net = build_network(load_scenario(ref_scenario(tmp_path)))
    links = [f for f in robustness(net, 60).failures if f.kind == "link"]
    assert [f.ref for f in links[:2]] == ["H~osm:1", "M 6098"]  # the worst road after the hub's own connector
    worst = links[1]
    assert (worst.sites_cut, worst.sites_lost) == (["S2", "S6"], ["S2", "S6"])
    closed = net.disrupted(Disruptions(close=("M 6098",)))  # what --close does, N-1 does
    assert {s.code for s in coverage(closed).sites if s.minutes is None} == {"S2", "S6"}
    by_ref = {f.ref: f for f in links}
    assert by_ref["Ring Rd"].also == ["S 105"] and by_ref["Pearl Rd"].also == ["G 4"]  # same edges: one row
    assert by_ref["Xiang Rd"].sites_cut == [] and by_ref["Xiang Rd"].minutes_added > 0
    assert "S 105" not in by_ref and "G 4" not in by_ref
