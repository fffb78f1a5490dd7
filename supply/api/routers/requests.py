"""Support requests and the ranked options to serve them."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlmodel import Session

from supply.api.deps import CodeQuery, ExerciseQuery, IdPath, Limit, Offset, Reader, RuntimeDep, SessionDep, WriterDep
from supply.api.models.common import READ, READ_ONE, WRITE
from supply.api.models.requests import OptionPublic, RequestPublic
from supply.service.inputs import RequestIn
from supply.service.requests import create_request, get_request, list_requests, options, remaining_needs

router = APIRouter(tags=["requests"])


@router.post("/requests", status_code=201, response_model=RequestPublic, responses=WRITE)
def post_request(body: RequestIn, w: WriterDep, runtime: RuntimeDep) -> Response:
    """Record a support request; needs are computed from the planning factors unless given."""
    factors = runtime.factors

    def act(s: Session) -> tuple[int, RequestPublic]:
        req = create_request(s, w.actor, body, factors)
        return 201, RequestPublic.of(req, remaining_needs(s, req), w.tz)

    return w.run(body, act)


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
