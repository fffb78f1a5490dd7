"""Lots and expiry, called directly, on SQLite and PostgreSQL: first-expiring first, expired never issued.

GZE-PT opens with 3,000 rations (no lot: drawn last) in each book. The day expiry is read
against is passed as ``on`` (2030-01-02); the fixture's teardown reconciles books and lots.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from supply.core.errors import ConflictError, ExpiredLotError, FieldError, InsufficientStockError
from supply.service import ledger, lots
from supply.service.dispatches import move_dispatch
from supply.service.reconcile import reconcile
from tests.service.helpers import dispatch

ST, OTHER = "GZE-PT", "GZS-PT"
DAY = date(2030, 1, 2)


def _lots(session, station=ST) -> dict[str, float]:
    return {x.lot: x.on_hand for x in lots.book_lots(session, station, "rations", False)}


def _three_lots(session) -> None:
    ledger.receive(session, "wang", ST, "rations", 100, lot="A", expires_on=date(2030, 1, 10))
    ledger.receive(session, "wang", ST, "rations", 100, lot="B", expires_on=date(2030, 1, 5))
    ledger.receive(session, "wang", ST, "rations", 100, lot="C", expires_on=date(2030, 1, 1))  # expired on DAY


def test_fefo_across_three_lots_with_one_expired(session):
    _three_lots(session)
    assert list(_lots(session)) == ["C", "B", "A", ""]  # first-expiring first, the unlotted stock last
    drawn = ledger.issue_lots(session, "wang", ST, "rations", 150, "Unit 81", on=DAY)
    assert [(m.lot, m.quantity, m.on_hand_delta) for m in drawn] == [("B", 100, -100), ("A", 50, -50)]
    assert _lots(session) == {"C": 100, "A": 50, "": 3000}
    with pytest.raises(ExpiredLotError, match=r"lot 'C' expired on 2030-01-01 \(100 on hand\)"):
        ledger.issue_lots(session, "wang", ST, "rations", 10, lot="C", on=DAY)
    # more than the unexpired stock: refused, naming the expired lot that cannot make up the rest
    with pytest.raises(ExpiredLotError, match=r"3051 asked, 3050 available; lot 'C' expired on 2030-01-01"):
        ledger.issue_lots(session, "wang", ST, "rations", 3051, on=DAY)
    last = ledger.issue_lots(session, "wang", ST, "rations", 3050, on=DAY)
    assert [(m.lot, m.quantity) for m in last] == [("A", 50), ("", 3000)]
    assert ledger.balance(session, ST, "rations", False).on_hand == 100  # lot C alone, never issued
    gone = ledger.expire(session, "wang", ST, "rations", "C", on=DAY)
    assert (gone.kind, gone.quantity, gone.on_hand_delta, gone.lot) == ("expire", 100, -100, "C")
    assert _lots(session) == {} and ledger.balance(session, ST, "rations", False).on_hand == 0
    assert reconcile(session)[1] == []


def test_a_named_lot_is_drawn_and_a_lot_not_yet_expired_is_not_written_off(session):
    _three_lots(session)
    [m] = ledger.issue_lots(session, "wang", ST, "rations", 30, lot="A", on=DAY)
    assert (m.lot, m.quantity) == ("A", 30) and _lots(session)["A"] == 70
    with pytest.raises(InsufficientStockError, match="rations lot 'A'"):
        ledger.issue_lots(session, "wang", ST, "rations", 71, lot="A", on=DAY)
    with pytest.raises(ConflictError, match="has not expired"):
        ledger.expire(session, "wang", ST, "rations", "A", on=DAY)
    with pytest.raises(FieldError, match="no lot 'Z'"):
        ledger.issue_lots(session, "wang", ST, "rations", 1, lot="Z", on=DAY)


def test_receipts_check_lots_against_the_catalogue(session):
    with pytest.raises(FieldError, match="diesel_l is not kept by lot"):
        ledger.receive(session, "wang", ST, "diesel_l", 10, lot="X")
    with pytest.raises(FieldError, match="an expiry date belongs to a lot"):
        ledger.receive(session, "wang", ST, "rations", 10, expires_on=DAY)
    ledger.receive(session, "wang", ST, "rations", 10, lot="A", expires_on=date(2030, 2, 1))
    with pytest.raises(FieldError, match="expires on 2030-02-01, not 2030-03-01"):
        ledger.receive(session, "wang", ST, "rations", 10, lot="A", expires_on=date(2030, 3, 1))
    more = ledger.receive(session, "wang", ST, "rations", 5, lot="A")  # the lot's date is kept
    assert more.expires_on == "2030-02-01" and _lots(session)["A"] == 15


def test_counts_and_reversals_per_lot(session):
    _three_lots(session)
    with pytest.raises(FieldError, match="kept in 4 lots"):
        ledger.count(session, "wang", ST, "rations", 90)
    adj = ledger.count(session, "wang", ST, "rations", 90, "two cases crushed", lot="B")
    assert adj is not None and (adj.lot, adj.on_hand_delta) == ("B", -10)
    assert ledger.count_preview(session, ST, "rations", 90, lot="B").on_hand == 90
    assert ledger.count(session, "wang", ST, "rations", 90, lot="B") is None
    [m] = ledger.issue_lots(session, "wang", ST, "rations", 40, on=DAY)
    assert m.lot == "B"
    ledger.reverse(session, "wang", m.id, "wrong unit")
    assert _lots(session)["B"] == 90
    # a receipt into a lot whose stock has since left cannot be reversed out of the others
    receipt = ledger.receive(session, "wang", ST, "rations", 5, lot="D", expires_on=date(2030, 6, 1))
    ledger.issue_lots(session, "wang", ST, "rations", 5, lot="D", on=DAY)
    with pytest.raises(InsufficientStockError, match="rations lot 'D'"):
        ledger.reverse(session, "wang", receipt.id, "typo")


def test_transfers_and_deliveries_keep_lots(session):
    _three_lots(session)
    legs = ledger.transfer(session, "wang", ST, OTHER, "rations", 120, on=DAY)
    legs += ledger.receive_transfer(session, "li", legs[0].transfer_ref or "", 120)
    assert [(m.kind, m.station, m.lot, m.quantity) for m in legs] == [
        ("transfer_out", ST, "B", 100),
        ("transfer_out", ST, "A", 20),
        ("transfer_in", OTHER, "B", 100),
        ("transfer_in", OTHER, "A", 20),
    ]
    there = {x.lot: (x.on_hand, x.expires_on) for x in lots.book_lots(session, OTHER, "rations", False)}
    assert there["B"] == (100, "2030-01-05") and there["A"] == (20, "2030-01-10")
    d = dispatch(session, ST, {"rations": 50})
    lines = [("rations", 50.0)]
    move_dispatch(session, "wang", d, "dispatched", "", lines)
    move_dispatch(session, "wang", d, "delivered", "", lines)  # today (2026 or so): lot C not expired yet
    assert _lots(session) == {"C": 50, "A": 80, "": 3000}
    assert reconcile(session)[1] == []


def test_a_delivery_never_draws_an_expired_lot(session):
    yesterday = lots.today() - timedelta(days=1)
    ledger.receive(session, "wang", ST, "rations", 100, lot="X", expires_on=yesterday)
    ledger.issue_lots(session, "wang", ST, "rations", 3000)  # the unlotted stock: only the expired lot is left
    d = dispatch(session, ST, {"rations": 50})  # the book still holds 100: reserved
    lines = [("rations", 50.0)]
    move_dispatch(session, "wang", d, "dispatched", "", lines)
    with pytest.raises(ExpiredLotError, match=r"50 asked, 0 available; lot 'X' expired on"):
        move_dispatch(session, "wang", d, "delivered", "", lines)
