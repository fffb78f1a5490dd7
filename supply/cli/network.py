"""Network commands: coverage, route, robustness, site."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from supply.cli.common import (
    CloseOpt,
    JsonOpt,
    NoCacheOpt,
    OfflineOpt,
    ScenarioArg,
    SlowOpt,
    console,
    echo_json,
    err_console,
    fmt_minutes,
    network_for,
)
from supply.core.errors import InvalidArgumentError

if TYPE_CHECKING:  # the network analyses (networkx, numpy, scipy) load only when a command runs
    from supply.core.robustness import Progress

MinutesOpt = Annotated[str, typer.Option("--minutes", help="Thresholds in minutes, e.g. 30,60,120.")]
TiersOpt = Annotated[str | None, typer.Option("--tiers", help="Only stations of these tiers serve, e.g. hub,wing.")]


def register(app: typer.Typer) -> None:
    app.command("coverage")(coverage_cmd)
    app.command("route")(route_cmd)
    app.command("robustness")(robustness_cmd)
    app.command("site")(site_cmd)


def coverage_cmd(
    scenario: ScenarioArg = None,
    minutes: MinutesOpt = "30,60,120",
    close: CloseOpt = None,
    offline: OfflineOpt = None,
    slow: SlowOpt = None,
    tiers: TiersOpt = None,
    as_json: JsonOpt = False,
    no_cache: NoCacheOpt = False,
) -> None:
    """Which sites each station reaches within each threshold, per ring."""
    from supply.core.coverage import coverage, minutes_text, parse_thresholds

    thresholds = parse_thresholds(minutes)
    net = network_for(scenario, close, offline, slow, no_cache=no_cache)
    result = coverage(net, thresholds, tiers=tiers.split(",") if tiers else None)
    if as_json:
        echo_json(result.as_dict())
        return
    out = console()
    title = f"{net.scenario.scenario.name} — {net.disruptions.describe()}"
    rings = Table(title=f"Coverage: {title}")
    rings.add_column("ring")
    for t in thresholds:
        rings.add_column(f"≤ {t} min", justify="right")
    for ring, shares in result.ring_shares().items():
        rings.add_row(ring, *(f"{shares[str(t)]:.0%}" for t in thresholds))
    out.print(rings)
    sites = Table(title="Sites by travel time from the nearest station")
    for col in ("site", "ring", "station", "minutes"):
        sites.add_column(col, justify="right" if col == "minutes" else "left")
    for s in sorted(result.sites, key=lambda s: (s.minutes is None, s.minutes or 0)):
        style = "red" if s.minutes is None or s.minutes > thresholds[-1] else None
        sites.add_row(s.code, s.ring, s.station or "—", minutes_text(s.minutes, thresholds), style=style)
    out.print(sites)
    for t in thresholds:
        missing = result.uncovered(t)
        out.print(f"uncovered within {t} min: {', '.join(missing) if missing else 'none'}")


def route_cmd(
    args: Annotated[
        list[str], typer.Argument(metavar="[SCENARIO] FROM TO", help="Optional scenario file, then two codes.")
    ],
    close: CloseOpt = None,
    slow: SlowOpt = None,
    as_json: JsonOpt = False,
    no_cache: NoCacheOpt = False,
) -> None:
    """The fastest route between two codes (exit 1 when there is none)."""
    from supply.core.routing import fastest_route

    if len(args) not in (2, 3):
        msg = f"route: expected [SCENARIO] FROM TO, got {len(args)} argument(s)"
        raise InvalidArgumentError(msg)
    *scenario, origin, destination = args
    net = network_for(Path(scenario[0]) if scenario else None, close, None, slow, no_cache=no_cache)
    route = fastest_route(net, origin, destination)
    if as_json:
        echo_json(route.as_dict())
        return
    console().print(
        f"{origin} → {destination}: {route.minutes:.0f} min, {route.km:.1f} km "
        f"({', '.join(route.modes)})\n  " + " → ".join(route.path)
    )


def robustness_cmd(
    scenario: ScenarioArg = None,
    minutes: Annotated[int, typer.Option("--minutes", help="Coverage threshold.")] = 60,
    close: CloseOpt = None,
    offline: OfflineOpt = None,
    links: Annotated[bool, typer.Option(help="Also fail each link in turn.")] = True,
    top: Annotated[int, typer.Option(help="Rows to show in the table.")] = 15,
    as_json: JsonOpt = False,
    no_cache: NoCacheOpt = False,
) -> None:
    """N-1: the coverage lost when each station or link alone fails, worst first."""
    from supply.core.coverage import parse_thresholds
    from supply.core.robustness import robustness

    (threshold,) = parse_thresholds([minutes])
    net = network_for(scenario, close, offline, no_cache=no_cache)
    with link_progress() as step:
        result = robustness(net, threshold, links=links, progress=step)
    if as_json:
        echo_json(result.as_dict())
        return
    table = Table(
        title=f"N-1 at {threshold} min: {result.covered_before}/{result.sites} sites covered with everything working",
        caption="sites lost: covered within the threshold before, not after; cut off: reachable before, from no "
        "station after; minutes added: summed over the sites still reachable (a site cut off adds none)",
    )
    for col in ("failure", "kind", "sites lost", "cut off", "minutes added", "sites"):
        table.add_column(col)
    for f in result.failures[:top]:
        table.add_row(
            f.ref + (f" (also {', '.join(f.also)})" if f.also else ""),
            f.kind,
            str(len(f.sites_lost)),
            str(len(f.sites_cut)),
            fmt_minutes(f.minutes_added, small=threshold),
            "; ".join(
                part
                for part in (
                    _sites([c for c in f.sites_lost if c not in f.sites_cut]),
                    f"cut off: {_sites(f.sites_cut)}" if f.sites_cut else "",
                )
                if part
            ),
        )
    console().print(table)


def _sites(codes: list[str]) -> str:
    """The first eight codes, then an ellipsis."""
    return ", ".join(codes[:8]) + (" …" if len(codes) > 8 else "")


@contextmanager
def link_progress() -> Iterator[Progress]:
    """A progress bar on stderr for long N-1 runs (a terminal only, gone when done); yields the callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    err = err_console()
    columns = (TextColumn("N-1 over links"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Bar(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("links", total=None)

        def step(done: int, total: int) -> None:
            if done % 500 == 0 or done == total:
                bar.update(task, completed=done, total=total)

        yield step


def site_cmd(
    scenario: ScenarioArg = None,
    add: Annotated[int, typer.Option("--add", help="How many new support points.")] = 1,
    minutes: Annotated[int, typer.Option("--minutes", help="Coverage threshold.")] = 60,
    candidates: Annotated[
        str | None, typer.Option(help="Comma-separated candidate codes (default: every site and junction).")
    ] = None,
    as_json: JsonOpt = False,
    no_cache: NoCacheOpt = False,
) -> None:
    """Where to put K new support points to cover the most sites (MCLP)."""
    from supply.core.coverage import parse_thresholds
    from supply.core.siting import site_new_points

    (threshold,) = parse_thresholds([minutes])
    net = network_for(scenario, no_cache=no_cache)
    result = site_new_points(net, add, threshold, candidates=candidates.split(",") if candidates else None)
    if as_json:
        echo_json(result.as_dict())
        return
    out = console()
    out.print(f"Within {threshold} min: {result.covered_before}/{result.sites} sites covered now.")
    for note in result.notes:
        out.print(f"Note: {note}.")
    out.print(
        f"Greedy choice of {result.k}: {', '.join(result.chosen) or 'none'} → {result.covered} covered "
        f"(newly: {', '.join(result.newly_covered) or 'none'})."
    )
    if result.optimum is not None:
        out.print(
            f"Exact optimum: {result.optimum} covered with "
            f"{', '.join(result.optimal_choice or []) or 'none'}; greedy gap {result.gap}."
        )
