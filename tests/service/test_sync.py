"""Sync by bundle between a centre and station nodes (SQLite files): convergence, conflicts, alerts, signatures.

Every database is built and changed through the domain; bundles go through the same functions
``jungong sync export``/``import`` call, and the CLI checks run the real command.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from supply.cli import app
from supply.core.errors import SyncRefusedError
from supply.core.settings import get_settings
from supply.service import ledger
from supply.service.db import make_engine, read_session, write_session
from supply.service.dispatches import check_status, move_dispatch
from supply.service.models import Dispatch, Movement, table_of
from supply.service.reconcile import reconcile
from supply.service.requests import dispatch_records
from supply.service.stock import alerts
from supply.service.sync import export_bundle, list_conflicts, node_code
from tests.conftest import TINY, write
from tests.service.sync_helpers import (
    CENTRE,
    PASSPHRASE,
    apply,
    copy,
    export,
    held,
    new_dispatch,
    passphrase,
    resign,
    rows_of,
    sync,
)
from tests.service.sync_helpers import template as databases

NODES = ("H", "W")
runner = CliRunner()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases(tmp_path_factory.mktemp("sync-template"), TINY, NODES)


@pytest.fixture
def net(template: Path, tmp_path: Path):
    with passphrase():
        engines = copy(template, tmp_path, (CENTRE, *NODES))
        yield engines
    for engine in engines.values():
        engine.dispose()


def _by_uid(engine, uid: str) -> int:
    with read_session(engine) as s:
        return s.connection().execute(select(Dispatch.id).where(Dispatch.uid == uid)).scalar_one()


def _uid(engine, dispatch_id: int) -> str:
    with read_session(engine) as s:
        return s.connection().execute(select(Dispatch.uid).where(Dispatch.id == dispatch_id)).scalar_one()


def _move(engine, dispatch_id: int, status: str) -> None:
    with write_session(engine) as s:
        move_dispatch(s, "officer", dispatch_id, status, "", check_status(s.connection(), dispatch_id))
        s.commit()


def _full_sync(net) -> None:
    for node in NODES:
        sync(net, node, pull=False)
    for node in NODES:
        sync(net, node, push=False)


def _same_everywhere(net) -> dict:
    states = {name: held(engine) for name, engine in net.items()}
    first = states[CENTRE]
    for name, state in states.items():
        for part in first:
            assert state[part] == first[part], (name, part)
        with write_session(net[name]) as s:
            assert reconcile(s)[1] == [], name
    return first


def test_a_node_knows_its_station_and_the_seed_stock_is_never_doubled(net):
    with read_session(net["H"]) as s:
        assert node_code(s) == "H"
        opening = s.exec(select(Movement.uid, Movement.origin).where(Movement.kind == "opening")).all()
    with read_session(net[CENTRE]) as s:
        assert node_code(s) == CENTRE
        assert sorted(s.exec(select(Movement.uid, Movement.origin).where(Movement.kind == "opening")).all()) == sorted(
            opening
        )
    with write_session(net["H"]) as s:
        ledger.receive(s, "officer", "H", "meals", 10)
        s.commit()
    _full_sync(net)
    state = _same_everywhere(net)
    assert state["balances"][("H", "meals", False)] == (1010.0, 0.0)  # 1000 opening (once) + 10


def test_lots_synced_between_a_node_and_the_centre_without_doubling(net):
    day = date(2030, 1, 2)
    with write_session(net["H"]) as s:  # the node receives two lots of water and issues first-expiring first
        ledger.receive(s, "officer", "H", "water_l", 100, lot="W1", expires_on=date(2030, 1, 10))
        ledger.receive(s, "officer", "H", "water_l", 200, lot="W2", expires_on=date(2030, 3, 1))
        ledger.issue_lots(s, "officer", "H", "water_l", 130, on=day)
        s.commit()
    with write_session(net[CENTRE]) as s:  # the centre sends the node part of a lot W received
        ledger.receive(s, "officer", "W", "water_l", 60, lot="C1", expires_on=date(2030, 2, 1))
        [sent] = ledger.transfer(s, "officer", "W", "H", "water_l", 40, on=day)
        s.commit()
    _full_sync(net)
    with write_session(net["H"]) as s:  # the receiving station writes the receipt
        ledger.receive_transfer(s, "officer", sent.transfer_ref or "", 40)
        s.commit()
    _full_sync(net)
    _full_sync(net)  # again: nothing is added twice
    state = _same_everywhere(net)
    lots = {k[3]: v for k, v in state["lots"].items() if k[:3] == ("H", "water_l", False)}
    # W1 drawn out first, then 30 of W2; C1 arrived with its date
    assert lots == {"W2": (170.0, "2030-03-01"), "C1": (40.0, "2030-02-01"), "": (5000.0, None)}
    assert state["lots"][("W", "water_l", False, "C1")] == (20.0, "2030-02-01")
    assert state["balances"][("H", "water_l", False)] == (5210.0, 0.0)  # 5,000 opening + 300 − 130 + 40
    with write_session(net["H"]) as s:  # the synced lot, expiring first, is drawn first on the node
        [m] = ledger.issue_lots(s, "officer", "H", "water_l", 10, on=day)
        s.commit()
    assert m.lot == "C1"


def test_concurrent_changes_to_one_dispatch_owner_wins_and_the_other_is_kept(net):
    with write_session(net[CENTRE]) as s:
        centre_id = new_dispatch(s, "H", "meals", 100)
        s.commit()
    uid = _uid(net[CENTRE], centre_id)
    sync(net, "H")
    node_id = _by_uid(net["H"], uid)
    # apart: the station dispatches it, the centre cancels it
    _move(net["H"], node_id, "dispatched")
    _move(net[CENTRE], centre_id, "cancelled")
    report = apply(net[CENTRE], export(net["H"], CENTRE))
    assert len(report.conflicts) == 1
    conflict = report.conflicts[0].as_dict()
    assert conflict["table"] == "dispatch" and conflict["record_uid"] == uid and conflict["owner"] == "H"
    assert conflict["standing"]["to_status"] == "dispatched" and conflict["standing"]["origin"] == "H"
    assert conflict["rejected"]["to_status"] == "cancelled" and conflict["rejected"]["origin"] == CENTRE
    _full_sync(net)
    state = _same_everywhere(net)
    assert state["status"][uid] == ("H", "dispatched")
    assert state["balances"][("H", "meals", False)] == (1000.0, 100.0)  # the cancel's release given back
    for engine in net.values():
        with read_session(engine) as s:
            assert [c.rejected["to_status"] for c in list_conflicts(s)] == ["cancelled"]
    with read_session(net[CENTRE]) as s:  # the history shows what stands; the rejected change is a conflict
        (record,) = dispatch_records(s, [s.get(Dispatch, centre_id)])
    assert [h.to_status for h in record.history] == ["planned", "dispatched"]
    # the dispatch goes on from the standing version, on any database
    _move(net[CENTRE], centre_id, "delivered")
    _full_sync(net)
    state = _same_everywhere(net)
    assert state["status"][uid] == ("H", "delivered")
    assert state["balances"][("H", "meals", False)] == (900.0, 0.0)


def test_importing_twice_or_out_of_order_changes_nothing_more(net):
    with write_session(net[CENTRE]) as s:
        ledger.receive(s, "officer", "W", "meals", 5)
        s.commit()
    first = export(net[CENTRE], "H")
    with write_session(net[CENTRE]) as s:
        ledger.issue(s, "officer", "H", "meals", 7)
        new_dispatch(s, "H", "water_l", 50)
        s.commit()
    second = export(net[CENTRE], "H")
    apply(net["H"], second)
    once = held(net["H"])
    again = apply(net["H"], first)
    assert again.applied == 0 and again.skipped > 0
    assert apply(net["H"], second).applied == 0
    assert held(net["H"]) == once
    assert once["balances"][("H", "meals", False)] == (993.0, 0.0)
    assert once["balances"][("W", "meals", False)] == (5.0, 0.0)


def test_acknowledged_records_are_not_sent_again(net):
    with write_session(net["W"]) as s:
        ledger.receive(s, "officer", "W", "meals", 3)
        s.commit()
    sync(net, "W")
    sync(net, "W")  # the centre now knows W has everything it sent
    report = apply(net["W"], export(net[CENTRE], "W"))
    assert (report.applied, report.skipped) == (0, 0)
    assert json.dumps(report.as_dict())  # the JSON the CLI prints


def test_stock_drawn_on_both_sides_while_apart_is_an_alert_naming_the_movements(net):
    with write_session(net["H"]) as s:
        mine = ledger.issue(s, "officer", "H", "meals", 700).uid
        s.commit()
    with write_session(net[CENTRE]) as s:
        theirs = ledger.issue(s, "officer", "H", "meals", 600).uid
        s.commit()
    report = apply(net[CENTRE], export(net["H"], CENTRE))
    assert [(a["station"], a["item"], a["available"]) for a in report.alerts] == [("H", "meals", -300.0)]
    assert set(report.alerts[0]["movements"]) == {mine, theirs}
    with read_session(net[CENTRE]) as s:
        shown = [a for a in alerts(s) if a["kind"] == "negative_available_after_sync"]
    assert shown and set(shown[0]["movements"]) == {mine, theirs}
    _full_sync(net)
    assert _same_everywhere(net)["balances"][("H", "meals", False)] == (-300.0, 0.0)


def test_a_bundle_made_for_another_database_or_by_this_one_is_refused(net):
    data = export(net[CENTRE], "W")
    before = held(net["H"])
    with pytest.raises(SyncRefusedError, match="made for 'W'"), write_session(net["H"]) as s:
        from supply.service.sync import import_bundle

        import_bundle(s, data)
    with pytest.raises(SyncRefusedError, match="made by this database"), write_session(net[CENTRE]) as s:
        import_bundle(s, data)
    assert held(net["H"]) == before


def test_a_bundle_that_unpacks_beyond_the_cap_is_refused_whole(net, monkeypatch: pytest.MonkeyPatch):
    from supply.service.sync import bundle, import_bundle

    data = export(net[CENTRE], "W")
    before = held(net["W"])
    monkeypatch.setattr(bundle, "MAX_UNPACKED", 1024)
    with pytest.raises(SyncRefusedError, match="unpacks to more than"), write_session(net["W"]) as s:
        import_bundle(s, data)
    assert held(net["W"]) == before


def test_a_node_may_push_only_its_own_records(net):
    from supply.service.sync import import_bundle

    sync(net, "W")
    with write_session(net["H"]) as s:
        ledger.receive(s, "officer", "H", "meals", 1)
        s.commit()
    relayed = export(net[CENTRE], "H")  # the centre's bundle carries centre and W records
    with write_session(net["H"]) as s, pytest.raises(SyncRefusedError, match="only its own"):
        import_bundle(s, relayed, only_origin="centre")
    apply(net["H"], relayed)  # H now holds W's records too, yet sends the centre only its own
    with write_session(net[CENTRE]) as s:
        report = import_bundle(s, export(net["H"], CENTRE), only_origin="H")
        s.commit()
    assert report.applied > 0


# --- the CLI: signatures, and nothing applied when refused ---------------------------------------------


def _invoke(args: list[str], env: dict[str, str | None]):
    get_settings.cache_clear()  # the command reads its settings from this environment
    try:
        return runner.invoke(app, args, env=env)
    finally:
        get_settings.cache_clear()


def _cli(*args: str, code: int = 0) -> str:
    result = _invoke(list(args), {"JUNGONG_SYNC_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == code, (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.output


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with read_session(engine) as s:
        n = len(s.exec(select(Movement.id)).all()), len(s.exec(select(Dispatch.id)).all())
    engine.dispose()
    return n


def test_cli_sync_by_file_and_refusals(tmp_path: Path):
    tiny = write(tmp_path, TINY, "tiny.toml")
    centre, node, other = (f"sqlite:///{tmp_path / n}.db" for n in ("centre", "h", "w"))
    _cli("db", "init", str(tiny), "--db", centre)
    assert "node database of station H ready" in _cli("db", "init", str(tiny), "--node", "H", "--db", node)
    _cli("db", "init", str(tiny), "--node", "W", "--db", other)
    for url, name in ((centre, "c"), (node, "h"), (other, "w")):
        _cli("sync", "key", "--db", url, "-o", str(tmp_path / f"{name}.pem"))
    _cli("sync", "trust", "--db", node, "--node", "centre", str(tmp_path / "c.pem"))
    _cli("sync", "trust", "--db", centre, "--node", "H", str(tmp_path / "h.pem"))
    engine = make_engine(centre)
    with write_session(engine) as s:
        new_dispatch(s, "H", "meals", 10)
        s.commit()
    engine.dispose()
    bundle = tmp_path / "c.bundle"
    _cli("sync", "export", "--db", centre, "-o", str(bundle), "--for", "H")
    raw = bundle.read_bytes()
    before = _counts(node)

    unsigned = tmp_path / "unsigned.bundle"
    unsigned.write_bytes(raw.replace(raw.split(b"\n")[1], json.dumps({"from": "centre"}).encode(), 1))
    assert "unsigned" in _cli("sync", "import", "--db", node, str(unsigned), code=2)
    tampered = tmp_path / "tampered.bundle"
    tampered.write_bytes(raw[:-5] + bytes([raw[-5] ^ 1]) + raw[-4:])
    assert "signature does not match" in _cli("sync", "import", "--db", node, str(tampered), code=2)
    from_w = tmp_path / "w.bundle"
    _cli("sync", "export", "--db", other, "-o", str(from_w), "--for", "centre")
    assert "does not trust" in _cli("sync", "import", "--db", node, str(from_w), code=2)
    assert "not a jungong sync bundle" in _cli("sync", "import", "--db", node, str(tiny), code=2)
    assert _counts(node) == before  # nothing of a refused bundle applied

    out = json.loads(_cli("sync", "import", "--db", node, str(bundle), "--json"))
    assert set(out) >= {"applied", "skipped", "conflicts"} and out["applied"] > 0 and out["conflicts"] == []
    assert _counts(node) == (before[0] + 1, before[1] + 1)  # the dispatch and its reservation
    again = json.loads(_cli("sync", "import", "--db", node, str(bundle), "--json"))
    assert again["applied"] == 0 and again["skipped"] == out["applied"] + out["skipped"]
    assert json.loads(_cli("sync", "conflicts", "--db", node, "--json")) == []


def test_a_node_needs_the_passphrase_for_its_key(tmp_path: Path):
    tiny = write(tmp_path, TINY, "tiny.toml")
    result = _invoke(
        ["db", "init", str(tiny), "--node", "H", "--db", f"sqlite:///{tmp_path}/n.db"],
        {"JUNGONG_SYNC_PASSPHRASE": None},
    )
    assert result.exit_code == 2 and "JUNGONG_SYNC_PASSPHRASE" in result.output
    assert "not a station" in _cli(
        "db", "init", str(tiny), "--node", "NOPE", "--db", f"sqlite:///{tmp_path}/m.db", code=2
    )


def test_status_events_carry_the_head_they_were_made_on(net):
    with write_session(net["H"]) as s:
        d = new_dispatch(s, "H", "meals", 1)
        s.commit()
    _move(net["H"], d, "dispatched")
    _move(net["H"], d, "delivered")
    events = sorted(
        held(net["H"])["events"].items(), key=lambda kv: ["planned", "dispatched", "delivered"].index(kv[1][3])
    )
    assert events[0][1][1] is None
    assert events[1][1][1] == events[0][0] and events[2][1][1] == events[1][0]
    moves = table_of(Movement)
    with read_session(net["H"]) as s:
        causes = set(s.connection().execute(select(moves.c.cause).where(moves.c.dispatch_id == d)).scalars())
    assert causes == {events[0][0], events[2][0]}  # the reservation and the delivery


# --- a PostgreSQL centre and a SQLite node ------------------------------------------------------------


def test_a_postgres_centre_and_a_sqlite_node_converge(db, tmp_path: Path):
    """The centre in practice: PostgreSQL (and SQLite, the same test); a node of GZ-HUB as a SQLite file."""
    from supply.core.scenario import load_scenario
    from supply.drills.teams import sync_scenario_with_teams
    from supply.service.migrate import upgrade
    from supply.service.sync import public_key_pem, trust_key
    from tests.conftest import GUANGZHOU

    with passphrase():
        net = {CENTRE: make_engine(db.url), "GZ-HUB": make_engine(f"sqlite:///{tmp_path / 'hub.db'}")}
        upgrade(net["GZ-HUB"])
        with write_session(net["GZ-HUB"]) as s:
            text = GUANGZHOU.read_text(encoding="utf-8")
            same = load_scenario(GUANGZHOU).model_copy(update={"teams": []})  # as the centre loaded it (tests/db.py)
            sync_scenario_with_teams(s, same, text, actor="test", node="GZ-HUB")
            node_key = public_key_pem(s)
            s.commit()
        with write_session(net[CENTRE]) as s:
            centre_key = public_key_pem(s)
            trust_key(s, "GZ-HUB", node_key)
            d = new_dispatch(s, "GZ-HUB", "meals", 40, site="GZE-RAIL")
            s.commit()
        with write_session(net["GZ-HUB"]) as s:
            trust_key(s, CENTRE, centre_key)
            s.commit()
        uid = _uid(net[CENTRE], d)
        sync(net, "GZ-HUB")
        _move(net["GZ-HUB"], _by_uid(net["GZ-HUB"], uid), "dispatched")  # apart, on both sides
        _move(net[CENTRE], d, "cancelled")
        with write_session(net["GZ-HUB"]) as s:
            ledger.issue(s, "officer", "GZ-HUB", "water_l", 100)
            s.commit()
        for _ in range(2):
            sync(net, "GZ-HUB")
        try:
            first, second = held(net[CENTRE]), held(net["GZ-HUB"])
            assert first == second
            assert first["status"][uid] == ("GZ-HUB", "dispatched")
            with read_session(net[CENTRE]) as s:
                assert [c.rejected["origin"] for c in list_conflicts(s)] == [CENTRE]
        finally:
            for engine in net.values():
                engine.dispose()


def test_concurrent_team_status_changes_the_station_node_wins(net):
    from supply.core.scenario_teams import TeamIn
    from supply.drills.teams import move_team, upsert_team

    for engine in net.values():  # the same team made on each database: one creation event everywhere
        with write_session(engine) as s:  # as a scenario's teams load (own=False: W holds H's team too)
            upsert_team(s, "admin", TeamIn(code="K1", station="H", kind="kitchen", headcount=6), own=False)
            s.commit()
    with write_session(net[CENTRE]) as s:
        move_team(s, "officer", "K1", "stood_down")
        s.commit()
    with write_session(net["H"]) as s:
        move_team(s, "officer", "K1", "en_route")
        s.commit()
    report = apply(net[CENTRE], export(net["H"], CENTRE))
    assert [(c.table, c.record, c.rejected["to_status"]) for c in report.conflicts] == [("team", "K1", "stood_down")]
    _full_sync(net)
    state = _same_everywhere(net)
    standing = [e for e in state["team_events"].values() if e[0] == "K1" and not e[3]]
    assert [e[2] for e in standing] == ["ready", "en_route"]
    from supply.drills.teams import get_team

    for engine in net.values():
        with read_session(engine) as s:
            assert get_team(s, "K1").status == "en_route"


# --- a node's authority is its station (issue 20) -------------------------------------------------------


def test_a_node_changes_no_other_stations_dispatch_and_no_bundle_carries_one(net):
    """H may not move W's dispatch at home (403), nor send an event on it: the centre refuses the bundle whole."""
    from supply.core.errors import ForbiddenError
    from supply.service.sync import import_bundle

    with write_session(net[CENTRE]) as s:
        ledger.receive(s, "officer", "W", "meals", 100, "the centre records for every station")
        theirs = new_dispatch(s, "W", "meals", 10)
        s.commit()
    sync(net, "H")
    w_uid = _uid(net[CENTRE], theirs)
    with pytest.raises(ForbiddenError, match="node of H: it records only H's own"):
        _move(net["H"], _by_uid(net["H"], w_uid), "dispatched")
    with write_session(net["H"]) as s:
        new_dispatch(s, "H", "meals", 5)
        s.commit()

    def onto_ws(body):
        at, rows = rows_of(body, "dispatch_event")
        rows[0][at["dispatch_id"]] = w_uid

    with write_session(net["H"]) as s:
        bundle = resign(s, export_bundle(s, for_node=CENTRE), "H", onto_ws)
    before = held(net[CENTRE])
    with (
        write_session(net[CENTRE]) as s,
        pytest.raises(SyncRefusedError, match="is about station W, and was made by 'H'"),
    ):
        import_bundle(s, bundle)
    assert held(net[CENTRE]) == before


def test_a_node_refuses_a_relayed_record_outside_its_origins_station(net):
    """The centre relays everyone's records: each must still be about its origin's station."""
    from supply.service.sync import import_bundle

    with write_session(net["H"]) as s:
        ledger.receive(s, "officer", "H", "meals", 7, "truck")
        s.commit()
    sync(net, "H")

    def to_p(body):
        at, rows = rows_of(body, "movement")
        next(r for r in rows if r[at["origin"]] == "H")[at["station"]] = "P"

    with write_session(net[CENTRE]) as s:
        relayed = resign(s, export_bundle(s, for_node="W"), CENTRE, to_p)
    before = held(net["W"])
    refused = pytest.raises(SyncRefusedError, match="is about station P, and was made by 'H'")
    with write_session(net["W"]) as s, refused:
        import_bundle(s, relayed)
    assert held(net["W"]) == before


@pytest.mark.parametrize(
    ("where", "value", "fault"),
    [
        ("upto", {"movement": "many"}, "'upto' is not a table of record counts"),
        ("acks", [1, 2], "'acks' is not a table of record counts"),
        ("uid", ["not", "text"], "is not text"),
        ("at", "yesterday", "'yesterday' is not a time"),
        ("item", "caviar", "item: unknown item 'caviar'"),
        ("exercise", "yes", "'yes' is not true or false"),
        ("dispatch_event.to_status", "lost", "to_status: 'lost' is not one of cancelled, closed"),
        ("dispatch_event.to_status", ["x"], "to_status: ['x'] is not one of"),
    ],
)
def test_a_signed_bundle_with_malformed_content_is_refused_whole(net, where, value, fault):
    """Signed by a trusted key, yet not what jungong writes: a refusal naming the fault, never a crash."""
    from supply.service.sync import import_bundle

    with write_session(net["H"]) as s:
        ledger.receive(s, "officer", "H", "meals", 3)
        s.commit()

    def spoil(body):
        if where in ("upto", "acks"):
            body[where] = value
            return
        table, _, column = where.rpartition(".")
        at, rows = rows_of(body, table or "movement")
        rows[-1][at[column]] = value

    with write_session(net["H"]) as s:
        if where.startswith("dispatch_event"):
            new_dispatch(s, "H", "meals", 2)
        bundle = resign(s, export_bundle(s, for_node=CENTRE), "H", spoil)
    before = held(net[CENTRE])
    with write_session(net[CENTRE]) as s, pytest.raises(SyncRefusedError, match=re.escape(fault)):
        import_bundle(s, bundle)
    assert held(net[CENTRE]) == before
