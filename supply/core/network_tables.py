"""A network as flat arrays: what the compiled-network cache stores and memory-maps back.

A networkx graph of a city (200,000 road nodes, 750,000 directed edges, a dict per edge) costs
seconds to unpickle or rebuild; the analyses need none of it. :class:`NetworkTables` holds the
same graph as arrays — node ids and coordinates, each directed edge's ends, minutes, km, mode,
link reference, name and labels (strings as ids into one string table), and the compiled CSR
matrix routing computes on — so a cached network is a handful of ``.npy`` files memory-mapped in
milliseconds (:mod:`supply.core.network_cache`). The lookups N-1 needs (the edges a link name
closes, the names of an edge) run on these arrays; the networkx graph is rebuilt from them,
identical (nodes, edges, attributes and their order), only for what still speaks networkx
(single routes, maps' point lookups).

Edges keep the graph's order (``graph.edges``: by node, then insertion), so every grouping of
edges comes out in the order the graph would give it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix

from supply.core.graph_index import GraphIndex, min_csr
from supply.core.scenario import Junction, Scenario, Site, Station

#: Joins the strings of a table into one text: no stored string may hold it (texts refuse control characters).
SEP = "\x00"
#: The arrays a table is made of, as stored (``strings``/``node_ids``: one text each, :data:`SEP`-joined).
ARRAYS = (
    "node_kind",
    "lat",
    "lon",
    "src",
    "dst",
    "minutes",
    "km",
    "mode",
    "ref",
    "name",
    "labelled",
    "label_ptr",
    "labels",
    "csr_indptr",
    "csr_indices",
    "csr_data",
)


def place_attrs(place: Station | Site | Junction) -> dict:
    """A place's node attributes, as :func:`supply.core.network.build_network` gives them."""
    attrs = {"kind": type(place).__name__.lower(), "lat": place.lat, "lon": place.lon, "name": place.name}
    attrs.update({k: getattr(place, k) for k in ("tier", "ring") if hasattr(place, k)})
    return attrs


class _Strings:
    """Strings ↔ ids, in first-seen order."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def id(self, value: object) -> int:
        if value is None:
            return -1
        text = str(value)
        return self.ids.setdefault(text, len(self.ids))


@dataclass(frozen=True, eq=False)
class NetworkTables:
    """A directed graph as arrays (see the module doc); ``-1`` stands for a missing string."""

    arrays: Mapping[str, np.ndarray]
    node_text: str
    string_text: str

    # --- building and storing -------------------------------------------------------------------
    @classmethod
    def from_graph(cls, graph: nx.DiGraph, index: GraphIndex | None = None) -> NetworkTables:
        """The tables of ``graph`` (``index``: its compiled form, if already built)."""
        strings = _Strings()
        nodes = list(graph.nodes)
        if any(SEP in n for n in map(str, nodes)):
            raise ValueError("a node id holds a NUL character")
        position = {n: i for i, n in enumerate(nodes)}
        node_data = [d for _, d in graph.nodes(data=True)]
        kinds = np.array([strings.id(d.get("kind")) for d in node_data], dtype=np.int32)
        lat = np.array([d.get("lat", np.nan) for d in node_data], dtype=np.float64)
        lon = np.array([d.get("lon", np.nan) for d in node_data], dtype=np.float64)
        m = graph.number_of_edges()
        src, dst = np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64)
        minutes, km = np.empty(m, dtype=np.float64), np.empty(m, dtype=np.float64)
        mode, ref, name = (np.empty(m, dtype=np.int32) for _ in range(3))
        labelled = np.zeros(m, dtype=bool)
        counts = np.zeros(m, dtype=np.int64)
        label_ids: list[int] = []
        for k, (u, v, d) in enumerate(graph.edges(data=True)):
            src[k], dst[k] = position[u], position[v]
            minutes[k], km[k] = d["minutes"], d.get("km", np.nan)
            mode[k], ref[k], name[k] = strings.id(d.get("mode")), strings.id(d.get("ref")), strings.id(d.get("name"))
            if "labels" in d:
                labelled[k] = True
                counts[k] = len(d["labels"])
                label_ids.extend(strings.id(x) for x in d["labels"])
        index = index or GraphIndex.from_graph(graph)
        texts = list(strings.ids)
        if any(SEP in t for t in texts):
            raise ValueError("a name or reference holds a NUL character")
        arrays = {
            "node_kind": kinds,
            "lat": lat,
            "lon": lon,
            "src": src,
            "dst": dst,
            "minutes": minutes,
            "km": km,
            "mode": mode,
            "ref": ref,
            "name": name,
            "labelled": labelled,
            "label_ptr": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            "labels": np.array(label_ids, dtype=np.int32),
            "csr_indptr": index.matrix.indptr,
            "csr_indices": index.matrix.indices,
            "csr_data": index.matrix.data,
        }
        return cls(arrays, _join(map(str, nodes)), _join(texts))

    # --- what the analyses read -----------------------------------------------------------------
    @cached_property
    def nodes(self) -> list[str]:
        return self.node_text.split(SEP)[1:]

    @cached_property
    def strings(self) -> list[str]:
        return self.string_text.split(SEP)[1:]

    def text(self, i: int) -> str | None:
        return None if i < 0 else self.strings[i]

    @cached_property
    def string_id(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.strings)}

    def index(self) -> GraphIndex:
        """The compiled routing index: the stored CSR matrix (sorted rows, duplicates collapsed)."""
        n = len(self.nodes)
        a = self.arrays
        matrix = csr_matrix((a["csr_data"], a["csr_indices"], a["csr_indptr"]), shape=(n, n))
        matrix.has_sorted_indices = True  # as min_csr built it: never sorted (written) in place
        return GraphIndex(self.nodes, {x: i for i, x in enumerate(self.nodes)}, matrix)

    @cached_property
    def _ends(self) -> tuple[list[int], list[int]]:
        return self.arrays["src"].tolist(), self.arrays["dst"].tolist()

    def edge(self, k: int) -> tuple[str, str]:
        src, dst = self._ends
        return self.nodes[src[k]], self.nodes[dst[k]]

    @cached_property
    def _edge_keys(self) -> tuple[list[int], list[int]]:
        """Every edge's ``src × n + dst``, sorted, and the rows in that order (lists: bisected a key at a time)."""
        keys = np.asarray(self.arrays["src"]) * len(self.nodes) + self.arrays["dst"]
        order = np.argsort(keys, kind="stable")
        return keys[order].tolist(), order.tolist()

    def edge_id(self, u: str, v: str, position: Mapping[str, int]) -> int:
        """The edge ``u → v``'s row, ``-1``: no such edge."""
        if u not in position or v not in position:
            return -1
        keys, order = self._edge_keys
        key = position[u] * len(self.nodes) + position[v]
        k = bisect_left(keys, key)
        return order[k] if k < len(keys) and keys[k] == key else -1

    @cached_property
    def _label_rows(self) -> tuple[list[int], list[int]]:
        """Each edge's labels (its ``labels``, else its ``name``), as ``(edge, label)`` rows in edge order."""
        a = self.arrays
        counts = np.diff(a["label_ptr"])
        edge = np.repeat(np.arange(len(counts)), counts)
        label = np.asarray(a["labels"], dtype=np.int64)
        by_name = np.flatnonzero((counts == 0) & (a["name"] >= 0))
        by_name = by_name[[bool(self.strings[i]) for i in a["name"][by_name].tolist()]]  # an empty name is none
        edge = np.concatenate([edge, by_name])
        label = np.concatenate([label, a["name"][by_name].astype(np.int64)])
        order = np.lexsort((edge, label))
        return label[order].tolist(), edge[order].tolist()

    @cached_property
    def _ref_rows(self) -> tuple[list[int], list[int]]:
        ref = np.asarray(self.arrays["ref"], dtype=np.int64)
        order = np.argsort(ref, kind="stable")
        return ref[order].tolist(), order.tolist()

    def edges_labelled(self, text: str) -> tuple[list[int], list[int]]:
        """Rows of the edges whose ``ref`` is ``text``, and of those labelled (or named) ``text``; edge order."""
        i = self.string_id.get(text)
        if i is None:
            return [], []
        out = []
        for keys, rows in (self._ref_rows if text else ([], []), self._label_rows):
            out.append(rows[bisect_left(keys, i) : bisect_right(keys, i)])
        return out[0], out[1]

    def refs(self) -> list[str]:
        """Every link reference, once."""
        ids = np.unique(self.arrays["ref"])
        return [self.strings[i] for i in ids.tolist() if i >= 0 and self.strings[i]]

    def edge_labels(self, k: int) -> tuple[str, ...]:
        """An edge's labels: its ``labels``, else its ``name`` (an empty or missing one: none)."""
        a = self.arrays
        lo, hi = int(a["label_ptr"][k]), int(a["label_ptr"][k + 1])
        if hi > lo:
            return tuple(self.strings[i] for i in a["labels"][lo:hi].tolist())
        name = self.text(int(a["name"][k]))
        return (name,) if name else ()

    # --- changes ----------------------------------------------------------------------------------
    def edited(self, keep: np.ndarray, minutes: np.ndarray) -> NetworkTables:
        """The same tables with only the edges ``keep`` (a mask), at ``minutes``; the CSR rebuilt."""
        a = dict(self.arrays)
        for key in ("src", "dst", "km", "mode", "ref", "name", "labelled"):
            a[key] = np.asarray(a[key])[keep]
        a["minutes"] = np.asarray(minutes)[keep]
        ptr = np.asarray(a["label_ptr"])
        counts = np.diff(ptr)[keep]
        rows = np.repeat(keep, np.diff(ptr))
        a["labels"] = np.asarray(a["labels"])[rows]
        a["label_ptr"] = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        matrix = min_csr(a["src"], a["dst"], a["minutes"], len(self.nodes))
        a["csr_indptr"], a["csr_indices"], a["csr_data"] = matrix.indptr, matrix.indices, matrix.data
        out = NetworkTables(a, self.node_text, self.string_text)
        out.__dict__["nodes"] = self.nodes  # cached_property slots: decoded once
        out.__dict__["strings"] = self.strings
        return out

    # --- the graph again --------------------------------------------------------------------------
    def to_graph(self, scenario: Scenario) -> nx.DiGraph:
        """The networkx graph these tables were made from by :func:`~supply.core.network.build_network`:
        places' attributes from the scenario, road nodes' from the arrays; the same order throughout."""
        a = self.arrays
        g = nx.DiGraph(name=scenario.scenario.name)
        places = {p.code: p for p in scenario.places()}
        strings = self.strings
        kinds, lats, lons = a["node_kind"].tolist(), a["lat"].tolist(), a["lon"].tolist()
        for node, kind, lat, lon in zip(self.nodes, kinds, lats, lons, strict=True):
            place = places.get(node)
            g.add_node(node, **(place_attrs(place) if place is not None else _road_attrs(strings, kind, lat, lon)))
        nodes, ptr, labels = self.nodes, a["label_ptr"].tolist(), a["labels"].tolist()
        cols = (a[k].tolist() for k in ("src", "dst", "minutes", "km", "mode", "ref", "name", "labelled"))
        for k, (u, v, minutes, km, mode, ref, name, labelled) in enumerate(zip(*cols, strict=True)):
            d = {
                "minutes": minutes,
                "km": km,
                "mode": strings[mode] if mode >= 0 else None,
                "ref": strings[ref] if ref >= 0 else None,
                "name": strings[name] if name >= 0 else None,
            }
            if labelled:
                d["labels"] = tuple(strings[i] for i in labels[ptr[k] : ptr[k + 1]])
            g.add_edge(nodes[u], nodes[v], **d)
        return g


def _join(texts: Iterable[str]) -> str:
    """Each text preceded by :data:`SEP` (so ``split(SEP)[1:]`` gives them back, none for an empty list)."""
    return "".join(SEP + t for t in texts)


def _road_attrs(strings: Sequence[str], kind: int, lat: float, lon: float) -> dict:
    return {"kind": strings[kind], "lat": lat, "lon": lon} if kind >= 0 else {"lat": lat, "lon": lon}
