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

**Bottleneck.** ``bottleneck_resource`` is the station and resource (:data:`~.budget.CAUSES`)
charged the most minutes beyond target by late or missed *planned* units (walk-ins only when no
planned unit was late), per replication (:mod:`~.budget`); ``bottleneck`` is its station. If no
arrival was late or missed, it is the station with the highest mean seat utilisation (the
closest to limiting), resource ``seats`` with 0 minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

from simulation import diagnosis
from simulation.assumptions import mark
from simulation.budget import BUDGET_KEYS, CAUSES
from simulation.compiled import CompiledDrill
from simulation.feasibility import feasibility
from simulation.model import HIST_BINS, HIST_WIDTH
from simulation.records import ReplicationRecord
from supply.core.types import STOCK_ITEMS

#: A planned unit on time in fewer replications than this is late (``late_units``).
LATE_SHARE = 0.9


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
        half = float(sps.t.ppf(0.975, self.n - 1)) * math.sqrt(self.var / self.n)
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
        self.stations = {s.code: _StationAgg() for s in plan.stations}
        self.groups = {code: _GroupAgg() for code in plan.groups}
        self.hist = np.zeros(HIST_BINS, dtype=np.int64)

    def add(self, rec: ReplicationRecord) -> None:
        if rec.index != self.n:
            msg = f"replication {rec.index} added out of order (expected {self.n})"
            raise ValueError(msg)
        self.n += 1
        self.events += rec.events
        self.service_level.add(rec.service_level)
        self.hist += np.asarray(rec.fed_histogram, dtype=np.int64)
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

    def late_units(self) -> list[str]:
        """Planned units on time in fewer than :data:`LATE_SHARE` of replications, worst first."""
        codes = [self.plan.groups[i] for i in self.unit_index]
        late = [c for c in codes if self.groups[c].share.n and self.groups[c].share.mean < LATE_SHARE]
        return sorted(late, key=lambda c: (self.groups[c].share.mean, -self.groups[c].missed, codes.index(c)))

    def late_cause(self, code: str) -> str | None:
        """The cause charged the most minutes beyond target (``None`` unless the unit is late)."""
        f = self.feasibility.get(code)
        if f is not None and not f.feasible:
            return f.cause
        b = self.groups[code]
        if b.blame.any():
            return CAUSES[int(np.argmax(b.blame))]
        if b.budget_n:  # late only at the horizon: the biggest wait it had
            waits = {"seats": 1, "kitchen": 2, "stock": 3, "refuel_bays": 5, "field_kitchens": 7}
            cause = max(waits, key=lambda c: b.budget_sum[waits[c]])
            return cause if b.budget_sum[waits[cause]] > 0 else "travel"
        return "travel"

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

    def bottleneck_resource(self) -> dict | None:
        """``{station, resource, late_unit_minutes}`` (see the module docstring)."""
        table = self.blame_table()
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
            return br["station"], f"no unit late or missed; highest seat use at {br['station']} ({use:.0%})"
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
                "mean_queue": a.queue.as_dict(3),
                "arrivals": round(a.arrivals / n, 2),
                "units": round(a.units / n, 3),
                "service_level": round(a.units_on_time / a.units, 4) if a.units else None,
                "drawn": {k: w.as_dict(2) for k, w in a.drawn.items()},  # stock issued to units, per item
            }
        late = self.late_units()
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
                **self._diagnosis(c, b, late),
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
            "assumptions": assumptions,
            "disruptions": [{"from_minute": e.start, "state": e.describe} for e in self.plan.epochs],
            "series": self.series(),
            "minutes_to_fed_histogram": {"bin_minutes": HIST_WIDTH, "counts": self.hist.tolist()},
        }

    def _diagnosis(self, code: str, b: _GroupAgg, late: list[str]) -> dict:
        """A unit's time budget, late cause and feasibility (new keys of its JSON entry)."""
        budget = {
            k: round(float(v) / b.budget_n, 1) if b.budget_n else 0.0
            for k, v in zip(BUDGET_KEYS, b.budget_sum, strict=True)
        }
        arrival = next(a for a in self.plan.arrivals if a.group == self.plan.groups.index(code))
        out: dict = {"planned": arrival.rate_per_min == 0, "time_budget": budget}
        cause = self.late_cause(code) if code in late else None
        out["late_cause"] = cause
        if out["planned"]:
            f = self.feasibility[code]
            out["feasible"] = f.feasible
            out["infeasible_reason"] = f.reason
            out["headcount"], out["vehicles"], out["dwell_minutes"] = arrival.headcount, arrival.vehicles, arrival.dwell
            station = next(iter(b.stations), None) or f.station
            out["late_reason"] = (
                None if cause is None else f.reason or diagnosis.resource_reason(self.plan, station, cause, code, f)
            )
        return out

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
