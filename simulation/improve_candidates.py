"""Which steps ``jungong improve`` tries for each late planned unit, and, for a unit that no step
helps, why — in figures a planner can check (:mod:`~.improve_steps` sizes the steps).

For every late unit, whatever its ``late_cause``: what it is short of at its own station (each
resource alone and all of them as one bundle), one more of the resource the diagnosis blames,
its stock draw when it waits for stock, an earlier notice when its station was still readying,
serving it at one of the two nearest other stations that
can feed it within the target and let it leave in time (what that station lacks, with and
without ``serve_at``, each one bundle), and a
switch of support (field kitchens for a unit without vehicles that they can reach in time; the
station for a unit on field kitchens).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import combinations

from simulation.compiled import Arrival, CompiledDrill, StationPlan
from simulation.improve_costs import Costs
from simulation.improve_steps import Change, Step, handover_needs, make_step, needs, one_more, shortest

MAX_KITCHENS = 60  # field kitchens sent to one unit, at most
BY_CAUSE = {"seats": "seats", "kitchen": "meals_per_hour", "refuel_bays": "refuel_bays"}


#: A source of candidate steps: ``source(plan, res, costs, scale, unit)`` gives the steps worth trying for
#: the late planned unit ``unit`` of ``res`` (the drill's JSON as it stands), sized ``scale`` times the
#: arithmetic's answer. The search asks every source in :data:`SOURCES` in order for every late unit and
#: screens each distinct step once (a step two sources give is the first one's).
CandidateSource = Callable[[CompiledDrill, dict, Costs, float, str], list[Step]]


def station_steps(plan: CompiledDrill, res: dict, costs: Costs, scale: float, unit: str) -> list[Step]:
    """The steps of the module docstring for ``unit``: :func:`candidates` for it alone."""
    return candidates(plan, res, costs, scale, only=unit)


#: The candidate sources ``improve`` asks, in order (module docstring of :mod:`~.improve`).
SOURCES: tuple[CandidateSource, ...] = (station_steps,)


def arrival_of(plan: CompiledDrill, code: str) -> Arrival:
    gi = plan.groups.index(code)
    return next(a for a in plan.arrivals if a.group == gi)


def _station(plan: CompiledDrill, code: str) -> tuple[int, StationPlan]:
    i = next(i for i, s in enumerate(plan.stations) if s.code == code)
    return i, plan.stations[i]


def candidates(plan: CompiledDrill, res: dict, costs: Costs, scale: float = 1.0, only: str | None = None) -> list[Step]:
    """The steps worth trying for the late planned units of ``res`` (the drill's JSON), or only
    for unit ``only``; ``scale`` sizes every addition (1: the arithmetic's answer)."""
    out: dict[tuple[Change, ...], Step] = {}

    def add(code: str, changes: tuple[Change, ...]) -> None:
        if changes and changes not in out:
            out[changes] = make_step(code, changes, costs, scale)

    for code in res["late_units"]:
        if only is not None and code != only:
            continue
        u, a = res["units"][code], arrival_of(plan, code)
        here = (u["stations"] or [None])[0]
        cause = u["late_cause"]
        sides = [o for o in (u.get("outcomes") or {}).values() if o and (o.get("on_time_share") or 0) < 0.9]
        causes = {cause, *(o.get("late_cause") for o in sides)}
        if here is not None and a.handover:
            s, st = _station(plan, here)
            short = handover_needs(plan, st, a, float(plan.epoch_at(a.arrive).from_station[s, a.place]), scale)
            if "handover" in causes and all(c.resource != "handover_teams" for c in short):
                short.append(one_more(st, "handover_teams"))
            for k in range(1, len(short) + 1):
                for subset in combinations(short, k):
                    add(code, subset)
        if here is not None and not a.mobile and not a.handover:
            s, st = _station(plan, here)
            ep = plan.epoch_at(a.arrive)
            there, back = (
                (0.0, 0.0)
                if a.at_station == s
                else (float(ep.to_station[a.place, s]), float(ep.from_station[s, a.place]))
            )
            short = needs(plan, st, a, there, back, scale)
            for blamed in sorted(c for c in causes if c in BY_CAUSE):
                if all(c.resource != BY_CAUSE[blamed] for c in short):  # short of it with others about
                    short.append(one_more(st, BY_CAUSE[blamed]))
            for k in range(1, len(short) + 1):  # each alone, and every bundle of them
                for subset in combinations(short, k):
                    add(code, subset)
            if a.vehicles and u.get("late_side", "vehicles") in ("vehicles", "both"):
                trucks = fuel_trucks(plan, st, a, back, code, scale)
                if trucks:
                    add(code, trucks)
                    add(code, (*short, *trucks))
        if not a.mobile and not a.handover and a.at_station < 0 and a.headcount:
            add(code, mobile_bundle(plan, a, code, scale))
        if a.mobile and here is not None and causes & {"field_kitchens", "water_trucks"}:
            ep = plan.epoch_at(a.arrive)
            s, st = _station(plan, here)
            add(code, _kitchens(plan, st, a, float(ep.from_station[s, a.place]), code, scale))
        if here is not None and "notice" in causes:
            add(code, earlier_notice(plan, _station(plan, here)[1], a, code, scale))
        if here is not None and "stock" in causes:
            for c in _stock(plan, _station(plan, here)[1], a):
                add(code, (c,))
        for changes in _elsewhere(plan, a, code, here, scale):
            add(code, changes)
    return list(out.values())


def fuel_trucks(
    plan: CompiledDrill, st: StationPlan, a: Arrival, drive: float, code: str, scale: float, mobile: bool = False
) -> tuple[Change, ...]:
    """Fuel trucks from ``st`` (``drive`` minutes from the unit's halt) to refuel its vehicles where
    it halts before it must leave: ``ceil(vehicles × (connect + litres ÷ pump) ÷ window)`` trucks,
    the window being its stop less the drive out (and, on station support, the people's drive
    back); with the trucks the station lacks. Empty when the window is under 10 minutes."""
    tk = plan.trucks
    per = tk.connect_minutes + plan.consumption.diesel_l_per_vehicle / tk.pump_litres_per_minute
    stop = a.vehicle_target or (a.dwell if a.dwell is not None else plan.horizon - a.arrive)
    window = stop - drive - (0.0 if mobile else drive)
    if window < 10:
        return ()
    k = max(math.ceil(a.vehicles * per / window * scale), a.fuel_trucks + 1 if a.fuel_trucks else 0)
    out = [Change(station=st.code, resource="fuel_trucks", add=k - st.fuel_trucks)] if st.fuel_trucks < k else []
    return (*out, Change(unit=code, decide="fuel_trucks", value=k))


def _kitchens(
    plan: CompiledDrill, st: StationPlan, a: Arrival, drive: float, code: str, scale: float
) -> tuple[Change, ...]:
    """Field kitchens from ``st`` (``drive`` minutes away) that hand out the unit's meals within the
    target: ``ceil(headcount ÷ (rate × (target − drive)))`` (10% margin), with the kitchens and
    water trucks the station lacks. Empty when fewer than 5 minutes are left or over 60 kitchens."""
    left = plan.target - drive
    if left < 5:
        return ()
    k = math.ceil(1.1 * a.headcount * 60 / (plan.mobile.meals_per_hour_per_kitchen * left) * scale)
    if k > MAX_KITCHENS:
        return ()
    out = (
        [Change(station=st.code, resource="field_kitchens", add=k - st.field_kitchens)] if st.field_kitchens < k else []
    )
    litres = a.headcount * plan.consumption.water_l_per_person
    water = math.ceil(litres / plan.trucks.water_litres) if litres > 0 else 0
    if 0 < st.water_trucks < water:
        out.append(Change(station=st.code, resource="water_trucks", add=water - st.water_trucks))
    if st.water_trucks and 0 < a.water_trucks < water:  # the unit was sent fewer than its water calls for
        out.append(Change(unit=code, decide="water_trucks", value=water))
    return (*out, Change(unit=code, decide="field_kitchens", value=k))


def earlier_notice(plan: CompiledDrill, st: StationPlan, a: Arrival, code: str, scale: float) -> tuple[Change, ...]:
    """The unit's notice early enough for ``st`` to be fully ready when it arrives: whole hours up to
    the station's ``readiness_hours`` (× ``scale``). Empty when its notice already covers them."""
    hours = math.ceil((st.readiness_minutes - a.notice) / 60 * scale - 1e-9)
    if hours <= 0:
        return ()
    return (Change(unit=code, decide="notice_hours", add=float(hours), before=a.notice / 60),)


def mobile_bundle(plan: CompiledDrill, a: Arrival, code: str, scale: float) -> tuple[Change, ...]:
    """The unit served where it halts: field kitchens (and, for its vehicles, fuel trucks) from the
    station nearest its site — the one the model sends them from once it has them — as one step."""
    ep = plan.epoch_at(a.arrive)
    near = sorted(
        (float(ep.from_station[s, a.place]), s)
        for s in range(len(plan.stations))
        if s not in ep.offline and math.isfinite(ep.from_station[s, a.place])
    )
    if not near:
        return ()
    drive, s = near[0]
    st = plan.stations[s]
    kitchens = _kitchens(plan, st, a, drive, code, scale)
    trucks = fuel_trucks(plan, st, a, drive, code, scale, mobile=True) if a.vehicles else ()
    if not kitchens or (a.vehicles and not trucks):
        return ()
    return (Change(unit=code, support="mobile"), *kitchens, *trucks)


def _stock(plan: CompiledDrill, st: StationPlan, a: Arrival) -> list[Change]:
    c = plan.consumption
    draw = {
        "meals": a.headcount * c.meals_per_person,
        "water_l": a.headcount * c.water_l_per_person,
        "diesel_l": a.vehicles * c.diesel_l_per_vehicle,
    }
    return [
        Change(station=st.code, resource=f"stock.{item}", add=math.ceil(qty))
        for item, qty in draw.items()
        if st.stock.get(item) is not None and qty > 0
    ]


def reachable(plan: CompiledDrill, a: Arrival, here: str | None) -> list[tuple[int, float, float]]:
    """Other stations online and reachable from the unit's place: (index, minutes there, back), nearest first."""
    ep = plan.epoch_at(a.arrive)
    codes = [s.code for s in plan.stations]
    out = [
        (s, float(ep.to_station[a.place, s]), float(ep.from_station[s, a.place]))
        for s in range(len(codes))
        if codes[s] != here and s not in ep.offline and math.isfinite(ep.to_station[a.place, s])
    ]
    return sorted(out, key=lambda x: x[1])


def in_time(plan: CompiledDrill, a: Arrival, there: float, back: float) -> bool:
    """Whether a station ``there`` minutes away can feed the unit within the target (a long meal)
    and refuel it before it must leave."""
    if a.headcount and there + plan.meal.long > plan.target:
        return False
    service = max(plan.meal.expected if a.headcount else 0.0, plan.refuel.expected if a.vehicles else 0.0)
    return a.dwell is None or there + back + service <= a.dwell


def _elsewhere(plan: CompiledDrill, a: Arrival, code: str, here: str | None, scale: float) -> list[tuple[Change, ...]]:
    """Serving the unit at one of the two nearest other stations where it could be on time (with
    what that station lacks, as one bundle), or switching its support."""
    out: list[tuple[Change, ...]] = []
    near = [x for x in reachable(plan, a, here) if in_time(plan, a, x[1], x[2])]
    for s, there, back in near[:2]:
        adds = tuple(needs(plan, plan.stations[s], a, there, back, scale))
        if adds and not a.mobile:  # the policy may send it there once the station has what it lacks
            out.append(adds)
        out.append((*adds, Change(unit=code, serve_at=plan.stations[s].code)))
    if a.mobile:
        st_near = [x for x in reachable(plan, a, None) if in_time(plan, a, x[1], x[2])]
        switch = Change(unit=code, support="station")
        out.append((switch,))
        if st_near:
            s, there, back = st_near[0]
            adds = tuple(needs(plan, plan.stations[s], a, there, back, scale))
            if adds:
                out.append((*adds, switch, Change(unit=code, serve_at=plan.stations[s].code)))
    elif not a.vehicles and a.at_station < 0 and _kitchens_in_time(plan, a):  # mobile support refuels no vehicle
        out.append((Change(unit=code, support="mobile"),))
    return out


def _kitchens_in_time(plan: CompiledDrill, a: Arrival) -> bool:
    return any(plan.stations[s].field_kitchens and there < plan.target for s, there, _ in reachable(plan, a, None))


# --- why no step helps -------------------------------------------------------------------
def why_not(plan: CompiledDrill, res: dict, code: str, tried: list[tuple[Step, float]]) -> str:
    """Why no candidate brings unit ``code`` on time: the arithmetic of its cause, and the best
    steps tried with the share of screening replications each put it on time."""
    u, a = res["units"][code], arrival_of(plan, code)
    parts = [_arithmetic(plan, a, u)]
    if tried:
        best = sorted(tried, key=lambda x: (-x[1], x[0].cost))[:3]
        parts.append(
            "tried "
            + str(len(tried))
            + " step(s) for it, the best: "
            + "; ".join(f"{s.describe()} (on time in {share:.0%} of screening runs)" for s, share in best)
        )
    else:
        parts.append("no step the model has addresses it")
    return ". ".join(p for p in parts if p) + "."


def _arithmetic(plan: CompiledDrill, a: Arrival, u: dict) -> str:
    """The figures of why the unit is late, side by side: its people, then its vehicles."""
    sides = u.get("outcomes") or {}
    out = []
    for side in ("people", "vehicles"):
        o = sides.get(side)
        if o is None or o.get("on_time_share") is None or o["on_time_share"] >= 0.9:
            continue
        if side == "people" and o.get("late_cause") == "travel":
            out.append("its people: " + _travel(plan, a))
        else:
            out.append(f"its {side}: {o.get('late_reason') or o.get('late_cause')}")
    if not out:  # a drill without sides (or late only at the horizon): the unit's own cause
        cause = u["late_cause"]
        return _travel(plan, a) if cause == "travel" and a.headcount else str(u.get("late_reason") or f"late: {cause}")
    return "; ".join(out)


def _travel(plan: CompiledDrill, a: Arrival) -> str:
    """Why no station can feed the unit's people in time: the nearest and the shortest meal."""
    target, fastest, near = plan.target, shortest(plan.meal), reachable(plan, a, None)
    if not near:
        return "no station can reach its site"
    s, there, _ = near[0]
    text = (
        f"the nearest station, {plan.stations[s].code}, is {there:.0f} min from its site: with the "
        f"shortest meal ({fastest:g} min) its people are fed {there + fastest:.0f} min after arrival at "
        f"the earliest, against the {target:g}-min target"
    )
    if there + fastest <= target:
        text = (
            f"the nearest station, {plan.stations[s].code}, is {there:.0f} min from its site: its "
            f"{a.headcount} people are fed within the {target:g}-min target only if every meal is short "
            f"(a long one takes {plan.meal.long:g} min)"
        )
    if not a.mobile:
        text += _kitchen_figures(plan, a, near)
    return text


def _kitchen_figures(plan: CompiledDrill, a: Arrival, near: list[tuple[int, float, float]]) -> str:
    """Why field kitchens from the nearest station do not save it (or how many they would take)."""
    s, there, _ = near[0]
    code, left = plan.stations[s].code, plan.target - there
    if left < 5:
        return f"; field kitchens from {code} would reach its site {there:.0f} min after it arrives"
    rate = plan.mobile.meals_per_hour_per_kitchen
    need = math.ceil(1.1 * a.headcount * 60 / (rate * left))
    more = f", more than the {MAX_KITCHENS} improve proposes" if need > MAX_KITCHENS else ""
    return (
        f"; field kitchens from {code} ({there:.0f} min away) would need {need} kitchens at {rate:g} meals "
        f"an hour to hand out {a.headcount} meals in the {left:.0f} min left{more}"
    )
