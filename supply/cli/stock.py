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


@stock_app.command("survive")
def survive_cmd(
    cut: Annotated[
        str | None, typer.Option("--cut", help="Only the stations whose resupply crosses this link (name or A~B).")
    ] = None,
    station: Annotated[str | None, typer.Option("--station", help="Only this station.")] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=90, help="The horizon in days.")] = 14,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    exercise: BookOpt = False,
) -> None:
    """How many days each station's stock lasts if resupply stops: median and 90% band, first item out."""
    from supply.core.network_cache import cached_network
    from supply.core.settings import get_settings
    from supply.service.scenario_sync import stored_scenario
    from supply.service.survive import survive_report

    with session_for(db) as session:
        network = None
        if cut is not None:
            sc = stored_scenario(session)
            network = None if sc is None else cached_network(sc, get_settings().network_cache_dir)
        report = survive_report(
            session,
            network=network,
            cut=cut,
            station=station,
            exercise=exercise,
            window_days=_window(session),
            horizon=days,
        )
    if as_json:
        echo_json(report)
        return
    for line in survive_lines(report):
        typer.echo(line)


def _days(d: dict) -> str:
    low, high = d["band90"]
    more = "≥ " if d["beyond_horizon"] else ""
    return f"{more}{d['median']:g} days [{low:g}, {high:g}]"


def survive_lines(report: dict) -> list[str]:
    """The report as a commander reads it: shortest first, "NS-WING: 2.3 days [1.9, 2.8], water_l first"."""
    lines = []
    if "cut" in report:
        cut = report["cut"]
        off = ", ".join(cut["cut_off"]) or "none"
        detours = ", ".join(f"{s} +{m:g} min" for s, m in cut["detour_minutes"].items()) or "none"
        lines.append(f"Closing {cut['link']}: cut off {off}; on a detour {detours} (their resupply assumed stopped)")
        if not report["stations"]:
            lines.append("No station's resupply crosses it: every station is resupplied as before.")
    lines.append("Days each station holds with no resupply (median [90% band]), shortest first:")
    for row in report["stations"]:
        if row["days"] is None:
            lines.append(f"  {row['station']}: — ({row['reason']})")
            continue
        lines.append(f"  {row['station']}: {_days(row['days'])}, {row['first_out']} first")
        for item in row["items"]:
            lines.append(
                f"      {item['item']:<12} {_days(item['days'])}  ({item['available']:,.0f} usable, "
                f"{item['daily_mean']:,.1f}/day)"
            )
    lines.append(
        f"{report['replications']} replications (seed {report['seed']}), demand from the last "
        f"{report['window_days']} days, horizon {report['horizon_days']} days (--days)"
    )
    lines.append(report["definition"])
    return lines
