"""The after-action review: what happened in a live drill against what its simulation predicted.

Reality comes from the record: each unit's real arrival and the time its last soldier was fed
(``minutes to fed = served − arrived``; on time when within the drill's target), the stock the
drill's delivered dispatches issued, each procedure step's duration, and the orders' log. The
prediction is the action plan stored when the drill started, with its 95% bands (2.5th–97.5th
percentiles across replications). A figure outside its band is flagged.

* on-time share = units fed within the target ÷ planned units (a unit never fed is not on time);
* stock drawn = Σ delivered quantities per station and item; meals are compared with the band;
* a step's duration runs from the previous step (the first from the drill's start).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from . import command
from .live_drill import drill_dict, drill_units, stock_drawn
from .models import Drill, DrillOrder, OrderEvent


def _outside(value: float | None, band: list | None) -> bool | None:
    if value is None or not band or band[0] is None:
        return None
    return bool(value < band[0] - 1e-9 or value > band[1] + 1e-9)


def review(session: Session, drill: Drill, tz: ZoneInfo) -> dict:
    """The review's figures (JSON); :func:`simulation.review_report.review_html` renders them."""
    plan = drill.plan
    target = float(plan["target_minutes"])
    planned = {u["code"]: u for u in plan["units"]}
    units, on_time = [], 0
    for u in drill_units(session, drill.id):
        p = planned.get(u.code, {})
        minutes = None
        if u.arrived_at is not None and u.served_at is not None:
            minutes = round((u.served_at - u.arrived_at).total_seconds() / 60.0, 2)
        late_arrival = None
        if u.arrived_at is not None:
            late_arrival = round((u.arrived_at - u.planned_arrive_at).total_seconds() / 60.0, 2)
        ok = minutes is not None and minutes <= target
        on_time += ok
        band = (p.get("minutes_to_fed") or {}).get("band95")
        units.append({
            "code": u.code, "station": u.station, "arrival_delay_minutes": late_arrival,
            "minutes_to_fed": minutes, "on_time": ok,
            "simulated": p.get("minutes_to_fed"), "outside_band": _outside(minutes, band),
        })  # fmt: skip
    share = round(on_time / len(units), 4) if units else None
    sl_band = plan["service_level"]["band95"]
    drawn = stock_drawn(session, drill.id)
    stations = sorted(set(drawn) | set(plan.get("meals_drawn", {})))
    stock = {}
    for st in stations:
        sim = plan.get("meals_drawn", {}).get(st)
        meals = drawn.get(st, {}).get("meals", 0.0)
        stock[st] = {
            "drawn": drawn.get(st, {}),
            "meals": meals,
            "simulated_meals": sim,
            "outside_band": _outside(meals, sim["band95"] if sim else None),
        }
    steps = command.procedure(session, drill, tz)
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
    flags = [f"unit {u['code']}: {u['minutes_to_fed']:g} minutes to fed, outside the simulated 95% band "
             f"{u['simulated']['band95'][0]:g}–{u['simulated']['band95'][1]:g}"
             for u in units if u["outside_band"]]  # fmt: skip
    if _outside(share, sl_band):
        flags.append(f"on-time share {share:.0%} outside the simulated 95% band {sl_band[0]:.0%}–{sl_band[1]:.0%}")
    flags += [f"station {st}: {s['meals']:g} meals drawn, outside the simulated 95% band "
              f"{s['simulated_meals']['band95'][0]:g}–{s['simulated_meals']['band95'][1]:g}"
              for st, s in stock.items() if s["outside_band"]]  # fmt: skip
    flags += [f"step {s['step']}: {s['actual_minutes']:g} minutes against a target of {s['target_minutes']:g}"
              for s in steps if s["over_target"]]  # fmt: skip
    return {
        "drill": drill_dict(drill, tz),
        "exercise": True,
        "target_minutes": target,
        "on_time_share": share,
        "simulated_on_time_share": plan["service_level"],
        "on_time_outside_band": _outside(share, sl_band),
        "units": units,
        "stock": stock,
        "procedure": steps,
        "orders": {
            "count": len(orders),
            "by_status": by_status,
            "mean_minutes_to_acknowledge": round(sum(ack_minutes) / len(ack_minutes), 2) if ack_minutes else None,
            "refused": [
                {"id": o.id, "reason": o.reason}
                for o in sorted(orders, key=lambda o: o.id or 0)
                if o.status == "refused"
            ],  # fmt: skip
        },
        "flags": flags,
        "risks": plan["risks"],
    }


def review_ids(session: Session) -> list[int]:
    return list(session.exec(select(Drill.id).order_by(col(Drill.id))))
