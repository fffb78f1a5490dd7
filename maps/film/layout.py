"""The film's screen: 1280×720, the map on the left (its projection), the panel on the right.

One layout for the MP4 and the HTML player, so both show the same picture: an equirectangular
projection (longitudes scaled by the cosine of the mid latitude) fitted to the drill's places
with a margin, and the shipped outline base map (``maps/data``) projected into it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from maps.basemap import districts, in_extent, neighbour_land
from supply.core.timeline import LatLon, Timeline

WIDTH, HEIGHT = 1280, 720
MAP_W = 880  # the map's width; the panel fills the rest
MARGIN = 0.12  # of the places' span, on each side

SEA = "#cfe3f2"
LAND = "#f4f1ea"
DISTRICT_EDGE = "#b9b2a3"
ROUTE = "#8a94a6"
TIER_COLOUR = {"hub": "#b71c1c", "wing": "#1565c0", "point": "#2e7d32", "site": "#6d4c41"}
MOVER_COLOUR = {
    "unit": "#e65100",
    "kitchen": "#6a1b9a",
    "fuel_truck": "#00838f",
    "water_truck": "#0277bd",
    "restock": "#558b2f",
    "handover": "#ad1457",
}
STATUS_COLOUR = {
    "arrives": "#f9a825",
    "queues": "#d50000",
    "seated": "#fb8c00",
    "fed": "#2e7d32",
    "refuelled": "#2e7d32",
}
CLOSED = "#d50000"


@dataclass(frozen=True)
class Projection:
    """Lat/lon to pixels of the map area (y down)."""

    south: float
    west: float
    north: float
    east: float
    width: int = MAP_W
    height: int = HEIGHT

    @classmethod
    def fit(cls, points: list[LatLon], width: int = MAP_W, height: int = HEIGHT) -> Projection:
        lats = [p[0] for p in points] or [23.1]
        lons = [p[1] for p in points] or [113.3]
        south, north, west, east = min(lats), max(lats), min(lons), max(lons)
        dlat = max(north - south, 0.05) * (1 + 2 * MARGIN)
        dlon = max(east - west, 0.05) * (1 + 2 * MARGIN)
        mid_lat, mid_lon = (south + north) / 2, (west + east) / 2
        k = math.cos(math.radians(mid_lat))
        # fit the box to the screen's aspect, keeping the scale equal on both axes
        if dlon * k / dlat < width / height:
            dlon = dlat * width / height / k
        else:
            dlat = dlon * k * height / width
        return cls(mid_lat - dlat / 2, mid_lon - dlon / 2, mid_lat + dlat / 2, mid_lon + dlon / 2, width, height)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        x = (lon - self.west) / (self.east - self.west) * self.width
        y = (self.north - lat) / (self.north - self.south) * self.height
        return x, y


def projection(timeline: Timeline) -> Projection:
    points = [(p.lat, p.lon) for p in timeline.places]
    return Projection.fit(points)


def base_rings(timeline: Timeline, proj: Projection) -> Iterator[tuple[str, list[tuple[float, float]]]]:
    """The shipped outlines' rings in pixels, as (``land`` or ``district``, points); none outside the delta."""
    if not any(in_extent(p.lat, p.lon) for p in timeline.places):
        return
    for kind, collection in (("land", neighbour_land()), ("district", districts())):
        for feature in collection["features"]:
            geom = feature["geometry"]
            polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
            for poly in polys:
                for ring in poly:
                    yield kind, [proj.xy(lat, lon) for lon, lat in ring]


def district_labels(timeline: Timeline, proj: Projection, lang: str) -> list[tuple[float, float, str]]:
    """Each district's name at a point inside it, in pixels (only those on the map)."""
    from shapely.geometry import shape

    if not any(in_extent(p.lat, p.lon) for p in timeline.places):
        return []
    out = []
    for feature in districts()["features"]:
        pt = shape(feature["geometry"]).representative_point()
        x, y = proj.xy(pt.y, pt.x)
        if 20 < x < proj.width - 20 and 20 < y < proj.height - 20:
            out.append((x, y, feature["properties"]["name_zh" if lang == "zh" else "name_en"]))
    return out


#: A place code's label: approximate width per character and height, in pixels (bold 12 px, codes in ASCII).
CHAR_W, LABEL_H = 7.4, 13.0


def label_positions(timeline: Timeline, proj: Projection) -> dict[str, tuple[float, float, str]]:
    """Where each place's code goes — ``(x, y, anchor)`` with ``anchor`` ``start`` or ``end`` and ``y``
    the text's top — placed greedily (hub, wings, points, then sites) where it hides no marker and no
    label placed before it, else where it hides least."""
    order = {"hub": 0, "wing": 1, "point": 2, "site": 3}
    places = sorted(timeline.places, key=lambda p: order.get(p.kind, 4))
    marks = [proj.xy(p.lat, p.lon) for p in places]
    taken: list[tuple[float, float, float, float]] = [(x - 9, y - 9, x + 9, y + 9) for x, y in marks]
    out: dict[str, tuple[float, float, str]] = {}
    for p, (x, y) in zip(places, marks, strict=True):
        w = CHAR_W * len(p.code)
        options = [
            (x + 10, y + 2, "start"),
            (x - 10, y + 2, "end"),
            (x + 10, y - 8 - LABEL_H, "start"),
            (x - 10, y - 8 - LABEL_H, "end"),
            (x - w / 2, y + 11, "start"),
            (x + 10, y + 10, "start"),
            (x - 10, y + 10, "end"),
        ]

        def box(o: tuple[float, float, str], w: float = w) -> tuple[float, float, float, float]:
            left = o[0] if o[2] == "start" else o[0] - w
            return left, o[1], left + w, o[1] + LABEL_H

        def hidden(o: tuple[float, float, str]) -> float:
            a = box(o)
            area = sum(
                max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1])) for b in taken
            )
            off = a[0] < 0 or a[2] > proj.width or a[1] < 0 or a[3] > proj.height - 40
            return area + (1e6 if off else 0.0)

        best = min(options, key=hidden)
        out[p.code] = best
        taken.append(box(best))
    return out
