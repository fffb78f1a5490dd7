"""SQLite's write lock is handed from one writer to the next at once (issue 21).

Writers queue on an OS file lock (``supply.service.db``). Two faults cost every contended write
milliseconds of idle time: the lock was let go *before* the transaction's COMMIT, so the next
writer's ``BEGIN IMMEDIATE`` found the database still committing and slept in SQLite's busy handler
(1 ms at least); and a waiting writer polled the file lock, sleeping up to 2 ms between tries.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

from sqlalchemy import event, text

from supply.service import db as dbmod
from supply.service.db import make_engine, write_session


def _engine(path: Path, busy_seconds: float = 10.0):
    engine = make_engine(f"sqlite:///{path}", busy_seconds=busy_seconds)

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_conn, _record) -> None:  # after make_engine's: SQLite itself never waits
        dbapi_conn.execute("PRAGMA busy_timeout=0")

    return engine


def test_the_next_writer_never_finds_the_database_still_committing(tmp_path: Path) -> None:
    """With SQLite's own busy wait off, a BEGIN IMMEDIATE that met a commit in progress would fail
    ("database is locked"): two writers (two engines, as two server processes) never do."""
    path = tmp_path / "w.db"
    setup = make_engine(f"sqlite:///{path}")
    with setup.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    setup.dispose()
    engines = [_engine(path), _engine(path)]
    errors: list[BaseException] = []

    def write(engine) -> None:
        try:
            for n in range(150):
                with write_session(engine) as s:
                    s.connection().execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": str(n)})
                    s.commit()
        except BaseException as exc:  # noqa: BLE001  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    assert not errors, errors[0]
    check = make_engine(f"sqlite:///{path}")
    with check.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 300
    check.dispose()


def test_a_waiting_writer_blocks_on_the_lock_instead_of_polling_it(tmp_path: Path, monkeypatch) -> None:
    """While another process holds the lock for 0.3 s the waiting writer tries it a handful of times
    (a polling wait, in steps of at most 2 ms, tried it over a hundred), and gets it once it is free."""
    path = tmp_path / "w.db"
    engine = make_engine(f"sqlite:///{path}", busy_seconds=10)
    tries = [0]
    real = fcntl.flock

    def counting(fd: int, op: int) -> None:
        if op & fcntl.LOCK_EX:
            tries[0] += 1
        real(fd, op)

    monkeypatch.setattr(dbmod.fcntl, "flock", counting)
    other = os.open(f"{path}.writelock", os.O_RDWR | os.O_CREAT, 0o600)
    real(other, fcntl.LOCK_EX)  # another process writes
    got: list[float] = []

    def write() -> None:
        with write_session(engine) as s:
            got.append(time.monotonic())
            s.commit()

    t = threading.Thread(target=write)
    t.start()
    time.sleep(0.3)
    freed = time.monotonic()
    real(other, fcntl.LOCK_UN)
    t.join(10)
    os.close(other)
    engine.dispose()
    assert got and got[0] >= freed
    assert tries[0] <= 3, f"{tries[0]} tries of the lock while waiting 0.3 s"


def test_a_writer_that_gave_up_leaves_the_lock_free(tmp_path: Path) -> None:
    """After the busy timeout the writer fails (503 in the API); its helper, getting the lock later,
    lets it go at once, so the next writer gets it."""
    import pytest

    from supply.core.errors import DatabaseBusyError

    path = tmp_path / "w.db"
    engine = make_engine(f"sqlite:///{path}", busy_seconds=0.2)
    other = os.open(f"{path}.writelock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(other, fcntl.LOCK_EX)
    with pytest.raises(DatabaseBusyError):
        write_session(engine)
    fcntl.flock(other, fcntl.LOCK_UN)
    os.close(other)
    with write_session(engine) as s:  # within the busy timeout
        s.commit()
    engine.dispose()


def test_a_writer_on_the_event_loop_waits_briefly_then_steps_aside(tmp_path: Path) -> None:
    """``write_session(on_loop=True)``: the lock taken at once when free, or within the loop's short
    wait when another process lets go soon; :class:`WriteLockBusy` (nothing begun) when it stays
    taken, and at once when a thread of this process holds it."""
    path = tmp_path / "w.db"
    engine = _engine(path)
    with write_session(engine, on_loop=True) as s:  # free: taken at once
        s.connection().execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        s.commit()

    other = os.open(f"{path}.writelock", os.O_RDWR)  # another process's writer, as far as flock can tell
    fcntl.flock(other, fcntl.LOCK_EX)
    t0 = time.monotonic()
    try:
        write_session(engine, on_loop=True)
        raise AssertionError("the lock was held by another writer")
    except dbmod.WriteLockBusy:
        waited = time.monotonic() - t0
    assert dbmod.LOOP_WAIT_SECONDS <= waited < dbmod.LOOP_WAIT_SECONDS + 0.5
    threading.Timer(0.005, fcntl.flock, (other, fcntl.LOCK_UN)).start()  # let go within the loop's wait
    with write_session(engine, on_loop=True) as s:
        s.connection().execute(text("INSERT INTO t DEFAULT VALUES"))
        s.commit()
    os.close(other)

    held, done = threading.Event(), threading.Event()

    def hold() -> None:  # a worker thread of this process writing
        with write_session(engine) as s:
            s.connection().execute(text("INSERT INTO t DEFAULT VALUES"))
            held.set()
            done.wait(5)
            s.commit()

    writer = threading.Thread(target=hold)
    writer.start()
    held.wait(5)
    t0 = time.monotonic()
    try:
        write_session(engine, on_loop=True)
        raise AssertionError("the lock was held by a thread of this process")
    except dbmod.WriteLockBusy:
        assert time.monotonic() - t0 < dbmod.LOOP_WAIT_SECONDS  # no wait for its own threads
    done.set()
    writer.join()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2  # every write that began, committed
    engine.dispose()
