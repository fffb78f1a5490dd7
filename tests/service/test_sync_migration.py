"""Migration 0005 on a database with rows written before it: every row gets a uid, an origin, events a parent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

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


def test_migration_0007_rekeys_old_exercise_teams_and_everything_pointing_at_them(empty_url):
    """Issue 20: exercise teams made before 0007 take their drill's key (``CODE@DRILL``), their events and
    orders with them; a real team keeps its code, so a real team may then share a drill team's code."""
    from sqlalchemy import insert

    from supply.drills.models import Drill, DrillOrder, Team, TeamEvent
    from supply.service.models import Station, table_of

    engine = make_engine(empty_url)
    upgrade(engine, "e6a14b0d5e01")  # 0006: team codes one namespace
    when = datetime(2030, 5, 1, 4, tzinfo=UTC)
    at = {"at": when}
    with engine.begin() as conn:
        conn.execute(insert(table_of(Station)).values(code="H", name="Hub", tier="hub", lat=23, lon=113, capacity={}))
        drill = {"name": "d", "scenario_source": "s", "scenario": {}, "plan": {}, "created_by": "zhao"}
        conn.execute(insert(table_of(Drill)).values(id=6, start_at=when, status="closed", **drill))
        team = {
            "station": "H",
            "kind": "medical",
            "headcount": 6,
            "capacity": {},
            "status": "ready",
            "created_at": when,
        }
        conn.execute(insert(table_of(Team)).values(code="T-MED", name="drill's", drill_id=6, **team))
        conn.execute(insert(table_of(Team)).values(code="R-1", name="real", drill_id=None, **team))
        event = {"to_status": "ready", "actor": "zhao", "origin": "centre", **at}
        conn.execute(insert(table_of(TeamEvent)).values(team="T-MED", uid=str(uuid.uuid4()), **event))
        conn.execute(insert(table_of(TeamEvent)).values(team="R-1", uid=str(uuid.uuid4()), **event))
        order = {
            "drill_id": 6,
            "text": "go",
            "ack_by": when,
            "issued_by": "zhao",
            "issued_at": when,
            "origin": "centre",
        }
        conn.execute(insert(table_of(DrillOrder)).values(team="T-MED", uid=str(uuid.uuid4()), **order))
    upgrade(engine)
    with engine.connect() as conn:
        assert dict(conn.execute(text("SELECT code, drill_id FROM team")).all()) == {"T-MED@6": 6, "R-1": None}
        assert sorted(conn.execute(text("SELECT team FROM team_event")).scalars()) == ["R-1", "T-MED@6"]
        assert list(conn.execute(text("SELECT team FROM drill_order")).scalars()) == ["T-MED@6"]
    engine.dispose()
