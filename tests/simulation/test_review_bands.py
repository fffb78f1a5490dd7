"""The simulated 95% bands the after-action review measures reality against: stock drawn per
station and item (and in total) and the serving step, computed by hand on deterministic drills;
and the review's HTML with bands and band-less steps, still self-contained."""

from __future__ import annotations

import pytest

from simulation.action_plan import SERVING_MEASURE, action_plan
from simulation.review_report import review_html
from simulation.runner import run_drill
from tests.simulation.drill_helpers import drill_scenario, stockout_scenario
from tests.simulation.test_plan_doc import DRILL, TEAMS

# B stays 90 minutes instead of 20, so it is fed: at H at 75, a free seat, 20-minute meal → fed at 95.
FED_BOTH = DRILL.replace("arrive = 70\ndwell_minutes = 20", "arrive = 70\ndwell_minutes = 90")


def _band(x: float) -> dict:
    return {"mean": x, "band95": [x, x]}


def test_stock_bands_per_station_item_and_total(tmp_path):
    # default consumption: A (10 people) and B (4 people, 1 truck) both at H, every replication:
    # 14 meals, 14 × 11.4 = 159.6 L of water (tropical planning factor), 150 L of diesel; nothing at P
    plan = action_plan(drill_scenario(tmp_path, DRILL, seats=20, bays=1), TEAMS)
    bands = plan["bands"]
    assert bands["stock_drawn"]["H"] == {"meals": _band(14.0), "water_l": _band(159.6), "diesel_l": _band(150.0)}
    assert bands["stock_drawn"]["P"] == {"meals": _band(0.0), "water_l": _band(0.0), "diesel_l": _band(0.0)}
    assert bands["stock_drawn_total"] == bands["stock_drawn"]["H"]
    # B is missed in every replication: no replication finishes serving, so no band (and it says why)
    assert bands["steps"]["serving"] == {
        "mean": None,
        "band95": [None, None],
        "measure": SERVING_MEASURE,
        "replications_complete": 0,
    }
    # the older key stays as it was: meals *eaten* (B's 4 took theirs but left unfed), not meals issued
    assert plan["meals_drawn"] == {"H": _band(10.0)} and plan["service_level"] == _band(0.5)


def test_serving_band_from_first_arrival_to_last_fed(tmp_path):
    plan = action_plan(drill_scenario(tmp_path, FED_BOTH, seats=20, bays=1), TEAMS)
    # A arrives at 30 (fed at 55), B at 70 (fed at 95): 95 − 30 = 65 minutes in all 8 replications
    assert [u["minutes_to_fed"] for u in plan["units"]] == [_band(25.0), _band(25.0)]
    assert plan["bands"]["steps"]["serving"] == {**_band(65.0), "measure": SERVING_MEASURE, "replications_complete": 8}


def test_draws_count_what_units_took_not_the_hubs_transfers(tmp_path):
    """P holds 10 meals (reorder at 5); 12 arrive: 10 draw at once, 2 after the hub's delivery.
    P drew 12 meals for units; the hub drew none for units (its 10-meal transfer is not a draw)."""
    sc = stockout_scenario(tmp_path)
    res = run_drill(sc).as_dict()
    assert res["stations"]["P"]["drawn"]["meals"] == {"mean": 12.0, "ci95": [12.0, 12.0]}
    assert res["stations"]["P"]["drawn"]["water_l"]["mean"] == 0.0
    assert res["stations"]["H"]["drawn"]["meals"]["mean"] == 0.0
    plan = action_plan(sc, [])
    assert plan["bands"]["stock_drawn"]["P"]["meals"] == _band(12.0)
    assert plan["bands"]["stock_drawn_total"]["meals"] == _band(12.0)


def test_a_stock_out_never_restocked_draws_only_what_was_there(tmp_path):
    # H holds 10 meals with no reorder level and no hub stock behind it: A takes all 10; B's 4 wait in vain
    plan = action_plan(drill_scenario(tmp_path, DRILL, seats=20, bays=1, h_stock="[stations.stock]\nmeals = 10"), [])
    assert plan["bands"]["stock_drawn"]["H"]["meals"] == _band(10.0)
    assert plan["bands"]["stock_drawn"]["H"]["water_l"] == _band(159.6)  # untracked: drawn in full


def _review(**over) -> dict:
    band = {"mean": 300.0, "band95": [290.0, 310.0]}
    rv = {
        "drill": {
            "id": 7,
            "name": "Drill <x>",
            "start_at": "2026-01-01T00:00:00+08:00",
            "status": "closed",
            "closed_at": "2026-01-01T12:00:00+08:00",
        },
        "target_minutes": 45.0,
        "on_time_share": 0.5,
        "simulated_on_time_share": {"mean": 0.6, "band95": [0.5, 1.0]},
        "on_time_outside_band": False,
        "units": [
            {
                "code": "U1",
                "station": "GZ-HUB",
                "arrival_delay_minutes": 2.0,
                "minutes_to_fed": 30.0,
                "on_time": True,
                "simulated": {"mean": 25.0, "band95": [20.0, 35.0]},
                "outside_band": False,
            }
        ],
        "stock": {
            "GZ-HUB": {
                "drawn": {"meals": 300.0, "water_l": 3420.0},
                "meals": 300.0,
                "simulated_meals": band,
                "outside_band": False,
                "items": {
                    "meals": {"drawn": 300.0, "simulated": band, "outside_band": False},
                    "water_l": {
                        "drawn": 3420.0,
                        "simulated": {"mean": 1140.0, "band95": [1140.0, 1140.0]},
                        "outside_band": True,
                    },
                },
            }
        },
        "stock_total": {"water_l": {"drawn": 3420.0, "simulated": None, "outside_band": None}},
        "procedure": [
            {
                "step": "teams_alerted",
                "target_minutes": 30,
                "actual_minutes": 40.0,
                "over_target": True,
                "simulated": None,
                "measured_minutes": None,
                "outside_band": None,
                "note": "no simulated band (the simulation does not model this step): compared with its target only",
            },
            {
                "step": "serving",
                "target_minutes": 120,
                "actual_minutes": 100.0,
                "over_target": False,
                "simulated": {"mean": 90.0, "band95": [80.0, 100.0]},
                "measured_minutes": 113.0,
                "outside_band": True,
                "note": "the band is of first unit arrival to last unit fed",
            },
        ],
        "orders": {"count": 0, "by_status": {}, "mean_minutes_to_acknowledge": None, "refused": []},
        "flags": ["station GZ-HUB: 3420 water_l drawn, outside the simulated 95% band 1140–1140"],
        "risks": {"bottleneck": "GZ-HUB", "bottleneck_reason": "r", "late_units": []},
    }
    rv.update(over)
    return rv


def test_review_html_shows_item_bands_and_band_less_steps_offline():
    page = review_html(_review())
    assert page.count("data:image/png;base64,") == 3  # minutes to fed, stock drawn, steps
    assert "<script" not in page and "http" not in page and "<link" not in page and "Drill &lt;x&gt;" in page
    assert "1,140 [1,140, 1,140]" in page and "water_l" in page and "all stations" in page
    assert "no simulated band (the simulation does not model this step)" in page
    assert "90.0 [80.0, 100.0]" in page and "113.0" in page
    assert page.count("<b class='bad'>outside</b>") == 2  # the water at GZ-HUB and the serving step


@pytest.mark.parametrize("drop", ["items", "stock_total"])
def test_review_html_of_an_older_review_without_the_new_keys(drop):
    rv = _review()
    if drop == "items":
        del rv["stock"]["GZ-HUB"]["items"]
    else:
        del rv["stock_total"]
    assert "After-action review" in review_html(rv)


def test_review_html_of_an_open_drill_speaks_plainly():
    """Names, not codes; thousands separated; local clock times; a unit not yet due is pending, not late."""
    pending = {
        "code": "U2",
        "station": "GZ-HUB",
        "arrival_delay_minutes": None,
        "minutes_to_fed": None,
        "on_time": False,
        "status": "pending",
        "arrived_at": None,
        "served_at": None,
        "due_at": "2026-01-01T03:45:00+08:00",
        "simulated": {"mean": 25.0, "band95": [20.0, 35.0]},
        "outside_band": None,
    }
    rv = _review(
        units=[
            {
                **_review()["units"][0],
                "status": "on_time",
                "arrived_at": "2026-01-01T02:02:00+08:00",
                "served_at": "2026-01-01T02:32:00+08:00",
            },
            pending,
        ]
    )
    rv["drill"] = {**rv["drill"], "status": "open", "closed_at": None}
    rv.update(units_due=1, units_pending=1, complete=False, as_of="2026-01-01T02:40:00+08:00", on_time_share=1.0)
    rv["names"] = {
        "stations": {"GZ-HUB": "Guangzhou main city station"},
        "items": {
            "water_l": {"name": "drinking water (饮用水)", "unit": "L"},
            "meals": {"name": "hot meals", "unit": "份"},
        },
    }
    page = review_html(rv)
    assert "pending — due 2026-01-01 03:45" in page and "<span class='bad'>no</span>" not in page
    assert "1 of 1 units due fed" in page and "1 not yet due (pending" in page
    assert "GZ-HUB Guangzhou main city station" in page and "drinking water (饮用水)" in page
    assert "3,420 L" in page and "1,140 [1,140, 1,140] L" in page
    assert "2026-01-01 02:02" in page and "Times are local (UTC+08:00)" in page and "T02:02" not in page
