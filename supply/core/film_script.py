"""What every film script takes from the scenario: routes as coordinates, a link's segments, and the
disruptions a drill schedules (with their events and chapter headings).

Shared by the simulated film (:mod:`simulation.film`) and the live one (:mod:`supply.drills.film`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from supply.core.errors import UnreachableError
from supply.core.network import Network
from supply.core.routing import fastest_route
from supply.core.timeline import Disruption, Event, LatLon

#: Minutes a "stock lost" marker stays on the map.
LOSS_SHOWN = 90.0


def route_path(net: Network, origin: str, destination: str) -> tuple[LatLon, ...]:
    """The fastest route's nodes as (lat, lon); a straight line where there is no route."""
    g = net.graph
    try:
        nodes = fastest_route(net, origin, destination).path
    except UnreachableError:
        nodes = [origin, destination]
    return tuple((float(g.nodes[n]["lat"]), float(g.nodes[n]["lon"])) for n in nodes)


def link_segments(net: Network, ref: str) -> tuple[tuple[LatLon, LatLon], ...]:
    """A link's edges as coordinate pairs, each undirected edge once."""
    g = net.graph
    seen: set[frozenset[str]] = set()
    out = []
    for u, v in net.link_edges(ref):
        if frozenset((u, v)) not in seen:
            seen.add(frozenset((u, v)))
            out.append(((g.nodes[u]["lat"], g.nodes[u]["lon"]), (g.nodes[v]["lat"], g.nodes[v]["lon"])))
    return tuple(out)


def scheduled_disruptions(
    events: Sequence[Mapping[str, Any]], net: Network
) -> tuple[tuple[Disruption, ...], list[Event]]:
    """A drill's ``[[drill.events]]`` (as dicts) as disruptions, their events, and a chapter heading each."""
    out: list[Disruption] = []
    said: list[Event] = []
    for e in events:
        start = float(e["at_hour"]) * 60
        end = float(e["until_hour"]) * 60 if e.get("until_hour") is not None else None
        heading: tuple[str, str] | None = None
        if e.get("close"):
            ref = e["close"]
            out.append(Disruption("close", ref, start, end, link_segments(net, ref)))
            said.append(Event(start, "closed", ref, detail={"until": end}))
            if end is not None:
                said.append(Event(end, "reopened", ref))
            heading = (f"突发：{ref} 封闭", f"Disruption: {ref} closed")
        if e.get("offline"):
            code = e["offline"]
            out.append(Disruption("offline", code, start, end))
            said.append(Event(start, "offline", code, code))
            if end is not None:
                said.append(Event(end, "online", code, code))
            heading = (f"突发：{code} 停止保障", f"Disruption: {code} out of action")
        if e.get("slow"):
            ref, factor = e["slow"]["link"], e["slow"]["factor"]
            out.append(Disruption("slow", ref, start, end, link_segments(net, ref), {"factor": factor}))
            said.append(Event(start, "slowed", ref, detail={"factor": factor}))
        if e.get("lose"):
            lose = e["lose"]
            detail = {"item": lose["item"], "quantity": lose["quantity"]}
            out.append(Disruption("lose", lose["station"], start, start + LOSS_SHOWN, detail=detail))
            said.append(Event(start, "lost", lose["station"], lose["station"], detail=detail))
            heading = heading or (f"突发：{lose['station']} 物资损失", f"Disruption: stock lost at {lose['station']}")
        if heading is not None:
            said.append(Event(start + 0.001, "chapter", "event", detail={"zh": heading[0], "en": heading[1]}))
    return tuple(out), said


def day_chapters(hours: float) -> list[Event]:
    """A chapter heading at the start of each day of the drill."""
    days = max(1, int(-(-hours // 24)))
    return [
        Event(day * 1440.0, "chapter", f"D{day + 1}", detail={"zh": f"第 {day + 1} 天", "en": f"Day {day + 1}"})
        for day in range(days)
    ]
