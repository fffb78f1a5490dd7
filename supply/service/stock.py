"""Reading the ledger: stock per station, alerts and ledger lines (see :mod:`supply.service.ledger`).

Balances come from the running balances (one row per book), consumption from a bounded window
of recent movements (``ix_movement_window`` / ``ix_movement_at``): neither grows with history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from supply.service.ledger import CONSUMING, REVERSAL, Balance, require_station
from supply.service.models import Item, Movement, ReorderLevel, StockLock, SyncAlert, utcnow


def _consumption(session: Session, exercise: bool, since: datetime, stations: list[str]):
    """{(station, item): stock consumed since ``since`` at ``stations``}, net of reversed consumption.

    Two queries over the window alone, each a range scan of ``ix_movement_window`` (station,
    book, time) per station: the consuming movements, and the (few) reversals in it joined to
    what they reverse by primary key; neither touches older history.
    """
    orig = aliased(Movement)
    recent = and_(col(Movement.station).in_(stations), col(Movement.exercise) == exercise, col(Movement.at) >= since)
    used = (
        select(Movement.station, Movement.item, func.sum(Movement.on_hand_delta))
        .where(recent, col(Movement.kind).in_(CONSUMING))
        .group_by(Movement.station, Movement.item)
    )
    undone = (
        select(Movement.station, Movement.item, func.sum(Movement.on_hand_delta))
        .join(orig, col(Movement.reversal_of) == orig.id)
        .where(recent, Movement.kind == REVERSAL, col(orig.kind).in_(CONSUMING))
        .group_by(Movement.station, Movement.item)
    )
    out: dict[tuple[str, str], float] = {}
    for q in (used, undone):
        for s, i, v in session.exec(q):
            out[(s, i)] = out.get((s, i), 0.0) - float(v)
    return out


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
    """Every catalogue item at a station: on hand, reserved, available and days of supply.

    ``days_of_supply`` is ``None`` when nothing was consumed in the window (unbounded, not a number).
    """
    require_station(session, station)
    now = now or utcnow()
    bals = _balances(session, exercise, station)
    used = _consumption(session, exercise, now - timedelta(days=window_days), [station])
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
    """Stations below their reorder level, or with fewer days of supply than the threshold."""
    now = now or utcnow()
    bals = _balances(session, exercise)
    stations = sorted({s for s, _ in bals})
    used = _consumption(session, exercise, now - timedelta(days=window_days), stations)
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
    return out + _sync_alerts(session, exercise, bals)


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
