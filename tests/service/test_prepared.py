"""Statements run on the driver (``supply.service.prepared``) write and read what SQLAlchemy's own
execution path does, raise its errors, and stay visible to its statement events — on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from supply.service.db import make_engine, write_session
from supply.service.models import CENTRE, AuditEntry, Dispatch, StockLock, table_of
from supply.service.prepared import Prepared

AUDIT, LOCKS, DISPATCH = table_of(AuditEntry), table_of(StockLock), table_of(Dispatch)


@pytest.fixture
def engine(db):
    engine = make_engine(db.url)
    yield engine
    engine.dispose()


def test_an_insert_takes_the_columns_defaults_and_reads_back_as_sqlalchemy_reads_it(engine):
    """uid, origin (the node, from the connection) and the UTC time: the same row either way."""
    at = datetime(2030, 5, 1, 4, 0, 0, tzinfo=UTC)  # no microseconds: SQLite's text form must still match
    row = {"at": at, "actor": "a", "action": "x.y", "target": "t:1", "reason": "", "exercise": True}
    with write_session(engine) as s:
        conn = s.connection()
        new_id = Prepared(insert(AUDIT), insert_id=True).insert(conn, {**row, "detail": {"n": [1, 2]}})
        by_sqlalchemy = conn.execute(select(AUDIT).where(AUDIT.c.id == new_id)).one()
        by_driver = Prepared(select(AUDIT).where(AUDIT.c.id == bindparam("i"))).first(conn, {"i": new_id})
        s.rollback()
    assert by_driver._asdict() == dict(by_sqlalchemy._mapping)
    assert by_driver.at == at and by_driver.at.tzinfo is not None  # aware UTC out, as the ORM's type gives
    assert by_driver.exercise is True and by_driver.detail == {"n": [1, 2]}
    assert by_driver.origin == CENTRE and len(by_driver.uid) == 36


def test_a_literal_in_the_statement_is_sent_and_returning_rows_come_back(engine):
    """``on_hand - reserved + 1e-9 >= need``: the constant is a parameter SQLAlchemy made, not the caller's."""
    where = (LOCKS.c.station == bindparam("s")) & (LOCKS.c.item == bindparam("i")) & (LOCKS.c.exercise.is_(False))
    bump = update(LOCKS).where(where).values(reserved=LOCKS.c.reserved + bindparam("d")).returning(LOCKS.c.reserved)
    guarded = Prepared(bump.where(LOCKS.c.on_hand - LOCKS.c.reserved + 1e-9 >= bindparam("need")))
    with write_session(engine) as s:
        conn = s.connection()
        on_hand = conn.execute(select(LOCKS.c.on_hand).where(where), {"s": "GZ-HUB", "i": "meals"}).scalar_one()
        key = {"s": "GZ-HUB", "i": "meals"}
        assert guarded.first(conn, {**key, "d": 1.0, "need": on_hand + 1}) is None  # short: no row changed
        row = guarded.first(conn, {**key, "d": 1.0, "need": on_hand})
        s.rollback()
    assert row is not None and row.reserved >= 1.0


def test_driver_errors_are_sqlalchemys_and_statements_fire_its_events(engine):
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    new = Prepared(insert(AUDIT))
    row = {"at": datetime.now(UTC), "actor": "a", "action": "x", "target": "t", "reason": "", "uid": "same-uid"}
    with write_session(engine) as s:
        conn = s.connection()
        new.many(conn, [])  # no rows: nothing sent
        new.run(conn, row)
        with pytest.raises(IntegrityError):  # the unique uid: what the API turns into a 409 or a replay
            new.run(conn, row)
        s.rollback()
    assert seen and all(sql.startswith("INSERT INTO audit_entry") for sql in seen)


def test_what_it_cannot_run_is_refused_when_compiled_not_run_wrongly(engine):
    in_list = Prepared(select(DISPATCH.c.id).where(DISPATCH.c.station.in_(bindparam("codes", expanding=True))))
    with write_session(engine) as s, pytest.raises(TypeError, match="expanding"):
        in_list.rows(s.connection(), {"codes": ["GZ-HUB"]})


def test_on_a_connection_not_yet_in_a_transaction_it_begins_one_as_sqlalchemy_would(engine):
    """A statement run first on a new connection opens its transaction (SQLite's BEGIN is ours to send):
    rolled back, nothing of it stays."""
    row = {"at": datetime.now(UTC), "actor": "a", "action": "x", "target": "t", "reason": "", "uid": "rolled-back"}
    with engine.connect() as conn:
        Prepared(insert(AUDIT)).run(conn, row)
        assert conn.in_transaction()
        conn.rollback()
        assert conn.execute(select(AUDIT.c.id).where(AUDIT.c.uid == "rolled-back")).first() is None
