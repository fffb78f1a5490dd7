"""The network as a networkx graph, and disruptions applied to it.

Nodes are scenario codes (stations, sites, junctions) and, for scenarios built on an OSM road
network, ``osm:<id>`` road nodes. Every edge is directed and carries ``minutes``, ``km``,
``mode`` (road | sea) and ``ref`` (the link's name, or ``A~B``). networkx is the model the
code speaks; :mod:`supply.core.graph_index` is the compiled copy routing computes on, and
:mod:`supply.core.osm` adds an OSM road network read from GraphML.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np

from supply.core.errors import InvalidArgumentError, UnknownCodeError
from supply.core.graph_index import GraphIndex
from supply.core.network_tables import NetworkTables, place_attrs
from supply.core.osm import add_osm_roads
from supply.core.scenario import Scenario


@dataclass(frozen=True)
class Disruptions:
    """What is broken: closed links, stations offline (their roads stay open), slowed links."""

    close: tuple[str, ...] = ()
    offline: tuple[str, ...] = ()
    slow: tuple[tuple[str, float], ...] = ()

    @classmethod
    def parse(
        cls, close: list[str] | None = None, offline: list[str] | None = None, slow: list[str] | None = None
    ) -> Disruptions:
        """Build from CLI-style strings; ``slow`` items look like ``A~B=1.5``."""
        pairs = []
        for item in slow or []:
            ref, sep, factor = item.rpartition("=")
            try:
                value = float(factor)
            except ValueError:
                value = float("nan")
            if not sep or not ref or not value > 0:
                msg = f"--slow '{item}': expected LINK=FACTOR with a factor > 0, e.g. A~B=1.5"
                raise InvalidArgumentError(msg)
            pairs.append((ref, value))
        return cls(tuple(close or ()), tuple(offline or ()), tuple(pairs))

    def __bool__(self) -> bool:
        return bool(self.close or self.offline or self.slow)

    def describe(self) -> str:
        """One line for titles and tables."""
        parts = [f"closed {c}" for c in self.close] + [f"{o} offline" for o in self.offline]
        parts += [f"{ref} ×{f:g}" for ref, f in self.slow]
        return "; ".join(parts) or "no disruptions"


@dataclass
class Network:
    """A scenario's graph with the disruptions in force. Build with :func:`build_network`.

    Made from a networkx graph, or from its :class:`~supply.core.network_tables.NetworkTables`
    (the compiled-network cache's arrays): each form is derived from the other on first use, so a
    network loaded from the cache computes coverage and N-1 on its arrays and rebuilds the graph
    only for what needs it (single routes, maps).
    """

    scenario: Scenario
    source: InitVar[nx.DiGraph | NetworkTables]
    offline: frozenset[str] = frozenset()
    disruptions: Disruptions = field(default_factory=Disruptions)

    def __post_init__(self, source: nx.DiGraph | NetworkTables) -> None:
        self.__dict__["tables" if isinstance(source, NetworkTables) else "graph"] = source  # cached_property slots

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The networkx graph (rebuilt from :attr:`tables`, identical, when the network was loaded as arrays)."""
        return self.tables.to_graph(self.scenario)

    @cached_property
    def tables(self) -> NetworkTables:
        """The graph as arrays, built once (:mod:`supply.core.network_tables`)."""
        return NetworkTables.from_graph(self.graph, self.index)

    @cached_property
    def index(self) -> GraphIndex:
        """The compiled (CSR) form of :attr:`graph`, built once (stored in :attr:`tables` when loaded as arrays)."""
        if "tables" in self.__dict__:
            return self.tables.index()
        return GraphIndex.from_graph(self.graph)

    @cached_property
    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """Every node's latitude and longitude, in :attr:`index` order."""
        if "tables" in self.__dict__:
            return np.asarray(self.tables.arrays["lat"]), np.asarray(self.tables.arrays["lon"])
        data = [self.graph.nodes[n] for n in self.index.nodes]
        return np.array([d["lat"] for d in data], dtype=float), np.array([d["lon"] for d in data], dtype=float)

    def station_codes(self, tiers: list[str] | None = None) -> list[str]:
        """Stations able to serve (not offline), optionally of the given tiers only."""
        return [s.code for s in self.scenario.stations if s.code not in self.offline and (not tiers or s.tier in tiers)]

    def _edge_id(self, a: str, b: str) -> int:
        """The row of the edge ``a → b`` in :attr:`tables`; ``KeyError`` if there is none."""
        k = self.tables.edge_id(a, b, self.index.position)
        if k < 0:
            raise KeyError((a, b))
        return k

    def has_node(self, code: str) -> bool:
        """Whether ``code`` is a node of the network (from :attr:`index`: no graph rebuilt from arrays)."""
        return code in self.index.position

    def has_edge(self, a: str, b: str) -> bool:
        return self.tables.edge_id(a, b, self.index.position) >= 0

    def link_edges(self, ref: str) -> list[tuple[str, str]]:
        """The directed edges a link reference names, both directions of a two-way link.

        A link's ref or any of its names (an OSM street whose merged segments carry several names
        is closed by each); ``A~B`` in either order; ``A>B``: the one direction A → B only.
        """
        t = self.tables
        by_ref, by_name = t.edges_labelled(ref)
        edges = [t.edge(k) for k in dict.fromkeys(by_ref + by_name)]
        if not edges and "~" in ref:
            a, b = ref.split("~", 1)
            edges = [t.edge(k) for k in t.edges_labelled(f"{b}~{a}")[0]]
            edges = edges or [e for e in ((a, b), (b, a)) if self.has_edge(*e)]
        if not edges and ">" in ref:
            a, b = ref.split(">", 1)
            edges = [(a, b)] if self.has_edge(a, b) else []
        if not edges:
            raise UnknownCodeError("link", ref, sorted(t.refs()))
        return edges

    def link_ref(self, a: str, b: str) -> str:
        """The link the directed edge ``a → b`` belongs to: what N-1 fails and ``--close`` takes."""
        return self.tables.text(int(self.tables.arrays["ref"][self._edge_id(a, b)])) or f"{a}~{b}"

    def link_names(self, a: str, b: str) -> list[str]:
        """Every reference ``--close`` takes that closes the edge ``a → b``: its link ref, then each of its
        names and road numbers (an OSM way's ``name`` and ``ref``, list values included)."""
        return list(dict.fromkeys([self.link_ref(a, b), *self.tables.edge_labels(self._edge_id(a, b))]))

    def disrupted(self, disruptions: Disruptions) -> Network:
        """A new network with ``disruptions`` applied on top of this one's (on the graph if it is
        built, else on the arrays: the same network either way)."""
        if not disruptions:
            return self
        for code in disruptions.offline:
            self.scenario.station(code)  # raises UnknownCodeError with suggestions
        merged = Disruptions(
            self.disruptions.close + disruptions.close,
            self.disruptions.offline + disruptions.offline,
            self.disruptions.slow + disruptions.slow,
        )
        offline = self.offline | set(disruptions.offline)
        if "graph" not in self.__dict__:
            return Network(self.scenario, self._disrupted_tables(disruptions), offline, merged)
        g = self.graph.copy()
        for ref in disruptions.close:
            g.remove_edges_from(self.link_edges(ref))
        for ref, factor in disruptions.slow:
            for u, v in self.link_edges(ref):
                if g.has_edge(u, v):
                    g.edges[u, v]["minutes"] *= factor
        return Network(self.scenario, g, offline, merged)

    def _disrupted_tables(self, disruptions: Disruptions) -> NetworkTables:
        t = self.tables
        keep = np.ones(len(t.arrays["src"]), dtype=bool)
        minutes = np.array(t.arrays["minutes"], dtype=np.float64)
        for ref in disruptions.close:
            keep[[self._edge_id(u, v) for u, v in self.link_edges(ref)]] = False
        for ref, factor in disruptions.slow:
            for u, v in self.link_edges(ref):
                k = self._edge_id(u, v)
                if keep[k]:
                    minutes[k] *= factor
        return t.edited(keep, minutes)

    def nodes_on(self, mode: str) -> list[str]:
        """The nodes an edge of ``mode`` (``sea``, ``road``) leaves from, in graph order."""
        t = self.tables
        mode_id = t.string_id.get(mode, -2)
        rows = np.flatnonzero(np.asarray(t.arrays["mode"]) == mode_id)
        return [self.index.nodes[i] for i in np.unique(np.asarray(t.arrays["src"])[rows]).tolist()]

    def links(self) -> list[tuple[str, str, str]]:
        """Each undirected link once, as ``(ref, a, b)``: the units of N-1 analysis."""
        t = self.tables
        ref = np.asarray(t.arrays["ref"])
        named = np.flatnonzero(ref >= 0)
        named = named[[bool(t.strings[i]) for i in ref[named].tolist()]]
        _, first = np.unique(ref[named], return_index=True)
        rows = np.union1d(named[first], np.setdiff1d(np.arange(len(ref)), named))  # a ref's first edge, or unnamed
        seen: dict[str, tuple[str, str, str]] = {}
        for k in rows.tolist():
            u, v = t.edge(k)
            key = t.text(int(ref[k])) or f"{u}~{v}"
            if key not in seen:
                seen[key] = (key, u, v)
        return list(seen.values())


def build_network(scenario: Scenario, disruptions: Disruptions | None = None) -> Network:
    """The scenario's graph (with its OSM road network, if it names one), then disruptions."""
    g = nx.DiGraph(name=scenario.scenario.name)
    for place in scenario.places():
        g.add_node(place.code, **place_attrs(place))
    if scenario.scenario.graphml:
        add_osm_roads(g, scenario)
    for link in scenario.links:
        minutes, km = scenario.link_minutes_km(link)
        attrs = {"minutes": minutes, "km": km, "mode": link.mode, "ref": link.ref, "name": link.name}
        g.add_edge(link.a, link.b, **attrs)
        if not link.one_way:
            g.add_edge(link.b, link.a, **attrs)
    net = Network(scenario, g)
    return net.disrupted(disruptions) if disruptions else net
