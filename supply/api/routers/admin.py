"""Admin: the audit trail and users; health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from supply.api.deps import Admin, AdminWriterDep, ExerciseQuery, Limit, Offset, RuntimeDep, SessionDep, WhenQuery
from supply.api.models.admin import AuditEntryPublic, HealthPublic, UserCreatedPublic, UserPublic
from supply.api.models.common import READ, WRITE
from supply.core.types import NUL_FREE, NUL_FREE_NON_BLANK
from supply.service.audit import entries
from supply.service.auth import Role, add_user
from supply.service.models import User, id_of

router = APIRouter()


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=80, pattern=NUL_FREE_NON_BLANK)
    role: Role


@router.get("/health", tags=["health"])
def health() -> HealthPublic:
    """Liveness; no auth."""
    return HealthPublic(status="ok")


@router.get("/audit", tags=["admin"], responses=READ)
def get_audit(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Admin,
    actor: Annotated[str | None, Query(max_length=80, pattern=NUL_FREE)] = None,
    exercise: ExerciseQuery = None,
    since: WhenQuery = None,
    until: WhenQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[AuditEntryPublic]:
    """The audit trail, newest first; ``at`` in the display zone (Asia/Shanghai), ``at_utc`` as stored."""
    rows = entries(session, actor=actor, exercise=exercise, since=since, until=until, limit=limit, offset=offset)
    return [AuditEntryPublic.of(e, runtime.tz) for e in rows]


@router.get("/users", tags=["admin"], responses=READ)
def get_users(session: SessionDep, _: Admin) -> list[UserPublic]:
    return [UserPublic.of(u) for u in session.exec(select(User).order_by(User.id))]


@router.post("/users", status_code=201, tags=["admin"], response_model=UserCreatedPublic, responses=WRITE)
def post_user(body: UserIn, w: AdminWriterDep) -> Response:
    """Create a user; the token is in this answer only (409 if the name is taken)."""

    def act(s: Session) -> tuple[int, UserCreatedPublic]:
        user, token = add_user(s, body.name, body.role.value, actor=w.actor)
        return 201, UserCreatedPublic(id=id_of(user), name=user.name, role=user.role, token=token)

    return w.run(body, act)
