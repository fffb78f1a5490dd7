"""Time to survive from live stock: per station, how many days each consumed item lasts with no resupply.

Stock is what can still be issued: on hand less reserved less expired lots. Daily demand is the
consumption window's day-by-day totals (issues and deliveries, net of their reversals), resampled
by :mod:`supply.core.survive`. Only items consumed in the window are counted: an item nobody drew
lately does not run out, and a station where nothing was drawn has ``days: null`` with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import and_, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from supply.core.cutoff import cut_off
from supply.core.errors import InvalidArgumentError
from supply.core.network import Network
from supply.core.survive import HORIZON_DAYS, REPLICATIONS, SEED, runout_days, summarise
from supply.service import lots
from supply.service.ledger import CONSUMING, REVERSAL, require_station
from supply.service.models import LotBalance, Movement, Station, StockLock, table_of, utcnow

DEFINITION = (
    "days a station's stock lasts with no resupply: stock that can still be issued (on hand less reserved "
    "less expired lots) against daily demand resampled from the consumption window's daily totals "
    "(Monte Carlo); median and 90% band (5th-95th percentile); a station lasts as long as its first item out"
)


def _usable(session: Session, stations: list[str], exercise: bool, on: date) -> dict[tuple[str, str], float]:
    q = select(StockLock.station, StockLock.item, StockLock.on_hand, StockLock.reserved).where(
        StockLock.exercise == exercise, col(StockLock.station).in_(stations)
    )
    out = {(s, i): float(o) - float(r) for s, i, o, r in session.exec(q)}
    dead = select(LotBalance.station, LotBalance.item, LotBalance.on_hand).where(
        LotBalance.exercise == exercise,
        col(LotBalance.station).in_(stations),
        LotBalance.on_hand > 0,
        col(LotBalance.expires_on) < on.isoformat(),
    )
    for s, i, qty in session.exec(dead):
        out[(s, i)] = out.get((s, i), 0.0) - float(qty)
    return out


def daily_totals(
    session: Session, stations: list[str], exercise: bool, since: datetime, window_days: int
) -> dict[tuple[str, str], list[float]]:
    """{(station, item): consumption on each of the window's days, oldest first}, net of reversed consumption."""
    m, orig = table_of(Movement), aliased(Movement)
    q = (
        sa_select(m.c.station, m.c.item, m.c.at, m.c.on_hand_delta)
        .outerjoin(orig, m.c.reversal_of == orig.id)
        .where(
            m.c.station.in_(stations),
            m.c.exercise == exercise,
            m.c.at >= since,
            or_(m.c.kind.in_(CONSUMING), and_(m.c.kind == REVERSAL, col(orig.kind).in_(CONSUMING))),
        )
    )
    out: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * window_days)
    for station, item, at, delta in session.connection().execute(q):
        day = min(int((at - since) / timedelta(days=1)), window_days - 1)
        out[(station, item)][day] -= float(delta)
    return {k: [max(v, 0.0) for v in days] for k, days in out.items()}


def survive(
    session: Session,
    *,
    stations: list[str] | None = None,
    exercise: bool = False,
    window_days: int = 7,
    horizon: int = HORIZON_DAYS,
    replications: int = REPLICATIONS,
    seed: int = SEED,
    now: datetime | None = None,
) -> dict:
    """Per station (all, or ``stations``): days its consumed items last with no resupply; shortest first."""
    for code in stations or []:
        require_station(session, code)
    codes = sorted(stations) if stations else sorted(session.exec(select(Station.code)))
    now = now or utcnow()
    since = now - timedelta(days=window_days)
    usable = _usable(session, codes, exercise, lots.today())
    demand = daily_totals(session, codes, exercise, since, window_days)
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    for station in codes:
        consumed = sorted(item for (s, item), days in demand.items() if s == station and sum(days) > 0)
        if not consumed:
            why = f"nothing was consumed at {station} in the last {window_days} days: its stock is not being drawn"
            rows.append({"station": station, "days": None, "reason": why, "first_out": None, "items": []})
            continue
        items: list[dict] = []
        runs = []
        for item in consumed:
            run = runout_days(
                max(usable.get((station, item), 0.0), 0.0),
                demand[(station, item)],
                horizon=horizon,
                rng=rng,
                n=replications,
            )
            runs.append(run)
            daily = sum(demand[(station, item)]) / window_days
            available = round(usable.get((station, item), 0.0), 3)
            stat = summarise(run, horizon)
            items.append({"item": item, "available": available, "daily_mean": round(daily, 3), "days": stat.as_dict()})
        items.sort(key=lambda r: (r["days"]["median"], r["item"]))
        whole = summarise(np.min(np.vstack(runs), axis=0), horizon)
        rows.append({"station": station, "days": whole.as_dict(), "first_out": items[0]["item"], "items": items})
    rows.sort(key=lambda r: (r["days"] is None, r["days"]["median"] if r["days"] else 0.0, r["station"]))
    return {**_empty(window_days, horizon, replications, seed, exercise), "stations": rows}


def survive_report(
    session: Session,
    *,
    network: Network | None = None,
    cut: str | None = None,
    station: str | None = None,
    exercise: bool = False,
    window_days: int = 7,
    horizon: int = HORIZON_DAYS,
    replications: int = REPLICATIONS,
    seed: int = SEED,
) -> dict:
    """:func:`survive` for every station, one ``station``, or those whose route from the hub crosses ``cut``.

    With ``cut`` the stations affected are those no hub reaches once the link is closed and those
    whose fastest route from the hub crossed it (a detour, its extra minutes stated): their
    resupply is assumed stopped (the worst case: a typhoon closing a crossing closes its neighbours).
    """
    if cut is not None and station is not None:
        raise InvalidArgumentError("give --cut LINK or --station CODE, not both")
    stations = [station] if station else None
    extra: dict = {}
    if cut is not None:
        if network is None:
            raise InvalidArgumentError("--cut needs the scenario's network")
        isolated, detours = cut_off(network, cut)
        stations = sorted({*isolated, *detours})
        extra["cut"] = {"link": cut, "cut_off": isolated, "detour_minutes": detours}
        if not stations:
            return {**_empty(window_days, horizon, replications, seed, exercise), **extra}
    return {
        **survive(
            session,
            stations=stations,
            exercise=exercise,
            window_days=window_days,
            horizon=horizon,
            replications=replications,
            seed=seed,
        ),
        **extra,
    }


def _empty(window_days: int, horizon: int, replications: int, seed: int, exercise: bool) -> dict:
    return {
        "stations": [],
        "window_days": window_days,
        "horizon_days": horizon,
        "replications": replications,
        "seed": seed,
        "exercise": exercise,
        "definition": DEFINITION,
    }
