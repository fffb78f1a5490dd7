"""The after-action review (:func:`supply.drills.review.review`): reality against the simulated 95% bands.

The review is one document shared by the API and ``jungong review --json``; these models describe
it. A simulated figure is ``{"mean", "band95": [low, high]}`` (a step's also names its ``measure``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from supply.api.models.common import Number, Public
from supply.api.models.drills import DrillPublic, StepPublic

#: A simulated figure: ``{"mean": …, "band95": [low, high]}``.
Simulated = dict[str, Any]


class ReviewUnitPublic(Public):
    code: str
    station: str | None
    arrival_delay_minutes: Number | None
    minutes_to_fed: Number | None = Field(description="served − arrived")
    on_time: bool
    status: Literal["on_time", "late", "missed", "pending"] | None = Field(
        default=None,
        description="on_time, late (fed late, or not fed and past due), missed (left unfed), pending (not fed, "
        "not yet due: due_at is arrival, else planned arrival, + target); null in reviews stored before it",
    )
    arrived_at: str | None = Field(default=None, description="when it really arrived (local time with offset)")
    served_at: str | None = Field(default=None, description="when its last person was fed (local time)")
    due_at: str | None = Field(default=None, description="the time it must be fed by (local time)")
    simulated: Simulated | None
    outside_band: bool | None = Field(description="null when there is nothing to compare")


class ReviewItemPublic(Public):
    drawn: Number
    simulated: Simulated | None
    outside_band: bool | None


class ReviewStationStockPublic(Public):
    drawn: dict[str, Number]
    meals: Number
    simulated_meals: Simulated | None
    outside_band: bool | None
    items: dict[str, ReviewItemPublic]


class ReviewStepPublic(StepPublic):
    simulated: Simulated | None
    simulated_measure: str | None
    measured_minutes: Number | None
    outside_band: bool | None
    note: str


class RefusedOrderPublic(Public):
    id: int
    reason: str


class ReviewOrdersPublic(Public):
    count: int
    by_status: dict[str, int]
    mean_minutes_to_acknowledge: Number | None
    refused: list[RefusedOrderPublic]


class ReviewPublic(Public):
    """The review's figures; ``flags`` says in words every figure outside its band or over its target."""

    drill: DrillPublic
    exercise: bool
    target_minutes: Number
    as_of: str | None = Field(default=None, description="the time due-ness was judged at: now, or the drill's close")
    complete: bool | None = Field(
        default=None, description="closed, or no unit pending: only then are on-time share and stock set against bands"
    )
    on_time_share: Number | None = Field(description="units fed within the target ÷ units due (null: none due)")
    units_due: int | None = Field(default=None, description="units fed, or past their due time")
    units_pending: int | None = Field(default=None, description="units not fed and not yet due")
    simulated_on_time_share: Simulated
    on_time_outside_band: bool | None
    units: list[ReviewUnitPublic]
    stock: dict[str, ReviewStationStockPublic]
    stock_total: dict[str, ReviewItemPublic]
    procedure: list[ReviewStepPublic]
    orders: ReviewOrdersPublic
    flags: list[str]
    names: dict[str, Any] | None = Field(
        default=None, description="display names: stations {code: name}, items {code: {name, unit}}"
    )
    risks: dict[str, Any] = Field(description="the action plan's risks: bottleneck, late units, stock-outs")
