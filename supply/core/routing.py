"""Fastest routes and travel times.

Single routes use networkx directly (the graph is the model). Many-to-many travel times —
the hot path of coverage, robustness and siting — run on the network's compiled
:class:`~supply.core.graph_index.GraphIndex`. Tests check both agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from supply.core.errors import UnknownCodeError, UnreachableError
from supply.core.network import Network


@dataclass(frozen=True)
class Route:
    """The fastest route between two codes."""

    origin: str
    destination: str
    minutes: float
    km: float
    path: list[str]
    modes: list[str]

    def as_dict(self) -> dict:
        return {
            "from": self.origin,
            "to": self.destination,
            "minutes": round(self.minutes, 1),
            "km": round(self.km, 1),
            "path": self.path,
            "modes": self.modes,
        }


def fastest_route(network: Network, origin: str, destination: str) -> Route:
    """The fastest route by minutes; raises :class:`UnreachableError` if there is none."""
    g = network.graph
    for code in (origin, destination):
        if code not in g:
            known = [p.code for p in network.scenario.places()]
            raise UnknownCodeError("station or site", code, known)
    try:
        minutes, path = nx.single_source_dijkstra(g, origin, destination, weight="minutes")
    except nx.NetworkXNoPath:
        msg = f"no route from '{origin}' to '{destination}'"
        if network.disruptions:
            msg += f" with {network.disruptions.describe()}"
        raise UnreachableError(msg) from None
    edges = [g.edges[u, v] for u, v in zip(path, path[1:], strict=False)]
    modes = list(dict.fromkeys(e["mode"] for e in edges))
    return Route(origin, destination, float(minutes), sum(e["km"] for e in edges), path, modes)


def travel_minutes(network: Network, sources: Sequence[str], targets: Sequence[str]) -> np.ndarray:
    """Minutes matrix ``sources × targets`` on the compiled graph."""
    return network.index.table(list(sources), list(targets))
