"""The optimiser's model: who serves each planned unit, how and when, as an OR-Tools CP-SAT problem.

:func:`build_problem` turns a :class:`~.compiled.CompiledDrill` into plain data — for every
planned unit its **options** (served at a station's seats and bays; by field kitchens sent from a
station, how many; its vehicles refuelled where it halts by a station's fuel trucks, how many) —
and :func:`solve` chooses one option per unit and a start minute for every piece of work.

**Times.** Whole minutes from the drill's start. Travel is the road network's time in the
disruption epoch in force when the unit arrives (as the simulation has it), rounded up. Service
times enter at a stated percentile ``quantile`` of their distributions (:func:`quantile`): a meal
``m`` and a refuel ``r``. A station's options are open only while it is online at the unit's arrival.

**Work and resources.** Each option is one or more *jobs*, each a start variable with a
duration, that take resources for a span (CP-SAT optional intervals, one ``add_cumulative`` per
resource and station; a job may have to wait for another of its option):

* on-site meal: troops reach the station (``arrive + travel there``), then ``ceil(p / d)``
  sittings of ``m`` on ``d = min(p, seats)`` seats — no shorter than the kitchen takes to cook
  ``p`` meals beyond its half hour of ready output, plus one meal; it takes ``ceil(p × 60 /
  duration)`` of the station's meals an hour (its kitchen, a cumulative of ``meals_per_hour``);
* on-site refuel: ``ceil(v / b)`` rounds of ``r`` on ``b = min(v, refuel bays)`` bays;
* field kitchens: ``k`` of the station's kitchens drive out (from the unit's arrival), hand
  out ``ceil(p / k)`` meals each at ``meals_per_hour_per_kitchen`` and drive back;
* water (a station with water trucks): they carry the unit's water out with the kitchens, in
  as many trips as it takes, and the kitchens hand out meals only once it is there;
* handover (a train whose stop is shorter than a meal): its meals cooked at a station from the
  station's ``handover_prep_minutes`` before it arrives (the kitchen at full output), then driven
  to its halt and loaded by the station's ``handover_teams`` — on time when the last is loaded
  before the stop ends;
* fuel trucks: ``f`` trucks drive out, each refuels its ``ceil(v / f)`` vehicles
  (``connect_minutes`` + litres ÷ pump rate each, back to refill when dry) and drives back.

Each unit's options come from the :data:`NEAREST` stations (by road from the station to its site). A
unit with a stop must be fed (refuelled) before it must leave — its people ``arrive + dwell −
travel back``, its vehicles as the simulation has it — else that option is closed to it; the
option **none** (not served: missed) is always open, so the model is never infeasible.
**Stock**: what the units a station serves draw (meals, water, diesel per the drill's
consumption) before the first restock could arrive (``[drill.restock] lead_hours``) must be in its
opening stock less the drill's losses by then. Walk-ins (streams) are not in the model: they share
the stations in the simulation, which is what proves the plan.

**Notice**: a station readying on notice (``standby_share`` < 1) has only its standby share of
seats, kitchen output and bays until the first notice of a unit it serves, the rest staffed
over its ``readiness_hours`` (in :data:`RAMP_STEPS` steps).

**Objective**, in order (one weighted sum, each term's weight above the total range of the
next): most planned units on time (people fed within the target and vehicles refuelled by
their deadline), then fewest minutes beyond target (people's and vehicles', a missed unit
counting its whole stop or a day), then fewest resources moved (field kitchens and fuel trucks sent),
and last, among plans equal on all three, the stations nearest each unit.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from simulation.compiled import Arrival, CompiledDrill
from simulation.distributions import Dist

MISSED_MINUTES = 1440  # minutes beyond target a missed unit without a stop counts
SPAN = 7 * 1440  # no work of a unit's ends later than this many minutes after its arrival
MAX_KITCHENS = 8  # field-kitchen counts tried per station: 1..this (and the station's all)
MAX_TRUCKS = 6  # fuel-truck counts tried per station: 1..this (and the station's all)
NEAREST = 8  # stations a unit's options are drawn from: the nearest this many


def quantile(d: Dist, q: float) -> float:
    """The ``q`` quantile of ``d`` (minutes)."""
    if d.dist == "fixed":
        return float(d.value or 0.0)
    if d.dist == "exponential":
        return -float(d.mean or 0.0) * math.log1p(-q)
    if d.dist == "uniform":
        lo, hi = float(d.low or 0.0), float(d.high or 0.0)
        return lo + q * (hi - lo)
    if d.dist == "triangular":
        a, c, b = float(d.low or 0.0), float(d.mode or 0.0), float(d.high or 0.0)
        cut = (c - a) / (b - a)
        if q <= cut:
            return a + math.sqrt(q * (b - a) * (c - a))
        return b - math.sqrt((1 - q) * (b - a) * (b - c))
    m, s = float(d.mean or 0.0), float(d.sd or 0.0)
    sigma2 = math.log1p((s / m) ** 2)
    z = statistics.NormalDist().inv_cdf(q)
    return math.exp(math.log(m) - sigma2 / 2 + z * math.sqrt(sigma2))


@dataclass(frozen=True)
class Use:
    """A resource a job takes: ``(kind, station)``, how many, for how long from the job's start."""

    resource: tuple[str, int]
    demand: int
    span: int


@dataclass(frozen=True)
class Job:
    """A piece of work: starts no earlier than ``earliest``, done ``length`` minutes after its start."""

    side: int  # 0: people, 1: vehicles
    earliest: int
    length: int
    uses: tuple[Use, ...]
    after: int = -1  # the option's job (index) this one starts after, ``lag`` minutes after its end
    lag: int = 0
    finishes: bool = True  # False: preparation (cooking), not when its side is served


@dataclass(frozen=True)
class Option:
    """One way of serving a unit."""

    support: str  # "station", "mobile" or "handover"
    station: int
    kitchens: int = 0  # field kitchens sent
    trucks: int = 0  # fuel trucks sent
    jobs: tuple[Job, ...] = ()
    due: tuple[int, int] = (0, 0)  # latest finish of people and vehicles (else the option is closed)
    draws: tuple[tuple[int, str, float], ...] = ()  # (station, item, quantity) drawn
    mark: int | None = None  # when its people are on time by, if not the unit's target (handover: its stop's end)
    rank: int = 0  # its station's place among the unit's nearest (0: the nearest), the last tie-break

    @property
    def moved(self) -> int:
        return self.kitchens + self.trucks

    def marks(self, unit: UnitProblem) -> tuple[int, int]:
        """When each side (people, vehicles) is on time by under this option."""
        people = unit.target if self.mark is None else self.mark
        return people, unit.vehicle_target if unit.vehicle_target is not None else self.due[1]


@dataclass(frozen=True)
class UnitProblem:
    code: str
    arrive: int
    target: int  # on time if its people are fed by this minute
    vehicle_target: int | None  # ... and its vehicles refuelled by this one (None: by the option's deadline)
    missed: int  # minutes beyond target charged when not served
    options: tuple[Option, ...]
    called: int | None = None  # the minute of its notice (None: not modelled)


@dataclass(frozen=True)
class Problem:
    units: tuple[UnitProblem, ...]
    capacity: dict[tuple[str, int], int]
    stock: dict[tuple[int, str], float]  # what each station can issue before the first restock
    restock_minute: int
    horizon: int
    quantile: float
    ramps: dict[int, tuple[float, int]] = field(default_factory=dict)  # station: (standby share, readiness minutes)


@dataclass
class Chosen:
    unit: str
    option: Option | None  # None: not served
    starts: list[int] = field(default_factory=list)
    done: tuple[int | None, int | None] = (None, None)
    on_time: bool = False
    beyond: int = 0


@dataclass
class Solution:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN, MODEL_INVALID
    objective: float | None
    bound: float | None
    seconds: float
    on_time: int = 0
    beyond: int = 0
    moved: int = 0
    chosen: list[Chosen] = field(default_factory=list)


def _ceil(x: float) -> int:
    return math.ceil(x - 1e-9)


def build_problem(plan: CompiledDrill, q: float = 0.8) -> Problem:
    """The optimiser's problem for ``plan``'s planned units (module docstring)."""
    meal, refuel = quantile(plan.meal, q), quantile(plan.refuel, q)
    capacity: dict[tuple[str, int], int] = {}
    for s, st in enumerate(plan.stations):
        capacity[("seats", s)] = st.seats
        capacity[("kitchen", s)] = _ceil(st.meals_per_hour)
        capacity[("bays", s)] = st.refuel_bays
        capacity[("field_kitchens", s)] = st.field_kitchens
        capacity[("fuel_trucks", s)] = st.fuel_trucks
        capacity[("water_trucks", s)] = st.water_trucks
        capacity[("handover_teams", s)] = st.handover_teams
    lead = plan.restock.lead_hours * 60
    stock: dict[tuple[int, str], float] = {}
    for s, st in enumerate(plan.stations):
        for item, have in st.stock.items():
            if have is not None:
                lost = sum(qty for t, k, it, qty in plan.losses if k == s and it == item and t < lead)
                stock[(s, item)] = max(0.0, have - lost)
    units = tuple(_unit(plan, a, meal, refuel) for a in plan.arrivals if a.rate_per_min == 0)
    ramps = {
        s: (st.standby_share, _ceil(st.readiness_minutes)) for s, st in enumerate(plan.stations) if st.standby_share < 1
    }
    return Problem(units, capacity, stock, int(lead), int(plan.horizon), q, ramps)


def _unit(plan: CompiledDrill, a: Arrival, meal: float, refuel: float) -> UnitProblem:
    t0 = _ceil(a.arrive)
    people_target = t0 + _ceil(plan.target) if a.headcount else 0
    veh_target = t0 + _ceil(a.vehicle_target) if a.vehicle_target is not None else None
    options: list[Option] = []
    ep = plan.epoch_at(a.arrive)
    door = a.at_station >= 0
    for s in _nearest(plan, a):
        there, back = float(ep.to_station[a.place, s]), float(ep.from_station[s, a.place])
        if door and s != a.at_station:
            continue  # a unit at a station's own door is served there (as the simulation does)
        options += _station_options(plan, a, s, _ceil(there), _ceil(back), meal, refuel, t0)
        if not door:
            options += _mobile_options(plan, a, s, _ceil(back), t0)
    if not door:
        options += _handover_options(plan, a, meal, t0)
    ranks = {s: i for i, s in enumerate(_nearest(plan, a))}
    opts = tuple(
        replace(o, rank=ranks[o.station])
        for o in options
        if all(j.earliest + j.length <= o.due[j.side] for j in o.jobs if j.finishes)
    )
    missed = _ceil(a.dwell) if a.dwell is not None else MISSED_MINUTES
    called = math.floor(a.arrive - a.notice)
    return UnitProblem(plan.groups[a.group], t0, people_target, veh_target, missed, opts, called)


def _nearest(plan: CompiledDrill, a: Arrival) -> list[int]:
    """The :data:`NEAREST` stations online and reachable both ways when ``a`` arrives, nearest first."""
    ep = plan.epoch_at(a.arrive)
    there, back = ep.to_station[a.place], ep.from_station[:, a.place]
    ok = [
        s
        for s in range(len(plan.stations))
        if s not in ep.offline and math.isfinite(there[s]) and math.isfinite(back[s])
    ]
    return sorted(ok, key=lambda s: (float(back[s]), s))[:NEAREST]


def _draws(plan: CompiledDrill, a: Arrival, s: int, people: bool, vehicles: bool) -> tuple[tuple[int, str, float], ...]:
    c = plan.consumption
    out = []
    if people and a.headcount:
        out += [(s, "meals", a.headcount * c.meals_per_person), (s, "water_l", a.headcount * c.water_l_per_person)]
    if vehicles and a.vehicles:
        out.append((s, "diesel_l", a.vehicles * c.diesel_l_per_vehicle))
    return tuple((k, item, q) for k, item, q in out if q > 0)


def _meal_job(plan: CompiledDrill, a: Arrival, s: int, there: int, meal: float, t0: int) -> Job | None:
    st = plan.stations[s]
    if not st.seats:
        return None
    d = min(a.headcount, st.seats)
    length = _ceil(math.ceil(a.headcount / d) * meal)
    uses = [Use(("seats", s), d, 0)]
    if st.meals_per_hour > 0:
        cook = max(0.0, a.headcount - st.meals_per_hour / 2) / st.meals_per_hour * 60 + meal
        length = max(length, _ceil(cook))
        rate = min(_ceil(st.meals_per_hour), _ceil(a.headcount * 60 / max(length, 1)))
        uses.append(Use(("kitchen", s), rate, 0))
    length = max(length, 1)
    return Job(0, t0 + there, length, tuple(Use(u.resource, u.demand, length) for u in uses))


def _truck_job(plan: CompiledDrill, a: Arrival, s: int, f: int, drive: int, t0: int) -> Job:
    tk, per = plan.trucks, plan.consumption.diesel_l_per_vehicle
    share = math.ceil(a.vehicles / f)
    each = tk.connect_minutes + per / tk.pump_litres_per_minute
    per_tank = max(1, math.floor(tk.fuel_litres / per)) if per > 0 else share
    refills = math.ceil(share / per_tank) - 1
    work = _ceil(drive + share * each + refills * (2 * drive + tk.refill_minutes))
    return Job(1, t0, max(work, 1), (Use(("fuel_trucks", s), f, max(work + drive, 1)),))


def _truck_counts(plan: CompiledDrill, a: Arrival, s: int) -> list[int]:
    """Fuel-truck counts tried: 1 to :data:`MAX_TRUCKS`, and all the station's (none for a unit without vehicles)."""
    have = plan.stations[s].fuel_trucks
    if not a.vehicles or not have:
        return []
    return sorted({*range(1, min(have, MAX_TRUCKS, a.vehicles) + 1), min(have, a.vehicles)})


def _station_options(
    plan: CompiledDrill, a: Arrival, s: int, there: int, back: int, meal: float, refuel: float, t0: int
) -> list[Option]:
    st = plan.stations[s]
    jobs: list[Job] = []
    if a.headcount:
        job = _meal_job(plan, a, s, there, meal, t0)
        if job is None:
            return []
        jobs.append(job)
    stop = t0 + _ceil(a.dwell) if a.dwell is not None else None
    big = t0 + SPAN
    people_due = stop - back if stop is not None else big
    out = []
    if a.vehicles and st.refuel_bays:
        b = min(a.vehicles, st.refuel_bays)
        length = max(1, _ceil(math.ceil(a.vehicles / b) * refuel))
        bay = Job(1, t0 + there, length, (Use(("bays", s), b, length),))
        out.append(
            Option("station", s, jobs=(*jobs, bay), due=(people_due, people_due), draws=_draws(plan, a, s, True, True))
        )
    if not a.vehicles:
        out.append(Option("station", s, jobs=tuple(jobs), due=(people_due, big), draws=_draws(plan, a, s, True, False)))
    for f in _truck_counts(plan, a, s):
        truck = _truck_job(plan, a, s, f, back, t0)
        due = (people_due, stop if stop is not None else big)
        out.append(Option("station", s, trucks=f, jobs=(*jobs, truck), due=due, draws=_draws(plan, a, s, True, True)))
    return out


def _mobile_options(plan: CompiledDrill, a: Arrival, s: int, drive: int, t0: int) -> list[Option]:
    st = plan.stations[s]
    if not st.field_kitchens or not a.headcount:
        return []
    stop = t0 + _ceil(a.dwell) if a.dwell is not None else None
    big = t0 + SPAN
    due = stop if stop is not None else big
    rate = plan.mobile.meals_per_hour_per_kitchen / 60
    counts = sorted({*range(1, min(st.field_kitchens, MAX_KITCHENS) + 1), st.field_kitchens})
    water = _water_job(plan, a, s, drive, t0)
    wait = max(drive, water.length if water else 0)  # the kitchens hand out meals once the water is there
    out = []
    for k in counts:
        serve = _ceil(math.ceil(a.headcount / k) / rate)
        kitchens = Job(0, t0, wait + serve, (Use(("field_kitchens", s), k, wait + serve + drive),))
        job = (kitchens, water) if water else (kitchens,)
        vehicle_opts: list[tuple[int, tuple[Job, ...]]] = [(0, ())]
        if a.vehicles:  # a mobile-support unit's vehicles: refuelled by the station's fuel trucks, or not judged
            vehicle_opts = [(f, (_truck_job(plan, a, s, f, drive, t0),)) for f in _truck_counts(plan, a, s)] or [
                (0, ())
            ]
        for f, extra in vehicle_opts:
            draws = _draws(plan, a, s, True, bool(f))
            out.append(Option("mobile", s, k, f, (*job, *extra), (due, due if f else big), draws))
    return out


def _handover_options(plan: CompiledDrill, a: Arrival, meal: float, t0: int) -> list[Option]:
    """Meals handed to a train whose stop is shorter than a meal (``support = "handover"``): cooked at a
    station from its ``handover_prep_minutes`` before the unit arrives (its kitchen at full output
    beyond the half hour ready), driven to the halt and loaded by all its handover teams, each
    ``handover_meals_per_minute``; on time when the last meal is loaded before the stop ends."""
    if a.dwell is None or a.dwell >= meal or a.vehicles or not a.headcount:
        return []
    ep = plan.epoch_at(a.arrive)
    out = []
    for s in _nearest(plan, a):
        st = plan.stations[s]
        teams = st.handover_teams
        rate = st.handover_meals_per_minute * teams
        if teams <= 0 or rate <= 0:
            continue
        drive = _ceil(float(ep.from_station[s, a.place]))
        begin = max(0, t0 - _ceil(st.handover_prep_minutes))
        jobs: list[Job] = []
        if st.meals_per_hour > 0:
            cook = _ceil(max(0.0, a.headcount - st.meals_per_hour / 2) / st.meals_per_hour * 60)
            if cook > 0:
                jobs.append(Job(0, begin, cook, (Use(("kitchen", s), _ceil(st.meals_per_hour), cook),), finishes=False))
        load = max(1, _ceil(a.headcount / rate))
        after = len(jobs) - 1
        earliest = max(t0, begin + drive)
        jobs.append(Job(0, earliest, load, (Use(("handover_teams", s), teams, load + drive),), after, drive))
        stop = t0 + _ceil(a.dwell)
        draws = _draws(plan, a, s, True, False)
        out.append(Option("handover", s, jobs=tuple(jobs), due=(stop, stop), draws=draws, mark=stop))
    return out


def _water_job(plan: CompiledDrill, a: Arrival, s: int, drive: int, t0: int) -> Job | None:
    """The water trucks carrying a mobile-support unit's water (only from a station that has some, as
    the simulation has it): as many as carry it in one trip, or all the station's, each trip there,
    back, ``refill_minutes``, there again."""
    st, tk = plan.stations[s], plan.trucks
    litres = a.headcount * plan.consumption.water_l_per_person
    if not st.water_trucks or litres <= 0:
        return None
    sent = min(st.water_trucks, a.water_trucks or math.ceil(litres / tk.water_litres))
    trips = math.ceil(litres / sent / tk.water_litres - 1e-9)
    length = _ceil(drive + (trips - 1) * (2 * drive + tk.refill_minutes))
    return Job(0, t0, max(length, 1), (Use(("water_trucks", s), sent, max(length + drive, 1)),))


# --- solving --------------------------------------------------------------------------------
STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.UNKNOWN: "UNKNOWN",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
}


def weights(problem: Problem) -> tuple[int, int, int]:
    """The weights of a unit on time, a minute beyond target and a resource sent, each above the
    whole range of the terms after it (the last: the served stations' ranks, weight 1)."""
    rank = sum(max((o.rank for o in u.options), default=0) for u in problem.units) + 1
    moved = sum(max((o.moved for o in u.options), default=0) for u in problem.units) + 1
    beyond = sum(_most_beyond(u) for u in problem.units) + 1
    return beyond * moved * rank, moved * rank, rank


def _most_beyond(u: UnitProblem) -> int:
    """The most minutes beyond target ``u`` can be charged (missed, or its latest option's work)."""
    ends = [d - mark for o in u.options for d, mark in zip(o.due, o.marks(u), strict=True)]
    return max([u.missed, *ends])


RAMP_STEPS = 4  # a station's ramp from standby to full staffing, in this many equal steps


def _readiness(
    m: cp_model.CpModel,
    problem: Problem,
    pick: list[list[cp_model.IntVar]],
    by_resource: dict[tuple[str, int], tuple[list, list]],
    top: int,
) -> None:
    """A station readying on notice: its seats, kitchen output and bays beyond the standby share
    are taken by blocks freed in :data:`RAMP_STEPS` steps over ``readiness`` minutes (each at the
    middle of its step) from the first notice of a unit it serves (never, if it serves none)."""
    for s, (standby, minutes) in problem.ramps.items():
        calls = [
            (u.called, sum(x for o, x in zip(u.options, xs, strict=True) if o.station == s))
            for u, xs in zip(problem.units, pick, strict=True)
            if u.called is not None and any(o.station == s for o in u.options)
        ]
        low = min([c for c, _ in calls] + [0])
        called = m.new_int_var(low, top, f"called_{s}")
        terms = []
        for c, served in calls:
            y = m.new_bool_var("y")
            m.add(y == served)
            terms.append(top - (top - c) * y)
        m.add_min_equality(called, [*terms, top])
        for kind in ("seats", "kitchen", "bays"):
            cap = problem.capacity.get((kind, s), 0)
            short = cap - math.floor(standby * cap)
            if short <= 0:
                continue
            for i in range(RAMP_STEPS):
                demand = short // RAMP_STEPS + (1 if i < short % RAMP_STEPS else 0)
                if not demand:
                    continue
                end = m.new_int_var(0, top + minutes, "ready")
                m.add_max_equality(end, [called + round(minutes * (i + 0.5) / RAMP_STEPS), 0])
                iv = m.new_interval_var(0, end, end, "standby")
                ivs, dem = by_resource.setdefault((kind, s), ([], []))
                ivs.append(iv)
                dem.append(demand)


def solve(problem: Problem, time_limit: float = 30.0, workers: int = 2) -> Solution:
    """Choose an option and start minutes for every unit (module docstring); ``time_limit`` seconds at most."""
    m = cp_model.CpModel()
    w_on, w_min, w_moved = weights(problem)
    pick: list[list[cp_model.IntVar]] = []
    starts: list[list[list[cp_model.IntVar]]] = []
    ontime_vars, beyond_vars, moved_terms = [], [], []
    by_resource: dict[tuple[str, int], tuple[list, list]] = {}
    draws: dict[tuple[int, str], list] = {}
    top = max([u.arrive for u in problem.units] + [0]) + SPAN
    for u in problem.units:
        xs = [m.new_bool_var(f"x_{u.code}_{i}") for i in range(len(u.options))]
        served = sum(xs)
        m.add(served <= 1)
        on = m.new_bool_var(f"on_{u.code}")
        beyond = m.new_int_var(0, top, f"beyond_{u.code}")
        m.add(beyond >= u.missed).only_enforce_if([x.Not() for x in xs])
        if not xs:
            m.add(on == 0)
        m.add(on <= served)
        unit_starts = []
        for o, x in zip(u.options, xs, strict=True):
            js: list[cp_model.IntVar] = []
            ends: dict[int, list[tuple[cp_model.IntVar, int]]] = {0: [], 1: []}
            for j in o.jobs:
                st = m.new_int_var(j.earliest, top, "s")
                if j.after >= 0:
                    m.add(st >= js[j.after] + o.jobs[j.after].length + j.lag).only_enforce_if(x)
                js.append(st)
                if j.finishes:
                    m.add(st + j.length <= o.due[j.side]).only_enforce_if(x)
                    ends[j.side].append((st, j.length))
                for use in j.uses:
                    iv = m.new_optional_fixed_size_interval_var(st, use.span, x, "iv")
                    ivs, dem = by_resource.setdefault(use.resource, ([], []))
                    ivs.append(iv)
                    dem.append(use.demand)
            unit_starts.append(js)
            for side, mark in enumerate(o.marks(u)):
                for st, length in ends[side]:
                    m.add(st + length <= mark).only_enforce_if([on, x])  # on time: taken, and done by the mark
                    m.add(beyond >= st + length - mark).only_enforce_if(x)
            for k, item, q in o.draws:
                draws.setdefault((k, item), []).append((x, q, u.arrive))
            if o.moved or o.rank:
                moved_terms.append((o.moved * w_moved + o.rank) * x)
        pick.append(xs)
        starts.append(unit_starts)
        ontime_vars.append(on)
        beyond_vars.append(beyond)
    _readiness(m, problem, pick, by_resource, top)
    for res, (ivs, dem) in by_resource.items():
        cap = problem.capacity.get(res, 0)
        if res[0] == "kitchen" and cap == 0:
            continue  # 0 meals an hour: the kitchen is not a limit
        m.add_cumulative(ivs, dem, cap)
    for key, terms in draws.items():
        if key not in problem.stock:
            continue
        early = [(x, q) for x, q, t in terms if t < problem.restock_minute]
        if early:
            m.add(sum(_ceil(q) * x for x, q in early) <= math.floor(problem.stock[key] + 1e-9))
    m.minimize(-w_on * sum(ontime_vars) + w_min * sum(beyond_vars) + sum(moved_terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    t = time.perf_counter()
    code = solver.solve(m)
    seconds = time.perf_counter() - t
    status = STATUS.get(code, "UNKNOWN")
    if status not in ("OPTIMAL", "FEASIBLE"):
        return Solution(status, None, None, seconds)
    offset = w_on * len(problem.units)  # reported objective: ≥ 0, as the weighted sum of what is lost
    sol = Solution(status, solver.objective_value + offset, solver.best_objective_bound + offset, seconds)
    for u, xs, us, on, beyond in zip(problem.units, pick, starts, ontime_vars, beyond_vars, strict=True):
        c = Chosen(u.code, None, on_time=bool(solver.value(on)), beyond=int(solver.value(beyond)))
        for o, x, js in zip(u.options, xs, us, strict=True):
            if solver.value(x):
                c.option = o
                c.starts = [int(solver.value(s)) for s in js]
                done: list[int | None] = [None, None]
                for j, s in zip(o.jobs, c.starts, strict=True):
                    done[j.side] = max(done[j.side] or 0, s + j.length)
                c.done = (done[0], done[1])
        sol.chosen.append(c)
        sol.on_time += c.on_time
        sol.beyond += c.beyond
        sol.moved += c.option.moved if c.option else 0
    return sol
