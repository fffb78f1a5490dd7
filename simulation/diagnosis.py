"""Why a unit is late, in the words a planner uses: the resource, its size, and the demand on it.

:func:`resource_reason` turns a (station, resource, unit) found by the statistics into one
sentence with the figures a planner checks by hand, e.g. "1 refuel bay at R: C-1's 30 vehicles
need 390 bay-minutes within a 90-minute stop". Everything is read from the compiled drill.
"""

from __future__ import annotations

import math

from simulation.compiled import Arrival, CompiledDrill, StationPlan
from simulation.feasibility import Feasibility


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word}" + ("" if n == 1 else "s")


def _trucks_could(st: StationPlan, a: Arrival) -> str:
    """The lever a refuel-bay or distance problem of vehicles has when the station has fuel trucks."""
    if a.fuel_trucks or not st.fuel_trucks:
        return ""
    return f"; {st.code}'s {_plural(st.fuel_trucks, 'fuel truck')} could refuel them where they halt (fuel_trucks)"


def resource_reason(
    plan: CompiledDrill,
    station: str | None,
    cause: str,
    unit: str | None,
    feas: Feasibility | None = None,
    *,
    vehicles: bool = False,
    arrival: Arrival | None = None,
) -> str:
    """One sentence naming the binding resource at ``station`` and the demand ``unit`` put on it
    (``vehicles``: the reason is about its vehicles' deadline, not its people's target; ``arrival``:
    the unit's, when the caller has it at hand — else it is looked up)."""
    if feas is not None and not feas.feasible and feas.reason:
        return feas.reason
    codes = [s.code for s in plan.stations]
    st = plan.stations[codes.index(station)] if station in codes else None
    a = arrival
    if a is None:
        gi = plan.groups.index(unit) if unit in plan.groups else -1
        a = next((x for x in plan.arrivals if x.group == gi), None)
    if st is None or a is None:
        return f"{cause} at {station}"
    who = unit if a.rate_per_min == 0 else f"walk-ins {unit}"
    stop = f"a {a.dwell:g}-minute stop" if a.dwell is not None else "no set stop"
    if a.vehicle_target is not None:
        stop = f"the {a.vehicle_target:g}-min vehicle target"
    target = stop if vehicles else f"the {plan.target:g}-min target"
    people, meal, refuel = a.headcount, plan.meal.expected, plan.refuel.expected
    if cause == "seats":
        sittings = math.ceil(people / st.seats) if st.seats else 0
        return (
            f"{_plural(st.seats, 'seat')} at {st.code}: {who}'s {people} troops need {people * meal:.0f} seat-minutes, "
            f"{sittings} sittings of {meal:.0f} min, against {target}"
        )
    if cause == "refuel_bays":
        return (
            f"{_plural(st.refuel_bays, 'refuel bay')} at {st.code}: {who}'s {a.vehicles} vehicles need "
            f"{a.vehicles * refuel:.0f} bay-minutes within {stop}{_trucks_could(st, a)}"
        )
    if cause == "fuel_trucks":
        tk, per = plan.trucks, plan.consumption.diesel_l_per_vehicle
        sent = min(a.fuel_trucks, st.fuel_trucks)
        each = tk.connect_minutes + per / tk.pump_litres_per_minute
        return (
            f"{st.code} sends {sent} of its {_plural(st.fuel_trucks, 'fuel truck')}: {who}'s {a.vehicles} vehicles "
            f"need {a.vehicles * each:.0f} truck-minutes ({each:.1f} min each), {a.vehicles * each / max(sent, 1):.0f} "
            f"min with {sent}, plus the drive, within {stop}"
        )
    if cause == "water_trucks":
        litres = people * plan.consumption.water_l_per_person
        return (
            f"{st.code} has {_plural(st.water_trucks, 'water truck')} of {plan.trucks.water_litres:g} L: {who}'s "
            f"{people} troops need {litres:.0f} L brought before the field kitchens serve, against {target}"
        )
    if cause == "kitchen":
        return (
            f"the kitchen at {st.code} cooks {st.meals_per_hour:g} meals an hour: {who}'s {people} troops need "
            f"{people / st.meals_per_hour * 60:.0f} min of cooking against {target}"
        )
    if cause == "stock":
        return (
            f"stock ran out at {st.code}: a restock takes {plan.restock.lead_hours:g} h from the hub "
            f"({plan.restock.depot_lead_hours:g} h for the hub itself)"
        )
    if cause == "field_kitchens":
        rate, per = plan.mobile.meals_per_hour_per_kitchen, plan.mobile.people_per_kitchen
        sent = min(st.field_kitchens, a.field_kitchens or math.ceil(people / per))
        rule = f"field_kitchens = {a.field_kitchens}" if a.field_kitchens else f"one per {per} people"
        return (
            f"{st.code} sends {sent} of its {_plural(st.field_kitchens, 'field kitchen')} ({rule}): "
            f"{who}'s {people} troops need {people / rate:.1f} kitchen-hours at {rate:g} meals an hour, "
            f"{people / rate / max(sent, 1):.1f} h with {sent}, against {target}"
            + (f"; field_kitchens = {st.field_kitchens} would send all" if sent < st.field_kitchens else "")
        )
    if cause == "handover":
        return _handover_reason(plan, st, a, who)
    if cause == "notice":
        return _notice_reason(plan, st, a, who)
    if cause == "dwell":
        if a.dwell is not None and a.dwell < max(meal, refuel if a.vehicles else 0.0):
            return f"{who} stops {a.dwell:g} min, shorter than its own service ({meal:.0f}-min meal)"
        return f"{who}'s own service outlasts {target} with no wait: meals {plan.meal.describe()}"
    ep = plan.epoch_at(a.arrive)
    there = float(ep.to_station[a.place, codes.index(st.code)])
    back = float(ep.from_station[codes.index(st.code), a.place])
    if vehicles and a.dwell is not None:
        left = a.dwell - there - back
        return (
            f"{who}'s vehicles are refuelled at {st.code}, {there:.0f} min from {plan.places[a.place]}: "
            f"{there + back:.0f} min there and back leave {max(left, 0):.0f} min of {stop} for {a.vehicles} refuels "
            f"({a.vehicles * refuel:.0f} bay-minutes){_trucks_could(st, a)}"
        )
    if there + meal > plan.target:
        return (
            f"{who} is served at {st.code}, {there:.0f} min from {plan.places[a.place]}: the drive and a "
            f"{meal:.0f}-min meal alone exceed {target}"
        )
    return (
        f"{who} is served at {st.code}, {there:.0f} min from {plan.places[a.place]}: {there + back:.0f} min "
        f"there and back within {stop}"
    )


def _handover_reason(plan: CompiledDrill, st: StationPlan, a: Arrival, who: str | None) -> str:
    """Meals handed where the unit halts: the teams' loading time and when the meals can be there."""
    rate = st.handover_meals_per_minute
    teams = st.handover_teams
    codes = [s.code for s in plan.stations]
    drive = float(plan.epoch_at(a.arrive).from_station[codes.index(st.code), a.place])
    stop = f"its {a.dwell:g}-minute stop" if a.dwell is not None else f"the {plan.target:g}-min target"
    cook = a.headcount / st.meals_per_hour * 60 if st.meals_per_hour else 0.0
    return (
        f"{_plural(teams, 'handover team')} at {st.code} load {rate:g} meals a minute each: "
        f"{who}'s {a.headcount} troops need {a.headcount / rate:.0f} team-minutes, "
        f"{a.headcount / max(teams * rate, 1e-9):.0f} min with {teams}, "
        f"within {stop}; the meals take {cook:.0f} min to cook from {st.handover_prep_minutes:g} min before it "
        f"arrives and {drive:.0f} min to drive"
    )


def _notice_reason(plan: CompiledDrill, st: StationPlan, a: Arrival, who: str | None) -> str:
    """A station still readying when the unit got there: its standby share, readiness time and notice."""
    hours = st.readiness_minutes / 60
    called = plan.called_at(plan.stations.index(st))
    when = f"called {(a.arrive - called) / 60:.1f} h before {who} arrived" if called < a.arrive else "not yet called"
    return (
        f"{st.code} was {when} ({who} gave {a.notice / 60:g} h of notice): {st.standby_share:.0%} of its seats, "
        f"kitchen and bays are staffed on standby and it takes {hours:g} h to be fully ready"
    )
