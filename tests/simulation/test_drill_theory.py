"""The model against queueing theory (M/M/1, M/M/c, Little's law) and hand-computed cases."""

from __future__ import annotations

import math

import pytest

from simulation.runner import run_drill
from tests.simulation.drill_helpers import drill_scenario, stockout_scenario


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C): Wq = C(c, a) / (cμ − λ), a = λ/μ."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def stream_drill(rate_per_hour: float, hours: float, warmup: float, reps: int, seed: int) -> str:
    return f"""
    [drill]
    hours = {hours}
    warmup_hours = {warmup}
    replications = {reps}
    seed = {seed}

    [[drill.streams]]
    station = "H"
    rate_per_hour = {rate_per_hour}
    headcount = 1

    [drill.service]
    meal_minutes = {{ dist = "exponential", mean = 20 }}
    """


@pytest.mark.parametrize(
    ("seats", "rate_per_hour"),
    [(1, 2.1), (3, 7.2)],  # ρ = 0.7 (M/M/1) and ρ = 0.8 (M/M/3), μ = 3/h
    ids=["M/M/1", "M/M/3"],
)
def test_mmc_matches_erlang_c_and_utilisation(tmp_path, seats, rate_per_hour):
    lam, mu = rate_per_hour / 60, 1 / 20
    sc = drill_scenario(tmp_path, stream_drill(rate_per_hour, 800, 50, 20, 2024), seats=seats)
    stats = run_drill(sc)
    h = stats.stations["H"]
    wq = erlang_c_wait(lam, mu, seats)
    lo, hi = h.wait.ci95()
    assert lo <= wq <= hi, f"Erlang C Wq {wq:.2f} outside the simulated 95% CI [{lo:.2f}, {hi:.2f}]"
    assert hi - lo < 0.3 * wq  # the interval is informative, not just wide
    rho = lam / (seats * mu)
    lo, hi = h.utilisation.ci95()
    assert lo <= rho <= hi, f"utilisation {rho:.3f} outside [{lo:.4f}, {hi:.4f}]"


def test_littles_law_on_the_simulated_queue(tmp_path):
    """L = λW per replication: time-average queue vs arrival rate × mean wait (same window)."""
    import numpy as np

    from simulation.compiled import compile_drill
    from simulation.model import run_replication

    sc = drill_scenario(tmp_path, stream_drill(7.2, 600, 50, 4, 1), seats=3)
    plan = compile_drill(sc)
    span = plan.horizon - plan.warmup
    for ss in np.random.SeedSequence(5).spawn(4):
        h = run_replication(plan, ss).stations[0]
        lam = h.arrivals / span
        assert h.mean_queue > 1.0
        assert h.mean_queue == pytest.approx(lam * h.mean_wait, rel=0.02)


DET = """
[drill]
hours = 3
target_minutes = {target}
replications = 3
seed = 1

[[drill.units]]
code = "U"
headcount = {headcount}
vehicles = {vehicles}
site = "S"
arrive = 60
{dwell}

[drill.service]
meal_minutes = 10
refuel_minutes = 12
"""


def det(target=30, headcount=4, vehicles=0, dwell="dwell_minutes = 120"):
    return DET.format(target=target, headcount=headcount, vehicles=vehicles, dwell=dwell)


def test_fixed_unit_fixed_times_exact(tmp_path):
    """4 people, 2 seats, 10-min meals, 5 min from the site: seated 65, 65, 75, 75; fed by 85."""
    stats = run_drill(drill_scenario(tmp_path, det(vehicles=2), seats=2, bays=1))
    res = stats.as_dict()
    u = res["units"]["U"]
    assert u["on_time_share"] == 1.0
    assert u["mean_minutes_to_fed"] == 25.0  # 85 - 60; the refuels (65–77, 77–89) end later
    assert u["mean_wait_minutes"] == 5.0  # per person, from reaching the station
    h = res["stations"]["H"]
    assert h["mean_wait_minutes"] == {"mean": 5.0, "ci95": [5.0, 5.0]}  # (0 + 0 + 10 + 10) / 4
    assert h["utilisation"]["mean"] == pytest.approx(40 / (180 * 2), abs=1e-4)  # 4 × 10 seat-minutes
    assert h["mean_queue"]["mean"] == pytest.approx(20 / 180, abs=1e-3)  # two people × 10 minutes
    assert h["refuel_bay_utilisation"]["mean"] == pytest.approx(24 / 180, abs=1e-4)
    assert h["served"] == 4
    assert res["service_level"]["mean"] == 1.0


def test_late_when_fed_after_target(tmp_path):
    res = run_drill(drill_scenario(tmp_path, det(target=20), seats=2)).as_dict()
    assert res["units"]["U"]["on_time_share"] == 0.0 and res["units"]["U"]["late_share"] == 1.0


def test_dwell_deadline_misses_the_second_sitting(tmp_path):
    """Dwell 25, 5 min back: must leave at 80; the second sitting (75–85) is cut short."""
    res = run_drill(drill_scenario(tmp_path, det(dwell="dwell_minutes = 25"), seats=2)).as_dict()
    u = res["units"]["U"]
    assert u["missed_share"] == 1.0 and u["people_missed"] == 2
    assert res["stations"]["H"]["served"] == 2
    assert res["stations"]["H"]["utilisation"]["mean"] == pytest.approx((10 + 10 + 5 + 5) / 360, abs=1e-4)


def test_kitchen_rate_limits_meals(tmp_path):
    """6 seats, kitchen 6 meals/h (0.1/min, 3 hot meals ready): meals at 65, 65, 65, 75, 85, 95."""
    res = run_drill(drill_scenario(tmp_path, det(headcount=6, target=60), seats=6, meals_per_hour=6)).as_dict()
    assert res["units"]["U"]["mean_minutes_to_fed"] == 45.0  # 95 + 10 - 60
    assert res["stations"]["H"]["mean_wait_minutes"]["mean"] == 10.0  # (0+0+0+10+20+30)/6


def test_stock_out_waits_for_restock_from_hub(tmp_path):
    """P holds 10 meals (reorder at 5): 12 arrive at P's door; 2 wait for the hub's delivery
    (lead 1 h + 50 min drive = 110 min), then eat for 10 min."""
    sc = stockout_scenario(tmp_path)
    res = run_drill(sc).as_dict()
    assert res["units"]["U"]["mean_minutes_to_fed"] == 120.0
    assert res["stations"]["P"]["stockouts"] == 1
    assert res["stations"]["P"]["first_stockout_minute"] == 0.0
    assert res["series"]["stock_meals"]["P"][-1] == 8.0  # 10 delivered, 2 eaten


def test_closed_link_reroutes_after_the_event(tmp_path):
    """'short' (5 min) closes at hour 1: a unit at 120 goes the long way (30 min), fed at +40."""
    drill = """
    [drill]
    hours = 4
    replications = 2

    [[drill.units]]
    code = "EARLY"
    headcount = 1
    site = "S"
    arrive = 10

    [[drill.units]]
    code = "LATE"
    headcount = 1
    site = "S"
    arrive = 120

    [drill.service]
    meal_minutes = 10

    [[drill.events]]
    at_hour = 1
    close = "short"
    """
    res = run_drill(drill_scenario(tmp_path, drill, seats=2)).as_dict()
    assert res["units"]["EARLY"]["mean_minutes_to_fed"] == 15.0
    assert res["units"]["LATE"]["mean_minutes_to_fed"] == 40.0
    assert [d["state"] for d in res["disruptions"]] == ["no disruptions", "closed short"]


def test_offline_station_sends_units_elsewhere_until_back(tmp_path):
    drill = """
    [drill]
    hours = 6
    replications = 2

    [[drill.units]]
    code = "DURING"
    headcount = 1
    site = "S"
    arrive = 90

    [[drill.units]]
    code = "AFTER"
    headcount = 1
    site = "S"
    arrive = 200

    [drill.service]
    meal_minutes = 10

    [[drill.events]]
    at_hour = 1
    until_hour = 3
    offline = "H"
    """
    res = run_drill(drill_scenario(tmp_path, drill, seats=2, p_seats=5)).as_dict()
    assert res["units"]["DURING"]["stations"] == ["P"]
    assert res["units"]["DURING"]["mean_minutes_to_fed"] == 65.0  # S → H → P: 55 min, meal 10
    assert res["units"]["AFTER"]["stations"] == ["H"]


def test_mobile_support_field_kitchens_travel_to_the_site(tmp_path):
    """2 kitchens (100 meals/h each) drive 5 min to S and hand out 100 meals each: done at +65."""
    drill = """
    [drill]
    hours = 4
    target_minutes = 90
    replications = 2

    [[drill.units]]
    code = "M"
    headcount = 200
    site = "S"
    arrive = 0
    support = "mobile"

    [drill.mobile]
    people_per_kitchen = 100
    """
    res = run_drill(drill_scenario(tmp_path, drill, seats=2, field_kitchens=2)).as_dict()
    assert res["units"]["M"]["on_time_share"] == 1.0
    assert res["units"]["M"]["mean_minutes_to_fed"] == 65.0
    # both kitchens out from 0 to 70 (5 there, 60 serving, 5 back) of 240 minutes
    assert res["stations"]["H"]["field_kitchen_utilisation"]["mean"] == pytest.approx(70 / 240, abs=1e-4)


POLICY = """
[drill]
hours = 4
policy = "{policy}"
replications = 2

[[drill.units]]
code = "FIRST"
headcount = 40
site = "S"
arrive = 0

[[drill.units]]
code = "SECOND"
headcount = 40
site = "S"
arrive = 1
{serve_at}

[drill.service]
meal_minutes = 60
"""


@pytest.mark.parametrize(
    ("policy", "serve_at", "second_at"),
    [
        ("nearest", "", "H"),  # H is 5 min away: wait an hour for a seat there
        ("earliest", "", "P"),  # P is 55 min away but has seats free: fed sooner
        ("assigned", 'serve_at = "H"', "H"),
    ],
)
def test_assignment_policies(tmp_path, policy, serve_at, second_at):
    drill = POLICY.format(policy=policy, serve_at=serve_at)
    res = run_drill(drill_scenario(tmp_path, drill, seats=40, p_seats=40)).as_dict()
    assert res["units"]["FIRST"]["stations"] == ["H"]
    assert res["units"]["SECOND"]["stations"] == [second_at]
    expected = {"H": 124.0, "P": 115.0}[second_at]  # H: seated at 65, fed 125 (-1); P: 1+55+60
    assert res["units"]["SECOND"]["mean_minutes_to_fed"] == expected
