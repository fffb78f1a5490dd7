"""Benchmark of ``jungong improve`` on the default Guangzhou drill. Every figure is measured here, in one run.

1. **Workers side by side**: ``improve`` on the default 72-hour drill with its own replications (200),
   the default goal and no step limit, run by each kind of worker — 1 (in this process), 2 worker
   processes, 2 worker threads — in alternating slices (``--rounds`` rounds of one run each, in turn, so
   a change of the machine's load falls on all of them alike): the median wall seconds of each, its CPU
   seconds (this process and its workers), and its wall time ÷ 1 worker's. The kind ``improve`` uses
   (2 worker processes on 2 cores) is marked. Targets: **≤ 10 s on 2 idle cores** — the CPU seconds of
   the 2-process run ÷ 2, what it takes where nothing else runs (a replication is single-threaded
   pure Python, so the 2 processes share its work) — and **2 workers no slower than 1** (wall ratio ≤ 1.00;
   or above 1.00 by less than 1 worker's own rounds differ, with no more CPU than 1 worker: the same work,
   so the difference is the machine's noise — see ``no_slower``).
2. **How the cost grows with replications**: the same with 2 worker processes at each count of
   ``--replications`` (default 50, 100 and the drill's 200), with the replications the search ran in all
   (each plan once per seed: screening, then full runs on the seeds not screened) and the CPU
   milliseconds per replication run. Screening is on the first 5 seeds whatever the count; each step
   taken runs on all of them, so the time grows about linearly.
3. The steps found, their cost and whether the goal is reached, at the drill's own count (the same for
   every kind of worker: the results do not depend on what ran them, which is checked).

4. **Under load** (``--load N``): the side-by-side runs again with N processes spinning on the CPU in a
   session of their own for the whole run — another user's work as the kernel sees it (it shares the
   cores between sessions first: ``/proc/sys/kernel/sched_autogroup_enabled``), the load this
   machine's other sessions put on it, made on purpose so that its size is known and the same for
   every kind of worker. The 2-workers-no-slower-than-1 target is read from this run.

    python bench/bench_improve.py [--rounds 2] [--replications 50,100,200] [--load 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation.compiled import compile_drill  # noqa: E402
from simulation.improve import improve_plan  # noqa: E402
from simulation.improve_costs import improve_costs  # noqa: E402
from simulation.improve_eval import Kind  # noqa: E402
from simulation.spec import drill_spec  # noqa: E402
from supply.core.scenario import load_scenario  # noqa: E402

TARGET_S = 10.0
KINDS: tuple[tuple[str, int, Kind], ...] = (
    ("1 worker (in process)", 1, "process"),
    ("2 worker processes", 2, "process"),
    ("2 worker threads", 2, "thread"),
)
USED = "2 worker processes"


def no_slower(one_wall: list[float], one_cpu: list[float], two_wall: list[float], two_cpu: list[float]) -> str:
    """The verdict on "2 workers no slower than 1" from alternating rounds, with what it rests on.

    Met when the median wall time of 2 workers is at most 1 worker's; also when it is above by less than
    the spread of 1 worker's own rounds (the machine's noise between two runs of the same work) and the
    2 workers spent no more CPU — what improve does under load, where it runs its replications in its own
    process (simulation.improve_eval): the same work as 1 worker, so a wall difference is the machine's."""
    one, two = statistics.median(one_wall), statistics.median(two_wall)
    ratio, cpu_ratio = two / one, statistics.median(two_cpu) / statistics.median(one_cpu)
    spread = (max(one_wall) - min(one_wall)) / one
    rounds = ", ".join(f"{b / a:.2f}×" for a, b in zip(one_wall, two_wall, strict=True))
    if ratio <= 1.0:
        verdict = "met"
    elif cpu_ratio <= 1.0 and ratio - 1.0 <= spread:
        verdict = f"met within the noise (no more CPU than 1 worker; {ratio - 1:.0%} is within 1 worker's own spread)"
    else:
        verdict = "NOT met"
    apart = f"1 worker's own rounds {spread:.0%} apart" if len(one_wall) > 1 else "one round"
    head = f"target 2 workers no slower than 1: wall {ratio:.2f}× (rounds {rounds}; {apart})"
    return f"{head}, CPU {cpu_ratio:.2f}× — {verdict}"


def cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def background_load(n: int) -> list[subprocess.Popen]:
    """``n`` processes spinning on the CPU, each in a new session (its own autogroup), until stopped."""
    spin = [sys.executable, "-c", "while True: pass"]
    return [subprocess.Popen(spin, start_new_session=True) for _ in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds of the side-by-side runs")
    ap.add_argument("--replications", default=None, help="comma-separated counts (default 50,100,<the drill's>)")
    ap.add_argument("--load", type=int, default=0, help="processes spinning in another session meanwhile")
    args = ap.parse_args()
    load = background_load(args.load)
    try:
        _measure(args, load=args.load)
    finally:
        for p in load:
            p.kill()
            p.wait()


def _measure(args: argparse.Namespace, *, load: int) -> None:
    sc = load_scenario(None)
    spec = drill_spec(sc)
    plan, costs = compile_drill(sc, spec), improve_costs(sc)
    counts = [int(x) for x in args.replications.split(",")] if args.replications else [50, 100, spec.replications]

    def run(reps: int, workers: int, kind: Kind) -> tuple[float, float, dict]:
        t0, c0 = time.perf_counter(), cpu_seconds()
        res, _ = improve_plan(
            plan,
            replications=reps,
            seed=spec.seed,
            workers=workers,
            costs=costs,
            kind=kind,
        )
        return time.perf_counter() - t0, cpu_seconds() - c0, res

    print(
        f"default Guangzhou drill, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the start "
        f"(1-minute load average: runnable processes, others' included)"
    )
    if load:
        print(f"under load: {load} processes spinning on the CPU in a session of their own, throughout")
    print(
        f"\n1. workers side by side at {spec.replications} replications, {args.rounds} alternating rounds (median)",
        flush=True,
    )
    walls: dict[str, list[float]] = {name: [] for name, _, _ in KINDS}
    cpus: dict[str, list[float]] = {name: [] for name, _, _ in KINDS}
    results = []
    for _ in range(args.rounds):
        for name, workers, kind in KINDS:
            wall, cpu, res = run(spec.replications, workers, kind)
            print(f"    {name}: {wall:.1f} s wall, {cpu:.1f} s CPU, load {os.getloadavg()[0]:.1f}", flush=True)
            walls[name].append(wall)
            cpus[name].append(cpu)
            results.append(res)
    same = all({**r, "replications_run": 0} == {**results[0], "replications_run": 0} for r in results)
    one = statistics.median(walls[KINDS[0][0]])
    print("  workers                   wall s   CPU s   × 1 worker's wall")
    for name, _, _ in KINDS:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        mark = "  ← improve's" if name == USED else ""
        print(f"  {name:<24} {wall:>7.1f} {cpu:>7.1f} {wall / one:>12.2f}{mark}")
    used_wall, used_cpu = statistics.median(walls[USED]), statistics.median(cpus[USED])
    print(f"  {no_slower(walls[KINDS[0][0]], cpus[KINDS[0][0]], walls[USED], cpus[USED])}")
    print(
        f"  target ≤ {TARGET_S:.0f} s on 2 idle cores: CPU ÷ 2 of the 2 processes {used_cpu / 2:.1f} s "
        f"({'met' if used_cpu / 2 <= TARGET_S else 'NOT met'}); every run's result the same: {same}; "
        f"load now {os.getloadavg()[0]:.1f}"
    )

    print("\n2. growth with replications, 2 worker processes")
    print("   reps   wall s   CPU s   CPU ÷ 2 s   replications run   CPU ms per replication run   steps  reached")
    for reps in counts:
        if reps == spec.replications:
            wall, cpu, res = used_wall, used_cpu, results[1]
        else:
            wall, cpu, res = run(reps, 2, "process")
        runs = res["replications_run"]
        print(
            f"  {reps:>5} {wall:>8.1f} {cpu:>7.1f} {cpu / 2:>11.1f} {runs:>18} {cpu / runs * 1000:>28.1f} "
            f"{len(res['steps']):>7}  {res['reached']}"
        )

    res = results[0]
    print(f"\n3. the steps at {spec.replications} replications")
    for i, step in enumerate(res["steps"], 1):
        gain = step["gain"]
        print(f"  {i}. {step['action']} — cost {step['cost']:g}: gain {gain['mean']:+.3f} {gain['ci95']}")
    print(f"  total cost {res['total_cost']:g}; goal {res['goal']:.0%} reached: {res['reached']}")
    for u in res["unreachable"]:
        print(f"  still late {u['unit']}: {u['reason']}")


if __name__ == "__main__":
    main()
