"""The command post runs the drill from its board: the JSON API's drill writes as the board's forms.

Each form calls the same domain function as the API's route (:mod:`supply.api.routers.drills`),
which makes the same check of the user's role in the drill (:mod:`supply.drills.rights` only
decides which controls the board shows, through the same predicates):

* ``POST /console/drills/{id}/units``: a unit's arrival, feeding or departure time
  (:func:`~supply.drills.board.record_unit_times`; officers, the joint and station commands);
* ``POST /console/drills/{id}/orders``: issue an order (:func:`~supply.drills.orders.issue_order`);
* ``POST /console/drills/{id}/orders/{order}/status``: acknowledge, start, complete an order
  (:func:`~supply.drills.orders.move_order`; its recipient only: a team leader their own team's);
* ``POST /console/drills/{id}/steps``: a procedure step reached (:func:`~supply.drills.procedure.mark_step`).

A refusal of the user's role is the 403 error page (as the API answers 403); any other fault is
shown beside its field on the board (422), with what was typed kept. A time left empty is now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from supply.api.console.drills import EVENTS, board_page
from supply.api.console.forms import Form, local_time, submit
from supply.api.console.i18n import choose
from supply.api.console.session import User
from supply.api.deps import IdPath, RuntimeDep, SessionDep, Writer
from supply.drills import board, orders, procedure

router = APIRouter()


def _moment(value: str, runtime: Any) -> str:
    """A ``datetime-local`` field in the service's zone; empty: now."""
    return local_time(value, runtime.tz) if value.strip() else datetime.now(UTC).isoformat()


def _post(
    request: Request,
    session: Any,
    runtime: Any,
    user: Any,
    drill_id: int,
    *,
    kind: str,
    form: Mapping[str, Any],
    model: type[BaseModel],
    data: Mapping[str, Any],
    act: Callable[[Any, Any], object],
    fields: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str = "",
):
    """Validate ``data`` as ``model`` and run ``act`` in one transaction: back to the board (303), or the
    board with the faults beside the form ``kind``'s fields (422); ``fields`` names which field a
    fault on a model's field (or an unknown code's kind) belongs to; ``done`` what the board then says."""
    fields = fields or {}
    if not errors:
        recorded, errors = submit(request, Writer(runtime, user, request, None), model, data, act, fields=fields)
        if recorded is not None:
            return RedirectResponse(f"/console/drills/{drill_id}?done={done or kind}#command", status_code=303)
    errors = {fields.get(k, k): v for k, v in errors.items()}
    return board_page(
        request, session, runtime, user, drill_id, status=422, form=kind, values=dict(form), errors=errors
    )


@router.post("/drills/{drill_id}/units")
def post_unit_time(
    drill_id: IdPath, request: Request, session: SessionDep, runtime: RuntimeDep, user: User, form: Form
):
    """Record when a unit arrived, was fed (the last of it) or left."""
    event, unit = form.get("event", ""), form.get("unit", "")
    errors = {}
    if event not in dict(EVENTS):
        lang = choose(request)
        words = ", ".join(lang.gettext(w) for _, w in EVENTS)
        errors["event"] = lang.gettext("Choose one of: {expected}.").format(expected=words)
    return _post(
        request,
        session,
        runtime,
        user,
        drill_id,
        kind="unit",
        form=form,
        model=board.UnitTimesIn,
        data={event: _moment(form.get("at", ""), runtime)},
        act=lambda s, body: board.record_unit_times(s, user, drill_id, unit, body),
        fields={event: "at", "unit": "unit"},
        errors=errors,
    )


@router.post("/drills/{drill_id}/orders")
def post_order(drill_id: IdPath, request: Request, session: SessionDep, runtime: RuntimeDep, user: User, form: Form):
    """Issue an order to a station or a team (``to`` is ``station:CODE`` or ``team:CODE``)."""
    kind, _, code = form.get("to", "").partition(":")
    data: dict[str, Any] = {k: form[k] for k in ("text", "ack_within_minutes") if form.get(k, "") != ""}
    if form.get("due_at", "").strip():
        data["due_at"] = local_time(form["due_at"], runtime.tz)
    errors = {}
    if kind in ("station", "team") and code:
        data[kind] = code
    else:
        errors["to"] = choose(request).gettext("This field is required.")
    return _post(
        request,
        session,
        runtime,
        user,
        drill_id,
        kind="order",
        form=form,
        model=orders.OrderIn,
        data=data,
        act=lambda s, body: orders.issue_order(s, user, drill_id, body),
        fields={"station": "to", "team": "to"},
        errors=errors,
    )


@router.post("/drills/{drill_id}/orders/{order_id}/status")
def post_order_status(
    drill_id: IdPath,
    order_id: IdPath,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: User,
    form: Form,
):
    """The order's recipient acknowledges, starts or completes it."""
    return _post(
        request,
        session,
        runtime,
        user,
        drill_id,
        kind=f"order-{order_id}",
        done="order-status",
        form=form,
        model=orders.OrderStatusIn,
        data={k: v for k, v in form.items() if k in ("status", "reason")},
        act=lambda s, body: orders.move_order(s, user, drill_id, order_id, body),
        fields={"reason": "status", "_form": "status"},
    )


@router.post("/drills/{drill_id}/steps")
def post_step(drill_id: IdPath, request: Request, session: SessionDep, runtime: RuntimeDep, user: User, form: Form):
    """Record that the procedure reached a step (the joint command)."""
    step = form.get("step", "")
    data = {"at": local_time(form["at"], runtime.tz)} if form.get("at", "").strip() else {}
    return _post(
        request,
        session,
        runtime,
        user,
        drill_id,
        kind="step",
        form=form,
        model=procedure.StepDoneIn,
        data=data,
        act=lambda s, body: procedure.mark_step(s, user, drill_id, step, body.at),
        fields={"procedure step": "step", "_form": "step"},
    )
