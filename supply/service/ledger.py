"""The stock ledger: append-only movements and the balances derived from them.

Every function takes a :class:`~sqlmodel.Session` and never commits: the caller's transaction
is the unit of work (a transfer's two legs, a dispatch's reservations and its audit entry all
land together or not at all).

Two books share the same rules: the real one and the exercise (drill) one, so a drill never
draws on, or passes for, real stock. Balances per (station, item, book):

    on_hand   = Σ on_hand_delta        reserved = Σ reserved_delta
    available = on_hand − reserved     days of supply = on_hand ÷ mean daily consumption

Writers serialise per (station, item, book) before reading a balance: SQLite through
``BEGIN IMMEDIATE`` (:func:`supply.service.db.write_session`), PostgreSQL through ``SELECT … FOR UPDATE``
on a :class:`~supply.service.models.StockLock` row. So two officers drawing the last stock at once
cannot both see it available.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from supply.core.errors import ConflictError, FieldError, UnknownCodeError
from supply.service.audit import record
from supply.service.models import Item, Movement, Station, StockLock, table_of, utcnow

#: Movement kinds and what they do.
RECEIPT, ISSUE, TRANSFER_OUT, TRANSFER_IN = "receipt", "issue", "transfer_out", "transfer_in"
ADJUSTMENT, REVERSAL, OPENING = "adjustment", "reversal", "opening"
RESERVE, RELEASE, DELIVERY = "reserve", "release", "delivery"
#: Kinds that consume stock (they feed days of supply).
CONSUMING = (ISSUE, DELIVERY)
#: Kinds managed by the dispatch lifecycle: cancel the dispatch instead of reversing them.
DISPATCH_KINDS = (RESERVE, RELEASE, DELIVERY)
_EPS = 1e-9
_MOVES, _LOCKS = table_of(Movement), table_of(StockLock)
# Statements built once (SQL construction costs more than running them); parameters at execution.
_APPEND = insert(_MOVES)
_BOOK = (_MOVES.c.station == bindparam("b_station")) & (_MOVES.c.exercise == bindparam("b_exercise"))
_BALANCES = (
    select(_MOVES.c.item, func.sum(_MOVES.c.on_hand_delta), func.sum(_MOVES.c.reserved_delta))
    .where(_BOOK, _MOVES.c.item.in_(bindparam("b_items", expanding=True)))
    .group_by(_MOVES.c.item)
)
_LOCK_ROW = (
    select(_LOCKS.c.station)
    .where(_LOCKS.c.station == bindparam("l_station"), _LOCKS.c.item == bindparam("l_item"))
    .where(_LOCKS.c.exercise == bindparam("l_exercise"))
    .with_for_update()
)


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


def require_item(session: Session, code: str, field: str = "item") -> Item:
    item = session.get(Item, code)
    if item is None:
        known = session.exec(select(Item.code)).all()
        msg = str(UnknownCodeError("item", code, known)) + f" (known: {', '.join(known)})"
        raise FieldError(field, msg)
    return item


def lock(session: Session, keys: Iterable[tuple[str, str, bool]]) -> None:
    """Serialise writers on each (station, item, book), in a fixed order (no deadlocks)."""
    keys = sorted(set(keys))
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the transaction already holds the database's write lock
    conn = session.connection()
    for s, i, e in keys:
        key = {"l_station": s, "l_item": i, "l_exercise": e}
        if conn.execute(_LOCK_ROW, key).first() is None:  # rows are made at db init; this is a new pair
            row = {"station": s, "item": i, "exercise": e}
            conn.execute(pg_insert(_LOCKS).values([row]).on_conflict_do_nothing())
            conn.execute(_LOCK_ROW, key).one()


def ensure_lock_rows(session: Session, keys: Iterable[tuple[str, str, bool]]) -> None:
    """Create the lock rows up front (at ``db init``) on either database."""
    rows = [{"station": s, "item": i, "exercise": e} for s, i, e in sorted(set(keys))]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(ins(StockLock).values(rows).on_conflict_do_nothing())


def balance(session: Session, station: str, item: str, exercise: bool) -> Balance:
    return balances(session, station, [item], exercise)[item]


def balances(session: Session, station: str, items: Iterable[str], exercise: bool) -> dict[str, Balance]:
    """The balances of several items of one station's book, in one query."""
    if session.new:
        session.flush()  # movements added through the ORM in this transaction count too
    out = {item: Balance() for item in items}
    params = {"b_station": station, "b_exercise": exercise, "b_items": sorted(out)}
    for item, on_hand, reserved in session.connection().execute(_BALANCES, params):
        out[item] = Balance(float(on_hand or 0.0), float(reserved or 0.0))
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


def _require_available(session: Session, station: str, item: str, exercise: bool, quantity: float) -> Balance:
    return _short(balance(session, station, item, exercise), station, item, exercise, quantity)


def _short(bal: Balance, station: str, item: str, exercise: bool, quantity: float) -> Balance:
    """``bal``, or :class:`ConflictError` when it has less than ``quantity`` available."""
    if bal.available + _EPS < quantity:
        book = "exercise" if exercise else "real"
        msg = f"not enough {item} at {station} ({book} book): {quantity:g} asked, {max(bal.available, 0):g} available"
        raise ConflictError(msg)
    return bal


def _checked(session: Session, station: str, item: str) -> None:
    require_station(session, station)
    require_item(session, item)


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
) -> Movement:
    """Stock arrives at a station."""
    _checked(session, station, item)
    m = _add(session, actor, kind, station, item, quantity, quantity, reason=reason, exercise=exercise)
    _audit(session, actor, m)
    return m


def issue(
    session: Session, actor: str, station: str, item: str, quantity: float, reason: str = "", *, exercise: bool = False
) -> Movement:
    """Stock leaves a station (consumed); :class:`ConflictError` if not enough is available."""
    _checked(session, station, item)
    lock(session, [(station, item, exercise)])
    _require_available(session, station, item, exercise, quantity)
    m = _add(session, actor, ISSUE, station, item, quantity, -quantity, reason=reason, exercise=exercise)
    _audit(session, actor, m)
    return m


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
) -> list[Movement]:
    """Out of one station and into another in one step; the two legs share a ``transfer_ref``."""
    _checked(session, source, item)
    require_station(session, target)
    if source == target:
        raise FieldError("to", f"a transfer needs two different stations, got '{source}' twice")
    lock(session, [(source, item, exercise), (target, item, exercise)])
    _require_available(session, source, item, exercise, quantity)
    ref = str(uuid.uuid4())
    out = _add(
        session,
        actor,
        TRANSFER_OUT,
        source,
        item,
        quantity,
        -quantity,
        reason=reason,
        exercise=exercise,
        transfer_ref=ref,
    )
    into = _add(
        session,
        actor,
        TRANSFER_IN,
        target,
        item,
        quantity,
        quantity,
        reason=reason,
        exercise=exercise,
        transfer_ref=ref,
    )
    _audit(session, actor, out, extra={"to": target})
    return [out, into]


def count(
    session: Session, actor: str, station: str, item: str, counted: float, reason: str = "", *, exercise: bool = False
) -> Movement | None:
    """Record a physical count: the difference from the books becomes an adjustment (or nothing)."""
    _checked(session, station, item)
    lock(session, [(station, item, exercise)])
    bal = balance(session, station, item, exercise)
    diff = counted - bal.on_hand
    if abs(diff) <= _EPS:
        record(
            session,
            actor,
            "stock.count",
            f"{station}/{item}",
            reason=reason,
            exercise=exercise,
            detail={"counted": counted, "on_hand": bal.on_hand, "difference": 0},
        )
        return None
    why = f"count: {counted:g} counted, {bal.on_hand:g} on the books" + (f"; {reason}" if reason else "")
    m = _add(session, actor, ADJUSTMENT, station, item, abs(diff), diff, reason=why, exercise=exercise)
    _audit(session, actor, m, extra={"counted": counted})
    return m


def reverse(session: Session, actor: str, movement_id: int, reason: str) -> list[Movement]:
    """Undo a movement by appending its opposite (both legs of a transfer)."""
    original = session.get(Movement, movement_id)
    if original is None:
        raise UnknownCodeError("movement", str(movement_id))
    if original.kind == REVERSAL:
        raise ConflictError(f"movement {movement_id} is itself a reversal; record a new movement instead")
    if original.kind in DISPATCH_KINDS:
        raise ConflictError(f"movement {movement_id} belongs to dispatch {original.dispatch_id}; change its status")
    legs = [original]
    if original.transfer_ref:
        legs = list(session.exec(select(Movement).where(Movement.transfer_ref == original.transfer_ref)))
    lock(session, [(m.station, m.item, m.exercise) for m in legs])
    for m in legs:
        if session.exec(select(Movement.id).where(Movement.reversal_of == m.id)).first() is not None:
            raise ConflictError(f"movement {m.id} has already been reversed")
        if m.on_hand_delta > 0:  # undoing stock coming in takes it out again
            _require_available(session, m.station, m.item, m.exercise, m.on_hand_delta)
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
        )
        out.append(r)
    session.flush()
    for r in out:
        _audit(session, actor, r)
    return out


def reserve(
    session: Session, actor: str, dispatch_id: int, lines: dict[str, float], station: str, exercise: bool
) -> None:
    """Reserve every line of a dispatch, or none (:class:`ConflictError` names the first short item)."""
    lock(session, [(station, item, exercise) for item in lines])
    bals = balances(session, station, lines, exercise)
    for item, qty in sorted(lines.items()):
        _short(bals[item], station, item, exercise, qty)
    _append(session, actor, RESERVE, dispatch_id, station, exercise, [(i, q, 0.0, q) for i, q in sorted(lines.items())])


def settle(
    session: Session,
    actor: str,
    dispatch_id: int,
    lines: dict[str, float],
    station: str,
    exercise: bool,
    *,
    delivered: bool,
) -> None:
    """Turn a dispatch's reservations into issues (delivered) or give them back (cancelled)."""
    lock(session, [(station, item, exercise) for item in lines])
    rows = [(i, q, -q if delivered else 0.0, -q) for i, q in sorted(lines.items())]
    _append(session, actor, DELIVERY if delivered else RELEASE, dispatch_id, station, exercise, rows)


def _append(
    session: Session,
    actor: str,
    kind: str,
    dispatch_id: int,
    station: str,
    exercise: bool,
    rows: list[tuple[str, float, float, float]],
) -> None:
    """A dispatch's movements as plain INSERTs: ``rows`` are (item, quantity, on-hand delta, reserved delta)."""
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
        }
        for item, qty, on_hand, reserved in rows
    ]
    session.connection().execute(_APPEND, values)


def _audit(session: Session, actor: str, m: Movement, extra: dict | None = None) -> None:
    session.flush()  # assigns the id the audit entry points at
    detail = {"kind": m.kind, "station": m.station, "item": m.item, "quantity": m.quantity, **(extra or {})}
    if m.reversal_of:
        detail["reversal_of"] = m.reversal_of
    record(
        session, actor, f"movement.{m.kind}", f"movement:{m.id}", reason=m.reason, exercise=m.exercise, detail=detail
    )
