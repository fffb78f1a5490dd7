"""What one frame of the film shows at a minute, from the timeline's records alone.

:class:`Script` indexes a :class:`~supply.core.timeline.Timeline` once; :meth:`Script.at` gives the
:class:`Frame` at any minute: where each unit and vehicle is (at a station between its recorded
``arrives`` and ``leaves``, on the road along its move's path, or not yet in the drill), each
station's stock gauges, the disruptions in force and the captions. The MP4 renderer draws
exactly this; the HTML player computes the same in the browser from the same records.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from supply.core.timeline import EVENT_KINDS, Disruption, Event, LatLon, Timeline

#: Sim minutes a caption stays on screen after its event; a chapter heading is shown this long.
CAPTION_HOLD = 90.0
CHAPTER_HOLD = 120.0
#: Unit events that set what a unit at a station is doing.
UNIT_STATUS = ("arrives", "queues", "seated", "fed", "refuelled")
#: Events that make a caption: all but a first sitting (the queue or the meal says more) and chapters (headings).
CAPTIONED = tuple(k for k in EVENT_KINDS if k not in ("seated", "chapter"))


@dataclass(frozen=True, slots=True)
class AtStation:
    subject: str
    station: str
    status: str  # the unit's latest UNIT_STATUS event there
    people: int
    since: float  # when it arrived


@dataclass(frozen=True, slots=True)
class OnRoad:
    subject: str
    kind: str  # a Move kind
    position: LatLon
    destination: str


@dataclass(frozen=True, slots=True)
class Frame:
    minute: float
    at_station: tuple[AtStation, ...]
    on_road: tuple[OnRoad, ...]
    stock: dict[str, dict[str, float]]  # station → item → share of its opening stock (0–1+)
    disruptions: tuple[Disruption, ...]
    captions: tuple[Event, ...]  # newest first, the last few within CAPTION_HOLD
    chapter: Event | None
    coming: Event | None = None  # the next captioned event after this minute


class Script:
    """A timeline indexed for fast frame lookups (bisect on sorted times)."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.events = sorted(timeline.events, key=lambda e: e.minute)
        self.event_times = [e.minute for e in self.events]
        unit_events: dict[str, list[Event]] = {}
        for e in self.events:
            if e.kind in (*UNIT_STATUS, "leaves", "missed") and e.station:
                unit_events.setdefault(e.subject, []).append(e)
        self.unit_events = {k: (v, [e.minute for e in v]) for k, v in unit_events.items()}
        self.moves = sorted(timeline.moves, key=lambda m: m.start)
        self.move_starts = [m.start for m in self.moves]
        self.longest_move = max((m.end - m.start for m in self.moves), default=0.0)
        series: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for s in sorted(timeline.stock, key=lambda s: s.minute):
            series.setdefault((s.station, s.item), []).append((s.minute, s.level))
        self.stock = {k: ([t for t, _ in v], [lv for _, lv in v]) for k, v in series.items()}
        self.captioned = [e for e in self.events if e.kind in CAPTIONED]
        self.captioned_times = [e.minute for e in self.captioned]
        self.chapters = [e for e in self.events if e.kind == "chapter"]

    def at(self, minute: float, captions: int = 4) -> Frame:
        return Frame(
            minute=minute,
            at_station=self._at_station(minute),
            on_road=self._on_road(minute),
            stock=self._stock(minute),
            disruptions=tuple(d for d in self.timeline.disruptions if d.active(minute)),
            captions=self._captions(minute, captions),
            coming=self._coming(minute),
            chapter=next(
                (c for c in reversed(self.chapters) if c.minute <= minute < c.minute + CHAPTER_HOLD),
                None,
            ),
        )

    def _at_station(self, minute: float) -> tuple[AtStation, ...]:
        out = []
        for subject, (events, times) in self.unit_events.items():
            i = bisect_right(times, minute)
            if i == 0:
                continue
            last = events[i - 1]
            if last.kind in ("leaves", "missed"):
                continue
            arrived = next(e for e in reversed(events[:i]) if e.kind == "arrives") if last.kind != "arrives" else last
            out.append(AtStation(subject, last.station, last.kind, arrived.people, arrived.minute))
        return tuple(sorted(out, key=lambda a: (a.station, a.since)))

    def _on_road(self, minute: float) -> tuple[OnRoad, ...]:
        hi = bisect_right(self.move_starts, minute)
        lo = bisect_right(self.move_starts, minute - self.longest_move - 1e-9)
        return tuple(
            OnRoad(m.subject, m.kind, m.position(minute), m.destination)
            for m in self.moves[max(0, lo - 1) : hi]
            if m.start <= minute < m.end
        )

    def _stock(self, minute: float) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for (station, item), (times, levels) in self.stock.items():
            full = self.timeline.opening.get(station, {}).get(item)
            if not full:
                continue
            i = bisect_right(times, minute)
            level = levels[i - 1] if i else full
            out.setdefault(station, {})[item] = level / full
        return out

    def _coming(self, minute: float) -> Event | None:
        i = bisect_right(self.captioned_times, minute)
        return self.captioned[i] if i < len(self.captioned) else None

    def _captions(self, minute: float, n: int) -> tuple[Event, ...]:
        i = bisect_right(self.captioned_times, minute)
        out = []
        for e in reversed(self.captioned[max(0, i - n) : i]):
            if e.minute >= minute - CAPTION_HOLD:
                out.append(e)
        return tuple(out)
