"""The console's approvals queue and time-to-survive table.

Approvals: the requests waiting for the signed-in user's role (an admin: all), each with approve /
reject and a required reason — the same domain function as ``POST /requests/{id}/approve``
(:func:`supply.service.approvals.decide`), which checks the role and refuses the requester.
Survive: :func:`supply.service.survive.survive_report`, as ``GET /reports/survive``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from supply.api.console.forms import Form, submit
from supply.api.console.render import render
from supply.api.console.session import User
from supply.api.deps import IdPath, RuntimeDep, SessionDep, Writer
from supply.api.models.requests import RequestPublic
from supply.api.runtime import Runtime
from supply.core.errors import JungongError
from supply.service.approvals import decide, pending
from supply.service.auth import Caller
from supply.service.inputs import DecisionIn
from supply.service.requests import remaining_needs
from supply.service.survive import survive_report

router = APIRouter()


def _queue(
    request: Request,
    session: Session,
    runtime: Runtime,
    user: Caller,
    *,
    status: int = 200,
    form: str | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    rows = [RequestPublic.of(r, remaining_needs(session, r), runtime.tz) for r in pending(session, role=user.role)]
    return render(
        request,
        "approvals.html",
        status=status,
        rows=rows,
        form=form,
        errors=errors or {},
        done=request.query_params.get("done"),
    )


@router.get("/approvals")
def approvals_page(request: Request, session: SessionDep, runtime: RuntimeDep, user: User):
    """Requests waiting for a decision the user's role may give."""
    return _queue(request, session, runtime, user)


def _decide(approve: bool):
    def post(request_id: IdPath, request: Request, session: SessionDep, runtime: RuntimeDep, user: User, form: Form):
        w = Writer(runtime, user, request, None)
        done, errors = submit(
            request,
            w,
            DecisionIn,
            form,
            lambda s, body: decide(s, w.actor, user.role, request_id, approve=approve, reason=body.reason),
        )
        if done is not None:
            return RedirectResponse(f"/console/approvals?done={done.approval}:{request_id}", status_code=303)
        return _queue(request, session, runtime, user, status=422, form=f"decide-{request_id}", errors=errors)

    post.__name__ = "post_approve" if approve else "post_reject"
    post.__doc__ = f"{'Approve' if approve else 'Reject'} a request from the console (a reason is required)."
    return post


router.post("/requests/{request_id}/approve")(_decide(True))
router.post("/requests/{request_id}/reject")(_decide(False))


@router.get("/survive")
def survive_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: User,
    cut: Annotated[str | None, Query(max_length=200)] = None,
):
    """Days each station holds if resupply stops (or the named link is cut): median, 90% band, first item out."""
    error = None
    try:
        network = runtime.network if cut else None
        window = runtime.policy.consumption_window_days
        report = survive_report(session, network=network, cut=cut or None, window_days=window)
    except JungongError as exc:
        report, error = None, str(exc)
    links = sorted(ref for ref, _a, _b in runtime.network.links())
    return render(request, "survive.html", report=report, cut=cut or "", links=links, error=error)
