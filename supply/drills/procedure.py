"""A live drill's command procedure: a named sequence of steps, each with a target in minutes.

Each step's actual duration runs from the previous step's time (the first from the drill's
start), so the review can set every step against its target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from supply.core.errors import ConflictError, InvalidArgumentError, UnknownCodeError
from supply.core.types import Code, Strict, When
from supply.drills.chain import open_drill, require_joint
from supply.drills.models import Drill, DrillStep
from supply.service.audit import record
from supply.service.auth import Caller
from supply.service.models import utcnow

#: notice received → plan approved → teams alerted → dispatched → serving → reported (target minutes).
DEFAULT_PROCEDURE: tuple[tuple[str, float], ...] = (
    ("notice_received", 5),
    ("plan_approved", 60),
    ("teams_alerted", 30),
    ("dispatched", 60),
    ("serving", 120),
    ("reported", 60),
)


class StepIn(Strict):
    step: Code
    target_minutes: float = Field(ge=0, le=100_000, allow_inf_nan=False)


class StepDoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: When | None = Field(default=None, description="when the step was reached; default: now")


def add_steps(session: Session, drill_id: int, steps: list[StepIn] | None) -> None:
    pairs = [(s.step, s.target_minutes) for s in steps] if steps else list(DEFAULT_PROCEDURE)
    names = [p[0] for p in pairs]
    if len(set(names)) != len(names):
        msg = "procedure: step names must be unique"
        raise InvalidArgumentError(msg)
    for seq, (step, target) in enumerate(pairs):
        session.add(DrillStep(drill_id=drill_id, seq=seq, step=step, target_minutes=target))


def mark_step(session: Session, actor: Caller, drill_id: int, step: str, at: datetime | None = None) -> DrillStep:
    """Record that the procedure reached ``step`` (joint command; once per step)."""
    open_drill(session, drill_id)
    require_joint(session, drill_id, actor, "mark procedure steps")
    row = session.exec(select(DrillStep).where(DrillStep.drill_id == drill_id, DrillStep.step == step)).first()
    if row is None:
        known = session.exec(select(DrillStep.step).where(DrillStep.drill_id == drill_id)).all()
        raise UnknownCodeError("procedure step", step, known)
    if row.done_at is not None:
        raise ConflictError.worded("step {step} was already reached at {at}", step=step, at=row.done_at.isoformat())
    row.done_at, row.actor = at or utcnow(), actor.name
    session.add(row)
    record(
        session,
        actor.name,
        "drill.step",
        f"drill:{drill_id}",
        exercise=True,
        detail={"step": step, "at": row.done_at.isoformat()},
    )
    session.flush()
    return row


@dataclass(frozen=True)
class StepProgress:
    """One procedure step: its target, when it was reached and how long it took against the target."""

    step: str
    target_minutes: float
    actual_minutes: float | None
    done_at: datetime | None
    over_target: bool


def procedure(session: Session, drill: Drill) -> list[StepProgress]:
    """Each step's actual minutes (from the previous step's time, the first from the drill's start) vs target."""
    rows = session.exec(select(DrillStep).where(DrillStep.drill_id == drill.id).order_by(col(DrillStep.seq)))
    out: list[StepProgress] = []
    previous: datetime | None = drill.start_at
    for r in rows:
        actual = None
        if r.done_at is not None and previous is not None:
            actual = round((r.done_at - previous).total_seconds() / 60.0, 2)
        over = actual is not None and actual > r.target_minutes
        out.append(StepProgress(r.step, r.target_minutes, actual, r.done_at, over))
        previous = r.done_at
    return out
