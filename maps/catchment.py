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
from scipy import ndimage
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from supply.core.network import Network

KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_EQ = 111.320
#: Smallest disc drawn, so a node reached at exactly T still shows (km).
MIN_RADIUS_KM = 0.15
#: Every circle is drawn as the same 16-gon, scaled.
_ANGLES = np.linspace(0.0, 2.0 * np.pi, 17)[:-1]
_UNIT = np.column_stack([np.cos(_ANGLES), np.sin(_ANGLES)])


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
    cull: bool = True,
) -> list[Catchment]:
    """Every able station's catchment for each threshold (stations reaching nothing left out).

    ``cull`` (the default) leaves out the links their reverse corridor holds (:func:`_pieces`), thins
    the pieces (:func:`_thin`: those within :data:`THIN_KM` of a wider one in their cell left out:
    the area drawn lies inside the exact union and within 75 m of all of it) and leaves out of the
    union every piece inside grid cells known to be covered, putting those cells in instead
    (:func:`_cull`: the same area); a fraction of the work. ``cull=False`` unites every piece, as
    before (the reference ``tests/maps/test_catchment_cull.py`` and ``bench/bench_map_nodes.py``
    compare with).
    """
    stations = network.station_codes()
    if not stations:
        return []
    index = network.index
    lat, lon = network.coordinates
    proj = _Projection(float(lat.mean()), float(lon.mean()))
    xy = proj.to_km(lon, lat)
    dist, pred, src = dijkstra(
        index.matrix, directed=True, indices=index.rows(stations), min_only=True, return_predecessors=True
    )
    coo = index.matrix.tocoo()
    kmh = off_network_kmh or network.scenario.scenario.connector_kmh
    out = []
    for t in sorted(thresholds):
        pieces = _pieces(xy, dist, src, coo.row, coo.col, coo.data, t, kmh / 60.0, pred if cull else None)
        for owner in np.unique(pieces.owner):
            mine = pieces.select(pieces.owner == owner)
            geom = _union_of(mine, cull).simplify(simplify_km)
            if geom.is_empty:
                continue
            out.append(Catchment(t, index.nodes[owner], proj.to_lonlat(geom), round(geom.area, 1)))
    return out


#: Snap-rounding grid (km) of the fallback union: 1 m, far below what a city map shows.
GRID_KM = 0.001
#: Smallest side of the grid cells culling works in (km), and most cells along a side of the grid.
CELL_KM = 0.25
MAX_CELLS = 256


def _union(shapes: np.ndarray) -> BaseGeometry:
    """The union of ``shapes``; GEOS's floating overlay can hit a topology conflict on a city's
    hundreds of thousands of hulls, and then the union is redone snap-rounded to :data:`GRID_KM`."""
    try:
        return shapely.union_all(shapes)
    except shapely.errors.GEOSException:
        return shapely.union_all(shapes, grid_size=GRID_KM)


@dataclass(frozen=True)
class _Pieces:
    """Tapered corridors as their two end discs: centres ``a``, ``b`` (km), radii ``ra``, ``rb`` (already
    raised to :data:`MIN_RADIUS_KM`), and the owning station's row. A lone disc has ``b = a``."""

    a: np.ndarray
    ra: np.ndarray
    b: np.ndarray
    rb: np.ndarray
    owner: np.ndarray

    def select(self, mask: np.ndarray) -> _Pieces:
        return _Pieces(self.a[mask], self.ra[mask], self.b[mask], self.rb[mask], self.owner[mask])

    def shapes(self) -> np.ndarray:
        """The polygons: the convex hull of the two end circles (16 points each)."""
        ring = np.concatenate([_circles(self.a, self.ra), _circles(self.b, self.rb)], axis=1)
        return shapely.convex_hull(shapely.polygons(ring))

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Each polygon's lower-left and upper-right corners (its circles' points lie at their radii)."""
        lo = np.minimum(self.a - self.ra[:, None], self.b - self.rb[:, None])
        hi = np.maximum(self.a + self.ra[:, None], self.b + self.rb[:, None])
        return lo, hi


def _union_of(pieces: _Pieces, cull: bool) -> BaseGeometry:
    if not cull:
        return _union(pieces.shapes())
    pieces = pieces.select(_thin(pieces))
    keep, cells = _cull(pieces)
    return _union(np.concatenate([pieces.select(keep).shapes(), cells]))


#: How far (km) a piece left out by :func:`_thin` may reach beyond what is drawn: half the
#: drawing's own simplification (150 m).
THIN_KM = 0.075
#: Side (km) of the cells :func:`_thin` groups pieces in.
THIN_CELL_KM = 0.2
#: The 16-gon's facet normals: a circle's polygon K(c, r) holds K(c', r') iff gauge(c' − c) + r' ≤ r.
_NORMALS = np.column_stack([np.cos(_ANGLES + np.pi / 16), np.sin(_ANGLES + np.pi / 16)]) / math.cos(math.pi / 16)


def _gauge(v: np.ndarray) -> np.ndarray:
    """The 16-gon's gauge of each vector: the radius of the smallest such polygon around 0 holding it."""
    return np.maximum((v @ _NORMALS.T).max(axis=1), 0.0)


def _thin(pieces: _Pieces, tolerance: float = THIN_KM, cell: float = THIN_CELL_KM) -> np.ndarray:
    """Which pieces to keep: in each cell (by a piece's start), the one with the widest start circle,
    and every other piece reaching more than ``tolerance`` beyond that circle's polygon.

    Circles' polygons share their orientation, so one holds another exactly when the gauge of the
    centres' offset plus the smaller radius is at most the larger; a piece (the hull of two such
    polygons) lies within ``K(c, R + tolerance)`` when both its ends do, and that polygon lies within
    ``tolerance`` of ``K(c, R)``. So the union of the pieces kept lies inside the union of all, and
    every point of the latter lies within ``tolerance`` of the former (where the drawing's own
    simplification is 150 m).
    """
    own = np.floor(pieces.a / cell).astype(np.int64)
    key = own[:, 0] * 4_000_037 + own[:, 1]
    order = np.lexsort((-pieces.ra, key))  # by cell, the widest first
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    widest = np.empty(len(order), dtype=np.int64)
    widest[order] = order[np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))]
    c, r = pieces.a[widest], pieces.ra[widest] + tolerance
    held = (_gauge(pieces.a - c) + pieces.ra <= r) & (_gauge(pieces.b - c) + pieces.rb <= r)
    return ~held | (widest == np.arange(len(order)))


def _cull(pieces: _Pieces) -> tuple[np.ndarray, np.ndarray]:
    """Which pieces can change the union, and rectangles of grid cells wholly inside it: the union of
    the two is the union of every piece.

    On a grid over the pieces, :func:`_cover_field` gives each cell a lower bound of how far inside
    some piece's inscribed disc its centre lies; a cell whose bound is at least its half-diagonal
    lies wholly inside that piece (*full*). A piece whose enclosing disc (centre: the midpoint of its
    two circles' centres) touches no cell that is not full lies inside the full cells: it is left
    out, and the full cells go in instead (merged into one rectangle per run along a row); the nearest
    such cell is looked for among those bordering a full cell, within a cell's diagonal more. Every full
    cell lies inside the union, and every point of the union outside the full cells lies in a piece
    kept, so the union is unchanged.
    """
    lo, hi = pieces.bounds()
    origin = lo.min(axis=0)
    cell = max(CELL_KM, float((hi.max(axis=0) - origin).max()) / MAX_CELLS)
    shape = tuple((np.floor((hi.max(axis=0) - origin) / cell).astype(np.int64) + 1)[::-1])  # rows (y), columns (x)
    field = _cover_field(pieces, origin, cell, (int(shape[0]), int(shape[1])))
    half = cell * math.sqrt(0.5)
    full = field >= half
    keep = np.ones(len(pieces.a), dtype=bool)
    # the nearest cell not full to a point in a full cell is within a cell's diagonal of one that borders a full cell
    border = ~full & ndimage.binary_dilation(full, structure=np.ones((3, 3), dtype=bool))
    own = np.floor(((pieces.a + pieces.b) / 2 - origin) / cell).astype(np.int64)
    inside = full[own[:, 1], own[:, 0]]
    if border.any() and inside.any():
        mid = (pieces.a[inside] + pieces.b[inside]) / 2
        reach = np.hypot(*((pieces.a[inside] - pieces.b[inside]) / 2).T) + np.maximum(pieces.ra, pieces.rb)[inside]
        border_y, border_x = np.nonzero(border)
        nearest, _ = cKDTree(origin + (np.column_stack([border_x, border_y]) + 0.5) * cell).query(mid)
        keep[inside] = nearest <= reach + half + cell * math.sqrt(2.0)
    edges = np.diff(np.pad(full, ((0, 0), (1, 1))).astype(np.int8), axis=1)  # +1: a run starts, -1: it ends
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    x0, y0 = origin
    boxes = shapely.box(x0 + starts * cell, y0 + rows * cell, x0 + ends * cell, y0 + (rows + 1) * cell)
    return keep, boxes


def _cover_field(pieces: _Pieces, origin: np.ndarray, cell: float, shape: tuple[int, int]) -> np.ndarray:
    """For each cell, a lower bound of ``max over discs (r·cos(π/16) − |centre − c|)``: how far inside the
    disc inscribed in some piece's circle its centre lies (negative: outside all).

    Each disc seeds its own cell exactly; a chamfer sweep (down then up, each row both ways) carries
    the bound to the others along steps of the cell side and its diagonal, each at least the straight
    distance, so the bound never exceeds the truth (the triangle inequality).
    """
    field = np.full(shape, -np.inf)
    inner = math.cos(math.pi / 16)
    for centre, radius in ((pieces.a, pieces.ra), (pieces.b, pieces.rb)):
        own = np.floor((centre - origin) / cell).astype(np.int64)
        mid = origin + (own + 0.5) * cell
        np.maximum.at(field, (own[:, 1], own[:, 0]), radius * inner - np.hypot(*(centre - mid).T))
    step, diag = cell, cell * math.sqrt(2.0)
    along = np.arange(shape[1]) * step
    for rows in (range(1, shape[0]), range(shape[0] - 2, -1, -1)):
        for y in rows:
            prev = field[y - 1] if rows.step == 1 else field[y + 1]
            row = np.maximum(field[y], prev - step)
            row[1:] = np.maximum(row[1:], prev[:-1] - diag)
            row[:-1] = np.maximum(row[:-1], prev[1:] - diag)
            row = np.maximum.accumulate(row + along) - along  # from the left
            field[y] = (np.maximum.accumulate((row - along)[::-1]) + along[::-1])[::-1]  # from the right
    return field


def _pieces(
    xy: np.ndarray,
    dist: np.ndarray,
    src: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    w: np.ndarray,
    t: float,
    km_per_min: float,
    pred: np.ndarray | None = None,
) -> _Pieces:
    """Tapered corridors along reached links and discs around reached nodes, with their owning station.

    Along a straight stretch the disc's centre and radius both change linearly, so the union of the
    discs is exactly the convex hull of the two end discs: one hull per link, no sampling.

    Given the fastest-path forest's ``pred``, a link ``u → v`` whose reverse ``v → u`` is the link
    ``u`` was reached by is left out: that corridor, travelled whole, holds it (along the shared
    stretch its radius is ``(t − d(v) − s·c(v, u))·speed``, never less than ``u → v``'s).
    """
    live = dist[u] < t
    if pred is not None:
        live &= pred[u] != v
    u, v, w = u[live], v[live], w[live]
    frac = np.minimum(1.0, (t - dist[u]) / w)
    stop = xy[u] + (xy[v] - xy[u]) * frac[:, None]
    # nodes with a live link out are inside that link's hull already
    alone = np.setdiff1d(np.flatnonzero(dist <= t), u)
    a = np.concatenate([xy[u], xy[alone]])
    ra = np.concatenate([(t - dist[u]) * km_per_min, (t - dist[alone]) * km_per_min])
    rb = np.concatenate([(t - dist[u] - w * frac) * km_per_min, ra[len(u) :]])
    raised = np.maximum(ra, MIN_RADIUS_KM), np.maximum(rb, MIN_RADIUS_KM)
    return _Pieces(a, raised[0], np.concatenate([stop, xy[alone]]), raised[1], np.concatenate([src[u], src[alone]]))


def _circles(centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """16 points on each circle (``n × 16 × 2``); radii below :data:`MIN_RADIUS_KM` are raised to it."""
    r = np.maximum(radii, MIN_RADIUS_KM)
    return centres[:, None, :] + r[:, None, None] * _UNIT[None, :, :]
