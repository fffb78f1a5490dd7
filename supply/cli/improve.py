"""The ``improve`` command: the fewest, smallest changes that bring the planned units on time
(:mod:`simulation.improve`), as a numbered list of actions with their effect, JSON or a report."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from supply.cli.common import JsonOpt, ReplicationsOpt, ScenarioArg, SeedOpt, WorkersOpt, console, echo_json, load
from supply.core.errors import InvalidArgumentError

GoalOpt = Annotated[float, typer.Option("--goal", help="Share of planned units on time to reach, per replication.")]
StepsOpt = Annotated[int, typer.Option("--max-steps", help="At most this many changes.")]


def improve_cmd(
    scenario: ScenarioArg = None,
    goal: GoalOpt = 0.9,
    max_steps: StepsOpt = 5,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the drill report, with the changes, here.")
    ] = None,
) -> None:
    """The smallest change that fixes it: resource additions and support changes, compared on the same seeds."""
    from simulation.improve import improve

    if replications is not None and replications < 1:
        msg = f"--replications must be ≥ 1, got {replications}"
        raise InvalidArgumentError(msg)
    if workers is not None and workers < 1:
        msg = f"--workers must be ≥ 1, got {workers}"
        raise InvalidArgumentError(msg)
    result, baseline = improve(
        load(scenario),
        goal=goal,
        max_steps=max_steps,
        replications=replications,
        seed=seed,
        workers=workers or os.cpu_count() or 1,
    )
    if report is not None:
        from simulation.report import write_report

        write_report(baseline.as_dict(), report, improvement=result)
    if as_json:
        echo_json(result)
        return
    out = console()
    print_improvement(result, out)
    if report is not None:
        out.print(f"report written to {report}", soft_wrap=True)


def _pct(d: dict) -> str:
    lo, hi = d["ci95"]
    return f"{d['mean']:.1%} [{lo:.1%}, {hi:.1%}]"


def _gain(d: dict) -> str:
    lo, hi = d["ci95"]
    return f"{d['mean']:+.1%} [{lo:+.1%}, {hi:+.1%}]"


def print_improvement(res: dict, out: Console) -> None:
    """A numbered list of actions, each with the planned units on time after it and its paired 95% gain."""
    base = _pct(res["baseline"]["planned_units_on_time"])
    out.print(f"Goal: {res['goal']:.0%} of planned units on time (now {base}).", highlight=False)
    out.print(
        f"{res['replications']} replications, seed {res['seed']}; every change tried on the same seeds.",
        highlight=False,
    )
    for i, step in enumerate(res["steps"], 1):
        out.print(f"{i:>2}. {step['action']}", highlight=False)
        out.print(f"    on time {_pct(step['planned_units_on_time'])}; gain {_gain(step['gain'])}", highlight=False)
    if res["reached"]:
        out.print(f"Goal reached with {len(res['steps'])} change(s).", style="bold", highlight=False)
    else:
        still = ", ".join(res["late_units"]) or "none"
        out.print(f"Goal not reached; still late: {still}.", style="bold", highlight=False)
    if res.get("note"):
        out.print(res["note"], highlight=False)
