"""Users, bearer tokens and roles.

A token is 32 random bytes (``secrets``), shown once; only its SHA-256 is stored (tokens are
high-entropy, so a fast hash is safe and lets the lookup be an index hit).
"""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import Connection, bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from supply.core.errors import ConflictError, ForbiddenError, InvalidArgumentError, NotAuthenticatedError
from supply.service.audit import record
from supply.service.models import User, table_of


class Role(StrEnum):
    officer = "officer"  # requests, dispatches, stock movements
    planner = "planner"  # reads everything
    commander = "commander"  # read-only
    admin = "admin"  # everything, users


#: Roles allowed to write stock movements, requests and dispatches.
WRITERS = frozenset({Role.officer, Role.admin})
READERS = frozenset(Role)
ADMINS = frozenset({Role.admin})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(session: Session, name: str, role: str, *, actor: str = "cli") -> tuple[User, str]:
    """Create a user; returns it and its token (which is not stored)."""
    if role not in Role.__members__:
        msg = f"unknown role '{role}': expected one of {', '.join(Role)}"
        raise InvalidArgumentError(msg)
    if not name.strip() or len(name) > 80:
        msg = "user name must be 1–80 characters"
        raise InvalidArgumentError(msg)
    if session.exec(select(User).where(User.name == name)).first():
        msg = f"user '{name}' already exists"
        raise ConflictError(msg)
    token = "jg_" + secrets.token_urlsafe(32)
    user = User(name=name, role=role, token_hash=hash_token(token))
    session.add(user)
    record(session, actor, "user.add", f"user:{name}", detail={"role": role})
    try:
        session.flush()
    except IntegrityError:
        msg = f"user '{name}' already exists"
        raise ConflictError(msg) from None
    return user, token


class Caller(NamedTuple):
    """Who is calling: the user's id, name and role."""

    id: int
    name: str
    role: str


_USERS = table_of(User)
_CALLER = select(_USERS.c.id, _USERS.c.name, _USERS.c.role).where(_USERS.c.token_hash == bindparam("token_hash"))


def authenticate(conn: Connection, authorization: str | None) -> Caller:
    """The user holding the ``Bearer`` token in an ``Authorization`` header (one indexed lookup)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        msg = "missing bearer token: send 'Authorization: Bearer <token>'"
        raise NotAuthenticatedError(msg)
    row = conn.execute(_CALLER, {"token_hash": hash_token(token.strip())}).first()
    if row is None:
        msg = "invalid token"
        raise NotAuthenticatedError(msg)
    return Caller(*row)


def require(user: Caller, allowed: frozenset[Role]) -> Caller:
    """Raise :class:`ForbiddenError` unless the user's role is allowed."""
    if user.role not in allowed:
        need = " or ".join(sorted(allowed))
        msg = f"role '{user.role}' may not do this (needs {need})"
        raise ForbiddenError(msg)
    return user
