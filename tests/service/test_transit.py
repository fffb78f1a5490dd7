"""Stock in transit, called directly, on SQLite and PostgreSQL: sent now, received at arrival, discrepancies kept.

GZE-PT opens with 4,000 meals and 3,000 rations (no lot) in each book; GZS-PT with its own. The
fixture's teardown reconciles books and lots once more.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from supply.core.errors import ConflictError, FieldError, UnknownCodeError
from supply.service import ledger
from supply.service.models import AuditEntry
from supply.service.reconcile import reconcile
from supply.service.stock import alerts, stock
from supply.service.transit import in_transit

ST, OTHER = "GZE-PT", "GZS-PT"


def _row(session, station: str, item: str = "meals") -> dict:
    return next(r for r in stock(session, station) if r["item"] == item)


def test_a_transfer_received_short_records_the_discrepancy(session):
    before = _row(session, OTHER)["on_hand"]
    [out] = ledger.transfer(session, "wang", ST, OTHER, "meals", 600, "rebalance")
    ref = out.transfer_ref or ""
    assert _row(session, ST)["on_hand"] == 3400
    assert (_row(session, OTHER)["on_hand"], _row(session, OTHER)["in_transit"]) == (before, 600)
    [t] = in_transit(session)
    assert (t["from"], t["to"], t["quantity"], t["overdue"]) == (ST, OTHER, 600, False)
    with pytest.raises(FieldError, match=r"580 received of 600 sent \(20 short\): a discrepancy needs a reason"):
        ledger.receive_transfer(session, "li", ref, 580)
    legs = ledger.receive_transfer(session, "li", ref, 580, "two cases fell off at Huangpu")
    assert [(m.kind, m.station, m.quantity, m.on_hand_delta) for m in legs] == [
        ("transfer_in", OTHER, 580, 580),
        ("discrepancy", OTHER, 20, 0),
    ]
    assert legs[1].reason == "two cases fell off at Huangpu" and legs[1].counterpart == ST
    assert (_row(session, OTHER)["on_hand"], _row(session, OTHER)["in_transit"]) == (before + 580, 0)
    assert _row(session, ST)["on_hand"] == 3400 and in_transit(session) == []
    with pytest.raises(ConflictError, match="received already"):
        ledger.receive_transfer(session, "li", ref, 20, "the rest")
    with pytest.raises(ConflictError, match="discrepancy"):
        ledger.reverse(session, "li", legs[1].id, "oops")
    audit = session.exec(select(AuditEntry.action).where(AuditEntry.actor == "li")).all()
    assert sorted(audit) == ["movement.discrepancy", "movement.transfer_in"]
    assert reconcile(session)[1] == []


def test_a_transfer_received_over_and_into_its_lots(session):
    ledger.receive(session, "wang", ST, "rations", 50, lot="L1", expires_on=datetime(2030, 1, 5).date())
    [a, b] = ledger.transfer(session, "wang", ST, OTHER, "rations", 80, on=datetime(2030, 1, 1).date())
    assert [(m.lot, m.quantity) for m in (a, b)] == [("L1", 50), ("", 30)]
    legs = ledger.receive_transfer(session, "li", a.transfer_ref or "", 81, "one case extra")
    assert [(m.kind, m.lot, m.quantity) for m in legs] == [
        ("transfer_in", "L1", 50),
        ("transfer_in", "", 31),
        ("discrepancy", "", 1),
    ]
    assert legs[0].expires_on == "2030-01-05"
    assert reconcile(session)[1] == []


def test_an_overdue_transfer_raises_an_alert_and_reversing_it_on_the_road_gives_it_back(session):
    due = datetime(2030, 5, 1, 12, tzinfo=UTC)
    [out] = ledger.transfer(session, "wang", ST, OTHER, "meals", 100, due_at=due)
    assert not [a for a in alerts(session, now=due - timedelta(minutes=1)) if a["kind"] == "overdue_transfer"]
    [late] = [a for a in alerts(session, now=due + timedelta(minutes=1)) if a["kind"] == "overdue_transfer"]
    assert (late["station"], late["from"], late["quantity"], late["transfer_ref"]) == (OTHER, ST, 100, out.transfer_ref)
    ledger.reverse(session, "wang", out.id, "convoy turned back")
    assert _row(session, ST)["on_hand"] == 4000 and in_transit(session) == []
    with pytest.raises(ConflictError, match="reversed while on the road"):
        ledger.receive_transfer(session, "li", out.transfer_ref or "", 100)
    with pytest.raises(UnknownCodeError):
        ledger.receive_transfer(session, "li", "0000", 1)
