"""N-1 over links, computed below each link in the fastest-path forest, equals brute force.

Random road-like graphs with one-way streets, parallel links, named streets spanning many
segments and zero-minute edges; the brute force removes each link's edges from the whole
matrix and reruns the multi-source Dijkstra.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from supply.core import graph_index
from supply.core.network import Network
from supply.core.robustness import robustness
from supply.core.scenario import Scenario


def random_network(seed: int, n: int = 60) -> Network:
    rng = np.random.default_rng(seed)
    g = nx.DiGraph()
    lat, lon = rng.uniform(22.5, 23.5, n), rng.uniform(113, 114, n)
    for i in range(n):
        g.add_node(f"n{i}", lat=lat[i], lon=lon[i])
    streets = [f"Street {k}" for k in range(4)]
    for _ in range(int(n * 1.6)):
        a, b = (int(x) for x in rng.choice(n, 2, replace=False))
        minutes = float(rng.choice([0.0, rng.uniform(1, 20)], p=[0.05, 0.95]))
        name = str(rng.choice(streets)) if rng.random() < 0.3 else None
        attrs = {"minutes": minutes, "km": minutes, "mode": "road", "ref": name or f"n{a}~n{b}", "name": name}
        g.add_edge(f"n{a}", f"n{b}", **attrs)
        if rng.random() < 0.75:  # most roads are two-way, some one-way
            g.add_edge(f"n{b}", f"n{a}", **attrs)
    picks = rng.choice(n, 4 + 20, replace=False)
    scenario = Scenario.model_validate(
        {
            "scenario": {"name": f"random {seed}"},
            "stations": [{"code": f"n{i}", "tier": "point", "lat": lat[i], "lon": lon[i]} for i in picks[:4]],
            "sites": [
                {"code": f"n{i}", "kind": "district", "ring": "city", "lat": lat[i], "lon": lon[i]} for i in picks[4:]
            ],
        }
    )
    return Network(scenario, g)


def brute_force(net: Network, threshold: float) -> dict[str, tuple[list[str], list[str], float]]:
    idx = net.index
    stations = idx.rows(net.station_codes())
    codes = [s.code for s in net.scenario.sites]
    cols = idx.rows(codes)
    base = dijkstra(idx.matrix, directed=True, indices=stations, min_only=True)[cols]
    out = {}
    for ref, _, _ in net.links():
        after = dijkstra(idx.without_edges(net.link_edges(ref)), directed=True, indices=stations, min_only=True)[cols]
        within = np.round(base, 1) <= threshold, np.round(after, 1) <= threshold  # one rounding, as coverage
        lost = [c for c, b, a in zip(codes, *within, strict=True) if b and not a]
        cut = [c for c, b, a in zip(codes, base, after, strict=True) if np.isfinite(b) and not np.isfinite(a)]
        finite = np.isfinite(base) & np.isfinite(after)
        out[ref] = (lost, cut, float(np.sum(after[finite] - base[finite])))
    return out


@pytest.mark.parametrize("batch", [1, 400_000])  # each failure alone, or all in one block-diagonal graph
@pytest.mark.parametrize("seed", range(10))
def test_link_failures_equal_brute_force(seed, batch, monkeypatch):
    monkeypatch.setattr(graph_index, "_BATCH", batch)
    net = random_network(seed)
    got = {f.ref: f for f in robustness(net, 25).failures if f.kind == "link"}
    expected = brute_force(net, 25)
    for ref, (lost, cut, added) in expected.items():
        if ref in got:
            f = got[ref]
            assert (f.sites_lost, f.sites_cut) == (lost, cut), ref
            assert f.minutes_added == pytest.approx(added, abs=1e-6), ref
        else:  # on no site's fastest path: its failure cannot change anything
            assert (lost, cut, added) == ([], [], pytest.approx(0.0, abs=1e-6)), ref
    assert got, "some link lies on a fastest path"


def test_forest_subtree_removal_equals_a_full_recompute():
    net = random_network(3, n=200)
    idx = net.index
    forest = idx.forest(net.station_codes())
    everything = np.arange(len(idx.nodes))
    forest.watch(everything)
    for u, v in forest.on_paths_to(idx.rows([s.code for s in net.scenario.sites]))[:40]:
        below = forest.below([(u, v)])
        full = dijkstra(
            idx.without_edges([(idx.nodes[u], idx.nodes[v])]),
            directed=True,
            indices=idx.rows(net.station_codes()),
            min_only=True,
        )
        hit, new = forest.remove([(u, v)])
        np.testing.assert_array_equal(hit, np.sort(below))
        np.testing.assert_allclose(new, full[hit])
        untouched = np.setdiff1d(np.arange(len(idx.nodes)), below)
        np.testing.assert_allclose(forest.dist[untouched], full[untouched])


@pytest.mark.parametrize("batch", [1, 400_000])
@pytest.mark.parametrize("seed", range(6))
def test_station_failures_equal_brute_force(seed, batch, monkeypatch):
    monkeypatch.setattr(graph_index, "_BATCH", batch)
    net = random_network(seed)
    idx, codes = net.index, [s.code for s in net.scenario.sites]
    cols, stations = idx.rows(codes), net.station_codes()
    base = dijkstra(idx.matrix, directed=True, indices=idx.rows(stations), min_only=True)[cols]
    got = {f.ref: f for f in robustness(net, 25, links=False).failures}
    for code in stations:
        rest = idx.rows([s for s in stations if s != code])
        after = dijkstra(idx.matrix, directed=True, indices=rest, min_only=True)[cols]
        lost = [c for c, b, a in zip(codes, base, after, strict=True) if round(b, 1) <= 25 and not round(a, 1) <= 25]
        finite = np.isfinite(base) & np.isfinite(after)
        assert got[code].sites_lost == lost
        assert got[code].minutes_added == pytest.approx(float(np.sum(after[finite] - base[finite])), abs=1e-6)
