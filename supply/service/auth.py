"""Users, bearer tokens and roles.

A token is 32 random bytes (``secrets``), shown once; only its SHA-256 is stored (tokens are
high-entropy, so a fast hash is safe and lets the lookup be an index hit). A token expires
after the ``token_days`` setting and can be revoked (``jungong users revoke NAME``,
``POST /users/{name}/revoke``); either way it stops working at once.

A ``node`` user is a station's sync node (issue 14): bound to one station (``station``), it may
only push and pull that station's records under ``/sync/`` — it reads and writes nothing else.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from supply.core.errors import (
    ConflictError,
    ForbiddenError,
    InvalidArgumentError,
    NotAuthenticatedError,
    UnknownCodeError,
)
from supply.core.types import control_char
from supply.service.audit import record
from supply.service.ledger import require_station
from supply.service.models import User, table_of, utcnow
from supply.service.prepared import Prepared


class Role(StrEnum):
    officer = "officer"  # requests, dispatches, stock movements
    planner = "planner"  # reads everything
    commander = "commander"  # read-only
    admin = "admin"  # everything, users
    node = "node"  # a station's sync node: pushes and pulls its own station's records (/sync/) only


#: Roles allowed to write stock movements, requests and dispatches.
WRITERS = frozenset({Role.officer, Role.admin})
#: The people's roles: every one reads everything (a node is a machine account: /sync/ only).
READERS = frozenset(Role) - {Role.node}
ADMINS = frozenset({Role.admin})
#: Roles that may sync (push a bundle): a station's node (its own records only) or an admin (any bundle).
SYNCERS = frozenset({Role.node, Role.admin})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(
    session: Session, name: str, role: str, *, station: str | None = None, actor: str = "cli", token_days: float = 90
) -> tuple[User, str]:
    """Create a user; returns it and its token (which is not stored), valid ``token_days`` days.

    A ``node`` user needs its ``station`` (a known station code); no other role takes one.
    """
    if role not in Role.__members__:
        msg = f"unknown role '{role}': expected one of {', '.join(Role)}"
        raise InvalidArgumentError(msg)
    _check_station(session, role, station)
    if not name.strip() or len(name) > 80 or control_char(name):
        msg = "user name must be 1–80 characters, without control characters"
        raise InvalidArgumentError(msg)
    if session.exec(select(User).where(User.name == name)).first():
        msg = f"user '{name}' already exists"
        raise ConflictError(msg)
    token = "jg_" + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=token_days)
    user = User(name=name, role=role, station=station, token_hash=hash_token(token), token_expires_at=expires)
    session.add(user)
    detail = {"role": role, "expires_at": expires.isoformat()} | ({"station": station} if station else {})
    record(session, actor, "user.add", f"user:{name}", detail=detail)
    try:
        session.flush()
    except IntegrityError:
        msg = f"user '{name}' already exists"
        raise ConflictError(msg) from None
    return user, token


def _check_station(session: Session, role: str, station: str | None) -> None:
    """A node user is bound to one known station; the other roles are not bound to any."""
    if role != Role.node:
        if station is not None:
            msg = f"only a node user is bound to a station (role '{role}' takes no station)"
            raise InvalidArgumentError(msg)
        return
    if not station:
        msg = "a node user needs its station: the station code whose records it syncs (--station CODE)"
        raise InvalidArgumentError(msg)
    require_station(session, station)


class Caller(NamedTuple):
    """Who is calling: the user's id, name and role (and a node's station)."""

    id: int
    name: str
    role: str
    station: str | None = None


_USERS = table_of(User)
#: What :func:`caller_of` needs of a user's row (a console session's lookup selects them too).
CALLER_COLUMNS = (
    _USERS.c.id,
    _USERS.c.name,
    _USERS.c.role,
    _USERS.c.station,
    _USERS.c.token_expires_at,
    _USERS.c.revoked_at,
)
_CALLER = Prepared(select(*CALLER_COLUMNS).where(_USERS.c.token_hash == bindparam("token_hash")))  # type: ignore[call-overload]  # sqlmodel.select has no overload for a column list built at run time


def authenticate(conn: Connection, authorization: str | None) -> Caller:
    """The user holding the ``Bearer`` token in an ``Authorization`` header (one indexed lookup)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        msg = "missing bearer token: send 'Authorization: Bearer <token>'"
        raise NotAuthenticatedError(msg)
    row = _CALLER.first(conn, {"token_hash": hash_token(token.strip())})
    if row is None:
        msg = "invalid token"
        raise NotAuthenticatedError(msg)
    return caller_of(row)


def caller_of(row: Any) -> Caller:
    """The caller of a row of :data:`CALLER_COLUMNS`, unless their token was revoked or has expired."""
    if row.revoked_at is not None:
        msg = "this token was revoked"
        raise NotAuthenticatedError(msg)
    if row.token_expires_at is not None and as_utc(row.token_expires_at) <= utcnow():
        msg = "this token has expired: ask an admin for a new user"
        raise NotAuthenticatedError(msg)
    return Caller(row.id, row.name, row.role, row.station)


def as_utc(value: datetime) -> datetime:
    """Core selects bypass the ORM's UTC type on SQLite: naive values are UTC."""
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def revoke_user(session: Session, name: str, *, actor: str = "cli") -> User:
    """Revoke a user's token (it stops working at once); unknown names are an :class:`UnknownCodeError`."""
    user = session.exec(select(User).where(User.name == name).with_for_update()).first()
    if user is None:
        raise UnknownCodeError("user", name)
    if user.revoked_at is None:
        user.revoked_at = utcnow()
        session.add(user)
        record(session, actor, "user.revoke", f"user:{name}")
        session.flush()
    return user


def user_dict(user: User) -> dict:
    """A user as listed (never the token or its hash)."""
    return {
        "id": user.id,
        "name": user.name,
        "role": user.role,
        "station": user.station,
        "created_at": user.created_at.isoformat(),
        "token_expires_at": user.token_expires_at.isoformat() if user.token_expires_at else None,
        "revoked": user.revoked_at is not None,
    }


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.id))))


def require(user: Caller, allowed: frozenset[Role]) -> Caller:
    """Raise :class:`ForbiddenError` unless the user's role is allowed."""
    if user.role not in allowed:
        need = " or ".join(sorted(allowed))
        msg = f"role '{user.role}' may not do this (needs {need})"
        raise ForbiddenError(msg)
    return user
