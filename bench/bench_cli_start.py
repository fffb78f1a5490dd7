"""Benchmark how fast the ``jungong`` command starts: what every invocation pays before its own work.

Runs, in fresh interpreters, N rounds of (order shuffled within each round, so that a noisy machine
weighs on every command alike): ``python -c pass`` (the interpreter alone, the baseline),
``python -c "import supply.cli"`` (building the app), ``jungong --help``, ``jungong users list`` on
an initialised SQLite database (a cheap database command) and ``jungong route GZ-HUB N-WING`` on
the built-in scenario (a cheap network command, its compiled network cached beforehand). Printed
for each: the median wall-clock and CPU (user + system) milliseconds of the process, and the
ratio of each to the baseline's, which is what compares between machines; then the import time
of ``import supply.cli`` as ``python -X importtime`` reports it (median of the same rounds).

    python bench/bench_cli_start.py [--runs 11]

Target: ``import supply.cli`` under 250 ms of imports (it was ~630 ms with networkx, scipy and the
scenario models loaded up front).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_IMPORT_MS = 250


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``cmd`` (it must succeed), and its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, res.stderr


def import_ms(stderr: str) -> float:
    """The milliseconds ``-X importtime`` reports for ``supply.cli`` (cumulative: everything it imports)."""
    found = re.search(r"^import time:\s+\d+ \|\s+(\d+) \| supply\.cli$", stderr, re.M)
    if found is None:
        raise SystemExit(f"no supply.cli line in -X importtime's report: {stderr[-2000:]}")
    return int(found[1]) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="rounds (each command once per round)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "JUNGONG_DATA_DIR": str(Path(tmp) / "data")}
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        jungong = [sys.executable, "-m", "supply.cli"]
        run([*jungong, "db", "init", "--db", db], env)
        run([*jungong, "route", "GZ-HUB", "N-WING"], env)  # compiles and caches the built-in network
        commands = {
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            "import supply.cli": [sys.executable, "-c", "import supply.cli"],
            "jungong --help": [*jungong, "--help"],
            "jungong users list": [*jungong, "users", "list", "--db", db],
            "jungong route GZ-HUB N-WING": [*jungong, "route", "GZ-HUB", "N-WING"],
        }
        importtime = [sys.executable, "-X", "importtime", "-c", "import supply.cli"]
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        imports: list[float] = []
        rng = random.Random(1)
        for _ in range(args.runs):
            for name in rng.sample(list(commands), len(commands)):
                wall, cpu, _ = run(commands[name], env)
                walls[name].append(wall)
                cpus[name].append(cpu)
            imports.append(import_ms(run(importtime, env)[2]))

    base_wall = statistics.median(walls["python -c pass (baseline)"])
    base_cpu = statistics.median(cpus["python -c pass (baseline)"])
    print(f"median of {args.runs} runs each, fresh interpreters; ratios to `python -c pass` in the same runs")
    print(f"{'':30} {'wall ms':>8} {'× base':>7} {'CPU ms':>8} {'× base':>7}")
    for name in commands:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"{name:30} {wall * 1000:8.0f} {wall / base_wall:7.1f} {cpu * 1000:8.0f} {cpu / base_cpu:7.1f}")
    ms = statistics.median(imports)
    verdict = "meets" if ms < TARGET_IMPORT_MS else "misses"
    print(f"import supply.cli: {ms:.0f} ms of imports (-X importtime), {verdict} the target of < {TARGET_IMPORT_MS} ms")


if __name__ == "__main__":
    main()
