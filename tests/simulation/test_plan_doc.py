"""The action plan (`jungong plan`): figures computed by hand on a deterministic little drill."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from simulation.action_plan import action_plan, clock, plan_html
from supply.core.errors import ScenarioError
from tests.conftest import ROOT
from tests.simulation.drill_helpers import drill_file, drill_scenario

# H is 5 minutes from the site S; meals take exactly 20 minutes; seats to spare, no kitchen limit.
# A: 10 people at minute 30, fed at 30 + 5 + 20 = 55 → 25 minutes, on time (target 40).
# B: 4 people and a truck at minute 70 who must start back at 70 + 20 − 5 = 85 but would be fed at
#    100: it cannot be served at all (infeasible), so it is never scheduled — no station, no team,
#    no stock drawn for it.
DRILL = """
[drill]
hours = 4
target_minutes = 40
replications = 8
seed = 5

[drill.service]
meal_minutes = 20
refuel_minutes = 10

[[drill.units]]
code = "A"
headcount = 10
site = "S"
arrive = 30
dwell_minutes = 90

[[drill.units]]
code = "B"
headcount = 4
vehicles = 1
site = "S"
arrive = 70
dwell_minutes = 20

[[teams]]
code = "K"
station = "H"
kind = "kitchen"
headcount = 8
vehicles = 2

[[teams]]
code = "M"
station = "H"
kind = "medical"
headcount = 3
"""
TEAMS = [
    {"code": "K", "station": "H", "kind": "kitchen", "vehicles": 2},
    {"code": "M", "station": "H", "kind": "medical", "vehicles": 0},
]


@pytest.fixture
def plan(tmp_path):
    return action_plan(drill_scenario(tmp_path, DRILL, seats=20, bays=1), TEAMS)


def test_who_serves_whom_and_when(plan):
    a, b = plan["units"]
    assert (a["station"], a["station_share"], a["travel_minutes"], a["at_station_minute"]) == ("H", 1.0, 5.0, 35.0)
    assert a["minutes_to_fed"] == {"mean": 25.0, "band95": [25.0, 25.0]} and a["fed_minute"] == 55.0
    assert (a["on_time_share"], a["likely_late"], a["depart_minute"]) == (1.0, False, 120.0)
    assert (b["station"], b["on_time_share"], b["likely_late"]) == (None, 0.0, True)
    assert (b["scheduled"], b["nearest_station"], b["feasible"], a["scheduled"]) == (False, "H", False, True)
    assert (b["at_station_minute"], b["fed_minute"], b["travel_minutes"]) == (None, None, None)
    assert plan["risks"]["late_units"] == ["B"] and plan["risks"]["bottleneck"] == "H"
    assert plan["service_level"] == {"mean": 0.5, "band95": [0.5, 0.5]}


def test_team_departures_and_stock_draw(plan):
    got = [(d["minute"], d["team"], d["action"], d["unit"]) for d in plan["departures"]]
    # the medical team goes out to the site: it leaves 5 minutes before the unit arrives there;
    # the kitchen team works at the station: ready when the unit reaches it; none for B (infeasible)
    assert got == [(25.0, "M", "leave", "A"), (35.0, "K", "ready", "A")]
    # default consumption, from the planning factors: 1 meal and 11.4 L of water (tropical) a person, 150 L a vehicle
    # B cannot be served: it draws nothing
    assert plan["stock_draw"] == {"H": [{"hour": 0, "meals": 10.0, "water_l": 114.0, "diesel_l": 0.0}]}


def test_html_is_printable_and_self_contained(plan):
    page = plan_html(plan)
    assert "@media print" in page and "<script" not in page and "http" not in page
    assert "Units likely to be late" in page and "<b>B</b>" in page
    assert clock(75) == "D1 01:15" and clock(1440 + 390) == "D2 06:30"


def test_cli_plan_json_and_html(tmp_path):
    path = drill_file(tmp_path, DRILL, seats=20, bays=1)
    out = tmp_path / "plan.html"
    res = subprocess.run(
        [sys.executable, "-m", "supply.cli", "plan", str(path), "--json", "--out", str(out)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert [u["code"] for u in data["units"]] == ["A", "B"] and data["risks"]["late_units"] == ["B"]
    assert "Action plan" in out.read_text(encoding="utf-8")


def test_bad_teams_are_reported_with_their_key_path(tmp_path):
    bad = DRILL.replace('kind = "medical"', 'kind = "medic"').replace(
        'station = "H"\nkind = "kitchen"', 'station = "Q"\nkind = "kitchen"'
    )
    from simulation.action_plan import scenario_plan

    with pytest.raises(ScenarioError) as err:
        scenario_plan(drill_scenario(tmp_path, bad, seats=20, bays=1))
    text = str(err.value)
    assert "teams[0].station: unknown station 'Q'" in text and "teams[1].kind" in text


def test_streams_draw_while_they_run(tmp_path):
    # 4 walk-ins an hour at H from 00:30 to 02:00: 2 in hour 0, 4 in hour 1
    stream = DRILL + '\n[[drill.streams]]\nstation = "H"\nrate_per_hour = 4\nfrom_hour = 0.5\nto_hour = 2\n'
    plan = action_plan(drill_scenario(tmp_path, stream, seats=20, bays=1), [])
    assert plan["stock_draw"]["H"] == [
        {"hour": 0, "meals": 12.0, "water_l": 136.8, "diesel_l": 0.0},
        {"hour": 1, "meals": 4.0, "water_l": 45.6, "diesel_l": 0.0},
    ]
    assert plan["departures"] == [] and [u["code"] for u in plan["units"]] == ["A", "B"]
