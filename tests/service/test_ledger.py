"""The ledger's rules, called directly (no HTTP), on SQLite and PostgreSQL.

GZE-PT opens (``scenarios/guangzhou.toml``) with 4,000 meals and 100 medical kits in each book,
the real one and the exercise one; every expectation below is that plus or minus the movements
the test writes.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from supply.core.errors import ConflictError, FieldError, UnknownCodeError
from supply.service import ledger
from supply.service.models import AuditEntry, Movement
from tests.service.helpers import dispatch

ST, OTHER = "GZE-PT", "GZS-PT"


def on_hand(session, station=ST, item="meals", exercise=False) -> float:
    return ledger.balance(session, station, item, exercise).on_hand


def test_opening_stock_in_both_books(session):
    assert ledger.balance(session, ST, "meals", False) == ledger.Balance(4000.0, 0.0)
    assert ledger.balance(session, ST, "meals", True) == ledger.Balance(4000.0, 0.0)


def test_receipt_and_issue_move_on_hand_and_are_audited(session):
    r = ledger.receive(session, "wang", ST, "meals", 250, "truck GD-A1")
    assert (r.kind, r.on_hand_delta, r.reserved_delta) == ("receipt", 250, 0)
    i = ledger.issue(session, "wang", ST, "meals", 1000, "Unit 81")
    assert (i.kind, i.on_hand_delta) == ("issue", -1000)
    assert on_hand(session) == 4000 + 250 - 1000
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.actor == "wang")).all()
    assert sorted(actions) == ["movement.issue", "movement.receipt"]


def test_issue_never_below_zero_and_leaves_nothing_behind(session):
    short = r"not enough medical_kits at GZE-PT \(real book\): 101 asked, 100 available"
    with pytest.raises(ConflictError, match=short):
        ledger.issue(session, "wang", ST, "medical_kits", 101)
    assert on_hand(session, item="medical_kits") == 100
    ledger.issue(session, "wang", ST, "medical_kits", 100)  # exactly what there is: allowed
    assert on_hand(session, item="medical_kits") == 0
    with pytest.raises(ConflictError, match="0 available"):
        ledger.issue(session, "wang", ST, "medical_kits", 1)


def test_unknown_codes(session):
    with pytest.raises(UnknownCodeError, match="unknown station 'GZE-PTT'"):
        ledger.receive(session, "wang", "GZE-PTT", "meals", 1)
    with pytest.raises(FieldError, match="unknown item 'meal'"):
        ledger.receive(session, "wang", ST, "meal", 1)


def test_transfer_moves_both_legs_with_one_ref(session):
    [out] = ledger.transfer(session, "wang", ST, OTHER, "meals", 600, "rebalance")
    assert (out.station, out.kind, out.on_hand_delta, out.counterpart) == (ST, "transfer_out", -600, OTHER)
    assert on_hand(session, ST) == 3400 and on_hand(session, OTHER) == 4000  # on the road
    [into] = ledger.receive_transfer(session, "li", out.transfer_ref, 600)
    assert (into.station, into.kind, into.on_hand_delta) == (OTHER, "transfer_in", 600)
    assert out.transfer_ref == into.transfer_ref is not None
    assert on_hand(session, ST) == 3400 and on_hand(session, OTHER) == 4600
    with pytest.raises(FieldError, match="two different stations"):
        ledger.transfer(session, "wang", ST, ST, "meals", 1)
    with pytest.raises(ConflictError, match="3400 available"):
        ledger.transfer(session, "wang", ST, OTHER, "meals", 3401)


def test_count_records_only_the_difference(session):
    assert ledger.count(session, "wang", ST, "meals", 4000) is None  # matches the books: no movement
    adj = ledger.count(session, "wang", ST, "meals", 3950, "spoiled")
    assert (adj.kind, adj.quantity, adj.on_hand_delta) == ("adjustment", 50, -50)
    assert adj.reason == "count: 3950 counted, 4000 on the books; spoiled"
    up = ledger.count(session, "wang", ST, "meals", 3990)
    assert up.on_hand_delta == 40
    assert on_hand(session) == 3990


def test_reversal_undoes_once_and_only_once(session):
    r = ledger.receive(session, "wang", ST, "meals", 500)
    (rev,) = ledger.reverse(session, "li", r.id, "typo")
    assert (rev.kind, rev.reversal_of, rev.on_hand_delta) == ("reversal", r.id, -500)
    assert on_hand(session) == 4000
    with pytest.raises(ConflictError, match=f"movement {r.id} has already been reversed"):
        ledger.reverse(session, "li", r.id, "again")
    with pytest.raises(ConflictError, match="is itself a reversal"):
        ledger.reverse(session, "li", rev.id, "undo the undo")
    with pytest.raises(UnknownCodeError, match="unknown movement '999999'"):
        ledger.reverse(session, "li", 999_999, "none")
    assert on_hand(session) == 4000


def test_reversing_a_transfer_undoes_both_legs(session):
    [out] = ledger.transfer(session, "wang", ST, OTHER, "meals", 600)
    ledger.receive_transfer(session, "li", out.transfer_ref or "", 600)
    legs = ledger.reverse(session, "li", out.id, "wrong station")
    assert sorted((m.station, m.on_hand_delta) for m in legs) == [(ST, 600), (OTHER, -600)]
    assert on_hand(session, ST) == 4000 and on_hand(session, OTHER) == 4000


def test_reversing_a_receipt_already_spent_is_refused(session):
    r = ledger.receive(session, "wang", ST, "medical_kits", 50)
    ledger.issue(session, "wang", ST, "medical_kits", 120)  # 150 - 120 = 30 left
    with pytest.raises(ConflictError, match="50 asked, 30 available"):
        ledger.reverse(session, "li", r.id, "never came")
    assert on_hand(session, item="medical_kits") == 30


def test_reservation_release_and_delivery(session):
    d1 = dispatch(session, ST, {"meals": 300}, proposed=True)  # proposed: nothing reserved yet
    d2, d3 = (dispatch(session, ST, {"meals": 1}, proposed=True) for _ in range(2))
    assert ledger.balance(session, ST, "meals", False).reserved == 0
    ledger.reserve(session, "wang", d1, {"meals": 300, "medical_kits": 10}, ST, False)
    bal = ledger.balance(session, ST, "meals", False)
    assert (bal.on_hand, bal.reserved, bal.available) == (4000, 300, 3700)
    with pytest.raises(ConflictError, match="3700 available"):
        ledger.issue(session, "wang", ST, "meals", 3701)  # reserved stock cannot be issued
    with pytest.raises(ConflictError, match="91 asked, 90 available"):  # all lines or none
        ledger.reserve(session, "wang", d2, {"meals": 1, "medical_kits": 91}, ST, False)
    assert ledger.balance(session, ST, "meals", False).reserved == 300
    ledger.settle(session, "wang", d1, {"meals": 300, "medical_kits": 10}, ST, False, delivered=True)
    assert ledger.balance(session, ST, "meals", False) == ledger.Balance(3700, 0)
    assert ledger.balance(session, ST, "medical_kits", False) == ledger.Balance(90, 0)
    ledger.reserve(session, "wang", d3, {"meals": 200}, ST, False)
    ledger.settle(session, "wang", d3, {"meals": 200}, ST, False, delivered=False)
    assert ledger.balance(session, ST, "meals", False) == ledger.Balance(3700, 0)
    kinds = session.exec(select(Movement.kind).where(Movement.dispatch_id == d3).order_by(Movement.id)).all()
    assert kinds == ["reserve", "release"]
    delivery = session.exec(select(Movement).where(Movement.kind == "delivery")).first()
    with pytest.raises(ConflictError, match=f"belongs to dispatch {d1}; change its status"):
        ledger.reverse(session, "li", delivery.id, "no")


def test_the_exercise_book_is_separate(session):
    ledger.issue(session, "drill", ST, "meals", 3000, exercise=True)
    assert on_hand(session, exercise=True) == 1000
    assert on_hand(session, exercise=False) == 4000
    with pytest.raises(ConflictError, match=r"\(exercise book\): 1001 asked, 1000 available"):
        ledger.issue(session, "drill", ST, "meals", 1001, exercise=True)
    ledger.issue(session, "wang", ST, "meals", 4000)  # the real book still holds all of its own
    assert on_hand(session, exercise=False) == 0 and on_hand(session, exercise=True) == 1000
