"""Time to survive: how many days a station's stock lasts once resupply stops (plain numbers, no database).

Daily demand is resampled (bootstrap) from the days of the consumption window: each replication
draws ``horizon`` days, each one of the window's observed daily totals at random, and the stock
runs out on the day the running total reaches it — fractionally within that day, at that day's
rate (``t + remaining ÷ demand``). The result is the median and the 90% band (5th–95th
percentile) over the replications; a replication still holding stock at the horizon counts as the
horizon (``beyond_horizon``: the median itself is censored there). A station lasts as long as its
first item to run out, replication by replication. Fixed demand (every window day alike) gives the
exact figure ``available ÷ daily``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Defaults the caller may override (stated beside the results).
REPLICATIONS, SEED, HORIZON_DAYS = 1000, 0, 14


@dataclass(frozen=True)
class Days:
    """A distribution of days: median, 90% band and whether the median reached the horizon."""

    median: float
    low: float
    high: float
    beyond_horizon: bool

    def as_dict(self) -> dict:
        return {"median": self.median, "band90": [self.low, self.high], "beyond_horizon": self.beyond_horizon}


def runout_days(available: float, daily: list[float], *, horizon: int, rng: np.random.Generator, n: int) -> np.ndarray:
    """Per replication, the days ``available`` lasts against daily demand resampled from ``daily``."""
    if available <= 0:
        return np.zeros(n)
    draws = rng.choice(np.asarray(daily, dtype=float), size=(n, horizon))
    cum = np.cumsum(draws, axis=1)
    hit = cum >= available - 1e-9
    out = np.full(n, float(horizon))
    rows = np.flatnonzero(hit.any(axis=1))
    if rows.size:
        day = hit[rows].argmax(axis=1)
        before = np.where(day > 0, cum[rows, day - 1], 0.0)
        rate = draws[rows, day]
        out[rows] = day + (available - before) / rate
    return out


def summarise(days: np.ndarray, horizon: int) -> Days:
    """Median and 5th–95th percentiles, to 0.1 day."""
    median, low, high = np.percentile(days, [50, 5, 95])
    return Days(round(float(median), 1), round(float(low), 1), round(float(high), 1), bool(median >= horizon))
