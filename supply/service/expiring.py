"""Stock by lot and what will expire before it is used (the expiring-stock report).

For each lot expiring within N days, the **expected use before its expiry** is the station's mean
daily consumption of the item over the consumption window (the same figure as days of supply)
times the days the lot can still be issued (through its expiry day), less what the lots drawn
before it (first-expiring first) will take; the **quantity at risk** is what of the lot is left
over at its expiry: ``max(0, quantity − max(0, daily × days_left − ahead))``. An expired lot is
all at risk (it is never issued: write it off). Nothing consumed in the window: all at risk.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from supply.service import lots
from supply.service.ledger import require_station
from supply.service.models import Item, LotBalance, utcnow
from supply.service.stock import consumption

#: The definition shown beside the figures (CLI, API, console).
DEFINITION = (
    "at risk = what of a lot is left at its expiry: its quantity less the expected use before then "
    "(mean daily consumption over the window x days it can still be issued, through its expiry day, "
    "after the lots that expire earlier); an expired lot is all at risk and is never issued"
)


def stock_by_lot(session: Session, station: str, *, exercise: bool = False, on: date | None = None) -> list[dict]:
    """Every lot holding stock at a station, item by item, first-expiring first (the unlotted stock last)."""
    require_station(session, station)
    on = on or lots.today()
    units = {i.code: i.unit for i in session.exec(select(Item))}
    rows = []
    for item in sorted(units):
        for x in lots.book_lots(session, station, item, exercise):
            left = None if x.expires_on is None else (date.fromisoformat(x.expires_on) - on).days
            rows.append(
                {
                    "item": item,
                    "unit": units[item],
                    "lot": x.lot,
                    "expires_on": x.expires_on,
                    "on_hand": x.on_hand,
                    "days_to_expiry": left,
                    "expired": x.expired(on),
                }
            )
    return rows


def expiring(
    session: Session, *, days: int, exercise: bool = False, window_days: int = 7, on: date | None = None
) -> dict:
    """Per station, item and lot: what expires within ``days`` against its expected use (see the module)."""
    on = on or lots.today()
    horizon = (on + timedelta(days=days)).isoformat()
    q = select(LotBalance.station, LotBalance.item).where(
        LotBalance.exercise == exercise,
        LotBalance.on_hand > 0,
        col(LotBalance.expires_on).is_not(None),
        col(LotBalance.expires_on) <= horizon,
    )
    books = sorted(set(session.exec(q)))
    used = consumption(session, exercise, utcnow() - timedelta(days=window_days), sorted({s for s, _ in books}))
    units = {i.code: i.unit for i in session.exec(select(Item))}
    out = []
    for station, item in books:
        daily = max(used.get((station, item), 0.0), 0.0) / window_days
        ahead = 0.0  # unexpired stock the earlier-expiring lots hold: drawn first
        for x in lots.book_lots(session, station, item, exercise):
            if x.expires_on is None or x.expires_on > horizon or x.on_hand <= 0:
                break  # first-expiring first: the rest expire later
            left = 0 if x.expired(on) else (date.fromisoformat(x.expires_on) - on).days + 1
            expected = daily * left
            use = min(x.on_hand, max(0.0, expected - ahead))
            if left:
                ahead += x.on_hand
            out.append(
                {
                    "station": station,
                    "item": item,
                    "unit": units.get(item, ""),
                    "lot": x.lot,
                    "expires_on": x.expires_on,
                    "days_left": left,
                    "quantity": x.on_hand,
                    "daily_consumption": round(daily, 3),
                    "expected_use": round(use, 3),
                    "at_risk": round(x.on_hand - use, 3),
                    "expired": left == 0,
                }
            )
    out.sort(key=lambda r: (-r["at_risk"], r["expires_on"], r["station"], r["item"], r["lot"]))
    totals: dict[str, float] = {}
    for r in out:
        totals[r["item"]] = round(totals.get(r["item"], 0.0) + r["at_risk"], 3)
    return {
        "as_of": on.isoformat(),
        "days": days,
        "window_days": window_days,
        "exercise": exercise,
        "definition": DEFINITION,
        "at_risk": totals,
        "lots": out,
    }
