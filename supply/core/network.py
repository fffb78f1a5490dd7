"""The network as a networkx graph, and disruptions applied to it.

Nodes are scenario codes (stations, sites, junctions) and, for scenarios built on an OSM road
network, ``osm:<id>`` road nodes. Every edge is directed and carries ``minutes``, ``km``,
``mode`` (road | sea) and ``ref`` (the link's name, or ``A~B``). networkx is the model the
code speaks; :mod:`supply.core.graph_index` is the compiled copy routing computes on, and
:mod:`supply.core.osm` adds an OSM road network read from GraphML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx

from supply.core.errors import InvalidArgumentError, UnknownCodeError
from supply.core.graph_index import GraphIndex
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
    """A scenario's graph with the disruptions in force. Build with :func:`build_network`."""

    scenario: Scenario
    graph: nx.DiGraph
    offline: frozenset[str] = frozenset()
    disruptions: Disruptions = field(default_factory=Disruptions)

    @cached_property
    def index(self) -> GraphIndex:
        """The compiled (CSR) form of :attr:`graph`, built once."""
        return GraphIndex.from_graph(self.graph)

    def station_codes(self, tiers: list[str] | None = None) -> list[str]:
        """Stations able to serve (not offline), optionally of the given tiers only."""
        return [s.code for s in self.scenario.stations if s.code not in self.offline and (not tiers or s.tier in tiers)]

    @cached_property
    def _edges_by_label(self) -> tuple[dict[str, list[tuple[str, str]]], dict[str, list[tuple[str, str]]]]:
        """Directed edges grouped by ``ref`` and by every label (``labels``, else ``name``), built once."""
        by_ref: dict[str, list[tuple[str, str]]] = {}
        by_name: dict[str, list[tuple[str, str]]] = {}
        for u, nbrs in self.graph.adjacency():
            for v, data in nbrs.items():
                if ref := data.get("ref"):
                    by_ref.setdefault(ref, []).append((u, v))
                for label in data.get("labels") or ((data["name"],) if data.get("name") else ()):
                    by_name.setdefault(label, []).append((u, v))
        return by_ref, by_name

    def link_edges(self, ref: str) -> list[tuple[str, str]]:
        """The directed edges a link reference names, both directions of a two-way link.

        A link's ref or any of its names (an OSM street whose merged segments carry several names
        is closed by each); ``A~B`` in either order; ``A>B``: the one direction A → B only.
        """
        by_ref, by_name = self._edges_by_label
        edges = list(dict.fromkeys(by_ref.get(ref, []) + by_name.get(ref, [])))
        if not edges and "~" in ref:
            a, b = ref.split("~", 1)
            edges = list(by_ref.get(f"{b}~{a}", [])) or [e for e in ((a, b), (b, a)) if self.graph.has_edge(*e)]
        if not edges and ">" in ref:
            a, b = ref.split(">", 1)
            edges = [(a, b)] if self.graph.has_edge(a, b) else []
        if not edges:
            raise UnknownCodeError("link", ref, sorted(by_ref))
        return edges

    def link_ref(self, a: str, b: str) -> str:
        """The link the directed edge ``a → b`` belongs to: what N-1 fails and ``--close`` takes."""
        return self.graph.edges[a, b].get("ref") or f"{a}~{b}"

    def link_names(self, a: str, b: str) -> list[str]:
        """Every reference ``--close`` takes that closes the edge ``a → b``: its link ref, then each of its
        names and road numbers (an OSM way's ``name`` and ``ref``, list values included)."""
        data = self.graph.edges[a, b]
        names = data.get("labels") or ((data["name"],) if data.get("name") else ())
        return list(dict.fromkeys([self.link_ref(a, b), *names]))

    def disrupted(self, disruptions: Disruptions) -> Network:
        """A new network with ``disruptions`` applied on top of this one's."""
        if not disruptions:
            return self
        for code in disruptions.offline:
            self.scenario.station(code)  # raises UnknownCodeError with suggestions
        g = self.graph.copy()
        for ref in disruptions.close:
            g.remove_edges_from(self.link_edges(ref))
        for ref, factor in disruptions.slow:
            for u, v in self.link_edges(ref):
                if g.has_edge(u, v):
                    g.edges[u, v]["minutes"] *= factor
        merged = Disruptions(
            self.disruptions.close + disruptions.close,
            self.disruptions.offline + disruptions.offline,
            self.disruptions.slow + disruptions.slow,
        )
        return Network(self.scenario, g, self.offline | set(disruptions.offline), merged)

    def links(self) -> list[tuple[str, str, str]]:
        """Each undirected link once, as ``(ref, a, b)``: the units of N-1 analysis."""
        seen: dict[str, tuple[str, str, str]] = {}
        for u, v, ref in self.graph.edges(data="ref"):
            key = ref or f"{u}~{v}"
            if key not in seen:
                seen[key] = (key, u, v)
        return list(seen.values())


def build_network(scenario: Scenario, disruptions: Disruptions | None = None) -> Network:
    """The scenario's graph (with its OSM road network, if it names one), then disruptions."""
    g = nx.DiGraph(name=scenario.scenario.name)
    for place in scenario.places():
        kind = type(place).__name__.lower()
        attrs = {"kind": kind, "lat": place.lat, "lon": place.lon, "name": place.name}
        attrs.update({k: getattr(place, k) for k in ("tier", "ring") if hasattr(place, k)})
        g.add_node(place.code, **attrs)
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
