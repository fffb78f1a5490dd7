"""A dispatch's writes — planning it and moving it along its lifecycle — as plain SQL statements.

Each write comes in two parts. The *check* reads, before the write lock, only facts that never
change once written (a request's book, a dispatch's lines, station and item codes), so it may
run on any connection. The *write* runs in the caller's write transaction: it locks what it
changes (the dispatch row, the stock rows on PostgreSQL; SQLite's transaction holds the whole
database), reads what may change (status, balances), appends rows with Core INSERTs (no ORM
objects, no flush) and answers from what it wrote.

    proposed ──► planned ──► dispatched ──► delivered ──► closed
       └────────────┴──────────┴──► cancelled

A *proposed* dispatch (a live drill's plan, see :mod:`supply.drills.start`) reserves nothing until
an officer confirms it (``planned``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlmodel import Session

from supply.core.errors import FieldError, UnknownCodeError
from supply.core.transitions import check_transition, origins
from supply.service import ledger
from supply.service.approvals import require_approved
from supply.service.audit import record
from supply.service.authority import require_own
from supply.service.inputs import DispatchIn
from supply.service.known_codes import Codes
from supply.service.models import Dispatch, DispatchEvent, DispatchLine, SupportRequest, new_uid, table_of, utcnow
from supply.service.prepared import Prepared

TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"planned", "cancelled"}),
    "planned": frozenset({"dispatched", "cancelled"}),
    "dispatched": frozenset({"delivered", "cancelled"}),
    "delivered": frozenset({"closed"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}
_DISPATCH, _LINE, _EVENT = table_of(Dispatch), table_of(DispatchLine), table_of(DispatchEvent)
_REQUEST = table_of(SupportRequest)
# Statements built once and run on the driver (the write path's: see supply.service.prepared).
_BOOK_OF = Prepared(
    select(_REQUEST.c.exercise, _REQUEST.c.approval, _REQUEST.c.approval_role, _REQUEST.c.approval_why).where(
        _REQUEST.c.id == bindparam("r_id")
    )
)
#: A dispatch's lines with its book (both written with it, never changed).
_LINES_OF = Prepared(
    select(_LINE.c.item, _LINE.c.quantity, _DISPATCH.c.exercise)
    .join(_DISPATCH, _DISPATCH.c.id == _LINE.c.dispatch_id)
    .where(_LINE.c.dispatch_id == bindparam("d_id"))
    .order_by(_LINE.c.id)
)
_EXISTS = Prepared(select(_DISPATCH.c.exercise).where(_DISPATCH.c.id == bindparam("d_id")))
_LOCKED = Prepared(select(_DISPATCH).where(_DISPATCH.c.id == bindparam("d_id")).with_for_update())
_SET = Prepared(update(_DISPATCH).where(_DISPATCH.c.id == bindparam("d_id")).values(status=bindparam("d_status")))
#: One statement locks, checks and moves a dispatch whose new status has a single legal origin.
_MOVE = Prepared(
    update(_DISPATCH)
    .where(_DISPATCH.c.id == bindparam("d_id"), _DISPATCH.c.status == bindparam("d_from"))
    .values(status=bindparam("d_status"))
    .returning(*_DISPATCH.c)
)
#: A dispatch's standing status changes (a change rejected by sync is listed with the conflicts instead).
_HISTORY = Prepared(
    select(_EVENT).where(_EVENT.c.dispatch_id == bindparam("d_id"), _EVENT.c.rejected.is_(False)).order_by(_EVENT.c.id)
)
_NEW_DISPATCH = Prepared(insert(_DISPATCH), insert_id=True)
_NEW_LINES, _NEW_EVENT = Prepared(insert(_LINE)), Prepared(insert(_EVENT))
#: For each status, the statuses it may be reached from.
ORIGINS = origins(TRANSITIONS)


class StatusChange(NamedTuple):
    """One step of a status log (dispatch, team or order): when, from, to, why and who."""

    at: datetime
    from_status: str | None
    to_status: str
    note: str
    actor: str

    @classmethod
    def of(cls, event: Any) -> StatusChange:
        """From anything with the log's columns as attributes (an ORM row or a Core row)."""
        return cls(event.at, event.from_status, event.to_status, event.note, event.actor)


@dataclass(frozen=True)
class DispatchRecord:
    """A dispatch as recorded: its row's facts, its lines ``(item, quantity)`` and its status log, oldest first."""

    id: int
    request_id: int
    station: str
    status: str
    exercise: bool
    created_by: str
    created_at: datetime
    lines: list[tuple[str, float]]
    history: list[StatusChange]

    @classmethod
    def of(cls, d: Any, lines: list[tuple[str, float]], events: list[Any]) -> DispatchRecord:
        """From anything with the dispatch's columns as attributes, its lines and its events."""
        history = [StatusChange.of(ev) for ev in events]
        return cls(d.id, d.request_id, d.station, d.status, d.exercise, d.created_by, d.created_at, lines, history)


@dataclass(frozen=True)
class DispatchDraft:
    """A checked new dispatch: its request and book, its station and its lines summed per item."""

    request_id: int
    exercise: bool
    station: str
    lines: dict[str, float]


def check_dispatch(conn: Connection, data: DispatchIn, codes: Codes | None = None) -> DispatchDraft:
    """Check a new dispatch's request, station and items (404 / 422) before the write lock, on any connection."""
    codes = codes or Codes()
    req = _BOOK_OF.first(conn, {"r_id": data.request_id})
    if req is None:
        raise UnknownCodeError("request", str(data.request_id))
    exercise = req.exercise
    require_approved(req.approval, data.request_id, req.approval_role, req.approval_why)
    codes.station(conn, data.station)
    require_own(conn, data.station)
    lines: dict[str, float] = defaultdict(float)
    for n, line in enumerate(data.lines):
        codes.item(conn, line.item, f"lines[{n}].item", quantity=line.quantity, quantity_field=f"lines[{n}].quantity")
        lines[line.item] += line.quantity
    return DispatchDraft(data.request_id, bool(exercise), data.station, dict(sorted(lines.items())))


def create_dispatch(session: Session, actor: str, data: DispatchIn, *, proposed: bool = False) -> int:
    """Check and plan a dispatch (reserving its lines), or only propose it; returns its id."""
    draft = check_dispatch(session.connection(), data)
    return _record(session, actor, draft, "proposed" if proposed else "planned")[0].id


def plan_dispatch(session: Session, actor: str, plan: DispatchDraft) -> DispatchRecord:
    """Record a dispatch and reserve its lines, or nothing (:class:`ConflictError` when stock is short)."""
    d, event = _record(session, actor, plan, "planned")
    return DispatchRecord.of(d, list(plan.lines.items()), [event])


def _record(session: Session, actor: str, plan: DispatchDraft, status: str) -> tuple[SimpleNamespace, SimpleNamespace]:
    conn, now = session.connection(), utcnow()
    d = SimpleNamespace(
        request_id=plan.request_id,
        station=plan.station,
        status=status,
        exercise=plan.exercise,
        created_by=actor,
        created_at=now,
    )
    d.id = _NEW_DISPATCH.insert(conn, vars(d))
    _NEW_LINES.many(conn, [{"dispatch_id": d.id, "item": i, "quantity": q} for i, q in plan.lines.items()])
    event = SimpleNamespace(at=now, from_status=None, to_status=status, note="", actor=actor)
    cause = new_uid()
    _NEW_EVENT.run(conn, {"dispatch_id": d.id, "uid": cause, "parent": None, **vars(event)})
    detail = {"request_id": plan.request_id, "station": plan.station, "lines": plan.lines}
    action = "dispatch.propose" if status == "proposed" else "dispatch.create"
    record(session, actor, action, f"dispatch:{d.id}", exercise=plan.exercise, detail=detail)
    if status == "planned":  # last: the stock rows stay locked (PostgreSQL) only from here to the commit
        ledger.reserve(session, actor, d.id, plan.lines, plan.station, plan.exercise, cause=cause)
    return d, event


def check_status(conn: Connection, dispatch_id: int) -> list[tuple[str, float]]:
    """A dispatch's lines (written with it, never changed), or 404 — before the write lock."""
    return check_move(conn, dispatch_id)[0]


def check_move(conn: Connection, dispatch_id: int) -> tuple[list[tuple[str, float]], bool]:
    """A dispatch's lines and whether it is an exercise's (both written with it, never changed), or
    404 — before the write lock, in one statement. Only an exercise dispatch can belong to a drill
    (a drill's units are exercise requests), so only its moves need the drill-closed check."""
    rows = _LINES_OF.rows(conn, {"d_id": dispatch_id})
    if rows:
        return [(item, qty) for item, qty, _ in rows], bool(rows[0].exercise)
    found = _EXISTS.first(conn, {"d_id": dispatch_id})
    if found is None:
        raise UnknownCodeError("dispatch", str(dispatch_id))
    return [], bool(found.exercise)


def move_dispatch(
    session: Session,
    actor: str,
    dispatch_id: int,
    status: str,
    note: str,
    lines: list[tuple[str, float]],
    *,
    received: dict[str, float] | None = None,
) -> DispatchRecord:
    """Move a dispatch along its lifecycle (``lines`` from :func:`check_status`); 409 on an illegal move.

    ``received`` (delivered only): what the unit received per item; short or over is recorded as a
    discrepancy (:func:`supply.service.ledger.dispatch_discrepancies`, the note its reason).

    The dispatch row is locked before its status is read, so two officers delivering the same
    dispatch at once cannot issue its stock twice.
    """
    if received is not None and status != "delivered":
        raise FieldError("received", f"received quantities go with 'delivered', not '{status}'")
    conn, sources = session.connection(), ORIGINS[status]
    moved = None
    if len(sources) == 1:  # UPDATE … WHERE status = origin: locks the row and re-checks it after any wait
        moved = _MOVE.first(conn, {"d_id": dispatch_id, "d_from": sources[0], "d_status": status})
    if moved is not None:
        d, current = moved, sources[0]
    else:
        d = _LOCKED.first(conn, {"d_id": dispatch_id})
        if d is None:
            raise UnknownCodeError("dispatch", str(dispatch_id))
        current = d.status
    require_own(session, d.station)  # a refusal rolls the caller's transaction back, the update with it
    if moved is None:
        check_transition(TRANSITIONS, "dispatch", dispatch_id, current, status)
        _SET.run(conn, {"d_id": dispatch_id, "d_status": status})
    event = {"at": utcnow(), "from_status": current, "to_status": status, "note": note, "actor": actor}
    # The standing log so far, read once: its last event is the head the new one is made on (the
    # parent sync follows, as :func:`~supply.service.sync.identity.head_uid` finds it).
    standing = _HISTORY.rows(conn, {"d_id": dispatch_id})
    cause, parent = new_uid(), standing[-1].uid if standing else None
    _NEW_EVENT.run(conn, {"dispatch_id": dispatch_id, "uid": cause, "parent": parent, **event})
    history = [*standing, SimpleNamespace(**event)]
    target, detail = f"dispatch:{dispatch_id}", {"from": current, "to": status}
    record(session, actor, f"dispatch.{status}", target, reason=note, exercise=d.exercise, detail=detail)
    # last: the stock rows stay locked (PostgreSQL) only from here to the commit
    if current == "proposed" and status == "planned":
        ledger.reserve(session, actor, dispatch_id, dict(lines), d.station, d.exercise, cause=cause)
    elif current != "proposed" and status in ("delivered", "cancelled"):
        delivered = status == "delivered"
        ledger.settle(session, actor, dispatch_id, dict(lines), d.station, d.exercise, delivered=delivered, cause=cause)
        if delivered and received is not None:
            ledger.dispatch_discrepancies(
                session, actor, dispatch_id, dict(lines), received, d.station, d.exercise, note, cause=cause
            )
    return DispatchRecord.of(SimpleNamespace(**{**d._asdict(), "status": status}), lines, history)
