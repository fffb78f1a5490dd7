"""Travel-time catchments: the area each station reaches within T minutes, built on the network.

Not circles around stations. From every able station a multi-source Dijkstra gives each network
node its minutes ``d`` from the nearest station (the same search :func:`supply.coverage.coverage`
runs). For a threshold ``T``:

- a reached node (``d ≤ T``) covers a disc of radius ``(T − d) · v`` around it, ``v`` being the
  scenario's off-network speed (``connector_kmh``, the speed from a place to its road);
- a link ``u → v`` with ``d(u) < T`` is travelled as far as the time left allows,
  ``f = min(1, (T − d(u)) / minutes(u, v))`` of its straight line; every point on that stretch
  covers a disc whose radius shrinks linearly with the time spent, drawn as the convex hulls of
  consecutive discs sampled every ``step_km`` (a tapered corridor).

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

from supply.network import Network

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
    step_km: float = 2.0,
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
        shapes, owners = _shapes(xy, dist, src, coo.row, coo.col, coo.data, t, kmh / 60.0, step_km)
        for owner in np.unique(owners):
            geom = shapely.union_all(shapes[owners == owner]).simplify(simplify_km)
            if geom.is_empty:
                continue
            out.append(Catchment(t, index.nodes[owner], proj.to_lonlat(geom), round(geom.area, 1)))
    return out


def _shapes(
    xy: np.ndarray,
    dist: np.ndarray,
    src: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    w: np.ndarray,
    t: float,
    km_per_min: float,
    step_km: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Discs around reached nodes and tapered corridors along reached links, with their owning station."""
    reached = np.flatnonzero(dist <= t)
    discs = shapely.buffer(
        shapely.points(xy[reached]), np.maximum((t - dist[reached]) * km_per_min, MIN_RADIUS_KM), quad_segs=6
    )
    owners = [src[reached]]
    geoms = [discs]
    live = dist[u] < t
    u, v, w = u[live], v[live], w[live]
    if len(u):
        frac = np.minimum(1.0, (t - dist[u]) / w)
        seg = xy[v] - xy[u]
        length = np.hypot(seg[:, 0], seg[:, 1]) * frac
        pieces = np.maximum(1, np.ceil(length / step_km)).astype(int)
        edge = np.repeat(np.arange(len(u)), pieces + 1)
        k = np.concatenate([np.arange(n + 1) / n for n in pieces])
        pts = xy[u][edge] + seg[edge] * (frac[edge] * k)[:, None]
        radius = np.maximum((t - dist[u][edge] - w[edge] * frac[edge] * k) * km_per_min, MIN_RADIUS_KM)
        circles = shapely.buffer(shapely.points(pts), radius, quad_segs=6)
        ends = np.ones(len(edge), dtype=bool)
        ends[np.cumsum(pieces + 1)[:-1]] = False  # no hull across two links
        ends[0] = False
        a = np.flatnonzero(ends)
        hulls = shapely.convex_hull(shapely.union(circles[a - 1], circles[a]))
        geoms.append(hulls)
        owners.append(src[u][edge[a]])
    return np.concatenate(geoms), np.concatenate(owners)
