"""The core without HTTP: planning factors, scenario loading, migrations, options on the tiny network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

from supply.core.errors import ConflictError, ScenarioError
from supply.core.factors import Factors, compute_needs, factors_from_scenario, stock_policy
from supply.core.network import build_network
from supply.core.scenario import load_scenario
from supply.drills.teams import sync_scenario_with_teams
from supply.service import ledger
from supply.service.db import make_engine, read_session, write_session
from supply.service.inputs import RequestIn
from supply.service.migrate import upgrade
from supply.service.models import Movement, Station
from supply.service.requests import create_request, options
from supply.service.stock import stock
from tests.conftest import TINY, write


def test_needs_from_factors():
    f = Factors()
    assert compute_needs(f, headcount=100, vehicles=0, dwell_minutes=30) == {"meals": 100.0, "water_l": 1140.0}
    two_days = compute_needs(f, headcount=100, vehicles=3, dwell_minutes=2 * 1440)
    assert two_days == {"meals": 600.0, "water_l": 2280.0, "diesel_l": 450.0}
    arctic = Factors(climate="arctic", meals_per_person_per_stop=2)
    assert compute_needs(arctic, headcount=10, vehicles=0, dwell_minutes=0) == {"meals": 20.0, "water_l": 76.0}


def test_scenario_overrides_factors_and_stock_policy(tmp_path):
    text = TINY + '\n[factors]\nclimate = "temperate"\nwater_l_per_person_per_day = { temperate = 6.0 }\n'
    text += "\n[stock]\ndays_of_supply_threshold = 5\n"
    sc = load_scenario(write(tmp_path, text))
    f = factors_from_scenario(sc)
    assert f.climate == "temperate" and f.water_l_per_person_per_day["temperate"] == 6.0
    assert f.water_l_per_person_per_day["tropical"] == 11.4  # untouched defaults stay
    assert stock_policy(sc).days_of_supply_threshold == 5


def test_bad_factors_name_the_key(tmp_path):
    sc = load_scenario(write(tmp_path, TINY + '\n[factors]\nclimate = "lunar"\ndiesel_l_per_vehicle = -1\n'))
    with pytest.raises(ScenarioError) as err:
        factors_from_scenario(sc)
    paths = {p.path for p in err.value.problems}
    assert paths == {"factors.climate", "factors.diesel_l_per_vehicle"}


def test_unknown_stock_item_is_a_scenario_error(tmp_path):
    sc = load_scenario(write(tmp_path, TINY.replace("water_l = 5000", "gold = 5")))
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade(engine)
    with write_session(engine) as s, pytest.raises(ScenarioError) as err:
        sync_scenario_with_teams(s, sc, "")
    assert [p.path for p in err.value.problems] == ["stations[0].stock.gold"]


def test_migrations_match_the_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    upgrade(engine)  # idempotent
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []


@pytest.fixture
def tiny_db(tmp_path, tiny_path):
    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    upgrade(engine)
    sc = load_scenario(tiny_path)
    with write_session(engine) as s:
        sync_scenario_with_teams(s, sc, tiny_path.read_text())
        s.commit()
    return engine, sc


def test_db_init_again_updates_names_and_keeps_history(tiny_db, tmp_path):
    engine, _ = tiny_db
    with write_session(engine) as s:
        ledger.issue(s, "t", "H", "meals", 10)
        s.commit()
    renamed = load_scenario(write(tmp_path, TINY.replace('name = "Hub"', 'name = "Hub renamed"'), "v2.toml"))
    with write_session(engine) as s:
        counts = sync_scenario_with_teams(s, renamed, "")
        s.commit()
    with read_session(engine) as s:
        assert counts["opening_movements"] == 0
        assert s.get(Station, "H").name == "Hub renamed"
        assert len(s.exec(select(Movement)).all()) == 5  # 4 opening + the issue
        assert ledger.balance(s, "H", "meals", False).on_hand == 990


def test_options_on_the_tiny_network(tiny_db):
    engine, sc = tiny_db
    arrive = datetime.now(UTC) + timedelta(minutes=45)
    with write_session(engine) as s:
        data = RequestIn(unit="u", headcount=10, site="S-REG", arrive_at=arrive, needs={"meals": 50})
        req = create_request(s, "t", data, Factors())
        opts = options(s, build_network(sc), req)
    # S-REG: P 25 min; H 10 + 40 = 50 (via J); W 20 + 40 = 60
    assert [(o["station"], o["eta_minutes"], o["in_time"]) for o in opts] == [
        ("P", 25.0, True),
        ("H", 50.0, False),
        ("W", 60.0, False),
    ]
    assert opts[1]["covers"] == {"meals": 50.0} and opts[0]["shortfall"] == {"meals": 50.0}


def test_days_of_supply_is_unbounded_without_consumption(tiny_db):
    engine, _ = tiny_db
    with write_session(engine) as s:
        row = next(r for r in stock(s, "H") if r["item"] == "meals")
        assert row["days_of_supply"] is None
        ledger.issue(s, "t", "H", "meals", 70)  # 10 a day over the 7-day window
        row = next(r for r in stock(s, "H") if r["item"] == "meals")
        assert row["days_of_supply"] == pytest.approx(93.0)
        # a reversed issue is not consumption
        m = s.exec(select(Movement).where(Movement.kind == "issue")).one()
        ledger.reverse(s, "t", m.id, "typo")
        assert next(r for r in stock(s, "H") if r["item"] == "meals")["days_of_supply"] is None


def test_receipt_reversal_cannot_take_reserved_stock(tiny_db):
    engine, _ = tiny_db
    with write_session(engine) as s:
        m = ledger.receive(s, "t", "W", "meals", 100)
        ledger.issue(s, "t", "W", "meals", 60)
        with pytest.raises(ConflictError, match="40 available"):
            ledger.reverse(s, "t", m.id, "not received after all")
