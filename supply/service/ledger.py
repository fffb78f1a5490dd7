"""The stock ledger: append-only movements and the balances derived from them.

Every function takes a :class:`~sqlmodel.Session` and never commits: the caller's transaction
is the unit of work (a transfer's two legs, a dispatch's reservations and its audit entry all
land together or not at all).

Two books share the same rules: the real one and the exercise (drill) one, so a drill never
draws on, or passes for, real stock. Balances per (station, item, book):

    on_hand   = Σ on_hand_delta        reserved = Σ reserved_delta
    available = on_hand − reserved     days of supply = on_hand ÷ mean daily consumption

The ledger is the truth; the sums are kept as running balances on the book's
:class:`~supply.service.models.StockLock` row, changed in the same transaction as each movement,
so a write or a stock read costs the same after years of history. Each change is one
``UPDATE stocklock SET on_hand = on_hand + Δ … [WHERE on_hand − reserved ≥ asked] RETURNING``:
it locks the row (PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already holds the database, see
:func:`supply.service.db.write_session`), checks availability and moves the balance at once, so
two officers drawing the last stock at once cannot both see it available. Rows change in a fixed
order (no deadlocks). :func:`supply.service.reconcile.reconcile` checks balances against the ledger.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, func, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from supply.core.errors import ConflictError, FieldError, InsufficientStockError, UnknownCodeError
from supply.core.items import check_whole
from supply.service import lots
from supply.service.audit import record
from supply.service.authority import require_own
from supply.service.inputs import MovementIn
from supply.service.models import (
    CENTRE,
    UNLOTTED,
    Item,
    LotBalance,
    Movement,
    Station,
    StockLock,
    table_of,
    utcnow,
)
from supply.service.prepared import Prepared

#: Movement kinds and what they do.
RECEIPT, ISSUE, TRANSFER_OUT, TRANSFER_IN = "receipt", "issue", "transfer_out", "transfer_in"
ADJUSTMENT, REVERSAL, OPENING = "adjustment", "reversal", "opening"
RESERVE, RELEASE, DELIVERY = "reserve", "release", "delivery"
#: A lot past its expiry date written off (never issued).
EXPIRE = "expire"
#: A transfer received short or over: the difference, recorded with its reason (no stock change).
DISCREPANCY = "discrepancy"
#: Kinds that consume stock (they feed days of supply).
CONSUMING = (ISSUE, DELIVERY)
#: Kinds managed by the dispatch lifecycle: cancel the dispatch instead of reversing them.
DISPATCH_KINDS = (RESERVE, RELEASE, DELIVERY)
_EPS = 1e-9
_MOVES, _LOCKS, _LOTS = table_of(Movement), table_of(StockLock), table_of(LotBalance)
# Statements built once and run on the driver (the write path's: see supply.service.prepared).
_APPEND = Prepared(insert(_MOVES))
_ROW = (
    (_LOCKS.c.station == bindparam("l_station"))
    & (_LOCKS.c.item == bindparam("l_item"))
    & (_LOCKS.c.exercise == bindparam("l_exercise"))
)
_BALANCES = select(_LOCKS.c.item, _LOCKS.c.on_hand, _LOCKS.c.reserved).where(
    _LOCKS.c.station == bindparam("b_station"),
    _LOCKS.c.exercise == bindparam("b_exercise"),
    _LOCKS.c.item.in_(bindparam("b_items", expanding=True)),
)
_LOCK_ROW = Prepared(select(_LOCKS.c.on_hand, _LOCKS.c.reserved).where(_ROW).with_for_update())
#: Move a balance: locks the row, changes it and answers the new balance, in one statement.
_BUMP_SQL = (
    update(_LOCKS)
    .where(_ROW)
    .values(on_hand=_LOCKS.c.on_hand + bindparam("d_on_hand"), reserved=_LOCKS.c.reserved + bindparam("d_reserved"))
    .returning(_LOCKS.c.on_hand, _LOCKS.c.reserved)
)
_BUMP = Prepared(_BUMP_SQL)
#: The same, only if at least ``d_need`` is available (no row back: short, or no row yet).
_BUMP_IF = Prepared(_BUMP_SQL.where(_LOCKS.c.on_hand - _LOCKS.c.reserved + _EPS >= bindparam("d_need")))
#: Move one lot's balance (its book's row is locked first); an expiry date fills one the lot lacks.
_BUMP_LOT = Prepared(
    update(_LOTS)
    .where(
        (_LOTS.c.station == bindparam("l_station"))
        & (_LOTS.c.item == bindparam("l_item"))
        & (_LOTS.c.exercise == bindparam("l_exercise"))
        & (_LOTS.c.lot == bindparam("l_lot"))
    )
    .values(
        on_hand=_LOTS.c.on_hand + bindparam("d_on_hand"),
        expires_on=func.coalesce(_LOTS.c.expires_on, bindparam("d_expires")),
    )
    .returning(_LOTS.c.on_hand)
)

_ITEMS = table_of(Item)
#: How the catalogue keeps each of a few items (by lot or not), in one query.
_KEPT = select(_ITEMS.c.code, _ITEMS.c.lot_tracked).where(_ITEMS.c.code.in_(bindparam("k_items", expanding=True)))


@dataclass(frozen=True)
class Balance:
    on_hand: float = 0.0
    reserved: float = 0.0

    @property
    def available(self) -> float:
        return self.on_hand - self.reserved


def require_station(session: Session, code: str) -> Station:
    station = session.get(Station, code)
    if station is None:
        raise UnknownCodeError("station", code, session.exec(select(Station.code)).all())
    return station


def unknown_item(field: str, code: str, known: Sequence[str]) -> FieldError:
    """The error on ``field`` for an item code not in the catalogue, naming the ``known`` ones."""
    return FieldError(field, str(UnknownCodeError("item", code, known)) + f" (known: {', '.join(known)})")


def require_item(
    session: Session, code: str, field: str = "item", *, quantity: float | None = None, quantity_field: str = "quantity"
) -> Item:
    """The catalogue item ``code`` (else a :class:`FieldError` on ``field``); ``quantity`` whole if it is counted."""
    item = session.get(Item, code)
    if item is None:
        raise unknown_item(field, code, session.exec(select(Item.code)).all())
    if quantity is not None and (fraction := check_whole(code, item.unit, quantity)) is not None:
        raise FieldError(quantity_field, fraction)
    return item


Key = tuple[str, str, bool]  # (station, item, exercise): one book of one item at one station


@dataclass(frozen=True)
class Change:
    """What one movement does to one book's balances; ``need``: the availability it requires first.

    ``lot``: the lot whose on hand moves with the book's (``""``: unlotted), ``expires_on`` its
    expiry date (ISO) when the movement brings stock of a new lot.
    """

    key: Key
    on_hand: float
    reserved: float = 0.0
    need: float | None = None
    lot: str = UNLOTTED
    expires_on: str | None = None


def _row(key: Key) -> dict[str, object]:
    return {"l_station": key[0], "l_item": key[1], "l_exercise": key[2]}


def _make_rows(session: Session, keys: Iterable[Key]) -> None:
    rows = [{"station": s, "item": i, "exercise": e} for s, i, e in sorted(set(keys))]
    if rows:
        ins = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.connection().execute(ins(_LOCKS).values(rows).on_conflict_do_nothing())


def lock(session: Session, keys: Iterable[Key]) -> dict[Key, Balance]:
    """Lock each book's row, in a fixed order (no deadlocks), and answer its balance."""
    conn, out = session.connection(), {}
    for key in sorted(set(keys)):
        row = _LOCK_ROW.first(conn, _row(key))
        if row is None:  # rows are made at db init; this is a new pair
            _make_rows(session, [key])
            row = _LOCK_ROW.first(conn, _row(key))
        out[key] = Balance(float(row.on_hand), float(row.reserved))
    return out


def ensure_lock_rows(session: Session, keys: Iterable[Key]) -> None:
    """Create the balance rows up front (at ``db init``) on either database."""
    _make_rows(session, keys)


def apply(session: Session, changes: Iterable[Change]) -> dict[Key, Balance]:
    """Move balances in key order, each checked and changed in one statement; the new balances.

    :class:`ConflictError` names the first book (in key order) short of its ``need``; the changes
    this call already made are given back first, so a failed call changes nothing.
    """
    conn, out = session.connection(), {}
    done: list[Change] = []
    for ch in sorted(changes, key=lambda c: c.key):
        params = {**_row(ch.key), "d_on_hand": ch.on_hand, "d_reserved": ch.reserved}
        row = (_BUMP if ch.need is None else _BUMP_IF).first(conn, {**params, "d_need": ch.need})
        if row is None:  # short, or no row yet: lock (making the row), say why, or move it now
            if ch.need is not None:
                try:
                    _short(lock(session, [ch.key])[ch.key], *ch.key, ch.need)
                except ConflictError:
                    _undo(conn, done)  # all or none, even for a caller that goes on after the error
                    raise
            else:
                _make_rows(session, [ch.key])
            row = _BUMP.first(conn, params)
        _bump_lot(session, ch, ch.on_hand)
        done.append(ch)
        out[ch.key] = Balance(float(row.on_hand), float(row.reserved))
    return out


def _bump_lot(session: Session, ch: Change, delta: float) -> None:
    """Move the lot's running on hand with its book's (made on first use, with its expiry date)."""
    if delta == 0:
        return
    params = {**_row(ch.key), "l_lot": ch.lot, "d_on_hand": delta, "d_expires": ch.expires_on}
    conn = session.connection()
    if _BUMP_LOT.first(conn, params) is None:
        station, item, exercise = ch.key
        row = {"station": station, "item": item, "exercise": exercise, "lot": ch.lot, "expires_on": ch.expires_on}
        ins = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        conn.execute(ins(_LOTS).values([row]).on_conflict_do_nothing())
        _BUMP_LOT.first(conn, params)


def _undo(conn: Any, done: list[Change]) -> None:
    """Give back the balance changes already made by a call that then found a book short."""
    for ch in reversed(done):
        _BUMP.run(conn, {**_row(ch.key), "d_on_hand": -ch.on_hand, "d_reserved": -ch.reserved})
        if ch.on_hand:
            _BUMP_LOT.run(conn, {**_row(ch.key), "l_lot": ch.lot, "d_on_hand": -ch.on_hand, "d_expires": None})


def balance(session: Session, station: str, item: str, exercise: bool) -> Balance:
    return balances(session, station, [item], exercise)[item]


def balances(session: Session, station: str, items: Iterable[str], exercise: bool) -> dict[str, Balance]:
    """The balances of several items of one station's book, in one query (read from the running balances)."""
    out = {item: Balance() for item in items}
    params = {"b_station": station, "b_exercise": exercise, "b_items": sorted(out)}
    for item, on_hand, reserved in session.connection().execute(_BALANCES, params):
        out[item] = Balance(float(on_hand), float(reserved))
    return out


def _add(
    session: Session,
    actor: str,
    kind: str,
    station: str,
    item: str,
    quantity: float,
    on_hand: float,
    reserved: float = 0.0,
    *,
    reason: str = "",
    exercise: bool = False,
    **extra: Any,
) -> Movement:
    m = Movement(
        kind=kind,
        station=station,
        item=item,
        quantity=quantity,
        on_hand_delta=on_hand,
        reserved_delta=reserved,
        reason=reason,
        actor=actor,
        exercise=exercise,
        **extra,
    )
    session.add(m)
    return m


def _short(bal: Balance, station: str, item: str, exercise: bool, quantity: float) -> Balance:
    """``bal``, or :class:`ConflictError` when it has less than ``quantity`` available."""
    if bal.available + _EPS < quantity:
        raise InsufficientStockError(station, item, quantity, max(bal.available, 0), exercise=exercise)
    return bal


def _checked(session: Session, station: str, item: str, quantity: float | None = None, *, own: bool = True) -> Item:
    """Known station and item (``quantity`` whole if counted); with ``own``, a book this database may write."""
    require_station(session, station)
    row = require_item(session, item, quantity=quantity)
    if own:
        require_own(session, station)
    return row


def _lot_in(session: Session, item: Item, key: Key, lot: str | None, expires_on: date | None) -> tuple[str, str | None]:
    """The lot stock comes into (``""``: none) and its expiry date; faults named by field."""
    if not lot:
        if expires_on is not None:
            raise FieldError.worded("an expiry date belongs to a lot: name the lot it is printed on", field="lot")
        return UNLOTTED, None
    if not item.lot_tracked:
        raise FieldError("lot", f"{item.code} is not kept by lot (its catalogue entry has no lots = true)")
    day = expires_on.isoformat() if expires_on is not None else None
    held = lots.lot_of(session, *key, lot)
    if held is not None and held.expires_on is not None:
        if day is not None and day != held.expires_on:
            raise FieldError.worded(
                "lot '{lot}' of {item} at {station} expires on {held}, not {day}",
                field="expires_on",
                lot=lot,
                item=item.code,
                station=key[0],
                held=held.expires_on,
                day=day,
            )
        day = held.expires_on
    return lot, day


def receive(
    session: Session,
    actor: str,
    station: str,
    item: str,
    quantity: float,
    reason: str = "",
    *,
    exercise: bool = False,
    kind: str = RECEIPT,
    seed: str | None = None,
    lot: str | None = None,
    expires_on: date | None = None,
) -> Movement:
    """Stock arrives at a station, into ``lot`` (expiring on ``expires_on``) for an item kept by lot.

    ``seed``: the deterministic uid of a record every database loads alike (opening stock): it is
    recorded as the centre's, so the centre and its nodes hold one identical movement.
    """
    row = _checked(session, station, item, quantity, own=seed is None)  # opening stock: the centre's, everywhere
    key = (station, item, exercise)
    name, day = _lot_in(session, row, key, lot, expires_on)
    apply(session, [Change(key, quantity, lot=name, expires_on=day)])
    ids: dict[str, Any] = {"uid": seed, "origin": CENTRE} if seed else {}
    m = _add(
        session,
        actor,
        kind,
        station,
        item,
        quantity,
        quantity,
        reason=reason,
        exercise=exercise,
        lot=name,
        expires_on=day,
        **ids,
    )
    _audit(session, actor, m, seed=seed)
    return m


Draw = list[tuple[lots.Lot, float]]


class Kept(Protocol):
    """How the catalogue keeps an item: its code and whether by lot (an :class:`Item`, or a row of :data:`_KEPT`)."""

    @property
    def code(self) -> str: ...

    @property
    def lot_tracked(self) -> bool: ...


def _draw(
    session: Session, item: Kept, key: Key, quantity: float, lot: str | None, on: date | None, *, reserved: bool
) -> tuple[Draw, list[Change]]:
    """The lots ``quantity`` comes from (named, else first-expiring first) and the balance changes taking it.

    An item kept without lots draws its one unlotted lot, checked and moved in one statement; a lot
    item locks its book first, then picks its lots (``reserved``: leave the book's reservations in place).
    """
    if not item.lot_tracked:
        if lot:
            raise FieldError("lot", f"{item.code} is not kept by lot (its catalogue entry has no lots = true)")
        return [(lots.Lot(UNLOTTED, None, quantity), quantity)], [Change(key, -quantity, need=quantity)]
    bal = lock(session, [key])[key]
    if reserved:
        _short(bal, *key, quantity)
    picks = lots.allocate(
        lots.book_lots(session, *key),
        quantity,
        on or lots.today(),
        station=key[0],
        item=key[1],
        exercise=key[2],
        reserved=bal.reserved if reserved else 0.0,
        lot=lot or None,
    )
    return picks, [Change(key, -qty, lot=x.lot) for x, qty in picks]


def issue_lots(
    session: Session,
    actor: str,
    station: str,
    item: str,
    quantity: float,
    reason: str = "",
    *,
    exercise: bool = False,
    lot: str | None = None,
    on: date | None = None,
) -> list[Movement]:
    """Stock leaves a station (consumed): one movement per lot drawn, first-expiring first unless ``lot``.

    :class:`ConflictError` if not enough is available; expired lots are never drawn
    (:class:`~supply.core.errors.ExpiredLotError` names them). ``on``: the day expiry is read against.
    """
    row = _checked(session, station, item, quantity)
    key = (station, item, exercise)
    picks, changes = _draw(session, row, key, quantity, lot, on, reserved=True)
    apply(session, changes)
    out = [
        _add(session, actor, ISSUE, station, item, qty, -qty, reason=reason, exercise=exercise, lot=x.lot)
        for x, qty in picks
    ]
    for m in out:
        _audit(session, actor, m)
    return out


def record_movement(session: Session, actor: str, kind: str, station: str, body: MovementIn) -> list[Movement]:
    """A receipt (one movement) or an issue (one per lot drawn) as the API and the console take it."""
    if kind == RECEIPT:
        return [
            receive(
                session,
                actor,
                station,
                body.item,
                body.quantity,
                body.reason,
                exercise=body.exercise,
                lot=body.lot,
                expires_on=body.expires_on,
            )
        ]
    return issue_lots(
        session, actor, station, body.item, body.quantity, body.reason, exercise=body.exercise, lot=body.lot
    )


def issue(
    session: Session, actor: str, station: str, item: str, quantity: float, reason: str = "", *, exercise: bool = False
) -> Movement:
    """Stock leaves a station (consumed); :class:`ConflictError` if not enough is available.

    The first lot's movement (an item kept without lots has one); every lot's: :func:`issue_lots`.
    """
    return issue_lots(session, actor, station, item, quantity, reason, exercise=exercise)[0]


#: How long a transfer is expected on the road when its sender gives no arrival time.
DEFAULT_TRANSIT = timedelta(hours=24)


def transfer(
    session: Session,
    actor: str,
    source: str,
    target: str,
    item: str,
    quantity: float,
    reason: str = "",
    *,
    exercise: bool = False,
    lot: str | None = None,
    on: date | None = None,
    due_at: datetime | None = None,
) -> list[Movement]:
    """Stock leaves one station for another: its outgoing legs now, sharing a ``transfer_ref``.

    Each lot drawn (first-expiring first unless ``lot``) is one ``transfer_out`` leg carrying its
    lot, expiry date, destination (``counterpart``) and expected arrival (``due_at``, default
    :data:`DEFAULT_TRANSIT` from now). The stock is then **in transit** until the destination
    records what arrived (:func:`receive_transfer`): the sender never writes into the destination's
    book (on a node, a book it does not own, :mod:`supply.service.authority`).
    """
    row = _checked(session, source, item, quantity)
    require_station(session, target)
    if source == target:
        raise FieldError("to", f"a transfer needs two different stations, got '{source}' twice")
    key = (source, item, exercise)
    picks, changes = _draw(session, row, key, quantity, lot, on, reserved=True)
    apply(session, changes)
    ref, due = str(uuid.uuid4()), due_at or utcnow() + DEFAULT_TRANSIT
    outs = [
        _add(
            session,
            actor,
            TRANSFER_OUT,
            source,
            item,
            qty,
            -qty,
            reason=reason,
            exercise=exercise,
            transfer_ref=ref,
            lot=x.lot,
            expires_on=x.expires_on,
            counterpart=target,
            due_at=due,
        )
        for x, qty in picks
    ]
    for m in outs:
        _audit(session, actor, m, extra={"to": target, "due_at": due.isoformat()})
    return outs


def _transfer_legs(session: Session, ref: str) -> tuple[list[Movement], bool]:
    """A transfer's outgoing legs (:class:`UnknownCodeError` if none) and whether it has arrived already."""
    legs = list(session.exec(select(Movement).where(Movement.transfer_ref == ref).order_by(col(Movement.id))))
    outs = [m for m in legs if m.kind == TRANSFER_OUT]
    if not outs:
        raise UnknownCodeError("transfer", ref)
    return outs, any(m.kind in (TRANSFER_IN, DISCREPANCY) for m in legs)


def receive_transfer(
    session: Session,
    actor: str,
    ref: str,
    quantity: float,
    reason: str = "",
    *,
    lot: str | None = None,
) -> list[Movement]:
    """The destination records what arrived of transfer ``ref``: its receipt, lot by lot.

    What was sent goes into the lots it left in (the excess into the last one), or all into ``lot``
    when named. A shortfall or excess is recorded as a ``discrepancy`` movement (no stock change:
    the sender's legs and the receipt are the facts), whose ``reason`` is required — never silently
    adjusted. 409 when the transfer was received already or reversed while on the road.
    """
    outs, arrived = _transfer_legs(session, ref)
    if arrived:
        raise ConflictError.worded("transfer {ref} has been received already", ref=ref)
    reversed_ = session.exec(select(Movement.id).where(col(Movement.reversal_of).in_([m.id for m in outs]))).first()
    if reversed_ is not None:
        raise ConflictError.worded("transfer {ref} was reversed while on the road: nothing is left to receive", ref=ref)
    first = outs[0]
    target, item, exercise = first.counterpart or "", first.item, first.exercise
    require_own(session, target)  # the receiving station writes the receipt
    sent = sum(m.quantity for m in outs)
    diff = quantity - sent
    if abs(diff) > _EPS and not reason.strip():
        figures = {"received": f"{quantity:g}", "sent": f"{sent:g}", "diff": f"{abs(diff):g}"}
        if diff < 0:
            raise FieldError.worded(
                "{received} received of {sent} sent ({diff} short): a discrepancy needs a reason",
                field="reason",
                **figures,
            )
        raise FieldError.worded(
            "{received} received of {sent} sent ({diff} over): a discrepancy needs a reason", field="reason", **figures
        )
    row = require_item(session, item, quantity=quantity)
    key = (target, item, exercise)
    into: list[tuple[str, str | None, float]] = []
    if lot:
        day = next((m.expires_on for m in outs if m.lot == lot), None)
        name, exp = _lot_in(session, row, key, lot, date.fromisoformat(day) if day else None)
        into = [(name, exp, quantity)]
    else:
        left = quantity
        for n, m in enumerate(outs):
            take = left if n == len(outs) - 1 else min(m.quantity, left)
            if take > _EPS:
                into.append((m.lot, m.expires_on, take))
            left -= take
    apply(session, [Change(key, qty, lot=name, expires_on=exp) for name, exp, qty in into])
    common: dict[str, Any] = {"exercise": exercise, "transfer_ref": ref, "counterpart": first.station}
    legs = [
        _add(session, actor, TRANSFER_IN, target, item, qty, qty, reason=reason, lot=name, expires_on=exp, **common)
        for name, exp, qty in into
    ]
    if abs(diff) > _EPS:
        legs.append(_add(session, actor, DISCREPANCY, target, item, abs(diff), 0.0, reason=reason, **common))
    for m in legs:
        _audit(session, actor, m, extra={"from": first.station, "sent": sent, "received": quantity})
    return legs


def _counted(session: Session, item: Item, key: Key, bal: Balance, lot: str | None) -> tuple[str, float]:
    """The lot a count is of and its on hand: the named lot, else the book's one lot holding stock."""
    if not item.lot_tracked:
        if lot:
            raise FieldError("lot", f"{item.code} is not kept by lot (its catalogue entry has no lots = true)")
        return UNLOTTED, bal.on_hand
    if lot is None:
        held = lots.book_lots(session, *key)
        if len(held) > 1:
            names = ", ".join(repr(x.lot) for x in held)
            raise FieldError.worded(
                "{item} at {station} is kept in {n} lots ({names}): name the lot counted",
                field="lot",
                item=key[1],
                station=key[0],
                n=len(held),
                names=names,
            )
        lot = held[0].lot if held else UNLOTTED
    found = lots.lot_of(session, *key, lot)
    return lot, found.on_hand if found is not None else 0.0


def count_preview(
    session: Session, station: str, item: str, counted: float, *, exercise: bool = False, lot: str | None = None
) -> Balance:
    """What a count of ``counted`` would post, before it is confirmed: the books' (or the lot's) balance now.

    The adjustment :func:`count` records is ``counted − on_hand`` of the balance at that moment.
    """
    row = _checked(session, station, item, own=False)
    key = (station, item, exercise)
    bal = balance(session, station, item, exercise)
    if not row.lot_tracked:
        return bal
    return Balance(_counted(session, row, key, bal, lot)[1], 0.0)


def count(
    session: Session,
    actor: str,
    station: str,
    item: str,
    counted: float,
    reason: str = "",
    *,
    exercise: bool = False,
    lot: str | None = None,
) -> Movement | None:
    """Record a physical count (of one lot, for an item kept by lot): the difference becomes an adjustment."""
    row = _checked(session, station, item)
    require_item(session, item, quantity=counted, quantity_field="counted")
    key = (station, item, exercise)
    bal = lock(session, [key])[key]
    name, on_hand = _counted(session, row, key, bal, lot)
    diff = counted - on_hand
    where = f"{station}/{item}" + (f"/{name}" if name else "")
    if abs(diff) <= _EPS:
        detail = {"counted": counted, "on_hand": on_hand, "difference": 0, **({"lot": name} if name else {})}
        record(session, actor, "stock.count", where, reason=reason, exercise=exercise, detail=detail)
        return None
    why = f"count: {counted:g} counted, {on_hand:g} on the books" + (f"; {reason}" if reason else "")
    apply(session, [Change(key, diff, lot=name)])
    m = _add(session, actor, ADJUSTMENT, station, item, abs(diff), diff, reason=why, exercise=exercise, lot=name)
    _audit(session, actor, m, extra={"counted": counted})
    return m


def expire(
    session: Session,
    actor: str,
    station: str,
    item: str,
    lot: str,
    reason: str = "",
    *,
    exercise: bool = False,
    on: date | None = None,
) -> Movement:
    """Write off what is left of a lot past its expiry date: an ``expire`` movement (never an issue).

    :class:`ConflictError` while the lot has not expired yet (issue it, or count it if it spoiled).
    """
    _checked(session, station, item)
    key = (station, item, exercise)
    lock(session, [key])
    found = lots.lot_of(session, *key, lot)
    if found is None or found.on_hand <= _EPS:
        held = ", ".join(repr(x.lot) for x in lots.book_lots(session, *key)) or "none"
        raise FieldError("lot", f"no lot '{lot}' of {item} at {station} holds stock (lots: {held})")
    day = on or lots.today()
    if not found.expired(day):
        raise ConflictError.worded(
            "lot '{lot}' of {item} at {station} has not expired (expires: {until}); issue it instead",
            lot=lot,
            item=item,
            station=station,
            until=found.expires_on or "—",
        )
    qty = found.on_hand
    apply(session, [Change(key, -qty, lot=lot)])
    m = _add(
        session,
        actor,
        EXPIRE,
        station,
        item,
        qty,
        -qty,
        reason=reason or f"expired on {found.expires_on}",
        exercise=exercise,
        lot=lot,
        expires_on=found.expires_on,
    )
    _audit(session, actor, m, extra={"lot": lot, "expires_on": found.expires_on})
    return m


def reverse(session: Session, actor: str, movement_id: int, reason: str) -> list[Movement]:
    """Undo a movement by appending its opposite (every leg of a transfer), lot by lot."""
    original = session.get(Movement, movement_id)
    if original is None:
        raise UnknownCodeError("movement", str(movement_id))
    if original.kind == REVERSAL:
        raise ConflictError(f"movement {movement_id} is itself a reversal; record a new movement instead")
    if original.kind in DISPATCH_KINDS:
        raise ConflictError(f"movement {movement_id} belongs to dispatch {original.dispatch_id}; change its status")
    if original.kind == DISCREPANCY:
        raise ConflictError(f"movement {movement_id} records a transfer's discrepancy; reverse the transfer instead")
    legs = [original]
    if original.transfer_ref:  # every leg that moved stock (a discrepancy moved none)
        q = select(Movement).where(Movement.transfer_ref == original.transfer_ref, Movement.kind != DISCREPANCY)
        legs = list(session.exec(q))
    require_own(session, *(m.station for m in legs))
    lock(session, [(m.station, m.item, m.exercise) for m in legs])
    for m in legs:
        if session.exec(select(Movement.id).where(Movement.reversal_of == m.id)).first() is not None:
            raise ConflictError(f"movement {m.id} has already been reversed")
        if m.lot and m.on_hand_delta > 0:  # stock that came into a lot must still be in that lot
            held = lots.lot_of(session, m.station, m.item, m.exercise, m.lot)
            have = held.on_hand if held is not None else 0.0
            if have + _EPS < m.on_hand_delta:
                raise InsufficientStockError(m.station, f"{m.item} lot '{m.lot}'", m.on_hand_delta, max(have, 0))
    # undoing stock coming in takes it out again: that much must be available
    undo = [
        Change((m.station, m.item, m.exercise), -m.on_hand_delta, -m.reserved_delta, lot=m.lot, expires_on=m.expires_on)
        for m in legs
    ]
    apply(
        session,
        [
            Change(c.key, c.on_hand, c.reserved, -c.on_hand if c.on_hand < 0 else None, c.lot, c.expires_on)
            for c in undo
        ],
    )
    out = []
    for m in legs:
        r = _add(
            session,
            actor,
            REVERSAL,
            m.station,
            m.item,
            m.quantity,
            0.0 - m.on_hand_delta,
            0.0 - m.reserved_delta,
            reason=reason,
            exercise=m.exercise,
            reversal_of=m.id,
            transfer_ref=m.transfer_ref,
            lot=m.lot,
        )
        out.append(r)
    session.flush()
    for r in out:
        _audit(session, actor, r)
    return out


def reserve(
    session: Session,
    actor: str,
    dispatch_id: int,
    lines: dict[str, float],
    station: str,
    exercise: bool,
    *,
    cause: str | None = None,
) -> None:
    """Reserve every line of a dispatch, or none (:class:`ConflictError` names the first short item).

    ``cause``: the uid of the status event that reserves (sync gives the stock back if it is rejected).
    """
    apply(session, [Change((station, item, exercise), 0.0, qty, need=qty) for item, qty in lines.items()])
    rows = [(i, q, 0.0, q, UNLOTTED) for i, q in sorted(lines.items())]
    _append(session, actor, RESERVE, dispatch_id, station, exercise, rows, cause)


def settle(
    session: Session,
    actor: str,
    dispatch_id: int,
    lines: dict[str, float],
    station: str,
    exercise: bool,
    *,
    delivered: bool,
    cause: str | None = None,
) -> None:
    """Turn a dispatch's reservations into issues (delivered) or give them back (cancelled).

    A delivery draws lots first-expiring first, never an expired one (409 naming it): one movement per lot.
    """
    rows: list[tuple[str, float, float, float, str]] = []
    kept = {r.code: r for r in session.connection().execute(_KEPT, {"k_items": sorted(lines)})} if delivered else {}
    for i, q in sorted(lines.items()):
        if not delivered:
            rows.append((i, q, 0.0, -q, UNLOTTED))
            continue
        key = (station, i, exercise)
        item = kept.get(i)
        picks = _draw(session, item, key, q, None, None, reserved=False)[0] if item is not None else []
        rows += [(i, qty, -qty, -qty, x.lot) for x, qty in picks or [(lots.Lot(UNLOTTED, None, q), q)]]
    changes = [Change((station, i, exercise), on_hand, reserved, lot=lot) for i, _, on_hand, reserved, lot in rows]
    apply(session, changes)
    _append(session, actor, DELIVERY if delivered else RELEASE, dispatch_id, station, exercise, rows, cause)


def dispatch_discrepancies(
    session: Session,
    actor: str,
    dispatch_id: int,
    lines: dict[str, float],
    received: dict[str, float],
    station: str,
    exercise: bool,
    note: str,
    *,
    cause: str | None = None,
) -> list[Movement]:
    """A delivery received short or over: one ``discrepancy`` movement per item that differs (no stock change).

    The stock left the station as dispatched; what the unit says it received is kept beside it, with
    the reason (``note``, required when anything differs), never adjusted away.
    """
    for item in received:
        if item not in lines:
            raise FieldError(f"received.{item}", f"dispatch {dispatch_id} carries no {item}")
    diffs = {i: received[i] - q for i, q in lines.items() if i in received and abs(received[i] - q) > _EPS}
    if diffs and not note.strip():
        said = "; ".join(f"{i} {received[i]:g} / {lines[i]:g}" for i in diffs)
        raise FieldError.worded("received {said}: a discrepancy needs a reason in the note", field="note", said=said)
    out = [
        _add(
            session,
            actor,
            DISCREPANCY,
            station,
            item,
            abs(diff),
            0.0,
            reason=note,
            exercise=exercise,
            dispatch_id=dispatch_id,
            cause=cause,
        )
        for item, diff in sorted(diffs.items())
    ]
    for m in out:
        _audit(session, actor, m, extra={"dispatched": lines[m.item], "received": received[m.item]})
    return out


def _append(
    session: Session,
    actor: str,
    kind: str,
    dispatch_id: int,
    station: str,
    exercise: bool,
    rows: list[tuple[str, float, float, float, str]],
    cause: str | None = None,
) -> None:
    """A dispatch's movements as plain INSERTs: ``rows`` are (item, quantity, on-hand Δ, reserved Δ, lot)."""
    at, reason = utcnow(), f"dispatch {dispatch_id}"
    values = [
        {
            "at": at,
            "kind": kind,
            "station": station,
            "item": item,
            "exercise": exercise,
            "quantity": qty,
            "on_hand_delta": on_hand,
            "reserved_delta": reserved,
            "reason": reason,
            "actor": actor,
            "reversal_of": None,
            "transfer_ref": None,
            "dispatch_id": dispatch_id,
            "cause": cause,
            "lot": lot,
            "expires_on": None,
        }
        for item, qty, on_hand, reserved, lot in rows
    ]
    _APPEND.many(session.connection(), values)


def _audit(session: Session, actor: str, m: Movement, extra: dict | None = None, seed: str | None = None) -> None:
    session.flush()  # assigns the id the audit entry points at
    detail = {"kind": m.kind, "station": m.station, "item": m.item, "quantity": m.quantity, **(extra or {})}
    if m.reversal_of:
        detail["reversal_of"] = m.reversal_of
    record(
        session,
        actor,
        f"movement.{m.kind}",
        f"movement:{m.id}",
        reason=m.reason,
        exercise=m.exercise,
        detail=detail,
        seed=seed,
    )
