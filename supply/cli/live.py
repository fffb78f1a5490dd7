"""Live drill commands: ``plan`` (the action plan) and ``review`` (the after-action review).

``jungong drill --from-live DRILL_ID`` lives with the ``drill`` command (:mod:`supply.cli.drill`)
and takes its scenario from :func:`from_live` here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from supply.cli.common import (
    DbOpt,
    JsonOpt,
    ReplicationsOpt,
    ScenarioArg,
    SeedOpt,
    check_output_paths,
    check_size_options,
    console,
    echo_json,
    load,
    session_for,
)

if TYPE_CHECKING:  # the scenario models load only when a command runs
    from rich.console import Console

    from supply.core.scenario import Scenario

OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write the self-contained HTML document here.")]
OptimiseOpt = Annotated[
    bool, typer.Option("--optimise", help="Plan with the solver (CP-SAT) and simulate it beside the policy's plan.")
]
TimeLimitOpt = Annotated[
    float | None, typer.Option("--time-limit", help="Seconds the solver may take (1–600, default 30; --optimise).")
]
QuantileOpt = Annotated[
    float | None,
    typer.Option("--quantile", help="Percentile of service times the solver plans on (0.5–0.99, default 0.8)."),
]


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_cmd)
    app.command("review")(review_cmd)


def plan_cmd(
    scenario: ScenarioArg = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
    optimise: OptimiseOpt = False,
    time_limit: TimeLimitOpt = None,
    quantile: QuantileOpt = None,
) -> None:
    """The action plan of a drill: who serves whom, when teams leave, stock draw per hour, risks."""
    from simulation.action_plan import clock, infeasible_first, plan_html, scenario_plan
    from simulation.optimise import (
        QUANTILE,
        TIME_LIMIT,
        check_options,
        comparison_lines,
        optimised_html,
        optimised_plan,
    )
    from simulation.spec import check_work, drill_spec
    from supply.core.settings import get_settings

    check_size_options(replications, seed)
    check_output_paths(out=out)
    check_options(optimise, time_limit, quantile)
    time_limit = TIME_LIMIT if time_limit is None else time_limit
    quantile = QUANTILE if quantile is None else quantile
    sc = load(scenario)
    spec = drill_spec(sc)
    check_work(
        spec,
        (replications or spec.replications) * (2 if optimise else 1),  # --optimise: two plans simulated
        get_settings().drill_work_limit,
        source=sc.source,
    )
    if optimise:
        plan = optimised_plan(sc, replications=replications, seed=seed, quantile=quantile, time_limit=time_limit)
    else:
        plan = scenario_plan(sc, replications=replications, seed=seed)
    if out is not None:
        out.write_text(optimised_html(plan) if optimise else plan_html(plan), encoding="utf-8")
    if as_json:
        echo_json(plan)
        return
    c = console()
    kind = "optimised action plan (the solver's, below)" if optimise else "action plan"
    c.print(f"[bold]{plan['scenario']}[/]: {kind} from {plan['replications']} replications")
    compared = comparison_lines(plan) if optimise else []
    for line in compared[:-1]:  # the verdict and what changed lead; the definitions close
        c.print(line, soft_wrap=True, markup=False)
    if optimise:
        c.print("the solver's plan, unit by unit:")
    for u in infeasible_first(plan["units"]):
        if not u["feasible"]:
            c.print(
                f"  [red]{u['code']}: CANNOT BE SERVED[/] — {u['infeasible_reason']} (not scheduled: no team, "
                "no dispatch, no stock drawn for it)"
            )
            continue
        flag = f" [red](likely late: {u['late_cause']})[/]" if u["likely_late"] else ""
        how = "handed meals by" if u.get("handover") else "served at"
        c.print(
            f"  {u['code']}: notify by {clock(u['notify_minute'])}, arrives {clock(u['arrive_minute'])} at "
            f"{u['place']}, {how} {u['station'] or 'nowhere'} ({u['on_time_share']:.0%} on time){flag}"
        )
    for d in plan["departures"]:
        c.print(f"  {clock(d['minute'])} team {d['team']} ({d['kind']}) {d['action']} for {d['unit']}")
    r = plan["risks"]
    c.print(f"bottleneck: [bold]{r['bottleneck']}[/] — {r['bottleneck_reason']}")
    c.print(f"likely late: {', '.join(r['late_units']) or 'none'}")
    for line in compared[-1:]:
        c.print(line, soft_wrap=True, markup=False)
    if out is not None:
        c.print(f"action plan written to {out}", soft_wrap=True)


def review_cmd(
    drill_id: Annotated[int, typer.Argument(help="The drill's id (from POST /drills or GET /drills).", min=1)],
    db: DbOpt = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The after-action review: what happened against the simulated 95% bands, as HTML with plots."""
    check_output_paths(out=out)
    from simulation.review_report import review_html
    from supply.core.settings import get_settings
    from supply.drills.chain import get_drill
    from supply.drills.review import drill_review

    with session_for(db) as session:
        rv = drill_review(session, get_drill(session, drill_id), get_settings().tz)
    if out is not None:
        out.write_text(review_html(rv), encoding="utf-8")
    if as_json:
        echo_json(rv)
        return
    print_review(rv, console())
    if out is not None:
        console().print(f"review written to {out}", soft_wrap=True)


def print_review(rv: dict, c: Console) -> None:
    """The review as text: the on-time share of the units due, each unit's status, the flags (what is due)."""
    from supply.core.figures import clock_time, station_label, utc_offset

    sim, d = rv["simulated_on_time_share"], rv["drill"]

    def pct(x: float | None) -> str:  # every share the same way: whole per cent, a dash for none
        return "—" if x is None else f"{x:.0%}"

    due, pending = rv.get("units_due"), rv.get("units_pending") or 0
    c.print(
        f"[bold]drill {d['id']}[/] ({d['status']}, as of {clock_time(rv.get('as_of'))} "
        f"{utc_offset(d.get('start_at'))}): on time {pct(rv['on_time_share'])}"
        + (f" of {due} units due" if due is not None else "")
        + (f", {pending} pending (not yet due)" if pending else "")
        + f"; simulated {pct(sim['mean'])} (95% band {pct(sim['band95'][0])}–{pct(sim['band95'][1])})",
        highlight=False,
    )
    words = {"on_time": "on time", "late": "[red]late[/]", "missed": "[red]missed (left unfed)[/]"}
    for u in rv["units"]:
        status = u.get("status") or ("on_time" if u["on_time"] else "late")
        where = f" at {station_label(u['station'], rv.get('names') or {})}" if u["station"] else " (not scheduled)"
        fed = "" if u["minutes_to_fed"] is None else f", fed in {u['minutes_to_fed']:.0f} min"
        said = f"pending — due {clock_time(u.get('due_at'))}" if status == "pending" else words.get(status, status)
        c.print(f"  {u['code']}{where}{fed}: {said}", highlight=False)
    for f in rv["flags"]:
        c.print(f"  [red]•[/] {f}")
    if not rv["flags"]:
        c.print("  everything due within the simulated bands and targets")


def from_live(drill_id: int, db: str | None) -> Scenario:
    """The drill's scenario from now, from the database (see :func:`supply.drills.start.live_scenario`)."""
    from supply.drills.chain import get_drill
    from supply.drills.from_live import live_scenario

    with session_for(db) as session:
        return live_scenario(session, get_drill(session, drill_id))


__all__ = ["from_live", "load", "register"]
