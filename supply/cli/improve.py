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
StepsOpt = Annotated[
    int | None, typer.Option("--max-steps", help="At most this many steps (default: until the goal or nothing helps).")
]


def improve_cmd(
    scenario: ScenarioArg = None,
    goal: GoalOpt = 0.9,
    max_steps: StepsOpt = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the drill report, with the changes, here.")
    ] = None,
) -> None:
    """What to change so the planned units are on time: costed steps compared on the same seeds."""
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
    """The goal first, then a numbered list of steps, each with its cost, the planned units on time
    after it and its paired 95% gain; then whether the goal is reached, and why not unit by unit."""

    def p(text: str, **kw: str) -> None:
        out.print(text, highlight=False, markup=False, soft_wrap=True, **kw)  # type: ignore[arg-type]  # rich takes these keywords typed one by one; kw holds only str ones

    base = _pct(res["baseline"]["planned_units_on_time"])
    p(f"Goal: {res['goal']:.0%} of planned units on time, per replication (now {base}).")
    p(
        f"{res['replications']} replications, seed {res['seed']}; every step screened on the first "
        f"{res.get('screening_replications', res['replications'])} and run on all, on the same seeds as the plan "
        "before it. Gain: the change in planned units on time, paired replication by replication, with its 95% CI."
    )
    for i, step in enumerate(res["steps"], 1):
        p(f"{i:>2}. {step['action']} — cost {step.get('cost', 0):g}")
        after = f"on time {_pct(step['planned_units_on_time'])}; gain {_gain(step['gain'])}"
        if step.get("unit"):
            after += f"; {step['unit']} on time in {step['unit_on_time']:.0%} of replications"
        p(f"    {after}")
    total = res.get("total_cost", 0)
    if res["reached"]:
        p(f"Goal reached with {len(res['steps'])} step(s), total cost {total:g}.", style="bold")
    else:
        still = ", ".join(res["late_units"]) or "none"
        p(f"Goal not reached ({len(res['steps'])} step(s), total cost {total:g}); still late: {still}.", style="bold")
        if res.get("note"):
            p(res["note"])
    for u in res.get("unreachable", []):
        p(f"  {u['unit']}: {u['reason']}")
    costs = res.get("costs")
    if costs:
        given = [f"{k} {v['cost']:g}" + ("*" if v["assumed"] else "") for k, v in costs.items()]
        p("Costs in cost points per item, [improve.costs] (* not set in the file: default): " + ", ".join(given) + ".")
