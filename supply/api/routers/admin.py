"""Admin: the audit trail and users; health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from supply.api.deps import Admin, AdminWriterDep, ExerciseQuery, Limit, Offset, RuntimeDep, SessionDep, WhenQuery
from supply.api.models.admin import AuditEntryPublic, HealthPublic, UserCreatedPublic, UserPublic
from supply.api.models.common import READ, WRITE
from supply.core.types import TEXT_PATTERN, Code, UserName
from supply.service.audit import entries
from supply.service.auth import Role, add_user, list_users, revoke_user

router = APIRouter()


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: UserName
    role: Role
    station: Code | None = Field(default=None, description="a node user's station (role 'node' only)")


@router.get("/health", tags=["health"])
def health() -> HealthPublic:
    """Liveness; no auth."""
    return HealthPublic(status="ok")


@router.get("/audit", tags=["admin"], responses=READ)
def get_audit(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Admin,
    actor: Annotated[str | None, Query(max_length=80, pattern=TEXT_PATTERN)] = None,
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
def get_users(session: SessionDep, runtime: RuntimeDep, _: Admin) -> list[UserPublic]:
    """Every user: name, role, when their token expires, whether it was revoked (never a token)."""
    return [UserPublic.of(u, runtime.tz) for u in list_users(session)]


@router.post("/users", status_code=201, tags=["admin"], response_model=UserCreatedPublic, responses=WRITE)
def post_user(body: UserIn, w: AdminWriterDep, runtime: RuntimeDep) -> Response:
    """Create a user; the token is in this answer only (409 if the name is taken; a replay says it was shown once)."""

    def act(s: Session) -> tuple[int, UserCreatedPublic]:
        user, token = add_user(
            s, body.name, body.role.value, station=body.station, actor=w.actor, token_days=runtime.settings.token_days
        )
        return 201, UserCreatedPublic.model_validate({**UserPublic.of(user, w.tz).model_dump(), "token": token})

    return w.run(body, act, redact=_without_token)


def _without_token(answer: UserCreatedPublic) -> UserCreatedPublic:
    """What an ``Idempotency-Key`` keeps of a new user: everything but the token."""
    note = "the token was shown once, in the first answer; it is not stored"
    return answer.model_copy(update={"token": None, "token_note": note})


@router.post("/users/{name}/revoke", tags=["admin"], response_model=UserPublic, responses=WRITE)
def post_revoke(
    name: Annotated[str, Path(min_length=1, max_length=80, pattern=TEXT_PATTERN)], w: AdminWriterDep
) -> Response:
    """Revoke a user's token: it stops working at once (404 for an unknown user)."""
    return w.run(None, lambda s: (200, UserPublic.of(revoke_user(s, name, actor=w.actor), w.tz)))
