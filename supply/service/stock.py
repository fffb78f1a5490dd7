"""Reading the ledger: stock per station, alerts and ledger lines (see :mod:`supply.service.ledger`).

Balances come from the running balances (one row per book), consumption from a bounded window
of recent movements (``ix_movement_window`` / ``ix_movement_at``): neither grows with history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from supply.service.ledger import CONSUMING, REVERSAL, Balance, require_station
from supply.service.models import Item, Movement, ReorderLevel, StockLock, SyncAlert, table_of, utcnow
from supply.service.transit import incoming, overdue_alerts


def consumption(session: Session, exercise: bool, since: datetime, stations: list[str]):
    """{(station, item): stock consumed since ``since`` at ``stations``}, net of reversed consumption.

    One query over the window alone: the window's consuming movements and reversals, a range
    scan of ``ix_movement_window`` (station, book, time) per station, materialised first, then
    the reversals joined to what they reverse by primary key and summed; older history is never
    touched. (Materialised: grouped in place, SQLite prefers ``ix_movement_book`` (station, item)
    for its order and reads every station's whole history to save sorting the window's rows.)
    """
    orig = aliased(Movement)
    m = table_of(Movement)
    window = (
        sa_select(m.c.station, m.c.item, m.c.kind, m.c.on_hand_delta, m.c.reversal_of)
        .where(
            m.c.station.in_(stations),
            m.c.exercise == exercise,
            m.c.at >= since,
            m.c.kind.in_((*CONSUMING, REVERSAL)),
        )
        .cte("recent")
        .prefix_with("MATERIALIZED")
    )
    q = (
        select(window.c.station, window.c.item, func.sum(window.c.on_hand_delta))
        .outerjoin(orig, window.c.reversal_of == orig.id)
        .where(or_(window.c.kind.in_(CONSUMING), and_(window.c.kind == REVERSAL, col(orig.kind).in_(CONSUMING))))
        .group_by(window.c.station, window.c.item)
    )
    return {(s, i): -float(v) for s, i, v in session.exec(q)}


def _balances(session: Session, exercise: bool, station: str | None = None) -> dict[tuple[str, str], Balance]:
    q = select(StockLock.station, StockLock.item, StockLock.on_hand, StockLock.reserved).where(
        StockLock.exercise == exercise
    )
    if station is not None:
        q = q.where(StockLock.station == station)
    return {(s, i): Balance(float(o), float(r)) for s, i, o, r in session.exec(q)}


def stock(
    session: Session, station: str, *, exercise: bool = False, window_days: int = 7, now: datetime | None = None
) -> list[dict]:
    """Every catalogue item at a station: on hand, reserved, available, in transit to it and days of supply.

    ``days_of_supply`` is ``None`` when nothing was consumed in the window (unbounded, not a number);
    ``in_transit``: sent to this station and not received yet (not in on hand).
    """
    require_station(session, station)
    now = now or utcnow()
    bals = _balances(session, exercise, station)
    used = consumption(session, exercise, now - timedelta(days=window_days), [station])
    road = incoming(session, station, exercise=exercise)
    rows = []
    for item in session.exec(select(Item).order_by(Item.code)):
        bal = bals.get((station, item.code), Balance())
        daily = max(used.get((station, item.code), 0.0), 0.0) / window_days
        rows.append(
            {
                "item": item.code,
                "unit": item.unit,
                "on_hand": bal.on_hand,
                "reserved": bal.reserved,
                "available": bal.available,
                "in_transit": road.get(item.code, 0.0),
                "daily_consumption": round(daily, 3),
                "days_of_supply": round(bal.on_hand / daily, 2) if daily > 0 else None,
            }
        )
    return rows


def reorder_levels(session: Session) -> dict[tuple[str, str], float]:
    """{(station, item): reorder level} as loaded from the scenario."""
    return {(r.station, r.item): r.level for r in session.exec(select(ReorderLevel))}


def alerts(
    session: Session,
    *,
    exercise: bool = False,
    threshold_days: float = 3.0,
    window_days: int = 7,
    now: datetime | None = None,
) -> list[dict]:
    """Stations below their reorder level, short of days of supply, or awaiting an overdue transfer."""
    now = now or utcnow()
    bals = _balances(session, exercise)
    stations = sorted({s for s, _ in bals})
    used = consumption(session, exercise, now - timedelta(days=window_days), stations)
    out = []
    for lvl in session.exec(select(ReorderLevel).order_by(ReorderLevel.station, ReorderLevel.item)):
        bal = bals.get((lvl.station, lvl.item), Balance())
        if bal.available < lvl.level:
            out.append(
                {
                    "station": lvl.station,
                    "item": lvl.item,
                    "kind": "below_reorder_level",
                    "available": bal.available,
                    "reorder_level": lvl.level,
                    "exercise": exercise,
                }
            )
    for (st, item), qty in sorted(used.items()):
        daily = qty / window_days
        on_hand = bals.get((st, item), Balance()).on_hand
        if daily > 0 and on_hand / daily < threshold_days:
            out.append(
                {
                    "station": st,
                    "item": item,
                    "kind": "low_days_of_supply",
                    "on_hand": on_hand,
                    "days_of_supply": round(on_hand / daily, 2),
                    "threshold_days": threshold_days,
                    "exercise": exercise,
                }
            )
    return out + _sync_alerts(session, exercise, bals) + overdue_alerts(session, exercise=exercise, now=now)


def _sync_alerts(session: Session, exercise: bool, bals: dict[tuple[str, str], Balance]) -> list[dict]:
    """Books a sync left below zero available (drawn on both sides while apart), while they still are."""
    latest: dict[tuple[str, str], SyncAlert] = {}
    q = select(SyncAlert).where(SyncAlert.exercise == exercise).order_by(col(SyncAlert.id))
    for alert in session.exec(q):
        latest[(alert.station, alert.item)] = alert
    out = []
    for (station, item), alert in sorted(latest.items()):
        available = bals.get((station, item), Balance()).available
        if available < 0:
            out.append(
                {
                    "station": station,
                    "item": item,
                    "kind": "negative_available_after_sync",
                    "available": available,
                    "movements": alert.movements,
                    "exercise": exercise,
                }
            )
    return out


def movements(
    session: Session,
    *,
    station: str | None = None,
    item: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    exercise: bool | None = None,
    kinds: Iterable[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Movement]:
    """Ledger lines, newest first."""
    q = select(Movement)
    for column, value in ((Movement.station, station), (Movement.item, item), (Movement.exercise, exercise)):
        if value is not None:
            q = q.where(column == value)
    if since is not None:
        q = q.where(col(Movement.at) >= since)
    if until is not None:
        q = q.where(col(Movement.at) < until)
    if kinds is not None:
        q = q.where(col(Movement.kind).in_(list(kinds)))
    return list(session.exec(q.order_by(col(Movement.id).desc()).offset(offset).limit(limit)))
