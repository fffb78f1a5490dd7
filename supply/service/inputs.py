"""Inputs of the duty officers' service, validated before they reach the domain.

Plain pydantic, shared by the API (request bodies) and the domain functions that take them.
Every bound here also keeps the database safe (no NUL characters, integers that fit, finite
quantities), so no input can turn into a server error.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from supply.core.types import MAX_ID, Code, Reason, Text, UnitName, When

#: The smallest quantity recorded (a millilitre, a gram): below it a number is noise (``5e-324``).
MIN_QUANTITY = 0.001
#: A quantity: a JSON number (never a string or a boolean), finite, positive, at most a billion;
#: items counted in whole units (meals, kits) also refuse fractions (checked against the catalogue).
Quantity = Annotated[float, Field(ge=MIN_QUANTITY, le=1e9, allow_inf_nan=False, strict=True)]
Mode = Literal["train", "high_speed_train", "convoy", "ship", "aircraft"]
Priority = Literal["routine", "priority", "urgent"]
Status = Literal["proposed", "planned", "dispatched", "delivered", "closed", "cancelled"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


#: A lot number as printed on the cases (an item kept by lot only); ``""`` or absent: no lot.
Lot = Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
_LOT_DOC = "the lot (items kept by lot: rations, water_l); on an issue, absent = first-expiring first"


class MovementIn(_In):
    item: Code
    quantity: Quantity
    reason: Text = ""
    exercise: bool = Field(default=False, description="record in the exercise (drill) book")
    lot: Lot | None = Field(default=None, description=_LOT_DOC)
    expires_on: date | None = Field(default=None, description="a receipt's lot expiry date (YYYY-MM-DD)")


class TransferIn(_In):
    from_: Code = Field(alias="from")
    to: Code
    item: Code
    quantity: Quantity
    reason: Text = ""
    exercise: bool = False
    due_at: When | None = Field(default=None, description="expected arrival; default 24 hours after sending")
    lot: Lot | None = Field(default=None, description=_LOT_DOC)


class TransferReceiptIn(_In):
    """What arrived of a transfer: a shortfall or excess against what was sent needs its reason."""

    quantity: float = Field(ge=0, le=1e9, allow_inf_nan=False, strict=True, description="the quantity received")
    reason: Text = ""
    lot: Lot | None = Field(default=None, description="receive it all into this lot (else into the lots sent)")


class CountIn(_In):
    item: Code
    counted: float = Field(ge=0, le=1e9, allow_inf_nan=False, strict=True)
    reason: Text = ""
    exercise: bool = False
    lot: Lot | None = Field(default=None, description="the lot counted (needed when the item is kept in several)")


class ExpireIn(_In):
    """Write off what is left of an expired lot."""

    item: Code
    lot: Lot
    reason: Text = ""
    exercise: bool = False


class ReversalIn(_In):
    reason: Reason


class DecisionIn(_In):
    """An approval or a rejection, with its reason."""

    reason: Reason


class RequestIn(_In):
    """A support request (保障需求), shaped like a movement-plan line."""

    unit: UnitName
    headcount: int = Field(gt=0, le=100_000)
    special_diets: dict[Code, Annotated[int, Field(ge=0, le=100_000)]] = Field(
        default_factory=dict, examples=[{"halal": 12, "sick": 3}]
    )
    vehicles: int = Field(default=0, ge=0, le=10_000)
    mode: Mode = "train"
    site: Code
    arrive_at: When
    dwell_minutes: int = Field(default=30, ge=0, le=10_080)
    priority: Priority = "routine"
    received_at: When | None = Field(default=None, description="when the notice came; default: now")
    needs: dict[Code, Quantity] | None = Field(default=None, description="default: computed from planning factors")
    exercise: bool = False
    note: Text = ""

    @model_validator(mode="after")
    def _diets_fit(self) -> RequestIn:
        if sum(self.special_diets.values()) > self.headcount:
            msg = f"special_diets add up to {sum(self.special_diets.values())}, more than headcount {self.headcount}"
            raise ValueError(msg)
        return self


class LineIn(_In):
    item: Code
    quantity: Quantity


class DispatchIn(_In):
    request_id: int = Field(ge=1, le=MAX_ID)
    station: Code
    lines: list[LineIn] = Field(min_length=1, max_length=50)


class StatusIn(_In):
    status: Status
    note: Text = ""
    received: dict[Code, Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False, strict=True)]] | None = Field(
        default=None,
        description="delivered only: what the unit received per item; short or over is a discrepancy (note required)",
    )
