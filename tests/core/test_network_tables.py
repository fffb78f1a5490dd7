"""A network loaded as arrays (the compiled-network cache's form) answers exactly as its graph does.

A random OSM-shaped city (named streets over many segments, merged name lists, road numbers,
one-way streets, parallel edges) and the built-in scenario (sea lanes, named links, no GraphML),
each built once as a networkx graph and once memory-mapped back from the cache: the same graph
when rebuilt, the same CSR index, and the same answers from routing, coverage, N-1 (stations and
every link), siting and every disruption.
"""

from __future__ import annotations

import numpy as np
import pytest

from supply.core.coverage import coverage
from supply.core.errors import UnknownCodeError
from supply.core.network import Disruptions, Network, build_network
from supply.core.network_cache import cached_network
from supply.core.network_tables import NetworkTables
from supply.core.robustness import robustness
from supply.core.routing import fastest_route
from supply.core.scenario import load_scenario
from supply.core.siting import site_new_points
from tests.conftest import write
from tests.core.osm_files import osm_scenario, write_graphml

SIDE = 9


def osm_city(tmp_path, seed: int = 7):
    """A ``SIDE × SIDE`` street grid shaped like osmnx's output, with 3 stations and 12 sites; its scenario's path."""
    rng = np.random.default_rng(seed)
    nodes = {i: (113.0 + (i % SIDE) * 0.004, 23.0 + (i // SIDE) * 0.003) for i in range(SIDE * SIDE)}
    roads = []
    for i in range(SIDE * SIDE):
        r, c = divmod(i, SIDE)
        for j, name in ((i + 1, f"Rue {r}") if c + 1 < SIDE else (None, None), (i + SIDE, None)):
            if j is None or j >= SIDE * SIDE:
                continue
            attrs: dict[str, object] = {"length": f"{rng.uniform(200, 600):.1f}", "highway": "residential"}
            if name and rng.random() < 0.2:
                attrs["name"] = str([name, f"Avenue {c}"])
            elif name:
                attrs["name"] = name
            if rng.random() < 0.2:
                attrs["ref"] = f"S{r % 3}"
            roads.append((i, j, attrs))
            if rng.random() < 0.3:  # a slower parallel edge: the fastest is kept
                roads.append((i, j, {**attrs, "length": "900"}))
            if rng.random() > 0.15:
                roads.append((j, i, attrs))
    write_graphml(tmp_path / "roads.graphml", nodes, roads)
    picks = rng.choice(SIDE * SIDE, 15, replace=False)
    at = [(nodes[int(i)][1] + 0.0002, nodes[int(i)][0]) for i in picks]
    stations = [(f"S{k}", "point", *at[k]) for k in range(3)]
    sites = [(f"D{k}", "district", *at[k + 3]) for k in range(12)]
    return write(tmp_path, osm_scenario(stations, sites, connector_kmh=20))


@pytest.fixture
def pair(tmp_path):
    """The city built as a graph, and loaded back from the cache as arrays."""
    scenario = load_scenario(osm_city(tmp_path))
    built = build_network(scenario)
    cached_network(scenario, tmp_path / "cache")
    loaded = cached_network(scenario, tmp_path / "cache")
    assert "graph" not in loaded.__dict__ and "tables" in loaded.__dict__  # served as arrays, not rebuilt
    return built, loaded


def same_graph(a, b) -> None:
    assert a.graph == b.graph
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert list(a.edges(data=True)) == list(b.edges(data=True))
    for u in a:  # adjacency order too: networkx's tie-breaking in single routes follows it
        assert list(a.adj[u]) == list(b.adj[u])


def analyses(net: Network) -> list:
    """Coverage, N-1 (stations and every link), siting, the links and every link's edges and names."""
    return [
        coverage(net, (5, 10, 20)).as_dict(),
        robustness(net, 10).as_dict(),
        site_new_points(net, 2, 10).as_dict(),
        net.links(),
        {
            ref: (net.link_edges(ref), [net.link_names(a, b) for a, b in net.link_edges(ref)])
            for ref, _, _ in net.links()
        },
    ]


def same_answers(built: Network, loaded: Network) -> None:
    """Every analysis, computed first on ``loaded`` (so it runs on the arrays), equals the graph's."""
    sites = [s.code for s in built.scenario.sites]
    answers = analyses(loaded)
    assert "graph" not in loaded.__dict__  # none of them needed the graph
    assert answers == analyses(built)
    assert built.index.nodes == loaded.index.nodes and (built.index.matrix != loaded.index.matrix).nnz == 0
    assert np.array_equal(built.index.matrix.data, loaded.index.matrix.data)
    routes = [fastest_route(loaded, a, b).as_dict() for a in sites[:4] for b in sites if a != b]
    assert routes == [fastest_route(built, a, b).as_dict() for a in sites[:4] for b in sites if a != b]
    same_graph(built.graph, loaded.graph)


def test_a_network_loaded_as_arrays_is_the_graph_it_was_built_from(pair):
    built, loaded = pair
    same_answers(built, loaded)
    assert any("labels" in d and len(d["labels"]) > 1 for *_, d in built.graph.edges(data=True))  # merged names
    assert any(len(built.link_edges(ref)) > 2 for ref, _, _ in built.links())  # a street of many segments


def test_disruptions_apply_alike_on_arrays_and_on_the_graph(pair):
    built, loaded = pair
    streets = [ref for ref, _, _ in built.links() if not ref.startswith("osm:")]
    disruptions = Disruptions.parse(close=[streets[0], "S1"], offline=["S0"], slow=[f"{streets[1]}=2.5", "S2=1.5"])
    after_built, after_loaded = built.disrupted(disruptions), loaded.disrupted(disruptions)
    assert "graph" not in after_loaded.__dict__  # applied on the arrays
    same_answers(after_built, after_loaded)
    again = Disruptions.parse(close=[streets[2]], slow=[f"{streets[1]}=2"])  # on top: merged, slowed twice
    same_answers(after_built.disrupted(again), loaded.disrupted(disruptions).disrupted(again))


def test_link_references_of_every_form_name_the_same_edges(pair):
    built, loaded = pair
    forms = []
    for u, v in list(built.graph.edges)[::7]:
        forms += [f"{u}~{v}", f"{v}~{u}", f"{u}>{v}"]
    assert [loaded.link_edges(f) for f in forms] == [built.link_edges(f) for f in forms]
    errors = []
    for net in (built, loaded):
        with pytest.raises(UnknownCodeError) as caught:
            net.link_edges("Rue 99")
        errors.append(str(caught.value))
    assert errors[0] == errors[1] and "Rue 99" in errors[0]


def test_the_built_in_scenario_round_trips_through_tables():
    """No GraphML (never cached), but sea lanes, named links and one-way links: the tables hold them too."""
    scenario = load_scenario(None)
    built = build_network(scenario)
    loaded = Network(scenario, NetworkTables.from_graph(build_network(scenario).graph))
    same_answers(built, loaded)
