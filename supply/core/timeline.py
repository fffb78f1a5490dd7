"""A drill as a film's script: who was where, when, and what happened — plain, immutable data.

The simulation (one replication, from its own event records), a live drill (from the database's
recorded times) and any renderer (``maps.film``) share this vocabulary, so a film never needs to
know where its story came from. Times are *minutes since the drill's start* (D1 00:00).

- :class:`Place`: a station or a site where units arrive, with its coordinates.
- :class:`Move`: something on the road between two places along its actual route — a unit
  (``unit``), a field kitchen (``kitchen``), a fuel or water truck (``fuel_truck``,
  ``water_truck``), a restock run from the hub (``restock``) or a handover team bringing a unit
  its meals (``handover``).
- :class:`Event`: a thing that happened at a minute; :data:`EVENT_KINDS` lists the kinds. A unit
  is *at* a station from its ``arrives`` to its ``leaves`` event there.
- :class:`StockLevel`: an item's level at a station at a minute (the gauges).
- :class:`Disruption`: a link closed or slowed, a station offline, or stock lost, from ``start``
  to ``end`` (``None``: to the end of the drill), with the link's coordinates to draw.
- :class:`Timeline`: all of it, with the drill's horizon and where it came from.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

#: What an :class:`Event` can say. ``arrives``/``leaves``: a unit reaches or leaves a station (or, for
#: mobile support, the site its field kitchens serve); ``queues``: its people wait for seats;
#: ``seated``: the first of them sit down; ``fed``/``refuelled``: the last of its people fed, vehicles
#: refuelled; ``missed``: it left with people unfed or vehicles unrefuelled; ``departs``/``returns``:
#: a field kitchen or truck leaves its station or is back; ``on_site``: it reached the unit;
#: ``restocked``: a restock delivered; ``closed``/``reopened``/``offline``/``online``/``slowed``/
#: ``lost``: disruptions; ``order``: an order issued (live drills); ``chapter``: a heading (a day, a
#: disruption, a procedure step).
EVENT_KINDS = (
    "arrives",
    "queues",
    "seated",
    "fed",
    "refuelled",
    "leaves",
    "missed",
    "departs",
    "on_site",
    "returns",
    "restocked",
    "closed",
    "reopened",
    "offline",
    "online",
    "slowed",
    "lost",
    "order",
    "chapter",
)
MOVE_KINDS = ("unit", "kitchen", "fuel_truck", "water_truck", "restock", "handover")
DISRUPTION_KINDS = ("close", "slow", "offline", "lose")

LatLon = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: str
    lat: float
    lon: float
    kind: str  # a station's tier (hub, wing, point), or "site"


@dataclass(frozen=True, slots=True)
class Move:
    """``subject`` on the road from ``origin`` to ``destination``, ``start`` to ``end``, along ``path``."""

    subject: str
    kind: str
    start: float
    end: float
    origin: str
    destination: str
    path: tuple[LatLon, ...]

    def position(self, minute: float) -> LatLon:
        """Where it is at ``minute`` (clamped to the trip), moving at an even pace along the path."""
        if len(self.path) == 1 or self.end <= self.start:
            return self.path[-1] if minute >= self.end else self.path[0]
        share = min(1.0, max(0.0, (minute - self.start) / (self.end - self.start)))
        legs = [math.dist(a, b) for a, b in zip(self.path, self.path[1:], strict=False)]
        total = sum(legs)
        if total <= 0:
            return self.path[0]
        left = share * total
        for (a, b), leg in zip(zip(self.path, self.path[1:], strict=False), legs, strict=True):
            if left <= leg and leg > 0:
                f = left / leg
                return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)
            left -= leg
        return self.path[-1]


@dataclass(frozen=True, slots=True)
class Event:
    """``subject`` (a unit, a truck, a link) did ``kind`` at ``minute`` (at ``station``, where there is one).

    ``people``/``vehicles``: how many it concerns; ``detail``: plain facts for the caption (``seats``,
    ``sittings``, ``wait_minutes``, ``outcome``, ``item``, ``quantity``...); ``planned``: for a live
    drill, the minute the plan gave (plan vs actual)."""

    minute: float
    kind: str
    subject: str
    station: str = ""
    people: int = 0
    vehicles: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
    planned: float | None = None


@dataclass(frozen=True, slots=True)
class StockLevel:
    minute: float
    station: str
    item: str
    level: float


@dataclass(frozen=True, slots=True)
class Disruption:
    kind: str  # one of DISRUPTION_KINDS
    ref: str  # the link, or the station
    start: float
    end: float | None = None
    segments: tuple[tuple[LatLon, LatLon], ...] = ()  # a link's edges, to draw
    detail: dict[str, Any] = field(default_factory=dict)

    def active(self, minute: float) -> bool:
        return self.start <= minute and (self.end is None or minute < self.end)


@dataclass(frozen=True, slots=True)
class Timeline:
    """A drill's story. ``source``: ``simulation`` or ``live``; ``about``: how it was chosen (which
    replication and why, or which live drill); ``opening``: each station's opening stock per item,
    the gauges' full mark; ``start_iso``: a live drill's start (its clock then shows wall time)."""

    title: str
    horizon: float
    places: tuple[Place, ...]
    moves: tuple[Move, ...] = ()
    events: tuple[Event, ...] = ()
    stock: tuple[StockLevel, ...] = ()
    disruptions: tuple[Disruption, ...] = ()
    opening: dict[str, dict[str, float]] = field(default_factory=dict)
    source: str = "simulation"
    about: dict[str, Any] = field(default_factory=dict)
    start_iso: str | None = None

    def stations(self) -> tuple[Place, ...]:
        return tuple(p for p in self.places if p.kind != "site")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (tuples become lists)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timeline:
        def pts(path: Any) -> tuple[LatLon, ...]:
            return tuple((float(a), float(b)) for a, b in path)

        return cls(
            title=data["title"],
            horizon=float(data["horizon"]),
            places=tuple(Place(**p) for p in data["places"]),
            moves=tuple(Move(**{**m, "path": pts(m["path"])}) for m in data.get("moves", ())),
            events=tuple(Event(**e) for e in data.get("events", ())),
            stock=tuple(StockLevel(**s) for s in data.get("stock", ())),
            disruptions=tuple(
                Disruption(**{**d, "segments": tuple((tuple(a), tuple(b)) for a, b in d.get("segments", ()))})
                for d in data.get("disruptions", ())
            ),
            opening={k: dict(v) for k, v in data.get("opening", {}).items()},
            source=data.get("source", "simulation"),
            about=dict(data.get("about", {})),
            start_iso=data.get("start_iso"),
        )


def day_clock(minute: float) -> str:
    """``D1 06:30`` from minutes since the drill's start."""
    day, rest = divmod(int(math.floor(minute + 1e-9)), 1440)
    return f"D{day + 1} {rest // 60:02d}:{rest % 60:02d}"
