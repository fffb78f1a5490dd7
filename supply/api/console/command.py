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

from fastapi import APIRouter
from pydantic import BaseModel
from sqlmodel import Session

from supply.api.console.context import Ctx, Posted
from supply.api.console.drills import EVENTS, board_page
from supply.api.console.forms import local_time, submit
from supply.api.deps import IdPath
from supply.drills import board, orders, procedure

router = APIRouter()


def _moment(value: str, runtime: Any) -> str:
    """A ``datetime-local`` field in the service's zone; empty: now."""
    return local_time(value, runtime.tz) if value.strip() else datetime.now(UTC).isoformat()


def _post(
    c: Ctx,
    drill_id: int,
    kind: str,
    model: type[BaseModel],
    data: Mapping[str, Any],
    act: Callable[[Any, Any], object],
    *,
    fields: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str = "",
):
    """Validate ``data`` as ``model`` and run ``act`` in one transaction: back to the board (303), or the
    board with the faults beside the form ``kind``'s fields (422); ``fields`` names which field a
    fault on a model's field (or an unknown code's kind) belongs to; ``done`` what the board then says."""
    fields = fields or {}
    recorded = None
    if not errors:
        recorded, errors = submit(c.request, c.writer, model, data, act, fields=fields)
    shown = {fields.get(k, k): v for k, v in errors.items()}
    return c.outcome(
        recorded,
        lambda _: f"/console/drills/{drill_id}?done={done or kind}#command",
        lambda: board_page(c, drill_id, status=422, form=kind, values=dict(c.form), errors=shown),
    )


@router.post("/drills/{drill_id}/units")
def post_unit_time(drill_id: IdPath, c: Posted):
    """Record when a unit arrived, was fed (the last of it) or left."""
    event, unit = c.form.get("event", ""), c.form.get("unit", "")
    errors = {}
    if event not in dict(EVENTS):
        words = ", ".join(c.lang.gettext(w) for _, w in EVENTS)
        errors["event"] = c.lang.gettext("Choose one of: {expected}.").format(expected=words)
    data = {event: _moment(c.form.get("at", ""), c.runtime)}

    def act(s: Session, body: Any) -> object:
        return board.record_unit_times(s, c.user, drill_id, unit, body)

    return _post(c, drill_id, "unit", board.UnitTimesIn, data, act, fields={event: "at"}, errors=errors)


@router.post("/drills/{drill_id}/orders")
def post_order(drill_id: IdPath, c: Posted):
    """Issue an order to a station or a team (``to`` is ``station:CODE`` or ``team:CODE``)."""
    kind, _, code = c.form.get("to", "").partition(":")
    data: dict[str, Any] = {k: c.form[k] for k in ("text", "ack_within_minutes") if c.form.get(k, "") != ""}
    if c.form.get("due_at", "").strip():
        data["due_at"] = local_time(c.form["due_at"], c.runtime.tz)
    errors = {}
    if kind in ("station", "team") and code:
        data[kind] = code
    else:
        errors["to"] = c.lang.gettext("This field is required.")

    def act(s: Session, body: Any) -> object:
        return orders.issue_order(s, c.user, drill_id, body)

    return _post(c, drill_id, "order", orders.OrderIn, data, act, fields={"station": "to", "team": "to"}, errors=errors)


@router.post("/drills/{drill_id}/orders/{order_id}/status")
def post_order_status(drill_id: IdPath, order_id: IdPath, c: Posted):
    """The order's recipient acknowledges, starts or completes it."""
    data = {k: v for k, v in c.form.items() if k in ("status", "reason")}

    def act(s: Session, body: Any) -> object:
        return orders.move_order(s, c.user, drill_id, order_id, body)

    fields = {"reason": "status", "_form": "status"}
    return _post(c, drill_id, f"order-{order_id}", orders.OrderStatusIn, data, act, fields=fields, done="order-status")


@router.post("/drills/{drill_id}/steps")
def post_step(drill_id: IdPath, c: Posted):
    """Record that the procedure reached a step (the joint command)."""
    step = c.form.get("step", "")
    data = {"at": local_time(c.form["at"], c.runtime.tz)} if c.form.get("at", "").strip() else {}

    def act(s: Session, body: Any) -> object:
        return procedure.mark_step(s, c.user, drill_id, step, body.at)

    return _post(
        c, drill_id, "step", procedure.StepDoneIn, data, act, fields={"procedure step": "step", "_form": "step"}
    )
