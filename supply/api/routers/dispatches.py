"""Dispatches: plan (reserve), change status (issue / release), list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlmodel import Session

from supply.api.deps import (
    CodeQuery,
    ExerciseQuery,
    IdPath,
    Limit,
    Offset,
    Reader,
    RuntimeDep,
    SessionDep,
    WriterDep,
    write_route,
)
from supply.api.models.common import READ, READ_ONE, WRITE
from supply.api.models.requests import DispatchPublic
from supply.core.types import MAX_ID
from supply.drills.chain import refuse_if_closed
from supply.service.dispatches import check_dispatch, check_move, move_dispatch, plan_dispatch
from supply.service.inputs import DispatchIn, Status, StatusIn
from supply.service.requests import dispatch_records, get_dispatch, list_dispatches

router = APIRouter(tags=["dispatches"])


@router.post("/dispatches", status_code=201, response_model=DispatchPublic, responses=WRITE)
@write_route
def post_dispatch(body: DispatchIn, w: WriterDep) -> Response:
    """Plan a dispatch: its lines are reserved at the station, or nothing is (409 when stock is short)."""
    plan = w.check(lambda s: check_dispatch(s, body, w.codes), then_run=True)

    def run(s: Session) -> tuple[int, DispatchPublic]:
        if plan.exercise:
            refuse_if_closed(s, request_id=body.request_id)
        return 201, DispatchPublic.of(plan_dispatch(s, w.actor, plan), w.tz)

    return w.run(body, run)


@router.post("/dispatches/{dispatch_id}/status", response_model=DispatchPublic, responses=WRITE)
@write_route
def post_status(dispatch_id: IdPath, body: StatusIn, w: WriterDep) -> Response:
    """planned → dispatched → delivered → closed, or cancelled from planned/dispatched (409 otherwise)."""
    lines, exercise = w.check(lambda s: check_move(s, dispatch_id), then_run=True)

    def run(s: Session) -> tuple[int, DispatchPublic]:
        if exercise:  # only an exercise dispatch can be a drill's (as for a new dispatch, above)
            refuse_if_closed(s, dispatch_id=dispatch_id)
        return 200, DispatchPublic.of(
            move_dispatch(s, w.actor, dispatch_id, body.status, body.note, lines, received=body.received), w.tz
        )

    return w.run(body, run)


@router.get("/dispatches", responses=READ)
def get_dispatches(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Reader,
    status: Annotated[Status | None, Query()] = None,
    station: CodeQuery = None,
    exercise: ExerciseQuery = None,
    request_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[DispatchPublic]:
    """The dispatch log, newest first."""
    rows = list_dispatches(
        session, status=status, station=station, exercise=exercise, request_id=request_id, limit=limit, offset=offset
    )
    return [DispatchPublic.of(d, runtime.tz) for d in dispatch_records(session, rows)]


@router.get("/dispatches/{dispatch_id}", responses=READ_ONE)
def get_one_dispatch(dispatch_id: IdPath, session: SessionDep, runtime: RuntimeDep, _: Reader) -> DispatchPublic:
    return DispatchPublic.of(dispatch_records(session, [get_dispatch(session, dispatch_id)])[0], runtime.tz)
