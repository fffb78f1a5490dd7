"""The culled union draws the catchments the union of every piece drew, on a mid-size road grid.

Tolerance, stated: leaving out the pieces inside covered grid cells (putting the cells in) changes
nothing (symmetric difference under 10⁻⁶ of the area: floating-point noding only); thinning (pieces
within 75 m of a wider one in their cell left out) draws inside the union of every piece, and no
point of that union lies farther than 75 m (``THIN_KM``) from it. As drawn (both simplified at
150 m), each station's area within 0.5% and the symmetric difference within 2% of the area (in
degrees², a catchment's area on the map: at least 10⁻⁶, about 0.01 km², for the smallest).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import dijkstra

from maps import catchment
from maps.catchment import catchments
from supply.core.network import Network
from supply.core.scenario import Scenario

SIDE = 34  # 1,156 road nodes


@pytest.fixture(scope="module")
def grid() -> Network:
    """A jittered street grid (0.5 km apart, 15–60 km/h, some diagonals) with 6 stations and 40 sites."""
    rng = np.random.default_rng(3)
    n = SIDE * SIDE
    lat = 23.0 + (np.arange(n) // SIDE) * 0.0045 + rng.normal(0, 0.0004, n)
    lon = 113.0 + (np.arange(n) % SIDE) * 0.0049 + rng.normal(0, 0.0004, n)
    g = nx.DiGraph()
    g.add_nodes_from((f"n{i}", {"lat": lat[i], "lon": lon[i]}) for i in range(n))
    ids = np.arange(n).reshape(SIDE, SIDE)
    pairs = np.vstack(
        [
            np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()]),
            np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()]),
            np.column_stack([ids[:-1, :-1].ravel(), ids[1:, 1:].ravel()])[rng.random((SIDE - 1) ** 2) < 0.3],
        ]
    )
    for (u, v), minutes in zip(pairs.tolist(), rng.uniform(0.5, 2.0, len(pairs)).tolist(), strict=True):
        attrs = {"minutes": minutes, "km": 0.5, "mode": "road", "ref": f"n{u}~n{v}"}
        g.add_edge(f"n{u}", f"n{v}", **attrs)
        if rng.random() < 0.9:
            g.add_edge(f"n{v}", f"n{u}", **attrs)
    picks = rng.choice(n, 46, replace=False)
    scenario = Scenario.model_validate(
        {
            "scenario": {"name": "grid"},
            "stations": [{"code": f"n{i}", "tier": "point", "lat": lat[i], "lon": lon[i]} for i in picks[:6]],
            "sites": [
                {"code": f"n{i}", "kind": "district", "ring": "city", "lat": lat[i], "lon": lon[i]} for i in picks[6:]
            ],
        }
    )
    return Network(scenario, g)


def test_culling_leaves_the_union_unchanged_and_most_pieces_out(grid):
    idx = grid.index
    lat, lon = grid.coordinates
    xy = catchment._Projection(float(lat.mean()), float(lon.mean())).to_km(lon, lat)
    dist, pred, src = dijkstra(
        idx.matrix, indices=idx.rows(grid.station_codes()), min_only=True, return_predecessors=True
    )
    coo = idx.matrix.tocoo()
    kept = total = 0
    for t in (15, 30, 60):
        every = catchment._pieces(xy, dist, src, coo.row, coo.col, coo.data, t, 20 / 60)
        fewer = catchment._pieces(xy, dist, src, coo.row, coo.col, coo.data, t, 20 / 60, pred)
        for owner in np.unique(every.owner):
            mine = fewer.select(fewer.owner == owner)
            reference = catchment._union_of(every.select(every.owner == owner), cull=False)
            keep, cells = catchment._cull(mine)
            culled = catchment._union(np.concatenate([mine.select(keep).shapes(), cells]))
            assert shapely.symmetric_difference(culled, reference).area <= 1e-6 * reference.area
            thinned = catchment._union_of(mine, cull=True)
            assert shapely.difference(thinned, reference).area <= 1e-6 * reference.area  # inside
            edge = shapely.get_coordinates(shapely.segmentize(reference.boundary, 0.01))  # every 10 m
            assert shapely.distance(shapely.points(edge), thinned).max() <= catchment.THIN_KM + 1e-6
            keep = catchment._thin(mine)
            kept, total = kept + int(keep.sum()), total + int((every.owner == owner).sum())
    assert kept < total * 0.85  # the point of it: a good part of the work left out


def test_drawn_catchments_match_the_union_of_every_piece(grid):
    culled = catchments(grid, (15, 30, 60))
    every = catchments(grid, (15, 30, 60), cull=False)
    assert [(c.threshold, c.station) for c in culled] == [(c.threshold, c.station) for c in every]
    for a, b in zip(culled, every, strict=True):
        assert a.area_km2 == pytest.approx(b.area_km2, rel=0.005)
        assert shapely.symmetric_difference(a.geometry, b.geometry).area <= max(0.02 * b.geometry.area, 1e-6)
