"""Time to survive in a drill: days a station's simulated stock lasts once a drill event closes its resupply link."""

from __future__ import annotations

import dataclasses
import io

from rich.console import Console

from simulation.compiled import compile_drill
from simulation.report import render
from simulation.runner import run_drill, run_plan
from supply.cli.drill_text import print_result
from tests.simulation.drill_helpers import drill_scenario

#: P's only road to the hub H closes at hour 2. 12 people eat at P at minute 0 and 12 more at hour
#: 6: 24 meals and 48 l of water drawn over the 24-hour drill, a draw of 24 meals and 48 l a day.
#: At the closure P holds 100 − 12 = 88 meals (3.67 days) and 120 − 24 = 96 l of water (2 days):
#: P lasts 2 days, water first.
CLOSE_DRILL = """
[drill]
hours = 24
replications = 3

[[drill.units]]
code = "A"
headcount = 12
station = "P"
arrive = 0

[[drill.units]]
code = "B"
headcount = 12
station = "P"
arrive = 360

[drill.consumption]
water_l_per_person = 2

[[drill.events]]
at_hour = 2
close = "H~P"
"""


def _scenario(tmp_path):
    return drill_scenario(
        tmp_path,
        CLOSE_DRILL,
        p_seats=20,
        h_stock="[stations.stock]\nmeals = 500\nwater_l = 500",
        p_stock="[stations.stock]\nmeals = 100\nwater_l = 120",
    )


def test_days_from_simulated_stock_at_the_closure_match_the_hand_count(tmp_path):
    res = run_drill(_scenario(tmp_path)).as_dict()
    (closure,) = res["survive"]
    assert (closure["link"], closure["from_minute"], closure["cut_off"]) == ("H~P", 120.0, ["P"])
    assert "stock at the closure minute" in closure["definition"]
    (row,) = closure["stations"]
    assert row["station"] == "P" and row["first_out"] == "water_l"
    assert row["days"] == {"median": 2.0, "band90": [2.0, 2.0], "beyond_horizon": False}
    items = {i["item"]: i["days"]["median"] for i in row["items"]}
    assert items == {"meals": 3.7, "water_l": 2.0}  # 88 ÷ 24, 96 ÷ 48; diesel untracked: never out


def test_text_and_report_show_the_line(tmp_path):
    res = run_drill(_scenario(tmp_path)).as_dict()
    out = Console(file=io.StringIO(), width=200)
    print_result(res, out)
    text = out.file.getvalue()
    assert "Closing H~P from minute 120: cuts off P" in text
    assert "P: 2 days [2, 2], water_l first" in text
    page = render(res)
    assert "Time to survive after a closure" in page and "P: 2 days [2, 2], water_l first" in page


def test_the_snapshot_changes_no_other_result(tmp_path):
    """The same seed gives the same results with or without the closure's stock snapshot."""
    plan = compile_drill(_scenario(tmp_path))
    with_snap = run_plan(plan, replications=3, seed=7)
    without = run_plan(dataclasses.replace(plan, closures=()), replications=3, seed=7)
    a, b = with_snap.as_dict(), without.as_dict()
    assert a.pop("survive") and b.pop("survive") == []
    assert a == b and with_snap.events == without.events
