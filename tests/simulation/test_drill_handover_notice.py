"""Meals handed to a train where it halts, and a station's readiness on notice (issue 23, items 2 and 3).

Every case follows by hand from fixed service times (see each docstring); station ``H`` of
``drill_helpers.NET`` (site ``S`` 5 minutes away, point ``P`` 50 minutes from H).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from simulation.action_plan import action_plan, plan_html
from simulation.compiled import compile_drill
from simulation.feasibility import feasibility
from simulation.improve import improve
from simulation.improve_costs import PER
from simulation.runner import run_drill
from simulation.station import Ramp, RampKitchen
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
    after arrival: late. H is fully staffed only at minute 900, so every minute waited (for a seat)
    fell before that: the 15 min beyond target are charged to notice, none to seats."""
    res = notice(tmp_path, 1)
    u = res["units"]["U"]
    assert res["late_units"] == ["U"] and u["on_time_share"] == 0.0 and u["late_share"] == 1.0
    assert u["late_cause"] == "notice"
    assert 55 <= u["mean_minutes_to_fed"] <= 65
    rows = {r["resource"]: r["minutes"] for r in res["minutes_beyond_target"]}
    assert list(rows) == ["notice"] and 10 <= rows["notice"] <= 20
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
            TRAIN.format(unit='support = "handover"', h="handover_teams = 2").replace("dwell_minutes = 10\n", ""),
            "drill.units[0].dwell_minutes: support = \"handover\" needs dwell_minutes: unit 'T' is loaded with meals",
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


def test_the_shipped_handover_drill_says_what_scenarios_readme_says():
    """drills/south-station-handover.toml: the trains handed meals in 6 and 3 min (8 teams × 20 a
    minute for 1,000 and 550), C-503 late by notice (fed in about 48 min), and improve's one step:
    notify C-503 3 h earlier, for 15 cost points."""
    sc = load_scenario(ROOT / "scenarios" / "drills" / "south-station-handover.toml")
    res = run_drill(sc, workers=1).as_dict()
    units = res["units"]
    assert res["late_units"] == ["C-503"] and units["C-503"]["late_cause"] == "notice"
    assert 45 < units["C-503"]["mean_minutes_to_fed"] < 52
    assert units["G-501"]["time_budget"]["handover"] == 6.2 and units["G-502"]["time_budget"]["handover"] == 3.4
    assert units["G-501"]["on_time_share"] == units["G-502"]["on_time_share"] == 1.0
    improved, _ = improve(sc, replications=20)
    assert [(s["action"], s["cost"]) for s in improved["steps"]] == [
        ("notify C-503 3 h earlier (notice_hours = 4)", 15.0)
    ]


def test_the_film_shows_a_train_handed_its_meals_where_it_halts(tmp_path):
    """The film's script of the 4-team train: it arrives at S at minute 60 and is fed there (not at H)."""
    from simulation.film import film_timeline

    sc = drill_scenario(tmp_path, TRAIN.format(unit='support = "handover"', h="handover_teams = 4"), seats=100)
    events = {(e.kind, e.subject): e for e in film_timeline(sc, replication=1).events if e.subject == "T"}
    assert events[("arrives", "T")].minute == 60 and events[("arrives", "T")].station == "S"
    assert events[("fed", "T")].station == "S" and events[("fed", "T")].minute == pytest.approx(63.75)


@pytest.mark.parametrize(
    ("standby", "called", "minutes"),
    [(0.25, 540.0, 360.0), (0.0, -60.0, 120.0), (0.5, 100.0, 0.0), (0.3, math.inf, 60.0)],
)
def test_the_ramp_is_the_integral_of_the_share_staffed(standby, called, minutes):
    """output() is ∫ share (checked by the trapezoid rule on a fine grid), until() its inverse, and a
    station's seats come in one by one as the share staffed reaches each of them."""
    ramp = Ramp(standby, called, minutes)
    grid = np.linspace(0.0, 1200.0, 120_001)
    shares = np.array([ramp.share(t) for t in grid])
    numeric = float(np.sum((shares[1:] + shares[:-1]) / 2 * np.diff(grid)))
    assert ramp.output(0.0, 1200.0) == pytest.approx(numeric, abs=0.05)
    for t, amount in [(0.0, 10.0), (500.0, 30.0), (560.0, 200.0), (1000.0, 5.0)]:
        end = ramp.until(t, amount)
        if math.isfinite(end):
            assert ramp.output(t, end) == pytest.approx(amount, abs=1e-6)
        else:  # never called and nobody on standby: nothing is ever made
            assert standby == 0.0 or math.isinf(called)
    seats = ramp.staffed(8)
    assert seats == sorted(seats) and sum(s == 0.0 for s in seats) >= math.floor(8 * standby + 1e-9)
    for k, t in enumerate(seats):  # seat k comes in when the share staffed first reaches (k + 1) / 8
        if 0 < t < math.inf:
            assert ramp.share(t) >= (k + 1) / 8 - 1e-9 > ramp.share(t - 1e-6)


def test_a_kitchen_readying_on_notice_cooks_at_its_ramping_rate():
    """60 meals an hour, half staffed and called at 0, fully staffed at 60: its buffer holds 15 hot
    meals (half of 30); the 40th meal asked for at 0 needs 25 minutes of full output, made by T with
    0.5 T + T² / 240 = 25, T = 60 (√(14400 + 24000) − 120) / 120 ≈ 37.98 min."""
    kitchen = RampKitchen(60, Ramp(0.5, 0.0, 60.0))
    ready = [kitchen.ready_at(0.0) for _ in range(40)]
    assert ready[:15] == [0.0] * 15 and ready == sorted(ready)
    assert ready[-1] == pytest.approx((math.sqrt(14400 + 24000) - 120) / 2, abs=1e-9)


def test_improve_adds_handover_teams_for_a_train_loaded_too_slowly(tmp_path):
    """The one-team train: 300 meals in a 10-min stop at 20 a minute a team need ⌈1.1 × 300 / 200⌉ = 2
    teams, so one more at H (10 cost points, ``handover_team``): 40 a minute load them in 7.5 min."""
    sc = drill_scenario(tmp_path, TRAIN.format(unit='support = "handover"', h="handover_teams = 1"), seats=100)
    res, _ = improve(sc, replications=4)
    assert [(s["action"], s["cost"]) for s in res["steps"]] == [("add 1 handover team at H", 10.0)]
    assert res["reached"] is True and res["steps"][0]["unit_on_time"] == 1.0


def test_the_new_causes_read_in_a_planners_words_in_the_text_and_the_html_report(tmp_path):
    """The one-team train (handover) and the 1-hour-notice unit (notice), side by side in one drill:
    each cause in the JSON, in the terminal text and in the HTML report, with the definitions."""
    from rich.console import Console

    from simulation.report import render
    from supply.cli.drill_text import print_result

    # T's notice (1 h) calls every station at minute 0: H, a quarter staffed, is full only at 360, and
    # U's 150 troops reach it at 120 with half its seats staffed: three sittings, fed at about 60 min
    h = "handover_teams = 1\nreadiness_hours = 6\nstandby_share = 0.25"
    drill = TRAIN.format(unit='support = "handover"\nnotice_hours = 1', h=h) + (
        '\n[[drill.units]]\ncode = "U"\nheadcount = 150\nstation = "H"\narrive = 120\nnotice_hours = 1\n'
    )
    res = run_drill(drill_scenario(tmp_path, drill, seats=100), workers=1).as_dict()
    assert {c: res["units"][c]["late_cause"] for c in res["late_units"]} == {"T": "handover", "U": "notice"}
    out = Console(record=True, width=80)
    print_result(res, out)
    text = out.export_text()
    page = render(res)
    for words in ("handover (teams or meals not ready)", "notice (station not yet ready)"):
        assert words in text and words in page
    assert "handover: meals handed where the unit halts" in " ".join(text.split())
    assert "standby_share below 1" in page
