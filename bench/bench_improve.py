"""Benchmark of ``jungong improve`` on the default Guangzhou drill. Every figure is measured here.

1. Seconds for ``improve`` on the default 72-hour drill with its own replications (200) and the
   default goal and steps, on every core (target < 60 s on 2 cores), printed as a ratio to the
   target.
2. The same seconds as a ratio to one plain run of the drill (200 replications, same cores) in
   this run: how many drill runs the search costs, a figure that does not depend on how busy
   the machine is.
3. The CPU seconds of this process and its workers, and what they come to on 2 idle cores.

    python bench/bench_improve.py [--workers N] [--replications R]
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
from simulation.runner import run_plan  # noqa: E402
from simulation.spec import drill_spec  # noqa: E402
from supply.core.scenario import load_scenario  # noqa: E402

TARGET_S = 60.0


def cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--replications", type=int, default=None)
    args = ap.parse_args()
    sc = load_scenario(None)
    spec = drill_spec(sc)
    plan = compile_drill(sc, spec)
    reps = args.replications or spec.replications

    t0, c0 = time.perf_counter(), cpu_seconds()
    run_plan(plan, replications=reps, seed=spec.seed, workers=args.workers)
    drill_s, drill_cpu = time.perf_counter() - t0, cpu_seconds() - c0

    t0, c0 = time.perf_counter(), cpu_seconds()
    res, _ = improve_plan(plan, replications=reps, seed=spec.seed, workers=args.workers)
    improve_s, improve_cpu = time.perf_counter() - t0, cpu_seconds() - c0

    print(f"default Guangzhou drill, {reps} replications, {args.workers} workers, load {os.getloadavg()[0]:.1f}")
    print(
        f"improve: {improve_s:.1f} s wall ({improve_s / TARGET_S:.2f}× the {TARGET_S:.0f} s target); "
        f"{len(res['steps'])} steps, reached {res['reached']}"
    )
    print(
        f"one drill run: {drill_s:.1f} s wall; improve / drill = {improve_s / drill_s:.1f}× "
        f"(CPU: {improve_cpu / max(drill_cpu, 1e-9):.1f}×)"
    )
    print(
        f"improve CPU: {improve_cpu:.1f} s = {improve_cpu / 2:.1f} s on 2 idle cores "
        f"({improve_cpu / 2 / TARGET_S:.2f}× the target)"
    )
    for i, step in enumerate(res["steps"], 1):
        print(f"  {i}. {step['action']}: gain {step['gain']['mean']:+.3f} {step['gain']['ci95']}")


if __name__ == "__main__":
    main()
