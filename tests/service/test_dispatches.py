"""The dispatch lifecycle, called directly (no HTTP): which moves are allowed and what each does to stock.

    proposed ──► planned ──► dispatched ──► delivered ──► closed
       └────────────┴──────────┴──► cancelled

GZE-PT opens with 4,000 meals in each book; each dispatch here takes 500 of them.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from supply.core.errors import ConflictError, FieldError, UnknownCodeError
from supply.service import ledger
from supply.service.dispatches import TRANSITIONS, check_dispatch
from supply.service.inputs import DispatchIn, LineIn
from supply.service.models import Dispatch, DispatchEvent, Movement
from tests.service.helpers import dispatch, move, request

ST = "GZE-PT"
LINES = {"meals": 500}


def meals(session, exercise=False) -> tuple[float, float]:
    bal = ledger.balance(session, ST, "meals", exercise)
    return bal.on_hand, bal.reserved


def test_planning_reserves_and_delivery_issues(session):
    d = dispatch(session, ST, LINES)
    assert meals(session) == (4000, 500)
    assert move(session, d, "dispatched") == "dispatched"
    assert meals(session) == (4000, 500)  # on the road: still reserved, not yet issued
    move(session, d, "delivered")
    assert meals(session) == (3500, 0)
    move(session, d, "closed")
    assert meals(session) == (3500, 0)
    kinds = session.exec(select(Movement.kind).where(Movement.dispatch_id == d).order_by(Movement.id)).all()
    assert kinds == ["reserve", "delivery"]
    history = session.exec(select(DispatchEvent).where(DispatchEvent.dispatch_id == d).order_by(DispatchEvent.id))
    assert [(e.from_status, e.to_status) for e in history] == [
        (None, "planned"),
        ("planned", "dispatched"),
        ("dispatched", "delivered"),
        ("delivered", "closed"),
    ]


@pytest.mark.parametrize("via", [[], ["dispatched"]])
def test_cancelling_releases_the_reservation(session, via):
    d = dispatch(session, ST, LINES)
    for status in via:
        move(session, d, status)
    move(session, d, "cancelled", "unit rerouted")
    assert meals(session) == (4000, 0)
    kinds = session.exec(select(Movement.kind).where(Movement.dispatch_id == d).order_by(Movement.id)).all()
    assert kinds == ["reserve", "release"]


def test_a_proposed_dispatch_reserves_only_when_confirmed(session):
    d = dispatch(session, ST, LINES, proposed=True)
    assert meals(session) == (4000, 0)
    move(session, d, "planned")
    assert meals(session) == (4000, 500)
    p = dispatch(session, ST, LINES, proposed=True)
    move(session, p, "cancelled")  # nothing was reserved: nothing to release
    assert meals(session) == (4000, 500)
    assert session.exec(select(Movement).where(Movement.dispatch_id == p)).all() == []


def test_planning_more_than_is_available_records_nothing(session):
    dispatch(session, ST, {"meals": 3800})
    with pytest.raises(ConflictError, match=r"not enough meals at GZE-PT \(real book\): 300 asked, 200 available"):
        dispatch(session, ST, {"meals": 300})
    assert meals(session) == (4000, 3800)


def test_confirming_a_proposal_checks_the_stock_then(session):
    p = dispatch(session, ST, {"meals": 3000}, proposed=True)
    dispatch(session, ST, {"meals": 2000})
    with pytest.raises(ConflictError, match="3000 asked, 2000 available"):
        move(session, p, "planned")


ILLEGAL = [(s, t) for s in TRANSITIONS for t in TRANSITIONS if t not in TRANSITIONS[s] and t != "proposed"]
PATHS = {
    "proposed": [],
    "planned": ["planned"],
    "dispatched": ["planned", "dispatched"],
    "delivered": ["planned", "dispatched", "delivered"],
    "closed": ["planned", "dispatched", "delivered", "closed"],
    "cancelled": ["cancelled"],
}


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal_moves_are_refused_with_the_allowed_ones_named(session, current, target):
    d = dispatch(session, ST, LINES, proposed=True)
    for status in PATHS[current]:
        move(session, d, status)
    before = meals(session)
    allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final)"
    with pytest.raises(ConflictError) as err:
        move(session, d, target)
    assert str(err.value) == f"dispatch {d} is {current}: cannot become {target} (allowed: {allowed})"
    assert meals(session) == before
    assert session.get(Dispatch, d).status == current


def test_exercise_dispatches_draw_on_the_exercise_book(session):
    d = dispatch(session, ST, LINES, exercise=True)
    move(session, d, "dispatched")
    move(session, d, "delivered")
    assert meals(session, exercise=True) == (3500, 0)
    assert meals(session, exercise=False) == (4000, 0)
    assert session.get(Dispatch, d).exercise is True


def test_unknown_request_station_and_item(session):
    with pytest.raises(UnknownCodeError, match="unknown request '999999'"):
        check_dispatch(
            session.connection(), DispatchIn(request_id=999_999, station=ST, lines=[LineIn(item="meals", quantity=1)])
        )
    req = request(session)
    with pytest.raises(UnknownCodeError, match="unknown station 'GZE-P'"):
        check_dispatch(
            session.connection(), DispatchIn(request_id=req, station="GZE-P", lines=[LineIn(item="meals", quantity=1)])
        )
    two = [LineIn(item="meals", quantity=1), LineIn(item="x", quantity=1)]
    with pytest.raises(FieldError, match="unknown item 'x'") as err:
        check_dispatch(session.connection(), DispatchIn(request_id=req, station=ST, lines=two))
    assert err.value.field == "lines[1].item"
    with pytest.raises(UnknownCodeError, match="unknown dispatch '999999'"):
        move(session, 999_999, "dispatched")


def test_lines_of_one_item_are_summed(session):
    data = DispatchIn(
        request_id=request(session),
        station=ST,
        lines=[LineIn(item="meals", quantity=100), LineIn(item="meals", quantity=150)],
    )
    assert check_dispatch(session.connection(), data).lines == {"meals": 250}
