"""Stations, their stock, ledger lines and alerts."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from supply.api.models.common import LocalTime, Number, Public
from supply.core.timefmt import local_iso
from supply.service.models import Movement, Station, id_of
from supply.service.scenario_sync import whole_counts


class StationPublic(Public):
    """A supply station: its tier (hub, wing, point), where it is and what it can do."""

    code: str
    name: str
    tier: str
    lat: float
    lon: float
    capacity: dict[str, Number] = Field(
        description="seats, meals_per_hour, refuel bays…: counts as whole numbers, meals_per_hour a rate"
    )

    @classmethod
    def of(cls, s: Station) -> StationPublic:
        capacity = whole_counts(s.capacity)  # rows stored before counts were whole show them whole too
        return cls(code=s.code, name=s.name, tier=s.tier, lat=s.lat, lon=s.lon, capacity=capacity)


class StockRowPublic(Public):
    """One catalogue item at a station; ``days_of_supply`` is null when nothing was consumed lately."""

    item: str
    unit: str
    on_hand: Number
    reserved: Number
    available: Number
    daily_consumption: Number
    days_of_supply: Number | None


class MovementPublic(Public):
    """One ledger line (append-only): the deltas it made to on hand and reserved."""

    id: int
    at: LocalTime
    kind: str
    station: str
    item: str
    quantity: Number
    on_hand_delta: Number
    reserved_delta: Number
    reason: str
    actor: str
    exercise: bool
    reversal_of: int | None
    transfer_ref: str | None
    dispatch_id: int | None

    @classmethod
    def of(cls, m: Movement, tz: ZoneInfo) -> MovementPublic:
        return cls(
            id=id_of(m),
            at=local_iso(m.at, tz) or "",
            kind=m.kind,
            station=m.station,
            item=m.item,
            quantity=m.quantity,
            on_hand_delta=m.on_hand_delta,
            reserved_delta=m.reserved_delta,
            reason=m.reason,
            actor=m.actor,
            exercise=m.exercise,
            reversal_of=m.reversal_of,
            transfer_ref=m.transfer_ref,
            dispatch_id=m.dispatch_id,
        )


class ReorderAlertPublic(Public):
    """Available stock below the station's reorder level."""

    station: str
    item: str
    kind: Literal["below_reorder_level"]
    available: Number
    reorder_level: Number
    exercise: bool


class DaysOfSupplyAlertPublic(Public):
    """Fewer days of supply than the scenario's threshold at the recent consumption."""

    station: str
    item: str
    kind: Literal["low_days_of_supply"]
    on_hand: Number
    days_of_supply: Number
    threshold_days: Number
    exercise: bool


class SyncAlertPublic(Public):
    """Stock drawn from one book on both sides while apart (a node cut off) left it below zero available."""

    station: str
    item: str
    kind: Literal["negative_available_after_sync"]
    available: Number
    movements: list[str] = Field(description="uids of the movements that drew on the book while apart")
    exercise: bool


AlertPublic = Annotated[ReorderAlertPublic | DaysOfSupplyAlertPublic | SyncAlertPublic, Field(discriminator="kind")]
