"""The item catalogue: what a station stocks, addressed by code, with its unit.

The built-in catalogue covers what a supply station hands out to transiting units; a scenario
may add items with ``[[items]] code = ..., name = ..., unit = ...`` (and ``lots = true`` for an item
kept by lot with an expiry date, as the built-in ``rations`` and ``water_l`` are; ``diesel_l`` is not).
"""

from __future__ import annotations

from pydantic import Field, ValidationError

from supply.core.errors import ScenarioError
from supply.core.scenario import Scenario, problems_from_validation
from supply.core.types import CODE_RE, Strict


class ItemSpec(Strict):
    """One catalogue entry."""

    code: str = Field(pattern=CODE_RE.pattern, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    unit: str = Field(min_length=1, max_length=20)
    #: Kept by lot with an expiry date: receipts name a lot, issues draw the first-expiring lot first.
    lots: bool = False


#: The built-in catalogue. Units: 份 = one hot meal; L = litres.
CATALOGUE: tuple[ItemSpec, ...] = (
    ItemSpec(code="meals", name="hot meals (热食)", unit="份"),
    ItemSpec(code="water_l", name="drinking water (饮用水)", unit="L", lots=True),
    ItemSpec(code="diesel_l", name="diesel (柴油)", unit="L"),
    ItemSpec(code="rations", name="field rations (野战口粮)", unit="份", lots=True),
    ItemSpec(code="medical_kits", name="medical kits (医疗包)", unit="kit"),
    ItemSpec(code="bed_nights", name="bed-nights (床位)", unit="bed-night"),
)


#: Units measured, not counted: a quantity in these may be fractional (2.5 L); any other unit counts
#: whole things (meals, kits, bed-nights), so a fraction of one is refused.
MEASURED_UNITS = frozenset({"L", "l", "mL", "kg", "g", "t", "m", "m3", "km", "kWh", "h"})


def countable(unit: str) -> bool:
    """Whether items in ``unit`` are counted in whole numbers (see :data:`MEASURED_UNITS`)."""
    return unit not in MEASURED_UNITS


def check_whole(code: str, unit: str, quantity: float) -> str | None:
    """A message if ``quantity`` of an item counted in ``unit`` is not a whole number, else ``None``."""
    if countable(unit) and quantity != int(quantity):
        return f"{code} is counted in whole {unit}: {quantity:g} is not a whole number"
    return None


def catalogue(scenario: Scenario | None = None) -> list[ItemSpec]:
    """The built-in catalogue plus the scenario's ``[[items]]`` (which may not redefine a code)."""
    items = list(CATALOGUE)
    if scenario is None:
        return items
    known = {i.code for i in items}
    for n, raw in enumerate(scenario.items):
        try:
            spec = ItemSpec.model_validate(raw)
        except ValidationError as exc:
            raise ScenarioError(problems_from_validation(exc, scenario.source, prefix=f"items[{n}]")) from None
        if spec.code in known:
            from supply.core.errors import Problem

            raise ScenarioError([Problem(scenario.source, f"items[{n}].code", f"item '{spec.code}' already exists")])
        known.add(spec.code)
        items.append(spec)
    return items
