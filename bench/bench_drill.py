"""Benchmark of the drill simulation. Prints its figures; every figure is measured in this run.

1. Seconds for 1,000 replications of the default 72-hour Guangzhou drill with every core
   (issue 21: ≤ 8 s on a 2-core machine), and one replication's CPU in this process.
2. The model's cost per simulated event as a ratio to a bare SimPy loop processing the same
   number of events (target ≤ 2×). Simulated events = the events SimPy scheduled plus the
   person-level events (seat taken, meal or refuel done, seat freed) the seat pools resolve
   exactly without scheduling them; the ratio on SimPy-scheduled events alone is printed too.
3. Memory flatness: the parent process's resident memory growth while 100 and 1,000
   replications stream in (results are aggregated as they arrive, so it should not grow).
4. How the cost grows: milliseconds per replication in this process at 10, 30 and 100
   replications (flat: each replication costs the same), and with every unit's and stream's
   headcount × 0.5, 1, 2 and 4 (people are resolved in groups, so it grows less than in proportion).

    python bench/bench_drill.py [--replications 1000] [--workers N]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation.compiled import compile_drill  # noqa: E402
from simulation.model import run_replication  # noqa: E402
from simulation.runner import run_plan  # noqa: E402
from simulation.spec import drill_spec  # noqa: E402
from supply.core.scenario import load_scenario  # noqa: E402


def rss_mb() -> float:
    """Current resident set size of this process (Linux /proc), in MB."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_all() -> float:
    """CPU seconds (user + system) of this process and its reaped children (the workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed_run(plan, replications: int, seed: int, workers: int) -> tuple[float, float, float]:
    """(seconds, peak RSS growth in MB of this process, CPU seconds of this process and the workers)
    for one Monte Carlo run."""
    base = rss_mb()
    peak = [base]

    def progress(done: int, total: int) -> None:
        peak[0] = max(peak[0], rss_mb())

    cpu, t = cpu_all(), time.perf_counter()
    run_plan(plan, replications=replications, seed=seed, workers=workers, progress=progress)
    return time.perf_counter() - t, peak[0] - base, cpu_all() - cpu


def bare_simpy(events: int) -> float:
    """Seconds for SimPy to process ``events`` timeouts in one plain process."""
    env = simpy.Environment()

    def proc(env: simpy.Environment):
        for _ in range(events):
            yield env.timeout(1)

    env.process(proc(env))
    t = time.perf_counter()
    env.run()
    return time.perf_counter() - t


def ms_per_replication(plan, reps: int, seed: int = 1) -> float:
    """CPU milliseconds per replication in this process (``run_plan``: replications and statistics)."""
    t = time.process_time()
    run_plan(plan, replications=reps, seed=seed)
    return (time.process_time() - t) / reps * 1000


def scaled(plan, factor: float):
    """The plan with every arrival's headcount × ``factor`` (at least 1)."""
    arrivals = tuple(dataclasses.replace(a, headcount=max(1, round(a.headcount * factor))) for a in plan.arrivals)
    return dataclasses.replace(plan, arrivals=arrivals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    scenario = load_scenario(None)
    spec = drill_spec(scenario)
    plan = compile_drill(scenario, spec)
    print(f"default drill: {plan.name}, {spec.hours:g} h, {len(spec.units)} units, {len(spec.streams)} streams")
    print(f"cores: {os.cpu_count()}, workers: {args.workers}")

    # 2. cost per event, in this process
    reps = 30
    seeds = np.random.SeedSequence(spec.seed).spawn(reps)
    t = time.perf_counter()
    records = [run_replication(plan, s, i) for i, s in enumerate(seeds)]
    model_s = time.perf_counter() - t
    events = sum(r.events for r in records)
    simpy_events = sum(r.scheduled_events for r in records)
    bare_s = bare_simpy(events)
    print(f"one replication (in process): {model_s / reps * 1000:.1f} ms, {events // reps:,} simulated events")
    print(
        f"cost per simulated event: model {model_s / events * 1e6:.2f} µs vs bare SimPy "
        f"{bare_s / events * 1e6:.2f} µs → ratio {model_s / events / (bare_s / events):.2f}× (target ≤ 2×)"
    )
    bare_small = bare_simpy(max(simpy_events, 1))
    print(
        f"  (on SimPy-scheduled events only: {simpy_events // reps:,} per replication, "
        f"ratio {model_s / max(simpy_events, 1) / (bare_small / max(simpy_events, 1)):.1f}×)"
    )

    # 4. how the cost grows, in this process
    by_reps = ", ".join(f"{n}: {ms_per_replication(plan, n):.1f}" for n in (10, 30, 100))
    print(f"ms per replication in process, by replications ({by_reps})")
    people = sum(a.headcount for a in plan.arrivals if a.rate_per_min == 0)
    by_heads = ", ".join(
        f"×{f:g} ({round(people * f):,} planned people): {ms_per_replication(scaled(plan, f), 20):.1f}"
        for f in (0.5, 1, 2, 4)
    )
    print(f"ms per replication in process, by headcount ({by_heads})")

    # 1. and 3. the Monte Carlo run with every worker; memory of this (aggregating) process
    secs_small, grow_small, _ = timed_run(plan, 100, spec.seed, args.workers)
    secs, grow, cpu = timed_run(plan, args.replications, spec.seed, args.workers)
    verdict = "met" if secs <= 8 else "NOT met"
    print(
        f"{args.replications} replications with {args.workers} workers: {secs:.1f} s "
        f"({args.replications / secs:.0f} replications/s; target ≤ 8 s on 2 cores: {verdict})"
    )
    print(
        f"  CPU of that run, this process and its workers: {cpu:.1f} s "
        f"({cpu / args.replications * 1000:.1f} ms per replication); ÷ 2 cores: {cpu / 2:.1f} s, "
        "the wall time two idle cores would need (a machine loaded by others stretches the wall time)"
    )
    print(
        f"memory growth of the aggregating process: {grow_small:.1f} MB at 100 replications "
        f"({secs_small:.1f} s), {grow:.1f} MB at {args.replications}"
    )


if __name__ == "__main__":
    main()
