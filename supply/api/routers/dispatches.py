"""Dispatches: plan (reserve), change status (issue / release), list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from supply.api.deps import CodeQuery, ExerciseQuery, IdPath, Limit, Offset, Reader, RuntimeDep, SessionDep, WriterDep
from supply.core.types import MAX_ID
from supply.drills.chain import refuse_if_closed
from supply.service.dispatches import check_dispatch, check_status, move_dispatch, plan_dispatch
from supply.service.inputs import DispatchIn, Status, StatusIn
from supply.service.requests import dispatch_dicts, get_dispatch, list_dispatches

router = APIRouter(tags=["dispatches"])


@router.post("/dispatches", status_code=201, responses={409: {"description": "not enough stock available"}})
def post_dispatch(body: DispatchIn, w: WriterDep):
    """Plan a dispatch: its lines are reserved at the station, or nothing is (409)."""
    plan = w.check(lambda s: check_dispatch(s, body, w.codes))

    def run(s):  # type: ignore[no-untyped-def]
        if plan.exercise:
            refuse_if_closed(s, request_id=body.request_id)
        return 201, plan_dispatch(s, w.actor, plan, w.tz)

    return w.run(body, run)


@router.post("/dispatches/{dispatch_id}/status", responses={409: {"description": "illegal transition"}})
def post_status(dispatch_id: IdPath, body: StatusIn, w: WriterDep):
    """planned → dispatched → delivered → closed, or cancelled from planned/dispatched."""
    lines = w.check(lambda s: check_status(s, dispatch_id))

    def run(s):  # type: ignore[no-untyped-def]
        refuse_if_closed(s, dispatch_id=dispatch_id)
        return 200, move_dispatch(s, w.actor, dispatch_id, body.status, body.note, lines, w.tz)

    return w.run(body, run)


@router.get("/dispatches")
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
) -> list[dict]:
    """The dispatch log, newest first."""
    rows = list_dispatches(
        session, status=status, station=station, exercise=exercise, request_id=request_id, limit=limit, offset=offset
    )
    return dispatch_dicts(session, rows, runtime.tz)


@router.get("/dispatches/{dispatch_id}")
def get_one_dispatch(dispatch_id: IdPath, session: SessionDep, runtime: RuntimeDep, _: Reader) -> dict:
    return dispatch_dicts(session, [get_dispatch(session, dispatch_id)], runtime.tz)[0]
