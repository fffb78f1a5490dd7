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
    in_transit: Number = Field(default=0, description="sent to this station, not received yet (not in on hand)")
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
    lot: str = Field(default="", description="the lot moved ('': stock without a lot)")
    expires_on: str | None = Field(default=None, description="the lot's expiry date, on stock coming in")

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
            lot=m.lot,
            expires_on=m.expires_on,
        )


class IssuePublic(MovementPublic):
    """An issue: the first lot's movement (an item kept without lots has one), and every lot drawn."""

    drawn: list[MovementPublic] = Field(description="one movement per lot drawn, first-expiring first")

    @classmethod
    def of_legs(cls, legs: list[Movement], tz: ZoneInfo) -> IssuePublic:
        rows = [MovementPublic.of(m, tz) for m in legs]
        return cls(**rows[0].model_dump(), drawn=rows)


class StockLotPublic(Public):
    """One lot of an item at a station (``lot`` '': the stock without a lot, drawn last)."""

    item: str
    unit: str
    lot: str
    expires_on: str | None = Field(description="YYYY-MM-DD; null: does not expire")
    on_hand: Number
    days_to_expiry: int | None
    expired: bool = Field(description="past its expiry date: never issued, to be written off")


class ExpiringLotPublic(Public):
    """A lot expiring within the horizon, against the use expected of it before then."""

    station: str
    item: str
    unit: str
    lot: str
    expires_on: str
    days_left: int = Field(description="days it can still be issued, through its expiry day (0: expired)")
    quantity: Number
    daily_consumption: Number = Field(description="mean per day over the consumption window")
    expected_use: Number = Field(description="what of this lot is expected to be used before it expires")
    at_risk: Number = Field(description="quantity less expected use: left at expiry")
    expired: bool


class ExpiringPublic(Public):
    """What will expire before it is used: per station, item and lot, most at risk first."""

    as_of: str
    days: int
    window_days: int
    exercise: bool
    definition: str
    at_risk: dict[str, Number] = Field(description="quantity at risk per item, all stations")
    lots: list[ExpiringLotPublic]


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


class OverdueTransferAlertPublic(Public):
    """A transfer still on the road past its expected arrival (``station``: its destination)."""

    station: str
    item: str
    kind: Literal["overdue_transfer"]
    transfer_ref: str
    from_: str = Field(alias="from")
    quantity: Number
    due_at: LocalTime
    exercise: bool


class TransitLotPublic(Public):
    lot: str
    expires_on: str | None
    quantity: Number


class TransferPublic(Public):
    """A transfer on the road: sent, not received yet (receive it with ``POST /transfers/{ref}/receive``)."""

    transfer_ref: str
    from_: str = Field(alias="from")
    to: str
    item: str
    quantity: Number
    lots: list[TransitLotPublic]
    sent_at: LocalTime
    due_at: LocalTime | None
    overdue: bool
    exercise: bool


AlertPublic = Annotated[
    ReorderAlertPublic | DaysOfSupplyAlertPublic | SyncAlertPublic | OverdueTransferAlertPublic,
    Field(discriminator="kind"),
]


class DaysPublic(Public):
    """Days of stock with no resupply: median and 90% band over the Monte Carlo replications."""

    median: Number
    band90: list[Number] = Field(description="[5th, 95th] percentile")
    beyond_horizon: bool = Field(description="the median reached the horizon: it lasts at least that long")


class SurviveItemPublic(Public):
    item: str
    available: Number = Field(description="on hand less reserved less expired lots")
    daily_mean: Number = Field(description="mean daily consumption over the window")
    days: DaysPublic


class SurviveStationPublic(Public):
    """One station: how long it holds (its first item out), or ``days: null`` with the reason."""

    station: str
    days: DaysPublic | None
    first_out: str | None
    reason: str | None = None
    items: list[SurviveItemPublic]


class CutPublic(Public):
    link: str
    cut_off: list[str] = Field(description="stations no hub reaches once the link is closed")
    detour_minutes: dict[str, Number] = Field(description="stations whose route from the hub crossed it: extra minutes")


class SurvivePublic(Public):
    """Time to survive: per station, shortest first, the days its stock lasts if resupply stops."""

    stations: list[SurviveStationPublic]
    window_days: int
    horizon_days: int
    replications: int
    seed: int
    exercise: bool
    definition: str
    cut: CutPublic | None = None
