"""Lots and expiry: which lots of a book an issue draws, first-expiring first (FEFO).

An item the catalogue keeps by lot (``lot_tracked``: rations, water) is received into named lots
with an expiry date; stock without a lot (opening stock, and every untracked item) is the book's
unlotted lot ``""``, which never expires and is drawn last. A lot expires at the end of its
``expires_on`` day in the service's time zone: from the next day on it is never issued
(:class:`~supply.core.errors.ExpiredLotError`, naming it) and is written off by an ``expire``
movement. The running on-hand per lot is :class:`~supply.service.models.LotBalance`, moved by
:func:`supply.service.ledger.apply` with each movement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from supply.core.errors import ExpiredLotError, FieldError, InsufficientStockError
from supply.core.settings import get_settings
from supply.service.models import UNLOTTED, LotBalance, utcnow

_EPS = 1e-9


def today(tz: ZoneInfo | None = None) -> date:
    """Today's date where the stock is (the service's time zone): what expiry dates are read against."""
    return utcnow().astimezone(tz or get_settings().tz).date()


@dataclass(frozen=True)
class Lot:
    """One lot of one book: its name (``""``: unlotted), expiry date (ISO, ``None``: never) and on hand."""

    lot: str
    expires_on: str | None
    on_hand: float

    def expired(self, on: date) -> bool:
        return self.expires_on is not None and self.expires_on < on.isoformat()


def fefo_key(lot: Lot) -> tuple[bool, str, bool, str]:
    """First-expiring first; lots without a date after dated ones; the unlotted stock last of all."""
    return (lot.expires_on is None, lot.expires_on or "", lot.lot == UNLOTTED, lot.lot)


def book_lots(session: Session, station: str, item: str, exercise: bool) -> list[Lot]:
    """The lots of one book holding stock (on hand not zero), first-expiring first."""
    q = select(LotBalance.lot, LotBalance.expires_on, LotBalance.on_hand).where(
        LotBalance.station == station, LotBalance.item == item, LotBalance.exercise == exercise
    )
    rows = [Lot(lot, exp, float(qty)) for lot, exp, qty in session.exec(q) if abs(qty) > _EPS]
    return sorted(rows, key=fefo_key)


def lot_of(session: Session, station: str, item: str, exercise: bool, lot: str) -> Lot | None:
    """One lot of a book, or ``None`` when the book never held it."""
    row = session.get(LotBalance, (station, item, exercise, lot))
    return None if row is None else Lot(row.lot, row.expires_on, float(row.on_hand))


def allocate(
    lots: list[Lot],
    quantity: float,
    on: date,
    *,
    station: str,
    item: str,
    exercise: bool,
    reserved: float = 0.0,
    lot: str | None = None,
) -> list[tuple[Lot, float]]:
    """Which lots give ``quantity``: the named ``lot``, else first-expiring first; (lot, quantity) pairs.

    Expired lots are never drawn: a named expired lot, or an ask that only expired stock could meet,
    is :class:`ExpiredLotError` naming them. ``reserved``: stock held for dispatches, left in place
    (the latest-expiring stock is what stays).
    """
    if lot is not None:
        found = next((x for x in lots if x.lot == lot), None)
        if found is None:
            held = ", ".join(repr(x.lot) for x in lots) or "none"
            raise FieldError("lot", f"no lot '{lot}' of {item} at {station} holds stock (lots: {held})")
        if found.expired(on):
            raise ExpiredLotError(station, item, [(found.lot, found.expires_on or "", found.on_hand)], asked=quantity)
        if found.on_hand + _EPS < quantity:
            raise InsufficientStockError(
                station, f"{item} lot '{lot}'", quantity, max(found.on_hand, 0), exercise=exercise
            )
        return [(found, quantity)]
    usable = [x for x in lots if not x.expired(on) and x.on_hand > _EPS]
    free = sum(x.on_hand for x in usable) - reserved
    if free + _EPS < quantity:
        dead = [(x.lot, x.expires_on or "", x.on_hand) for x in lots if x.expired(on) and x.on_hand > _EPS]
        if dead:
            raise ExpiredLotError(station, item, dead, asked=quantity, short=max(free, 0))
        raise InsufficientStockError(station, item, quantity, max(free, 0), exercise=exercise)
    out, left = [], quantity
    for x in usable:
        if left <= _EPS:
            break
        take = min(x.on_hand, left)
        out.append((x, take))
        left -= take
    return out
