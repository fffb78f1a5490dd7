"""The ``drill`` command: rehearse a drill by Monte Carlo simulation (see :mod:`simulation`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from supply.cli import live
from supply.cli.common import (
    DbOpt,
    JsonOpt,
    ReplicationsOpt,
    ScenarioArg,
    SeedOpt,
    WorkersOpt,
    check_output_paths,
    check_size_options,
    console,
    echo_json,
    err_console,
    load,
)
from supply.core.errors import InvalidArgumentError, JungongError

if TYPE_CHECKING:  # the scenario models and the simulation load only when the command runs
    from simulation.stats import DrillStats
    from supply.core.scenario import Scenario


def register(app: typer.Typer) -> None:
    from supply.cli.improve import improve_cmd

    app.command("drill")(drill_cmd)
    app.command("improve")(improve_cmd)


def _run(scenario: Scenario, label: str, replications: int, seed: int, workers: int, cluster: str | None) -> DrillStats:
    """Run a drill under a progress bar (on stderr, so ``--json`` stays clean)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from simulation.runner import run_drill

    with Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console(),
        transient=True,
        auto_refresh=False,  # no refresh thread: worker processes are forked while it runs
    ) as bar:
        task = bar.add_task(label, total=None)
        return run_drill(
            scenario,
            replications=replications,
            seed=seed,
            workers=workers,
            cluster=cluster,
            progress=lambda done, total: bar.update(task, completed=done, total=total, refresh=True),
        )


def drill_cmd(
    scenario: ScenarioArg = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Run on an existing Dask cluster, e.g. tcp://host:8786.")
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")] = None,
    compare_with: Annotated[
        Path | None, typer.Option("--compare", help="A second drill to put side by side (same seed and size).")
    ] = None,
    map_path: Annotated[Path | None, typer.Option("--map", help="Write an offline HTML map of the drill here.")] = None,
    as_json: JsonOpt = False,
    from_live: Annotated[
        int | None,
        typer.Option("--from-live", help="Simulate a live drill from now: current stock, units to come, teams.", min=1),
    ] = None,
    db: DbOpt = None,
    improve: Annotated[
        bool, typer.Option("--improve", help="Also search what to change, costed step by step (see `improve`).")
    ] = False,
) -> None:
    """Rehearse a drill: is every unit fed and refuelled in time, where is the bottleneck?"""
    from simulation.spec import check_work, drill_spec
    from supply.core.settings import get_settings

    check_size_options(replications, seed)
    check_output_paths(report=report, map=map_path)
    if workers is not None and workers < 1:
        msg = f"--workers must be ≥ 1, got {workers}"
        raise InvalidArgumentError(msg)
    if cluster is not None and not cluster.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        msg = f"--cluster '{cluster}': expected a scheduler address such as tcp://host:8786"
        raise InvalidArgumentError(msg)
    workers = workers or os.cpu_count() or 1
    if from_live is not None and scenario is not None:
        msg = "give a SCENARIO or --from-live DRILL_ID, not both"
        raise InvalidArgumentError(msg)
    sc_a = live.from_live(from_live, db) if from_live is not None else load(scenario)
    spec_a = drill_spec(sc_a)
    replications = spec_a.replications if replications is None else replications
    seed = spec_a.seed if seed is None else seed
    limit = get_settings().drill_work_limit
    check_work(spec_a, replications, limit, source=sc_a.source)
    sc_b = None
    if compare_with is not None:
        sc_b = load(compare_with)
        check_work(drill_spec(sc_b), replications, limit, source=sc_b.source)  # fail fast, before the long run of A
    res_a = _run(sc_a, "drill", replications, seed, workers, cluster)
    result = res_a.as_dict()
    comparison = None
    if sc_b is not None:
        from simulation.compare import compare

        res_b = _run(sc_b, "compare", replications, seed, workers, cluster)
        comparison = compare(res_a, res_b, names=(sc_a.source, sc_b.source))
    improvement = None
    if improve:
        from simulation.improve import improve as search

        improvement, _ = search(sc_a, replications=replications, seed=seed, workers=workers)
    if report is not None:
        from simulation.report import write_report

        write_report(result, report, comparison, improvement)
    if map_path is not None:
        _write_map(sc_a, result, map_path)
    if as_json:
        if improvement is not None:
            result["improve"] = improvement
        if comparison is None:
            echo_json(_trim(result))
        else:
            echo_json({"a": _trim(result), "b": _trim(res_b.as_dict()), "comparison": comparison})
        return
    _print(result)
    if comparison is not None:
        _print_comparison(comparison)
    out = console()
    if improvement is not None:
        from supply.cli.improve import print_improvement

        out.print()
        print_improvement(improvement, out)
    if report is not None:
        out.print(f"report written to {report}", soft_wrap=True)
    if map_path is not None:
        out.print(f"map written to {map_path}", soft_wrap=True)


def _trim(result: dict) -> dict:
    """The JSON printed: everything but the long plotting series."""
    return {k: v for k, v in result.items() if k not in ("series", "minutes_to_fed_histogram")}


def _write_map(scenario: Scenario, result: dict, path: Path) -> None:
    try:
        from maps import drill_map
    except ImportError:
        msg = "--map: drill maps are not available in this build (maps.drill_map is missing)"
        raise JungongError(msg) from None
    drill_map(scenario, result, path)


def _print(res: dict) -> None:
    from supply.cli.drill_text import print_result

    print_result(res, console())


def _print_comparison(cmp: dict) -> None:
    from simulation.compare import text

    table = Table(title=f"A = {cmp['a']}  vs  B = {cmp['b']} ({cmp['test']}, α = {cmp['alpha']})")
    for col in ("metric", "A", "B", "B − A", "p", "significant"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    notes: dict[str, int] = {}
    for r in cmp["rows"]:
        t = text(r)
        mark = f" [{notes.setdefault(t['note'], len(notes) + 1)}]" if t["note"] else ""
        table.add_row(
            r.get("name", r["metric"]) + mark,
            t["a"],
            t["b"],
            t["difference"],
            t["p"],
            "yes" if r["significant"] else "no",
            style="bold" if r["significant"] else None,
        )
    out = console()
    out.print(table)
    out.print("shares in %, their differences in percentage points (pp); — : no value", soft_wrap=True)
    for note, i in notes.items():
        out.print(f"[{i}] {note}", markup=False, soft_wrap=True)
