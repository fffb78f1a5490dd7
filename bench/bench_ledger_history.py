"""Benchmark the ledger's cost against its history: an empty book and one with years of movements, same run.

For each database (SQLite file; PostgreSQL when 127.0.0.1:5432 answers) two fresh databases are
built from the Guangzhou scenario: one as it comes, one preloaded with ``--movements`` past
movements (default 2,000,000) on one station and item (``GZ-HUB`` meals), spread over three years
and netting to zero, so both books hold the same balance. The preload is written straight into the
table (COPY on PostgreSQL), checked with ``reconcile`` (running balances equal the ledger) and
analysed. Both apps are then driven in-process through the real API, alternating request by
request (background load weighs on both alike):

- write: ``POST /stations/GZ-HUB/issues`` (1 meal; lock, check, move balance, append, audit);
- stock: ``GET /stations/GZ-HUB/stock``; alerts: ``GET /alerts``.

Printed: p50/p99 per request and history size, and the ratio of each to the empty ledger's.

    python bench/bench_ledger_history.py [--movements 2000000] [--writes 300] [--reads 60] [--backends sqlite,postgres]

Targets (issue 12): with 2,000,000 movements, write p50 within 1.5× of the empty ledger's and
stock reads under 50 ms.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from supply.core.scenario import load_scenario  # noqa: E402
from supply.core.settings import Settings  # noqa: E402
from supply.drills.teams import sync_scenario_with_teams  # noqa: E402
from supply.service.auth import add_user  # noqa: E402
from supply.service.db import make_engine, write_session  # noqa: E402
from supply.service.migrate import upgrade  # noqa: E402
from supply.service.models import CENTRE, new_uid  # noqa: E402
from supply.service.reconcile import reconcile  # noqa: E402

SCENARIO = ROOT / "scenarios" / "guangzhou.toml"
STATION, ITEM = "GZ-HUB", "meals"
ISSUE = {"item": ITEM, "quantity": 1}
COLUMNS = (
    "at",
    "kind",
    "station",
    "item",
    "exercise",
    "quantity",
    "on_hand_delta",
    "reserved_delta",
    "reason",
    "actor",
    "uid",  # sync's global id and the database that made the row (issue 16): required since then
    "origin",
)


def pg_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


def fresh(url: str) -> str:
    """Migrate and load the scenario; the officer's token."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with write_session(engine) as s:
            sync_scenario_with_teams(s, load_scenario(SCENARIO), SCENARIO.read_text(encoding="utf-8"), actor="bench")
            token = add_user(s, "bench-officer", "officer", actor="bench")[1]
            s.commit()
    finally:
        engine.dispose()
    return token


def history(n: int):
    """``n`` past movements on one book over three years, alternately +1 and −1 (net zero), oldest first."""
    start, step = datetime.now(UTC) - timedelta(days=3 * 365), timedelta(days=3 * 365) / max(n, 1)
    for i in range(n):
        at = (start + i * step).replace(tzinfo=None)  # stored as naive UTC
        kind, delta = ("receipt", 1.0) if i % 2 == 0 else ("issue", -1.0)
        yield (at, kind, STATION, ITEM, False, 1.0, delta, 0.0, "history", "bench", new_uid(), CENTRE)


def preload(url: str, n: int) -> float:
    """Write ``n`` movements straight into the ledger, reconcile and analyse; seconds taken."""
    t0 = time.perf_counter()
    engine = make_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            raw = engine.raw_connection()
            try:
                cur = raw.cursor()
                with cur.copy(f"COPY movement ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in history(n):
                        copy.write_row(row)
                raw.commit()
            finally:
                raw.close()
        else:  # the driver's executemany: SQLAlchemy's per-row processing would dominate
            raw = engine.raw_connection()
            try:
                sql = f"INSERT INTO movement ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
                rows = ((at.isoformat(sep=" "), *rest) for at, *rest in history(n))
                raw.cursor().executemany(sql, rows)
                raw.commit()
            finally:
                raw.close()
        with write_session(engine) as s:
            checked, found = reconcile(s)
            assert not found, f"preload broke the balances: {found[:3]}"
            s.rollback()
        with engine.begin() as c:
            c.execute(text("ANALYZE movement" if engine.dialect.name == "postgresql" else "ANALYZE"))
    finally:
        engine.dispose()
    return time.perf_counter() - t0


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100)[q - 1] if len(xs) > 1 else xs[0]


def drive(clients: list, writes: int, reads: int) -> list[dict[str, list[float]]]:
    """Alternate each request across the apps; per app, latencies (ms) per request kind."""
    out: list[dict[str, list[float]]] = [{"write": [], "stock": [], "alerts": []} for _ in clients]
    calls = [
        ("write", writes, lambda c, h: c.post(f"/stations/{STATION}/issues", json=ISSUE, headers=h)),
        ("stock", reads, lambda c, h: c.get(f"/stations/{STATION}/stock", headers=h)),
        ("alerts", reads, lambda c, h: c.get("/alerts", headers=h)),
    ]
    for name, times, call in calls:
        for _ in range(5):  # warm up
            for c, h in clients:
                call(c, h)
        for _ in range(times):
            for k, (c, h) in enumerate(clients):
                t0 = time.perf_counter()
                res = call(c, h)
                out[k][name].append((time.perf_counter() - t0) * 1000)
                assert res.status_code < 300, res.text
    return out


def bench_backend(console: Console, backend: str, movements: int, writes: int, reads: int) -> list[bool]:
    from fastapi.testclient import TestClient

    from supply.api import create_app

    folder = Path(tempfile.mkdtemp(prefix="bench-history-"))
    admin, names = None, []
    if backend == "sqlite":
        urls = [f"sqlite:///{folder / f'h{n}.db'}" for n in (0, movements)]
    else:
        import psycopg

        admin = psycopg.connect(host="127.0.0.1", port=5432, dbname="test", autocommit=True)
        user = admin.info.user
        names = [f"jungong_bench_{uuid.uuid4().hex[:8]}_{n}" for n in (0, movements)]
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        urls = [f"postgresql+psycopg://{user}@127.0.0.1:5432/{name}" for name in names]
    apps = []
    try:
        tokens = [fresh(url) for url in urls]
        took = preload(urls[1], movements)
        console.print(f"{backend}: preloaded {movements:,} movements in {took:.1f} s (reconciled: balances = ledger)")
        clients = []
        for url, token in zip(urls, tokens, strict=True):
            app = create_app(Settings(database_url=url, data_dir=folder))
            apps.append(app)
            c = TestClient(app)
            c.__enter__()
            clients.append((c, {"Authorization": f"Bearer {token}"}))
        lat = drive(clients, writes, reads)
        for c, _ in clients:
            c.__exit__(None, None, None)
    finally:
        for app in apps:
            app.state.runtime.engine.dispose()
        if admin is not None:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
        shutil.rmtree(folder, ignore_errors=True)
    table = Table(title=f"{backend}: the ledger at 0 and {movements:,} past movements (ms)")
    for col in ("request", "p50 empty", "p99 empty", f"p50 {movements:,}", f"p99 {movements:,}", "p50 ratio"):
        table.add_column(col, justify="right")
    for name in ("write", "stock", "alerts"):
        empty, full = lat[0][name], lat[1][name]
        ratio = statistics.median(full) / statistics.median(empty)
        table.add_row(
            name,
            f"{statistics.median(empty):.1f}",
            f"{pct(empty, 99):.1f}",
            f"{statistics.median(full):.1f}",
            f"{pct(full, 99):.1f}",
            f"{ratio:.2f}×",
        )
    console.print(table)
    write_ratio = statistics.median(lat[1]["write"]) / statistics.median(lat[0]["write"])
    stock_p50 = statistics.median(lat[1]["stock"])
    met = [write_ratio <= 1.5, stock_p50 < 50]
    console.print(
        f"{backend} targets: write p50 ratio {write_ratio:.2f}× ≤ 1.5× {'MET' if met[0] else 'MISSED'}; "
        f"stock p50 {stock_p50:.1f} ms < 50 ms {'MET' if met[1] else 'MISSED'}"
    )
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=2_000_000)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--reads", type=int, default=60)
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    args = parser.parse_args()
    console = Console()
    results = []
    for backend in args.backends.split(","):
        if backend == "postgres" and not pg_up():
            console.print("postgres: 127.0.0.1:5432 does not answer; skipped")
            continue
        results += bench_backend(console, backend, args.movements, args.writes, args.reads)
    console.print("all targets met" if all(results) else "some targets MISSED")


if __name__ == "__main__":
    main()
