"""Engines and sessions for SQLite (WAL, busy timeout) and PostgreSQL (psycopg).

Nothing is built at import time: :func:`make_engine` takes a URL. Write transactions open with
:func:`write_session`: on SQLite that is ``BEGIN IMMEDIATE`` (one writer at a time across every
process, waiting up to the busy timeout); on PostgreSQL writers lock rows instead (see
:mod:`supply.service.ledger`).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session

from supply.core.errors import DatabaseBusyError, InvalidArgumentError

if sys.platform == "win32":  # pragma: no cover - not POSIX: SQLite's own busy handler queues writers
    fcntl = None
else:
    import fcntl

log = logging.getLogger(__name__)

#: How long a SQLite writer waits for the lock before giving up (seconds).
SQLITE_BUSY_SECONDS = 30.0
_IMMEDIATE = "jungong_immediate"
_ON_LOOP = "jungong_on_loop"
_NO_SNAPSHOT = "jungong_no_snapshot"


class WriteLockBusy(Exception):
    """A lock was not free soon enough for a writer on an event loop: SQLite's write lock
    (``write_session(on_loop=True)``), or a PostgreSQL row lock on a :func:`loop_engine` connection.

    Not an error of the request: nothing of its transaction was written (SQLite's lock comes before
    ``BEGIN IMMEDIATE``; PostgreSQL's transaction is rolled back), and the caller runs its write
    again where it may wait (:meth:`supply.api.deps.Writer.call`).
    """


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


def make_engine(url: str, *, busy_seconds: float = SQLITE_BUSY_SECONDS, **kwargs: Any) -> Engine:
    """An engine for ``url``, configured for concurrent writers (SQLite writers wait ``busy_seconds`` at most)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_seconds, **kwargs)
    # No ping per checkout (a round trip on every request): a connection found dead fails its
    # request with a DBAPIError the API answers as 503 "retry", and SQLAlchemy then discards the
    # whole pool, so the next request reconnects.
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 30)
    return create_engine(url, **kwargs)


#: Hosts a PostgreSQL server is on this machine at (its round trips take tens of µs).
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
#: PostgreSQL's "lock_not_available": a lock wait passed ``lock_timeout``.
_LOCK_NOT_AVAILABLE = "55P03"


def is_local_server(engine: Engine) -> bool:
    """Whether ``engine``'s database is on this machine: a SQLite file, or a PostgreSQL server on a
    loopback address or a Unix socket (no host)."""
    if is_sqlite(engine):
        return True
    host = engine.url.host or engine.url.query.get("host")
    return not host or (isinstance(host, str) and (host in _LOCAL_HOSTS or host.startswith("/")))


def loop_engine(engine: Engine) -> Engine:
    """The engine for writes that run on an event loop (:meth:`supply.api.deps.Writer.call`).

    On SQLite, ``engine`` itself: a writer there passes ``on_loop=True`` to :func:`write_session`,
    which bounds its wait for the write lock. On PostgreSQL a small pool of its own (one event loop
    uses one connection at a time, two when a check reads beside its write), whose connections wait
    at most :data:`LOOP_WAIT_SECONDS` for a row lock (``lock_timeout``): a longer wait raises
    :class:`WriteLockBusy`, the transaction is rolled back, and the write runs again in a worker
    thread, where it waits as any write does. Dispose of it with ``engine``.
    """
    if is_sqlite(engine):
        return engine
    ms = max(1, round(LOOP_WAIT_SECONDS * 1000))
    loop = create_engine(engine.url, pool_size=2, max_overflow=2, connect_args={"options": f"-c lock_timeout={ms}"})

    @event.listens_for(loop, "handle_error")
    def _lock_busy(context: Any) -> None:
        if getattr(context.original_exception, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise WriteLockBusy() from context.original_exception

    return loop


def existing_engine(url: str) -> Engine:
    """An engine on a database that must already be initialised; creates nothing (no SQLite file, no folder).

    Raises :class:`~supply.core.errors.NotInitialisedError` (run ``jungong db init``) or
    :class:`~supply.core.errors.DatabaseUnavailableError`.
    """
    from supply.core.errors import NotInitialisedError
    from supply.service.migrate import check_initialised

    url = normalise_url(url)
    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(str(file)).is_file():
        msg = f"no database at {parsed.database}: run `jungong db init` first (or pass --db URL)"
        raise NotInitialisedError(msg)
    engine = make_engine(url)
    try:
        check_initialised(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def reader(engine: Engine) -> Engine:
    """``engine`` for reads outside a write: on PostgreSQL in autocommit (no BEGIN/ROLLBACK round trips).

    Under PostgreSQL's READ COMMITTED every statement sees its own snapshot anyway, so reads lose
    nothing; SQLite keeps its deferred transaction (one snapshot for all of a request's reads).
    """
    return engine if is_sqlite(engine) else engine.execution_options(isolation_level="AUTOCOMMIT")


def fact_reader(engine: Engine) -> Engine:
    """``engine`` for reads that need no common snapshot — one statement (a token's user), or facts that
    never change once written (a dispatch's lines): no transaction around them on SQLite (no BEGIN, no
    ROLLBACK: each statement sees the last commit), autocommit on PostgreSQL (as :func:`reader`)."""
    if is_sqlite(engine):
        return engine.execution_options(**{_NO_SNAPSHOT: True})
    return reader(engine)


def _sqlite_engine(url: str, busy_seconds: float, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_seconds}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        # NORMAL in WAL mode syncs the WAL at checkpoints, not at every commit: a commit survives any
        # crash of the application (or a kill of the server) — it is in the WAL file the OS holds —
        # and only an OS crash or power loss could roll back the last commits, never corrupt the file.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    lock_path = f"{database}.writelock" if database and database != ":memory:" else None
    queue = threading.Lock()  # this engine's writers, one at a time, before the file lock

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get(_NO_SNAPSHOT, False):
            return  # each statement is its own snapshot (sqlite3 runs it outside a transaction)
        immediate = options.get(_IMMEDIATE, False)
        if immediate and lock_path:
            _queue(conn, lock_path, busy_seconds, queue, on_loop=options.get(_ON_LOOP, False))
        # on the driver's connection: through SQLAlchemy's execution path it costs more than it runs
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    # SQLAlchemy's commit and rollback events come *before* the driver's: ending the transaction here,
    # on the driver, and only then letting go of the write lock means the next writer's BEGIN IMMEDIATE
    # finds the database free — not still committing, which would put it to sleep in SQLite's busy
    # handler (1 ms at least). The driver's own commit or rollback then finds nothing left to end.
    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        _end(conn, "COMMIT")

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        _end(conn, "ROLLBACK")

    return engine


def _queue(conn: Any, lock_path: str, busy_seconds: float, queue: threading.Lock, *, on_loop: bool = False) -> None:
    """Wait for the write lock, at most ``busy_seconds``: then :class:`DatabaseBusyError`.

    The lock is an OS file lock (``flock``) shared by every process; inside one process the engine's
    writers first queue on ``queue``, a thread lock, so only one of them waits on the file. Each
    hand-over is immediate — a thread lock wakes its next waiter at once, and a blocked ``flock``
    returns as soon as the other process lets go — where SQLite's busy handler (and polling) sleeps
    in steps of milliseconds, idle time that showed up as latency and lost throughput under
    concurrent writers. The wait on the file runs in a helper thread so it has an end (503 +
    Retry-After): a helper that gets the lock after its writer gave up closes its file, freeing it.

    ``on_loop``: the writer runs on an event loop, which must not block for long. It waits at most
    :data:`LOOP_WAIT_SECONDS`, looking at the file lock every :data:`LOOP_POLL_SECONDS` (another
    process's short write takes a fraction of a millisecond), and never for a thread of its own
    process; then :class:`WriteLockBusy`, and the caller waits where it may.
    """
    if fcntl is None:
        return
    deadline = time.monotonic() + busy_seconds
    if not (queue.acquire(blocking=False) if on_loop else queue.acquire(timeout=busy_seconds)):
        raise WriteLockBusy() if on_loop else _busy(busy_seconds)
    try:
        fd = conn.info.get("jungong_lock_fd")
        if fd is None:
            fd = conn.info["jungong_lock_fd"] = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        if on_loop:
            _poll_for(fd)
        else:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not _wait_for(fd, deadline):
                    del conn.info["jungong_lock_fd"]  # the helper owns (and closes) it now
                    raise _busy(busy_seconds) from None
    except BaseException:
        queue.release()
        raise
    conn.info["jungong_locked"] = queue


#: How long a writer on an event loop waits for another process's write before handing itself to a thread.
LOOP_WAIT_SECONDS = 0.02
#: How often it looks at the file lock meanwhile (a sleep frees the interpreter for the process's other threads).
LOOP_POLL_SECONDS = 0.0001


def _poll_for(fd: int) -> None:
    """Take the file lock on ``fd`` within :data:`LOOP_WAIT_SECONDS`, or raise :class:`WriteLockBusy`."""
    deadline = time.monotonic() + LOOP_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WriteLockBusy() from None
            time.sleep(LOOP_POLL_SECONDS)


def _wait_for(fd: int, deadline: float) -> bool:
    """Take the file lock on ``fd`` with a blocking ``flock`` in a helper thread, waiting until ``deadline``.

    False when the deadline passed first: the helper then closes ``fd`` as soon as it gets the lock.
    """
    got, gate, abandoned = threading.Event(), threading.Lock(), [False]

    def take() -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with gate:
            if abandoned[0]:
                os.close(fd)  # frees the lock its writer no longer waits for
                return
            got.set()

    threading.Thread(target=take, name="jungong-write-lock", daemon=True).start()
    if got.wait(max(deadline - time.monotonic(), 0.0)):
        return True
    with gate:
        if got.is_set():
            return True
        abandoned[0] = True
    return False


def _busy(busy_seconds: float) -> DatabaseBusyError:
    return DatabaseBusyError(f"the database is busy: another writer held it for more than {busy_seconds:g} s; retry")


def _end(conn: Any, how: str) -> None:
    """End the open transaction on the driver (``COMMIT`` / ``ROLLBACK``), then leave the write lock."""
    try:
        driver = conn.connection.driver_connection
        if driver.in_transaction:
            driver.execute(how)
    except Exception:
        if how == "COMMIT":
            raise  # the commit failed: the caller's rollback follows
        # a rollback that fails here is the driver's own rollback's to report (it runs next)
    finally:
        _leave(conn)


def _leave(conn: Any) -> None:
    queue = conn.info.pop("jungong_locked", None)
    if queue is not None:
        fcntl.flock(conn.info["jungong_lock_fd"], fcntl.LOCK_UN)
        queue.release()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def read_session(engine: Engine) -> Session:
    """A session for reading (and for writes that need no serialisation)."""
    return Session(engine, expire_on_commit=False)


def write_session(engine: Engine, *, on_loop: bool = False) -> Session:
    """A session whose transaction takes the write lock at once on SQLite.

    ``on_loop``: the writer runs on an event loop: when SQLite's write lock is not free within
    :data:`LOOP_WAIT_SECONDS` (or a thread of this process holds it), :class:`WriteLockBusy`
    instead of a longer wait (see :func:`_queue`).
    """
    session = Session(engine, expire_on_commit=False)
    try:
        session.connection(execution_options={_IMMEDIATE: True, _ON_LOOP: on_loop})
    except BaseException:
        session.close()
        raise
    return session
