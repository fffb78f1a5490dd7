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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from supply.core.errors import ConflictError, FieldError, InsufficientStockError, UnknownCodeError
from supply.core.items import check_whole
from supply.service.audit import record
from supply.service.authority import here, require_own
from supply.service.models import CENTRE, Item, Movement, Station, StockLock, table_of, utcnow

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
_LOCK_ROW = select(_LOCKS.c.on_hand, _LOCKS.c.reserved).where(_ROW).with_for_update()
#: Move a balance: locks the row, changes it and answers the new balance, in one statement.
_BUMP = (
    update(_LOCKS)
    .where(_ROW)
    .values(on_hand=_LOCKS.c.on_hand + bindparam("d_on_hand"), reserved=_LOCKS.c.reserved + bindparam("d_reserved"))
    .returning(_LOCKS.c.on_hand, _LOCKS.c.reserved)
)
#: The same, only if at least ``d_need`` is available (no row back: short, or no row yet).
_BUMP_IF = _BUMP.where(_LOCKS.c.on_hand - _LOCKS.c.reserved + _EPS >= bindparam("d_need"))


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


def require_item(
    session: Session, code: str, field: str = "item", *, quantity: float | None = None, quantity_field: str = "quantity"
) -> Item:
    """The catalogue item ``code`` (else a :class:`FieldError` on ``field``); ``quantity`` whole if it is counted."""
    item = session.get(Item, code)
    if item is None:
        known = session.exec(select(Item.code)).all()
        msg = str(UnknownCodeError("item", code, known)) + f" (known: {', '.join(known)})"
        raise FieldError(field, msg)
    if quantity is not None and (fraction := check_whole(code, item.unit, quantity)) is not None:
        raise FieldError(quantity_field, fraction)
    return item


Key = tuple[str, str, bool]  # (station, item, exercise): one book of one item at one station


@dataclass(frozen=True)
class Change:
    """What one movement does to one book's balances; ``need``: the availability it requires first."""

    key: Key
    on_hand: float
    reserved: float = 0.0
    need: float | None = None


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
        row = conn.execute(_LOCK_ROW, _row(key)).first()
        if row is None:  # rows are made at db init; this is a new pair
            _make_rows(session, [key])
            row = conn.execute(_LOCK_ROW, _row(key)).one()
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
        row = conn.execute(_BUMP if ch.need is None else _BUMP_IF, {**params, "d_need": ch.need}).first()
        if row is None:  # short, or no row yet: lock (making the row), say why, or move it now
            if ch.need is not None:
                try:
                    _short(lock(session, [ch.key])[ch.key], *ch.key, ch.need)
                except ConflictError:
                    _undo(conn, done)  # all or none, even for a caller that goes on after the error
                    raise
            else:
                _make_rows(session, [ch.key])
            row = conn.execute(_BUMP, params).one()
        done.append(ch)
        out[ch.key] = Balance(float(row.on_hand), float(row.reserved))
    return out


def _undo(conn: Any, done: list[Change]) -> None:
    """Give back the balance changes already made by a call that then found a book short."""
    for ch in reversed(done):
        conn.execute(_BUMP, {**_row(ch.key), "d_on_hand": -ch.on_hand, "d_reserved": -ch.reserved})


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


def _checked(session: Session, station: str, item: str, quantity: float | None = None, *, own: bool = True) -> None:
    """Known station and item (``quantity`` whole if counted); with ``own``, a book this database may write."""
    require_station(session, station)
    require_item(session, item, quantity=quantity)
    if own:
        require_own(session, station)


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
) -> Movement:
    """Stock arrives at a station.

    ``seed``: the deterministic uid of a record every database loads alike (opening stock): it is
    recorded as the centre's, so the centre and its nodes hold one identical movement.
    """
    _checked(session, station, item, quantity, own=seed is None)  # opening stock: the centre's, loaded everywhere
    apply(session, [Change((station, item, exercise), quantity)])
    ids: dict[str, Any] = {"uid": seed, "origin": CENTRE} if seed else {}
    m = _add(session, actor, kind, station, item, quantity, quantity, reason=reason, exercise=exercise, **ids)
    _audit(session, actor, m, seed=seed)
    return m


def issue(
    session: Session, actor: str, station: str, item: str, quantity: float, reason: str = "", *, exercise: bool = False
) -> Movement:
    """Stock leaves a station (consumed); :class:`ConflictError` if not enough is available."""
    _checked(session, station, item, quantity)
    apply(session, [Change((station, item, exercise), -quantity, need=quantity)])
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
    """Out of one station and into another in one step; the two legs share a ``transfer_ref``.

    On a station's node only the outgoing leg is written: the receiving station records the arrival
    in its own book (a node never writes another station's, :mod:`supply.service.authority`).
    """
    _checked(session, source, item, quantity)
    require_station(session, target)
    if source == target:
        raise FieldError("to", f"a transfer needs two different stations, got '{source}' twice")
    both = here(session) == CENTRE
    legs = [Change((source, item, exercise), -quantity, need=quantity)]
    apply(session, [*legs, Change((target, item, exercise), quantity)] if both else legs)
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
    legs_written = [out]
    if both:
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
        legs_written.append(into)
    _audit(session, actor, out, extra={"to": target})
    return legs_written


def count_preview(session: Session, station: str, item: str, counted: float, *, exercise: bool = False) -> Balance:
    """What a count of ``counted`` would post, before it is confirmed: the books' balance now.

    The adjustment :func:`count` records is ``counted − on_hand`` of the balance at that moment.
    """
    _checked(session, station, item, own=False)
    return balance(session, station, item, exercise)


def count(
    session: Session, actor: str, station: str, item: str, counted: float, reason: str = "", *, exercise: bool = False
) -> Movement | None:
    """Record a physical count: the difference from the books becomes an adjustment (or nothing)."""
    _checked(session, station, item)
    require_item(session, item, quantity=counted, quantity_field="counted")
    bal = lock(session, [(station, item, exercise)])[(station, item, exercise)]
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
    apply(session, [Change((station, item, exercise), diff)])
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
    require_own(session, *(m.station for m in legs))
    lock(session, [(m.station, m.item, m.exercise) for m in legs])
    for m in legs:
        if session.exec(select(Movement.id).where(Movement.reversal_of == m.id)).first() is not None:
            raise ConflictError(f"movement {m.id} has already been reversed")
    # undoing stock coming in takes it out again: that much must be available
    undo = [Change((m.station, m.item, m.exercise), -m.on_hand_delta, -m.reserved_delta) for m in legs]
    apply(session, [Change(c.key, c.on_hand, c.reserved, -c.on_hand if c.on_hand < 0 else None) for c in undo])
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
    rows = [(i, q, 0.0, q) for i, q in sorted(lines.items())]
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
    """Turn a dispatch's reservations into issues (delivered) or give them back (cancelled)."""
    rows = [(i, q, -q if delivered else 0.0, -q) for i, q in sorted(lines.items())]
    apply(session, [Change((station, i, exercise), on_hand, reserved) for i, _, on_hand, reserved in rows])
    _append(session, actor, DELIVERY if delivered else RELEASE, dispatch_id, station, exercise, rows, cause)


def _append(
    session: Session,
    actor: str,
    kind: str,
    dispatch_id: int,
    station: str,
    exercise: bool,
    rows: list[tuple[str, float, float, float]],
    cause: str | None = None,
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
            "cause": cause,
        }
        for item, qty, on_hand, reserved in rows
    ]
    session.connection().execute(_APPEND, values)


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
