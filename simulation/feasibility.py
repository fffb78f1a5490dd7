"""Can a planned unit be served at all before it must leave? Decided before any simulation.

A unit with a stop of ``dwell`` minutes is **infeasible** when no station it could be sent to
(its own door; its ``serve_at`` under ``policy = "assigned"``; else any station online and
reachable when it arrives) can serve it even with no queue at all:

* ``dwell`` — the stop is shorter than the unit's own service (one meal, or one refuel);
* ``travel`` — ``travel there + one meal (refuel) + travel back > dwell``, or no station is reachable;
* ``seats`` / ``refuel_bays`` / ``field_kitchens`` — no station it could reach has what it needs
  (dining seats for its people, bays for its vehicles, field kitchens for mobile support);
* ``handover`` — meals handed where it halts (``support = "handover"``): no station it could be
  handed meals by has handover teams, or their drive to the halt outlasts the meals' preparation
  time and the whole stop. A handover unit is never infeasible by ``dwell``: its people eat on board.

The reason is given for the candidate nearest the unit. Such units are missed in every
replication; the drill and the action plan list them first instead of assigning them silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulation.compiled import Arrival, CompiledDrill, StationPlan


@dataclass(frozen=True)
class Feasibility:
    feasible: bool
    reason: str | None = None
    cause: str | None = None  # one of budget.CAUSES when infeasible
    station: str | None = None  # the candidate the reason is about (the nearest)


def _service(plan: CompiledDrill, a: Arrival) -> float:
    """Minutes of the unit's own service with no wait: one meal (people), one refuel (vehicles; at a
    bay, or from a fuel truck where the unit halts)."""
    if a.handover:
        return 0.0  # a meal handed over at the door: eaten after the train leaves
    meal = plan.meal.expected if a.headcount and not a.mobile else 0.0
    refuel = plan.refuel.expected if a.vehicles and not a.mobile and not a.fuel_trucks else 0.0
    return max(meal, refuel)


def _lacks(plan: CompiledDrill, s: int, a: Arrival) -> str | None:
    st = plan.stations[s]
    if a.mobile:
        return None if st.field_kitchens else "field_kitchens"
    if a.handover:
        return None if st.handover_teams else "handover"
    if a.headcount and not st.seats:
        return "seats"
    if a.vehicles and not st.refuel_bays and not (a.fuel_trucks and st.fuel_trucks):
        return "refuel_bays"
    return None


_NEEDS = {
    "seats": "dining seats",
    "refuel_bays": "refuel bays",
    "field_kitchens": "field kitchens",
    "handover": "handover teams",
}


def unit_feasibility(plan: CompiledDrill, a: Arrival) -> Feasibility:
    """Whether scheduled arrival ``a`` can be served before it must leave (module docstring)."""
    code = plan.groups[a.group]
    ep = plan.epoch_at(a.arrive)
    service = _service(plan, a)
    if a.dwell is not None and service > a.dwell:
        what = "refuel" if a.vehicles and plan.refuel.expected >= service else "meal"
        msg = f"{code} stops {a.dwell:g} min, shorter than one {service:g}-min {what} even with no travel and no wait"
        near = [s for s in range(len(plan.stations)) if math.isfinite(ep.to_station[a.place, s])]
        station = min(near, key=lambda s: float(ep.to_station[a.place, s]), default=None)
        return Feasibility(False, msg, "dwell", None if station is None else plan.stations[station].code)
    p = a.place
    candidates = [s for s in range(len(plan.stations)) if s not in ep.offline and math.isfinite(ep.to_station[p, s])]
    if a.at_station >= 0 and not a.mobile and a.at_station not in ep.offline:
        candidates = [a.at_station]
    elif plan.policy == "assigned" and a.serve_at in candidates:
        candidates = [a.serve_at]
    if not candidates:
        return Feasibility(False, f"no station can be reached from {plan.places[p]} when {code} arrives", "travel")
    candidates.sort(key=lambda s: float(ep.to_station[p, s]))
    lacking = [(_lacks(plan, s, a), s) for s in candidates]
    ok = [s for need, s in lacking if need is None]
    if not ok:
        need = lacking[0][0] or "seats"  # every candidate lacks something here
        msg = f"no station {code} can reach has {_NEEDS[need]} for it"
        return Feasibility(False, msg, need, plan.stations[lacking[0][1]].code)
    if a.dwell is None:
        return Feasibility(True)
    if a.handover:
        return _handover_feasibility(plan, a, ok, code)
    best = ok[0]
    for s in ok:
        there = float(ep.to_station[p, s])
        back = 0.0 if a.mobile else float(ep.from_station[s, p])
        if there + back + service <= a.dwell:
            return Feasibility(True)
    s = best
    there, back = float(ep.to_station[p, s]), float(ep.from_station[s, p])
    name = plan.stations[s].code
    if a.mobile:
        msg = f"the nearest field kitchens ({name}) drive {there:.0f} min, longer than {code}'s {a.dwell:g}-min stop"
    else:
        msg = (
            f"the nearest station that can serve {code}, {name}, is {there:.0f} min away: {there + back:.0f} min "
            f"there and back + {service:.0f} min of service exceed its {a.dwell:g}-min stop"
        )
    return Feasibility(False, msg, "travel", name)


def _late_meals(st: StationPlan, drive: float) -> float:
    """Minutes after arrival the first packed meals can reach the halt from ``st`` with no queue."""
    return max(0.0, drive - st.handover_prep_minutes)


def _handover_feasibility(plan: CompiledDrill, a: Arrival, ok: list[int], code: str) -> Feasibility:
    """A handover unit with a stop: feasible when some station's meals can reach the halt before it ends."""
    ep = plan.epoch_at(a.arrive)
    for s in ok:
        if _late_meals(plan.stations[s], float(ep.from_station[s, a.place])) < (a.dwell or math.inf):
            return Feasibility(True)
    st = plan.stations[ok[0]]
    drive = float(ep.from_station[ok[0], a.place])
    msg = (
        f"the nearest station with handover teams, {st.code}, drives {drive:.0f} min to {plan.places[a.place]}: "
        f"with {st.handover_prep_minutes:g} min of preparation its meals arrive after {code}'s {a.dwell:g}-min stop"
    )
    return Feasibility(False, msg, "handover", st.code)


def feasibility(plan: CompiledDrill) -> dict[str, Feasibility]:
    """Feasibility of every planned unit, by code."""
    return {plan.groups[a.group]: unit_feasibility(plan, a) for a in plan.arrivals if a.rate_per_min == 0}


def nearest_feasible(plan: CompiledDrill, a: Arrival, exclude: str | None = None) -> str | None:
    """The nearest station (other than ``exclude``) that could serve ``a`` in time if nobody else were
    there: it has what the unit needs, the drive there and its sittings (kitchen output, field
    kitchens' hand-out) fit the target, and there and back with the service and its vehicles'
    turns at the bays fit the stop. ``None``: no station can."""
    ep = plan.epoch_at(a.arrive)
    p, service = a.place, _service(plan, a)
    order = sorted(range(len(plan.stations)), key=lambda s: float(ep.to_station[p, s]))
    for s in order:
        st = plan.stations[s]
        there = float(ep.from_station[s, p] if a.mobile or a.handover else ep.to_station[p, s])
        back = 0.0 if a.mobile or a.handover else float(ep.from_station[s, p])
        if a.handover and math.isfinite(there):
            there = _late_meals(st, there)
        if st.code == exclude or s in ep.offline or not math.isfinite(there) or _lacks(plan, s, a):
            continue
        people = there + _serving(plan, st, a)
        vehicles = there + back + (math.ceil(a.vehicles / st.refuel_bays) * plan.refuel.expected if _bays(st, a) else 0)
        if people <= plan.target and (
            a.dwell is None or max(people + back, vehicles, there + back + service) <= a.dwell
        ):
            return st.code
    return None


def _bays(st: StationPlan, a: Arrival) -> bool:
    """Whether ``a``'s vehicles use ``st``'s refuel bays (not fuel trucks, not mobile support)."""
    return bool(a.vehicles and st.refuel_bays and not a.mobile and not (a.fuel_trucks and st.fuel_trucks))


def _serving(plan: CompiledDrill, st: StationPlan, a: Arrival) -> float:
    """Minutes to feed all of ``a`` at ``st`` with nobody else there: its sittings (or field kitchens'
    hand-out), no sooner than the kitchen can cook for it beyond its first half hour of output."""
    if a.handover:
        rate = st.handover_teams * st.handover_meals_per_minute
        return a.headcount / rate if rate > 0 else math.inf
    if a.mobile:
        sent = min(st.field_kitchens, a.field_kitchens or math.ceil(a.headcount / plan.mobile.people_per_kitchen))
        return a.headcount / max(sent, 1) / plan.mobile.meals_per_hour_per_kitchen * 60
    sittings = math.ceil(a.headcount / st.seats) * plan.meal.expected
    cook = (a.headcount - st.meals_per_hour / 2) / st.meals_per_hour * 60 if st.meals_per_hour else 0.0
    return max(sittings, cook + plan.meal.expected)
