"""The compiled form of a network: a CSR matrix of edge minutes for ``scipy.sparse.csgraph``.

networkx is the model the code speaks (:mod:`supply.core.network`); many-to-many travel times —
the hot path of coverage, robustness and siting — run on this copy of the same graph. It depends
on nothing but the graph, so the network can build it without importing routing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from supply.core.errors import InvalidArgumentError

#: csgraph treats a stored 0 as "no edge"; zero-minute edges get this instead.
_TINY = 1e-9
#: Failures are solved together until their subtrees hold this many nodes (one Dijkstra per batch).
_BATCH = 400_000


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
        return cls(nodes, position, min_csr(rows, cols, vals, len(nodes)))

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
            k = lo + np.searchsorted(out.indices[lo:hi], j)  # CSR rows from min_csr are sorted
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
    incoming edges are read. Many failures are solved together (:meth:`remove_many`): their
    subtrees, copied side by side with a virtual source each, form one block-diagonal graph and
    one multi-source Dijkstra settles them all (the blocks never touch).
    """

    def __init__(self, index: GraphIndex, dist: np.ndarray, pred: np.ndarray) -> None:
        self.index, self.dist, self.pred = index, dist, pred
        n = len(dist)
        incoming = index.matrix.T.tocsr()  # row x: the edges w → x
        incoming.sort_indices()
        self._in_ptr, self._in_from, self._in_cost = incoming.indptr, incoming.indices.astype(np.int64), incoming.data
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
        """Disjoint preorder ranges ``[start, end)``: the subtrees below the forest edges among
        ``edges`` and the trees of ``sources``."""
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
        return next(self.remove_many([(edges, sources)]))

    def remove_many(
        self, failures: Iterable[tuple[Sequence[tuple[int, int]], Sequence[int]]], batch: int = _BATCH
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """:meth:`remove` for each ``(edges, sources)``, in order, solved ``batch`` subtree nodes at a time."""
        pending: list[tuple[list[tuple[int, int]], list[tuple[int, int]], np.ndarray]] = []
        held = 0
        for edges, sources in failures:
            ranges = self._ranges(edges, sources)
            tins, order = self._watch_tin, self._watch_order
            parts = [order[np.searchsorted(tins, a) : np.searchsorted(tins, b)] for a, b in ranges]
            hit = np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
            if len(hit) == 0:
                ranges = []  # nothing watched below: nothing to compute
            pending.append((list(edges), ranges, hit))
            held += sum(b - a for a, b in ranges)
            if held >= batch:
                yield from self._solve(pending)
                pending, held = [], 0
        yield from self._solve(pending)

    def _solve(
        self, items: list[tuple[list[tuple[int, int]], list[tuple[int, int]], np.ndarray]]
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One Dijkstra over the block-diagonal copy of every item's subtrees; each item's answer."""
        n = len(self.dist)
        spans = [(k, a, b) for k, (_, ranges, _) in enumerate(items) for a, b in ranges]
        if not spans:
            for _, _, hit in items:
                yield hit, np.empty(0)
            return
        blk = np.array([k for k, _, _ in spans], dtype=np.int64)
        lo = np.array([a for _, a, _ in spans], dtype=np.int64)
        hi = np.array([b for _, _, b in spans], dtype=np.int64)
        offset = np.concatenate([[0], np.cumsum(hi - lo)])  # where each span's copy starts
        total = int(offset[-1])
        span_of = np.repeat(np.arange(len(spans)), hi - lo)
        nodes = self.order[lo[span_of] + np.arange(total) - offset[span_of]]
        node_blk = blk[span_of]
        # the incoming edges w → x of every copied node x, gathered without scipy indexing
        ptr = self._in_ptr
        counts = ptr[nodes + 1] - ptr[nodes]
        x = np.repeat(np.arange(total), counts)
        first = np.cumsum(counts) - counts
        at = np.arange(len(x)) - first[x] + ptr[nodes][x]
        w, cost, b = self._in_from[at], self._in_cost[at], node_blk[x]
        keep = np.ones(len(w), dtype=bool)
        removed = [(k * n + u) * n + v for k, (edges, _, _) in enumerate(items) for u, v in edges]
        if removed:
            keep = ~np.isin((b * n + w) * n + nodes[x], np.array(removed, dtype=np.int64))
        # is w inside the same item's copy? its span: the last span of that item starting at or before w
        key = b * (n + 1) + self.tin[w]
        s = np.searchsorted(blk * (n + 1) + lo, key, side="right") - 1
        inside = (s >= 0) & (self.tin[w] >= 0)
        s = np.maximum(s, 0)
        inside &= (blk[s] == b) & (self.tin[w] < hi[s])
        local = offset[s] + self.tin[w] - lo[s]
        inner, outer = keep & inside, keep & ~inside
        seed = np.where(outer, self.dist[w] + cost, np.inf)
        best = np.full(total, np.inf)
        has = counts > 0
        if has.any():
            best[has] = np.minimum.reduceat(seed, first[has])
        seeded = np.flatnonzero(np.isfinite(best))
        virtual = total + node_blk[seeded]  # one virtual source per item, after the copies
        rows = np.concatenate([virtual, local[inner]])
        cols = np.concatenate([seeded, x[inner]])
        vals = np.concatenate([best[seeded], cost[inner]])
        size = total + len(items)
        graph = csr_matrix((vals, (rows, cols)), shape=(size, size))
        dist = dijkstra(graph, directed=True, indices=total + np.unique(blk), min_only=True)
        for k, (_, ranges, hit) in enumerate(items):
            if not len(hit):
                yield hit, np.empty(0)
                continue
            tin = self.tin[self._watched[hit]]
            first_span = int(np.searchsorted(blk, k))
            starts = lo[first_span : first_span + len(ranges)]
            which = np.searchsorted(starts, tin, side="right") - 1 + first_span
            yield hit, dist[offset[which] + tin - lo[which]]


def min_csr(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n: int) -> csr_matrix:
    """The ``n × n`` CSR matrix of the edges ``rows → cols``: the fastest of parallel ones, rows sorted."""
    vals = np.maximum(vals, _TINY)
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return csr_matrix((vals[first], (rows[first], cols[first])), shape=(n, n))
