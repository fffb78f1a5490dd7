"""Migration 0005 on a database with rows written before it: every row gets a uid, an origin, events a parent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from supply.service.db import make_engine
from supply.service.migrate import upgrade
from supply.service.models import opening_uid
from tests.conftest import TINY
from tests.db import BACKENDS, _pg_admin_conn, pg_reachable

BEFORE_SYNC = "d4e8a1b2c3f4"  # 0004, the last revision without global ids
AT = "2030-05-01 04:00:00"


def _old_rows(conn, node: str | None) -> None:
    rows = [("scenario_toml", TINY), ("scenario_source", "tiny.toml")] + ([("node", node)] if node else [])
    conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, :v)"), [{"k": k, "v": v} for k, v in rows])
    conn.execute(text("INSERT INTO station VALUES ('H', 'Hub', 'hub', 23.0, 113.0, '{}')"))
    conn.execute(text("INSERT INTO item VALUES ('meals', 'Meals', 'meal')"))
    conn.execute(text("INSERT INTO site VALUES ('S-CITY', 'City', 'district', 'city', 23.0, 113.0)"))
    move = (
        "INSERT INTO movement (at, kind, station, item, exercise, quantity, on_hand_delta, reserved_delta, reason,"
        " actor) VALUES (:at, :kind, 'H', 'meals', FALSE, :q, :d, :r, '', 'cli')"
    )
    conn.execute(
        text(move),
        [
            {"at": AT, "kind": "opening", "q": 1000, "d": 1000, "r": 0},
            {"at": AT, "kind": "issue", "q": 5, "d": -5, "r": 0},
            {"at": AT, "kind": "reserve", "q": 10, "d": 0, "r": 10},
        ],
    )
    conn.execute(
        text(
            "INSERT INTO support_request (unit, headcount, special_diets, vehicles, mode, site, arrive_at, "
            "dwell_minutes, priority, received_at, needs, needs_computed, exercise, note, created_by, created_at) "
            "VALUES ('U', 10, '{}', 0, 'rail', 'S-CITY', :at, 30, 'normal', :at, '{}', FALSE, FALSE, '', 'wang', :at)"
        ),
        {"at": AT},
    )
    conn.execute(
        text(
            "INSERT INTO dispatch (request_id, station, status, exercise, created_by, created_at)"
            " VALUES (1, 'H', 'dispatched', FALSE, 'wang', :at)"
        ),
        {"at": AT},
    )
    event = (
        "INSERT INTO dispatch_event (at, from_status, to_status, note, actor, dispatch_id)"
        " VALUES (:at, :f, :t, '', 'wang', 1)"
    )
    conn.execute(text(event), [{"at": AT, "f": None, "t": "planned"}, {"at": AT, "f": "planned", "t": "dispatched"}])
    conn.execute(
        text(
            "INSERT INTO audit_entry (at, actor, action, target, reason, exercise, detail)"
            " VALUES (:at, 'wang', 'x', 'y', '', FALSE, '{}')"
        ),
        {"at": AT},
    )


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database on each backend (PostgreSQL: one made for this test, dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    if not pg_reachable():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    conn, user = _pg_admin_conn()
    name = f"jungong_sync_migration_{uuid.uuid4().hex[:8]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{user}@127.0.0.1:5432/{name}"
    finally:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


@pytest.mark.parametrize("node", [None, "H"])
def test_migration_0005_gives_old_rows_uids_origins_and_parents(empty_url, node):
    engine = make_engine(empty_url)
    upgrade(engine, BEFORE_SYNC)
    with engine.begin() as conn:
        _old_rows(conn, node)
    upgrade(engine)
    origin = node or "centre"
    with engine.connect() as conn:
        for table in ("movement", "support_request", "dispatch", "dispatch_event", "audit_entry"):
            rows = conn.execute(text(f"SELECT uid, origin FROM {table}")).all()  # noqa: S608 - fixed names
            assert rows and all(len(u) == 36 for u, _ in rows), table
            assert len({u for u, _ in rows}) == len(rows), table
        moves = dict(conn.execute(text("SELECT kind, uid || ' ' || origin FROM movement")).all())
        assert moves["opening"] == f"{opening_uid(TINY, 'H', 'meals', False)} centre"  # as a new database gives it
        assert moves["issue"].endswith(f" {origin}") and moves["reserve"].endswith(f" {origin}")
        events = conn.execute(text("SELECT uid, parent, rejected FROM dispatch_event ORDER BY id")).all()
        assert events[0].parent is None and events[1].parent == events[0].uid
        assert not any(e.rejected for e in events)
    engine.dispose()
