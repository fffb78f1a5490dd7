"""Two figures that misled (issue 10, item 7), each with a case that failed before the fix.

* a unit's ``mean_wait_minutes`` left out the waits of people still unserved at the horizon
  while counting them as people;
* a unit's ``on_time_share`` was a pooled share of arrivals while its ``on_time_share_ci95``
  was the interval of the per-replication mean, so the value could fall outside its interval.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.compiled import compile_drill
from simulation.model import run_replication
from simulation.runner import run_plan
from tests.simulation.drill_helpers import drill_scenario

UNFINISHED = """
[drill]
hours = 1
target_minutes = 30
replications = 2

[[drill.units]]
code = "TAIL"
headcount = 10
station = "H"
arrive = 0

[drill.service]
meal_minutes = 20
"""


def test_waits_of_people_unserved_at_the_horizon_count(tmp_path):
    """1 seat, fixed 20-min meals, 10 people at minute 0, a 60-minute horizon.

    Person i is seated at 20·i; within the horizon the waits are 0, 20, 40 and 60 for the
    seven never seated by minute 60: (0 + 20 + 40 + 7·60) / 10 = 48 minutes each.
    """
    plan = compile_drill(drill_scenario(tmp_path, UNFINISHED, seats=1))
    unit = run_plan(plan, replications=2, seed=0).as_dict()["units"]["TAIL"]
    assert unit["unfinished_share"] == 1.0
    assert unit["mean_wait_minutes"] == 48.0


STOCKOUT = """
[drill]
hours = 3
target_minutes = 30
replications = 2

[[drill.units]]
code = "HUNGRY"
headcount = 10
station = "H"
arrive = 0
dwell_minutes = 60

[drill.service]
meal_minutes = 10
"""


def test_waits_of_people_held_by_a_stock_out_count_when_the_unit_moves_on(tmp_path):
    """4 meals in stock, restock 6 h away: 6 people wait the whole 60-minute stop in vain."""
    sc = drill_scenario(tmp_path, STOCKOUT, seats=10, h_stock="stock = { meals = 4 }\nreorder = { meals = 0 }")
    unit = run_plan(compile_drill(sc), replications=2, seed=0).as_dict()["units"]["HUNGRY"]
    assert unit["missed_share"] == 1.0 and unit["people_missed"] == 6
    assert unit["mean_wait_minutes"] == 36.0  # (4·0 + 6·60) / 10
    assert unit["time_budget"]["stock_wait"] == 60.0
    assert unit["late_cause"] == "stock"


BUSY = """
[drill]
hours = 4
target_minutes = 25
replications = 300
seed = 3

[[drill.streams]]
code = "WALK"
station = "H"
rate_per_hour = 3
headcount = 1

[drill.service]
meal_minutes = 20
"""


def test_on_time_share_and_its_interval_share_one_definition(tmp_path):
    """Busy replications (many arrivals, 1 seat) have low shares and weigh more when pooled.

    The per-replication mean is what the interval is about; the share must be that mean.
    """
    plan = compile_drill(drill_scenario(tmp_path, BUSY, seats=1))
    unit = run_plan(plan, replications=300, seed=3).as_dict()["units"]["WALK"]
    shares, pooled = [], [0, 0]
    for i, ss in enumerate(np.random.SeedSequence(3).spawn(300)):
        g = run_replication(plan, ss, i).groups[0]
        if g.arrivals:
            shares.append(g.on_time / g.arrivals)
        pooled[0] += g.on_time
        pooled[1] += g.arrivals
    lo, hi = unit["on_time_share_ci95"]
    assert unit["on_time_share"] == pytest.approx(np.mean(shares), abs=1e-4)
    assert lo <= unit["on_time_share"] <= hi
    assert not lo <= pooled[0] / pooled[1] <= hi  # the old figure fell outside its own interval
