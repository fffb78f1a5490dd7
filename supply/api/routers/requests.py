"""Support requests and the ranked options to serve them."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlmodel import Session

from supply.api.deps import (
    CodeQuery,
    DeciderDep,
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
from supply.api.models.requests import OptionPublic, RequestPublic
from supply.service.approvals import decide, pending
from supply.service.inputs import DecisionIn, RequestIn
from supply.service.requests import create_request, get_request, list_requests, options, remaining_needs

router = APIRouter(tags=["requests"])


@router.post("/requests", status_code=201, response_model=RequestPublic, responses=WRITE)
@write_route
def post_request(body: RequestIn, w: WriterDep, runtime: RuntimeDep) -> Response:
    """Record a support request; needs are computed from the planning factors unless given."""
    factors, rules = runtime.factors, runtime.approvals

    def act(s: Session) -> tuple[int, RequestPublic]:
        req = create_request(s, w.actor, body, factors, rules)
        return 201, RequestPublic.of(req, remaining_needs(s, req), w.tz)

    return w.run(body, act)


def _decide(request_id: int, body: DecisionIn, w: DeciderDep, *, approve: bool) -> Response:
    def act(s: Session) -> tuple[int, RequestPublic]:
        req = decide(s, w.actor, w.user.role, request_id, approve=approve, reason=body.reason)
        return 200, RequestPublic.of(req, remaining_needs(s, req), w.tz)

    return w.run(body, act)


@router.post("/requests/{request_id}/approve", response_model=RequestPublic, responses=WRITE)
@write_route
def post_approve(request_id: IdPath, body: DecisionIn, w: DeciderDep) -> Response:
    """Approve a request waiting for approval: by the role its threshold names (or an admin), never its requester."""
    return _decide(request_id, body, w, approve=True)


@router.post("/requests/{request_id}/reject", response_model=RequestPublic, responses=WRITE)
@write_route
def post_reject(request_id: IdPath, body: DecisionIn, w: DeciderDep) -> Response:
    """Reject a request waiting for approval (no dispatch is ever planned from it); the reason is kept."""
    return _decide(request_id, body, w, approve=False)


@router.get("/approvals", responses=READ)
def get_approvals(
    session: SessionDep, runtime: RuntimeDep, caller: Reader, exercise: ExerciseQuery = None
) -> list[RequestPublic]:
    """Requests waiting for a decision the caller's role may give (an admin: all), oldest first."""
    rows = pending(session, role=caller.role, exercise=exercise)
    return [RequestPublic.of(r, remaining_needs(session, r), runtime.tz) for r in rows]


@router.get("/requests", responses=READ)
def get_requests(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Reader,
    exercise: ExerciseQuery = None,
    site: CodeQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[RequestPublic]:
    rows = list_requests(session, exercise=exercise, site=site, limit=limit, offset=offset)
    return [RequestPublic.of(r, remaining_needs(session, r), runtime.tz) for r in rows]


@router.get("/requests/{request_id}", responses=READ_ONE)
def get_one_request(request_id: IdPath, session: SessionDep, runtime: RuntimeDep, _: Reader) -> RequestPublic:
    req = get_request(session, request_id)
    return RequestPublic.of(req, remaining_needs(session, req), runtime.tz)


@router.get("/requests/{request_id}/options", response_model=list[OptionPublic], responses=READ_ONE)
def get_options(request_id: IdPath, session: SessionDep, runtime: RuntimeDep, _: Reader) -> list[dict]:
    """Stations ranked by ETA to the request's site: what each can cover of what is still needed."""
    return options(session, runtime.network, get_request(session, request_id))
