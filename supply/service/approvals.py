"""Approvals of support requests: pending → approved or rejected, once, by the role the rule names.

A request whose needs exceed an ``[[approvals]]`` threshold (:mod:`supply.core.approvals`) is
recorded ``pending`` with the deciding role and why; no dispatch is planned from it until it is
approved (:func:`require_approved`, called when a dispatch is checked). The requester never
decides their own request; every decision is audited with its reason.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from supply.core.approvals import ApprovalRule, needing_approval
from supply.core.errors import ConflictError, ForbiddenError, UnknownCodeError
from supply.service.audit import record
from supply.service.models import SupportRequest, utcnow

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def assess(req: SupportRequest, rules: list[ApprovalRule]) -> None:
    """Mark a new request pending when its needs trip a rule (the first rule's role decides)."""
    tripped = needing_approval(rules, req.needs, req.exercise)
    if tripped:
        req.approval, req.approval_role = PENDING, tripped[0].role
        req.approval_why = "; ".join(r.describe(req.needs) for r in tripped)


def require_approved(approval: str | None, request_id: int, role: str | None, why: str) -> None:
    """:class:`ConflictError` unless the request needs no approval or has it."""
    if approval == PENDING:
        raise ConflictError.worded(
            "request {id} needs a {role}'s approval ({why}) before a dispatch is planned from it",
            id=request_id,
            role=role or "",
            why=why,
        )
    if approval == REJECTED:
        raise ConflictError.worded("request {id} was rejected: no dispatch is planned from it", id=request_id)


def decide(session: Session, actor: str, role: str, request_id: int, *, approve: bool, reason: str) -> SupportRequest:
    """Approve or reject a pending request: by its rule's role (or an admin), never by its requester."""
    req = session.get(SupportRequest, request_id, with_for_update=True)
    if req is None:
        raise UnknownCodeError("request", str(request_id))
    if req.approval is None:
        raise ConflictError.worded("request {id} needs no approval", id=request_id)
    if role not in (req.approval_role, "admin"):
        raise ForbiddenError.worded(
            "request {id} is decided by a {needed}, not a {role}",
            id=request_id,
            needed=req.approval_role or "",
            role=role,
        )
    if req.created_by == actor:
        raise ForbiddenError.worded(
            "request {id} was made by {actor}: the requester cannot decide their own request",
            id=request_id,
            actor=actor,
        )
    if req.approval != PENDING:
        raise ConflictError.worded(
            "request {id} was {state} already by {who}", id=request_id, state=req.approval, who=req.decided_by or ""
        )
    req.approval = APPROVED if approve else REJECTED
    req.decided_by, req.decided_at, req.decision_reason = actor, utcnow(), reason
    session.add(req)
    session.flush()
    record(
        session,
        actor,
        f"request.{'approve' if approve else 'reject'}",
        f"request:{request_id}",
        reason=reason,
        exercise=req.exercise,
        detail={"role": role, "why": req.approval_why},
    )
    return req


def pending(session: Session, *, role: str | None = None, exercise: bool | None = None) -> list[SupportRequest]:
    """Requests waiting for a decision (those ``role`` decides, when given), oldest first."""
    q = select(SupportRequest).where(SupportRequest.approval == PENDING)
    if role is not None and role != "admin":
        q = q.where(SupportRequest.approval_role == role)
    if exercise is not None:
        q = q.where(SupportRequest.exercise == exercise)
    return list(session.exec(q.order_by(col(SupportRequest.id)).limit(500)))
