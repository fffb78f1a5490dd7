"""Stock on the road: transfers sent and not yet received, and the overdue ones.

A transfer is in transit from its outgoing legs (:func:`supply.service.ledger.transfer`) until its
destination records what arrived (:func:`supply.service.ledger.receive_transfer`: a receipt, and
a discrepancy if short or over), unless it was reversed on the way. Read from the ledger alone, so
it syncs as the movements do: a node sees its incoming transfers as soon as the sender's legs reach it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from supply.service.ledger import DISCREPANCY, TRANSFER_IN, TRANSFER_OUT
from supply.service.models import Movement, utcnow


def in_transit(
    session: Session, *, exercise: bool = False, station: str | None = None, now: datetime | None = None
) -> list[dict]:
    """Every transfer on the road (to ``station`` alone when given), earliest due first, ``overdue`` flagged."""
    now = now or utcnow()
    other = aliased(Movement)
    arrived = exists().where(
        and_(col(other.transfer_ref) == col(Movement.transfer_ref), col(other.kind).in_((TRANSFER_IN, DISCREPANCY)))
    )
    undone = exists().where(col(other.reversal_of) == col(Movement.id))
    q = select(Movement).where(
        Movement.kind == TRANSFER_OUT,
        Movement.exercise == exercise,
        col(Movement.counterpart).is_not(None),
        ~arrived,
        ~undone,
    )
    if station is not None:
        q = q.where(Movement.counterpart == station)
    out: dict[str, dict] = {}
    for m in session.exec(q.order_by(col(Movement.id))):
        t = out.setdefault(
            m.transfer_ref or "",
            {
                "transfer_ref": m.transfer_ref,
                "from": m.station,
                "to": m.counterpart,
                "item": m.item,
                "quantity": 0.0,
                "lots": [],
                "sent_at": m.at,
                "due_at": m.due_at,
                "overdue": m.due_at is not None and m.due_at < now,
                "exercise": m.exercise,
            },
        )
        t["quantity"] += m.quantity
        t["lots"].append({"lot": m.lot, "expires_on": m.expires_on, "quantity": m.quantity})
    return sorted(out.values(), key=lambda t: (t["due_at"] is None, t["due_at"] or now, t["transfer_ref"]))


def incoming(session: Session, station: str, *, exercise: bool = False) -> dict[str, float]:
    """{item: quantity on the road to ``station``}."""
    totals: dict[str, float] = {}
    for t in in_transit(session, exercise=exercise, station=station):
        totals[t["item"]] = totals.get(t["item"], 0.0) + t["quantity"]
    return totals


def overdue_alerts(session: Session, *, exercise: bool = False, now: datetime | None = None) -> list[dict]:
    """One alert per transfer still on the road past its expected arrival."""
    return [
        {
            "station": t["to"],
            "item": t["item"],
            "kind": "overdue_transfer",
            "transfer_ref": t["transfer_ref"],
            "from": t["from"],
            "quantity": t["quantity"],
            "due_at": t["due_at"],
            "exercise": exercise,
        }
        for t in in_transit(session, exercise=exercise, now=now)
        if t["overdue"]
    ]
