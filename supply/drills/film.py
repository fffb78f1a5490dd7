"""A live drill's film script, from what its officers recorded: plan beside actual.

:func:`live_timeline` reads the drill's units (their real arrival, last-fed and departure times,
with the plan's beside them), its orders, its procedure steps, the exercise stock book of each
station and the disruptions its scenario scheduled, and returns the same
:class:`~supply.core.timeline.Timeline` a simulated drill gives, with ``planned`` set on every
event the plan foresaw. Only what was recorded is shown: a unit with no recorded arrival is not
on the map. Units travel from their site to their station along the fastest route on the
network, arriving at their recorded time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from supply.core.film_script import route_path, scheduled_disruptions
from supply.core.network import build_network
from supply.core.scenario import Scenario
from supply.core.timeline import Event, LatLon, Move, Place, StockLevel, Timeline
from supply.drills.board import drill_units
from supply.drills.chain import get_drill
from supply.drills.jobs import require_planned
from supply.drills.models import Drill, DrillOrder, DrillStep
from supply.service.models import Movement, id_of

#: Items with a gauge on the film.
FILM_ITEMS = ("meals", "water_l", "diesel_l")
#: The command procedure's steps as a chapter heading (the console's words).
STEP_WORDS = {
    "notice_received": ("接到通知", "Notice received"),
    "plan_approved": ("方案批准", "Plan approved"),
    "teams_alerted": ("分队已预警", "Teams alerted"),
    "dispatched": ("已出发", "Dispatched"),
    "serving": ("保障中", "Serving"),
    "reported": ("已报告", "Reported"),
}


def _minute(drill: Drill, at: datetime | None) -> float | None:
    return None if at is None else (at - drill.start_at).total_seconds() / 60.0


def live_timeline(session: Session, drill_id: int, tz: ZoneInfo | None = None) -> Timeline:
    """The film script of live drill ``drill_id`` (open or closed); its clock in ``tz`` (default UTC)."""
    drill = get_drill(session, drill_id)
    require_planned(drill, "film")
    scenario = Scenario.from_dict(dict(drill.scenario), source=drill.scenario_source, base_dir=".")
    net = build_network(scenario)
    spec = dict(drill.scenario.get("drill") or {})
    horizon = float(spec.get("hours", 24)) * 60
    plans = {u["code"]: u for u in (drill.plan or {}).get("units", [])}

    def path(a: str, b: str) -> tuple[LatLon, ...]:
        return route_path(net, a, b)

    moves: list[Move] = []
    events: list[Event] = []
    for u in drill_units(session, drill_id):
        p = plans.get(u.code, {})
        station, place = u.station or p.get("station") or "", p.get("place") or ""
        people, vehicles = int(p.get("headcount") or 0), int(p.get("vehicles") or 0)
        arrived, fed, left = (_minute(drill, t) for t in (u.arrived_at, u.served_at, u.departed_at))
        travel = float(p.get("travel_minutes") or 0.0)
        if arrived is not None and station:
            if place and place != station and travel > 0:
                moves.append(Move(u.code, "unit", arrived - travel, arrived, place, station, path(place, station)))
            planned = p.get("at_station_minute", p.get("arrive_minute"))
            events.append(Event(arrived, "arrives", u.code, station, people, vehicles, planned=planned))
        if fed is not None and station:
            minutes = {"minutes": fed - arrived} if arrived is not None else {}
            events.append(Event(fed, "fed", u.code, station, people, detail=minutes, planned=p.get("fed_minute")))
        if left is not None and station:
            detail: dict[str, Any] = {"outcome": "on_time" if fed is not None else "missed"}
            detail["unfed"] = 0 if fed is not None else people
            kind = "leaves" if fed is not None else "missed"
            events.append(Event(left, kind, u.code, station, people, vehicles, detail, planned=p.get("depart_minute")))
            if place and place != station and travel > 0:
                moves.append(Move(u.code, "unit", left, left + travel, station, place, path(station, place)))
    for o in session.exec(select(DrillOrder).where(DrillOrder.drill_id == drill_id).order_by(col(DrillOrder.id))):
        minute = _minute(drill, o.issued_at) or 0.0
        events.append(Event(minute, "order", o.team or o.station or "", o.station or "", detail={"text": o.text}))
    for s in session.exec(select(DrillStep).where(DrillStep.drill_id == drill_id).order_by(col(DrillStep.seq))):
        if s.done_at is not None:
            zh, en = STEP_WORDS.get(s.step, (s.step, s.step))
            events.append(Event(_minute(drill, s.done_at) or 0.0, "chapter", s.step, detail={"zh": zh, "en": en}))
    disruptions, more = scheduled_disruptions(spec.get("events", []), net)
    events.extend(more)
    stock, opening = _stock(session, drill, scenario)
    places = [Place(s.code, s.name, s.lat, s.lon, s.tier) for s in scenario.stations]
    codes = {s.code for s in scenario.stations}
    for code in dict.fromkeys(p.get("place") for p in plans.values()):
        if code and code not in codes:
            pl = scenario.place(code)
            places.append(Place(pl.code, pl.name, pl.lat, pl.lon, "site"))
    start = drill.start_at.astimezone(tz) if tz is not None else drill.start_at
    return Timeline(
        title=drill.name,
        horizon=horizon,
        places=tuple(places),
        moves=tuple(sorted(moves, key=lambda m: m.start)),
        events=tuple(sorted(events, key=lambda e: e.minute)),
        stock=stock,
        disruptions=disruptions,
        opening=opening,
        source="live",
        about={"drill_id": id_of(drill), "status": drill.status},
        start_iso=start.replace(tzinfo=None).isoformat(),
    )


def _stock(
    session: Session, drill: Drill, scenario: Scenario
) -> tuple[tuple[StockLevel, ...], dict[str, dict[str, float]]]:
    """Each station's exercise stock over the drill (its ledger's running balance), and its level at the start."""
    codes = [s.code for s in scenario.stations]
    q = (
        select(Movement)
        .where(col(Movement.exercise).is_(True), col(Movement.station).in_(codes), col(Movement.item).in_(FILM_ITEMS))
        .order_by(col(Movement.at), col(Movement.id))
    )
    level: dict[tuple[str, str], float] = {}
    out: list[StockLevel] = []
    opening: dict[str, dict[str, float]] = {}
    for m in session.exec(q):
        key = (m.station, m.item)
        level[key] = level.get(key, 0.0) + m.on_hand_delta
        minute = _minute(drill, m.at) or 0.0
        if minute <= 0:
            opening.setdefault(m.station, {})[m.item] = level[key]
        else:
            out.append(StockLevel(minute, m.station, m.item, level[key]))
    for s in scenario.stations:  # a station with no exercise stock before the start: its scenario stock
        for item in FILM_ITEMS:
            if not opening.get(s.code, {}).get(item) and s.stock.get(item):
                opening.setdefault(s.code, {})[item] = float(s.stock[item] or 0)
    return tuple(out), opening
