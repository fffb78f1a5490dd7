"""Background analyses through the API on a city of 200,000 road nodes: job times, and reads during them against idle.

Builds an OSM-shaped city (``bench_coverage.osm_city``: a GraphML of ``--side``² nodes, its
stations and sites), loads it into a SQLite database (``db init``'s ``sync_scenario``), fills the
compiled-network cache once through the CLI (``jungong coverage``, timed: the cold start a server
no longer pays per request), then starts ``jungong serve --workers 2`` on loopback. ``--clients``
threads read ``/health`` and ``GET /stations`` in a loop, first with the server idle, then while
each analysis runs in the job pool (``POST /analyses``: coverage, N-1 robustness with every link,
the coverage map). Printed: each job's time (its own, from start to finish in the worker, and from
the POST to ``done`` as a client sees it), and the p50/p99 of the reads during it against the idle
ones (ratio).

Targets (issue 12, item 7): the server is not blocked — the slowest read (p99) during N-1 is under
5% of the N-1 job's own time — and the reads' p50 during N-1 stays within 3× of idle.

    python bench/bench_api_analyses.py [--side 447] [--stations 20] [--sites 3000] [--clients 4] [--idle 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_coverage import osm_city  # noqa: E402  (this folder, on the path when run as a script)

from supply.core.scenario import load_scenario  # noqa: E402
from supply.service.auth import add_user  # noqa: E402
from supply.service.db import make_engine, write_session  # noqa: E402
from supply.service.migrate import upgrade  # noqa: E402
from supply.service.scenario_sync import sync_scenario  # noqa: E402

JOBS = (
    ("coverage", {"kind": "coverage", "minutes": "30,60,120"}),
    ("robustness (N-1, links)", {"kind": "robustness", "minutes": "60"}),
    ("map", {"kind": "map", "minutes": "30,60,120"}),
)


def pct(xs: list[float], q: int) -> float:
    return statistics.quantiles(xs, n=100)[q - 1] if len(xs) > 1 else xs[0]


class Readers:
    """``n`` threads reading /health and /stations in turn; latencies (ms) per phase."""

    def __init__(self, base: str, headers: dict[str, str], n: int) -> None:
        self.base, self.headers, self.n = base, headers, n
        self.phase: str | None = None
        self.samples: dict[str, list[float]] = {}
        self.errors = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(n)]

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=120) as c:
            k = 0
            while not self._stop.is_set():
                path = ("/health", "/stations")[k % 2]
                k += 1
                phase = self.phase
                t0 = time.perf_counter()
                ok = c.get(path).status_code == 200
                ms = (time.perf_counter() - t0) * 1000
                with self._lock:
                    if not ok:
                        self.errors += 1
                    elif phase is not None and phase == self.phase:
                        self.samples.setdefault(phase, []).append(ms)

    def __enter__(self) -> Readers:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()


def start_server(url: str, data: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUNGONG_DATA_DIR": str(data)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "supply.cli", "serve", "--db", url, "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start within 120 s")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=447, help="city grid side (447² ≈ 200,000 nodes)")
    parser.add_argument("--stations", type=int, default=20)
    parser.add_argument("--sites", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4, help="threads reading during each phase")
    parser.add_argument("--idle", type=float, default=10, help="seconds of reads with the server idle")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-analyses-"))
    proc = None
    try:
        t0 = time.perf_counter()
        scenario_path = osm_city(folder, args.side, np.random.default_rng(args.seed), args.stations, args.sites)
        print(
            f"city: {args.side**2:,} road nodes, {args.stations} stations, {args.sites:,} sites "
            f"(GraphML written in {time.perf_counter() - t0:.1f} s)"
        )
        url = f"sqlite:///{folder / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        with write_session(engine) as s:
            sync_scenario(s, load_scenario(scenario_path), scenario_path.read_text(encoding="utf-8"), actor="bench")
            token = add_user(s, "bench-planner", "planner", actor="bench")[1]
            s.commit()
        engine.dispose()
        data = folder / "data"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "JUNGONG_DATA_DIR": str(data)}
        t0 = time.perf_counter()
        cli = [sys.executable, "-m", "supply.cli", "coverage", str(scenario_path), "--json"]
        subprocess.run(cli, env=env, check=True, capture_output=True)
        print(
            f"compiled-network cache filled by `jungong coverage` (GraphML parsed, snapped, CSR built): "
            f"{time.perf_counter() - t0:.1f} s, once"
        )

        port = 18000 + os.getpid() % 1000
        proc = start_server(url, data, port, folder / "server.log")
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {token}"}
        rows = []
        with Readers(base, headers, args.clients) as readers, httpx.Client(base_url=base, headers=headers) as c:
            readers.phase = "idle"
            time.sleep(args.idle)
            for name, body in JOBS:
                readers.phase = name
                t0 = time.perf_counter()
                res = c.post("/analyses", json=body, timeout=120)
                if res.status_code not in (200, 202):
                    raise SystemExit(f"POST /analyses {body}: {res.status_code} {res.text}")
                location = res.headers["Location"]
                while (state := c.get(location, params={"result": "false"}).json())["status"] in ("queued", "running"):
                    time.sleep(0.2)
                wall = time.perf_counter() - t0
                readers.phase = None
                if state["status"] != "done":
                    print(f"{name}: {state['status']} after {wall:.1f} s: {state['error']}")
                rows.append((name, state["seconds"] or 0.0, wall, state["status"]))
            errors = readers.errors
        idle = readers.samples["idle"]
        i50, i99 = pct(idle, 50), pct(idle, 99)
        print(f"\nreads of /health and GET /stations by {args.clients} clients (ms); ratio = p50 / idle p50")
        print(f"{'phase':<26}{'job s':>8}{'client s':>10}{'reads':>8}{'p50':>9}{'p99':>9}{'ratio':>8}")
        print(f"{'idle':<26}{'':>8}{'':>10}{len(idle):>8}{i50:>9.1f}{i99:>9.1f}{1:>8.2f}")
        figures = {}
        for name, job, wall, status in rows:
            xs = readers.samples.get(name, [])
            p50, p99 = pct(xs, 50), pct(xs, 99)
            figures[name] = (job, p50, p99, status)
            label = name if status == "done" else f"{name} ({status})"
            print(f"{label:<26}{job:>8.1f}{wall:>10.1f}{len(xs):>8}{p50:>9.1f}{p99:>9.1f}{p50 / i50:>8.2f}")
        job, p50, p99, status = figures["robustness (N-1, links)"]
        met = [p99 / 1000 < 0.05 * job, p50 / i50 <= 3, errors == 0, all(r[3] == "done" for r in rows)]
        verdict = ["MET" if m else "MISSED" for m in met]
        print("job s: the job's own time in the worker; client s: POST to done as a client sees it")
        print(f"not blocked: p99 of reads during N-1 {p99:.0f} ms < 5% of the N-1 job's {job:.1f} s: {verdict[0]}")
        print(f"p50 of reads during N-1 within 3× of idle ({p50 / i50:.2f}×): {verdict[1]}")
        print(f"every read answered 200: {verdict[2]} ({errors} errors)")
        print(f"every analysis done: {verdict[3]}")
        print("all targets met" if all(met) else "some targets MISSED")
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
