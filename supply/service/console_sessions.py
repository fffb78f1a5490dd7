"""Console sessions: server-side, so the browser never holds an API token.

Signing in (:func:`open_session`) makes a random 32-byte id, sent once to the browser in its
cookie; only its SHA-256 is stored (the id is high-entropy, so a fast hash is safe and the lookup
is an index hit). A session ends at the first of: ``hours`` after the sign-in (``expires_at``),
``idle_minutes`` without a request (``last_seen_at``), sign-out (:func:`close_session`: the row
is deleted), and its user's token being revoked or expiring. Signing in again replaces the
session the browser held (a new id: one planted before the sign-in is worth nothing after it).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import Connection, bindparam, delete, or_, select, update

from supply.core.errors import NotAuthenticatedError
from supply.service.auth import CALLER_COLUMNS, Caller, as_utc, caller_of, hash_token
from supply.service.models import ConsoleSession, User, table_of, utcnow

_SESSIONS = table_of(ConsoleSession)
_USERS = table_of(User)
#: ``last_seen_at`` is written at most this often (a page view is a read, not a write, most of the time).
TOUCH_EVERY = timedelta(seconds=60)

_LOOKUP = (
    select(_SESSIONS.c.last_seen_at, _SESSIONS.c.expires_at, *CALLER_COLUMNS)
    .join(_USERS, _USERS.c.id == _SESSIONS.c.user_id)
    .where(_SESSIONS.c.id_hash == bindparam("h"))
)


def open_session(conn: Connection, user_id: int, *, hours: float, idle_minutes: float, replaces: str | None) -> str:
    """Start a session for ``user_id``, valid ``hours``; returns its id (for the cookie only).

    Deletes the session ``replaces`` names (the browser's previous one) and every session already
    past its expiry or idle timeout, so the table holds only live sessions.
    """
    now = utcnow()
    if replaces:
        close_session(conn, replaces)
    stale = or_(_SESSIONS.c.expires_at <= now, _SESSIONS.c.last_seen_at <= now - timedelta(minutes=idle_minutes))
    conn.execute(delete(_SESSIONS).where(stale))
    raw = secrets.token_urlsafe(32)
    row = {"id_hash": hash_token(raw), "user_id": user_id, "created_at": now, "last_seen_at": now}
    conn.execute(_SESSIONS.insert(), {**row, "expires_at": now + timedelta(hours=hours)})
    return raw


def session_caller(conn: Connection, raw: str, *, idle_minutes: float) -> tuple[Caller, bool]:
    """The user of the live session ``raw``, and whether its ``last_seen_at`` is due a :func:`touch`.

    Raises :class:`NotAuthenticatedError` (naming why) for an unknown, expired or idle session, or
    one whose user's token was revoked or has expired.
    """
    row = conn.execute(_LOOKUP, {"h": hash_token(raw)}).first()
    now = utcnow()
    if row is None:
        msg = "no such session: sign in"
        raise NotAuthenticatedError(msg)
    if as_utc(row.expires_at) <= now:
        msg = "the session has expired: sign in again"
        raise NotAuthenticatedError(msg)
    last_seen = as_utc(row.last_seen_at)
    if last_seen <= now - timedelta(minutes=idle_minutes):
        msg = "the session was idle too long: sign in again"
        raise NotAuthenticatedError(msg)
    return caller_of(row), last_seen <= now - TOUCH_EVERY


def touch(conn: Connection, raw: str) -> None:
    """Record that the session ``raw`` was used now (its idle timeout starts again)."""
    conn.execute(update(_SESSIONS).where(_SESSIONS.c.id_hash == hash_token(raw)).values(last_seen_at=utcnow()))


def close_session(conn: Connection, raw: str) -> None:
    """End the session ``raw`` (sign-out): its row is deleted, so its id opens nothing any more."""
    conn.execute(delete(_SESSIONS).where(_SESSIONS.c.id_hash == hash_token(raw)))
