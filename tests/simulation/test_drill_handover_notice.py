"""Meals handed to a train where it halts, and a station's readiness on notice (issue 23, items 2 and 3).

Every case follows by hand from fixed service times (see each docstring); station ``H`` of
``drill_helpers.NET`` (site ``S`` 5 minutes away, point ``P`` 50 minutes from H).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulation.action_plan import action_plan, plan_html
from simulation.compiled import compile_drill
from simulation.feasibility import feasibility
from simulation.improve import improve
from simulation.improve_costs import PER
from simulation.runner import run_drill
from supply.core.errors import ScenarioError
from supply.core.scenario import load_scenario
from tests.simulation.drill_helpers import drill_scenario

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).with_name("data")

#: A train of 300 stopping 10 minutes at S from minute 60; meals are 20 minutes (longer than the stop).
TRAIN = """
[drill]
hours = 4
replications = 3

[[drill.units]]
code = "T"
headcount = 300
site = "S"
arrive = 60
dwell_minutes = 10
{unit}

[drill.service]
meal_minutes = 20

[drill.stations.H]
{h}

[drill.stations.P]
handover_teams = 0
"""


def train(tmp_path: Path, unit: str = 'support = "handover"', h: str = "handover_teams = 4", **kw) -> dict:
    sc = drill_scenario(tmp_path, TRAIN.format(unit=unit, h=h), seats=100, **kw)
    return run_drill(sc, workers=1).as_dict()


def test_a_ten_minute_stop_is_fed_by_handover_with_enough_teams(tmp_path):
    """4 teams × 20 meals a minute load 300 meals in 3.75 min, inside the 10-min stop: on time.
    The meals (no kitchen limit) leave H 2 h ahead and are at S 5 min later, before the train."""
    res = train(tmp_path)
    u = res["units"]["T"]
    assert res["late_units"] == [] and u["on_time_share"] == 1.0 and u["feasible"] is True
    assert u["late_cause"] is None and u["stations"] == ["H"]
    assert u["time_budget"]["handover"] == 3.8  # 300 / 80 = 3.75 min from arrival to the last meal
    assert u["mean_minutes_to_fed"] == 3.75


def test_one_team_cannot_load_the_train_in_its_stop(tmp_path):
    """1 team × 20 a minute hands 200 of 300 meals in the 10-min stop: 100 leave without, cause handover."""
    res = train(tmp_path, h="handover_teams = 1")
    u = res["units"]["T"]
    assert res["late_units"] == ["T"] and u["on_time_share"] == 0.0 and u["missed_share"] == 1.0
    assert u["late_cause"] == "handover" and u["people_missed"] == 100.0
    assert u["time_budget"]["handover"] == 10.0  # the whole stop, and still unfed
    assert "1 handover team at H" in u["late_reason"] and "15 min with 1" in u["late_reason"]
    assert res["minutes_beyond_target"] == [
        {"station": "H", "resource": "handover", "minutes": 10.0, "units": ["T"], "by_unit": {"T": 10.0}}
    ]
    assert res["bottleneck_resource"] == {"station": "H", "resource": "handover", "late_unit_minutes": 10.0}


def test_meals_not_ready_make_the_train_late(tmp_path):
    """A kitchen of 60 meals an hour starts 30 min ahead (minute 30) with its half hour's buffer of 30
    hot meals: the other 270 take 270 min, ready at minute 300, past the stop's end at 70: nobody is
    handed a meal, cause handover (meals not ready)."""
    res = train(tmp_path, h="handover_teams = 4\nhandover_prep_minutes = 30", meals_per_hour=60)
    u = res["units"]["T"]
    assert u["late_cause"] == "handover" and u["people_missed"] == 300.0


def test_without_handover_the_stop_is_shorter_than_a_meal(tmp_path):
    """The same train served at a station: a 10-min stop, a 20-min meal — infeasible, cause dwell."""
    res = train(tmp_path, unit="")
    u = res["units"]["T"]
    assert u["feasible"] is False and u["late_cause"] == "dwell"
    sc = drill_scenario(tmp_path, TRAIN.format(unit='support = "handover"', h="handover_teams = 4"), seats=100)
    assert feasibility(compile_drill(sc))["T"].feasible


def test_handover_with_no_station_teams_is_infeasible_by_handover(tmp_path):
    """serve_at P (no teams under assigned policy) is refused at validation; with every station at 0 too."""
    with pytest.raises(ScenarioError) as exc:
        train(tmp_path, h="handover_teams = 0")
    assert "drill.units[0].support: unit 'T' is handed meals but no station has handover teams" in str(exc.value)


@pytest.mark.parametrize("name", ["nansha-embarkation", "typhoon-nansha"])
def test_drills_without_the_new_keys_give_the_same_json_as_before(name):
    """Same seeds, same JSON: the drill's results at 10 replications, byte for byte as before issue 23
    (data/before-issue23-*.json, written by the model as it was)."""
    res = run_drill(load_scenario(ROOT / "scenarios" / "drills" / f"{name}.toml"), replications=10, workers=1)
    before = json.loads((DATA / f"before-issue23-{name}.json").read_text(encoding="utf-8"))
    assert json.loads(json.dumps(res.as_dict(), sort_keys=True)) == before


#: 100 troops at H's door at minute 600 (hour 10), fixed 20-min meals, 100 seats, target 45.
NOTICE = """
[drill]
hours = 16
replications = 3

[[drill.units]]
code = "U"
headcount = 100
station = "H"
arrive = 600
notice_hours = {notice}

[drill.service]
meal_minutes = 20

[drill.stations.H]
readiness_hours = 6
standby_share = 0.25
"""


def notice(tmp_path: Path, hours: float) -> dict:
    sc = drill_scenario(tmp_path, NOTICE.format(notice=hours), seats=100)
    return run_drill(sc, workers=1).as_dict()


def test_one_hour_of_notice_meets_a_station_still_readying(tmp_path):
    """Called at minute 540, H has 25% + 75% × 60/360 = 37.5% of its seats staffed at 600: 37 seats,
    one more every 3.6 min; the 100 eat in about three sittings, the last fed near minute 660, 60 min
    after arrival: late. Of the 15 min beyond target, the 62.5% not staffed is charged to notice."""
    res = notice(tmp_path, 1)
    u = res["units"]["U"]
    assert res["late_units"] == ["U"] and u["on_time_share"] == 0.0 and u["late_share"] == 1.0
    assert u["late_cause"] == "notice"
    assert 55 <= u["mean_minutes_to_fed"] <= 65
    rows = {r["resource"]: r["minutes"] for r in res["minutes_beyond_target"]}
    assert rows["notice"] == pytest.approx(0.625 * (rows["notice"] + rows["seats"]), abs=0.1)
    assert "called 1.0 h before U arrived" in u["late_reason"] and "25% of its seats" in u["late_reason"]


def test_eight_hours_of_notice_leave_time_to_be_ready(tmp_path):
    """Called at minute 120, H is fully staffed from 480 (6 h later): one 20-min sitting, on time."""
    res = notice(tmp_path, 8)
    u = res["units"]["U"]
    assert res["late_units"] == [] and u["on_time_share"] == 1.0 and u["mean_minutes_to_fed"] == 20.0


def test_the_default_notice_is_the_restock_lead(tmp_path):
    """No notice_hours: the drill's 6 h restock lead, so H is called at 240 and ready at 600 exactly."""
    drill = NOTICE.replace("notice_hours = {notice}\n", "")
    res = run_drill(drill_scenario(tmp_path, drill, seats=100), workers=1).as_dict()
    assert res["units"]["U"]["on_time_share"] == 1.0
    assumed = {a["key"]: a["assumed"] for a in res["assumptions"]}
    assert "notice not set for U: the restock lead, 6 h" in assumed["drill.units.notice_hours"]


@pytest.mark.parametrize(
    ("drill", "problem"),
    [
        (
            NOTICE.format(notice=-1),
            "drill.units[0].notice_hours: notice_hours -1 out of range: input should be greater than or equal to 0",
        ),
        (
            NOTICE.format(notice=1).replace("standby_share = 0.25", "standby_share = 1.5"),
            "drill.stations.H.standby_share: standby_share 1.5 out of range: input should be less than or equal to 1",
        ),
        (
            NOTICE.format(notice=1).replace("readiness_hours = 6", "readiness_hours = -2"),
            "drill.stations.H.readiness_hours: readiness_hours -2 out of range: input should be greater than",
        ),
        (
            NOTICE.format(notice=1).replace("[drill.stations.H]", "[drill.stations.HH]"),
            "drill.stations.HH: unknown station 'HH'; did you mean 'H'?",
        ),
        (
            NOTICE.format(notice=1).replace("standby_share = 0.25", "standby = 0.25"),
            "drill.stations.H.standby: unknown key 'standby'",
        ),
        (
            TRAIN.format(unit='support = "handover"\nvehicles = 3', h="handover_teams = 2"),
            "drill.units[0].vehicles: support = \"handover\" feeds people only: unit 'T' has 3 vehicles",
        ),
        (
            TRAIN.format(unit='support = "handover"\nserve_at = "P"', h="handover_teams = 2"),
            "drill.units[0].support: unit 'T' is handed meals by P, which has handover_teams = 0",
        ),
        (
            TRAIN.format(unit='support = "handover"', h="handover_meals_per_minute = 0"),
            "drill.stations.H.handover_meals_per_minute: handover_meals_per_minute 0 out of range",
        ),
        (
            TRAIN.format(unit='support = "train"', h=""),
            "drill.units[0].support: unknown support 'train': expected 'station', 'mobile' or 'handover'",
        ),
    ],
)
def test_bad_new_keys_are_refused_naming_the_key(tmp_path, drill, problem):
    with pytest.raises(ScenarioError) as exc:
        compile_drill(drill_scenario(tmp_path, drill, seats=100))
    assert problem in str(exc.value)


def test_every_fault_in_the_new_keys_is_reported_at_once(tmp_path):
    drill = NOTICE.format(notice=-1).replace("standby_share = 0.25", "standby_share = 2")
    with pytest.raises(ScenarioError) as exc:
        compile_drill(drill_scenario(tmp_path, drill, seats=100))
    assert [p.path for p in exc.value.problems] == ["drill.units[0].notice_hours", "drill.stations.H.standby_share"]


def test_improve_proposes_an_earlier_notice_with_its_cost(tmp_path):
    """The 1-hour-notice unit: H needs 6 h to be ready, so 5 h earlier, at 5 cost points an hour
    (the default ``[improve.costs] notice_hour``), brings it on time; more seats would not."""
    res, _ = improve(drill_scenario(tmp_path, NOTICE.format(notice=1), seats=100), replications=4)
    assert res["reached"] is True and len(res["steps"]) == 1
    step = res["steps"][0]
    assert step["action"] == "notify U 5 h earlier (notice_hours = 6)" and step["cost"] == 25.0
    assert step["changes"] == [{"unit": "U", "notice_hours": 6.0}] and step["unit_on_time"] == 1.0
    assert res["costs"]["notice_hour"] == {"cost": 5.0, "per": PER["notice_hour"], "assumed": True}


def test_the_action_plan_shows_the_handover_and_when_to_notify(tmp_path):
    """The plan of the 4-team train: handed meals by H, cooking from minute 0 (2 h before it arrives
    at 60, from the drill's start), a 5-min drive, 300 / 80 = 3.75 min of loading; notified 6 h
    ahead (the restock lead); H's kitchen team ready when cooking starts, its transport team leaving
    5 min before the train arrives; the meals drawn at H in hour 0."""
    sc = drill_scenario(tmp_path, TRAIN.format(unit='support = "handover"', h="handover_teams = 4"), seats=100)
    teams = [
        {"code": "K1", "station": "H", "kind": "kitchen", "vehicles": 0},
        {"code": "TR1", "station": "H", "kind": "transport", "vehicles": 2},
    ]
    plan = action_plan(sc, teams)
    (u,) = plan["units"]
    assert u["station"] == "H" and u["travel_minutes"] is None and u["at_station_minute"] is None
    assert u["handover"] == {
        "teams": 4,
        "meals_per_minute": 20.0,
        "cook_from_minute": 0.0,
        "drive_minutes": 5.0,
        "loading_minutes": 3.8,
    }
    assert u["notice_hours"] == 6.0 and u["notify_minute"] == 60 - 360
    assert [(d["team"], d["action"], d["minute"]) for d in plan["departures"]] == [
        ("K1", "ready", 0.0),
        ("TR1", "leave", 55.0),
    ]
    assert plan["stock_draw"]["H"][0]["meals"] == 300.0
    page = plan_html(plan)
    assert "Meals handed over where the unit halts" in page and "4 × 20/min" in page and "Notify by" in page
