"""The audit trail: who did what, when and why, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from supply.service.models import CENTRE, AuditEntry, seed_uid, table_of, utcnow
from supply.service.prepared import Prepared

_INSERT = Prepared(insert(table_of(AuditEntry)))  # compiled once, run on the driver: the write path's statement


def record(
    session: Session,
    actor: str,
    action: str,
    target: str,
    *,
    reason: str = "",
    exercise: bool | None = None,
    detail: dict[str, Any] | None = None,
    seed: str | None = None,
) -> None:
    """Add one audit entry (not committed: it lands with the change it describes).

    A plain INSERT on the session's connection: no ORM object, no flush. ``seed``: the entry is
    about a record every database loads alike (opening stock): its uid derives from it, the centre's.
    """
    row = {"at": utcnow(), "actor": actor, "action": action, "target": target, "reason": reason}
    if seed is not None:
        row |= {"uid": seed_uid("audit", seed), "origin": CENTRE}
    _INSERT.run(session.connection(), {**row, "exercise": exercise, "detail": detail or {}})


def entries(
    session: Session,
    *,
    actor: str | None = None,
    exercise: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEntry]:
    """Audit entries, newest first."""
    q = select(AuditEntry)
    if actor is not None:
        q = q.where(AuditEntry.actor == actor)
    if exercise is not None:
        q = q.where(AuditEntry.exercise == exercise)
    if since is not None:
        q = q.where(col(AuditEntry.at) >= since)
    if until is not None:
        q = q.where(col(AuditEntry.at) < until)
    return list(session.exec(q.order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit)))
