"""Stock commands on the duty officers' database: ``stock expiring`` (and ``stock survive``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from supply.cli.common import DbOpt, JsonOpt, echo_json, session_for

if TYPE_CHECKING:
    from sqlmodel import Session

stock_app = typer.Typer(
    help="Stock on the duty officers' database: expiring lots, time to survive.", no_args_is_help=True
)

DaysOpt = Annotated[int, typer.Option("--days", min=0, max=3650, help="Lots expiring within N days.")]
BookOpt = Annotated[bool, typer.Option("--exercise", help="The exercise (drill) book instead of the real one.")]


def register(app: typer.Typer) -> None:
    app.add_typer(stock_app, name="stock")


def _window(session: Session) -> int:
    """The consumption window of the scenario the database was loaded from (else the default)."""
    from supply.core.factors import StockPolicy, stock_policy
    from supply.service.scenario_sync import stored_scenario

    sc = stored_scenario(session)
    return (stock_policy(sc) if sc is not None else StockPolicy()).consumption_window_days


@stock_app.command("expiring")
def expiring_cmd(days: DaysOpt = 30, db: DbOpt = None, as_json: JsonOpt = False, exercise: BookOpt = False) -> None:
    """What will expire before it is used: per station, item and lot, the quantity at risk."""
    from supply.service.expiring import expiring

    with session_for(db) as session:
        report = expiring(session, days=days, exercise=exercise, window_days=_window(session))
    if as_json:
        echo_json(report)
        return
    book = "exercise book" if exercise else "real book"
    risk = ", ".join(f"{item} {qty:,.0f}" for item, qty in sorted(report["at_risk"].items()) if qty > 0) or "nothing"
    typer.echo(f"At risk of expiring before use within {days} days ({book}, as of {report['as_of']}): {risk}")
    if report["lots"]:
        typer.echo(
            f"{'station':<10} {'item':<9} {'lot':<12} {'expires':<10} {'left':>7} "
            f"{'quantity':>10} {'use':>10} {'at risk':>10}"
        )
        for r in report["lots"]:
            left = "expired" if r["expired"] else f"{r['days_left']}d"
            typer.echo(
                f"{r['station']:<10} {r['item']:<9} {r['lot']:<12} {r['expires_on']:<10} {left:>7} "
                f"{r['quantity']:>10,.0f} {r['expected_use']:>10,.0f} {r['at_risk']:>10,.0f}"
            )
    else:
        typer.echo(f"no lot expires within {days} days")
    typer.echo(
        f"use: expected use before expiry at the mean daily consumption of the last {report['window_days']} days"
    )
    typer.echo(report["definition"])
