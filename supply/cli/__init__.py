"""The ``jungong`` command: the composition root of supply, simulation and maps.

Each concern registers its commands from its own module; errors from the domain are turned
into messages and exit codes here, once (:class:`_Root`).
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from supply.cli import db as db_commands
from supply.cli import drill as drill_commands
from supply.cli import film as film_commands
from supply.cli import live as live_commands
from supply.cli import maps as map_commands
from supply.cli import network as network_commands
from supply.cli import package as package_commands
from supply.cli import stock as stock_commands
from supply.cli import sync as sync_commands
from supply.cli import sync_run
from supply.cli.common import err_console
from supply.core.errors import JungongError, ScenarioError


class _Root(TyperGroup):
    """Turns every :class:`JungongError` into a clear message and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except JungongError as exc:
            lines = [str(p) for p in exc.problems] if isinstance(exc, ScenarioError) else [str(exc)]
            for line in lines:
                err_console().print(f"[bold red]error:[/] {line}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_Root,
    name="jungong",
    help="Military supply (军供) logistics for Guangzhou: network coverage, the duty officers' "
    "service, drill rehearsal and coverage maps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
network_commands.register(app)
map_commands.register(app)
drill_commands.register(app)
film_commands.register(app)
db_commands.register(app)
live_commands.register(app)
package_commands.register(app)
sync_commands.register(app)
stock_commands.register(app)
sync_run.register(sync_commands.sync_app)


def main() -> None:
    """Console entry point."""
    app()
