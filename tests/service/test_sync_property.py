"""Property: a centre and two station nodes, random work, partitions and sync orders, always converge.

Hypothesis draws officers' operations on any of the three databases (a node works only on its own
station — it is refused another's dispatch; the centre on any), interleaved with partial syncs (a
push or a pull of one node). After a full sync every database holds the same ledger, balances,
dispatch statuses and status events; nothing made anywhere is lost or doubled; the conflicts are
exactly the forks (two changes made on the same head of one dispatch), the owner's change standing.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from supply.core.errors import ConflictError, ForbiddenError
from supply.service import ledger
from supply.service.db import read_session, write_session
from supply.service.dispatches import check_status, move_dispatch
from supply.service.models import Dispatch, DispatchEvent, Movement, table_of
from supply.service.reconcile import reconcile
from supply.service.sync import list_conflicts
from tests.conftest import TINY
from tests.service.sync_helpers import CENTRE, apply, copy, export, held, new_dispatch, passphrase, sync
from tests.service.sync_helpers import template as databases

NODES = ("H", "W")
DBS = (CENTRE, *NODES)
STATIONS = ("H", "W", "P")
_MOVES, _EVENTS = table_of(Movement), table_of(DispatchEvent)
#: The tiny network with opening stock at both nodes' stations.
SCENARIO = TINY.replace("lat = 22.8\nlon = 113.4\n", "lat = 22.8\nlon = 113.4\n[stations.stock]\nmeals = 1000\n")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases(tmp_path_factory.mktemp("sync-property"), SCENARIO, NODES)


def _station(db: str, drawn: str) -> str:
    return drawn if db == CENTRE else db  # a node's officers work on their own station


STATUS = st.sampled_from(["dispatched", "delivered", "cancelled", "closed"])
FIRST = st.sampled_from(["dispatched", "cancelled"])  # the moves a planned dispatch allows
#: Every run starts with dispatches the centre and a node made (what follows is drawn).
START = [("dispatch", CENTRE, "H", 100), ("dispatch", CENTRE, "W", 100), ("dispatch", "W", "W", 50)]
move = st.tuples(st.just("move"), st.sampled_from(DBS), st.integers(0, 2), STATUS)
work = st.one_of(
    move,
    move,  # twice as likely: concurrent changes to one dispatch are what the merge rules are about
    st.tuples(st.just("receive"), st.sampled_from(DBS), st.sampled_from(STATIONS), st.integers(1, 300)),
    st.tuples(st.just("issue"), st.sampled_from(DBS), st.sampled_from(STATIONS), st.integers(1, 600)),
    st.tuples(st.just("dispatch"), st.sampled_from(DBS), st.sampled_from(STATIONS), st.integers(1, 400)),
    st.tuples(st.sampled_from(["push", "pull", "both"]), st.sampled_from(NODES)),
    st.tuples(st.sampled_from(["push", "pull", "both"]), st.sampled_from(NODES)),
    # a sync, then the same dispatch changed on both sides before the next one
    st.tuples(st.just("fork"), st.sampled_from(NODES), st.integers(0, 2), STATUS, STATUS),
    st.tuples(st.just("fork"), st.sampled_from(NODES), st.integers(0, 2), FIRST, FIRST),
)


def _top(engine, table) -> int:
    with read_session(engine) as s:
        return s.connection().execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()


def _new_uids(engine, table, after: int) -> set[str]:
    with read_session(engine) as s:
        return set(s.connection().execute(select(table.c.uid).where(table.c.id > after)).scalars())


def _run(engines, op, made: dict[str, set[str]], dispatches: list[str]) -> None:
    kind, db = op[0], op[1]
    if kind == "push":
        sync(engines, db, pull=False)
        return
    if kind == "pull":
        sync(engines, db, push=False)
        return
    if kind == "both":
        sync(engines, db)
        return
    if kind == "fork":
        sync(engines, db)
        _run(engines, ("move", db, op[2], op[3]), made, dispatches)
        _run(engines, ("move", CENTRE, op[2], op[4]), made, dispatches)
        return
    engine = engines[db]
    before = {"movement": _top(engine, _MOVES), "event": _top(engine, _EVENTS)}
    with write_session(engine) as s:
        try:
            if kind == "receive":
                ledger.receive(s, "officer", _station(db, op[2]), "meals", op[3])
            elif kind == "issue":
                ledger.issue(s, "officer", _station(db, op[2]), "meals", op[3])
            elif kind == "dispatch":
                d = new_dispatch(s, _station(db, op[2]), "meals", op[3])
                dispatches.append(s.connection().execute(select(Dispatch.uid).where(Dispatch.id == d)).scalar_one())
            elif dispatches:
                uid = dispatches[op[2] % len(dispatches)]
                local = s.connection().execute(select(Dispatch.id).where(Dispatch.uid == uid)).scalar_one_or_none()
                if local is None:
                    return  # this database has not heard of it yet
                move_dispatch(s, "officer", local, op[3], "", check_status(s.connection(), local))
            s.commit()
        except (ConflictError, ForbiddenError):  # not enough stock, an illegal move, another station's
            # dispatch moved on a node (a node's authority is its station): the officer is told, nothing written
            s.rollback()
            return
    made["movement"] |= _new_uids(engine, _MOVES, before["movement"])
    made["event"] |= _new_uids(engine, _EVENTS, before["event"])


def _full_sync(engines) -> None:
    for node in NODES:
        sync(engines, node, pull=False)
    for node in NODES:
        sync(engines, node, push=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(work, min_size=4, max_size=24))
@pytest.mark.slow
def test_every_database_converges_with_nothing_lost_or_doubled(template: Path, ops: list[tuple]):
    with tempfile.TemporaryDirectory() as tmp, passphrase():
        engines = copy(template, Path(tmp), DBS)
        try:
            _check(engines, ops)
        finally:
            for engine in engines.values():
                engine.dispose()


def _check(engines, ops: list[tuple]) -> None:
    made: dict[str, set[str]] = {"movement": set(), "event": set()}
    dispatches: list[str] = []
    openings = len(held(engines[CENTRE])["ledger"])
    for op in START + ops:
        _run(engines, op, made, dispatches)
    _full_sync(engines)
    states = {name: held(e) for name, e in engines.items()}
    state = states[CENTRE]
    for name, other in states.items():
        assert other == state, name  # the same ledger, balances, statuses and events everywhere
        with write_session(engines[name]) as s:
            assert reconcile(s)[1] == [], name  # balances are the ledger's sums
    # nothing lost, nothing doubled: every movement made is held once; the rest are the opening stock
    # and the reversals that give back what rejected changes moved
    ledger_now = state["ledger"]
    assert made["movement"] <= set(ledger_now)
    undo = {u for u, m in ledger_now.items() if m[0] == "reversal" and u not in made["movement"]}
    assert len(ledger_now) == openings + len(made["movement"]) + len(undo)
    assert set(state["events"]) == made["event"]
    # conflicts exactly at the forks: one standing change per head, the owner's if it made one
    events = state["events"]
    children: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    for uid, (record, parent, _origin, _to, _rejected) in events.items():
        children[(record, parent)].append(uid)
    expected = 0
    for (record, parent), kids in children.items():
        if parent is not None and events[parent][4]:
            assert all(events[k][4] for k in kids)  # below a rejected change, everything is rejected
            continue
        standing = [k for k in kids if not events[k][4]]
        assert len(standing) == 1, (record, parent, kids)
        owner = state["status"][record][0]
        if any(events[k][2] == owner for k in kids):
            assert events[standing[0]][2] == owner
        expected += len(kids) - 1
    event(f"conflicts: {'some' if expected else 'none'}")
    event(f"compensating reversals: {'some' if undo else 'none'}")
    rejected_causes = {u for u, e in events.items() if e[4]}
    undone = {m[8] for u, m in ledger_now.items() if u in undo}
    assert undone == {u for u, m in ledger_now.items() if m[10] in rejected_causes}  # each given back once
    for name, engine in engines.items():
        with read_session(engine) as s:
            assert len(list_conflicts(s)) == expected, name
    # quiescent: another round brings nothing new
    for node in NODES:
        assert apply(engines[CENTRE], export(engines[node], CENTRE)).applied == 0
        assert apply(engines[node], export(engines[CENTRE], node)).applied == 0
