"""Benchmark the duty officers' service against a bare FastAPI + SQLModel insert, same run.

Starts ``jungong serve --workers W`` and a bare one-row-insert app on loopback, on SQLite and
on PostgreSQL (when 127.0.0.1:5432 answers), and drives each with a bounded number of client
threads for a bounded time. A *workflow* is what a duty officer does per job: plan a dispatch
(reserve), mark it dispatched, mark it delivered (issue) — three authenticated, audited,
serialised POSTs. Printed: workflows/s, requests/s, p50/p99 latency per request, the
workflow's requests/s as a fraction of the bare endpoint's, and each server's CPU time per
request (its processes' user + system time while driven, psutil; and the part of it spent by
the processes' main threads, the event loops) with the bare ÷ workflow ratio of it: on a loaded
machine throughput swings with what else runs, the CPU a request costs much less.

Fair comparison: both run under uvicorn the same way — ``--workers W``, uvicorn's default
``auto`` event loop and HTTP parser (uvloop and httptools when installed), no access log, log
level warning (``jungong serve`` passes the same) — on the same engine settings where they
apply (SQLite: ``supply.service.db.make_engine``, WAL, synchronous=NORMAL). Both servers are up for the
whole run and driven in alternating two-second slices, so background load on a shared machine
weighs on both alike.

    python bench/bench_api.py [--seconds 8] [--workers 2] [--runs N]

``--runs N``: N runs one after another on the same servers, each printed, the verdict by their
median (a run's ratio swings ±0.1 on a shared 2-core machine).

Targets: issue 21, workflow req/s ≥ 0.9 × bare req/s on each database (printed: met or not);
issue 3, p99 ≤ 100 ms at 4 clients on SQLite, ≤ 250 ms at 16 on PostgreSQL. How a request's cost
grows with history: the workflow's p50 in the first and the last measured slice, with the number
of dispatches the book held before each (years of history: ``bench_ledger_history.py``).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Issue 21: the workflow's requests/s at least this fraction of the bare insert's, on each database.
TARGET = 0.9
STATIONS = ["GZ-HUB", "NS-WING", "N-WING", "GZE-PT", "GZS-PT", "GZN-PT", "HP-PT", "ZC-PT", "CH-PT", "PY-PT"]


# --- the bare app (run in its own uvicorn process) ------------------------------------------------
def bare_app():  # uvicorn factory
    from fastapi import FastAPI
    from sqlmodel import Field, Session, SQLModel, create_engine

    from supply.service.db import make_engine

    class BareRow(SQLModel, table=True):
        id: int | None = Field(default=None, primary_key=True)
        value: str

    url = os.environ["BENCH_BARE_URL"]
    engine = make_engine(url) if url.startswith("sqlite") else create_engine(url, pool_size=10, max_overflow=30)
    SQLModel.metadata.create_all(engine)
    app = FastAPI()

    @app.post("/rows", status_code=201)
    def insert(body: dict) -> dict:
        with Session(engine) as s:
            row = BareRow(value=str(body.get("value", "")))
            s.add(row)
            s.commit()
            return {"id": row.id}

    return app


# --- servers --------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start: {' '.join(cmd)}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


# --- load -----------------------------------------------------------------------------------------
@dataclass
class Result:
    requests: int
    units: int
    seconds: float
    latencies: list[float]
    errors: int
    cpu: float = 0.0  # CPU seconds the server's processes spent (user + system) while driven
    loop_cpu: float = 0.0  # of which their main threads: the event loops (parsing, routing, middleware, async work)

    def cpu_ms(self) -> float:
        """The server's CPU time per request (ms): its cost, whatever else runs on the machine."""
        return self.cpu / self.requests * 1000 if self.requests else float("nan")

    def loop_ms(self) -> float:
        """The event loops' share of it (ms a request); the rest is the worker threads' (sync routes, dependencies)."""
        return self.loop_cpu / self.requests * 1000 if self.requests else float("nan")

    def add(self, other: Result) -> None:
        """Take in another run's figures (the table shows all runs together)."""
        self.requests += other.requests
        self.units += other.units
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.errors += other.errors
        self.cpu += other.cpu
        self.loop_cpu += other.loop_cpu

    def pct(self, q: float) -> float:
        return statistics.quantiles(self.latencies, n=100)[q - 1] * 1000 if len(self.latencies) > 1 else float("nan")


def cpu_seconds(proc: subprocess.Popen | None) -> tuple[float, float]:
    """User + system CPU seconds of a server and its worker processes so far, and of their main
    threads (the event loops) alone; (0, 0) without psutil.

    Issue 21's fourth pass found the workflow's extra cost in the split, not in any one function:
    thread hand-offs and the interpreter lock traded between the loop and the worker threads.
    """
    if proc is None:
        return 0.0, 0.0
    try:
        import psutil
    except ImportError:  # a dev dependency: the CPU columns are then empty
        return 0.0, 0.0
    root = psutil.Process(proc.pid)
    total = loop = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
            main = next((th for th in p.threads() if th.id == p.pid), None)
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
        loop += main.user_time + main.system_time if main is not None else 0.0
    return total, loop


def drive(clients: int, seconds: float, work, result: Result | None = None) -> Result:
    """``clients`` threads each run ``work(client, i, record)`` until the time is up (added to ``result``)."""
    result = result or Result(0, 0, 0.0, [], 0)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def record(t0: float, ok: bool) -> None:
        with lock:
            result.latencies.append(time.perf_counter() - t0)
            result.requests += 1
            result.errors += not ok

    def run(i: int) -> None:
        with httpx.Client(timeout=30) as c:
            while time.monotonic() < stop_at:
                work(c, i, record)
                with lock:
                    result.units += 1

    start_t = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds += time.monotonic() - start_t
    return result


def interleaved(
    clients: int,
    seconds: float,
    works: list,
    slice_seconds: float = 2.0,
    slices: list | None = None,
    servers: list[subprocess.Popen | None] | None = None,
) -> list[Result]:
    """Drive each of ``works`` for ``seconds`` in all, in alternating slices of ``slice_seconds``.

    The machine may be shared: alternating short slices puts every load under the same
    background, so their ratio does not depend on what else ran during one of them. ``slices``
    gets, per slice of the first work, (units done before it, its p50 latency in ms).
    """
    results = [Result(0, 0, 0.0, [], 0) for _ in works]
    servers = servers or [None] * len(works)
    for _ in range(max(1, round(seconds / slice_seconds))):
        for n, (work, result) in enumerate(zip(works, results, strict=True)):
            before, seen, (cpu, loop) = result.units, len(result.latencies), cpu_seconds(servers[n])
            drive(clients, slice_seconds, work, result)
            cpu_after, loop_after = cpu_seconds(servers[n])
            result.cpu += cpu_after - cpu
            result.loop_cpu += loop_after - loop
            if n == 0 and slices is not None and len(result.latencies) > seen + 1:
                slices.append((before, statistics.median(result.latencies[seen:]) * 1000))
    return results


def workflow(base: str, token: str, request_id: int):
    headers = {"Authorization": f"Bearer {token}"}

    def work(c: httpx.Client, i: int, record) -> None:
        t0 = time.perf_counter()
        body = {
            "request_id": request_id,
            "station": STATIONS[i % len(STATIONS)],
            "lines": [{"item": "meals", "quantity": 1}],
        }
        r = c.post(f"{base}/dispatches", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        record(t0, r.status_code == 201)
        if r.status_code != 201:
            return
        did = r.json()["id"]
        for status in ("dispatched", "delivered"):
            t0 = time.perf_counter()
            r = c.post(f"{base}/dispatches/{did}/status", json={"status": status}, headers=headers)
            record(t0, r.status_code == 200)

    return work


def bare(base: str):
    def work(c: httpx.Client, i: int, record) -> None:
        t0 = time.perf_counter()
        r = c.post(f"{base}/rows", json={"value": "x"})
        record(t0, r.status_code == 201)

    return work


# --- one database ---------------------------------------------------------------------------------
def prepare(url: str) -> tuple[str, int]:
    """Migrate, load Guangzhou, add an officer and one support request; return (token, request id)."""
    from datetime import UTC, datetime, timedelta

    from supply.core.factors import Factors
    from supply.core.scenario import load_scenario
    from supply.drills.teams import sync_scenario_with_teams
    from supply.service.auth import add_user
    from supply.service.db import make_engine, write_session
    from supply.service.inputs import RequestIn
    from supply.service.migrate import upgrade
    from supply.service.requests import create_request

    engine = make_engine(url)
    upgrade(engine)
    sc = load_scenario(None)
    with write_session(engine) as s:
        sync_scenario_with_teams(s, sc, Path(sc.source).read_text(encoding="utf-8"), actor="bench")
        _, token = add_user(s, "bench-officer", "officer", actor="bench")
        req = create_request(
            s,
            "bench",
            RequestIn(unit="bench", headcount=100_000, site="GZ-RAIL", arrive_at=datetime.now(UTC) + timedelta(days=1)),
            Factors(),
        )
        s.commit()
        rid = req.id
    engine.dispose()
    return token, rid


def bench_one(
    label: str,
    url: str,
    bare_url: str,
    clients: int,
    seconds: float,
    workers: int,
    slices: list | None = None,
    runs: int = 1,
    ratios: list[float] | None = None,
) -> list:
    """Both servers up at once, each as ``--workers`` uvicorn processes; the loads interleaved.

    ``runs``: how many runs to make one after another on the same servers; ``ratios`` gets each
    run's workflow ÷ bare, and the row's ratio is their median.
    """
    token, rid = prepare(url)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    port, bare_port = free_port(), free_port()
    real = start(
        [sys.executable, "-m", "supply.cli", "serve", "--db", url, "--port", str(port), "--workers", str(workers)],
        env,
        port,
    )
    try:
        bare_server = start(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench_api:bare_app",
                "--factory",
                "--app-dir",
                str(ROOT / "bench"),
                "--port",
                str(bare_port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            {**env, "BENCH_BARE_URL": bare_url},
            bare_port,
        )
        try:
            works = [workflow(f"http://127.0.0.1:{port}", token, rid), bare(f"http://127.0.0.1:{bare_port}")]
            interleaved(clients, 2.0, works)  # warm-up: one slice each
            each: list[float] = ratios if ratios is not None else []
            done = 0  # workflows of the runs before this one (the book's history, for the growth figure)
            for n in range(runs):
                mark = len(slices) if slices is not None else 0
                w, b = interleaved(clients, seconds, works, slices=slices, servers=[real, bare_server])
                if slices is not None:
                    slices[mark:] = [(before + done, p50) for before, p50 in slices[mark:]]
                done += w.units
                each.append((w.requests / w.seconds) / (b.requests / b.seconds))
                if n == 0:
                    wf, br = w, b
                else:
                    wf.add(w)
                    br.add(b)
        finally:
            stop(bare_server)
    finally:
        stop(real)
    ratio = statistics.median(each)
    return [
        (label, clients, "workflow (reserve → dispatched → delivered)", wf, ratio),
        (label, clients, "bare FastAPI+SQLModel one-row insert", br, None),
    ]


def pg_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


def bench_postgres(
    console: Console, args: argparse.Namespace, growth: dict[str, list], per_run: dict[str, list[float]]
) -> list:
    """The PostgreSQL runs, on a database made for the run and dropped after it."""
    if not pg_reachable():
        console.print("PostgreSQL not reachable on 127.0.0.1:5432: skipped")
        return []
    import psycopg

    name = f"jungong_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(host="127.0.0.1", user="postgres", dbname="test", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        console.print("[bold]PostgreSQL[/] …")
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        ratios = per_run["PostgreSQL"] = []
        slices = growth["PostgreSQL"]
        return bench_one("PostgreSQL", url, url, args.pg_clients, args.seconds, args.workers, slices, args.runs, ratios)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def cpu_ratio(rows: list, label: str) -> float:
    """The bare insert's server CPU per request over the workflow's, on one database."""
    wf, br = (r for lab, _, _, r, _ in rows if lab == label)
    return br.cpu_ms() / wf.cpu_ms()


def _runs(text: str) -> int:
    """``--runs``: a whole number from 1 to 20 (each run costs its ``--seconds`` twice over)."""
    if not text.isdigit() or not 1 <= int(text) <= 20:
        msg = f"{text!r}: a whole number of runs from 1 to 20"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=8.0, help="measured seconds per run (bounded)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sqlite-clients", type=int, default=4)
    ap.add_argument("--pg-clients", type=int, default=16)
    ap.add_argument("--only", choices=["sqlite", "postgres"], help="run one database only")
    ap.add_argument(
        "--runs",
        type=_runs,
        default=1,
        metavar="N",
        help="runs one after another on the same servers; the verdict by their median (1–20)",
    )
    args = ap.parse_args()
    console = Console(width=190)
    rows = []
    growth: dict[str, list] = {"SQLite": [], "PostgreSQL": []}
    per_run: dict[str, list[float]] = {}
    if args.only != "postgres":
        with tempfile.TemporaryDirectory() as tmp:
            console.print("[bold]SQLite[/] …")
            ratios = per_run["SQLite"] = []
            rows += bench_one(
                "SQLite",
                f"sqlite:///{tmp}/bench.db",
                f"sqlite:///{tmp}/bare.db",
                args.sqlite_clients,
                args.seconds,
                args.workers,
                growth["SQLite"],
                args.runs,
                ratios,
            )
    if args.only != "sqlite":
        rows += bench_postgres(console, args, growth, per_run)
    runs_note = f", the median of {args.runs} runs" if args.runs > 1 else ""
    table = Table(
        title=f"API throughput, {args.workers} workers, {args.seconds:g} s per run (loopback){runs_note}; "
        "every figure of all runs together but req/s ÷ bare"
    )
    for col in (
        "database",
        "clients",
        "endpoint",
        "units/s",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "req/s ÷ bare",
        "server CPU ms/req",
        "loops' share",
        "bare ÷ CPU",
    ):
        table.add_column(col, justify="left" if col in ("database", "endpoint") else "right")
    for label, clients, what, r, ratio in rows:
        table.add_row(
            label,
            str(clients),
            what,
            f"{r.units / r.seconds:.1f}",
            f"{r.requests / r.seconds:.1f}",
            f"{r.pct(50):.1f}",
            f"{r.pct(99):.1f}",
            str(r.errors),
            "" if ratio is None else f"{ratio:.2f}",
            f"{r.cpu_ms():.2f}",
            f"{r.loop_ms():.2f}",
            "" if ratio is None else f"{cpu_ratio(rows, label):.2f}",
        )
    console.print(table)
    for label, _, _, _, ratio in rows:
        if ratio is not None:
            verdict = "met" if ratio >= TARGET else "NOT met"
            each = per_run.get(label, [])
            of_runs = f" (median of {len(each)} runs: {', '.join(f'{r:.2f}' for r in each)})" if len(each) > 1 else ""
            console.print(f"{label}: workflow ÷ bare = {ratio:.3f}{of_runs} (target, issue 21: ≥ {TARGET}): {verdict}")
    for label, seen in growth.items():
        if len(seen) > 1:
            (n0, p0), (n1, p1) = seen[0], seen[-1]
            console.print(
                f"{label}, cost against history: workflow p50 {p0:.1f} ms in the first measured slice "
                f"(the book already held ≥ {n0} of the run's dispatches) and {p1:.1f} ms in the last (≥ {n1}); "
                "years of history: bench_ledger_history.py"
            )
    console.print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
