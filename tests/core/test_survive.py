"""Time to survive's Monte Carlo against hand-computed and analytic figures."""

from __future__ import annotations

import numpy as np

from supply.core.survive import runout_days, summarise


def test_fixed_demand_gives_the_exact_days():
    # 230 usable at 100 a day, every day of the window alike: 2 whole days, then 30 of the third day's 100
    run = runout_days(230, [100.0] * 7, horizon=14, rng=np.random.default_rng(1), n=500)
    assert np.allclose(run, 2.3)
    assert summarise(run, 14).as_dict() == {"median": 2.3, "band90": [2.3, 2.3], "beyond_horizon": False}
    assert np.all(runout_days(0, [100.0], horizon=14, rng=np.random.default_rng(1), n=5) == 0)
    long = summarise(runout_days(5000, [100.0], horizon=14, rng=np.random.default_rng(1), n=50), 14)
    assert long.median == 14 and long.beyond_horizon  # censored at the horizon, and said so


def test_stochastic_demand_band_contains_the_analytic_value():
    # days of 40, 100 or 160 (mean 100): 1,000 usable lasts 1,000 / 100 = 10 days on average demand
    daily = [40.0, 100.0, 160.0, 40.0, 100.0, 160.0, 100.0]
    stat = summarise(runout_days(1000, daily, horizon=60, rng=np.random.default_rng(7), n=4000), 60)
    assert stat.low < 10 < stat.high and stat.low < stat.median < stat.high
    assert abs(stat.median - 10) < 0.5
    assert stat.high - stat.low > 1  # the uncertainty shows
