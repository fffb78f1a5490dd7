"""What each step ``jungong improve`` may propose costs: ``[improve.costs]`` in the scenario.

A cost is in *cost points*, one scale the planner chooses (ten thousand yuan, days of work, a
commander's judgement…); only their ratios steer the search, which minimises the total cost of
the steps that reach the goal. The defaults are **illustrative** relative weights, stated beside
every result (``costs`` in the JSON, with ``assumed`` marking each one the file left out):

============== ===== =========================================================================
key            cost  per
============== ===== =========================================================================
seat           1     dining seat added at a station
refuel_bay     25    refuel bay added at a station
field_kitchen  60    field kitchen added at a station
fuel_truck     40    fuel truck added at a station (mobile refuelling)
water_truck    30    water truck added at a station
kitchen_shift  60    kitchen shift added at a station: as many meals an hour as its kitchen makes
stock_1000     2     1,000 of a stock item (meals, litres) added to a station's opening stock
move_unit      20    a unit served at another station (``serve_at``)
support        20    a unit's support switched between its station and field kitchens
notice_hour    5     an hour's earlier notice of a unit (``notice_hours``)
handover_team  10    handover team added at a station (loads packed meals where a unit halts)
============== ===== =========================================================================
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError

from supply.core.errors import ScenarioError
from supply.core.scenario import Scenario
from supply.core.types import Strict
from supply.core.validation import problems_from_validation

DEFAULTS: dict[str, float] = {
    "seat": 1.0,
    "refuel_bay": 25.0,
    "field_kitchen": 60.0,
    "fuel_truck": 40.0,
    "water_truck": 30.0,
    "kitchen_shift": 60.0,
    "stock_1000": 2.0,
    "move_unit": 20.0,
    "support": 20.0,
    "notice_hour": 5.0,
    "handover_team": 10.0,
}

#: What each cost is charged per, in words (the JSON's ``costs`` and the text's footer).
PER: dict[str, str] = {
    "seat": "dining seat",
    "refuel_bay": "refuel bay",
    "field_kitchen": "field kitchen",
    "fuel_truck": "fuel truck",
    "water_truck": "water truck",
    "kitchen_shift": "kitchen shift (the station's meals an hour once more)",
    "stock_1000": "1,000 of a stock item",
    "move_unit": "unit served at another station",
    "support": "unit's support switched (station ↔ field kitchens)",
    "notice_hour": "hour of earlier notice of a unit (notice_hours)",
    "handover_team": "handover team (loads packed meals where a unit halts)",
}


class _Costs(Strict):
    seat: float | None = Field(default=None, ge=0)
    refuel_bay: float | None = Field(default=None, ge=0)
    field_kitchen: float | None = Field(default=None, ge=0)
    fuel_truck: float | None = Field(default=None, ge=0)
    water_truck: float | None = Field(default=None, ge=0)
    kitchen_shift: float | None = Field(default=None, ge=0)
    stock_1000: float | None = Field(default=None, ge=0)
    move_unit: float | None = Field(default=None, ge=0)
    support: float | None = Field(default=None, ge=0)
    notice_hour: float | None = Field(default=None, ge=0)
    handover_team: float | None = Field(default=None, ge=0)


class _Improve(Strict):
    costs: _Costs = Field(default_factory=_Costs)


class Costs:
    """The cost of each kind of step, and which of them the scenario left to the defaults."""

    def __init__(self, given: dict[str, float] | None = None) -> None:
        given = given or {}
        self.values = {k: float(given.get(k, v)) for k, v in DEFAULTS.items()}
        self.assumed = tuple(k for k in DEFAULTS if k not in given)

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """``{key: {cost, per, assumed}}`` for the JSON (every figure with its definition)."""
        return {k: {"cost": v, "per": PER[k], "assumed": k in self.assumed} for k, v in self.values.items()}


def improve_costs(scenario: Scenario) -> Costs:
    """Validate ``[improve]`` (only ``costs`` so far); raise :class:`ScenarioError` naming every fault."""
    raw = scenario.improve or {}
    try:
        spec = _Improve.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, scenario.source, prefix="improve")) from None
    given = {k: v for k, v in spec.costs.model_dump().items() if v is not None}
    return Costs(given)


__all__ = ["DEFAULTS", "PER", "Costs", "improve_costs"]
