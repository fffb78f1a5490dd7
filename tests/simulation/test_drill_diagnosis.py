"""Who is late, why, and which resource binds: the four hand-built cases of issue 10.

Each case binds one resource by construction (see ``binding.py``); the time budget, the late
cause, the bottleneck resource and the feasibility are checked against the hand arithmetic.
"""

from __future__ import annotations

import pytest

from simulation.runner import run_drill
from tests.simulation.binding import bays_case, far_case, kitchen_case, load, seats_case


def drill(path):
    return run_drill(load(path), workers=1).as_dict()


def test_seats_bind_twelve_sittings(tmp_path):
    """1,200 at 100 seats, 20-min meals: last seated at 220, fed at 240."""
    res = drill(seats_case(tmp_path))
    u = res["units"]["BIG"]
    assert u["time_budget"] == {
        "travel": 0.0,
        "seat_wait": 220.0,
        "kitchen_wait": 0.0,
        "stock_wait": 0.0,
        "meal": 20.0,
        "refuel_wait": 0.0,
        "refuel": 0.0,
        "mobile_wait": 0.0,
        "truck_wait": 0.0,
        "water_wait": 0.0,
    }
    assert sum(u["time_budget"].values()) == u["mean_minutes_to_fed"] == 240
    assert u["late_cause"] == "seats" and u["feasible"] is True and u["infeasible_reason"] is None
    assert res["late_units"] == ["BIG"]
    assert res["planned_units_on_time"] == {"mean": 0.0, "ci95": [0.0, 0.0]}
    assert res["walk_ins_on_time"] is None
    br = res["bottleneck_resource"]
    assert br["station"] == "H" and br["resource"] == "seats" and br["late_unit_minutes"] == 195.0  # 240 − 45
    assert res["bottleneck"] == "H"
    assert "100 seats at H" in res["bottleneck_reason"] and "12 sittings" in res["bottleneck_reason"]


def test_one_refuel_bay_binds_a_convoy(tmp_path):
    """30 vehicles, 1 bay, 10-min refuels, 90-min stop: 9 refuelled, 21 left; the last waited 90."""
    res = drill(bays_case(tmp_path))
    u = res["units"]["CONVOY"]
    assert u["missed_share"] == 1.0 and u["vehicles_missed"] == 21
    assert u["time_budget"]["refuel_wait"] == 90.0
    assert sum(u["time_budget"].values()) == 90.0
    assert u["late_cause"] == "refuel_bays" and u["feasible"] is True
    assert res["bottleneck_resource"]["station"] == "H"
    assert res["bottleneck_resource"]["resource"] == "refuel_bays"
    assert (
        "1 refuel bay at H: CONVOY's 30 vehicles need 300 bay-minutes within a 90-minute stop"
        in (res["bottleneck_reason"])
    )


def test_kitchen_rate_binds(tmp_path):
    """600 at 200 meals/h with 100 ready: the last meal is cooked at 150 min, eaten by 170."""
    res = drill(kitchen_case(tmp_path))
    u = res["units"]["COOK"]
    assert u["time_budget"]["kitchen_wait"] == pytest.approx(150.0, abs=0.1)
    assert u["time_budget"]["seat_wait"] == 0.0 and u["time_budget"]["meal"] == 20.0
    assert u["mean_minutes_to_fed"] == pytest.approx(170.0, abs=0.1)
    assert u["late_cause"] == "kitchen"
    assert res["bottleneck_resource"]["resource"] == "kitchen"
    assert "cooks 200 meals an hour" in res["bottleneck_reason"]


def test_a_station_too_far_to_go_and_return_is_infeasible(tmp_path):
    """90 min there, 90 back: 180 > the 120-minute stop, whatever the queue."""
    res = drill(far_case(tmp_path))
    u = res["units"]["AWAY"]
    assert u["feasible"] is False
    assert "F, is 90 min away: 180 min there and back" in u["infeasible_reason"]
    assert u["missed_share"] == 1.0 and u["late_cause"] == "travel"
    # charged the whole stop: 30 minutes on the road, 90 it would need to come back — to distance,
    # which no station can add: placement, not a station's bottleneck (issue 19)
    assert res["placement"] == [{"unit": "AWAY", "served_at": "F", "minutes": 120.0, "nearest_feasible": None}]
    row = {"station": "F", "resource": "travel", "minutes": 120.0, "units": ["AWAY"], "by_unit": {"AWAY": 120.0}}
    assert row in res["minutes_beyond_target"]
    assert res["bottleneck_resource"]["resource"] != "travel"
    assert res["bottleneck_resource"]["late_unit_minutes"] == 0.0
    assert "distance did (AWAY: placement)" in res["bottleneck_reason"]
    assert sum(u["time_budget"].values()) == 30.0  # moved on at 120 − 90 minutes, still on the road


def test_short_halt_for_a_longer_meal_is_dwell(tmp_path):
    """A 15-minute halt at the door for a fixed 20-minute meal: nothing can fix it but the stop."""
    text = seats_case(tmp_path).read_text().replace("arrive = 0", "arrive = 0\ndwell_minutes = 15")
    path = tmp_path / "halt.toml"
    path.write_text(text)
    res = drill(path)
    u = res["units"]["BIG"]
    assert u["feasible"] is False and u["late_cause"] == "dwell"
    assert "stops 15 min, shorter than one 20-min meal" in u["infeasible_reason"]


def test_on_time_units_have_no_cause_and_assumptions_are_listed(tmp_path):
    """A small unit fed at once is on time: no cause; the defaults the file left out are stated."""
    text = seats_case(tmp_path).read_text().replace("headcount = 1200", "headcount = 50")
    text = text.replace("target_minutes = 45", "target_minutes = 300")
    text = text.replace("[drill.service]\nmeal_minutes = 20\n", "")
    path = tmp_path / "small.toml"
    path.write_text(text)
    res = drill(path)
    u = res["units"]["BIG"]
    assert u["late_cause"] is None and res["late_units"] == []
    keys = {a["key"]: a for a in res["assumptions"]}
    assert keys["drill.service.meal_minutes"]["assumed"] == "meal time not set: exponential, mean 20 min"
    assert "drill.target_minutes" not in keys  # the file sets it


def test_assumed_meal_time_is_marked_when_it_drives_a_late_unit(tmp_path):
    text = seats_case(tmp_path).read_text().replace("[drill.service]\nmeal_minutes = 20\n", "")
    path = tmp_path / "default-meal.toml"
    path.write_text(text)
    res = drill(path)
    meal = next(a for a in res["assumptions"] if a["key"] == "drill.service.meal_minutes")
    assert meal["drives"] == ["BIG"]
    assert meal["text"].startswith("meal time not set: exponential, mean 20 min assumed; 12 sittings for BIG")


def test_plan_flags_the_unit_that_cannot_be_served_and_lists_it_first(tmp_path):
    from simulation.action_plan import plan_html, scenario_plan

    path = far_case(tmp_path)
    easy = '[[drill.units]]\ncode = "EASY"\nheadcount = 10\nsite = "X"\narrive = 0\n\n'
    text = path.read_text().replace('[[drill.units]]\ncode = "AWAY"', easy + '[[drill.units]]\ncode = "AWAY"')
    path.write_text(text)
    plan = scenario_plan(load(path), replications=3)
    by_code = {u["code"]: u for u in plan["units"]}
    assert [u["code"] for u in plan["units"]] == ["EASY", "AWAY"]  # the JSON keeps the file's order
    assert by_code["EASY"]["feasible"] is True and by_code["EASY"]["infeasible_reason"] is None
    assert by_code["AWAY"]["feasible"] is False and "180 min there and back" in by_code["AWAY"]["infeasible_reason"]
    assert plan["risks"]["infeasible_units"] == ["AWAY"]
    away = by_code["AWAY"]  # never scheduled: no station, no times there, no stock drawn at F
    assert (away["station"], away["scheduled"], away["nearest_station"], away["at_station_minute"]) == (
        None,
        False,
        "F",
        None,
    )
    assert sum(h["meals"] for h in plan["stock_draw"]["F"]) == 10.0  # EASY's 10 meals; none of AWAY's 300
    page = plan_html(plan)
    table = page[page.index("<h2>Who serves whom</h2>") :]
    assert table.index("AWAY") < table.index("EASY")
    assert "CANNOT BE SERVED" in table
