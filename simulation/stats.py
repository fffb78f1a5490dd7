"""Streaming aggregation of replications: memory stays flat however many are run.

Each scalar metric is a :class:`Welford` accumulator (mean and variance in one pass); series
and histograms are running sums of fixed-size arrays. Records must be added in replication
order so the floating-point sums — and hence the JSON — are identical whatever ran them.

**Planned units first.** ``planned_units_on_time`` is, per replication, the share of the
``[[drill.units]]`` on time (each unit counts once, whatever its headcount), then averaged with
its t-interval; ``walk_ins_on_time`` the same for the stream arrivals (share of arrivals);
``service_level`` stays the people-blind share of *all* arrivals, walk-ins included. A unit's
``on_time_share`` is the mean over replications of its share of arrivals on time — the same
definition as its ``on_time_share_ci95`` (for a stream, replications with no arrival are left
out of both). ``late_units`` are the planned units on time in fewer than :data:`LATE_SHARE` of
replications, worst first.

**Two sides.** Each unit's ``outcomes`` judge its people (fed within ``target_minutes`` of
arrival) and its vehicles (refuelled by their deadline: the stop, or ``vehicle_target_minutes``)
apart, each with its own on-time share, time budget, late cause and missed share. A late unit's
``late_side`` says which side is on time in fewer than :data:`LATE_SHARE` of replications (the
lower one when neither alone is); its ``time_budget`` and ``late_cause`` are that side's (the
people's when it is on time; with both late, the side charged more minutes beyond target).

**Minutes beyond target** (one definition wherever printed): for a side served late, the minutes
past its deadline; for a side that moved on unserved, every minute its last unserved person or
vehicle waited or travelled (:mod:`~.budget`), charged to causes; summed over the units and
divided by the replications. ``minutes_beyond_target`` lists them by station and resource.

**Bottleneck.** ``bottleneck_resource`` is the station and *resource a planner can add or move*
(:data:`~.budget.STATION_RESOURCES`) charged the most minutes beyond target by late or missed
*planned* units (walk-ins only when no planned unit was late), per replication; ``bottleneck`` is
its station. Minutes charged to distance are ``placement`` (per unit: where it was served, the
minutes, the nearest station that could serve it in time), those charged to a stop shorter than
the service stay with the unit. If no station resource made anyone late, the bottleneck is the
station with the highest mean seat utilisation (the closest to limiting), resource ``seats``
with 0 minutes.

**The two waits.** A unit's ``mean_wait_minutes`` is person-minutes waited (for a seat and a
meal, or for a field kitchen) up to the horizon ÷ its people, pooled over replications; a
station's ``mean_wait_minutes`` is, per replication, the mean full wait of the people seated
there after the warm-up, then averaged over replications (with its 95% CI).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
from scipy.special import stdtrit

from simulation import diagnosis
from simulation.assumptions import mark
from simulation.budget import BUDGET_KEYS, CAUSES, OPTIONAL_KEYS, STATION_RESOURCES
from simulation.compiled import Arrival, CompiledDrill
from simulation.feasibility import feasibility, nearest_feasible
from simulation.model import HIST_BINS, HIST_WIDTH
from simulation.records import SIDES, ReplicationRecord, SideRecord
from simulation.survive import SurviveAgg
from supply.core.types import STOCK_ITEMS

#: A planned unit on time in fewer replications than this is late (``late_units``).
LATE_SHARE = 0.9
#: Minutes beyond target per replication below which a station resource is not named the bottleneck
#: (it would print as "0 min"): the late units are then late for other reasons (placement, the stop).
MIN_BOTTLENECK = 0.5


@dataclass
class Welford:
    """Running mean and variance (Welford 1962); ``nan`` values are skipped."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, x: float) -> None:
        if math.isnan(x):
            return
        self.n += 1
        d = x - self.mean
        self.mean += d / self.n
        self.m2 += d * (x - self.mean)

    @property
    def var(self) -> float:
        return self.m2 / (self.n - 1) if self.n > 1 else 0.0

    def ci95(self) -> tuple[float, float]:
        """Student-t 95% confidence interval of the mean."""
        if self.n < 2:
            return (self.mean, self.mean)
        # stdtrit is what scipy.stats.t.ppf computes (the same digits) without importing scipy.stats (~0.2 s)
        half = float(stdtrit(self.n - 1, 0.975)) * math.sqrt(self.var / self.n)
        return (self.mean - half, self.mean + half)

    def as_dict(self, digits: int = 4) -> dict:
        if self.n == 0:
            return {"mean": None, "ci95": [None, None]}
        lo, hi = self.ci95()
        return {"mean": round(float(self.mean), digits), "ci95": [round(float(lo), digits), round(float(hi), digits)]}


@dataclass
class _StationAgg:
    wait: Welford = field(default_factory=Welford)
    utilisation: Welford = field(default_factory=Welford)
    bays: Welford = field(default_factory=Welford)
    kitchens: Welford = field(default_factory=Welford)
    trucks: Welford = field(default_factory=Welford)
    queue: Welford = field(default_factory=Welford)
    late_wait: Welford = field(default_factory=Welford)
    served: int = 0
    stockouts: int = 0
    arrivals: int = 0
    units: int = 0
    units_on_time: int = 0
    first_stockout: Welford = field(default_factory=Welford)
    queue_series: np.ndarray | None = None
    stock_series: np.ndarray | None = None
    drawn: dict[str, Welford] = field(default_factory=lambda: {k: Welford() for k in STOCK_ITEMS})
    blame_units: np.ndarray = field(default_factory=lambda: np.zeros(len(CAUSES)))
    blame_walk_ins: np.ndarray = field(default_factory=lambda: np.zeros(len(CAUSES)))


@dataclass
class _SideAgg:
    """One side (people or vehicles) of a group over the replications."""

    arrivals: int = 0
    counts: np.ndarray = field(default_factory=lambda: np.zeros(4, dtype=np.int64))  # records.OUTCOMES
    share: Welford = field(default_factory=Welford)
    budget_sum: np.ndarray = field(default_factory=lambda: np.zeros(len(BUDGET_KEYS)))
    budget_n: int = 0
    blame: np.ndarray = field(default_factory=lambda: np.zeros(len(CAUSES)))

    def add(self, r: SideRecord) -> None:
        judged = r.on_time + r.late + r.missed + r.unfinished
        if not judged:
            return
        self.arrivals += judged
        self.counts += (r.on_time, r.late, r.missed, r.unfinished)
        self.share.add(r.on_time / judged)
        if r.budget_sum:
            self.budget_sum += r.budget_sum
            self.budget_n += r.budget_n
            self.blame += r.blame

    def budget(self) -> dict[str, float]:
        n = self.budget_n
        return {
            k: round(float(v) / n, 1) if n else 0.0
            for k, v in zip(BUDGET_KEYS, self.budget_sum, strict=True)
            if v or k not in OPTIONAL_KEYS
        }


@dataclass
class _GroupAgg:
    arrivals: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0
    unfinished: int = 0
    people: int = 0
    people_missed: int = 0
    vehicles_missed: int = 0
    served: int = 0
    fed_sum: float = 0.0
    wait_sum: float = 0.0
    share: Welford = field(default_factory=Welford)
    stations: dict[str, None] = field(default_factory=dict)
    budget_sum: np.ndarray = field(default_factory=lambda: np.zeros(len(BUDGET_KEYS)))
    budget_n: int = 0
    blame: np.ndarray = field(default_factory=lambda: np.zeros(len(CAUSES)))
    sides: tuple[_SideAgg, _SideAgg] = field(default_factory=lambda: (_SideAgg(), _SideAgg()))


class DrillStats:
    """Aggregates :class:`ReplicationRecord` s as they stream in; :meth:`as_dict` is the JSON."""

    def __init__(self, plan: CompiledDrill, seed: int) -> None:
        self.plan, self.seed = plan, seed
        self.n = 0
        self.events = 0
        self.service_level = Welford()
        self.planned = Welford()  # share of planned units on time, per replication
        self.walk_ins = Welford()  # share of stream arrivals on time, per replication
        self.unit_index = [a.group for a in plan.arrivals if a.rate_per_min == 0]
        self.stream_index = [a.group for a in plan.arrivals if a.rate_per_min > 0]
        self.feasibility = feasibility(plan)
        self._planned = frozenset(plan.groups[i] for i in self.unit_index)
        self._arrivals = {plan.groups[a.group]: a for a in reversed(plan.arrivals)}  # a group's first arrival
        self._late: tuple[int, tuple[str, ...]] | None = None
        self._late_set: frozenset[str] = frozenset()
        self.stations = {s.code: _StationAgg() for s in plan.stations}
        self.groups = {code: _GroupAgg() for code in plan.groups}
        self.hist = np.zeros(HIST_BINS, dtype=np.int64)
        self.survive = SurviveAgg(plan)

    def add(self, rec: ReplicationRecord) -> None:
        if rec.index != self.n:
            msg = f"replication {rec.index} added out of order (expected {self.n})"
            raise ValueError(msg)
        self.n += 1
        self.events += rec.events
        self.service_level.add(rec.service_level)
        self.hist += np.asarray(rec.fed_histogram, dtype=np.int64)
        self.survive.add(rec)
        if self.unit_index:
            self.planned.add(sum(rec.groups[i].on_time for i in self.unit_index) / len(self.unit_index))
        if self.stream_index:
            walk = sum(rec.groups[i].arrivals for i in self.stream_index)
            self.walk_ins.add(sum(rec.groups[i].on_time for i in self.stream_index) / walk if walk else math.nan)
        for s in rec.stations:
            a = self.stations[s.code]
            a.wait.add(s.mean_wait)
            a.utilisation.add(s.utilisation)
            a.bays.add(s.bay_utilisation)
            a.kitchens.add(s.kitchen_utilisation)
            a.trucks.add(s.fuel_truck_utilisation)
            a.queue.add(s.mean_queue)
            a.late_wait.add(s.late_wait_sum)
            if s.blame_units:
                a.blame_units += s.blame_units
                a.blame_walk_ins += s.blame_walk_ins
            a.served += s.served
            a.stockouts += s.stockouts
            a.arrivals += s.arrivals
            a.units += s.units
            a.units_on_time += s.units_on_time
            for item, qty in zip(STOCK_ITEMS, s.drawn, strict=False):
                a.drawn[item].add(qty)
            if s.stockout_minutes:
                a.first_stockout.add(s.stockout_minutes[0])
            q, st = np.asarray(s.queue_series), np.asarray(s.stock_series)
            a.queue_series = q if a.queue_series is None else a.queue_series + q
            a.stock_series = st if a.stock_series is None else a.stock_series + st
        for g in rec.groups:
            b = self.groups[g.code]
            b.arrivals += g.arrivals
            b.on_time += g.on_time
            b.late += g.late
            b.missed += g.missed
            b.unfinished += g.unfinished
            b.people += g.people
            b.people_missed += g.people_missed
            b.vehicles_missed += g.vehicles_missed
            b.served += g.served
            b.fed_sum += g.minutes_to_fed_sum
            b.wait_sum += g.wait_sum
            b.share.add(g.on_time / g.arrivals if g.arrivals else math.nan)
            b.stations.update(dict.fromkeys(g.stations))
            if g.budget_sum:
                b.budget_sum += g.budget_sum
                b.budget_n += g.budget_n
                b.blame += g.blame
            for side, r in zip(b.sides, g.sides, strict=False):
                side.add(r)

    def late_units(self) -> list[str]:
        """Planned units on time in fewer than :data:`LATE_SHARE` of replications, worst first (kept until
        the next replication is added: the diagnosis asks for it once per unit)."""
        if self._late is not None and self._late[0] == self.n:
            return list(self._late[1])
        codes = [self.plan.groups[i] for i in self.unit_index]
        order = {c: i for i, c in enumerate(codes)}
        late = [c for c in codes if self.groups[c].share.n and self.groups[c].share.mean < LATE_SHARE]
        late.sort(key=lambda c: (self.groups[c].share.mean, -self.groups[c].missed, order[c]))
        self._late = (self.n, tuple(late))
        self._late_set = frozenset(late)
        return late

    def side_cause(self, code: str, k: int) -> str:
        """The cause charged the most minutes beyond target on side ``k`` (0 people, 1 vehicles)."""
        f = self.feasibility.get(code)
        if f is not None and not f.feasible and f.cause:
            return f.cause
        side = self.groups[code].sides[k]
        if side.blame.any():
            return CAUSES[int(np.argmax(side.blame))]
        if side.budget_n:  # late only at the horizon: the biggest wait it had
            waits = {"seats": 1, "kitchen": 2, "stock": 3, "refuel_bays": 5, "field_kitchens": 7}
            waits |= {"fuel_trucks": 8, "water_trucks": 9}
            cause = max(waits, key=lambda c: side.budget_sum[waits[c]])
            return cause if side.budget_sum[waits[cause]] > 0 else "travel"
        return "travel"

    def _side_late(self, code: str) -> list[bool]:
        return [s.share.n > 0 and s.share.mean < LATE_SHARE for s in self.groups[code].sides]

    def late_side(self, code: str, late: Collection[str] | None = None) -> str | None:
        """``people``, ``vehicles``, ``both`` or ``None`` (not a late unit): the side(s) on time too rarely."""
        if late is None:
            self.late_units()
            late = self._late_set
        if code not in late:
            return None
        people, vehicles = self._side_late(code)
        if people or vehicles:
            return "both" if people and vehicles else SIDES[0 if people else 1]
        sides = self.groups[code].sides  # late only together: the side on time less often
        return SIDES[1] if sides[1].share.n and sides[1].share.mean < sides[0].share.mean else SIDES[0]

    def _main_side(self, code: str, side: str | None) -> int:
        """The side whose budget and cause stand for the unit: the late one (people when on time)."""
        if side == "both":
            sides = self.groups[code].sides
            return int(sides[1].blame.sum() > sides[0].blame.sum())
        return 1 if side == "vehicles" else 0

    def late_cause(self, code: str) -> str | None:
        """The late side's cause (``None`` unless the unit is late)."""
        side = self.late_side(code)
        return None if side is None else self.side_cause(code, self._main_side(code, side))

    def blame_table(self) -> dict[tuple[str, str], float]:
        """Minutes beyond target per replication, by (station, resource): planned units, else walk-ins."""
        n = max(self.n, 1)
        for attr in ("blame_units", "blame_walk_ins"):
            table = {
                (c, cause): float(getattr(a, attr)[k]) / n
                for c, a in self.stations.items()
                for k, cause in enumerate(CAUSES)
                if getattr(a, attr)[k] > 0
            }
            if attr == "blame_units":  # units missed where nothing could serve them: their nearest station
                for code in self.late_units():
                    f = self.feasibility.get(code)
                    if f and not f.feasible and not self.groups[code].blame.any() and f.station and f.cause:
                        key = (f.station, f.cause)
                        table[key] = table.get(key, 0.0) + (self.groups[code].missed / n) * self.plan.target
            if table:
                return table
        return {}

    def minutes_beyond_target(self) -> list[dict]:
        """The blame table as rows ``{station, resource, minutes, units, by_unit}``, most minutes first
        (``by_unit``: each unit's minutes charged to that cause, per replication)."""
        rows = []
        for (code, cause), minutes in sorted(self.blame_table().items(), key=lambda kv: -kv[1]):
            k, late = CAUSES.index(cause), set(self.late_units())
            units = [
                c
                for c, b in self.groups.items()
                if (code in b.stations and b.blame[k] > 0) or (self._infeasible_at(c, code) and c in late)
            ]
            if any(c in self._planned for c in units):  # the table is the planned units' (module docstring)
                units = [c for c in units if c in self._planned]
            by_unit = {c: round(float(self.groups[c].blame[k]) / max(self.n, 1), 1) for c in units}
            row = {"station": code, "resource": cause, "minutes": round(minutes, 1), "units": units}
            rows.append(row | {"by_unit": by_unit})
        return rows

    def placement(self) -> list[dict]:
        """Late planned units whose cause is distance: ``{unit, served_at, minutes, nearest_feasible}``."""
        n, out = max(self.n, 1), []
        for code in self.late_units():
            late_sides = [k for k, late in enumerate(self._side_late(code)) if late] or [0]
            if self.late_cause(code) != "travel" and all(self.side_cause(code, k) != "travel" for k in late_sides):
                continue
            b, f = self.groups[code], self.feasibility[code]
            minutes = float(b.blame[0]) / n or (b.missed / n) * self.plan.target
            served = next(iter(b.stations), None) or f.station
            arrival = self._arrival(code)
            near = nearest_feasible(self.plan, arrival, exclude=served)
            out.append({"unit": code, "served_at": served, "minutes": round(minutes, 1), "nearest_feasible": near})
        return out

    def _arrival(self, code: str) -> Arrival:
        return self._arrivals[code]

    def bottleneck_resource(self) -> dict | None:
        """``{station, resource, late_unit_minutes}`` (see the module docstring)."""
        table = {k: m for k, m in self.blame_table().items() if k[1] in STATION_RESOURCES and m >= MIN_BOTTLENECK}
        if table:
            (code, cause), minutes = max(table.items(), key=lambda kv: kv[1])
            return {"station": code, "resource": cause, "late_unit_minutes": round(minutes, 1)}
        utils = {c: a.utilisation.mean for c, a in self.stations.items() if a.utilisation.n}
        if not utils:
            return None
        return {"station": max(utils, key=lambda c: utils[c]), "resource": "seats", "late_unit_minutes": 0.0}

    def bottleneck(self) -> tuple[str | None, str]:
        """The limiting station and why, in a planner's words (see the module docstring)."""
        br = self.bottleneck_resource()
        if br is None:
            return None, "no station served anyone"
        if br["late_unit_minutes"] <= 0:
            use = self.stations[br["station"]].utilisation.mean
            why = "no unit late or missed"
            if self.late_units():
                far = [p["unit"] for p in self.placement()]
                why = "no station resource made a unit late"
                why += f"; distance did ({', '.join(far)}: placement)" if far else ""
            return br["station"], f"{why}; highest seat use at {br['station']} ({use:.0%})"
        worst = self._worst_unit(br["station"], br["resource"])
        why = diagnosis.resource_reason(self.plan, br["station"], br["resource"], worst, self.feasibility.get(worst))
        return br["station"], f"{why} ({br['late_unit_minutes']:.0f} min beyond target per replication)"

    def _worst_unit(self, station: str, cause: str) -> str:
        """The group charged the most minutes to ``cause`` among those served at ``station``."""
        k = CAUSES.index(cause)
        cands = [c for c, b in self.groups.items() if station in b.stations or self._infeasible_at(c, station)]
        planned = {self.plan.groups[i] for i in self.unit_index}
        if any(self.groups[c].blame[k] > 0 for c in cands if c in planned):  # the table is the planned units'
            cands = [c for c in cands if c in planned]
        return max(cands or list(self.groups), key=lambda c: (self.groups[c].blame[k], -self.groups[c].share.mean))

    def _infeasible_at(self, code: str, station: str) -> bool:
        f = self.feasibility.get(code)
        return f is not None and not f.feasible and f.station == station

    def as_dict(self) -> dict:
        """The ``--json`` contract (extended with series for plots and maps)."""
        n = max(self.n, 1)
        code, why = self.bottleneck()
        stations = {}
        for c, a in self.stations.items():
            stations[c] = {
                "mean_wait_minutes": a.wait.as_dict(2),
                "utilisation": a.utilisation.as_dict(4),
                "served": round(a.served / n, 2),
                "stockouts": round(a.stockouts / n, 3),
                "first_stockout_minute": round(a.first_stockout.mean, 1) if a.first_stockout.n else None,
                "refuel_bay_utilisation": a.bays.as_dict(4),
                "field_kitchen_utilisation": a.kitchens.as_dict(4),
                "fuel_truck_utilisation": a.trucks.as_dict(4),
                "mean_queue": a.queue.as_dict(3),
                "arrivals": round(a.arrivals / n, 2),
                "units": round(a.units / n, 3),
                "service_level": round(a.units_on_time / a.units, 4) if a.units else None,
                "drawn": {k: w.as_dict(2) for k, w in a.drawn.items()},  # stock issued to units, per item
            }
        late = self.late_units()
        late_set = frozenset(late)
        units = {}
        for c, b in self.groups.items():
            share = b.share.as_dict(4)
            units[c] = {
                "on_time_share": share["mean"],
                "on_time_share_ci95": share["ci95"],
                "mean_minutes_to_fed": round(b.fed_sum / b.served, 2) if b.served else None,
                "mean_wait_minutes": round(b.wait_sum / b.people, 2) if b.people else None,
                "late_share": round(b.late / b.arrivals, 4) if b.arrivals else None,
                "missed_share": round(b.missed / b.arrivals, 4) if b.arrivals else None,
                "unfinished_share": round(b.unfinished / b.arrivals, 4) if b.arrivals else None,
                "people_missed": round(b.people_missed / n, 2),
                "vehicles_missed": round(b.vehicles_missed / n, 2),
                "arrivals": round(b.arrivals / n, 3),
                "stations": list(b.stations),
                **self._diagnosis(c, b, late_set),
            }
        assumptions = mark(self.plan.assumed, late, units, {s.code: s.seats for s in self.plan.stations})
        return {
            "scenario": self.plan.name,
            "replications": self.n,
            "seed": self.seed,
            "hours": self.plan.horizon / 60,
            "target_minutes": self.plan.target,
            "policy": self.plan.policy,
            "planned_units_on_time": self.planned.as_dict(4),
            "walk_ins_on_time": self.walk_ins.as_dict(4) if self.stream_index else None,
            "late_units": late,
            "service_level": self.service_level.as_dict(4),
            "stations": stations,
            "units": units,
            "bottleneck": code,
            "bottleneck_reason": why,
            "bottleneck_resource": self.bottleneck_resource(),
            "minutes_beyond_target": self.minutes_beyond_target(),
            "placement": self.placement(),
            "assumptions": assumptions,
            "disruptions": [{"from_minute": e.start, "state": e.describe} for e in self.plan.epochs],
            "series": self.series(),
            "minutes_to_fed_histogram": {"bin_minutes": HIST_WIDTH, "counts": self.hist.tolist()},
            "survive": self.survive.as_list(),  # per link a drill event closes: days the cut stations' stock lasts
        }

    def _diagnosis(self, code: str, b: _GroupAgg, late: Collection[str]) -> dict:
        """A unit's outcomes by side, time budget, late cause and feasibility (keys of its JSON entry)."""
        arrival = self._arrival(code)
        side = self.late_side(code, late)
        main = self._main_side(code, side)
        f = self.feasibility.get(code)
        station = next(iter(b.stations), None) or (f.station if f else None)
        outcomes = {
            name: self._side(code, k, station, late) if b.sides[k].arrivals else None for k, name in enumerate(SIDES)
        }
        chosen = outcomes[SIDES[main]] or outcomes["people"] or {}
        out: dict = {
            "planned": arrival.rate_per_min == 0,
            "time_budget": chosen.get("time_budget", b.sides[0].budget()),
            "outcomes": outcomes,
            "late_side": side,
        }
        cause = self.side_cause(code, main) if side is not None else None
        out["late_cause"] = cause
        if out["planned"] and f is not None:
            out["feasible"] = f.feasible
            out["infeasible_reason"] = f.reason
            out["headcount"], out["vehicles"], out["dwell_minutes"] = arrival.headcount, arrival.vehicles, arrival.dwell
            out["vehicle_target_minutes"] = arrival.vehicle_target
            out["fuel_trucks"] = arrival.fuel_trucks
            if arrival.mobile:
                out["field_kitchens"] = self._kitchens_sent(arrival, station)
            out["late_reason"] = None if cause is None else chosen.get("late_reason") or f.reason
        return out

    def _kitchens_sent(self, a: Arrival, station: str | None) -> int:
        """Kitchens a mobile unit gets: its decision, else as many as its headcount calls for (the station has)."""
        have = next((s.field_kitchens for s in self.plan.stations if s.code == station), 0)
        return min(have, a.field_kitchens or math.ceil(a.headcount / self.plan.mobile.people_per_kitchen))

    def _side(self, code: str, k: int, station: str | None, late: Collection[str]) -> dict:
        """One side's outcome: on-time share, time budget, late cause (when it is late) and missed share."""
        side, n = self.groups[code].sides[k], max(self.n, 1)
        counts = side.counts / side.arrivals
        is_late = code in late and (self._side_late(code)[k] or self._main_side(code, self.late_side(code, late)) == k)
        cause = self.side_cause(code, k) if is_late else None
        f = self.feasibility.get(code)
        reason = None
        if cause is not None:
            reason = (f.reason if f is not None and not f.feasible else None) or diagnosis.resource_reason(
                self.plan, station, cause, code, f, vehicles=k == 1, arrival=self._arrival(code)
            )
        return {
            "on_time_share": round(float(side.share.mean), 4) if side.share.n else None,
            "time_budget": side.budget(),
            "late_cause": cause,
            "late_reason": reason,
            "missed_share": round(float(counts[2]), 4),
            "late_share": round(float(counts[1]), 4),
            "unfinished_share": round(float(counts[3]), 4),
            "minutes_beyond_target": round(float(side.blame.sum()) / n, 1),
        }

    def series(self) -> dict:
        """Mean queue length and meal stock per time bin, per station."""
        n = max(self.n, 1)

        def mean(arr: np.ndarray | None) -> list[float | None]:
            if arr is None:
                return []
            return [None if math.isnan(x) else round(x / n, 3) for x in arr.tolist()]

        return {
            "bin_minutes": self.plan.bin_minutes,
            "queue": {c: mean(a.queue_series) for c, a in self.stations.items()},
            "stock_meals": {c: mean(a.stock_series) for c, a in self.stations.items()},
        }
