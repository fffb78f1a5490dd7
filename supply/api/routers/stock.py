"""Stock movements: receipts, issues, transfers, counts, reversals; the ledger and alerts."""

from __future__ import annotations

from fastapi import APIRouter

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
from supply.service import ledger
from supply.service.inputs import CountIn, MovementIn, ReversalIn, TransferIn
from supply.service.stock import alerts, movement_dict, movements

router = APIRouter(tags=["stock"])
CREATED = {201: {"description": "the movement(s) recorded"}, 409: {"description": "not enough stock available"}}


@router.post("/stations/{code}/receipts", status_code=201, responses=CREATED)
def post_receipt(code: CodePath, body: MovementIn, w: WriterDep):
    """Stock received at a station."""
    return w.run(
        body,
        lambda s: (
            201,
            movement_dict(
                ledger.receive(s, w.actor, code, body.item, body.quantity, body.reason, exercise=body.exercise), w.tz
            ),
        ),
    )


@router.post("/stations/{code}/issues", status_code=201, responses=CREATED)
def post_issue(code: CodePath, body: MovementIn, w: WriterDep):
    """Stock issued from a station; 409 when not enough is available."""
    return w.run(
        body,
        lambda s: (
            201,
            movement_dict(
                ledger.issue(s, w.actor, code, body.item, body.quantity, body.reason, exercise=body.exercise), w.tz
            ),
        ),
    )


@router.post("/transfers", status_code=201, responses=CREATED)
def post_transfer(body: TransferIn, w: WriterDep):
    """Out of one station and into another, atomically: both legs."""

    def act(s):
        legs = ledger.transfer(
            s, w.actor, body.from_, body.to, body.item, body.quantity, body.reason, exercise=body.exercise
        )
        return 201, [movement_dict(m, w.tz) for m in legs]

    return w.run(body, act)


@router.post("/stations/{code}/counts", status_code=201, responses={200: {"description": "count matches: null"}})
def post_count(code: CodePath, body: CountIn, w: WriterDep):
    """A physical count; the difference is recorded as an adjustment (``null`` with 200 when it matches)."""

    def act(s):
        m = ledger.count(s, w.actor, code, body.item, body.counted, body.reason, exercise=body.exercise)
        return (200, None) if m is None else (201, movement_dict(m, w.tz))

    return w.run(body, act)


@router.post("/movements/{movement_id}/reversal", status_code=201, responses=CREATED)
def post_reversal(movement_id: IdPath, body: ReversalIn, w: WriterDep):
    """Correct a mistake by appending the opposite movement (both legs of a transfer)."""
    return w.run(
        body, lambda s: (201, [movement_dict(m, w.tz) for m in ledger.reverse(s, w.actor, movement_id, body.reason)])
    )


@router.get("/ledger")
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
) -> list[dict]:
    """Movements, newest first; page with ``limit`` and ``offset``."""
    rows = movements(
        session, station=station, item=item, since=since, until=until, exercise=exercise, limit=limit, offset=offset
    )
    return [movement_dict(m, runtime.tz) for m in rows]


@router.get("/alerts")
def get_alerts(session: SessionDep, runtime: RuntimeDep, _: Reader, exercise: BookQuery = False) -> list[dict]:
    """Stations below their reorder level or with fewer days of supply than the scenario's threshold."""
    p = runtime.policy
    return alerts(
        session, exercise=exercise, threshold_days=p.days_of_supply_threshold, window_days=p.consumption_window_days
    )
