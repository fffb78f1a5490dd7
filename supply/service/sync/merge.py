"""Merge rules for status logs: which of two concurrent changes stands, on every database alike.

A status change is an event carrying ``parent``, the head it was made on, so a record's events
form a tree. Two events with the same parent were made apart: a conflict. Of the children of any
event, the one made by the record's owner (the node of the station it belongs to) stands, else the
centre's, else the lowest uid; the rest — and everything made on them — is kept, marked rejected.
The rule looks only at the events, never at arrival order, so every database that holds the same
events marks the same ones. A record's status is the last standing event's; stock a rejected
change moved is given back by a reversal whose uid derives from the movement's, so the centre
and the nodes each write it and still hold it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, and_, bindparam, exists, insert, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from supply.service import ledger
from supply.service.models import CENTRE, Movement, seed_uid, table_of
from supply.service.sync.tables import StatusLog, Synced, synced

_MOVES = table_of(Movement)
SYNC_ACTOR = "sync"


def _winner(children: list[Any], owner: str | None) -> Any:
    return min(children, key=lambda e: (e.origin != owner, e.origin != CENTRE, e.uid))


def standing_chain(events: list[Any], owner: str | None) -> list[Any]:
    """The standing events of one record, oldest first (``events`` have uid, parent, origin)."""
    known = {e.uid for e in events}
    children: dict[str | None, list[Any]] = defaultdict(list)
    for e in events:
        children[e.parent if e.parent in known else None].append(e)
    chain, at = [], None
    while children.get(at):
        head = _winner(children[at], owner)
        chain.append(head)
        at = head.uid
    return chain


def resolve(session: Session, spec: Synced, records: Iterable[object]) -> None:
    """Mark the standing and rejected events of ``records`` and set each record's status from its standing ones."""
    log = spec.log
    assert log is not None  # only status logs are resolved
    conn, events, rec = session.connection(), spec.table, log.record_table
    q_events = (
        select(events.c.id, events.c.uid, events.c.parent, events.c.origin, events.c.rejected, events.c.to_status)
        .where(events.c[log.record_column] == bindparam("r_key"))
        .order_by(events.c.id)
    )
    q_record = select(rec.c[log.owner_column], rec.c.status).where(rec.c[log.record_key] == bindparam("r_key"))
    set_flag = update(events).where(events.c.id == bindparam("e_id")).values(rejected=bindparam("e_rejected"))
    set_status = update(rec).where(rec.c[log.record_key] == bindparam("r_key")).values(status=bindparam("r_status"))
    flips = []
    for key in sorted(set(records), key=str):
        found = conn.execute(q_record, {"r_key": key}).first()
        if found is None:
            continue
        owner, status = found
        rows = list(conn.execute(q_events, {"r_key": key}))
        chain = standing_chain(rows, owner)
        standing = {e.uid for e in chain}
        flips += [
            {"e_id": e.id, "e_rejected": e.uid not in standing} for e in rows if e.rejected == (e.uid in standing)
        ]
        if chain and chain[-1].to_status != status:
            conn.execute(set_status, {"r_key": key, "r_status": chain[-1].to_status})
    if flips:
        conn.execute(set_flag, flips)


def compensate(session: Session) -> int:
    """Give back the stock moved by rejected changes (once: a deterministic reversal per movement)."""
    conn, undone = session.connection(), aliased(_MOVES)
    rows: list[Any] = []
    for spec in synced():
        if spec.log is None:
            continue
        rejected = select(spec.table.c.uid).where(spec.table.c.rejected.is_(True))
        reversed_ = exists().where(undone.c.reversal_of == _MOVES.c.id)
        q = select(_MOVES).where(_MOVES.c.cause.in_(rejected), ~reversed_).order_by(_MOVES.c.id)
        rows += conn.execute(q).all()
    if not rows:
        return 0
    values = [
        {
            "uid": seed_uid("undo", m.uid),
            "origin": m.origin,
            "at": m.at,
            "kind": ledger.REVERSAL,
            "station": m.station,
            "item": m.item,
            "exercise": m.exercise,
            "quantity": m.quantity,
            "on_hand_delta": 0.0 - m.on_hand_delta,
            "reserved_delta": 0.0 - m.reserved_delta,
            "reason": f"sync: {m.kind} undone, its change was rejected (the owner's concurrent change stands)",
            "actor": SYNC_ACTOR,
            "reversal_of": m.id,
            "transfer_ref": None,
            "dispatch_id": m.dispatch_id,
            "cause": None,
            "lot": m.lot,
            "expires_on": None,
        }
        for m in rows
    ]
    conn.execute(insert(_MOVES), values)
    keys = ("station", "item", "exercise", "on_hand_delta", "reserved_delta", "uid", "lot", "expires_on")
    ledger.apply(session, book_changes(tuple(v[k] for k in keys) for v in values))
    return len(values)


def book_changes(movements: Iterable[tuple[Any, ...]]) -> list[ledger.Change]:
    """The balance changes of movements ``(station, item, exercise, on-hand Δ, reserved Δ, uid, lot, expires_on)``
    summed per book and lot (a lot's expiry date from the movement that brought it).

    No availability is asked: movements are facts.
    """
    sums: dict[tuple[ledger.Key, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    expiry: dict[tuple[ledger.Key, str], str] = {}
    for station, item, exercise, on_hand, reserved, _uid, lot, expires_on in movements:
        at = ((station, item, bool(exercise)), lot or "")
        s = sums[at]
        s[0] += on_hand
        s[1] += reserved
        if expires_on:
            expiry[at] = expires_on
    return [
        ledger.Change(key, on_hand, reserved, lot=lot, expires_on=expiry.get((key, lot)))
        for (key, lot), (on_hand, reserved) in sums.items()
    ]


@dataclass(frozen=True)
class ConflictView:
    """A change made apart on someone else's record that lost to a concurrent one: both versions, kept."""

    table: str  # the record's table (dispatch, team)
    record: str  # its local id or code
    record_uid: str | None
    owner: str | None  # the station whose node owns the record
    standing: dict[str, Any] | None  # the version that stands
    rejected: dict[str, Any]  # the version kept as a rejected event
    later_rejected: int  # changes made on top of the rejected one (rejected with it)

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "record": self.record,
            "record_uid": self.record_uid,
            "owner": self.owner,
            "standing": self.standing,
            "rejected": self.rejected,
            "later_rejected": self.later_rejected,
        }


def _event_view(e: Any) -> dict[str, Any]:
    return {
        "uid": e.uid,
        "origin": e.origin,
        "actor": e.actor,
        "at": e.at.isoformat(),
        "from_status": e.from_status,
        "to_status": e.to_status,
        "note": e.note,
    }


def conflicts(session: Session, only: set[str] | None = None) -> list[ConflictView]:
    """Every conflict (or those whose rejected event's uid is in ``only``), oldest first."""
    out: list[ConflictView] = []
    conn = session.connection()
    for spec in synced():
        if spec.log is not None:
            out += _conflicts_of(conn, spec.table, spec.log, only)
    return sorted(out, key=lambda c: (c.rejected["at"], c.rejected["uid"]))


def _conflicts_of(conn: Any, events: Table, log: StatusLog, only: set[str] | None) -> list[ConflictView]:
    rec = log.record_table
    rejected_records = select(events.c[log.record_column]).where(events.c.rejected.is_(True))
    rows = conn.execute(
        select(events).where(events.c[log.record_column].in_(rejected_records)).order_by(events.c.id)
    ).all()
    by_record: dict[Any, list[Any]] = defaultdict(list)
    for e in rows:
        by_record[getattr(e, log.record_column)].append(e)
    uid_col = rec.c.uid if "uid" in rec.c else rec.c[log.record_key]
    q = select(rec.c[log.record_key], uid_col, rec.c[log.owner_column]).where(
        rec.c[log.record_key].in_(list(by_record))
    )
    info = {k: (u, o) for k, u, o in conn.execute(q)}
    out = []
    for key, evs in by_record.items():
        by_uid = {e.uid: e for e in evs}
        for e in evs:
            parent = by_uid.get(e.parent) if e.parent else None
            if not e.rejected or (parent is not None and parent.rejected) or (only is not None and e.uid not in only):
                continue
            sibling = next((s for s in evs if not s.rejected and s.parent == e.parent), None)
            later = _descendants(evs, e.uid)
            uid, owner = info.get(key, (None, None))
            name = rec.name
            out.append(
                ConflictView(
                    name, str(key), uid, owner, _event_view(sibling) if sibling else None, _event_view(e), later
                )
            )
    return out


def _descendants(events: list[Any], uid: str) -> int:
    below, count = {uid}, 0
    for e in events:  # oldest first: a parent comes before its children
        if e.parent in below:
            below.add(e.uid)
            count += 1
    return count


def negative_books(session: Session, keys: Iterable[ledger.Key]) -> dict[ledger.Key, float]:
    """The books among ``keys`` left with less than nothing available: {book: available}."""
    out = {}
    for key in sorted(set(keys)):
        bal = ledger.balance(session, *key)
        if bal.available < -1e-9:
            out[key] = bal.available
    return out


def drawing(session: Session, key: ledger.Key, where: Any) -> list[str]:
    """The uids of the movements on book ``key`` that took availability away, matching ``where``."""
    station, item, exercise = key
    q = select(_MOVES.c.uid).where(
        and_(_MOVES.c.station == station, _MOVES.c.item == item, _MOVES.c.exercise == exercise),
        _MOVES.c.on_hand_delta - _MOVES.c.reserved_delta < 0,
        where,
    )
    return list(session.connection().execute(q.order_by(_MOVES.c.id)).scalars())
