"""A centre and two station nodes as SQLite files, built through the domain, and what they hold, to compare."""

from __future__ import annotations

import json
import os
import shutil
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session

import supply.drills.models  # noqa: F401 - registers the drills' synced tables
from supply.core.factors import Factors
from supply.core.scenario import Scenario, load_scenario
from supply.core.settings import get_settings
from supply.drills.models import TeamEvent
from supply.drills.teams import sync_scenario_with_teams
from supply.service.db import make_engine, read_session, write_session
from supply.service.dispatches import create_dispatch
from supply.service.inputs import DispatchIn, LineIn, RequestIn
from supply.service.migrate import upgrade
from supply.service.models import Dispatch, DispatchEvent, LotBalance, Movement, StockLock, table_of
from supply.service.requests import create_request
from supply.service.sync import export_bundle, import_bundle, public_key_pem, trust_key
from supply.service.sync.bundle import MAGIC, pack
from tests.conftest import write

PASSPHRASE = "test passphrase, not a secret"
CENTRE = "centre"


@contextmanager
def passphrase() -> Iterator[None]:
    """``JUNGONG_SYNC_PASSPHRASE`` set for the block (settings re-read on both sides)."""
    old = os.environ.get("JUNGONG_SYNC_PASSPHRASE")
    os.environ["JUNGONG_SYNC_PASSPHRASE"] = PASSPHRASE
    get_settings.cache_clear()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("JUNGONG_SYNC_PASSPHRASE", None)
        else:
            os.environ["JUNGONG_SYNC_PASSPHRASE"] = old
        get_settings.cache_clear()


def url(folder: Path, name: str) -> str:
    return f"sqlite:///{folder / name}.db"


def init_database(db_url: str, scenario: Scenario, text: str, node: str | None = None) -> None:
    """The database at ``db_url`` as ``jungong db init [--node NODE]`` makes it: migrated, ``scenario`` loaded.

    ``text`` is the scenario file's text; ``node`` makes it that station's node (``None``: the centre).
    """
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with write_session(engine) as s:
            sync_scenario_with_teams(s, scenario, text, node=node)
            s.commit()
    finally:
        engine.dispose()


def in_session(db_url: str, fn):
    """``fn(session)`` in one committed write transaction on ``db_url``."""
    engine = make_engine(db_url)
    try:
        with write_session(engine) as s:
            out = fn(s)
            s.commit()
            return out
    finally:
        engine.dispose()


def build(folder: Path, scenario: Path, nodes: tuple[str, ...]) -> None:
    """``centre.db`` and one ``<NODE>.db`` per node in ``folder``, loaded from ``scenario``, keys trusted both ways."""
    sc = load_scenario(scenario)
    text = scenario.read_text(encoding="utf-8")
    for name in (CENTRE, *nodes):
        init_database(url(folder, name), sc, text, node=None if name == CENTRE else name)
    keys = {name: in_session(url(folder, name), public_key_pem) for name in (CENTRE, *nodes)}
    for name in (CENTRE, *nodes):
        engine = make_engine(url(folder, name))
        with write_session(engine) as s:
            for other in [CENTRE] if name != CENTRE else nodes:
                trust_key(s, other, keys[other])
            s.commit()
        engine.dispose()


def template(folder: Path, scenario_text: str, nodes: tuple[str, ...]) -> Path:
    """The databases every test of a module copies: built once in ``folder`` from ``scenario_text``."""
    with passphrase():
        build(folder, write(folder, scenario_text, "scenario.toml"), nodes)
    return folder


def copy(template: Path, folder: Path, names: tuple[str, ...]) -> dict[str, Engine]:
    """Fresh copies of the template databases: an engine on each."""
    out = {}
    for name in names:
        shutil.copy(template / f"{name}.db", folder / f"{name}.db")
        out[name] = make_engine(url(folder, name))
    return out


def export(engine: Engine, for_node: str | None) -> bytes:
    with write_session(engine) as s:
        data = export_bundle(s, for_node=for_node)
        s.commit()
    return data


def apply(engine: Engine, data: bytes) -> Any:
    with write_session(engine) as s:
        report = import_bundle(s, data)
        s.commit()
    return report


def resign(session: Session, data: bytes, sender: str, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """Bundle ``data``'s content changed by ``edit`` and signed again with this database's own key, as
    ``sender``: what whoever holds that key could send, signature sound, for the receiver to judge."""
    body = json.loads(zlib.decompress(data[len(MAGIC) :].split(b"\n", 1)[1]))
    edit(body)
    return pack(session, sender, body)


def rows_of(body: dict[str, Any], table: str) -> tuple[dict[str, int], list[list[Any]]]:
    """A bundle table's column positions and its rows (lists, changed in place by a forger)."""
    part = body["tables"][table]
    return {c: n for n, c in enumerate(part["columns"])}, part["rows"]


def sync(engines: dict[str, Engine], node: str, *, push: bool = True, pull: bool = True) -> None:
    """Node → centre, then centre → node (what ``jungong sync run`` does once)."""
    if push:
        apply(engines[CENTRE], export(engines[node], CENTRE))
    if pull:
        apply(engines[node], export(engines[CENTRE], node))


def new_dispatch(session: Session, station: str, item: str, qty: float, *, site: str = "S-CITY") -> int:
    data = RequestIn(
        unit="Unit 81",
        headcount=10,
        site=site,
        arrive_at=datetime(2030, 5, 1, 4, tzinfo=UTC),
        needs={item: qty},
    )
    request_id = create_request(session, "officer", data, Factors()).id
    line = DispatchIn(request_id=request_id, station=station, lines=[LineIn(item=item, quantity=qty)])
    return create_dispatch(session, "officer", line)


def held(engine: Engine) -> dict[str, Any]:
    """Everything that must be the same on every database after a full sync (by uid, never local ids)."""
    moves, dispatches, events = table_of(Movement), table_of(Dispatch), table_of(DispatchEvent)
    team_events = table_of(TeamEvent)
    with read_session(engine) as s:
        conn = s.connection()
        uid_of = dict(conn.execute(select(moves.c.id, moves.c.uid)).all())
        d_uid = dict(conn.execute(select(dispatches.c.id, dispatches.c.uid)).all())
        ledger = {
            m.uid: (
                m.kind,
                m.station,
                m.item,
                m.exercise,
                m.quantity,
                m.on_hand_delta,
                m.reserved_delta,
                m.origin,
                uid_of.get(m.reversal_of),
                d_uid.get(m.dispatch_id),
                m.cause,
                m.lot,
                m.expires_on,
            )
            for m in conn.execute(select(moves))
        }
        lots = {
            (b.station, b.item, b.exercise, b.lot): (round(b.on_hand, 6), b.expires_on)
            for b in conn.execute(select(table_of(LotBalance)))
            if abs(b.on_hand) > 1e-9
        }
        balances = {
            (b.station, b.item, b.exercise): (round(b.on_hand, 6), round(b.reserved, 6))
            for b in conn.execute(select(table_of(StockLock)))
        }
        status = {d.uid: (d.station, d.status) for d in conn.execute(select(dispatches))}
        log = {
            e.uid: (d_uid[e.dispatch_id], e.parent, e.origin, e.to_status, e.rejected)
            for e in conn.execute(select(events))
        }
        teams = {e.uid: (e.team, e.parent, e.to_status, e.rejected) for e in conn.execute(select(team_events))}
    return {
        "ledger": ledger,
        "balances": balances,
        "lots": lots,
        "status": status,
        "events": log,
        "team_events": teams,
    }
