"""People and vehicles judged apart, fuel and water trucks, field kitchens as a decision (issue 19).

Every case is built so its answer follows by hand from fixed service times (see each docstring);
station ``H`` of ``drill_helpers.NET`` (site ``S`` 5 minutes away) unless said otherwise.
"""

from __future__ import annotations

import pytest

from simulation.runner import run_drill
from supply.core.errors import ScenarioError
from tests.simulation.binding import far_case, load
from tests.simulation.drill_helpers import drill_file, drill_scenario

#: 10 people and 30 vehicles at H's door, fixed 20-min meals and 10-min refuels, a 90-minute stop.
CONVOY = """
[drill]
hours = 4
target_minutes = 45
replications = 3
seed = 1

[[drill.units]]
code = "CONVOY"
headcount = 10
vehicles = 30
station = "H"
arrive = 0
dwell_minutes = 90
{unit}

[drill.service]
meal_minutes = 20
refuel_minutes = 10

[drill.consumption]
water_l_per_person = 0
diesel_l_per_vehicle = 150
{extra}
"""


def run(tmp_path, unit: str = "", extra: str = "", **kw) -> dict:
    path = drill_file(tmp_path, CONVOY.format(unit=unit, extra=extra), **kw)
    return run_drill(load(path), workers=1).as_dict()


def test_people_fed_on_time_while_vehicles_miss_their_stop(tmp_path):
    """Fed at 20 min (on time); 1 bay × 10 min: 9 vehicles refuelled in the 90-min stop, 21 not."""
    res = run(tmp_path, seats=100, bays=1)
    u = res["units"]["CONVOY"]
    people, vehicles = u["outcomes"]["people"], u["outcomes"]["vehicles"]
    assert people["on_time_share"] == 1.0 and people["late_cause"] is None and people["missed_share"] == 0.0
    assert people["time_budget"]["meal"] == 20.0 and sum(people["time_budget"].values()) == 20.0
    assert vehicles["on_time_share"] == 0.0 and vehicles["missed_share"] == 1.0
    assert vehicles["late_cause"] == "refuel_bays" and vehicles["time_budget"]["refuel_wait"] == 90.0
    assert vehicles["minutes_beyond_target"] == 90.0  # the last vehicle waited the whole stop for a bay
    assert u["late_side"] == "vehicles" and u["late_cause"] == "refuel_bays"
    assert u["time_budget"] == vehicles["time_budget"]  # the existing key is the late side's
    assert res["late_units"] == ["CONVOY"]
    assert res["bottleneck_resource"] == {"station": "H", "resource": "refuel_bays", "late_unit_minutes": 90.0}
    assert res["minutes_beyond_target"] == [
        {"station": "H", "resource": "refuel_bays", "minutes": 90.0, "units": ["CONVOY"], "by_unit": {"CONVOY": 90.0}}
    ]
    assert res["placement"] == []


def test_fuel_trucks_fix_the_convoy(tmp_path):
    """2 trucks at the door, 15 vehicles each at 3 + 150/60 = 5.5 min: the last done at 82.5 < 90."""
    res = run(tmp_path, unit="fuel_trucks = 2", seats=100, bays=1, h_stock="fuel_trucks = 2")
    u = res["units"]["CONVOY"]
    vehicles = u["outcomes"]["vehicles"]
    assert vehicles["on_time_share"] == 1.0 and vehicles["missed_share"] == 0.0
    assert vehicles["time_budget"]["truck_wait"] == 77.0 and vehicles["time_budget"]["refuel"] == 5.5
    assert u["late_side"] is None and u["late_cause"] is None and res["late_units"] == []
    assert u["time_budget"] == u["outcomes"]["people"]["time_budget"]  # on time: the people's
    h = res["stations"]["H"]
    assert h["refuel_bay_utilisation"]["mean"] == 0.0  # the bays were never used
    assert h["fuel_truck_utilisation"]["mean"] == pytest.approx(2 * 82.5 / 240 / 2, abs=1e-4)
    assert any(a["key"] == "drill.trucks.pump_litres_per_minute" for a in res["assumptions"])


def test_a_truck_runs_dry_and_refills(tmp_path):
    """1 truck of 600 L, 3 min a vehicle (150 L at 50 L/min), 10-min refill at the door: 4 vehicles
    a load; 12 vehicles end at 12, 34, 56 min — the last waited 53 and took 3."""
    extra = "[drill.trucks]\nfuel_litres = 600\npump_litres_per_minute = 50\nconnect_minutes = 0\nrefill_minutes = 10"
    text = CONVOY.replace("vehicles = 30", "vehicles = 12")
    path = drill_file(tmp_path, text.format(unit="fuel_trucks = 1", extra=extra), seats=100, h_stock="fuel_trucks = 1")
    res = run_drill(load(path), workers=1).as_dict()
    vehicles = res["units"]["CONVOY"]["outcomes"]["vehicles"]
    assert vehicles["time_budget"]["truck_wait"] == 53.0 and vehicles["time_budget"]["refuel"] == 3.0
    assert vehicles["on_time_share"] == 1.0


def test_vehicle_target_judges_vehicles_on_their_own_deadline(tmp_path):
    """5 vehicles at 1 bay, 10 min each: the last refuelled at 50 — late against a 30-min vehicle target."""
    text = CONVOY.replace("vehicles = 30", "vehicles = 5")
    path = drill_file(tmp_path, text.format(unit="vehicle_target_minutes = 30", extra=""), seats=100, bays=1)
    res = run_drill(load(path), workers=1).as_dict()
    u = res["units"]["CONVOY"]
    assert u["vehicle_target_minutes"] == 30
    assert u["outcomes"]["vehicles"]["late_share"] == 1.0 and u["outcomes"]["people"]["on_time_share"] == 1.0
    assert u["late_side"] == "vehicles" and u["late_cause"] == "refuel_bays"
    assert u["outcomes"]["vehicles"]["minutes_beyond_target"] == 20.0  # 50 − 30, all of it waiting for the bay


#: 500 troops at site S (5 min from H), fed by field kitchens at 100 meals an hour each.
MOBILE = """
[drill]
hours = 8
target_minutes = 45
replications = 2

[[drill.units]]
code = "M"
headcount = 500
site = "S"
arrive = 0
support = "mobile"
{unit}

[drill.consumption]
water_l_per_person = {water}
"""


def mobile(tmp_path, unit: str = "", water: float = 0, **kw) -> dict:
    path = drill_file(tmp_path, MOBILE.format(unit=unit, water=water), seats=0, **kw)
    return run_drill(load(path), workers=1).as_dict()["units"]["M"]


def test_more_field_kitchens_sent_feed_sooner(tmp_path):
    """Default: 2 kitchens (one per 250): 250 each at 100/h = 150 min + 5 drive; field_kitchens = 4: 75 + 5."""
    default = mobile(tmp_path, field_kitchens=4)
    assert default["field_kitchens"] == 2 and default["mean_minutes_to_fed"] == 155.0
    assert default["late_cause"] == "field_kitchens"
    four = mobile(tmp_path, unit="field_kitchens = 4", field_kitchens=4)
    assert four["field_kitchens"] == 4 and four["mean_minutes_to_fed"] == 80.0
    capped = mobile(tmp_path, unit="field_kitchens = 9", field_kitchens=4)  # the station has 4
    assert capped["field_kitchens"] == 4 and capped["mean_minutes_to_fed"] == 80.0


def test_water_trucks_make_the_kitchens_wait_for_a_second_trip(tmp_path):
    """10 L a head: 5,000 L; one 3,000-L truck needs a second trip, 5 + 5 drive + 30 refill = 40 min later."""
    extra = "water_trucks = 1\n[stations.stock]\nwater_l = 100000"
    path = drill_file(
        tmp_path,
        MOBILE.format(unit="field_kitchens = 4", water=10) + "\n[drill.trucks]\nwater_litres = 3000\n",
        seats=0,
        field_kitchens=4,
        h_stock=extra,
    )
    u = run_drill(load(path), workers=1).as_dict()["units"]["M"]
    assert u["time_budget"]["water_wait"] == 40.0 and u["mean_minutes_to_fed"] == 120.0  # 5 + 40 + 75
    two = drill_file(
        tmp_path,
        MOBILE.format(unit="field_kitchens = 4\nwater_trucks = 2", water=10) + "[drill.trucks]\nwater_litres = 3000\n",
        seats=0,
        field_kitchens=4,
        h_stock=extra.replace("water_trucks = 1", "water_trucks = 2"),
        name="two.toml",
    )
    u2 = run_drill(load(two), workers=1).as_dict()["units"]["M"]
    assert u2["time_budget"]["water_wait"] == 0.0 and u2["mean_minutes_to_fed"] == 80.0


def test_a_unit_late_by_distance_is_placement_not_a_station_bottleneck(tmp_path):
    """Served at F, 90 min away, with no stop: fed at 110 min, 65 beyond the target, all distance;
    N, 10 min from its site, has seats enough and is named as the nearest that could serve it."""
    text = far_case(tmp_path).read_text()
    text = text.replace("dwell_minutes = 120\n", 'serve_at = "F"\n')
    text = text.replace("hours = 6", 'hours = 6\npolicy = "assigned"')
    text = text.replace('code = "N"\ntier = "point"', 'code = "N"\ntier = "point"\nseats = 400')
    path = tmp_path / "placed.toml"
    path.write_text(text)
    res = run_drill(load(path), workers=1).as_dict()
    u = res["units"]["AWAY"]
    assert u["late_cause"] == "travel" and u["mean_minutes_to_fed"] == 110.0
    assert res["placement"] == [{"unit": "AWAY", "served_at": "F", "minutes": 65.0, "nearest_feasible": "N"}]
    assert res["bottleneck_resource"]["late_unit_minutes"] == 0.0
    row = {"station": "F", "resource": "travel", "minutes": 65.0, "units": ["AWAY"], "by_unit": {"AWAY": 65.0}}
    assert row in res["minutes_beyond_target"]


def test_unit_decisions_are_checked(tmp_path):
    bad = """
[drill]
hours = 4

[[drill.units]]
code = "U"
headcount = 10
station = "H"
arrive = 0
fuel_trucks = 2
field_kitchens = 3
"""
    with pytest.raises(ScenarioError) as exc:
        run_drill(drill_scenario(tmp_path, bad), workers=1)
    text = str(exc.value)
    assert "drill.units[0].fuel_trucks" in text and "has no vehicles" in text
    assert "drill.units[0].field_kitchens" in text and 'support = "mobile"' in text


def test_text_and_report_show_both_sides_and_define_missed_once(tmp_path):
    """The convoy's two rows, 'missed' in words where first printed, the bottleneck's minutes in a table."""
    import io

    from rich.console import Console

    from simulation.report import render
    from supply.cli.drill_text import print_result

    res = run(tmp_path, seats=100, bays=1)
    buf = io.StringIO()
    print_result(res, Console(file=buf, width=80, color_system=None))
    text = buf.getvalue()
    assert "CONVOY vehicles missed 100% (moved on with 21 vehicles unserved, mean per" in text
    assert text.split("service level")[0].count("moved on with") == 1  # defined once, where first printed
    assert "(90 min beyond target per replication)" in text
    rows = [line.split() for line in text.splitlines() if line.startswith(("CONVOY", "H "))]
    assert ["CONVOY", "ppl", "H", "20", "·", "20", "·"] in rows  # meal, bay, total, beyond (unused columns hidden)
    assert ["CONVOY", "veh", "H", "·", "90", "90", "90"] in rows
    assert ["H", "refuel", "bays", "90", "CONVOY", "90"] in rows  # the bottleneck's 90, found in a table
    assert "wait (station): the mean full wait" in text and "wait (unit, walk-ins): person-minutes" in text
    page = render(res)
    assert "Planned units, people and vehicles" in page and "<dt><b>missed</b></dt>" in page
    assert page.split("Service level")[0].count("moved on with") == 1


def test_fuel_trucks_refuel_at_the_halt_until_the_unit_leaves_it(tmp_path):
    """At site S (5 min from H), a 60-min stop: the people must start back at 55, but the vehicles
    stay at the halt: 1 truck drives 5 min, 10 vehicles × 5.5 min end at 60 — on time, just."""
    text = CONVOY.replace("vehicles = 30", "vehicles = 10").replace('station = "H"', 'site = "S"')
    text = text.replace("dwell_minutes = 90", "dwell_minutes = 60")
    path = drill_file(tmp_path, text.format(unit="fuel_trucks = 1", extra=""), seats=100, h_stock="fuel_trucks = 1")
    res = run_drill(load(path), workers=1).as_dict()
    vehicles = res["units"]["CONVOY"]["outcomes"]["vehicles"]
    assert vehicles["time_budget"]["truck_wait"] == 54.5 and vehicles["time_budget"]["travel"] == 0.0
    assert sum(vehicles["time_budget"].values()) == 60.0 and vehicles["on_time_share"] == 1.0


def test_mobile_support_refuels_only_with_fuel_trucks(tmp_path):
    """Field kitchens feed the unit where it is; its 4 vehicles are refuelled only if trucks are sent:
    1 truck drives 5 min, 4 × 5.5 min — the last done 27 min after arrival."""
    unit = "vehicles = 4\ndwell_minutes = 200\nfield_kitchens = 4"
    alone = mobile(tmp_path, unit=unit, field_kitchens=4)
    assert alone["outcomes"]["vehicles"] is None and alone["vehicles"] == 4  # nothing refuels them
    assert alone["field_kitchens"] == 4 and "would send all" not in (alone["late_reason"] or "")
    trucked = mobile(tmp_path, unit=unit + "\nfuel_trucks = 1", field_kitchens=4, h_stock="fuel_trucks = 1")
    vehicles = trucked["outcomes"]["vehicles"]
    assert vehicles["on_time_share"] == 1.0 and sum(vehicles["time_budget"].values()) == 27.0
    two = mobile(tmp_path, field_kitchens=4)  # the default sends 2 of the 4: the reason names the lever
    assert "sends 2 of its 4 field kitchens" in two["late_reason"]
    assert "field_kitchens = 4 would send all" in two["late_reason"]


def test_units_share_a_stations_water_trucks(tmp_path):
    """Two mobile units at once, one 3,000-L truck, 1,000 L each: the second unit's water comes after
    the truck's round trip (5 there, 5 back, 5 there again): its kitchens wait 10 minutes."""
    text = MOBILE.format(unit="field_kitchens = 2", water=2) + (
        '\n[[drill.units]]\ncode = "M2"\nheadcount = 500\nsite = "S"\narrive = 0\nsupport = "mobile"\n'
        "field_kitchens = 2\n[drill.trucks]\nwater_litres = 3000\n"
    )
    path = drill_file(tmp_path, text, seats=0, field_kitchens=4, h_stock="water_trucks = 1")
    units = run_drill(load(path), workers=1).as_dict()["units"]
    waits = sorted(units[c]["time_budget"]["water_wait"] for c in ("M", "M2"))
    assert waits == [0.0, 10.0]
