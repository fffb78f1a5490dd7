"""The optimised action plan (issue 23): the solver's choices on hand-worked cases, proved by
simulation on common random numbers, and its answer checked against brute force."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulation.compiled import compile_drill
from simulation.optimise import assigned_scenario, assignment, optimise, optimised_plan
from simulation.optimise_model import Job, Option, Problem, Solution, UnitProblem, Use, build_problem, quantile, solve
from simulation.spec import drill_spec
from supply.cli import app
from supply.core.errors import NoPlanError
from supply.core.scenario import load_scenario
from supply.core.settings import PROJECT_SCENARIOS
from tests.simulation.optimise_cases import two_trains

runner = CliRunner()
SHIPPED = [PROJECT_SCENARIOS / "guangzhou.toml", *sorted((PROJECT_SCENARIOS / "drills").glob("*.toml"))]


def test_two_trains_optimiser_feeds_both_where_the_policy_feeds_one(tmp_path: Path) -> None:
    plan = optimised_plan(two_trains(tmp_path), replications=5, time_limit=10)
    chosen = {r["unit"]: r["station"] for r in plan["assignment"]}
    assert chosen == {"U1": "B", "U2": "A"}  # U1 to the farther station frees A for U2
    assert plan["optimised"]["status"] == "OPTIMAL"
    assert plan["optimised"]["planned_on_time"] == 2
    c = plan["comparison"]
    assert c["policy"]["name"] == "earliest"
    assert c["policy"]["mean"] == 1.0  # earliest: U1 to A, U2 waits or drives to B: one of two
    assert c["optimised"]["mean"] == 2.0
    assert c["gain"] == {"mean": 1.0, "ci95": [1.0, 1.0]}
    assert [u["on_time_share"] for u in plan["units"]] == [1.0, 1.0]  # the plan JSON is the optimised plan's


def test_field_kitchens_sent_when_no_other_station_can_take_the_unit(tmp_path: Path) -> None:
    """B has no seats: one train eats at A (fed at 30), the other must be fed where it halts by A's
    two field kitchens (10 min out, 50 meals each at 100 an hour: fed at 40); one kitchen is late (70)."""
    sc = two_trains(tmp_path, b_seats=0, a_kitchens=2)
    plan = optimised_plan(sc, replications=5, time_limit=10)
    mobile = [r for r in plan["assignment"] if r["support"] == "mobile"]
    assert len(mobile) == 1 and mobile[0]["field_kitchens"] == 2 and mobile[0]["station"] == "A"
    assert mobile[0]["fed_minute"] == 40
    assert plan["optimised"]["resources_moved"] == 2
    assert plan["comparison"]["optimised"]["mean"] == 2.0
    assert plan["comparison"]["policy"]["mean"] == 1.0


def test_among_plans_equally_good_the_nearest_stations(tmp_path: Path) -> None:
    """U2 an hour later: A feeds both on time, and A is the nearest for both."""
    plan = optimised_plan(two_trains(tmp_path, u2_arrive=60), replications=3, time_limit=10)
    assert {r["unit"]: r["station"] for r in plan["assignment"]} == {"U1": "A", "U2": "A"}
    assert not any(r["changed"] for r in plan["assignment"])
    assert plan["comparison"]["gain"]["mean"] == 0


def test_a_train_stopping_ten_minutes_is_handed_its_meals(tmp_path: Path) -> None:
    """U2 stops 10 min (a meal takes 20): the policy cannot serve it (infeasible: dwell); the
    optimiser hands it packed meals from A — cooked ahead, driven 10 min, loaded by A's one team at
    20 a minute (100 meals in 5 min) from its arrival, before the stop ends."""
    more = "[drill.stations.A]\nhandover_teams = 1\n[drill.stations.B]\nhandover_teams = 0\n"
    sc = two_trains(tmp_path, u2_arrive=60, u2_more="dwell_minutes = 10", more=more)
    plan = optimised_plan(sc, replications=3, time_limit=10)
    u2 = next(r for r in plan["assignment"] if r["unit"] == "U2")
    assert (u2["support"], u2["station"], u2["on_time"], u2["fed_minute"]) == ("handover", "A", True, 65)
    assert plan["comparison"]["policy"]["mean"] == 1.0 and plan["comparison"]["optimised"]["mean"] == 2.0
    assert drill_spec(assigned_scenario(sc, plan["assignment"])).units[1].support == "handover"


@pytest.mark.parametrize(("notice", "on_time"), [(1, 0), (8, 2)])
def test_a_station_readying_on_notice_has_its_standby_share_until_ready(
    tmp_path: Path, notice: int, on_time: int
) -> None:
    """A alone (B has no seats), 25% of it staffed on standby, 6 h to ready: with 1 h of notice
    (the drill's restock lead) U1's 100 wait for seats (simulated: late, cause notice) and the
    solver plans both late; with 8 h A is full when they arrive and both are on time (U2 two hours on)."""
    more = f"[drill.restock]\nlead_hours = {notice}\n[drill.stations.A]\nstandby_share = 0.25\nreadiness_hours = 6\n"
    plan = optimised_plan(two_trains(tmp_path, b_seats=0, u2_arrive=120, more=more), replications=3, time_limit=10)
    assert plan["optimised"]["planned_on_time"] == on_time
    assert plan["comparison"]["optimised"]["mean"] == on_time
    assert plan["units"][0]["late_cause"] == (None if on_time else "notice")


def test_the_assigned_drill_carries_each_choice(tmp_path: Path) -> None:
    sc = two_trains(tmp_path, b_seats=0, a_kitchens=2)
    compiled = compile_drill(sc)
    rows = assignment(compiled, optimise(compiled, time_limit=10))
    spec = drill_spec(assigned_scenario(sc, rows))
    assert spec.policy == "assigned"
    got = {u.code: (u.serve_at, u.support, u.field_kitchens) for u in spec.units}
    mobile = next(r["unit"] for r in rows if r["support"] == "mobile")
    assert got[mobile] == ("A", "mobile", 2)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_optimised_plan_never_worse_than_the_policy_on_shipped_drills(path: Path) -> None:
    plan = optimised_plan(load_scenario(path), replications=4, time_limit=5)
    g = plan["comparison"]["gain"]
    assert plan["optimised"]["status"] in ("OPTIMAL", "FEASIBLE")
    assert g["mean"] >= 0 and g["ci95"][1] >= 0, g
    if path.stem in ("nansha-embarkation", "guangzhou"):  # a reassignment helps there: strictly better
        assert g["ci95"][0] > 0, g


def test_quantile_of_each_distribution() -> None:
    from simulation.distributions import Dist

    assert quantile(Dist.fixed(20), 0.8) == 20
    assert quantile(Dist(dist="exponential", mean=20), 0.8) == pytest.approx(32.189, abs=1e-3)
    assert quantile(Dist(dist="uniform", low=10, high=20), 0.8) == pytest.approx(18)
    assert quantile(Dist(dist="triangular", low=0, mode=0, high=10), 0.75) == pytest.approx(5)
    assert quantile(Dist(dist="lognormal", mean=20, sd=0.001), 0.8) == pytest.approx(20, abs=0.01)


# --- brute force ----------------------------------------------------------------------------
def _random_problem(rng: random.Random) -> Problem:
    """2–4 units, 2 stations of one seat block each (a unit takes all: one at a time), field
    kitchens at one of them; every option a single job on a single resource."""
    stations = 2
    cap = {("seats", s): 10 for s in range(stations)} | {("field_kitchens", 0): 2}
    units = []
    for i in range(rng.randint(2, 4)):
        arrive = rng.randint(0, 30)
        opts = []
        for s in range(stations):
            if rng.random() < 0.8:
                length = rng.randint(5, 25)
                job = Job(0, arrive + rng.randint(0, 20), length, (Use(("seats", s), 10, length),))
                due = arrive + rng.randint(30, 90)
                opts.append(Option("station", s, jobs=(job,), due=(due, due)))
        if rng.random() < 0.5:
            drive, serve = rng.randint(3, 15), rng.randint(10, 40)
            job = Job(0, arrive, drive + serve, (Use(("field_kitchens", 0), 2, 2 * drive + serve),))
            opts.append(Option("mobile", 0, kitchens=2, jobs=(job,), due=(arrive + 200, arrive + 200)))
        units.append(UnitProblem(f"U{i}", arrive, arrive + rng.randint(20, 50), None, rng.randint(40, 90), tuple(opts)))
    return Problem(tuple(units), cap, {}, 0, 1000, 0.8)


def _brute_force(p: Problem) -> tuple[int, int, int]:
    """The best (−on time, minutes beyond, moved) over every choice and every order of the units."""
    best = None
    n = len(p.units)
    for choice in itertools.product(*[[None, *u.options] for u in p.units]):
        for order in itertools.permutations(range(n)):
            free: dict = {}
            on = beyond = moved = 0
            ok = True
            for i in order:
                u, o = p.units[i], choice[i]
                if o is None:
                    beyond += u.missed
                    continue
                j = o.jobs[0]
                res = j.uses[0].resource
                start = max(j.earliest, free.get(res, 0))
                free[res] = start + j.uses[0].span
                end = start + j.length
                if end > o.due[0]:
                    ok = False
                    break
                on += end <= u.target
                beyond += max(0, end - u.target)
                moved += o.moved
            if ok and (best is None or (-on, beyond, moved) < best):
                best = (-on, beyond, moved)
    assert best is not None
    return best


@pytest.mark.parametrize("seed", range(12))
def test_solver_matches_brute_force_on_small_random_cases(seed: int) -> None:
    p = _random_problem(random.Random(seed))
    sol = solve(p, time_limit=10, workers=1)
    assert sol.status == "OPTIMAL"
    assert (-sol.on_time, sol.beyond, sol.moved) == _brute_force(p)


def test_build_problem_two_trains(tmp_path: Path) -> None:
    p = build_problem(compile_drill(two_trains(tmp_path)))
    u1, u2 = p.units
    assert [(o.station, o.jobs[0].earliest, o.jobs[0].length) for o in u1.options] == [(0, 10, 20), (1, 20, 20)]
    assert [(o.station, o.jobs[0].earliest) for o in u2.options] == [(0, 10), (1, 40)]
    assert u1.target == 45


# --- the command ----------------------------------------------------------------------------
def test_cli_plan_optimise_json_and_text(tmp_path: Path) -> None:
    two_trains(tmp_path)
    path = tmp_path / "two-trains.toml"
    res = runner.invoke(app, ["plan", str(path), "--optimise", "-n", "3", "--time-limit", "5", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert {"units", "departures", "risks", "optimised", "assignment", "comparison"} <= out.keys()
    assert set(out["optimised"]) >= {"status", "objective", "bound", "seconds"}
    doc = tmp_path / "plan.html"
    res = runner.invoke(app, ["plan", str(path), "--optimise", "-n", "3", "-o", str(doc)])
    assert res.exit_code == 0, res.output
    text = doc.read_text(encoding="utf-8")
    assert "Who serves whom" in text and "Optimised plan (solver) against the policy" in text
    assert "<td>U1</td><td>station</td><td>B</td>" in text and "paired 95%" in text
    assert "policy 'earliest' 1.00 of 2" in res.output and "optimised 2.00 of 2" in res.output
    assert "U1: served at B (policy: A)" in res.output


def test_cli_bad_time_limit_and_quantile_are_refused_together(tmp_path: Path) -> None:
    two_trains(tmp_path)
    args = ["plan", str(tmp_path / "two-trains.toml"), "--optimise", "--time-limit", "0", "--quantile", "1.5"]
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "--time-limit 0" in res.output and "--quantile 1.5" in res.output


def test_cli_solver_options_without_optimise_are_refused(tmp_path: Path) -> None:
    two_trains(tmp_path)
    res = runner.invoke(app, ["plan", str(tmp_path / "two-trains.toml"), "--time-limit", "5", "--quantile", "0.9"])
    assert res.exit_code == 2
    assert "--time-limit and --quantile only apply to the solver's plan: add --optimise" in res.output


def test_no_plan_in_time_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("simulation.optimise.solve", lambda *a, **k: Solution("UNKNOWN", None, None, 5.0))
    with pytest.raises(NoPlanError, match="no plan within its time limit of 5 s"):
        optimise(compile_drill(two_trains(tmp_path)), time_limit=5)
    res = runner.invoke(app, ["plan", str(tmp_path / "two-trains.toml"), "--optimise", "--time-limit", "5"])
    assert res.exit_code == 1
    assert "give a longer --time-limit" in res.output


# --- improve ----------------------------------------------------------------------------------
def test_improve_takes_the_optimisers_move_of_an_on_time_unit_before_adding_seats(tmp_path: Path) -> None:
    """Under ``earliest`` U1 is on time and U2 late; only moving U1 (which improve's own candidates,
    made for late units, never propose) frees A for U2: the optimiser's step, at the cost of one move."""
    from simulation.improve import improve

    sc = two_trains(tmp_path)
    res, stats = improve(sc, replications=4)
    assert stats.late_units() == ["U2"]
    assert res["reached"] and [s["changes"] for s in res["steps"]] == [[{"unit": "U1", "serve_at": "B"}]]
    assert res["total_cost"] == 20  # move_unit's default cost; no seats added


def test_proposal_is_none_when_the_drill_already_does_what_the_optimiser_would(tmp_path: Path) -> None:
    import numpy as np

    from simulation.improve_costs import Costs
    from simulation.improve_optimised import proposal
    from simulation.model import run_replication
    from simulation.stats import DrillStats

    plan = compile_drill(assigned_scenario(two_trains(tmp_path), assignment(*_solved(tmp_path))))
    stats = DrillStats(plan, 0)
    for i, ss in enumerate(np.random.SeedSequence(0).spawn(2)):
        stats.add(run_replication(plan, ss, i))
    assert proposal(plan, stats.as_dict(), Costs()) is None


def _solved(tmp_path: Path) -> tuple:
    compiled = compile_drill(two_trains(tmp_path))
    return compiled, optimise(compiled, time_limit=10)


def test_improve_hands_meals_to_the_short_stop_train(tmp_path: Path) -> None:
    """The 10-minute stop above, under ``earliest``: improve's first step is the optimiser's
    handover from A (its only team loads 100 meals in 5 min), and U2 is then on time."""
    from simulation.improve import improve

    more = "[drill.stations.A]\nhandover_teams = 1\n[drill.stations.B]\nhandover_teams = 0\n"
    sc = two_trains(tmp_path, u2_arrive=60, u2_more="dwell_minutes = 10", more=more)
    res, _ = improve(sc, replications=3)
    first = res["steps"][0]
    assert {"unit": "U2", "support": "handover"} in first["changes"]
    assert "hand U2 packed meals where it halts" in first["action"]
    assert res["reached"] and first["unit_on_time"] == 1.0
