"""The value types every layer shares: codes, free text, ids, times and the tracked stock items.

Defined once here so that a scenario file, an API body and a database column agree on what a
code or a reason may hold. Every bound also keeps the database safe: no NUL characters (which
PostgreSQL refuses), integers that fit a 32-bit column, times within a plausible range.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

#: Codes (stations, sites, items, teams, units): letters, digits, ``-`` and ``_``.
CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
CODE_RE = re.compile(CODE_PATTERN)
#: Control characters refused in every text field: C0 (NUL included) except tab, newline and
#: carriage return, DEL and C1. PostgreSQL refuses NUL; the others hide text from whoever reads it.
CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL_RE = re.compile(f"[{CONTROL_CHARS}]")
#: The JSON-schema pattern of free text (documentation and fuzzers; :func:`clean_text` enforces it).
TEXT_PATTERN = f"^[^{CONTROL_CHARS}]*$"
#: The same, with at least one visible character.
NON_BLANK_PATTERN = f"^[^{CONTROL_CHARS}]*[^\\s{CONTROL_CHARS}][^{CONTROL_CHARS}]*$"
#: The largest id or seed a 32-bit signed column holds.
MAX_ID = 2**31 - 1
#: A stock item the drill simulation tracks (the scenario's other items are ledger-only).
StockItem = Literal["meals", "water_l", "diesel_l"]
#: The tracked stock items, in the order of the simulation's per-item records.
STOCK_ITEMS: tuple[str, ...] = get_args(StockItem)


def control_char(value: str) -> str | None:
    """The first control character in ``value`` as ``U+0000``, or ``None``."""
    found = _CONTROL_RE.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


def clean_text(value: str) -> str:
    """Refuse control characters (see :data:`CONTROL_CHARS`); the one check every text field runs."""
    bad = control_char(value)
    if bad is not None:
        msg = f"control character {bad} is not allowed"
        raise ValueError(msg)
    return value


def _non_blank(value: str) -> str:
    if not value.strip():
        msg = "must not be blank"
        raise ValueError(msg)
    return value


#: The checks every free-text field carries (see :func:`clean_text`), with its schema pattern.
CLEAN = (Field(json_schema_extra={"pattern": TEXT_PATTERN}), AfterValidator(clean_text))
#: The same for text that must say something.
CLEAN_NON_BLANK = (
    Field(json_schema_extra={"pattern": NON_BLANK_PATTERN}),
    AfterValidator(clean_text),
    AfterValidator(_non_blank),
)

Code = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=CODE_PATTERN)]
# Every text field is one of these (or ``Annotated[str, StringConstraints(max_length=N), *CLEAN]``).
#: Free text (a note, a reason that may be empty).
Text = Annotated[str, StringConstraints(max_length=500), *CLEAN]
#: A reason or note that must say something (reversals, counts, cancellations).
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500), *CLEAN_NON_BLANK]
#: A name: a unit, a team, a drill title (at most 200 characters).
Name = Annotated[str, StringConstraints(max_length=200), *CLEAN]
#: A team's name (at most 120 characters).
ShortName = Annotated[str, StringConstraints(max_length=120), *CLEAN]
#: A unit's name in a support request (1–120 characters).
UnitName = Annotated[str, StringConstraints(min_length=1, max_length=120), *CLEAN_NON_BLANK]
#: A user name (1–80 characters, not blank).
UserName = Annotated[str, StringConstraints(min_length=1, max_length=80), *CLEAN_NON_BLANK]
#: An order's text (1–1000 characters, not blank).
OrderText = Annotated[str, StringConstraints(min_length=1, max_length=1000), *CLEAN_NON_BLANK]


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
