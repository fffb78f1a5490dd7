"""The value types every layer shares: codes, free text, ids, times and the tracked stock items.

Defined once here so that a scenario file, an API body and a database column agree on what a
code or a reason may hold. Every bound also keeps the database safe: no NUL characters (which
PostgreSQL refuses), integers that fit a 32-bit column, times within a plausible range.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, StringConstraints

#: Codes (stations, sites, items, teams, units): letters, digits, ``-`` and ``_``.
CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
CODE_RE = re.compile(CODE_PATTERN)
#: Free text with no NUL character.
NUL_FREE = r"^[^\x00]*$"
#: Free text with no NUL character and at least one visible character.
NUL_FREE_NON_BLANK = r"^[^\x00]*\S[^\x00]*$"
#: The largest id or seed a 32-bit signed column holds.
MAX_ID = 2**31 - 1
#: A stock item the drill simulation tracks (the scenario's other items are ledger-only).
StockItem = Literal["meals", "water_l", "diesel_l"]
#: The tracked stock items, in the order of the simulation's per-item records.
STOCK_ITEMS: tuple[str, ...] = get_args(StockItem)

Code = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=CODE_PATTERN)]
Text = Annotated[str, StringConstraints(max_length=500, pattern=NUL_FREE)]
#: A reason or note that must say something (reversals, counts, cancellations).
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=NUL_FREE_NON_BLANK)]
#: A name: a unit, a team, a drill title (NUL-free, at most 200 characters).
Name = Annotated[str, StringConstraints(max_length=200, pattern=NUL_FREE)]
#: A user name (1–80 characters, not blank).
UserName = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=NUL_FREE_NON_BLANK)]
#: An order's text (1–1000 characters, not blank).
OrderText = Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=NUL_FREE_NON_BLANK)]


def _plausible(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2100:
        msg = f"year {value.year} is out of range (2000–2100)"
        raise ValueError(msg)
    return value


#: An aware datetime between the years 2000 and 2100.
When = Annotated[AwareDatetime, AfterValidator(_plausible)]


class Strict(BaseModel):
    """Immutable records that refuse unknown keys: the base of every scenario-file section."""

    model_config = ConfigDict(extra="forbid", frozen=True)
