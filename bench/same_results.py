"""Does this build's drill give the very same JSON as another build's, seed for seed?

Checks out ``--ref`` (default ``main``) into a temporary git worktree, runs
``python -m supply.cli drill --json`` in both builds on the built-in scenario and the drills
under ``scenarios/drills/`` at a few seeds, and compares the JSON documents exactly (every
figure, every digit). Exit 0 when all are identical, 1 otherwise (the differing keys are printed).

    python bench/same_results.py [--ref main] [--seeds 1 7 2024] [-n 40]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def queue_drills(folder: Path) -> list[str]:
    """The Ciw comparison's queueing cases as scenario files (one-person arrivals, no vehicles)."""
    sys.path.insert(0, str(ROOT))
    from tests.simulation.ciw_cases import CASES, drill_toml
    from tests.simulation.drill_helpers import drill_file

    return [
        str(
            drill_file(
                folder, drill_toml(c), seats=c.seats, name=f"ciw-{c.name.replace('/', '')}.toml".replace(" ", "-")
            )
        )
        for c in CASES
    ]


def drill_json(tree: Path, scenario: str | None, seed: int, replications: int) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "supply.cli",
        "drill",
        "--json",
        "-n",
        str(replications),
        "--seed",
        str(seed),
        "-w",
        "1",
    ]
    if scenario:
        cmd.insert(4, str(ROOT / scenario))  # an absolute path stays as it is
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def differences(a: object, b: object, path: str = "") -> list[str]:
    """Paths where two JSON documents differ (at most a few per branch)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}/{k}: only in one" for k in a.keys() ^ b.keys()]
        for k in a.keys() & b.keys():
            out += differences(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b or (a != a and b != b) else [f"{path}: {a!r} != {b!r}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 7, 2024])
    parser.add_argument("-n", "--replications", type=int, default=40)
    args = parser.parse_args()
    scenarios = [None, *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios" / "drills").glob("*.toml"))]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        ref = Path(tmp) / "ref"
        scenarios += queue_drills(Path(tmp))
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(ref), args.ref], cwd=ROOT, check=True, capture_output=True
        )
        try:
            for scenario in scenarios:
                for seed in args.seeds:
                    diff = differences(
                        drill_json(ref, scenario, seed, args.replications),
                        drill_json(ROOT, scenario, seed, args.replications),
                    )
                    name = Path(scenario).name if scenario else "built-in scenario"
                    print(
                        f"{name}, seed {seed}, {args.replications} replications: "
                        f"{'identical' if not diff else f'{len(diff)} differences'}"
                    )
                    for d in diff[:10]:
                        print("   ", d)
                    failed += bool(diff)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(ref)], cwd=ROOT, check=True)
    print("all identical" if not failed else f"{failed} runs differ from {args.ref}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
