"""Benchmark of ``jungong improve`` on the default Guangzhou drill. Every figure is measured here.

1. Seconds (wall) for ``improve`` on the default 72-hour drill with its own replications (200),
   the default goal and no step limit, on every core — target ≤ 30 s on 2 cores —, and its CPU
   seconds (this process and its workers) with what they come to on 2 idle cores.
2. How that grows with replications: the same at each count of ``--replications`` (default 50,
   100 and the drill's 200), with the replications the search ran in all (screening and full
   runs) and the seconds per 1,000 of them. Screening is on the first 5 seeds whatever the
   count; each step taken runs on all of them, so the time grows about linearly.
3. The steps found, their cost and whether the goal is reached, at the drill's own count.

    python bench/bench_improve.py [--workers N] [--replications 50,100,200]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation.compiled import compile_drill  # noqa: E402
from simulation.improve import improve_plan  # noqa: E402
from simulation.improve_costs import improve_costs  # noqa: E402
from simulation.spec import drill_spec  # noqa: E402
from supply.core.scenario import load_scenario  # noqa: E402

TARGET_S = 30.0


def cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--replications", default=None, help="comma-separated counts (default 50,100,<the drill's>)")
    args = ap.parse_args()
    sc = load_scenario(None)
    spec = drill_spec(sc)
    plan, costs = compile_drill(sc, spec), improve_costs(sc)
    counts = [int(x) for x in args.replications.split(",")] if args.replications else [50, 100, spec.replications]
    print(f"default Guangzhou drill, {args.workers} workers, load {os.getloadavg()[0]:.1f} at the start")
    print(" reps   wall s   CPU s   CPU/2 s   replications run   wall s per 1,000 run   steps  reached")
    last = None
    for reps in counts:
        t0, c0 = time.perf_counter(), cpu_seconds()
        res, _ = improve_plan(plan, replications=reps, seed=spec.seed, workers=args.workers, costs=costs)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        runs = res["replications_run"]
        print(
            f"{reps:>5} {wall:>8.1f} {cpu:>7.1f} {cpu / 2:>9.1f} {runs:>18} {wall / runs * 1000:>22.1f} "
            f"{len(res['steps']):>7}  {res['reached']}"
        )
        last = (reps, wall, cpu, res)
    if last is None:
        return
    reps, wall, cpu, res = last
    print(
        f"at {reps} replications: {wall:.1f} s wall ({wall / TARGET_S:.2f}× the {TARGET_S:.0f} s target); "
        f"{cpu / 2:.1f} s on 2 idle cores ({cpu / 2 / TARGET_S:.2f}× the target); load now {os.getloadavg()[0]:.1f}"
    )
    for i, step in enumerate(res["steps"], 1):
        gain = step["gain"]
        print(f"  {i}. {step['action']} — cost {step['cost']:g}: gain {gain['mean']:+.3f} {gain['ci95']}")
    print(f"  total cost {res['total_cost']:g}; goal {res['goal']:.0%} reached: {res['reached']}")
    for u in res["unreachable"]:
        print(f"  still late {u['unit']}: {u['reason']}")


if __name__ == "__main__":
    main()
