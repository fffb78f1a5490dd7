"""The duty officer's write path stays lean: SQL statements per request of the workflow, bounded.

Issue 21: the workflow (reserve → dispatched → delivered) lost half its speed against a bare insert
as checks were added statement by statement. Every statement is a round trip on PostgreSQL and
SQLAlchemy's execution path on either database, so the count per request is the honest guard: a
change that adds one fails here and must say why in the bound below. Counted: every statement
SQLAlchemy sends to the driver (``before_cursor_execute``) while the request is served — the
bearer-token lookup, the checks before the write lock and the write transaction's statements (the
transaction's BEGIN and COMMIT are not statements the driver is given).
"""

from __future__ import annotations

import uuid

from sqlalchemy import event

#: Statements per request: token lookup 1; reserve: request 1, stored answer 1, dispatch + line +
#: event + audit inserts 4, book balance 1, movement 1, stored answer 1.
RESERVE = 10
#: Status move: token 1, lines (with the book) 1, move 1, log 1, event + audit inserts 2 — the real
#: book's dispatch: only an exercise dispatch can be a drill's, so it alone is checked for a closed drill.
DISPATCHED = 6
#: Delivery: a status move's 6, then how each item is kept 1, book balance 1, lot balance 1, movement 1.
DELIVERED = 10


def _engines(client) -> list:
    """The app's engines: its own, and the event loop's pool where that is another (PostgreSQL)."""
    runtime = client.app.state.runtime
    return list({id(e): e for e in (runtime.engine, runtime.loop_engine)}.values())


def _counting(client) -> list[str]:
    seen: list[str] = []
    for engine in _engines(client):
        event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def _dispatch_body(client, db) -> dict:
    """A new support request's dispatch of one meal from GZ-HUB (the workflow's first POST's body)."""
    req = client.post(
        "/requests",
        json={"unit": "u", "headcount": 10, "site": "GZ-RAIL", "arrive_at": "2030-05-01T12:00:00+08:00"},
        headers=db.headers(),
    )
    assert req.status_code == 201, req.text
    return {"request_id": req.json()["id"], "station": "GZ-HUB", "lines": [{"item": "meals", "quantity": 1}]}


def test_statements_per_workflow_request_are_bounded(client, db):
    body = _dispatch_body(client, db)
    seen = _counting(client)
    counts = []
    for _ in range(3):  # the first may fill per-process caches (codes, the node of a new connection)
        del seen[:]
        r = client.post("/dispatches", json=body, headers=db.headers(**{"Idempotency-Key": uuid.uuid4().hex}))
        assert r.status_code == 201, r.text
        step = [len(seen)]
        for status in ("dispatched", "delivered"):
            del seen[:]
            r = client.post(f"/dispatches/{r.json()['id']}/status", json={"status": status}, headers=db.headers())
            assert r.status_code == 200, r.text
            step.append(len(seen))
        counts.append(step)
    assert counts[-1] == [RESERVE, DISPATCHED, DELIVERED], counts


def test_a_replayed_reserve_costs_its_lookups_only(client, db):
    """A retried POST answers from the stored answer: token, request check and the stored answer (3)."""
    body = _dispatch_body(client, db)
    headers = db.headers(**{"Idempotency-Key": "same-key"})
    first = client.post("/dispatches", json=body, headers=headers)
    seen = _counting(client)
    again = client.post("/dispatches", json=body, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(seen) == 3, seen


def test_a_writers_token_lookup_makes_no_thread_hand_off(client, db, monkeypatch):
    """On a database on this machine (a SQLite file; PostgreSQL on loopback, as here) the writer's
    token lookup runs on the event loop, as its write does: a local lookup costs less than a thread
    hand-off (a remote server's keeps to worker threads: ``test_writes_leave_the_loop_for_a_remote_server``)."""
    import supply.api.deps as deps

    on_loop: list[bool] = []
    lookup = deps._caller

    def watched(*args, **kwargs):
        on_loop.append(_on_loop())
        return lookup(*args, **kwargs)

    monkeypatch.setattr(deps, "_caller", watched)
    req = client.post(
        "/requests",
        json={"unit": "u", "headcount": 10, "site": "GZ-RAIL", "arrive_at": "2030-05-01T12:00:00+08:00"},
        headers=db.headers(),
    )
    assert req.status_code == 201, req.text
    assert on_loop == [True], (db.backend, on_loop)
    unknown = client.post("/requests", json={"unit": ""}, headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401, unknown.text  # a bad body from an unknown caller: still 401, not 422


def test_pooled_connections_per_write_request(client, db):
    """Connections taken from the pool per workflow request: the token lookup's, then on SQLite one for
    the checks (outside its database-wide write lock) and one for the write; on PostgreSQL the checks
    run on the write transaction's own connection (reads lock nothing there): one fewer check-out."""
    body = _dispatch_body(client, db)
    checkouts: list[int] = []
    for engine in _engines(client):
        event.listen(engine.pool, "checkout", lambda *a: checkouts.append(1))
    for _ in range(2):  # the first may purge old stored answers (a connection of its own) and fill caches
        per_request = []
        for status in (None, "dispatched", "delivered"):
            del checkouts[:]
            if status is None:
                key = {"Idempotency-Key": uuid.uuid4().hex}
                r = client.post("/dispatches", json=body, headers=db.headers(**key))
                dispatch_id = r.json()["id"]
            else:
                r = client.post(f"/dispatches/{dispatch_id}/status", json={"status": status}, headers=db.headers())
            assert r.status_code in (200, 201), r.text
            per_request.append(len(checkouts))
    expected = 3 if db.backend == "sqlite" else 2
    assert per_request == [expected] * 3, (db.backend, per_request)


def _on_loop() -> bool:
    import asyncio

    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False


def _watch_moves(monkeypatch) -> list[bool]:
    """Whether each status move ran on the event loop (True) or in a worker thread (False)."""
    import supply.api.routers.dispatches as routes

    on_loop: list[bool] = []
    move = routes.move_dispatch

    def watched(*args, **kwargs):
        on_loop.append(_on_loop())
        return move(*args, **kwargs)

    monkeypatch.setattr(routes, "move_dispatch", watched)
    return on_loop


def _planned(client, db) -> int:
    body = _dispatch_body(client, db)
    r = client.post("/dispatches", json=body, headers=db.headers())
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_dispatch_write_runs_on_the_event_loop_on_a_local_database(client, db, monkeypatch):
    """On a SQLite file, and on PostgreSQL on this machine, a short write route runs on the event loop
    when its locks are free (no thread hand-off: issue 21's largest cost)."""
    dispatch_id = _planned(client, db)
    on_loop = _watch_moves(monkeypatch)
    r = client.post(f"/dispatches/{dispatch_id}/status", json={"status": "dispatched"}, headers=db.headers())
    assert r.status_code == 200, r.text
    assert on_loop == [True], (db.backend, on_loop)


def test_writes_leave_the_loop_for_a_remote_server(tmp_path):
    """A PostgreSQL server elsewhere (round trips of a network) or ``JUNGONG_WRITES_ON_LOOP=off``:
    writes and their token lookups run in worker threads, never stalling the event loop."""
    from supply.api.runtime import Runtime
    from supply.core.settings import Settings

    def inline(url: str, choice: str = "auto") -> bool:
        runtime = Runtime(Settings(database_url=url, data_dir=tmp_path, writes_on_loop=choice))
        try:
            return runtime.inline_writes
        finally:
            runtime.engine.dispose()

    assert not inline("postgresql://officer@db.example.mil:5432/jungong")
    assert not inline("postgresql://officer@10.0.0.5/jungong")
    assert inline("postgresql://officer@127.0.0.1:5432/jungong")
    assert inline("postgresql://officer@localhost/jungong")
    assert inline("postgresql:///jungong?host=/var/run/postgresql")  # a Unix socket
    assert inline(f"sqlite:///{tmp_path / 'j.db'}")
    assert not inline("sqlite://")  # in memory: one connection per thread
    assert not inline("postgresql://officer@127.0.0.1:5432/jungong", "off")
    assert not inline(f"sqlite:///{tmp_path / 'j.db'}", "off")
    assert inline("postgresql://officer@db.example.mil:5432/jungong", "on")


def test_a_write_steps_off_the_event_loop_while_a_row_it_needs_is_locked(client, db, monkeypatch):
    """PostgreSQL: a write on the event loop that waits more than a moment for a row lock (another
    transaction holds the dispatch) is rolled back and runs again in a worker thread, where it waits:
    the process's other requests are answered meanwhile, and the move lands once."""
    import threading
    import time

    import pytest
    from sqlalchemy import text

    if db.backend != "postgres":
        pytest.skip("row locks are PostgreSQL's (SQLite's lock is the whole database's: the test above)")
    dispatch_id = _planned(client, db)
    on_loop = _watch_moves(monkeypatch)
    answer: list = []
    url = f"/dispatches/{dispatch_id}/status"
    writer = threading.Thread(
        target=lambda: answer.append(client.post(url, json={"status": "dispatched"}, headers=db.headers()))
    )
    holder = client.app.state.runtime.engine.connect()
    try:
        holder.execute(text("SELECT id FROM dispatch WHERE id = :i FOR UPDATE"), {"i": dispatch_id})
        writer.start()
        time.sleep(0.5)
        read = client.get(f"/dispatches/{dispatch_id}", headers=db.headers())  # answered while the write waits
        assert read.status_code == 200 and read.json()["status"] == "planned", read.text
        assert writer.is_alive() and not answer  # the write still waits for the row
        assert on_loop == [True, False]  # tried on the loop, stepped aside, now waits in a worker thread
    finally:
        holder.rollback()
        holder.close()
        writer.join(10)
    assert answer[0].status_code == 200, answer[0].text
    history = client.get(f"/dispatches/{dispatch_id}", headers=db.headers()).json()["history"]
    assert [h["to"] for h in history] == ["planned", "dispatched"]


def test_a_write_steps_off_the_event_loop_while_another_process_writes(client, db, monkeypatch):
    """While another process holds SQLite's write lock, a write waits for it in a worker thread, not
    on the event loop: the worker's other requests are answered meanwhile, and the write lands once."""
    import fcntl
    import os
    import threading
    import time

    import pytest

    if db.backend != "sqlite":
        pytest.skip("the write lock is SQLite's")
    dispatch_id = _planned(client, db)
    on_loop = _watch_moves(monkeypatch)
    other = os.open(f"{client.app.state.runtime.engine.url.database}.writelock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)  # another process's long write
    answer: list = []
    url = f"/dispatches/{dispatch_id}/status"
    writer = threading.Thread(
        target=lambda: answer.append(client.post(url, json={"status": "dispatched"}, headers=db.headers()))
    )
    try:
        writer.start()
        time.sleep(0.3)
        read = client.get(f"/dispatches/{dispatch_id}", headers=db.headers())  # answered while the write waits
        assert read.status_code == 200 and read.json()["status"] == "planned", read.text
        assert writer.is_alive() and not answer  # the write still waits for the lock
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
        writer.join(10)
    assert answer[0].status_code == 200, answer[0].text
    assert on_loop == [False]  # it ran once, in a worker thread
    history = client.get(f"/dispatches/{dispatch_id}", headers=db.headers()).json()["history"]
    assert [h["to"] for h in history] == ["planned", "dispatched"]


def test_a_keyed_write_on_the_event_loop_purges_old_answers_off_it(client, db, monkeypatch):
    """The purge of expired stored answers waits for the write lock batch by batch: after a write on
    the event loop it runs in a worker thread, never on the loop."""
    runtime = client.app.state.runtime
    dispatch_id = _planned(client, db)
    purged_on_loop: list[bool] = []
    monkeypatch.setattr(runtime, "_purged_at", None)  # a purge is due
    monkeypatch.setattr(runtime, "purge_idempotency", lambda: purged_on_loop.append(_on_loop()))
    key = {"Idempotency-Key": uuid.uuid4().hex}
    r = client.post(f"/dispatches/{dispatch_id}/status", json={"status": "dispatched"}, headers=db.headers(**key))
    assert r.status_code == 200, r.text
    assert purged_on_loop == [False]


def test_a_route_whose_first_write_committed_is_never_run_again(client, db):
    """A route on the event loop that committed one write and finds the lock taken for a second one
    waits for it where it is: running the route again in a worker thread would repeat the first write."""
    import asyncio
    import fcntl
    import os
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    import pytest
    from sqlalchemy import text

    from supply.api.deps import Writer
    from supply.service.auth import Caller

    if db.backend != "sqlite":
        pytest.skip("the write lock is SQLite's")
    runtime = client.app.state.runtime
    request = SimpleNamespace(method="POST", url=SimpleNamespace(path="/test"))
    w = Writer(runtime, Caller(1, "officer", "officer"), request, None)  # type: ignore[arg-type]  # what Writer reads of a request
    other = os.open(f"{runtime.engine.url.database}.writelock", os.O_RDWR | os.O_CREAT)
    runs: list[int] = []

    def route(w: Writer):
        runs.append(1)
        w.transact(lambda s: s.connection().execute(text("UPDATE meta SET value = value WHERE 0")))
        fcntl.flock(other, fcntl.LOCK_EX)  # another process takes the lock between the two writes…
        threading.Timer(0.2, fcntl.flock, (other, fcntl.LOCK_UN)).start()  # …for longer than the loop's wait
        w.transact(lambda s: s.connection().execute(text("UPDATE meta SET value = value WHERE 0")))
        return "done"

    try:
        with ThreadPoolExecutor(1) as pool:  # an event loop of its own: the test's thread may run one (Playwright's)
            assert pool.submit(lambda: asyncio.run(w.call(route, w=w))).result(30) == "done"
    finally:
        os.close(other)
    assert runs == [1]


def test_the_event_loops_pool_is_let_go_at_shutdown(db, tmp_path):
    """PostgreSQL: the loop's own pool (beside the app's engine) holds connections while the app
    serves and none once it stops — a stopped server process leaves no session behind it."""
    import pytest
    from fastapi.testclient import TestClient

    from supply.api import create_app
    from supply.core.settings import Settings

    if db.backend != "postgres":
        pytest.skip("on SQLite the loop writes on the app's own engine")
    app = create_app(Settings(database_url=db.url, data_dir=tmp_path))
    runtime = app.state.runtime
    with TestClient(app) as client:
        _planned(client, db)
        assert runtime.loop_engine is not runtime.engine
        assert runtime.loop_engine.pool.checkedin() >= 1  # the write's connection, back in the loop's pool
    assert runtime.loop_engine.pool.checkedin() == 0
    runtime.engine.dispose()
