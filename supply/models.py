"""Database tables (SQLModel). The stock ledger (:class:`Movement`) is append-only.

Balances are never stored: on hand and reserved are sums of movement deltas. A
:class:`StockLock` row per (station, item, book) exists only to serialise writers on
PostgreSQL (``SELECT … FOR UPDATE``); SQLite serialises writers with ``BEGIN IMMEDIATE``.
Times are stored in UTC (:class:`UTCDateTime`) and shown in the configured zone.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, stored as naive UTC, aware UTC out (same on SQLite and PostgreSQL)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            msg = "naive datetime: store aware datetimes only"
            raise ValueError(msg)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _ts(index: bool = False, nullable: bool = False) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _maybe_ts() -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Meta(SQLModel, table=True):
    """Key/value facts about the database (the scenario it was initialised from)."""

    key: str = Field(primary_key=True, max_length=64)
    value: str


class Station(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=40)
    name: str
    tier: str = Field(max_length=10)
    lat: float
    lon: float
    capacity: dict[str, float] = _json()


class Site(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=40)
    name: str
    kind: str = Field(max_length=20)
    ring: str = Field(max_length=10)
    lat: float
    lon: float


class Item(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=40)
    name: str
    unit: str = Field(max_length=20)


class ReorderLevel(SQLModel, table=True):
    station: str = Field(primary_key=True, foreign_key="station.code", max_length=40)
    item: str = Field(primary_key=True, foreign_key="item.code", max_length=40)
    level: float


class StockLock(SQLModel, table=True):
    """One row per (station, item, book): the row writers lock on PostgreSQL. Holds no data."""

    station: str = Field(primary_key=True, foreign_key="station.code", max_length=40)
    item: str = Field(primary_key=True, foreign_key="item.code", max_length=40)
    exercise: bool = Field(primary_key=True)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=80)
    role: str = Field(max_length=20)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    created_at: datetime = _ts()


class SupportRequest(SQLModel, table=True):
    """A support request (保障需求), shaped like a movement-plan line."""

    __tablename__ = "support_request"

    id: int | None = Field(default=None, primary_key=True)
    unit: str = Field(max_length=120)
    headcount: int
    special_diets: dict[str, int] = _json()
    vehicles: int = 0
    mode: str = Field(max_length=20)
    site: str = Field(foreign_key="site.code", max_length=40, index=True)
    arrive_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    dwell_minutes: int
    priority: str = Field(max_length=10)
    received_at: datetime = _ts()
    needs: dict[str, float] = _json()
    needs_computed: bool = False
    exercise: bool = Field(default=False, index=True)
    note: str = ""
    created_by: str = Field(max_length=80)
    created_at: datetime = _ts()


class Dispatch(SQLModel, table=True):
    """One station serving (part of) one request. Status history is in :class:`DispatchEvent`."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="support_request.id", index=True)
    station: str = Field(foreign_key="station.code", max_length=40, index=True)
    status: str = Field(max_length=12, index=True)
    exercise: bool = Field(default=False, index=True)
    created_by: str = Field(max_length=80)
    created_at: datetime = _ts()


class DispatchLine(SQLModel, table=True):
    __tablename__ = "dispatch_line"

    id: int | None = Field(default=None, primary_key=True)
    dispatch_id: int = Field(foreign_key="dispatch.id", index=True)
    item: str = Field(foreign_key="item.code", max_length=40)
    quantity: float


class DispatchEvent(SQLModel, table=True):
    """One status change of a dispatch: append-only history."""

    __tablename__ = "dispatch_event"

    id: int | None = Field(default=None, primary_key=True)
    dispatch_id: int = Field(foreign_key="dispatch.id", index=True)
    at: datetime = _ts()
    from_status: str | None = Field(default=None, max_length=12)
    to_status: str = Field(max_length=12)
    note: str = ""
    actor: str = Field(max_length=80)


class Movement(SQLModel, table=True):
    """One line of the stock ledger. Never updated or deleted; corrected by a reversal.

    ``on_hand_delta`` and ``reserved_delta`` are what the movement does to the balances;
    ``quantity`` is the magnitude as entered.
    """

    __table_args__ = (Index("ix_movement_book", "station", "item", "exercise"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    kind: str = Field(max_length=16)
    station: str = Field(foreign_key="station.code", max_length=40)
    item: str = Field(foreign_key="item.code", max_length=40)
    exercise: bool = False
    quantity: float
    on_hand_delta: float
    reserved_delta: float = 0.0
    reason: str = ""
    actor: str = Field(max_length=80)
    reversal_of: int | None = Field(default=None, foreign_key="movement.id", unique=True)
    transfer_ref: str | None = Field(default=None, max_length=36, index=True)
    dispatch_id: int | None = Field(default=None, foreign_key="dispatch.id", index=True)


class AuditEntry(SQLModel, table=True):
    """Who did what, when (UTC) and why."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=40)
    target: str = Field(max_length=200)
    reason: str = ""
    exercise: bool | None = None
    detail: dict[str, Any] = _json()


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a POST carrying an ``Idempotency-Key``, replayed on retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    key: str = Field(max_length=200)
    method: str = Field(max_length=8)
    path: str = Field(max_length=300)
    fingerprint: str = Field(max_length=64)
    status_code: int
    body: str
    created_at: datetime = _ts()


# --- live drill coordination (teams, the command chain, the record) ------------------------------


class Team(SQLModel, table=True):
    """A team (the N of "1+1+1+1+N") belonging to a station; its status changes are in :class:`TeamEvent`."""

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=120)
    station: str = Field(foreign_key="station.code", max_length=40, index=True)
    kind: str = Field(max_length=12)
    headcount: int
    vehicles: int = 0
    capacity: dict[str, float] = _json()
    status: str = Field(default="ready", max_length=12)
    created_at: datetime = _ts()


class TeamEvent(SQLModel, table=True):
    """One status change of a team: append-only log with times."""

    __tablename__ = "team_event"

    id: int | None = Field(default=None, primary_key=True)
    team: str = Field(foreign_key="team.code", max_length=40, index=True)
    at: datetime = _ts()
    from_status: str | None = Field(default=None, max_length=12)
    to_status: str = Field(max_length=12)
    note: str = ""
    actor: str = Field(max_length=80)
    dispatch_id: int | None = Field(default=None, foreign_key="dispatch.id")
    exercise: bool = False


class DispatchTeam(SQLModel, table=True):
    """A team assigned to a dispatch for a time window; windows of one team's live assignments never overlap."""

    __tablename__ = "dispatch_team"

    id: int | None = Field(default=None, primary_key=True)
    dispatch_id: int = Field(foreign_key="dispatch.id", index=True)
    team: str = Field(foreign_key="team.code", max_length=40, index=True)
    start_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    end_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    exercise: bool = False
    actor: str = Field(max_length=80)
    created_at: datetime = _ts()


class Drill(SQLModel, table=True):
    """A live drill (exercise). Never deleted: it is closed, and its record stays."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    scenario_source: str = Field(max_length=300)
    scenario: dict[str, Any] = _json()  # the resolved scenario (``extends`` merged), as validated
    start_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status: str = Field(default="open", max_length=8)
    plan: dict[str, Any] = _json()
    created_by: str = Field(max_length=80)
    created_at: datetime = _ts()
    closed_at: datetime | None = _maybe_ts()


class DrillMember(SQLModel, table=True):
    """A user's role in one drill: the joint command, a station command, or a team leader."""

    __tablename__ = "drill_member"
    __table_args__ = (UniqueConstraint("drill_id", "user_id", name="uq_drill_member_user"),)

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    role: str = Field(max_length=20)
    station: str | None = Field(default=None, foreign_key="station.code", max_length=40)
    team: str | None = Field(default=None, foreign_key="team.code", max_length=40)


class DrillUnit(SQLModel, table=True):
    """A planned unit of a drill: its exercise support request, the plan's times and the real ones."""

    __tablename__ = "drill_unit"
    __table_args__ = (UniqueConstraint("drill_id", "code", name="uq_drill_unit_code"),)

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True)
    code: str = Field(max_length=40)
    request_id: int | None = Field(default=None, foreign_key="support_request.id")
    station: str | None = Field(default=None, foreign_key="station.code", max_length=40)
    planned_arrive_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    planned_fed_at: datetime | None = _maybe_ts()
    planned_depart_at: datetime | None = _maybe_ts()
    arrived_at: datetime | None = _maybe_ts()
    served_at: datetime | None = _maybe_ts()
    departed_at: datetime | None = _maybe_ts()


class DrillOrder(SQLModel, table=True):
    """An order down the chain (to a station or a team); its steps are in :class:`OrderEvent`."""

    __tablename__ = "drill_order"

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True)
    station: str | None = Field(default=None, foreign_key="station.code", max_length=40)
    team: str | None = Field(default=None, foreign_key="team.code", max_length=40)
    text: str
    status: str = Field(default="issued", max_length=12)
    ack_by: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_at: datetime | None = _maybe_ts()
    reason: str = ""
    issued_by: str = Field(max_length=80)
    issued_at: datetime = _ts()


class OrderEvent(SQLModel, table=True):
    __tablename__ = "order_event"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="drill_order.id", index=True)
    at: datetime = _ts()
    from_status: str | None = Field(default=None, max_length=12)
    to_status: str = Field(max_length=12)
    note: str = ""
    actor: str = Field(max_length=80)


class DrillStep(SQLModel, table=True):
    """One step of the command procedure in one drill: its target duration and when it was reached."""

    __tablename__ = "drill_step"
    __table_args__ = (UniqueConstraint("drill_id", "step", name="uq_drill_step"),)

    id: int | None = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True)
    seq: int
    step: str = Field(max_length=40)
    target_minutes: float
    done_at: datetime | None = _maybe_ts()
    actor: str | None = Field(default=None, max_length=80)
