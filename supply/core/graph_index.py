"""The compiled form of a network: a CSR matrix of edge minutes for ``scipy.sparse.csgraph``.

networkx is the model the code speaks (:mod:`supply.core.network`); many-to-many travel times —
the hot path of coverage, robustness and siting — run on this copy of the same graph. It depends
on nothing but the graph, so the network can build it without importing routing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

#: csgraph treats a stored 0 as "no edge"; zero-minute edges get this instead.
_TINY = 1e-9


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
