"""OSM road networks: an osmnx GraphML file read into the scenario's graph, places snapped onto it.

Road nodes become ``osm:<id>``; each directed OSM edge keeps the fastest of its parallel edges,
costed by its ``travel_time``, else its length at its speed (``speed_kph``, else ``maxspeed``,
else its highway class's default speed). Attributes osmnx merged into lists while simplifying
(saved as ``"['A', 'B']"``) are read as osmnx reads them: every name and ref is a label the
street can be closed by, several ``maxspeed`` values are averaged, ``mph`` is converted, and the
first highway class counts.

Links: an edge's link (what N-1 fails and ``--close`` takes) is its first name, else its first
ref, else the segment ``osm:A~osm:B`` (sorted, so a two-way segment is one link, both directions).

Snapping: every place joins the nearest road node of the largest strongly connected component
(a node in a one-way pocket or on an island would make it unreachable), by a connector edge each
way; a place farther than ``scenario.snap_limit_m`` from it is an error naming the place and
the distance. A road network with no nodes, or none connected both ways, is an error.
"""

from __future__ import annotations

import ast
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
MPH_KMH = 1.609344


def read_graphml(scenario: Scenario) -> nx.MultiDiGraph:
    """The scenario's GraphML road network, or :class:`ScenarioError` naming ``scenario.graphml``."""
    path = Path(scenario.base_dir) / (scenario.scenario.graphml or "")
    try:
        return nx.read_graphml(path)
    except FileNotFoundError:
        msg = f"road network file not found: {path.name}"  # never the folder: the API must not reveal paths
    except Exception as exc:  # networkx raises several kinds for a malformed file
        msg = f"cannot read road network {path.name}: {type(exc).__name__}"
    raise ScenarioError([Problem(scenario.source, "scenario.graphml", msg)])


def add_osm_roads(g: nx.DiGraph, scenario: Scenario) -> None:
    """Add an osmnx GraphML road network and snap every place to its road (see the module doc)."""
    if scenario.scenario.graphml is None:  # no road network named: nothing to add
        return
    osm = read_graphml(scenario)
    problem = _problem(scenario)
    if osm.number_of_nodes() == 0:
        raise problem("the road network has no nodes")
    ids, lats, lons = [], [], []
    for node, data in osm.nodes(data=True):
        try:
            lat, lon = float(data["y"]), float(data["x"])
        except (KeyError, ValueError):
            raise problem(f"road node {node} has no numeric x/y") from None
        name = f"osm:{node}"
        ids.append(name)
        lats.append(lat)
        lons.append(lon)
        g.add_node(name, kind="road", lat=lat, lon=lon)
    for u, v, data in osm.edges(data=True):
        minutes, km = osm_edge_cost(data)
        a, b = f"osm:{u}", f"osm:{v}"
        if g.has_edge(a, b) and g.edges[a, b]["minutes"] <= minutes:
            continue  # parallel OSM edges: keep the fastest
        names, refs = split_list(data.get("name")), split_list(data.get("ref"))
        labels = tuple(dict.fromkeys(names + refs))
        ref = labels[0] if labels else "~".join(sorted((a, b)))
        g.add_edge(a, b, minutes=minutes, km=km, mode="road", ref=ref, name=" / ".join(names) or None, labels=labels)
    core = _largest_scc(g, ids)
    if len(core) < 2:
        raise problem("the road network has no two nodes connected both ways (no usable roads)")
    _snap(g, scenario, [ids[i] for i in core], np.array(lats)[core], np.array(lons)[core])


def _problem(scenario: Scenario):
    def make(message: str) -> ScenarioError:
        return ScenarioError([Problem(scenario.source, "scenario.graphml", message)])

    return make


def _largest_scc(g: nx.DiGraph, ids: list[str]) -> np.ndarray:
    """Positions in ``ids`` of the road nodes in the largest strongly connected component."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    pos = {n: i for i, n in enumerate(ids)}
    pairs = np.array([(pos[u], pos[v]) for u, v in g.edges if u in pos and v in pos], dtype=np.int64).reshape(-1, 2)
    adj = csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(ids), len(ids)))
    _, label = connected_components(adj, directed=True, connection="strong")
    return np.flatnonzero(label == np.bincount(label).argmax())


def _snap(g: nx.DiGraph, scenario: Scenario, ids: list[str], lats: np.ndarray, lons: np.ndarray) -> None:
    from scipy.spatial import cKDTree

    tree = cKDTree(unit_vectors(lats, lons))
    kmh, limit = scenario.scenario.connector_kmh, scenario.scenario.snap_limit_m
    problems = []
    for key, places in (("stations", scenario.stations), ("sites", scenario.sites), ("junctions", scenario.junctions)):
        if not places:
            continue
        _, nearest = tree.query(unit_vectors(np.array([p.lat for p in places]), np.array([p.lon for p in places])))
        for i, (place, j) in enumerate(zip(places, nearest.tolist(), strict=True)):
            km = haversine_km(place.lat, place.lon, lats[j], lons[j])
            if km * 1000 > limit:
                problems.append(
                    Problem(
                        scenario.source,
                        f"{key}[{i}]",
                        (
                            f"{place.code} is {km * 1000:,.0f} m from the nearest road of the road network "
                            f"(limit scenario.snap_limit_m = {limit:g} m): check its lat/lon, or the GraphML's extent"
                        ),
                    )
                )
                continue
            attrs = {
                "minutes": km / kmh * 60.0,
                "km": km,
                "mode": "road",
                "ref": f"{place.code}~{ids[j]}",
                "name": None,
            }
            g.add_edge(place.code, ids[j], **attrs)
            g.add_edge(ids[j], place.code, **attrs)
    if problems:
        raise ScenarioError(problems)


def osm_edge_cost(data: dict) -> tuple[float, float]:
    """(minutes, km) of an OSM edge: its travel_time, else length at its speed or class speed."""
    km = float(data.get("length", 0) or 0) / 1000.0
    if data.get("travel_time") not in (None, ""):
        return float(data["travel_time"]) / 60.0, km
    speed = _number(data.get("speed_kph")) or maxspeed_kmh(data.get("maxspeed"))
    if not speed:
        highway = (split_list(data.get("highway")) or [""])[0]
        speed = OSM_SPEEDS_KMH.get(highway, DEFAULT_OSM_KMH)
    return km / speed * 60.0, km


def split_list(value: object) -> list[str]:
    """An OSM attribute as a list of strings: ``"['A', 'B']"`` (osmnx's saved list) → ``['A', 'B']``."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v)]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            parsed = None
        if isinstance(parsed, list | tuple):
            return [str(v).strip() for v in parsed if str(v).strip()]
    return [text] if text else []


def maxspeed_kmh(value: object) -> float | None:
    """OSM ``maxspeed`` in km/h as osmnx reads it: each value's number (``mph`` converted), averaged.

    Values without a number (``signals``, ``none``) are ignored; ``None`` when none is left.
    """
    speeds = []
    for part in split_list(value):
        for piece in part.split(";"):  # "50;30" is two values too
            number = _number(piece)
            if number:
                speeds.append(number * MPH_KMH if "mph" in piece.lower() else number)
    return sum(speeds) / len(speeds) if speeds else None


def _number(value: object) -> float | None:
    if value in (None, ""):
        return None
    match = re.search(r"\d+(\.\d+)?", str(value))
    return float(match.group()) if match else None
