"""Stock movements: receipts, issues, transfers, counts, reversals; the ledger and alerts."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlmodel import Session

from supply.api.deps import (
    BookQuery,
    CodePath,
    CodeQuery,
    ExerciseQuery,
    IdPath,
    Limit,
    Offset,
    Reader,
    RuntimeDep,
    SessionDep,
    WhenQuery,
    WriterDep,
)
from supply.api.models.common import READ, WRITE
from supply.api.models.stock import AlertPublic, IssuePublic, MovementPublic
from supply.service import ledger
from supply.service.inputs import CountIn, ExpireIn, MovementIn, ReversalIn, TransferIn
from supply.service.stock import alerts, movements

router = APIRouter(tags=["stock"])
NULL = {"type": "null"}
#: A write answering with the movement(s) it recorded; 409 when not enough stock is available.
CREATED = {201: {"description": "the movement(s) recorded"}, **WRITE}


@router.post("/stations/{code}/receipts", status_code=201, response_model=MovementPublic, responses=CREATED)
def post_receipt(code: CodePath, body: MovementIn, w: WriterDep) -> Response:
    """Stock received at a station (into ``lot``, expiring on ``expires_on``, for an item kept by lot)."""

    def act(s: Session) -> tuple[int, MovementPublic]:
        m = ledger.receive(
            s,
            w.actor,
            code,
            body.item,
            body.quantity,
            body.reason,
            exercise=body.exercise,
            lot=body.lot,
            expires_on=body.expires_on,
        )
        return 201, MovementPublic.of(m, w.tz)

    return w.run(body, act)


@router.post("/stations/{code}/issues", status_code=201, response_model=IssuePublic, responses=CREATED)
def post_issue(code: CodePath, body: MovementIn, w: WriterDep) -> Response:
    """Stock issued from a station, first-expiring lot first unless ``lot`` is named (``drawn``: every lot).

    409 when not enough is available, or when only an expired lot could give it (named in the problem).
    """

    def act(s: Session) -> tuple[int, IssuePublic]:
        legs = ledger.issue_lots(
            s, w.actor, code, body.item, body.quantity, body.reason, exercise=body.exercise, lot=body.lot
        )
        return 201, IssuePublic.of_legs(legs, w.tz)

    return w.run(body, act)


@router.post("/transfers", status_code=201, response_model=list[MovementPublic], responses=CREATED)
def post_transfer(body: TransferIn, w: WriterDep) -> Response:
    """Out of one station and into another, atomically: both legs."""

    def act(s: Session) -> tuple[int, list[MovementPublic]]:
        legs = ledger.transfer(
            s, w.actor, body.from_, body.to, body.item, body.quantity, body.reason, exercise=body.exercise, lot=body.lot
        )
        return 201, [MovementPublic.of(m, w.tz) for m in legs]

    return w.run(body, act)


@router.post(
    "/stations/{code}/counts",
    status_code=201,
    response_model=MovementPublic,
    responses={
        200: {
            "description": "the count matches the book: null",
            "content": {"application/json": {"schema": {"type": "null"}}},
        },
        201: {"description": "the difference, recorded as an adjustment"},
        **WRITE,
    },
)
def post_count(code: CodePath, body: CountIn, w: WriterDep) -> Response:
    """A physical count; the difference is recorded as an adjustment (``null`` with 200 when it matches)."""

    def act(s: Session) -> tuple[int, MovementPublic | None]:
        m = ledger.count(s, w.actor, code, body.item, body.counted, body.reason, exercise=body.exercise, lot=body.lot)
        return (200, None) if m is None else (201, MovementPublic.of(m, w.tz))

    return w.run(body, act)


@router.post("/stations/{code}/expiries", status_code=201, response_model=MovementPublic, responses=CREATED)
def post_expiry(code: CodePath, body: ExpireIn, w: WriterDep) -> Response:
    """Write off what is left of an expired lot (an ``expire`` movement); 409 while it has not expired."""

    def act(s: Session) -> tuple[int, MovementPublic]:
        m = ledger.expire(s, w.actor, code, body.item, body.lot, body.reason, exercise=body.exercise)
        return 201, MovementPublic.of(m, w.tz)

    return w.run(body, act)


@router.post(
    "/movements/{movement_id}/reversal", status_code=201, response_model=list[MovementPublic], responses=CREATED
)
def post_reversal(movement_id: IdPath, body: ReversalIn, w: WriterDep) -> Response:
    """Correct a mistake by appending the opposite movement (both legs of a transfer)."""

    def act(s: Session) -> tuple[int, list[MovementPublic]]:
        return 201, [MovementPublic.of(m, w.tz) for m in ledger.reverse(s, w.actor, movement_id, body.reason)]

    return w.run(body, act)


@router.get("/ledger", responses=READ)
def get_ledger(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Reader,
    station: CodeQuery = None,
    item: CodeQuery = None,
    since: WhenQuery = None,
    until: WhenQuery = None,
    exercise: ExerciseQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[MovementPublic]:
    """Movements, newest first; page with ``limit`` and ``offset``."""
    rows = movements(
        session, station=station, item=item, since=since, until=until, exercise=exercise, limit=limit, offset=offset
    )
    return [MovementPublic.of(m, runtime.tz) for m in rows]


@router.get("/alerts", response_model=list[AlertPublic], responses=READ)
def get_alerts(session: SessionDep, runtime: RuntimeDep, _: Reader, exercise: BookQuery = False) -> list[dict]:
    """Stations below their reorder level or with fewer days of supply than the scenario's threshold."""
    p = runtime.policy
    return alerts(
        session, exercise=exercise, threshold_days=p.days_of_supply_threshold, window_days=p.consumption_window_days
    )
