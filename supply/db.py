"""Engines and sessions for SQLite (WAL, busy timeout) and PostgreSQL (psycopg).

Nothing is built at import time: :func:`make_engine` takes a URL. Write transactions open with
:func:`write_session`: on SQLite that is ``BEGIN IMMEDIATE`` (one writer at a time across every
process, waiting up to the busy timeout); on PostgreSQL writers lock rows instead (see
:mod:`supply.ledger`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session

from .errors import InvalidArgumentError

log = logging.getLogger(__name__)

#: How long a SQLite writer waits for the lock before giving up (seconds).
SQLITE_BUSY_SECONDS = 30.0
_IMMEDIATE = "jungong_immediate"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as psycopg 3 URLs; reject what is not a URL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        parsed = make_url(url)
    except ArgumentError:
        msg = f"--db '{url}': not a database URL (expected sqlite:///path or postgresql+psycopg://...)"
        raise InvalidArgumentError(msg) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        msg = f"--db '{url}': only SQLite and PostgreSQL are supported"
        raise InvalidArgumentError(msg)
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``, configured for concurrent writers."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 30)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def read_session(engine: Engine) -> Session:
    """A session for reading (and for writes that need no serialisation)."""
    return Session(engine, expire_on_commit=False)


def write_session(engine: Engine) -> Session:
    """A session whose transaction takes the write lock at once on SQLite."""
    session = Session(engine, expire_on_commit=False)
    session.connection(execution_options={_IMMEDIATE: True})
    return session
