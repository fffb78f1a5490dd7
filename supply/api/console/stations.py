"""Console pages for stations and stock: the overview, one station's stock, its four forms and its ledger.

Each POST checks the CSRF field and the writer's role, validates with the API's input models,
calls the same ledger function as the JSON API in one transaction and redirects to the station
(POST → redirect → GET, so a reload never records twice). A faulty form comes back with each
message beside its field and everything typed kept (422). A count is two steps: the console
shows the adjustment it will post (:func:`supply.service.ledger.count_preview`) and posts it
only when the officer confirms.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from supply.api.console.forms import Form, domain_errors, flag, parse, submit
from supply.api.console.i18n import choose
from supply.api.console.render import render
from supply.api.console.session import Officer, User
from supply.api.deps import CodePath, IdPath, RuntimeDep, SessionDep, Writer
from supply.core.errors import JungongError
from supply.service import ledger
from supply.service.expiring import stock_by_lot
from supply.service.inputs import CountIn, MovementIn, ReversalIn, TransferIn
from supply.service.models import Item, Station
from supply.service.stock import alerts, movements, reorder_levels, stock
from supply.service.transit import in_transit

router = APIRouter()
Book = Annotated[bool, Query(description="the exercise (drill) book")]
FORMS = ("receipt", "issue", "transfer", "count")


@router.get("/stations")
def stations_page(request: Request, session: SessionDep, runtime: RuntimeDep, user: User, exercise: Book = False):
    """Every station: tier, stock against reorder level and days of supply, alerts highlighted."""
    policy = runtime.policy
    levels = reorder_levels(session)
    flagged = {
        (a["station"], a["item"]): a["kind"]
        for a in alerts(
            session,
            exercise=exercise,
            threshold_days=policy.days_of_supply_threshold,
            window_days=policy.consumption_window_days,
        )
    }
    rows: list[dict[str, Any]] = []
    for st in session.exec(select(Station).order_by(Station.code)):
        lines = stock(session, st.code, exercise=exercise, window_days=policy.consumption_window_days)
        for line in lines:
            line["level"] = levels.get((st.code, line["item"]))
            line["alert"] = flagged.get((st.code, line["item"]))
        rows.append({"station": st, "lines": lines, "alerts": sum(1 for x in lines if x["alert"])})
    items = [line["item"] for line in rows[0]["lines"]] if rows else []
    return render(
        request, "stations.html", rows=rows, items=items, exercise=exercise, threshold=policy.days_of_supply_threshold
    )


def station_page(
    request: Request,
    session: Session,
    runtime: Any,
    code: str,
    exercise: bool,
    *,
    status: int = 200,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    confirm: dict[str, Any] | None = None,
) -> Response:
    """One station's page; after a faulty POST, with that form's values and errors."""
    station = ledger.require_station(session, code)
    policy = runtime.policy
    levels = reorder_levels(session)
    lines = stock(session, code, exercise=exercise, window_days=policy.consumption_window_days)
    for line in lines:
        line["level"] = levels.get((code, line["item"]))
    moves = movements(session, station=code, exercise=exercise, limit=50)
    reversed_ids = {
        m.reversal_of for m in movements(session, station=code, exercise=exercise, kinds=[ledger.REVERSAL], limit=1000)
    }
    reversible = {
        m.id for m in moves if m.kind not in (*ledger.DISPATCH_KINDS, ledger.REVERSAL) and m.id not in reversed_ids
    }
    return render(
        request,
        "station.html",
        status=status,
        station=station,
        lines=lines,
        lots=[x for x in stock_by_lot(session, code, exercise=exercise) if x["lot"]],
        road=in_transit(session, exercise=exercise, station=code),
        moves=moves,
        reversible=reversible,
        reversed_ids=reversed_ids,
        exercise=exercise,
        items=list(session.exec(select(Item).order_by(Item.code))),
        others=[s for s in session.exec(select(Station.code).order_by(Station.code)) if s != code],
        form=form,
        values=values or {},
        errors=errors or {},
        confirm=confirm,
        done=request.query_params.get("done"),
    )


@router.get("/stations/{code}")
def station_view(
    code: CodePath, request: Request, session: SessionDep, runtime: RuntimeDep, user: User, exercise: Book = False
):
    return station_page(request, session, runtime, code, exercise)


def back_to_station(code: str, exercise: bool, what: str) -> RedirectResponse:
    book = "&exercise=true" if exercise else ""
    return RedirectResponse(f"/console/stations/{code}?done={what}{book}#done", status_code=303)


def optional(form: dict[str, Any], *names: str) -> dict[str, Any]:
    """``form`` without the optional fields left empty (an empty lot is no lot)."""
    for name in names:
        if not str(form.get(name, "")).strip():
            form.pop(name, None)
    return form


def _movement(kind: str):
    def post(code: CodePath, request: Request, session: SessionDep, runtime: RuntimeDep, user: Officer, form: Form):
        exercise = form["exercise"] = flag(form.get("exercise"))
        optional(form, "lot", "expires_on")
        w = Writer(runtime, user, request, None)
        m, errors = submit(
            request, w, MovementIn, form, lambda s, body: ledger.record_movement(s, w.actor, kind, code, body)[0]
        )
        if m is not None:
            return back_to_station(code, exercise, f"{kind}:{m.id}")
        return station_page(
            request, session, runtime, code, exercise, status=422, form=kind, values=form, errors=errors
        )

    post.__name__ = f"post_{kind}"
    post.__doc__ = f"Record a {kind} from the console's form."
    return post


router.post("/stations/{code}/receipt")(_movement("receipt"))
router.post("/stations/{code}/issue")(_movement("issue"))


@router.post("/stations/{code}/transfer")
def post_transfer(
    code: CodePath, request: Request, session: SessionDep, runtime: RuntimeDep, user: Officer, form: Form
):
    """Send stock from this station to another: on the road until the destination receives it."""
    exercise = form["exercise"] = flag(form.get("exercise"))
    optional(form, "lot")
    form["from"] = code
    w = Writer(runtime, user, request, None)
    legs, errors = submit(
        request,
        w,
        TransferIn,
        form,
        lambda s, body: ledger.transfer(
            s, w.actor, code, body.to, body.item, body.quantity, body.reason, exercise=body.exercise, lot=body.lot
        ),
        fields={"item": "item", "station": "to"},
    )
    if legs:
        return back_to_station(code, exercise, f"transfer:{legs[0].id}")
    return station_page(
        request, session, runtime, code, exercise, status=422, form="transfer", values=form, errors=errors
    )


@router.post("/stations/{code}/count")
def post_count(code: CodePath, request: Request, session: SessionDep, runtime: RuntimeDep, user: Officer, form: Form):
    """A physical count: first show the adjustment it will post, then post it when confirmed."""
    lang = choose(request)
    exercise = form["exercise"] = flag(form.get("exercise"))
    optional(form, "lot")
    if not flag(form.get("confirm")):
        body, errors = parse(CountIn, form, lang)
        if body is not None:
            try:
                bal = ledger.count_preview(session, code, body.item, body.counted, exercise=exercise, lot=body.lot)
                preview = {"on_hand": bal.on_hand, "counted": body.counted, "difference": body.counted - bal.on_hand}
                return station_page(
                    request, session, runtime, code, exercise, form="count", values=form, confirm=preview
                )
            except JungongError as exc:
                errors = domain_errors(exc, lang, fields={"item": "item"})
    else:
        w = Writer(runtime, user, request, None)
        done, errors = submit(
            request,
            w,
            CountIn,
            form,
            lambda s, body: [
                ledger.count(
                    s, w.actor, code, body.item, body.counted, body.reason, exercise=body.exercise, lot=body.lot
                )
            ],
        )
        if done is not None:
            return back_to_station(code, exercise, f"count:{done[0].id}" if done[0] is not None else "count:0")
    return station_page(request, session, runtime, code, exercise, status=422, form="count", values=form, errors=errors)


@router.post("/movements/{movement_id}/reversal")
def post_reversal(
    movement_id: IdPath, request: Request, session: SessionDep, runtime: RuntimeDep, user: Officer, form: Form
):
    """Reverse a ledger line (a reason is required); back to the station it was on."""
    exercise = flag(form.get("exercise"))
    w = Writer(runtime, user, request, None)
    legs, errors = submit(
        request, w, ReversalIn, form, lambda s, body: ledger.reverse(s, w.actor, movement_id, body.reason)
    )
    if legs:
        return back_to_station(legs[0].station, exercise, f"reversal:{legs[0].id}")
    values = {**form, "movement": movement_id}
    return station_page(
        request,
        session,
        runtime,
        form.get("station", ""),
        exercise,
        status=422,
        form=f"reversal-{movement_id}",
        values=values,
        errors=errors,
    )
