"""Fastest routes and travel times.

Single routes use networkx directly (the graph is the model). Many-to-many travel times —
the hot path of coverage, robustness and siting — run on :class:`GraphIndex`, a CSR copy of
the same graph handed to ``scipy.sparse.csgraph.dijkstra``. Tests check both agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .errors import UnknownCodeError, UnreachableError
from .network import Network

#: csgraph treats a stored 0 as "no edge"; zero-minute edges get this instead.
_TINY = 1e-9


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


@dataclass(frozen=True)
class GraphIndex:
    """A CSR matrix of edge minutes, with node ↔ row maps.

    Parallel edges collapse to the fastest (``csr_matrix`` would sum duplicates otherwise).
    """

    nodes: list[str]
    position: dict[str, int]
    matrix: csr_matrix

    @classmethod
    def from_graph(cls, graph: nx.DiGraph, weight: str = "minutes") -> GraphIndex:
        nodes = list(graph.nodes)
        position = {n: i for i, n in enumerate(nodes)}
        m = graph.number_of_edges()
        rows = np.empty(m, dtype=np.int64)
        cols = np.empty(m, dtype=np.int64)
        vals = np.empty(m, dtype=np.float64)
        for k, (u, v, w) in enumerate(graph.edges(data=weight)):
            rows[k], cols[k], vals[k] = position[u], position[v], w
        return cls(nodes, position, _min_csr(rows, cols, vals, len(nodes)))

    def rows(self, codes: Sequence[str]) -> np.ndarray:
        return np.fromiter((self.position[c] for c in codes), dtype=np.int64, count=len(codes))

    def nearest(
        self, sources: Sequence[str], targets: Sequence[str], matrix: csr_matrix | None = None
    ) -> tuple[np.ndarray, list[str | None]]:
        """For each target, minutes from the nearest source and which source (``None``: none)."""
        tgt = self.rows(targets)
        if not sources:
            return np.full(len(targets), np.inf), [None] * len(targets)
        dist, _, src = dijkstra(
            matrix if matrix is not None else self.matrix,
            directed=True,
            indices=self.rows(sources),
            min_only=True,
            return_predecessors=True,
        )
        return dist[tgt], [self.nodes[s] if s >= 0 else None for s in src[tgt]]

    def table(self, sources: Sequence[str], targets: Sequence[str]) -> np.ndarray:
        """Minutes from every source (rows) to every target (columns); ``inf`` = unreachable."""
        if not sources:
            return np.empty((0, len(targets)))
        dist = dijkstra(self.matrix, directed=True, indices=self.rows(sources))
        return dist[:, self.rows(targets)]

    def without_edges(self, edges: Sequence[tuple[str, str]]) -> csr_matrix:
        """A copy of the matrix with the given directed edges removed."""
        m = self.matrix.tolil(copy=True)
        for u, v in edges:
            m[self.position[u], self.position[v]] = 0
        out = m.tocsr()
        out.eliminate_zeros()
        return out


def _min_csr(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n: int) -> csr_matrix:
    vals = np.maximum(vals, _TINY)
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return csr_matrix((vals[first], (rows[first], cols[first])), shape=(n, n))


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
