"""The drill's core against Ciw (an independent discrete-event simulator), case by case.

Both simulators run the same queueing cases (``tests/simulation/ciw_cases.py``: M/M/1, M/M/3,
M/D/3, a transient M/M/4 from empty, Poisson batches of 10, a 120-person train), with the same
replications, one after the other in this one process. The figure is each one's CPU time
(``time.process_time``), the minimum of ``--passes`` passes; for jungong a pass is
``run_plan`` on the compiled drill (replications and their statistics), for Ciw building the
simulation, running it and taking the mean wait of each replication. Compiling the drill is
done once, outside the timing (as Ciw's network is built once). The mean waits of both are
printed too (``test_drill_ciw.py`` holds them to agree).

Targets (issue 21): jungong ≤ 0.7× Ciw's CPU on every one-person-per-arrival case and ≤ 0.3×
on batches of 10.

    python bench/bench_ciw.py [--passes 3] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ciw  # noqa: E402

from simulation.runner import run_plan  # noqa: E402
from tests.simulation.ciw_cases import CASES, ciw_waits, jungong_plan, jungong_waits  # noqa: E402

TARGET = {True: 0.7, False: 0.3}  # single arrivals, batches


def cpu(fn, passes: int) -> float:
    """Minimum CPU seconds of ``passes`` calls of ``fn``."""
    best = float("inf")
    for _ in range(passes):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="replications × this (for a quick look)")
    args = parser.parse_args()
    print(f"Ciw {ciw.__version__}; CPU seconds, minimum of {args.passes} passes, one process")
    print(f"{'case':18} {'reps':>5} {'jungong s':>10} {'Ciw s':>8} {'ratio':>6} {'target':>7}  mean wait jungong / Ciw")
    failed = []
    for case in CASES:
        reps = max(2, round(case.replications * args.scale))
        plan = jungong_plan(case)
        j = cpu(lambda plan=plan, reps=reps: run_plan(plan, replications=reps, seed=1), args.passes)
        c = cpu(lambda case=case, reps=reps: ciw_waits(case, reps, 1), args.passes)
        ratio = j / c
        target = TARGET[case.single] if case.single or case.batch == 10 else None
        mark = "" if target is None else ("met" if ratio <= target else "NOT met")
        if target is not None and ratio > target:
            failed.append(case.name)
        jw, cw = jungong_waits(plan, reps, 1).mean(), ciw_waits(case, reps, 1).mean()
        tgt = f"≤{target:g}" if target is not None else "—"
        print(f"{case.name:18} {reps:5d} {j:10.3f} {c:8.3f} {ratio:5.2f}× {tgt:>6} {mark:7} {jw:7.2f} / {cw:.2f}")
    print("all targets met" if not failed else f"targets not met: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
