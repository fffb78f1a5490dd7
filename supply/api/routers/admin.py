"""Admin: the audit trail and users; health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict

from supply.api.deps import Admin, AdminWriterDep, ExerciseQuery, Limit, Offset, RuntimeDep, SessionDep, WhenQuery
from supply.core.types import TEXT_PATTERN, UserName
from supply.service.audit import as_dict, entries
from supply.service.auth import Role, add_user, list_users, revoke_user, user_dict

router = APIRouter()


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: UserName
    role: Role


@router.get("/health", tags=["health"])
def health() -> dict:
    """Liveness; no auth."""
    return {"status": "ok"}


@router.get("/audit", tags=["admin"])
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
) -> list[dict]:
    """The audit trail, newest first; ``at`` in the display zone (Asia/Shanghai), ``at_utc`` as stored."""
    rows = entries(session, actor=actor, exercise=exercise, since=since, until=until, limit=limit, offset=offset)
    return [as_dict(e, runtime.tz) for e in rows]


@router.get("/users", tags=["admin"])
def get_users(session: SessionDep, _: Admin) -> list[dict]:
    """Every user: name, role, when their token expires, whether it was revoked (never a token)."""
    return [user_dict(u) for u in list_users(session)]


@router.post("/users", status_code=201, tags=["admin"])
def post_user(body: UserIn, w: AdminWriterDep, runtime: RuntimeDep):
    """Create a user; the token is in this answer only (an idempotent replay says it was shown once)."""

    def act(s):
        user, token = add_user(s, body.name, body.role.value, actor=w.actor, token_days=runtime.settings.token_days)
        return 201, {**user_dict(user), "token": token}

    return w.run(body, act, redact=_without_token)


def _without_token(answer: dict) -> dict:
    """What an ``Idempotency-Key`` keeps of a new user: everything but the token."""
    return {**answer, "token": None, "token_note": "the token was shown once, in the first answer; it is not stored"}


@router.post("/users/{name}/revoke", tags=["admin"], responses={404: {"description": "no such user"}})
def post_revoke(name: Annotated[str, Path(min_length=1, max_length=80, pattern=TEXT_PATTERN)], w: AdminWriterDep):
    """Revoke a user's token: it stops working at once."""
    return w.run(None, lambda s: (200, user_dict(revoke_user(s, name, actor=w.actor))))
