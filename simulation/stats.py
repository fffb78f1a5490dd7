"""Streaming aggregation of replications: memory stays flat however many are run.

Each scalar metric is a :class:`Welford` accumulator (mean and variance in one pass); series
and histograms are running sums of fixed-size arrays. Records must be added in replication
order so the floating-point sums — and hence the JSON — are identical whatever ran them.

**Bottleneck.** The station whose capacity most limits the service level is the one where the
arrivals that ended *late or missed* spent the most person-minutes waiting (for a seat, a meal,
a refuel bay or a restock), averaged over replications: that waiting is exactly the service
the station's capacity failed to give in time. If no arrival was late or missed, it is the
station with the highest mean seat utilisation (the closest to limiting).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

from simulation.compiled import CompiledDrill
from simulation.model import HIST_BINS, HIST_WIDTH
from simulation.records import ReplicationRecord
from supply.core.types import STOCK_ITEMS


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


class DrillStats:
    """Aggregates :class:`ReplicationRecord` s as they stream in; :meth:`as_dict` is the JSON."""

    def __init__(self, plan: CompiledDrill, seed: int) -> None:
        self.plan, self.seed = plan, seed
        self.n = 0
        self.events = 0
        self.service_level = Welford()
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
        for s in rec.stations:
            a = self.stations[s.code]
            a.wait.add(s.mean_wait)
            a.utilisation.add(s.utilisation)
            a.bays.add(s.bay_utilisation)
            a.kitchens.add(s.kitchen_utilisation)
            a.queue.add(s.mean_queue)
            a.late_wait.add(s.late_wait_sum)
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

    def bottleneck(self) -> tuple[str | None, str]:
        """The limiting station and why (see the module docstring)."""
        waits = {c: a.late_wait.mean for c, a in self.stations.items() if a.late_wait.n}
        if waits and max(waits.values()) > 0:
            code = max(waits, key=lambda c: (waits[c], self.stations[c].utilisation.mean))
            return code, f"late or missed units waited {waits[code]:.0f} person-minutes there per replication"
        utils = {c: a.utilisation.mean for c, a in self.stations.items() if a.utilisation.n}
        if not utils:
            return None, "no station served anyone"
        code = max(utils, key=lambda c: utils[c])
        return code, f"no unit late or missed; highest seat utilisation ({utils[code]:.0%})"

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
        units = {}
        for c, b in self.groups.items():
            units[c] = {
                "on_time_share": round(b.on_time / b.arrivals, 4) if b.arrivals else None,
                "on_time_share_ci95": b.share.as_dict(4)["ci95"],
                "mean_minutes_to_fed": round(b.fed_sum / b.served, 2) if b.served else None,
                "mean_wait_minutes": round(b.wait_sum / b.people, 2) if b.people else None,
                "late_share": round(b.late / b.arrivals, 4) if b.arrivals else None,
                "missed_share": round(b.missed / b.arrivals, 4) if b.arrivals else None,
                "unfinished_share": round(b.unfinished / b.arrivals, 4) if b.arrivals else None,
                "people_missed": round(b.people_missed / n, 2),
                "vehicles_missed": round(b.vehicles_missed / n, 2),
                "arrivals": round(b.arrivals / n, 3),
                "stations": list(b.stations),
            }
        return {
            "scenario": self.plan.name,
            "replications": self.n,
            "seed": self.seed,
            "hours": self.plan.horizon / 60,
            "target_minutes": self.plan.target,
            "policy": self.plan.policy,
            "service_level": self.service_level.as_dict(4),
            "stations": stations,
            "units": units,
            "bottleneck": code,
            "bottleneck_reason": why,
            "disruptions": [{"from_minute": e.start, "state": e.describe} for e in self.plan.epochs],
            "series": self.series(),
            "minutes_to_fed_histogram": {"bin_minutes": HIST_WIDTH, "counts": self.hist.tolist()},
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
