"""``improve``'s search on hand-built cases whose answer is known by construction: a bundle that
only helps whole is one step, the cheaper of two fixes is taken (and the costs decide which), a
convoy whose vehicles miss their stop is fixed by fuel trucks, a
unit no lever can save is listed in ``unreachable`` with its figures, and ``[improve.costs]`` is
validated like every other section."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulation.improve import improve
from supply.cli import app
from supply.core.errors import ScenarioError
from tests.simulation.binding import load
from tests.simulation.drill_helpers import drill_file

#: 600 troops at H's door, 100 seats and a kitchen of 200 meals an hour, fixed 20-minute meals:
#: on time needs 300 seats (2 sittings by minute 40) *and* 720 meals an hour; either alone does nothing.
BOTH = """
[drill]
hours = 6
target_minutes = 45
replications = 4
seed = 1

[[drill.units]]
code = "BOTH"
headcount = 600
station = "H"
arrive = 0

[drill.service]
meal_minutes = 20
"""

#: Site X 5 min from station A (100 seats, where the unit is assigned) and from B (1,000 seats).
TWO = """
[scenario]
name = "two stations"

[[stations]]
code = "A"
tier = "hub"
lat = 23.0
lon = 113.0
seats = 100

[[stations]]
code = "B"
tier = "point"
lat = 23.02
lon = 113.02
seats = 1000

[[sites]]
code = "X"
kind = "rail"
ring = "city"
lat = 23.01
lon = 113.01

[[links]]
a = "A"
b = "X"
minutes = 5

[[links]]
a = "B"
b = "X"
minutes = 5

[drill]
hours = 6
target_minutes = 50
replications = 4
seed = 1
policy = "assigned"

[[drill.units]]
code = "U"
headcount = 600
site = "X"
arrive = 0
serve_at = "A"

[drill.service]
meal_minutes = 20
"""

#: The only station is 90 min from the site and has no field kitchens: no lever can feed the
#: unit within 45 minutes of arrival.
FAR = """
[scenario]
name = "too far"

[[stations]]
code = "F"
tier = "hub"
lat = 23.0
lon = 113.0
seats = 500

[[sites]]
code = "X"
kind = "rail"
ring = "city"
lat = 23.5
lon = 113.5

[[links]]
a = "F"
b = "X"
minutes = 90

[drill]
hours = 6
target_minutes = 45
replications = 4
seed = 1

[[drill.units]]
code = "AWAY"
headcount = 300
site = "X"
arrive = 0

[drill.service]
meal_minutes = 20
"""


#: A convoy 5 min from H, whose one bay refuels 8 of its 30 vehicles in its 90-minute stop (fixed
#: 10-minute refuels, 10 min of driving): its people are fed on time, its vehicles are not. Bays
#: cost 200 here; fuel trucks refuel a vehicle in 3 + 150 L ÷ 60 L/min = 5.5 min where it halts,
#: so 3 trucks do 30 in 55 of the 80 minutes left after the drive out and back.
CONVOY = """
[scenario]
name = "convoy"

[[stations]]
code = "H"
tier = "hub"
lat = 23.0
lon = 113.0
seats = 100
refuel_bays = 1

[[sites]]
code = "S"
kind = "road"
ring = "city"
lat = 23.01
lon = 113.01

[[links]]
a = "H"
b = "S"
minutes = 5

[drill]
hours = 4
target_minutes = 45
replications = 4
seed = 1

[[drill.units]]
code = "CONVOY"
headcount = 10
vehicles = 30
site = "S"
arrive = 0
dwell_minutes = 90

[drill.service]
meal_minutes = 20
refuel_minutes = 10

[improve.costs]
refuel_bay = 200
"""


def _write(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_bundle_that_only_helps_whole_is_one_step_with_one_gain(tmp_path):
    res, _ = improve(load(drill_file(tmp_path, BOTH, seats=100, meals_per_hour=200)), replications=6)
    assert res["reached"] and len(res["steps"]) == 1
    (step,) = res["steps"]
    assert {c["resource"] for c in step["changes"]} == {"seats", "meals_per_hour"}
    assert step["changes"][0] == step["change"]
    assert step["gain"] == {"mean": 1.0, "ci95": [1.0, 1.0]}
    shifts = next(c for c in step["changes"] if c["resource"] == "meals_per_hour")
    assert shifts == {"station": "H", "resource": "meals_per_hour", "add": 600, "shifts": 3}  # 3 × 200 → 800/h
    assert "kitchen shifts" in step["action"] and "200 meals an hour" in step["action"]
    assert step["cost"] == 200 * 1 + 3 * 60  # 200 seats and 3 shifts at the default costs
    assert res["unreachable"] == [] and res["total_cost"] == step["cost"]


def test_the_cheaper_fix_is_taken_and_the_costs_decide_which(tmp_path):
    path = _write(tmp_path, TWO, "two.toml")
    res, _ = improve(load(path), replications=6)
    assert res["reached"] and [s["changes"] for s in res["steps"]] == [[{"unit": "U", "serve_at": "B"}]]
    assert res["total_cost"] == 20 and res["costs"]["move_unit"] == {
        "cost": 20.0,
        "per": "unit served at another station",
        "assumed": True,
    }
    path.write_text(path.read_text() + "\n[improve.costs]\nmove_unit = 500\n", encoding="utf-8")
    res, _ = improve(load(path), replications=6)
    assert res["reached"] and [s["changes"] for s in res["steps"]] == [
        [{"station": "A", "resource": "seats", "add": 200}]  # 2 sittings of 300 by minute 45
    ]
    assert res["total_cost"] == 200 and res["costs"]["move_unit"]["assumed"] is False


def test_a_unit_no_lever_can_save_is_unreachable_with_its_figures(tmp_path):
    res, _ = improve(load(_write(tmp_path, FAR, "far.toml")), replications=4)
    assert not res["reached"] and res["steps"] == [] and res["total_cost"] == 0
    (only,) = res["unreachable"]
    assert only["unit"] == "AWAY"
    assert "F, is 90 min from its site" in only["reason"] and "fed 110 min after arrival" in only["reason"]
    assert "field kitchens from F would reach its site 90 min after it arrives" in only["reason"]


def test_max_steps_stops_the_search_and_says_so(tmp_path):
    res, _ = improve(load(drill_file(tmp_path, BOTH, seats=100, meals_per_hour=200)), replications=4, max_steps=0)
    assert not res["reached"] and res["steps"] == []
    assert res["unreachable"][0]["reason"].startswith("stopped after --max-steps 0 before a step for it")


def test_bad_costs_name_every_fault(tmp_path):
    path = _write(tmp_path, FAR + "\n[improve.costs]\nseat = -1\nbogus = 2\n", "bad.toml")
    with pytest.raises(ScenarioError) as err:
        improve(load(path), replications=2)
    paths = {p.path for p in err.value.problems}
    assert paths == {"improve.costs.seat", "improve.costs.bogus"}
    res = CliRunner().invoke(app, ["improve", str(path), "-n", "2", "-w", "1"])
    assert res.exit_code == 2 and "improve.costs.seat" in res.stderr and "Traceback" not in res.output


def test_a_convoy_whose_vehicles_miss_their_stop_is_fixed_by_fuel_trucks(tmp_path):
    res, baseline = improve(load(_write(tmp_path, CONVOY, "convoy.toml")), replications=4)
    unit = baseline.as_dict()["units"]["CONVOY"]
    assert unit["late_side"] == "vehicles" and unit["outcomes"]["vehicles"]["late_cause"] == "refuel_bays"
    assert unit["outcomes"]["people"]["on_time_share"] == 1.0
    assert res["reached"] and len(res["steps"]) == 1
    (step,) = res["steps"]
    assert step["changes"] == [
        {"station": "H", "resource": "fuel_trucks", "add": 3},
        {"unit": "CONVOY", "fuel_trucks": 3},
    ]
    assert step["cost"] == 3 * 40 + 20 and step["gain"] == {"mean": 1.0, "ci95": [1.0, 1.0]}
    assert "refuel CONVOY's vehicles where it halts with 3 fuel trucks (fuel_trucks = 3)" in step["action"]


def test_the_text_says_the_goal_is_not_reached_and_why_unit_by_unit(tmp_path):
    res = CliRunner().invoke(app, ["improve", str(_write(tmp_path, FAR, "far.toml")), "-n", "4", "-w", "1"])
    assert res.exit_code == 0, res.output
    out = " ".join(res.stdout.split())  # soft-wrapped lines joined
    assert "Goal not reached (0 step(s), total cost 0); still late: AWAY." in out
    assert "goal not reached: no step gains" in out
    assert "AWAY: its people: the nearest station, F, is 90 min from its site" in out
    assert "seat 1*, refuel_bay 25*, field_kitchen 60*" in out  # the costs assumed, beside the result
