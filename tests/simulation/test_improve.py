"""``improve`` on the hand-built cases: the binding resource is changed first and the goal reached;
common random numbers make a change that touches nothing gain exactly nothing."""

from __future__ import annotations

import pytest

from simulation.compiled import compile_drill
from simulation.improve import Change, improve, paired_gain
from supply.core.errors import InvalidArgumentError
from tests.simulation.binding import bays_case, far_case, kitchen_case, load, seats_case


@pytest.mark.parametrize(
    ("case", "first"),
    [
        (seats_case, {"station": "H", "resource": "seats", "add": 500}),  # 2 sittings of 600 by minute 40
        (bays_case, {"station": "H", "resource": "refuel_bays", "add": 3}),  # 4 bays: 8 refuels by minute 80
        # 720/h needed: three more shifts of 200 (800/h), 600 cooked by 15
        (kitchen_case, {"station": "H", "resource": "meals_per_hour", "add": 600, "shifts": 3}),
        # the point N 10 min from the site: 300 seats there (300 cost points at the defaults) beat
        # 6 field kitchens sent from it (6 × 60 + 2 × 20 = 400)
        (far_case, {"station": "N", "resource": "seats", "add": 300}),
    ],
)
def test_improve_changes_the_binding_resource_first_and_reaches_the_goal(tmp_path, case, first):
    res, baseline = improve(load(case(tmp_path)), replications=8)
    assert res["baseline"]["planned_units_on_time"]["mean"] == 0.0
    assert baseline.as_dict()["planned_units_on_time"]["mean"] == 0.0
    assert res["steps"][0]["change"] == first
    assert len(res["steps"]) == 1 and res["reached"] is True
    assert res["steps"][0]["gain"] == {"mean": 1.0, "ci95": [1.0, 1.0]}
    assert set(res) >= {"goal", "baseline", "steps", "reached"}


def test_common_random_numbers_a_change_that_touches_nothing_gains_exactly_nothing(tmp_path):
    """Exponential meals make every replication differ; the same seeds make the difference 0."""
    exponential = 'meal_minutes = { dist = "exponential", mean = 20 }'
    text = seats_case(tmp_path).read_text().replace("meal_minutes = 20", exponential)
    text = text.replace("target_minutes = 45", "target_minutes = 300")  # 100 seats: late; 200: mostly on time
    path = tmp_path / "noisy.toml"
    path.write_text(text)
    plan = compile_drill(load(path))
    assert paired_gain(plan, (Change(station="P", resource="seats", add=10),), replications=30, seed=4) == {
        "mean": 0.0,
        "ci95": [0.0, 0.0],
    }
    more = paired_gain(plan, (Change(station="H", resource="seats", add=100),), replications=30, seed=4)
    assert more["mean"] > 0 and more["ci95"][0] > 0


def test_bad_goal_and_no_planned_units(tmp_path):
    with pytest.raises(InvalidArgumentError, match="--goal must be a share"):
        improve(load(seats_case(tmp_path)), goal=1.5, replications=2)
    text = seats_case(tmp_path).read_text().split("[[drill.units]]")[0] + (
        '[[drill.streams]]\nstation = "H"\nrate_per_hour = 1\n'
    )
    path = tmp_path / "streams.toml"
    path.write_text(text)
    with pytest.raises(InvalidArgumentError, match="no planned units"):
        improve(load(path), replications=2)
