"""The after-action review: what happened in a live drill against what its simulation predicted.

Reality comes from the record: each unit's real arrival and the time its last soldier was fed
(``minutes to fed = served − arrived``; on time when within the drill's target), the stock the
drill's delivered dispatches issued, each procedure step's duration, and the orders' log. The
prediction is the action plan stored when the drill started, with its 95% bands (2.5th–97.5th
percentiles across replications). A figure outside its band is flagged.

* a unit's ``status``: ``on_time`` (fed within the target of its arrival), ``late`` (fed later, or
  not fed and past its due time), ``missed`` (left unfed), ``pending`` — not fed and not yet due,
  while the drill runs: due at ``due_at`` = arrival (else planned arrival) + target. A closed
  drill has nothing pending. Only what is due is judged: a pending unit raises no flag;
* on-time share = units fed within the target ÷ units due (``units_due``: every unit but the
  pending; ``null`` while none is due — of a closed drill, every planned unit);
* the on-time share and the stock drawn are set against their bands once the drill is
  ``complete`` (closed, or no unit pending): their bands are of the whole drill, so a drill
  half-way through is not flagged for having drawn half its stock;
* stock drawn = Σ delivered quantities per station and item (the drill's dispatches, exercise
  book), each item compared with its simulated band per station and in total (``stock[st]["items"]``,
  ``stock_total``); a plan made before those bands existed has only the meals band;
* a step's duration runs from the previous step (the first from the drill's start) and is
  compared with its target. Where the plan has a simulated band for a step (``serving``) the
  review also measures the step the way the simulation does — from the first unit's arrival to
  the last unit fed, known once every unit is fed — and compares that with the band; every other
  step says it has no simulated band (the simulation does not model notices, approvals or alerts).

For people to read, the review carries ``names`` (each station's and item's display name and an
item's unit) and its times in the configured zone (``as_of``: the time the review judged due-ness
at — now, or when the drill closed); its ``flags`` use them, with thousands separated.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from supply.core.figures import item_label, number, station_label
from supply.core.timefmt import local_iso
from supply.drills import procedure
from supply.drills.board import drill_units, stock_drawn
from supply.drills.models import Drill, DrillOrder, DrillUnit, OrderEvent
from supply.service.auth import Caller
from supply.service.models import Item, Station, id_of, utcnow


def _outside(value: float | None, band: list | None) -> bool | None:
    if value is None or not band or band[0] is None:
        return None
    return bool(value < band[0] - 1e-9 or value > band[1] + 1e-9)


def close_with_review(session: Session, actor: Caller, drill_id: int, tz: ZoneInfo) -> Drill:
    """Close the drill (see :func:`~supply.drills.chain.close_drill`) and store its review as it stands: frozen."""
    from supply.drills.chain import close_drill

    drill = close_drill(session, actor, drill_id)
    drill.review = review(session, drill, tz)
    session.add(drill)
    session.flush()
    return drill


def drill_review(session: Session, drill: Drill, tz: ZoneInfo) -> dict:
    """The review stored when the drill closed, else (open, or closed before reviews were stored) computed now;
    409 (:class:`~supply.core.errors.DrillNotReadyError`) for a drill still planning or failed."""
    from supply.drills.jobs import require_planned

    require_planned(drill, "review")
    return drill.review if drill.review is not None else review(session, drill, tz)


def review(session: Session, drill: Drill, tz: ZoneInfo, now: datetime | None = None) -> dict:
    """The review's figures (JSON); :func:`simulation.review_report.review_html` renders them.

    ``now`` (default: the time of the call) decides which units are due; a closed drill is judged at its close.
    """
    plan = drill.plan
    target = float(plan["target_minutes"])
    as_of = drill.closed_at or now or utcnow()
    closed = drill.closed_at is not None
    planned = {u["code"]: u for u in plan["units"]}
    units = []
    for u in drill_units(session, id_of(drill)):
        p = planned.get(u.code, {})
        minutes = None
        if u.arrived_at is not None and u.served_at is not None:
            minutes = round((u.served_at - u.arrived_at).total_seconds() / 60.0, 2)
        late_arrival = None
        if u.arrived_at is not None:
            late_arrival = round((u.arrived_at - u.planned_arrive_at).total_seconds() / 60.0, 2)
        ok = minutes is not None and minutes <= target
        due_at = (u.arrived_at or u.planned_arrive_at) + timedelta(minutes=target)
        band = (p.get("minutes_to_fed") or {}).get("band95")
        units.append(
            {
                "code": u.code,
                "station": u.station,
                "arrival_delay_minutes": late_arrival,
                "minutes_to_fed": minutes,
                "on_time": ok,
                "status": _status(u, minutes, ok, due_at, as_of, closed),
                "arrived_at": local_iso(u.arrived_at, tz),
                "served_at": local_iso(u.served_at, tz),
                "due_at": local_iso(due_at, tz),
                "simulated": p.get("minutes_to_fed"),
                "outside_band": _outside(minutes, band),
            }
        )
    due = [u for u in units if u["status"] != "pending"]
    share = round(sum(u["on_time"] for u in due) / len(due), 4) if due else None
    complete = closed or len(due) == len(units)
    sl_band = plan["service_level"]["band95"]
    drawn = stock_drawn(session, id_of(drill))
    stock, stock_total = _stock(plan, drawn, compare=complete)
    names = _names(session, units, stock, stock_total)
    progress = [{**asdict(p), "done_at": local_iso(p.done_at, tz)} for p in procedure.procedure(session, drill)]
    steps = _steps(progress, plan, units_times(session, id_of(drill)))
    orders = list(session.exec(select(DrillOrder).where(DrillOrder.drill_id == drill.id)))
    ack_minutes = []
    for o in orders:
        ev = session.exec(
            select(OrderEvent).where(OrderEvent.order_id == o.id, OrderEvent.from_status == "issued")
        ).first()
        if ev is not None and ev.to_status == "acknowledged":
            ack_minutes.append((ev.at - o.issued_at).total_seconds() / 60.0)
    by_status: dict[str, int] = {}
    for o in orders:
        by_status[o.status] = by_status.get(o.status, 0) + 1
    on_time_outside = _outside(share, sl_band) if complete else None
    return {
        "drill": _drill(drill, tz),
        "exercise": True,
        "target_minutes": target,
        "as_of": local_iso(as_of, tz),
        "complete": complete,
        "on_time_share": share,
        "units_due": len(due),
        "units_pending": len(units) - len(due),
        "simulated_on_time_share": plan["service_level"],
        "on_time_outside_band": on_time_outside,
        "units": units,
        "stock": stock,
        "stock_total": stock_total,
        "procedure": steps,
        "orders": {
            "count": len(orders),
            "by_status": by_status,
            "mean_minutes_to_acknowledge": round(sum(ack_minutes) / len(ack_minutes), 2) if ack_minutes else None,
            "refused": [
                {"id": o.id, "reason": o.reason}
                for o in sorted(orders, key=lambda o: o.id or 0)
                if o.status == "refused"
            ],
        },
        "flags": _flags(units, share, on_time_outside, sl_band, stock, stock_total, steps, names, target),
        "names": names,
        "risks": plan["risks"],
    }


def _status(u: DrillUnit, minutes: float | None, ok: bool, due_at: datetime, now: datetime, closed: bool) -> str:
    """``on_time``, ``late``, ``missed`` or ``pending`` (see the module docstring)."""
    if minutes is not None:
        return "on_time" if ok else "late"
    if u.departed_at is not None:
        return "missed"
    return "late" if closed or now >= due_at else "pending"


def _names(session: Session, units: list[dict], stock: dict, stock_total: dict) -> dict:
    """Display names of the stations and items the review shows: ``{"stations": {code: name}, "items": {...}}``."""
    codes = {u["station"] for u in units if u["station"]} | set(stock)
    stations: list[Station] = list(session.exec(select(Station).where(col(Station.code).in_(codes)))) if codes else []
    items = set(stock_total) | {k for s in stock.values() for k in s["items"]}
    rows: list[Item] = list(session.exec(select(Item).where(col(Item.code).in_(items)))) if items else []
    return {
        "stations": {s.code: s.name for s in stations},
        "items": {i.code: {"name": i.name, "unit": i.unit} for i in rows},
    }


def _flags(
    units: list[dict],
    share: float | None,
    on_time_outside: bool | None,
    sl_band: list,
    stock: dict,
    stock_total: dict,
    steps: list[dict],
    names: dict,
    target: float,
) -> list[str]:
    """Every figure that is due and outside its band or over its target, in words (display names, numbers)."""
    flags = []
    for u in units:
        where = f" at {station_label(u['station'], names)}" if u["station"] else ""
        if u["outside_band"]:
            lo, hi = u["simulated"]["band95"]
            flags.append(
                f"unit {u['code']}{where}: {number(u['minutes_to_fed'])} minutes to fed, outside the simulated "
                f"95% band {number(lo)}–{number(hi)}"
            )
        elif u["status"] in ("late", "missed") and u["minutes_to_fed"] is None:
            what = "left unfed" if u["status"] == "missed" else "not fed"
            flags.append(f"unit {u['code']}{where}: {what}, past its {number(target)}-minute target")
    if on_time_outside:
        flags.append(f"on-time share {share:.0%} outside the simulated 95% band {sl_band[0]:.0%}–{sl_band[1]:.0%}")
    for where, items in [
        *((f"station {station_label(st, names)}", s["items"]) for st, s in stock.items()),
        ("all stations", stock_total),
    ]:
        for item, c in items.items():
            if c["outside_band"]:
                name, unit = item_label(item, names)
                lo, hi = c["simulated"]["band95"]
                flags.append(
                    f"{where}: {number(c['drawn'])} {unit} {name} drawn, outside the simulated 95% band "
                    f"{number(lo)}–{number(hi)} {unit}".replace("  ", " ")
                )
    flags += [
        f"step {s['step']}: {number(s['actual_minutes'])} minutes against a target of {number(s['target_minutes'])}"
        for s in steps
        if s["over_target"]
    ]
    flags += [
        f"step {s['step']}: {number(s['measured_minutes'])} minutes ({s['simulated_measure']}), outside the "
        f"simulated 95% band {number(s['simulated']['band95'][0])}–{number(s['simulated']['band95'][1])}"
        for s in steps
        if s["outside_band"]
    ]
    return flags


def _drill(drill: Drill, tz: ZoneInfo) -> dict:
    """The drill's header, as ``GET /drills/{id}`` shows it (:class:`supply.api.models.drills.DrillPublic`)."""
    return {
        "id": drill.id,
        "name": drill.name,
        "scenario": Path(drill.scenario_source).name,
        "status": drill.status,
        "exercise": True,
        "start_at": local_iso(drill.start_at, tz),
        "created_by": drill.created_by,
        "created_at": local_iso(drill.created_at, tz),
        "closed_at": local_iso(drill.closed_at, tz),
    }


def _item(drawn: float, sim: dict | None, compare: bool = True) -> dict:
    band = sim["band95"] if sim and sim.get("mean") is not None and compare else None
    return {"drawn": round(drawn, 3), "simulated": sim, "outside_band": _outside(drawn, band)}


def _stock(plan: dict, drawn: dict[str, dict[str, float]], *, compare: bool = True) -> tuple[dict, dict]:
    """Per station (drawn in reality or in the simulation) and in total: each item against its band
    (``compare=False`` while the drill runs with units pending: ``outside_band`` is null)."""
    meals_band = plan.get("meals_drawn", {})
    bands = plan.get("bands", {})
    per_station = bands.get("stock_drawn", {})
    simulated = {st for st, items in per_station.items() if any(b["mean"] for b in items.values())}
    stock = {}
    for st in sorted(set(drawn) | set(meals_band) | simulated):
        real = drawn.get(st, {})
        sims = per_station.get(st) or ({"meals": meals_band[st]} if st in meals_band else {})
        meals = real.get("meals", 0.0)
        sim = meals_band.get(st)
        stock[st] = {
            "drawn": real,
            "meals": meals,
            "simulated_meals": sim,
            "outside_band": _outside(meals, sim["band95"] if sim and compare else None),
            "items": {k: _item(real.get(k, 0.0), sims.get(k), compare) for k in sorted(set(real) | set(sims))},
        }
    totals: dict[str, float] = {}
    for items in drawn.values():
        for k, q in items.items():
            totals[k] = totals.get(k, 0.0) + q
    sim_total = bands.get("stock_drawn_total", {})
    codes = sorted(set(totals) | set(sim_total))
    return stock, {k: _item(totals.get(k, 0.0), sim_total.get(k), compare) for k in codes}


def _serving_minutes(times: list[tuple[datetime | None, datetime | None]]) -> float | None:
    """From the first unit's arrival to the last unit fed; None until every unit has both times."""
    if not times or any(a is None or f is None for a, f in times):
        return None
    first = min(a for a, _ in times if a is not None)
    last = max(f for _, f in times if f is not None)
    return round((last - first).total_seconds() / 60.0, 2)


def _steps(steps: list[dict], plan: dict, times: list[tuple[datetime | None, datetime | None]]) -> list[dict]:
    """Each step with its simulated band where the plan has one, else a plain note that it has none."""
    bands = plan.get("bands", {}).get("steps", {})
    out = []
    for s in steps:
        sim = bands.get(s["step"])
        row = {**s, "simulated": None, "simulated_measure": None, "measured_minutes": None, "outside_band": None}
        if sim is None or sim.get("mean") is None:
            why = (
                "no replication completed it"
                if sim is not None
                else "the simulation does not model this step"
                if "bands" in plan
                else "the plan predates simulated step bands"
            )
            row["note"] = f"no simulated band ({why}): compared with its target only"
        else:
            measured = _serving_minutes(times)
            note = f"the band is of {sim.get('measure')}; the step's own duration is against its target"
            row.update(
                simulated=sim,
                simulated_measure=sim.get("measure"),
                measured_minutes=measured,
                outside_band=_outside(measured, sim["band95"]),
                note=note,
            )
        out.append(row)
    return out


def units_times(session: Session, drill_id: int) -> list[tuple[datetime | None, datetime | None]]:
    """Each planned unit's real (arrived, fed) times."""
    return [(u.arrived_at, u.served_at) for u in drill_units(session, drill_id)]


def review_ids(session: Session) -> list[int]:
    ids = session.exec(select(col(Drill.id)).order_by(col(Drill.id)))
    return [i for i in ids if i is not None]  # stored rows all have one
