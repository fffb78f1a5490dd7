"""Small builders for the domain tests: a support request and a dispatch, written through the domain."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from supply.core.factors import Factors
from supply.service.dispatches import check_status, create_dispatch, move_dispatch
from supply.service.inputs import DispatchIn, LineIn, RequestIn
from supply.service.requests import create_request

TZ = ZoneInfo("Asia/Shanghai")


def request(session: Session, *, exercise: bool = False, site: str = "GZE-RAIL") -> int:
    """A support request with explicit needs (no planning factors involved); returns its id."""
    data = RequestIn(
        unit="Unit 81",
        headcount=300,
        site=site,
        arrive_at=datetime(2030, 5, 1, 4, tzinfo=UTC),
        needs={"meals": 300},
        exercise=exercise,
    )
    return create_request(session, "wang", data, Factors()).id


def dispatch(
    session: Session, station: str, lines: dict[str, float], *, exercise: bool = False, proposed: bool = False
) -> int:
    """A dispatch of ``lines`` from ``station`` (planned: reserved; or only proposed); returns its id."""
    data = DispatchIn(
        request_id=request(session, exercise=exercise),
        station=station,
        lines=[LineIn(item=i, quantity=q) for i, q in lines.items()],
    )
    return create_dispatch(session, "wang", data, proposed=proposed)


def move(session: Session, dispatch_id: int, status: str, note: str = "") -> str:
    """Move a dispatch as the API does (lines checked first); returns its new status."""
    lines = check_status(session.connection(), dispatch_id)
    return move_dispatch(session, "wang", dispatch_id, status, note, lines).status
