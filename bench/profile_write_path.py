"""Where a duty officer's write request spends its time, step by step (issue 21's profile).

Runs the real app in-process (``create_app``, every middleware, the real database) and drives it
with the workflow of ``bench_api.py`` — reserve → dispatched → delivered, the reserve with an
``Idempotency-Key`` — one request at a time, alternating with the bare FastAPI + SQLModel insert of
``bench_api.py`` so background load weighs on both alike. FastAPI's thread-pool hand-offs are run
inline (one thread: what is timed is the request's own work, not the scheduler's).

Each step's time is measured by wrapping the functions that do it with a wall-clock timer
(inclusive: a step's figure contains its own SQL); the SQL itself is the time inside the driver's
``execute`` (``before``/``after_cursor_execute``), and its count is statements per request:

- authentication: the bearer-token lookup (``_caller``, before it ``current_user``: connection, SQL, role check);
- checks before the write lock: ``Writer.check`` (request, station, items; a dispatch's lines);
- idempotency: the stored-answer lookup, the forgetting of an expired one and the answer's INSERT;
- drill closed?: ``refuse_if_closed``; authority: ``require_own``; audit: ``audit.record``;
- running balances: ``ledger.apply`` (book and lot balances, checked and moved);
- movements: the ledger rows (``ledger._append``); the dispatch's own rows: the rest of
  ``plan_dispatch`` / ``move_dispatch`` (its row, lines, status and status event);
- sync bookkeeping: the status log read for the new event's parent (``head_uid`` where a build has
  it); uids and origins are column defaults, timed apart: ``uid generation`` is ``new_uid``'s
  cost times the uids a request makes;
- session handling: opening the write session (its ``BEGIN IMMEDIATE`` and SQLite's write lock),
  its commit and close;
- access logging: the ``AccessLog`` middleware around a no-op app, per request;
- the rest (routing, validation, serialisation, the other middlewares) is the request's total
  less the steps above.

    python bench/profile_write_path.py [--requests 300] [--backends sqlite,postgres]

Run it on another build with ``PYTHONPATH=/path/to/build`` to compare (a step a build lacks shows 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import timeit
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # bench_api (this folder)
if not os.environ.get("PYTHONPATH"):  # this checkout, unless another build is named
    sys.path.insert(0, str(ROOT.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import supply  # noqa: E402  # first: bench_api puts this checkout on the path, the build profiled must win

SPENT: dict[str, float] = defaultdict(float)
STATEMENTS = [0]
#: Step names, in the order printed.
STEPS = (
    "authentication",
    "checks before the write lock",
    "idempotency",
    "drill closed?",
    "authority (node)",
    "audit",
    "running balances",
    "movements",
    "sync bookkeeping (parent link)",
    "the dispatch's own rows (row, lines, event, status)",
    "session handling",
)


#: Whether the workflow is being timed (the bare app's requests are not); the open steps' child time.
ACTIVE = [False]
_OPEN: list[float] = []


def timed(owner: Any, name: str, step: str) -> None:
    """Wrap ``owner.name`` (when the build has it) so its wall time, less that of the timed steps it
    calls, adds to ``step`` (exclusive: the steps and the rest sum to the request's total)."""
    fn = getattr(owner, name, None)
    if fn is None:
        return

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not ACTIVE[0]:
            return fn(*args, **kwargs)
        _OPEN.append(0.0)
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            dt = time.perf_counter() - t0
            inner = _OPEN.pop()
            SPENT[step] += dt - inner
            if _OPEN:
                _OPEN[-1] += dt

    setattr(owner, name, wrapper)


def instrument(engine: Any) -> None:
    import fastapi.dependencies.utils
    import fastapi.routing
    from sqlalchemy import event

    import supply.api.deps as deps
    import supply.api.routers.dispatches as routes
    import supply.service.dispatches as dispatches
    import supply.service.idempotency as idem
    import supply.service.ledger as ledger

    async def inline(func: Callable, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    fastapi.routing.run_in_threadpool = inline  # type: ignore[assignment]  # the profile runs handlers inline to see them
    fastapi.dependencies.utils.run_in_threadpool = inline  # type: ignore[assignment]  # the profile runs handlers inline to see them
    from sqlmodel import Session

    own_rows = "the dispatch's own rows (row, lines, event, status)"
    # the whole lookup (connection too) where a build has it by name — ``_caller`` (its writers' since the
    # fifth pass), else ``current_user`` —, else the query alone
    auth = "_caller" if hasattr(deps, "_caller") else "current_user" if hasattr(deps, "_caller_in") else "authenticate"
    wrapped = (
        (deps, auth, "authentication"),
        (deps.Writer, "check", "checks before the write lock"),
        (deps.Writer, "_stored", "idempotency"),
        (idem, "forget", "idempotency"),
        (routes, "refuse_if_closed", "drill closed?"),
        (dispatches, "require_own", "authority (node)"),
        (dispatches, "record", "audit"),
        (ledger, "record", "audit"),
        (ledger, "apply", "running balances"),
        (ledger, "_append", "movements"),
        (dispatches, "head_uid", "sync bookkeeping (parent link)"),
        (routes, "plan_dispatch", own_rows),
        (routes, "move_dispatch", own_rows),
        (deps, "write_session", "session handling"),
        (Session, "commit", "session handling"),
        (Session, "close", "session handling"),
    )
    for owner, name, step in wrapped:
        timed(owner, name, step)
    started: dict[int, float] = {}

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started[id(cursor)] = time.perf_counter()
        STATEMENTS[0] += ACTIVE[0]

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        dt = time.perf_counter() - started.pop(id(cursor), time.perf_counter())
        if not ACTIVE[0]:
            return
        SPENT["the SQL itself (in the driver)"] += dt
        if "idempotency_record" in statement and statement.lstrip().upper().startswith("INSERT"):
            SPENT["idempotency"] += dt  # the answer's INSERT runs inline in Writer.run: its driver time

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)


async def call(app: Any, method: str, path: str, body: dict, headers: dict[str, str]) -> tuple[int, bytes]:
    raw = json.dumps(body).encode()
    hs = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    hs += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": hs,
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
        "app": app,
    }
    done, out = False, {"status": 0, "body": b""}

    async def receive() -> dict:
        nonlocal done
        if not done:
            done = True
            return {"type": "http.request", "body": raw, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return int(out["status"]), bytes(out["body"])


def access_log_ms(n: int = 3000) -> float:
    """The ``AccessLog`` middleware's own cost per request (around an app that answers at once)."""
    from supply.api.access_log import AccessLog

    async def noop(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    mw = AccessLog(noop)

    async def run() -> float:
        scope = {"type": "http", "method": "POST", "path": "/x", "headers": []}

        async def receive() -> dict:
            return {}

        async def send(message: dict) -> None:
            return None

        t0 = time.perf_counter()
        for _ in range(n):
            await mw(dict(scope), receive, send)
        t1 = time.perf_counter()
        for _ in range(n):
            await noop(dict(scope), receive, send)
        return ((t1 - t0) - (time.perf_counter() - t1)) / n * 1000

    return asyncio.run(run())


def profile(url: str, bare_url: str, requests: int) -> dict[str, float]:
    from bench_api import bare_app, prepare

    from supply.api import create_app
    from supply.core.settings import Settings
    from supply.service.models import new_uid

    token, rid = prepare(url)
    os.environ["BENCH_BARE_URL"] = bare_url
    app = create_app(Settings(database_url=url, data_dir=Path(tempfile.mkdtemp())))
    bare = bare_app()
    runtime = app.state.runtime
    # the app's engines: its own and, where it is another (PostgreSQL), the event loop's pool of writes
    loop = getattr(runtime, "loop_engine", runtime.engine)
    engines = [runtime.engine] if loop is runtime.engine else [runtime.engine, loop]
    for engine in engines:
        instrument(engine)
    auth = {"Authorization": f"Bearer {token}"}
    uids_before = [0]
    from sqlalchemy import event

    def count_uids(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        rows = params if isinstance(params, list) else [params]
        if ACTIVE[0] and statement.lstrip().upper().startswith("INSERT") and " uid" in statement.split("VALUES")[0]:
            uids_before[0] += len(rows)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", count_uids)

    async def workflow() -> None:
        body = {"request_id": rid, "station": "GZ-HUB", "lines": [{"item": "meals", "quantity": 1}]}
        status, raw = await call(app, "POST", "/dispatches", body, {**auth, "Idempotency-Key": uuid.uuid4().hex})
        assert status == 201, raw
        did = json.loads(raw)["id"]
        for step in ("dispatched", "delivered"):
            status, raw = await call(app, "POST", f"/dispatches/{did}/status", {"status": step}, auth)
            assert status == 200, raw

    async def bare_insert() -> None:
        status, raw = await call(bare, "POST", "/rows", {"value": "x"}, {})
        assert status == 201, raw

    async def main() -> dict[str, float]:
        async with app.router.lifespan_context(app):
            for _ in range(20):  # warm-up: caches, prepared statements, pools
                await workflow()
                await bare_insert()
            SPENT.clear()
            STATEMENTS[0] = uids_before[0] = 0
            wf = br = 0.0
            rounds = max(1, requests // 30)
            for _ in range(rounds):
                ACTIVE[0] = True
                t0 = time.perf_counter()
                for _ in range(10):
                    await workflow()
                wf += time.perf_counter() - t0
                ACTIVE[0] = False
                t0 = time.perf_counter()
                for _ in range(30):
                    await bare_insert()
                br += time.perf_counter() - t0
            n = rounds * 30
            out = {k: v / n * 1000 for k, v in SPENT.items()}
            out["total"] = wf / n * 1000
            out["bare"] = br / n * 1000
            out["statements"] = STATEMENTS[0] / n
            out["uids"] = uids_before[0] / n
            return out

    result = asyncio.run(main())
    for engine in engines:
        engine.dispose()
    result["uid generation"] = result["uids"] * timeit.timeit(new_uid, number=20000) / 20000 * 1000
    result["access logging"] = access_log_ms()
    return result


def one(url: str, bare_url: str, requests: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--one", url, bare_url, "--requests", str(requests)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=300, help="workflow requests timed (3 per workflow)")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--one", nargs=2, metavar=("URL", "BARE_URL"), help=argparse.SUPPRESS)  # one database, as JSON
    args = ap.parse_args()
    if args.one:  # each database in its own process: the instrumentation and the bare app's table are per process
        print(json.dumps(profile(*args.one, args.requests)))
        return
    console = Console(width=150)
    console.print(f"build: {Path(supply.__file__).resolve().parent.parent}")
    columns: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if "sqlite" in args.backends:
            columns["SQLite"] = one(f"sqlite:///{tmp}/wf.db", f"sqlite:///{tmp}/bare.db", args.requests)
        if "postgres" in args.backends:
            from bench_api import pg_reachable

            if pg_reachable():
                import psycopg

                name = f"jungong_prof_{uuid.uuid4().hex[:8]}"
                admin = psycopg.connect(host="127.0.0.1", user="postgres", dbname="test", autocommit=True)
                admin.execute(f'CREATE DATABASE "{name}"')
                try:
                    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
                    columns["PostgreSQL"] = one(url, url, args.requests)
                finally:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    admin.close()
            else:
                console.print("PostgreSQL not reachable on 127.0.0.1:5432: skipped")
    table = Table(title="ms per workflow request by step, with its share (its SQL included; one request at a time)")
    table.add_column("step")
    for label in columns:
        table.add_column(label, justify="right")
    steps = (*STEPS, "uid generation", "access logging")
    for c in columns.values():
        c["the rest"] = c["total"] - sum(c.get(s, 0.0) for s in steps)

    def cell(c: dict[str, float], step: str) -> str:  # ms, and the share of the request (load scales the ms)
        return f"{c.get(step, 0.0):.3f} ({c.get(step, 0.0) / c['total']:4.0%})"

    for step in steps:
        table.add_row(step, *(cell(c, step) for c in columns.values()))
    table.add_row(
        "the rest (routing, validation, serialisation, middleware)", *(cell(c, "the rest") for c in columns.values())
    )
    table.add_row("[bold]total per request[/]", *(f"{c['total']:.3f}" for c in columns.values()))
    sql = "the SQL itself (in the driver)"
    table.add_row(f"of which {sql}", *(f"{c.get(sql, 0.0):.3f}" for c in columns.values()))
    table.add_row("SQL statements per request", *(f"{c['statements']:.1f}" for c in columns.values()))
    table.add_row("bare insert, per request", *(f"{c['bare']:.3f}" for c in columns.values()))
    table.add_row("bare ÷ workflow (per request)", *(f"{c['bare'] / c['total']:.2f}" for c in columns.values()))
    console.print(table)
    console.print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
