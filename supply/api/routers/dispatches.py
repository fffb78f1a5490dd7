"""Dispatches: plan (reserve), change status (issue / release), list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...dispatching import dispatch_dicts, get_dispatch, list_dispatches
from ...lifecycle import check_plan, check_status, plan_dispatch, set_status
from ...schemas import DispatchIn, Status, StatusIn
from ..deps import CodeQuery, ExerciseQuery, IdPath, Limit, Offset, Reader, RuntimeDep, SessionDep, WriterDep

router = APIRouter(tags=["dispatches"])


@router.post("/dispatches", status_code=201, responses={409: {"description": "not enough stock available"}})
def post_dispatch(body: DispatchIn, w: WriterDep):
    """Plan a dispatch: its lines are reserved at the station, or nothing is (409)."""
    plan = w.check(lambda s: check_plan(s, body, w.codes))
    return w.run(body, lambda s: (201, plan_dispatch(s, w.actor, plan, w.tz)))


@router.post("/dispatches/{dispatch_id}/status", responses={409: {"description": "illegal transition"}})
def post_status(dispatch_id: IdPath, body: StatusIn, w: WriterDep):
    """planned → dispatched → delivered → closed, or cancelled from planned/dispatched."""
    lines = w.check(lambda s: check_status(s, dispatch_id))
    return w.run(body, lambda s: (200, set_status(s, w.actor, dispatch_id, body.status, body.note, lines, w.tz)))


@router.get("/dispatches")
def get_dispatches(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Reader,
    status: Annotated[Status | None, Query()] = None,
    station: CodeQuery = None,
    exercise: ExerciseQuery = None,
    request_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
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
