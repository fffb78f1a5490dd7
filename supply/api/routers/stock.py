"""Stock movements: receipts, issues, transfers, counts, reversals; the ledger and alerts."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path
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
    write_route,
)
from supply.api.models.common import READ, WRITE
from supply.api.models.stock import AlertPublic, IssuePublic, MovementPublic, TransferPublic
from supply.core.timefmt import local_iso
from supply.service import ledger
from supply.service.inputs import CountIn, ExpireIn, MovementIn, ReversalIn, TransferIn, TransferReceiptIn
from supply.service.stock import alerts, movements
from supply.service.transit import in_transit

router = APIRouter(tags=["stock"])
NULL = {"type": "null"}
#: A write answering with the movement(s) it recorded; 409 when not enough stock is available.
CREATED = {201: {"description": "the movement(s) recorded"}, **WRITE}
#: A transfer's reference: the ``transfer_ref`` its legs carry.
RefPath = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[0-9A-Za-z-]+$")]


@router.post("/stations/{code}/receipts", status_code=201, response_model=MovementPublic, responses=CREATED)
@write_route
def post_receipt(code: CodePath, body: MovementIn, w: WriterDep) -> Response:
    """Stock received at a station (into ``lot``, expiring on ``expires_on``, for an item kept by lot)."""

    def act(s: Session) -> tuple[int, MovementPublic]:
        [m] = ledger.record_movement(s, w.actor, ledger.RECEIPT, code, body)
        return 201, MovementPublic.of(m, w.tz)

    return w.run(body, act)


@router.post("/stations/{code}/issues", status_code=201, response_model=IssuePublic, responses=CREATED)
@write_route
def post_issue(code: CodePath, body: MovementIn, w: WriterDep) -> Response:
    """Stock issued from a station, first-expiring lot first unless ``lot`` is named (``drawn``: every lot).

    409 when not enough is available, or when only an expired lot could give it (named in the problem).
    """

    def act(s: Session) -> tuple[int, IssuePublic]:
        return 201, IssuePublic.of_legs(ledger.record_movement(s, w.actor, ledger.ISSUE, code, body), w.tz)

    return w.run(body, act)


@router.post("/transfers", status_code=201, response_model=list[MovementPublic], responses=CREATED)
@write_route
def post_transfer(body: TransferIn, w: WriterDep) -> Response:
    """Stock sent from one station to another: its outgoing legs (one per lot), now in transit.

    The destination records what arrived with ``POST /transfers/{transfer_ref}/receive``.
    """

    def act(s: Session) -> tuple[int, list[MovementPublic]]:
        legs = ledger.transfer(
            s,
            w.actor,
            body.from_,
            body.to,
            body.item,
            body.quantity,
            body.reason,
            exercise=body.exercise,
            lot=body.lot,
            due_at=body.due_at,
        )
        return 201, [MovementPublic.of(m, w.tz) for m in legs]

    return w.run(body, act)


@router.post("/transfers/{ref}/receive", status_code=201, response_model=list[MovementPublic], responses=CREATED)
@write_route
def post_transfer_receipt(ref: RefPath, body: TransferReceiptIn, w: WriterDep) -> Response:
    """What arrived of a transfer: its receipt at the destination, and a ``discrepancy`` if short or over.

    A discrepancy needs a ``reason`` (422 without); 409 when received already or reversed on the road.
    """

    def act(s: Session) -> tuple[int, list[MovementPublic]]:
        legs = ledger.receive_transfer(s, w.actor, ref, body.quantity, body.reason, lot=body.lot)
        return 201, [MovementPublic.of(m, w.tz) for m in legs]

    return w.run(body, act)


@router.get("/transfers", responses=READ)
def get_transfers(
    session: SessionDep, runtime: RuntimeDep, _: Reader, station: CodeQuery = None, exercise: BookQuery = False
) -> list[TransferPublic]:
    """Transfers on the road (to ``station`` alone when given), earliest due first; ``overdue`` past their due time."""
    rows = in_transit(session, exercise=exercise, station=station)
    return [TransferPublic.model_validate(_local(t, runtime.tz, "sent_at", "due_at")) for t in rows]


def _local(row: dict, tz: ZoneInfo, *keys: str) -> dict:
    """``row`` with its times shown in the service's zone."""
    return {**row, **{k: local_iso(row[k], tz) for k in keys}}


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
@write_route
def post_count(code: CodePath, body: CountIn, w: WriterDep) -> Response:
    """A physical count; the difference is recorded as an adjustment (``null`` with 200 when it matches)."""

    def act(s: Session) -> tuple[int, MovementPublic | None]:
        m = ledger.count(s, w.actor, code, body.item, body.counted, body.reason, exercise=body.exercise, lot=body.lot)
        return (200, None) if m is None else (201, MovementPublic.of(m, w.tz))

    return w.run(body, act)


@router.post("/stations/{code}/expiries", status_code=201, response_model=MovementPublic, responses=CREATED)
@write_route
def post_expiry(code: CodePath, body: ExpireIn, w: WriterDep) -> Response:
    """Write off what is left of an expired lot (an ``expire`` movement); 409 while it has not expired."""

    def act(s: Session) -> tuple[int, MovementPublic]:
        m = ledger.expire(s, w.actor, code, body.item, body.lot, body.reason, exercise=body.exercise)
        return 201, MovementPublic.of(m, w.tz)

    return w.run(body, act)


@router.post(
    "/movements/{movement_id}/reversal", status_code=201, response_model=list[MovementPublic], responses=CREATED
)
@write_route
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
    rows = alerts(
        session, exercise=exercise, threshold_days=p.days_of_supply_threshold, window_days=p.consumption_window_days
    )
    return [_local(a, runtime.tz, "due_at") if a["kind"] == "overdue_transfer" else a for a in rows]
