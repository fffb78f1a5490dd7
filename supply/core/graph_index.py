"""The compiled form of a network: a CSR matrix of edge minutes for ``scipy.sparse.csgraph``.

networkx is the model the code speaks (:mod:`supply.core.network`); many-to-many travel times —
the hot path of coverage, robustness and siting — run on this copy of the same graph. It depends
on nothing but the graph, so the network can build it without importing routing.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from supply.core.errors import InvalidArgumentError

#: csgraph treats a stored 0 as "no edge"; zero-minute edges get this instead.
_TINY = 1e-9
#: Subtrees up to this many nodes are recomputed in plain Python (cheaper than a scipy call).
_SMALL = 96


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
        """A copy of the matrix with the given directed edges removed (O(edges), no format conversion)."""
        out = self.matrix.copy()
        for u, v in edges:
            i, j = self.position[u], self.position[v]
            lo, hi = out.indptr[i], out.indptr[i + 1]
            k = lo + np.searchsorted(out.indices[lo:hi], j)  # CSR rows from _min_csr are sorted
            if k < hi and out.indices[k] == j:
                out.data[k] = 0.0
        out.eliminate_zeros()
        return out

    def forest(self, sources: Sequence[str]) -> FastestForest:
        """The fastest-path forest from ``sources`` (nearest source wins), ready for edge failures."""
        return FastestForest.build(self, self.rows(sources))


class FastestForest:
    """The forest of fastest paths from a set of sources, and the distances after removing edges.

    Removing edges can only lengthen paths, and only those of nodes whose forest path uses a
    removed edge: the subtrees below the removed forest edges (a preorder range each). Their new
    distances come from one Dijkstra on that subtree alone, seeded from its boundary,

        d'(x) = min( min over kept edges w→x, w outside:  d(w) + c(w, x),
                     min over kept edges y→x, y inside:   d'(y) + c(y, x) ),

    since every other node keeps its distance. The matrix is never rebuilt: only the subtree's
    rows are read.
    """

    def __init__(self, index: GraphIndex, dist: np.ndarray, pred: np.ndarray) -> None:
        self.index, self.dist, self.pred = index, dist, pred
        n = len(dist)
        self.incoming = index.matrix.T.tocsr()  # row x: the edges w → x
        self.incoming.sort_indices()
        reached = pred >= 0
        kids = np.flatnonzero(reached)[np.argsort(pred[reached], kind="stable")]
        starts = np.searchsorted(pred[kids], np.arange(n + 1))
        roots = [int(r) for r in np.flatnonzero((pred < 0) & np.isfinite(dist))]
        order: list[int] = []
        stack = roots[::-1]
        kids_list, starts_list = kids.tolist(), starts.tolist()
        while stack:  # iterative preorder: each subtree is one contiguous range of ``order``
            x = stack.pop()
            order.append(x)
            stack.extend(kids_list[starts_list[x] : starts_list[x + 1]])
        self.order = np.array(order, dtype=np.int64)
        self.tin = np.full(n, -1, dtype=np.int64)
        self.tin[self.order] = np.arange(len(order))
        size = np.ones(n, dtype=np.int64)
        parents = pred[self.order]
        for x, p in zip(order[::-1], parents[::-1].tolist(), strict=True):
            if p >= 0:
                size[p] += size[x]
        self.size = size
        self._inside = np.zeros(n, dtype=bool)  # scratch buffers, reset after each use
        self._local = np.full(n, -1, dtype=np.int64)
        self._adjacency: tuple[list, ...] | None = None  # plain lists for the small-subtree Dijkstra
        self.watch(np.empty(0, dtype=np.int64))

    @classmethod
    def build(cls, index: GraphIndex, sources: np.ndarray) -> FastestForest:
        if len(sources) == 0:
            msg = "a fastest-path forest needs at least one source"
            raise InvalidArgumentError(msg)
        dist, pred, _ = dijkstra(index.matrix, directed=True, indices=sources, min_only=True, return_predecessors=True)
        return cls(index, dist, pred)

    def on_paths_to(self, targets: np.ndarray) -> list[tuple[int, int]]:
        """The forest edges ``(u, v)`` on the fastest path of some target."""
        used: set[tuple[int, int]] = set()
        pred = self.pred
        for c in targets.tolist():
            node = c
            while pred[node] >= 0 and (int(pred[node]), node) not in used:
                used.add((int(pred[node]), node))
                node = int(pred[node])
        return sorted(used)

    def _ranges(self, edges: Sequence[tuple[int, int]], sources: Sequence[int] = ()) -> list[tuple[int, int]]:
        """Preorder ranges ``[start, end)`` of the subtrees below the forest edges among ``edges``
        and of the trees of ``sources``, disjoint."""
        tops = [v for u, v in edges if u >= 0 and self.pred[v] == u] + [r for r in sources if self.tin[r] >= 0]
        spans = sorted((int(self.tin[v]), int(self.tin[v] + self.size[v])) for v in tops)
        out: list[tuple[int, int]] = []
        for a, b in spans:
            if not out or a >= out[-1][1]:  # subtrees nest or are disjoint: drop the nested
                out.append((a, b))
        return out

    def below(self, edges: Sequence[tuple[int, int]]) -> np.ndarray:
        """The nodes whose fastest path uses one of the directed ``edges`` (in preorder, unique)."""
        ranges = self._ranges(edges)
        if not ranges:
            return np.empty(0, dtype=np.int64)
        return np.concatenate([self.order[a:b] for a, b in ranges])

    def watch(self, targets: np.ndarray) -> None:
        """Name the nodes :meth:`remove` reports on (the sites), indexed once by preorder."""
        tin = self.tin[targets]
        tin = np.where(tin < 0, np.iinfo(np.int64).max, tin)  # unreachable targets are below no edge
        self._watched = targets
        self._watch_order = np.argsort(tin, kind="stable")
        self._watch_tin = tin[self._watch_order]

    def remove(
        self, edges: Sequence[tuple[int, int]] = (), *, sources: Sequence[int] = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        """Remove ``edges``, or stop ``sources`` being sources (their roads stay open).

        Answers the positions of the watched targets whose distance may change, and their new
        distances. A source's tree is recomputed from its boundary like an edge's subtree.
        """
        ranges = self._ranges(edges, sources)
        tins, order = self._watch_tin, self._watch_order
        hit = [order[np.searchsorted(tins, a) : np.searchsorted(tins, b)] for a, b in ranges]
        hit = np.sort(np.concatenate(hit)) if hit else np.empty(0, dtype=np.int64)
        if len(hit) == 0:
            return hit, np.empty(0)
        nodes = np.concatenate([self.order[a:b] for a, b in ranges])
        return hit, self.after_removing(edges, nodes, self._watched[hit])

    def after_removing(
        self, edges: Sequence[tuple[int, int]], nodes: np.ndarray, targets: np.ndarray | None = None
    ) -> np.ndarray:
        """New distances of ``targets`` (default: all ``nodes``, from :meth:`below` for the same ``edges``).

        Small subtrees run a plain heap Dijkstra (scipy's per-call overhead would dominate),
        larger ones scipy's on the subtree's own small matrix.
        """
        targets = nodes if targets is None else targets
        if len(nodes) <= _SMALL:
            return self._small(set(edges), nodes.tolist(), targets.tolist())
        return self._large(edges, nodes, targets)

    def _lists(self) -> tuple[list, ...]:
        if self._adjacency is None:
            out, inc = self.index.matrix, self.incoming
            self._adjacency = tuple(a.tolist() for a in (out.indptr, out.indices, out.data, inc.indptr, inc.indices,
                                                          inc.data, self.dist))  # fmt: skip
        return self._adjacency

    def _small(self, removed: set[tuple[int, int]], nodes: list[int], targets: list[int]) -> np.ndarray:
        optr, oidx, odat, iptr, iidx, idat, dist = self._lists()
        inside = {x: k for k, x in enumerate(nodes)}
        best = [np.inf] * len(nodes)
        for k, x in enumerate(nodes):  # seeds: the kept edges entering from outside
            for j in range(iptr[x], iptr[x + 1]):
                w = iidx[j]
                if w not in inside and (w, x) not in removed:
                    d = dist[w] + idat[j]
                    if d < best[k]:
                        best[k] = d
        heap = [(d, k) for k, d in enumerate(best) if d < np.inf]
        heapq.heapify(heap)
        done = [False] * len(nodes)
        while heap:
            d, k = heapq.heappop(heap)
            if done[k]:
                continue
            done[k] = True
            x = nodes[k]
            for j in range(optr[x], optr[x + 1]):
                m = inside.get(oidx[j])
                if m is not None and not done[m] and (x, oidx[j]) not in removed and d + odat[j] < best[m]:
                    best[m] = d + odat[j]
                    heapq.heappush(heap, (best[m], m))
        return np.array([best[inside[t]] for t in targets])

    def _large(self, edges: Sequence[tuple[int, int]], nodes: np.ndarray, targets: np.ndarray) -> np.ndarray:
        k, n = len(nodes), len(self.dist)
        inside, local = self._inside, self._local
        inside[nodes] = True
        local[nodes] = np.arange(k)
        try:
            ptr = self.incoming.indptr
            counts = ptr[nodes + 1] - ptr[nodes]
            x = np.repeat(np.arange(k), counts)  # the edges w → nodes[x], gathered without scipy indexing
            at = np.arange(len(x)) - np.repeat(np.cumsum(counts) - counts, counts) + ptr[nodes][x]
            w, cost = self.incoming.indices[at], self.incoming.data[at]
            keep = np.ones(len(w), dtype=bool)
            if len(edges):
                removed = np.array([u * n + v for u, v in edges], dtype=np.int64)
                keep = ~np.isin(w.astype(np.int64) * n + nodes[x], removed)
            inner, outer = keep & inside[w], keep & ~inside[w]
            seed = np.full(k, np.inf)
            np.minimum.at(seed, x[outer], self.dist[w[outer]] + cost[outer])
            seeded = np.flatnonzero(np.isfinite(seed))
            rows = np.concatenate([np.zeros(len(seeded), dtype=np.int64), local[w[inner]] + 1])
            cols = np.concatenate([seeded + 1, x[inner] + 1])
            vals = np.concatenate([seed[seeded], cost[inner]])
            graph = csr_matrix((vals, (rows, cols)), shape=(k + 1, k + 1))
            return dijkstra(graph, directed=True, indices=0)[local[targets] + 1]
        finally:
            inside[nodes] = False
            local[nodes] = -1


def _min_csr(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n: int) -> csr_matrix:
    vals = np.maximum(vals, _TINY)
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return csr_matrix((vals[first], (rows[first], cols[first])), shape=(n, n))
