"""Options and output helpers shared by the CLI's command modules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from supply.core.network import Disruptions, Network, build_network
from supply.core.scenario import Scenario, load_scenario

ScenarioArg = Annotated[
    Path | None,
    typer.Argument(help="Scenario TOML file (default: the built-in Guangzhou scenario).", show_default=False),
]
CloseOpt = Annotated[list[str] | None, typer.Option("--close", help="Close a link: its name or A~B. Repeatable.")]
OfflineOpt = Annotated[
    list[str] | None, typer.Option("--offline", help="Take a station offline (its roads stay open). Repeatable.")
]
SlowOpt = Annotated[list[str] | None, typer.Option("--slow", help="Slow a link by a factor: A~B=1.5. Repeatable.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def console() -> Console:
    return Console(soft_wrap=False)


def err_console() -> Console:
    return Console(stderr=True)


def load(scenario: Path | None) -> Scenario:
    return load_scenario(scenario)


def network_for(
    scenario: Path | None,
    close: list[str] | None = None,
    offline: list[str] | None = None,
    slow: list[str] | None = None,
) -> Network:
    """Load a scenario and apply the command line's disruptions."""
    return build_network(load(scenario), Disruptions.parse(close, offline, slow))


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def fmt_minutes(value: float | None, *, small: float | None = None) -> str:
    """Whole minutes, or one decimal when the threshold in view is ``small`` (under 10 minutes)."""
    if value is None:
        return "—"
    return f"{value:.1f}" if small is not None and small < 10 else f"{value:.0f}"
