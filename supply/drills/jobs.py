"""A drill's planning job: ``planning`` → ``open``, or ``failed`` with the reason; progress; cancel; recovery.

``POST /drills`` writes the drill as ``planning`` (:func:`supply.drills.start.create_drill`) and
answers at once; the job (run outside the request workers, see :mod:`supply.api.drill_jobs`)
simulates the plan, writes the units in batches and opens the drill. Each step of the job is a
conditional UPDATE on a drill still ``planning``, so a cancelled job learns it at its next step and
writes nothing more::

    planning ──► open ──► closed
        └──► failed (reason: an error, a cancel, a server stopped mid-job)

A job records its owner (``host:pid`` of the server process that runs it). A server process
claims the ``planning`` drills whose owner is gone (:func:`claim_orphans`, at start-up and every
few seconds) and runs them again: the simulation is deterministic (same seed) and units already
written are skipped; after :data:`MAX_RESUMES` resumes a drill is failed instead. Drills still
planning are capped per user and in all (:func:`check_queue`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from supply.core.errors import ConflictError, DrillNotReadyError, ServerBusyError, TooManyJobsError
from supply.drills.chain import get_drill, require_joint
from supply.drills.models import Drill
from supply.service.audit import record
from supply.service.auth import Caller
from supply.service.models import table_of, utcnow

_DRILL = table_of(Drill)
#: How often a drill's planning is resumed after its server process stopped before it is failed.
MAX_RESUMES = 2
#: Seconds a caller refused for a full drill queue is told to wait (``Retry-After``).
QUEUE_RETRY_AFTER = 30


def _planning(drill_id: int) -> Any:
    return update(_DRILL).where(_DRILL.c.id == drill_id, _DRILL.c.status == "planning")


def set_progress(session: Session, drill_id: int, share: float) -> bool:
    """Record the job's progress; ``False`` if the drill is no longer planning (cancelled: stop)."""
    result = session.connection().execute(_planning(drill_id).values(progress=round(min(max(share, 0.0), 1.0), 4)))
    return result.rowcount == 1


def fail(session: Session, drill_id: int, reason: str) -> bool:
    """Mark a planning drill failed with ``reason``; ``False`` if it was not planning any more."""
    values = {"status": "failed", "error": reason[:2000], "job_owner": None}
    return session.connection().execute(_planning(drill_id).values(**values)).rowcount == 1


def finish(session: Session, drill_id: int, plan: dict, without_request: list[str]) -> bool:
    """Open the drill with its plan; ``False`` if it was cancelled meanwhile."""
    drill = get_drill(session, drill_id)
    job = {**(drill.job or {}), "units_without_request": without_request}
    values = {"status": "open", "plan": plan, "progress": 1.0, "job": job, "job_owner": None}
    return session.connection().execute(_planning(drill_id).values(**values)).rowcount == 1


def cancel(session: Session, actor: Caller, drill_id: int) -> Drill:
    """Stop a drill's planning job (its joint command or an admin); 409 unless it is planning."""
    drill = get_drill(session, drill_id, for_update=True)
    require_joint(session, drill_id, actor, "cancel its planning")
    if drill.status != "planning":
        msg = f"drill {drill_id} is {drill.status}: only a drill still planning can be cancelled"
        raise ConflictError(msg)
    fail(session, drill_id, f"cancelled by {actor.name} at {utcnow().isoformat(timespec='seconds')}")
    record(session, actor.name, "drill.cancel", f"drill:{drill_id}", exercise=True)
    session.flush()
    session.refresh(drill)
    return drill


def orphaned(session: Session, alive: Callable[[str], bool]) -> bool:
    """Whether any planning drill's owner is gone (a read: :func:`claim_orphans` takes them over)."""
    owners = session.exec(select(Drill.job_owner).where(Drill.status == "planning")).all()
    return any(owner is None or not alive(owner) for owner in owners)


def claim_orphans(session: Session, me: str, alive: Callable[[str], bool]) -> list[tuple[int, str]]:
    """Take over the planning drills whose owner is gone: ``(id, starter)`` of each to resume (each
    claimed by one process); one interrupted :data:`MAX_RESUMES` times already is failed instead."""
    q = select(Drill.id, Drill.job_owner, Drill.job, Drill.created_by).where(Drill.status == "planning")
    claimed: list[tuple[int, str]] = []
    for drill_id, owner, job, user in session.exec(q.order_by(col(Drill.id))).all():
        if drill_id is None:
            continue
        if owner is not None and alive(owner):
            continue
        stmt = _planning(drill_id).where(_DRILL.c.job_owner.is_(None) if owner is None else _DRILL.c.job_owner == owner)
        resumes = int((job or {}).get("resumes", 0))
        if resumes >= MAX_RESUMES:
            reason = (
                f"planning was interrupted {resumes + 1} times (the server process running it stopped "
                f"each time: last {owner or 'unknown'}); start the drill again"
            )
            session.connection().execute(stmt.values(status="failed", error=reason, job_owner=None))
            continue
        values = {"job_owner": me, "job": {**(job or {}), "resumes": resumes + 1}}
        if session.connection().execute(stmt.values(**values)).rowcount == 1:
            claimed.append((drill_id, user))
    return claimed


def check_queue(session: Session, user: str, *, per_user: int, overall: int) -> None:
    """Room for one more drill to plan: at most ``per_user`` of ``user``'s and ``overall`` in all.

    Over ``per_user``: :class:`TooManyJobsError` (429); over ``overall``: :class:`ServerBusyError`
    (503), both with a ``Retry-After``. Failed, open and closed drills never count.
    """
    rows = session.exec(select(Drill.created_by).where(Drill.status == "planning")).all()
    mine = sum(1 for who in rows if who == user)
    if mine >= per_user:
        msg = (
            f"{user} has {mine} drills planning, the most one user may "
            f"(setting JUNGONG_DRILL_QUEUE_PER_USER={per_user}); retry when one is open"
        )
        raise TooManyJobsError(msg, QUEUE_RETRY_AFTER)
    if len(rows) >= overall:
        msg = (
            f"the server plans {len(rows)} drills, the most it may at once "
            f"(setting JUNGONG_DRILL_QUEUE={overall}); retry shortly"
        )
        raise ServerBusyError(msg, QUEUE_RETRY_AFTER)


def require_planned(drill: Drill, what: str) -> None:
    """A drill's plan and review exist once it is ``open`` or ``closed``: 409 naming its status otherwise."""
    if drill.status in ("open", "closed"):
        return
    why = f": {drill.error}" if drill.status == "failed" and drill.error else ""
    msg = f"drill {drill.id} is {drill.status}{why}; its {what} exists once it is open"
    raise DrillNotReadyError(msg)
