"""OSM road networks: an osmnx GraphML file read into the scenario's graph, places snapped onto it.

Road nodes become ``osm:<id>``; each directed OSM edge keeps the fastest of its parallel edges,
costed by its ``travel_time``, else its length at its speed (``speed_kph``, ``maxspeed``) or its
highway class's default speed. Every place joins its nearest road node by a connector edge.
"""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import numpy as np

from supply.core.errors import Problem, ScenarioError
from supply.core.geo import haversine_km, unit_vectors
from supply.core.scenario import Scenario

#: Default speeds (km/h) by OSM highway class, used when an edge has no speed of its own.
OSM_SPEEDS_KMH = {
    "motorway": 90,
    "motorway_link": 50,
    "trunk": 70,
    "trunk_link": 40,
    "primary": 50,
    "primary_link": 35,
    "secondary": 40,
    "secondary_link": 30,
    "tertiary": 35,
    "tertiary_link": 25,
    "residential": 25,
    "unclassified": 30,
    "service": 15,
}
DEFAULT_OSM_KMH = 30.0


def add_osm_roads(g: nx.DiGraph, scenario: Scenario) -> None:
    """Add an osmnx GraphML road network and snap every place to its nearest road node."""
    from scipy.spatial import cKDTree

    graphml = scenario.scenario.graphml
    if graphml is None:  # no road network named: nothing to add
        return
    path = Path(scenario.base_dir) / graphml
    try:
        osm = nx.read_graphml(path)
    except FileNotFoundError:
        raise ScenarioError(
            [Problem(scenario.source, "scenario.graphml", f"road network file not found: {path}")]
        ) from None
    except Exception as exc:  # networkx raises several kinds for a malformed file
        raise ScenarioError(
            [Problem(scenario.source, "scenario.graphml", f"cannot read road network {path}: {exc}")]
        ) from None
    ids, lats, lons = [], [], []
    for node, data in osm.nodes(data=True):
        try:
            lat, lon = float(data["y"]), float(data["x"])
        except (KeyError, ValueError):
            raise ScenarioError(
                [Problem(scenario.source, "scenario.graphml", f"road node {node} has no numeric x/y")]
            ) from None
        name = f"osm:{node}"
        ids.append(name)
        lats.append(lat)
        lons.append(lon)
        g.add_node(name, kind="road", lat=lat, lon=lon)
    for u, v, data in osm.edges(data=True):
        minutes, km = _osm_edge_cost(data)
        a, b = f"osm:{u}", f"osm:{v}"
        if g.has_edge(a, b) and g.edges[a, b]["minutes"] <= minutes:
            continue  # parallel OSM edges: keep the fastest
        street = data.get("name")
        g.add_edge(a, b, minutes=minutes, km=km, mode="road", ref=street or f"{a}~{b}", name=street)
    if not ids:
        return
    tree = cKDTree(unit_vectors(np.array(lats), np.array(lons)))
    places = scenario.places()
    _, nearest = tree.query(unit_vectors(np.array([p.lat for p in places]), np.array([p.lon for p in places])))
    kmh = scenario.scenario.connector_kmh
    for place, j in zip(places, nearest, strict=True):
        km = haversine_km(place.lat, place.lon, lats[j], lons[j])
        attrs = {"minutes": km / kmh * 60.0, "km": km, "mode": "road", "ref": f"{place.code}~{ids[j]}", "name": None}
        g.add_edge(place.code, ids[j], **attrs)
        g.add_edge(ids[j], place.code, **attrs)


def _osm_edge_cost(data: dict) -> tuple[float, float]:
    """(minutes, km) of an OSM edge: its travel_time, else length at its speed or class speed."""
    km = float(data.get("length", 0) or 0) / 1000.0
    if data.get("travel_time") not in (None, ""):
        return float(data["travel_time"]) / 60.0, km
    speed = _number(data.get("speed_kph")) or _number(data.get("maxspeed"))
    if not speed:
        highway = str(data.get("highway", "")).strip("[]'\" ").split("'")[0]
        speed = OSM_SPEEDS_KMH.get(highway, DEFAULT_OSM_KMH)
    return km / speed * 60.0, km


def _number(value: object) -> float | None:
    if value in (None, ""):
        return None
    match = re.search(r"\d+(\.\d+)?", str(value))
    return float(match.group()) if match else None
