"""The smallest change that fixes it: a greedy search for the fewest, smallest changes that bring
``planned_units_on_time`` to a goal, compared with common random numbers.

**Candidates** come from the diagnosis of the current plan (:mod:`~.budget`): for each late
planned unit, the resource its ``late_cause`` names at its station, sized by hand arithmetic to
what that unit alone needs —

* ``seats``: ``ceil(headcount / sittings)`` seats, ``sittings = floor((target − travel − long
  meal) / mean meal) + 1``, a *long* meal being the distribution's maximum or about its 95th
  percentile (the last of many sits through one);
* ``refuel_bays``: ``ceil(vehicles / k)`` bays, ``k = floor((stop − travel there and back) /
  long refuel)``;
* ``meals_per_hour``: a kitchen that, with its 30-minute buffer, cooks the unit's meals by
  ``target − travel − long meal`` (10% margin);
* ``field_kitchens``: as many as the unit's headcount calls for (``people_per_kitchen``);
* ``stock.<item>``: the unit's own draw of each tracked item;

and changes of support: ``serve_at`` another station that it can reach and leave in time (if
that station lacks seats or bays, adding them there is the candidate instead), or
``support = "mobile"`` (units without vehicles, whose nearest field kitchens can reach them), or
``support = "station"`` for a unit on mobile support.
Water and fuel trucks do not enter the simulation, so no change of them can show a gain and they
are not tried.

**Search.** Each step screens every candidate on the first ``min(R, 20) // 3`` replication
seeds, then the best four on the first ``min(R, 20)``, and keeps the best mean gain; ties —
common when two resources bind at once, so that neither alone puts a unit on time — go to the
change that cuts the planned units' minutes beyond target the most, then to the fewer and
smaller changes (relative to what the station has). A step is taken if it gains or cuts those
minutes; a bundle is taken change by change. Each change is run on all ``R`` seeds and its gain
over the plan before it reported as a
*paired* 95% t-interval of the per-replication differences. Every candidate and the baseline
use the same seeds, ``SeedSequence(seed).spawn(R)`` — common random numbers, so the difference
measures the change, not the noise. The search stops at the goal, after ``max_steps``, or when
no candidate gains.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import numpy as np

from simulation.compiled import Arrival, CompiledDrill, StationPlan, compile_drill
from simulation.model import run_replication
from simulation.records import ReplicationRecord
from simulation.runner import in_order, open_executor
from simulation.spec import drill_spec
from simulation.stats import DrillStats, Welford
from supply.core.errors import InvalidArgumentError
from supply.core.scenario import Scenario

SCREEN = 20  # replications each candidate is screened on
RESOURCES = ("seats", "meals_per_hour", "refuel_bays", "field_kitchens")


@dataclass(frozen=True)
class Change:
    """One change to the drill: a resource added at a station, or a unit's support changed."""

    station: str | None = None
    resource: str | None = None  # seats, meals_per_hour, refuel_bays, field_kitchens, stock.<item>
    add: float = 0.0
    unit: str | None = None
    support: str | None = None  # "mobile" or "station"
    serve_at: str | None = None

    def as_dict(self) -> dict:
        if self.unit is None:
            return {"station": self.station, "resource": self.resource, "add": self.add}
        key = "support" if self.support else "serve_at"
        return {"unit": self.unit, key: self.support or self.serve_at}

    def describe(self) -> str:
        if self.unit is None:
            what = {
                "seats": "dining seats",
                "meals_per_hour": "meals an hour of kitchen output",
                "refuel_bays": "refuel bays",
                "field_kitchens": "field kitchens",
            }.get(self.resource or "", f"{(self.resource or '').removeprefix('stock.')} in stock")
            return f"add {self.add:g} {what} at {self.station}"
        if self.support == "mobile":
            return f'serve {self.unit} by field kitchens at its site (support = "mobile")'
        if self.support:
            return f'serve {self.unit} at a station, not by field kitchens (support = "station")'
        return f'serve {self.unit} at {self.serve_at} (serve_at = "{self.serve_at}")'

    def cost(self, plan: CompiledDrill) -> float:
        """How big the change is, for ties: the share added to what the station has; support 0.5."""
        if self.unit is not None:
            return 0.5 if self.support else 0.25
        st, res = _station(plan, self.station or ""), self.resource or ""
        have = st.stock.get(res.removeprefix("stock."), 0) if res.startswith("stock.") else getattr(st, res)
        return self.add / max(float(have or 0), 1.0)

    def apply(self, plan: CompiledDrill) -> CompiledDrill:
        """The compiled drill with this change made."""
        if self.unit is None:
            stations = tuple(_grow(s, self) if s.code == self.station else s for s in plan.stations)
            return replace(plan, stations=stations)
        gi = plan.groups.index(self.unit)
        codes = [s.code for s in plan.stations]
        arrivals = tuple(
            a
            if a.group != gi
            else replace(a, mobile=self.support == "mobile")
            if self.support
            else replace(a, serve_at=codes.index(self.serve_at or ""), force=True, at_station=-1)
            for a in plan.arrivals
        )
        return replace(plan, arrivals=arrivals)


def _station(plan: CompiledDrill, code: str) -> StationPlan:
    return next(s for s in plan.stations if s.code == code)


def _grow(st: StationPlan, ch: Change) -> StationPlan:
    res = ch.resource or ""
    if res.startswith("stock."):
        item = res.removeprefix("stock.")
        return replace(st, stock={**st.stock, item: (st.stock[item] or 0) + ch.add})
    if res == "meals_per_hour":
        return replace(st, meals_per_hour=st.meals_per_hour + ch.add)
    if res == "seats":
        return replace(st, seats=st.seats + int(ch.add))
    if res == "refuel_bays":
        return replace(st, refuel_bays=st.refuel_bays + int(ch.add))
    return replace(st, field_kitchens=st.field_kitchens + int(ch.add))


# --- candidates --------------------------------------------------------------------------
def _needs(plan: CompiledDrill, st: StationPlan, a: Arrival, there: float, back: float) -> dict[str, float]:
    """What unit ``a`` alone would need added at ``st`` (reached in ``there`` minutes, ``back`` to
    return) to be served on time, resource by resource (module docstring); only what is short."""
    meal, long_meal, refuel, target = plan.meal.expected, plan.meal.long, plan.refuel.long, plan.target
    out: dict[str, float] = {}
    if a.headcount:
        sittings = max(1, math.floor((target - there - long_meal) / meal) + 1)
        seats = math.ceil(a.headcount / sittings)
        if st.seats < seats:
            out["seats"] = seats - st.seats
        if st.meals_per_hour > 0:  # 0: the kitchen is not a limit
            minutes = max(5.0, target - there - long_meal)
            need = 1.1 * a.headcount / (0.5 + minutes / 60)
            if st.meals_per_hour < need:
                out["meals_per_hour"] = max(10.0, math.ceil((need - st.meals_per_hour) / 10) * 10)
    if a.vehicles:
        window = (a.dwell if a.dwell is not None else target) - there - back
        bays = math.ceil(a.vehicles / max(1, math.floor(window / refuel)))
        if st.refuel_bays < bays:
            out["refuel_bays"] = bays - st.refuel_bays
    return out


Candidate = tuple[Change, ...]


def candidates(plan: CompiledDrill, res: dict) -> list[Candidate]:
    """Changes worth trying for the late planned units of ``res`` (the drill's JSON): single
    changes, and for a unit short of several things at once the bundle of them all."""
    out: dict[Candidate, None] = {}
    codes = [s.code for s in plan.stations]
    by_cause = {"seats": "seats", "kitchen": "meals_per_hour", "refuel_bays": "refuel_bays"}
    for code in res["late_units"]:
        u = res["units"][code]
        a = next(x for x in plan.arrivals if x.group == plan.groups.index(code))
        ep = plan.epoch_at(a.arrive)
        here = (u["stations"] or [None])[0]
        cause = u["late_cause"]
        if here is not None and not a.mobile:
            s = codes.index(here)
            there, back = float(ep.to_station[a.place, s]), float(ep.from_station[s, a.place])
            needs = _needs(plan, plan.stations[s], a, there, back)
            if cause in by_cause and by_cause[cause] not in needs:  # short of it with others about: one more
                needs[by_cause[cause]] = max(1.0, 0.25 * getattr(plan.stations[s], by_cause[cause]))
            changes = [Change(station=here, resource=r, add=q) for r, q in needs.items()]
            out.update(dict.fromkeys((c,) for c in changes))
            if len(changes) > 1:
                out[tuple(changes)] = None
        if here is not None and a.mobile and cause == "field_kitchens":
            st = plan.stations[codes.index(here)]
            need = math.ceil(a.headcount / plan.mobile.people_per_kitchen) - st.field_kitchens
            if need > 0:
                out[(Change(station=here, resource="field_kitchens", add=need),)] = None
        if here is not None and cause == "stock":
            st = plan.stations[codes.index(here)]
            draw = {
                "meals": a.headcount * plan.consumption.meals_per_person,
                "water_l": a.headcount * plan.consumption.water_l_per_person,
                "diesel_l": a.vehicles * plan.consumption.diesel_l_per_vehicle,
            }
            for item, qty in draw.items():
                if st.stock.get(item) is not None and qty > 0:
                    out[(Change(station=here, resource=f"stock.{item}", add=math.ceil(qty)),)] = None
        out.update(dict.fromkeys(_elsewhere(plan, a, code, here)))
    return list(out)


def _elsewhere(plan: CompiledDrill, a: Arrival, code: str, here: str | None) -> list[Candidate]:
    """Serving the unit at one of the two nearest other stations where it could be on time (with
    what that station is short of), or by field kitchens at its site."""
    out: list[Candidate] = []
    codes = [s.code for s in plan.stations]
    ep = plan.epoch_at(a.arrive)
    service = max(plan.meal.expected if a.headcount else 0.0, plan.refuel.expected if a.vehicles else 0.0)
    near = sorted(
        (
            s
            for s in range(len(codes))
            if codes[s] != here and s not in ep.offline and math.isfinite(ep.to_station[a.place, s])
        ),
        key=lambda s: float(ep.to_station[a.place, s]),
    )
    for s in near:
        there, back = float(ep.to_station[a.place, s]), float(ep.from_station[s, a.place])
        if there + plan.meal.expected > plan.target or (a.dwell is not None and there + back + service > a.dwell):
            continue
        adds = tuple(
            Change(station=codes[s], resource=r, add=q)
            for r, q in _needs(plan, plan.stations[s], a, there, back).items()
        )
        if adds:  # the policy may send it there once the station has what it lacks; else say so
            out.append(adds)
        out.append((*adds, Change(unit=code, serve_at=codes[s])))
        if len(out) == 2:
            break
    if a.mobile:
        out.append((Change(unit=code, support="station"),))
    kitchens = any(plan.stations[s].field_kitchens and float(ep.to_station[a.place, s]) < plan.target for s in near)
    if kitchens and not a.mobile and not a.vehicles and a.at_station < 0:  # mobile support refuels no vehicle
        out.append((Change(unit=code, support="mobile"),))
    return out


# --- evaluation with common random numbers -----------------------------------------------
def _shares_chunk(plan: CompiledDrill, seeds: list[tuple[int, np.random.SeedSequence]]) -> list[tuple[float, float]]:
    """Per replication: the share of planned units on time, and their minutes beyond target."""
    units = [a.group for a in plan.arrivals if a.rate_per_min == 0]
    out = []
    for index, ss in seeds:
        rec = run_replication(plan, ss, index)
        late = sum(sum(rec.groups[i].blame) for i in units)
        out.append((sum(rec.groups[i].on_time for i in units) / len(units), late))
    return out


def _chunks(seeds: list[tuple[int, np.random.SeedSequence]], slots: int) -> Iterator[list]:
    size = max(1, math.ceil(len(seeds) / (slots * 2)))
    for i in range(0, len(seeds), size):
        yield seeds[i : i + size]


class _Evaluator:
    """Runs plans on the same seeds, in this process or on worker processes."""

    def __init__(self, seed: int, replications: int, executor: Executor | None, slots: int) -> None:
        self.seeds = list(enumerate(np.random.SeedSequence(seed).spawn(replications)))
        self.executor, self.slots, self.seed = executor, slots, seed

    def shares(self, plans: list[CompiledDrill], n: int) -> list[np.ndarray]:
        """Each plan's (share, minutes beyond target) per replication on the first ``n`` seeds, as an
        ``n × 2`` array (every plan's chunks submitted at once)."""
        seeds = self.seeds[:n]
        if self.executor is None:
            return [np.asarray(_shares_chunk(p, seeds)) for p in plans]
        jobs = [[self.executor.submit(_shares_chunk, p, c) for c in _chunks(seeds, self.slots)] for p in plans]
        return [np.asarray([x for job in js for x in job.result()]) for js in jobs]

    def full(self, plan: CompiledDrill) -> tuple[DrillStats, np.ndarray]:
        """All replications of ``plan``: its statistics (for the next diagnosis) and its shares."""
        stats = DrillStats(plan, self.seed)
        units = [a.group for a in plan.arrivals if a.rate_per_min == 0]
        self.late_minutes = []
        if self.executor is None:
            chunks: Iterator[list[ReplicationRecord]] = iter([[run_replication(plan, ss, i) for i, ss in self.seeds]])
        else:
            chunks = in_order(self.executor, plan, _chunks(self.seeds, self.slots), window=self.slots * 2)
        shares = []
        for chunk in chunks:
            for rec in chunk:
                stats.add(rec)
                shares.append(sum(rec.groups[i].on_time for i in units) / len(units))
                self.late_minutes.append(sum(sum(rec.groups[i].blame) for i in units))
        return stats, np.asarray(shares)


def _score(
    ev: _Evaluator, current: np.ndarray, trial: list[CompiledDrill], cands: list[Candidate], n: int, plan: CompiledDrill
) -> list[tuple[tuple, tuple[float, float]]]:
    """Each candidate's rank key and (mean gain, mean cut of minutes beyond target) on ``n`` seeds."""
    base, base_late = current[:n], np.asarray(ev.late_minutes[:n])
    out = []
    for s, cs in zip(ev.shares(trial, n), cands, strict=True):
        gain, cut = float((s[:, 0] - base).mean()), float((base_late - s[:, 1]).mean())
        out.append(((round(gain, 9), round(cut, 3), -len(cs), -sum(x.cost(plan) for x in cs)), (gain, cut)))
    return out


def paired_gain(plan: CompiledDrill, changes: Candidate, *, replications: int, seed: int) -> dict:
    """The gain in planned units on time from ``changes``: a paired 95% interval on common seeds."""
    ev = _Evaluator(seed, replications, None, 1)
    _, before = ev.full(plan)
    _, after = ev.full(_apply(plan, changes))
    return _interval(after - before)


def _apply(plan: CompiledDrill, changes: Candidate) -> CompiledDrill:
    for c in changes:
        plan = c.apply(plan)
    return plan


def _interval(xs: np.ndarray, lo: float = -1.0, hi: float = 1.0) -> dict:
    """Mean and t-interval, clipped to what a share (``[0, 1]``) or a gain (``[-1, 1]``) can be."""
    w = Welford()
    for x in xs.tolist():
        w.add(x)
    d = w.as_dict(4)
    d["ci95"] = [min(max(v, lo), hi) for v in d["ci95"]]
    return d


def improve_plan(
    plan: CompiledDrill,
    *,
    goal: float = 0.9,
    max_steps: int = 5,
    replications: int = 200,
    seed: int = 0,
    workers: int = 1,
) -> tuple[dict, DrillStats]:
    """The greedy search of the module docstring on a compiled drill: the ``improve`` JSON, and the
    statistics of the drill as it stands (the baseline, for the drill report)."""
    if not 0 < goal <= 1:
        msg = f"--goal must be a share in (0, 1], got {goal}"
        raise InvalidArgumentError(msg)
    if max_steps < 0:
        msg = f"--max-steps must be ≥ 0, got {max_steps}"
        raise InvalidArgumentError(msg)
    if not any(a.rate_per_min == 0 for a in plan.arrivals):
        msg = "the drill has no planned units ([[drill.units]]): nothing for improve to bring on time"
        raise InvalidArgumentError(msg)
    screen = min(replications, SCREEN)
    if workers > 1:
        with open_executor(workers, None, 10.0) as (executor, slots):
            return _search(plan, goal, max_steps, _Evaluator(seed, replications, executor, slots), screen)
    return _search(plan, goal, max_steps, _Evaluator(seed, replications, None, 1), screen)


def _search(plan: CompiledDrill, goal: float, max_steps: int, ev: _Evaluator, screen: int) -> tuple[dict, DrillStats]:
    stats, current = ev.full(plan)
    first = stats
    baseline = _interval(current, 0.0)
    steps: list[dict] = []
    note = ""
    while current.mean() < goal and len(steps) < max_steps:
        res = stats.as_dict()
        cands = candidates(plan, res)
        if not cands:
            note = "no candidate change for the late units: " + ", ".join(
                f"{c} ({res['units'][c]['late_cause']})" for c in res["late_units"]
            )
            break
        trial = [_apply(plan, c) for c in cands]
        keep = list(range(len(cands)))
        for n in (max(1, screen // 3), screen):  # a quick look at all, then a closer one at the best few
            scored = _score(ev, current, [trial[i] for i in keep], [cands[i] for i in keep], n, plan)
            order = sorted(range(len(keep)), key=lambda k: scored[k][0], reverse=True)[:4]
            keep, gains_cuts = [keep[k] for k in order], [scored[k][1] for k in order]
        best = keep[0]
        gain, cut = gains_cuts[0]
        if gain <= 0 and cut < 1.0:
            note = "no candidate change gains: tried " + "; ".join(" + ".join(c.describe() for c in cs) for cs in cands)
            break
        for change in cands[best]:  # a bundle is taken change by change, each with its own paired gain
            if len(steps) == max_steps:
                break
            plan = change.apply(plan)
            stats, shares = ev.full(plan)
            steps.append(
                {
                    "change": change.as_dict(),
                    "action": change.describe(),
                    "planned_units_on_time": _interval(shares, 0.0),
                    "gain": _interval(shares - current),
                }
            )
            current = shares
    return {
        "goal": goal,
        "replications": len(ev.seeds),
        "seed": ev.seed,
        "baseline": {"planned_units_on_time": baseline},
        "steps": steps,
        "reached": bool(current.mean() >= goal),
        "note": note,
        "late_units": stats.late_units(),
    }, first


def improve(
    scenario: Scenario,
    *,
    goal: float = 0.9,
    max_steps: int = 5,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
) -> tuple[dict, DrillStats]:
    """:func:`improve_plan` on a scenario's drill (``None``: the drill's own replications and seed)."""
    spec = drill_spec(scenario)
    return improve_plan(
        compile_drill(scenario, spec),
        goal=goal,
        max_steps=max_steps,
        replications=spec.replications if replications is None else replications,
        seed=spec.seed if seed is None else seed,
        workers=workers,
    )
