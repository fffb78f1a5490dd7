"""Small OSM road networks for tests: GraphML shaped like osmnx's output, and scenarios on them.

One writer for every test that needs a road file (:func:`write_graphml`) and one renderer for
the scenarios placed on it (:func:`osm_scenario`), so each test states only its nodes, roads and
places.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import networkx as nx

#: ``(u, v, attributes)``: one directed OSM edge.
Road = tuple[int, int, Mapping[str, object]]


def write_graphml(path: Path, nodes: Mapping[int, tuple[float, float]], roads: Iterable[Road], **node_attrs) -> None:
    """A MultiDiGraph (parallel edges kept) with x/y and every attribute as text, as osmnx saves it."""
    g = nx.MultiDiGraph(crs="epsg:4326")
    for n, (x, y) in nodes.items():
        g.add_node(n, x=str(x), y=str(y), **{k: str(v) for k, v in node_attrs.items()})
    for u, v, attrs in roads:
        g.add_edge(u, v, **{k: str(val) for k, val in attrs.items()})
    nx.write_graphml(g, path)


def two_way(u: int, v: int, **attrs: object) -> list[Road]:
    """Both directions of a two-way road."""
    return [(u, v, attrs), (v, u, attrs)]


def osm_scenario(
    stations: Iterable[tuple[str, str, float, float]],
    sites: Iterable[tuple[str, str, float, float]],
    *,
    graphml: str = "roads.graphml",
    **keys: object,
) -> str:
    """A scenario's TOML on ``graphml``: stations ``(code, tier, lat, lon)``, city sites ``(code, kind, lat, lon)``,
    and extra ``[scenario]`` keys (numbers as they are)."""
    head = [f'[scenario]\nname = "osm"\ngraphml = "{graphml}"'] + [f"{k} = {v}" for k, v in keys.items()]
    parts = ["\n".join(head)]
    parts += [f'[[stations]]\ncode = "{c}"\ntier = "{t}"\nlat = {lat}\nlon = {lon}' for c, t, lat, lon in stations]
    parts += [
        f'[[sites]]\ncode = "{c}"\nkind = "{k}"\nring = "city"\nlat = {lat}\nlon = {lon}' for c, k, lat, lon in sites
    ]
    return "\n\n".join(parts) + "\n"
