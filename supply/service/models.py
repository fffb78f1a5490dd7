"""Database tables (SQLModel). The stock ledger (:class:`Movement`) is append-only.

The ledger is the truth: on hand and reserved are sums of movement deltas. The
:class:`StockLock` row per (station, item, book) carries those sums as running balances,
updated in the same transaction as each movement (so writes and stock reads cost the same at
any history size); it is also the row writers lock on PostgreSQL (SQLite serialises writers
with ``BEGIN IMMEDIATE``). ``jungong db reconcile`` checks the two agree.
Times are stored in UTC (:class:`UTCDateTime`) and shown in the configured zone.
"""

import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import JSON, Column, DateTime, Index, Table, UniqueConstraint, inspect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model, for the hot paths that write with plain INSERT/UPDATE.

    Same object as ``model.__table__``, which SQLModel does not declare to type checkers.
    """
    return cast(Table, inspect(model).local_table)


class _Keyed(Protocol):
    id: int | None


def id_of(row: _Keyed) -> int:
    """The id of a stored row. SQLModel types ids ``int | None`` because a new row has none until
    it is flushed; code that holds a row read or flushed from the database uses this."""
    if row.id is None:
        msg = f"{type(row).__name__} has no id yet: add and flush it first"
        raise ValueError(msg)
    return row.id


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


def ts_field(index: bool = False) -> Any:
    """A UTC timestamp column defaulting to now (``sa_type``, not ``sa_column``: safe on shared bases)."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


def maybe_ts_field() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


def json_field() -> Any:
    return Field(default_factory=dict, sa_type=JSON, nullable=False)


#: The node code of a database initialised without ``--node``.
CENTRE = "centre"
#: Where a connection keeps the node code of its database, once read (see :func:`origin_default`).
NODE_INFO_KEY = "jungong_node"


def new_uid() -> str:
    """A new global id: 36-character UUID text, unique across the centre and every node.

    A version-7 UUID (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Ids made later
    sort later, so the unique index on ``uid`` grows at its end (a bulk import of a bundle inserts in
    order instead of all over the B-tree), and 74 random bits keep two databases from ever colliding.
    """
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | (rand & (2**62 - 1))
    return str(uuid.UUID(int=value))


def origin_default(context: Any) -> str:
    """The column default of ``origin``: this database's node code (Meta ``node``), else ``centre``.

    Read once per connection (inserts that run as ``executemany`` call this per row), see :func:`connection_node`.
    """
    return connection_node(context.root_connection)


def connection_node(connection: Any) -> str:
    """This database's node code as a SQLAlchemy connection sees it: Meta ``node``, else ``centre``.

    Read once per connection with a plain cursor and kept in the connection's ``info`` (a database's
    node is set by ``db init --node`` before anything is recorded and never changes after);
    :func:`supply.service.sync.identity.set_node` refreshes it.
    """
    info = connection.info
    if NODE_INFO_KEY not in info:
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute("SELECT value FROM meta WHERE key = 'node'")
            row = cursor.fetchone()
        finally:
            cursor.close()
        info[NODE_INFO_KEY] = row[0] if row else CENTRE
    return str(info[NODE_INFO_KEY])


#: The namespace of the deterministic uids of seed records (the same on every database loaded from one scenario).
SEED_NAMESPACE = uuid.UUID("6b1f3c2e-8d4a-5e7f-9a0b-1c2d3e4f5a6b")


def seed_uid(*parts: object) -> str:
    """A deterministic uid for a record every database makes alike (opening stock, a team's creation)."""
    return str(uuid.uuid5(SEED_NAMESPACE, "/".join(str(p) for p in parts)))


def opening_uid(scenario_text: str, station: str, item: str, exercise: bool) -> str:
    """The uid of a book's opening stock: the centre and a node loaded from one scenario record it once."""
    import hashlib

    digest = hashlib.sha256(scenario_text.encode()).hexdigest()
    return seed_uid("opening", digest, station, item, "exercise" if exercise else "real")


def uid_field() -> Any:
    """A record's global id (filled on insert, ORM or Core alike); local integer ids stay for humans."""
    return Field(
        default=None, max_length=36, unique=True, index=True, nullable=False, sa_column_kwargs={"default": new_uid}
    )


def origin_field() -> Any:
    """Where a record was created: ``centre`` or a node's station code (filled on insert)."""
    return Field(default=None, max_length=40, nullable=False, sa_column_kwargs={"default": origin_default})


class StatusEvent(SQLModel):
    """The shape shared by the append-only status logs (dispatches, teams, orders): who moved what, when."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = ts_field()
    from_status: str | None = Field(default=None, max_length=12)
    to_status: str = Field(max_length=12)
    note: str = ""
    actor: str = Field(max_length=80)
    uid: str | None = uid_field()
    origin: str | None = origin_field()
    #: The uid of the record's head event this change was made on (``None``: the first event).
    parent: str | None = Field(default=None, max_length=36)
    #: Set when a concurrent change by the record's owner won (see :mod:`supply.service.sync.merge`): kept, not applied.
    rejected: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})


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
    capacity: dict[str, float] = json_field()


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
    #: Kept by lot with an expiry date (rations, water): receipts may name a lot, issues draw first-expiring first.
    lot_tracked: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})


class ReorderLevel(SQLModel, table=True):
    station: str = Field(primary_key=True, foreign_key="station.code", max_length=40)
    item: str = Field(primary_key=True, foreign_key="item.code", max_length=40)
    level: float


class StockLock(SQLModel, table=True):
    """One row per (station, item, book): its running balances, and the row writers lock on PostgreSQL.

    ``on_hand`` and ``reserved`` always equal the sums of the book's movement deltas (the
    invariant :mod:`supply.service.reconcile` checks); only :mod:`supply.service.ledger` writes them.
    """

    station: str = Field(primary_key=True, foreign_key="station.code", max_length=40)
    item: str = Field(primary_key=True, foreign_key="item.code", max_length=40)
    exercise: bool = Field(primary_key=True)
    on_hand: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    reserved: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})


#: The lot of stock received without one (opening stock, untracked items): no expiry, drawn last.
UNLOTTED = ""


class LotBalance(SQLModel, table=True):
    """One row per (station, item, book, lot): its running on-hand balance and expiry date.

    ``on_hand`` always equals the sum of the lot's movement deltas (checked by
    :mod:`supply.service.reconcile`); the lots of a book add up to its :class:`StockLock` ``on_hand``.
    Written only by :mod:`supply.service.ledger`, under the book's lock. ``expires_on``: an ISO date
    (``YYYY-MM-DD``, text so that it syncs as it is), ``None`` for stock that does not expire.
    """

    station: str = Field(primary_key=True, foreign_key="station.code", max_length=40)
    item: str = Field(primary_key=True, foreign_key="item.code", max_length=40)
    exercise: bool = Field(primary_key=True)
    lot: str = Field(primary_key=True, max_length=40)
    on_hand: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    expires_on: str | None = Field(default=None, max_length=10)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=80)
    role: str = Field(max_length=20)
    station: str | None = Field(default=None, max_length=40)  # a node user's station (role "node"), else None
    token_hash: str = Field(unique=True, index=True, max_length=64)
    created_at: datetime = ts_field()
    token_expires_at: datetime | None = maybe_ts_field()  # None: never (users made before expiry existed)
    revoked_at: datetime | None = maybe_ts_field()


class ConsoleSession(SQLModel, table=True):
    """A signed-in console session: only the SHA-256 of its random id is stored (the id lives in the
    browser's cookie alone); it ends at ``expires_at``, after ``idle`` minutes unused, or at sign-out."""

    __tablename__ = "console_session"

    id: int | None = Field(default=None, primary_key=True)
    id_hash: str = Field(unique=True, index=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = ts_field()
    last_seen_at: datetime = ts_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class SupportRequest(SQLModel, table=True):
    """A support request (保障需求), shaped like a movement-plan line."""

    __tablename__ = "support_request"

    id: int | None = Field(default=None, primary_key=True)
    uid: str | None = uid_field()
    origin: str | None = origin_field()
    unit: str = Field(max_length=120)
    headcount: int
    special_diets: dict[str, int] = json_field()
    vehicles: int = 0
    mode: str = Field(max_length=20)
    site: str = Field(foreign_key="site.code", max_length=40, index=True)
    arrive_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    dwell_minutes: int
    priority: str = Field(max_length=10)
    received_at: datetime = ts_field()
    needs: dict[str, float] = json_field()
    needs_computed: bool = False
    exercise: bool = Field(default=False, index=True)
    note: str = ""
    created_by: str = Field(max_length=80)
    created_at: datetime = ts_field()
    #: ``None``: no approval needed; else ``pending``, ``approved`` or ``rejected`` (:mod:`supply.service.approvals`).
    approval: str | None = Field(default=None, max_length=10)
    #: The role that decides, and why the request needs it (the thresholds its needs exceed).
    approval_role: str | None = Field(default=None, max_length=20)
    approval_why: str = Field(default="", sa_column_kwargs={"server_default": ""})
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: datetime | None = maybe_ts_field()
    decision_reason: str = Field(default="", sa_column_kwargs={"server_default": ""})


class Dispatch(SQLModel, table=True):
    """One station serving (part of) one request. Status history is in :class:`DispatchEvent`."""

    id: int | None = Field(default=None, primary_key=True)
    uid: str | None = uid_field()
    origin: str | None = origin_field()
    request_id: int = Field(foreign_key="support_request.id", index=True)
    station: str = Field(foreign_key="station.code", max_length=40, index=True)
    status: str = Field(max_length=12, index=True)
    exercise: bool = Field(default=False, index=True)
    created_by: str = Field(max_length=80)
    created_at: datetime = ts_field()


class DispatchLine(SQLModel, table=True):
    __tablename__ = "dispatch_line"

    id: int | None = Field(default=None, primary_key=True)
    dispatch_id: int = Field(foreign_key="dispatch.id", index=True)
    item: str = Field(foreign_key="item.code", max_length=40)
    quantity: float


class DispatchEvent(StatusEvent, table=True):
    """One status change of a dispatch: append-only history."""

    __tablename__ = "dispatch_event"

    dispatch_id: int = Field(foreign_key="dispatch.id", index=True)


class Movement(SQLModel, table=True):
    """One line of the stock ledger. Never updated or deleted; corrected by a reversal.

    ``on_hand_delta`` and ``reserved_delta`` are what the movement does to the balances;
    ``quantity`` is the magnitude as entered.
    """

    __table_args__ = (
        Index("ix_movement_book", "station", "item", "exercise"),
        Index("ix_movement_window", "station", "exercise", "at"),  # a station's recent consumption
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = ts_field(index=True)
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
    uid: str | None = uid_field()
    origin: str | None = origin_field()
    #: The uid of the status event that made this movement (a dispatch's reserve, delivery or release).
    cause: str | None = Field(default=None, max_length=36, index=True)
    #: The lot it moved (``""``: stock without a lot) and, on stock coming in, the lot's expiry (ISO date).
    lot: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})
    expires_on: str | None = Field(default=None, max_length=10)
    #: A transfer's other station (the destination on its outgoing legs, the sender on its receipts).
    counterpart: str | None = Field(default=None, max_length=40)
    #: When a transfer is expected at its destination (its outgoing legs): past it, still on the road is overdue.
    due_at: datetime | None = maybe_ts_field()


class AuditEntry(SQLModel, table=True):
    """Who did what, when (UTC) and why."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    uid: str | None = uid_field()
    origin: str | None = origin_field()
    at: datetime = ts_field(index=True)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=40)
    target: str = Field(max_length=200)
    reason: str = ""
    exercise: bool | None = None
    detail: dict[str, Any] = json_field()


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
    created_at: datetime = ts_field(index=True)


class SyncPeer(SQLModel, table=True):
    """Another database this one syncs with: its trusted public key and what each side has acknowledged.

    ``received``: per table, the highest of the peer's local ids this database has imported;
    ``acked``: per table, the highest of this database's local ids the peer said it imported.
    """

    __tablename__ = "sync_peer"

    node: str = Field(primary_key=True, max_length=40)
    public_key: str | None = None
    trusted_at: datetime | None = maybe_ts_field()
    received: dict[str, int] = json_field()
    acked: dict[str, int] = json_field()


class SyncAlert(SQLModel, table=True):
    """Stock drawn from one book on both sides while apart left it below zero available: the movements involved."""

    __tablename__ = "sync_alert"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = ts_field()
    station: str = Field(max_length=40)
    item: str = Field(max_length=40)
    exercise: bool = False
    available: float
    movements: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
