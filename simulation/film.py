"""A simulated drill's film script: one replication, chosen and replayed from its own records.

:func:`film_timeline` runs the drill's replications, picks one (``median``: the median by planned
units on time; ``worst``: the fewest on time, then the most minutes late; or a number, 1-based),
re-runs it with the recorder on (same seed, same events: :mod:`simulation.trace`) and turns
what the recorder heard into a :class:`~supply.core.timeline.Timeline`: units travelling along
their actual routes (the fastest path on the network as disrupted at the time they set off),
arriving, queueing, fed, refuelled and leaving; field kitchens and fuel trucks driving out and
back; restocks from the hub; stock per station; the drill's disruptions at their hour.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from simulation.compiled import CompiledDrill, compile_drill
from simulation.model import run_replication
from simulation.records import ReplicationRecord
from simulation.runner import in_order, open_executor
from simulation.spec import DrillSpec, EventSpec, drill_spec
from simulation.trace import Recorder, choose, minutes_late, planned_on_time, traced_replication
from supply.core.errors import InvalidArgumentError
from supply.core.film_script import day_chapters, route_path, scheduled_disruptions
from supply.core.network import Disruptions, Network, build_network
from supply.core.scenario import Scenario
from supply.core.timeline import Event, LatLon, Move, Place, StockLevel, Timeline

Progress = Callable[[int, int], None]
#: Minutes a chapter heading stays on screen (``maps.film.state.CHAPTER_HOLD``: the simulation knows no maps).
CHAPTER_HOLD = 120.0


def parse_replication(value: str) -> str | int:
    """``median``, ``worst`` or a replication number (1-based); anything else is refused."""
    if value in ("median", "worst"):
        return value
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        msg = f"--replication must be median, worst or a replication number ≥ 1, got {value!r}"
        raise InvalidArgumentError(msg)
    return n


def run_records(
    plan: CompiledDrill, *, replications: int, seed: int, workers: int = 1, progress: Progress | None = None
) -> list[ReplicationRecord]:
    """Every replication's record, as the drill's run makes them (same seeds), in index order."""
    seeds = list(enumerate(np.random.SeedSequence(seed).spawn(replications)))
    out: list[ReplicationRecord] = []
    if workers <= 1:
        for index, ss in seeds:
            out.append(run_replication(plan, ss, index))
            if progress:
                progress(len(out), replications)
        return out
    with open_executor(workers, None, 10.0) as (executor, slots):
        size = max(1, min(25, math.ceil(replications / (slots * 4))))
        chunks = iter([seeds[i : i + size] for i in range(0, replications, size)])
        for records in in_order(executor, plan, chunks, window=slots * 2):
            out.extend(records)
            if progress:
                progress(len(out), replications)
    return out


def film_timeline(
    scenario: Scenario,
    *,
    replication: str | int = "median",
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> Timeline:
    """The film script of one replication of ``scenario``'s drill (see the module's doc)."""
    spec = drill_spec(scenario)
    plan = compile_drill(scenario, spec)
    n = spec.replications if replications is None else replications
    seed = spec.seed if seed is None else seed
    planned = len(spec.units)
    if isinstance(replication, int):
        if not 1 <= replication <= n:
            msg = f"--replication {replication}: the drill runs replications 1 to {n}"
            raise InvalidArgumentError(msg)
        index, choice = replication - 1, "chosen"
    else:
        records = run_records(plan, replications=n, seed=seed, workers=workers, progress=progress)
        index, choice = choose(records, planned, replication).index, replication
    record, recorder = traced_replication(plan, seed, n, index)
    about = {
        "index": index + 1,
        "of": n,
        "choice": choice,
        "seed": seed,
        "on_time": planned_on_time(record, planned),
        "planned": planned,
        "minutes_late": round(minutes_late(record, planned), 1),
    }
    return build_timeline(scenario, spec, plan, recorder, about)


class _Routes:
    """Paths on the network as disrupted at a minute (one network per set of disruptions in force)."""

    def __init__(self, scenario: Scenario, spec: DrillSpec) -> None:
        self.net = build_network(scenario)
        self.spec = spec
        self.nets: dict[Disruptions, Network] = {}
        self.path = cache(self._path)

    def disruptions_at(self, minute: float) -> Disruptions:
        active = [e for e in self.spec.events if e.lose is None and _active(e, minute)]
        return Disruptions(
            close=tuple(e.close for e in active if e.close),
            offline=tuple(e.offline for e in active if e.offline),
            slow=tuple((e.slow.link, e.slow.factor) for e in active if e.slow),
        )

    def _path(self, origin: str, destination: str, d: Disruptions) -> tuple[LatLon, ...]:
        net = self.nets.get(d)
        if net is None:
            net = self.nets[d] = self.net.disrupted(d)
        return route_path(net, origin, destination)

    def between(self, origin: str, destination: str, minute: float) -> tuple[LatLon, ...]:
        return self.path(origin, destination, self.disruptions_at(minute))


def _active(e: EventSpec, minute: float) -> bool:
    return e.at_hour * 60 <= minute and (e.until_hour is None or minute < e.until_hour * 60)


def build_timeline(
    scenario: Scenario, spec: DrillSpec, plan: CompiledDrill, recorder: Recorder, about: dict[str, Any]
) -> Timeline:
    """Turn the recorder's steps into the timeline's moves and events (see the module's doc)."""
    routes = _Routes(scenario, spec)
    moves: list[Move] = []
    events: list[Event] = []
    units: dict[str, dict[str, Any]] = {}
    trips: dict[tuple[str, str, float], list[Any]] = {}  # (unit, what, out) → [count, facts]
    for kind, minute, f in recorder.steps:
        unit = f.get("unit", "")
        if kind == "assigned":
            units[unit] = u = {**f, "t0": minute, "fed_last": None, "veh_last": None}
            if f["mobile"]:
                events.append(Event(minute, "arrives", unit, f["place"], f["people"], f["vehicles"]))
            elif f["there"] > 0:
                path = routes.between(f["place"], f["station"], minute)
                moves.append(Move(unit, "unit", minute, minute + f["there"], f["place"], f["station"], path))
        elif kind == "handover":  # its teams bring the meals to the unit at its halt ("assigned" says it halts)
            drive, start = f["drive"], f["start"]
            there = routes.between(f["station"], f["place"], start - drive)
            moves.append(Move(unit, "handover", start - drive, start, f["station"], f["place"], there))
            home = routes.between(f["place"], f["station"], f["last"])
            moves.append(Move(unit, "handover", f["last"], f["last"] + drive, f["place"], f["station"], home))
            detail = {"what": "handover", "count": 1, "to": f["place"]}
            events.append(Event(start - drive, "departs", unit, f["station"], detail=detail))
            events.append(Event(start, "on_site", unit, f["station"], detail=detail))
            events.append(Event(max(start, f["arrive"]), "seated", unit, f["place"], f["people"]))
        elif kind == "arrives":
            seats = units[unit]["seats"]
            detail = {"seats": seats} if seats else {}
            events.append(Event(minute, "arrives", unit, f["station"], f["people"], f["vehicles"], detail))
        elif kind == "seated":
            u = units[unit]
            if f["seated"] and f["wait"] / f["seated"] >= 5 and not u.get("queued"):
                u["queued"] = True
                wait = round(f["wait"] / f["seated"], 1)
                events.append(Event(minute, "queues", unit, f["station"], f["k"], detail={"wait_minutes": wait}))
            elif f["seated"] and not u.get("seated"):
                u["seated"] = True
                events.append(Event(minute, "seated", unit, f["station"], f["seated"]))
        elif kind == "refuelled":
            u = units[unit]
            if f["done"]:
                u["veh_last"] = max(u["veh_last"] or 0.0, f["last"])
        elif kind == "leaves":
            events.extend(_leaves(units[unit], minute, f, routes, moves))
        elif kind in ("kitchen", "fuel_truck"):
            key = (unit, kind, f["out"])
            trips.setdefault(key, [0, f, minute])[0] += 1
        elif kind == "restock":
            arrive = minute + f["delay"]
            path = routes.between(f["hub"], f["station"], minute)
            minutes = _path_share(f["delay"], plan)
            moves.append(Move(f["item"], "restock", arrive - minutes, arrive, f["hub"], f["station"], path))
            detail = {"item": f["item"], "quantity": f["qty"]}
            events.append(Event(arrive, "restocked", "restock", f["station"], detail=detail))
    for (unit, what, out), (count, f, back) in trips.items():
        travel = f["travel"]
        there = routes.between(f["station"], f["place"], out)
        home = routes.between(f["place"], f["station"], back - travel)
        for _ in range(count):
            moves.append(Move(unit, what, out, out + travel, f["station"], f["place"], there))
            moves.append(Move(unit, what, back - travel, back, f["place"], f["station"], home))
        detail = {"what": what, "count": count, "to": f["place"]}
        events.append(Event(out, "departs", unit, f["station"], detail=detail))
        events.append(Event(out + travel, "on_site", unit, f["station"], detail=detail))
        left = units.get(unit, {}).get("left", math.inf)
        if what == "kitchen" and out + travel < left:  # the unit at its site is being fed from here on
            events.append(Event(out + travel, "seated", unit, f["place"], f["people"]))
    disruptions, more = scheduled_disruptions([e.model_dump() for e in spec.events], routes.net)
    events.extend(more)
    events.extend(day_chapters(spec.hours))
    if "on_time" in about:  # the closing heading: how it ended, as the drill's headline says it
        ok, of = about["on_time"], about["planned"]
        text = {"zh": f"演练结束：计划部队准时 {ok}/{of}", "en": f"End of drill: planned units on time {ok} of {of}"}
        events.append(Event(max(0.0, plan.horizon - CHAPTER_HOLD + 1), "chapter", "end", detail=text))
    return Timeline(
        title=scenario.scenario.name,
        horizon=plan.horizon,
        places=_places(scenario, spec),
        moves=tuple(sorted(moves, key=lambda m: m.start)),
        events=tuple(sorted(events, key=lambda e: (e.minute, e.kind != "arrives"))),  # arriving comes first
        stock=tuple(StockLevel(t, s, i, lv) for t, s, i, lv in recorder.stock),
        disruptions=disruptions,
        opening={s.code: {k: float(v) for k, v in s.stock.items() if v is not None and v > 0} for s in plan.stations},
        source="simulation",
        about=about,
    )


def _path_share(delay: float, plan: CompiledDrill) -> float:
    """A restock's drive: its delay less the lead time (what :meth:`Model._reorder` added)."""
    return max(1.0, delay - plan.restock.lead_hours * 60)


def _leaves(u: dict[str, Any], minute: float, f: dict[str, Any], routes: _Routes, moves: list[Move]) -> list[Event]:
    """A unit's last events: fed, refuelled, and leaving (on time, late or with some unserved)."""
    unit, outcome = f["unit"], f["outcome"]
    where = f["place"] if u["mobile"] else f["station"]
    out = []
    if f["fed"]:
        detail = {"minutes": f["fed_last"] - u["t0"]}
        out.append(Event(f["fed_last"], "fed", unit, where, f["fed"], detail=detail))
    if f["refuelled"] and u["veh_last"] is not None:
        detail = {"of": f["vehicles"]}
        out.append(Event(u["veh_last"], "refuelled", unit, where, vehicles=f["refuelled"], detail=detail))
    leave = f["done_at"] if outcome in ("on_time", "late") and f["done_at"] is not None else minute
    u["left"] = leave
    if outcome == "missed":
        detail = {"outcome": outcome, "unfed": f["people"] - f["fed"], "unfuelled": f["vehicles"] - f["refuelled"]}
        out.append(Event(leave, "missed", unit, where, f["people"], f["vehicles"], detail))
    else:
        out.append(Event(leave, "leaves", unit, where, f["people"], f["vehicles"], {"outcome": outcome}))
    if not u["mobile"] and u["back"] > 0:
        path = routes.between(f["station"], f["place"], leave)
        moves.append(Move(unit, "unit", leave, leave + u["back"], f["station"], f["place"], path))
    return out


def _places(scenario: Scenario, spec: DrillSpec) -> tuple[Place, ...]:
    out = [Place(s.code, s.name, s.lat, s.lon, s.tier) for s in scenario.stations]
    codes = {s.code for s in scenario.stations}
    for code in dict.fromkeys(u.place for u in spec.units):
        if code and code not in codes:
            p = scenario.place(code)
            out.append(Place(p.code, p.name, p.lat, p.lon, "site"))
    return tuple(out)
