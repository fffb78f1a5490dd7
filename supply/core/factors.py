"""Planning factors: how much a transiting unit needs, with every default's public source.

A scenario overrides any factor in its ``[factors]`` table and the stock policy in ``[stock]``;
every default below names where it comes from (see ``docs/planning-factors.md`` in the repository).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, ValidationError

from supply.core.errors import ScenarioError
from supply.core.scenario import Scenario, problems_from_validation
from supply.core.types import Strict

Climate = Literal["temperate", "tropical", "arid", "arctic"]

#: Where each default comes from.
SOURCES: dict[str, str] = {
    "climate": "Guangzhou drills in summer: tropical column (docs/planning-factors.md)",
    "meals_per_person_per_stop": "PLA Daily rail move: each on-board meal is pre-assigned to one station stop",
    "meals_per_person_per_day": "three meals a day (ATP 5-0.2-1 field feeding: 2 hot meals + 1 ration)",
    "water_l_per_person_per_day": (
        "ATP 5-0.2-1 Table G-27, drinking water: 5.7 temperate, 11.4 tropical/arid, 7.6 arctic"
    ),
    "diesel_l_per_vehicle": "assumption: a heavy truck's top-up for ~300 km at ~45 L/100 km, rounded up to 150 L",
    "days_of_supply_threshold": "assumption: warn below 3 days of supply (NATO Logistics Handbook §405 stockpiles)",
    "consumption_window_days": "assumption: expected daily consumption = mean daily issues over the last 7 days",
}


#: Drinking water per person per day by climate (ATP 5-0.2-1 Table G-27, see SOURCES).
_WATER_L_PER_PERSON_PER_DAY: dict[Climate, float] = {"temperate": 5.7, "tropical": 11.4, "arid": 11.4, "arctic": 7.6}


class Factors(Strict):
    """Per-person and per-vehicle planning factors (``[factors]`` in a scenario)."""

    climate: Climate = "tropical"
    meals_per_person_per_stop: float = Field(default=1.0, ge=0)
    meals_per_person_per_day: float = Field(default=3.0, ge=0)
    water_l_per_person_per_day: dict[Climate, float] = Field(default_factory=lambda: dict(_WATER_L_PER_PERSON_PER_DAY))
    diesel_l_per_vehicle: float = Field(default=150.0, ge=0)


class StockPolicy(Strict):
    """When stock is low (``[stock]`` in a scenario)."""

    days_of_supply_threshold: float = Field(default=3.0, ge=0)
    consumption_window_days: int = Field(default=7, ge=1, le=365)


def factors_from_scenario(scenario: Scenario) -> Factors:
    """The scenario's ``[factors]`` over the defaults; bad keys raise :class:`ScenarioError`."""
    raw: dict[str, Any] = dict(scenario.factors)
    water = raw.get("water_l_per_person_per_day")
    if isinstance(water, dict):  # a partial table overrides only the climates it names
        raw["water_l_per_person_per_day"] = {**Factors().water_l_per_person_per_day, **water}
    try:
        return Factors.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, scenario.source, prefix="factors")) from None


def stock_policy(scenario: Scenario) -> StockPolicy:
    """The scenario's ``[stock]`` table over the defaults."""
    try:
        return StockPolicy.model_validate(scenario.stock)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, scenario.source, prefix="stock")) from None


def compute_needs(factors: Factors, *, headcount: int, vehicles: int, dwell_minutes: int) -> dict[str, float]:
    """What a unit needs at one stop.

    meals   = headcount × max(meals per stop, meals per day × dwell days)
    water_l = headcount × drinking water per day (climate) × max(1, dwell days)
    diesel_l = vehicles × litres per vehicle (only when the unit has vehicles)
    """
    days = dwell_minutes / 1440.0
    meals = headcount * max(factors.meals_per_person_per_stop, factors.meals_per_person_per_day * days)
    water = headcount * factors.water_l_per_person_per_day[factors.climate] * max(1.0, days)
    needs = {"meals": float(math.ceil(meals)), "water_l": float(math.ceil(water))}
    if vehicles:
        needs["diesel_l"] = float(math.ceil(vehicles * factors.diesel_l_per_vehicle))
    return needs
