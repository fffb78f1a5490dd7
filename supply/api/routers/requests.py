"""Support requests and the ranked options to serve them."""

from __future__ import annotations

from fastapi import APIRouter

from supply.api.deps import CodeQuery, ExerciseQuery, IdPath, Limit, Offset, Reader, RuntimeDep, SessionDep, WriterDep
from supply.service.inputs import RequestIn
from supply.service.requests import create_request, get_request, list_requests, options, request_dict

router = APIRouter(tags=["requests"])


@router.post("/requests", status_code=201)
def post_request(body: RequestIn, w: WriterDep, runtime: RuntimeDep):
    """Record a support request; needs are computed from the planning factors unless given."""
    factors = runtime.factors
    return w.run(body, lambda s: (201, request_dict(s, create_request(s, w.actor, body, factors), w.tz)))


@router.get("/requests")
def get_requests(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Reader,
    exercise: ExerciseQuery = None,
    site: CodeQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict]:
    rows = list_requests(session, exercise=exercise, site=site, limit=limit, offset=offset)
    return [request_dict(session, r, runtime.tz) for r in rows]


@router.get("/requests/{request_id}")
def get_one_request(request_id: IdPath, session: SessionDep, runtime: RuntimeDep, _: Reader) -> dict:
    return request_dict(session, get_request(session, request_id), runtime.tz)


@router.get("/requests/{request_id}/options")
def get_options(request_id: IdPath, session: SessionDep, runtime: RuntimeDep, _: Reader) -> list[dict]:
    """Stations ranked by ETA to the request's site: what each can cover of what is still needed."""
    return options(session, runtime.network, get_request(session, request_id))
