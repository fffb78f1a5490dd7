"""Map commands: ``jungong map`` writes an offline coverage map (or, with ``--drill``, a drill map)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from supply.cli.common import CloseOpt, NoCacheOpt, OfflineOpt, ScenarioArg, SlowOpt, console, network_for
from supply.core.errors import InvalidArgumentError


def register(app: typer.Typer) -> None:
    app.command("map")(map_cmd)


def map_cmd(
    scenario: ScenarioArg = None,
    minutes: Annotated[str, typer.Option("--minutes", help="Thresholds in minutes, e.g. 30,60,120.")] = "30,60,120",
    close: CloseOpt = None,
    offline: OfflineOpt = None,
    slow: SlowOpt = None,
    tiles: Annotated[
        str | None, typer.Option("--tiles", help="Tile URL template of a tile server you can reach, {z}/{x}/{y}.")
    ] = None,
    assets: Annotated[
        str, typer.Option("--assets", help="inline: one self-contained file; served: link /maps/assets/ (API).")
    ] = "inline",
    drill: Annotated[
        Path | None, typer.Option("--drill", help="Drill results (the drill's --json output): draw a drill map.")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Map title (default: the scenario's name).")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path("coverage.html"),
    no_cache: NoCacheOpt = False,
) -> None:
    """An offline coverage map: stations by tier, travel-time coverage areas, rings, gaps and disruptions."""
    from maps import coverage_map, drill_map_html
    from supply.core.coverage import coverage, parse_thresholds

    thresholds = parse_thresholds(minutes)
    net = network_for(scenario, close, offline, slow, no_cache=no_cache)
    if drill is not None:
        html = drill_map_html(net, _read_json(drill), title=title, tiles=tiles, assets=assets)
        what = "drill map"
    else:
        result = coverage(net, thresholds)
        html = coverage_map(net, result, title=title, tiles=tiles, assets=assets)
        missing = result.uncovered(thresholds[-1])
        what = f"coverage map ({len(missing)} of {len(result.sites)} sites beyond {thresholds[-1]} min)"
    try:
        output.write_text(html, encoding="utf-8")
    except OSError as exc:
        msg = f"-o {output}: cannot write: {exc.strerror or exc}"
        raise InvalidArgumentError(msg) from None
    # soft_wrap: the path stays on one line, whatever its length, so that it can be copied
    console().print(f"wrote {what} to {output} ({len(html.encode()) / 1024:,.0f} KiB)", soft_wrap=True)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        msg = f"--drill {path}: cannot read: {exc.strerror or exc}"
        raise InvalidArgumentError(msg) from None
    except json.JSONDecodeError as exc:
        msg = f"--drill {path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        raise InvalidArgumentError(msg) from None
