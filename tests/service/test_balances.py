"""Running balances against the ledger: kept per write, filled by the migration, checked and repaired by reconcile."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from supply.service import ledger
from supply.service.db import make_engine, write_session
from supply.service.migrate import upgrade
from supply.service.reconcile import reconcile
from tests.conftest import ROOT
from tests.db import cli_env


def _run(db, tmp_path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "supply.cli", "db", "reconcile", "--db", db.url, *args]
    return subprocess.run(cmd, cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=120)


def test_every_write_moves_the_running_balance_with_the_ledger(db):
    engine = make_engine(db.url)
    try:
        with write_session(engine) as s:
            before = ledger.balance(s, "GZ-HUB", "meals", False)
            ledger.receive(s, "t", "GZ-HUB", "meals", 100)
            ledger.issue(s, "t", "GZ-HUB", "meals", 30)
            ledger.transfer(s, "t", "GZ-HUB", "NS-WING", "meals", 20)
            ledger.count(s, "t", "GZ-HUB", "meals", before.on_hand + 45)
            s.commit()
        with write_session(engine) as s:
            assert ledger.balance(s, "GZ-HUB", "meals", False).on_hand == before.on_hand + 45
            assert reconcile(s)[1] == []
    finally:
        engine.dispose()


@pytest.mark.slow
def test_reconcile_finds_a_planted_mismatch_and_repairs_it(db, tmp_path):
    engine = make_engine(db.url)
    try:
        with engine.begin() as c:  # an operator's restore gone wrong, in raw SQL
            c.execute(
                text(
                    "UPDATE stocklock SET on_hand = on_hand + 7, reserved = 2 WHERE station = 'GZ-HUB' "
                    "AND item = 'meals' AND exercise = :f"
                ),
                {"f": False},
            )
            c.execute(
                text("DELETE FROM stocklock WHERE station = 'NS-WING' AND item = 'water_l' AND exercise = :f"),
                {"f": False},
            )
        with write_session(engine) as s:
            _, found = reconcile(s)
            s.rollback()
    finally:
        engine.dispose()
    assert [(m.station, m.item, m.exercise) for m in found] == [
        ("GZ-HUB", "meals", False),
        ("NS-WING", "water_l", False),
    ]
    hub, wing = found
    assert hub.stored_on_hand == hub.ledger_on_hand + 7 and (hub.stored_reserved, hub.ledger_reserved) == (2.0, 0.0)
    assert wing.stored_on_hand is None and wing.ledger_on_hand > 0

    checked = _run(db, tmp_path, "--json")
    assert checked.returncode == 1, checked.stderr
    report = json.loads(checked.stdout)
    assert [m["station"] for m in report["mismatches"]] == ["GZ-HUB", "NS-WING"] and report["repaired"] is False
    said = _run(db, tmp_path)
    assert said.returncode == 1 and "mismatch: GZ-HUB/meals (real book): stored on_hand" in said.stdout
    repaired = _run(db, tmp_path, "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "repaired: GZ-HUB/meals" in repaired.stdout and "2 repaired from the ledger" in repaired.stdout
    clean = _run(db, tmp_path)
    assert clean.returncode == 0 and "0 mismatched" in clean.stdout
    # the fixture's teardown reconciles once more


def test_migration_fills_balances_from_an_existing_ledger(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(engine, "c3d1e5a0f6a2")  # the schema before running balances
        at = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
        with engine.begin() as c:
            c.execute(
                text("INSERT INTO station (code, name, tier, lat, lon, capacity) VALUES ('S', 'S', 'hub', 0, 0, '{}')")
            )
            c.execute(text("INSERT INTO item (code, name, unit) VALUES ('meals', 'Meals', 'meal')"))
            c.execute(text("INSERT INTO stocklock (station, item, exercise) VALUES ('S', 'meals', 0)"))
            moves = [("receipt", 0, 100, 0), ("issue", 0, -30, 0), ("reserve", 0, 0, 12), ("receipt", 1, 5, 0)]
            for kind, ex, on_hand, reserved in moves:
                c.execute(
                    text(
                        "INSERT INTO movement (at, kind, station, item, exercise, quantity, on_hand_delta, "
                        "reserved_delta, reason, actor) VALUES (:at, :k, 'S', 'meals', :ex, 1, :o, :r, '', 't')"
                    ),
                    {"at": at, "k": kind, "ex": ex, "o": on_hand, "r": reserved},
                )
        upgrade(engine)
        with write_session(engine) as s:
            assert ledger.balance(s, "S", "meals", False) == ledger.Balance(70.0, 12.0)
            assert ledger.balance(s, "S", "meals", True) == ledger.Balance(5.0, 0.0)  # row made by the migration
            assert reconcile(s) == (4, [])  # two books and their unlotted lots (migration 0009)
    finally:
        engine.dispose()


def test_short_stock_leaves_the_balances_untouched(db):
    from supply.core.errors import ConflictError

    engine = make_engine(db.url)
    try:
        with write_session(engine) as s:
            have = ledger.balance(s, "GZ-HUB", "meals", False)
            with pytest.raises(ConflictError, match="not enough meals at GZ-HUB"):
                ledger.issue(s, "t", "GZ-HUB", "meals", have.available + 1)
            s.rollback()
        with write_session(engine) as s:
            assert ledger.balance(s, "GZ-HUB", "meals", False) == have
    finally:
        engine.dispose()


def test_days_of_supply_reads_the_window_net_of_reversed_consumption(db):
    from supply.service.stock import stock

    engine = make_engine(db.url)
    try:
        with write_session(engine) as s:
            wrong = ledger.issue(s, "t", "GZ-HUB", "meals", 100)
            ledger.reverse(s, "t", wrong.id, "keyed twice")
            ledger.issue(s, "t", "GZ-HUB", "meals", 70)
            s.commit()
        with write_session(engine) as s:
            row = next(r for r in stock(s, "GZ-HUB", window_days=7) if r["item"] == "meals")
            later = next(r for r in stock(s, "GZ-HUB", window_days=7, now=datetime(2100, 1, 1, tzinfo=UTC)))
    finally:
        engine.dispose()
    assert row["daily_consumption"] == pytest.approx(10.0)  # 70 over 7 days; the reversed 100 does not count
    assert row["days_of_supply"] == pytest.approx(row["on_hand"] / 10.0, abs=0.01)
    assert later["daily_consumption"] == 0 and later["days_of_supply"] is None  # outside the window
