"""Meals handed to a train where it halts, and a station's readiness on notice (issue 23, items 2 and 3).

Every case follows by hand from fixed service times (see each docstring); station ``H`` of
``drill_helpers.NET`` (site ``S`` 5 minutes away, point ``P`` 50 minutes from H).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulation.compiled import compile_drill
from simulation.feasibility import feasibility
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
