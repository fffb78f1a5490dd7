"""Travel-time catchments: the area each station reaches within T minutes, built on the network.

Not circles around stations. From every able station a multi-source Dijkstra gives each network
node its minutes ``d`` from the nearest station (the same search :func:`supply.core.coverage.coverage`
runs). For a threshold ``T``:

- a reached node (``d ≤ T``) covers a disc of radius ``(T − d) · v`` around it, ``v`` being the
  scenario's off-network speed (``connector_kmh``, the speed from a place to its road);
- a link ``u → v`` with ``d(u) < T`` is travelled as far as the time left allows,
  ``f = min(1, (T − d(u)) / minutes(u, v))`` of its straight line; every point on that stretch
  covers a disc whose radius shrinks linearly with the time spent (a tapered corridor: the convex
  hull of its two end discs).

The union of these shapes, grouped by the node's nearest station, is that station's catchment.
Shapes are built in a local equirectangular projection in km (fine at city scale), simplified,
and returned in lon/lat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry.base import BaseGeometry

from supply.core.network import Network

KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_EQ = 111.320
#: Smallest disc drawn, so a node reached at exactly T still shows (km).
MIN_RADIUS_KM = 0.15


@dataclass(frozen=True)
class Catchment:
    """The area ``station`` reaches within ``threshold`` minutes (lon/lat geometry)."""

    threshold: int
    station: str
    geometry: BaseGeometry
    area_km2: float


@dataclass(frozen=True)
class _Projection:
    lat0: float
    lon0: float

    @property
    def kx(self) -> float:
        return KM_PER_DEG_LON_EQ * math.cos(math.radians(self.lat0))

    def to_km(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return np.column_stack([(lon - self.lon0) * self.kx, (lat - self.lat0) * KM_PER_DEG_LAT])

    def to_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(
            geom, lambda xy: np.column_stack([xy[:, 0] / self.kx + self.lon0, xy[:, 1] / KM_PER_DEG_LAT + self.lat0])
        )


def catchments(
    network: Network,
    thresholds: Sequence[int],
    *,
    off_network_kmh: float | None = None,
    simplify_km: float = 0.15,
) -> list[Catchment]:
    """Every able station's catchment for each threshold (stations reaching nothing left out)."""
    stations = network.station_codes()
    if not stations:
        return []
    index = network.index
    graph = network.graph
    lat = np.array([graph.nodes[n]["lat"] for n in index.nodes], dtype=float)
    lon = np.array([graph.nodes[n]["lon"] for n in index.nodes], dtype=float)
    proj = _Projection(float(lat.mean()), float(lon.mean()))
    xy = proj.to_km(lon, lat)
    dist, _, src = dijkstra(
        index.matrix, directed=True, indices=index.rows(stations), min_only=True, return_predecessors=True
    )
    coo = index.matrix.tocoo()
    kmh = off_network_kmh or network.scenario.scenario.connector_kmh
    out = []
    for t in sorted(thresholds):
        shapes, owners = _shapes(xy, dist, src, coo.row, coo.col, coo.data, t, kmh / 60.0)
        for owner in np.unique(owners):
            geom = _union(shapes[owners == owner]).simplify(simplify_km)
            if geom.is_empty:
                continue
            out.append(Catchment(t, index.nodes[owner], proj.to_lonlat(geom), round(geom.area, 1)))
    return out


#: Snap-rounding grid (km) of the fallback union: 1 m, far below what a city map shows.
GRID_KM = 0.001


def _union(shapes: np.ndarray) -> BaseGeometry:
    """The union of ``shapes``; GEOS's floating overlay can hit a topology conflict on a city's
    hundreds of thousands of hulls, and then the union is redone snap-rounded to :data:`GRID_KM`."""
    try:
        return shapely.union_all(shapes)
    except shapely.errors.GEOSException:
        return shapely.union_all(shapes, grid_size=GRID_KM)


def _shapes(
    xy: np.ndarray,
    dist: np.ndarray,
    src: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    w: np.ndarray,
    t: float,
    km_per_min: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Tapered corridors along reached links and discs around reached nodes, with their owning station.

    Along a straight stretch the disc's centre and radius both change linearly, so the union of the
    discs is exactly the convex hull of the two end discs: one hull per link, no sampling.
    """
    live = dist[u] < t
    u, v, w = u[live], v[live], w[live]
    frac = np.minimum(1.0, (t - dist[u]) / w)
    start = _circles(xy[u], (t - dist[u]) * km_per_min)
    stop = _circles(xy[u] + (xy[v] - xy[u]) * frac[:, None], (t - dist[u] - w * frac) * km_per_min)
    hulls = shapely.convex_hull(shapely.polygons(np.concatenate([start, stop], axis=1)))
    # nodes with a live link out are inside that link's hull already
    alone = np.setdiff1d(np.flatnonzero(dist <= t), u)
    discs = shapely.polygons(_circles(xy[alone], (t - dist[alone]) * km_per_min))
    return np.concatenate([hulls, discs]), np.concatenate([src[u], src[alone]])


_ANGLES = np.linspace(0.0, 2.0 * np.pi, 17)[:-1]
_UNIT = np.column_stack([np.cos(_ANGLES), np.sin(_ANGLES)])


def _circles(centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """16 points on each circle (``n × 16 × 2``); radii below :data:`MIN_RADIUS_KM` are raised to it."""
    r = np.maximum(radii, MIN_RADIUS_KM)
    return centres[:, None, :] + r[:, None, None] * _UNIT[None, :, :]
