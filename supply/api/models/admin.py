"""Health, users and the audit trail."""

from __future__ import annotations

from datetime import UTC
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from supply.api.models.common import LocalTime, Public
from supply.core.timefmt import local_iso
from supply.service.models import AuditEntry, User, id_of


class HealthPublic(Public):
    status: Literal["ok"]


class UserPublic(Public):
    """A user: never their token (stored hashed), but when it expires and whether it was revoked."""

    id: int
    name: str
    role: str
    station: str | None = Field(default=None, description="a node user's station; null otherwise")
    token_expires_at: LocalTime | None = Field(description="null: never (made before tokens expired)")
    revoked: bool

    @classmethod
    def of(cls, u: User, tz: ZoneInfo) -> UserPublic:
        expires = local_iso(u.token_expires_at, tz)
        revoked = u.revoked_at is not None
        return cls(id=id_of(u), name=u.name, role=u.role, station=u.station, token_expires_at=expires, revoked=revoked)


class UserCreatedPublic(UserPublic):
    """A new user, with their bearer token: shown in this answer only (stored hashed, never replayed)."""

    token: str | None = Field(description="null in an idempotent replay: the token is never stored")
    token_note: str | None = None


class AuditEntryPublic(Public):
    """Who did what, when and why."""

    id: int
    at: LocalTime = Field(description="in the display zone")
    at_utc: LocalTime = Field(description="as stored, in UTC")
    actor: str
    action: str
    target: str
    reason: str
    exercise: bool | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, e: AuditEntry, tz: ZoneInfo) -> AuditEntryPublic:
        return cls(
            id=id_of(e),
            at=local_iso(e.at, tz) or "",
            at_utc=local_iso(e.at, UTC) or "",
            actor=e.actor,
            action=e.action,
            target=e.target,
            reason=e.reason,
            exercise=e.exercise,
            detail=e.detail,
        )
