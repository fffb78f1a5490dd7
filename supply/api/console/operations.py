"""Console pages for support requests and dispatches: the request form, the ranked options, one-click
planning from an option, and each dispatch's lifecycle with only its allowed next steps.

The same domain functions as the JSON API: :func:`~supply.service.requests.create_request`,
:func:`~supply.service.requests.options`, :func:`~supply.service.requests.dispatch_from_option`
then :func:`~supply.service.dispatches.plan_dispatch`, and
:func:`~supply.service.dispatches.move_dispatch` with its :data:`~supply.service.dispatches.TRANSITIONS`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select

from supply.api.console.forms import FORM, Form, domain_errors, flag, local_time, pairs, parse, submit
from supply.api.console.i18n import choose
from supply.api.console.render import render
from supply.api.console.session import Officer, User
from supply.api.deps import IdPath, RuntimeDep, SessionDep, Writer
from supply.api.models.requests import DispatchPublic, RequestPublic
from supply.core.errors import JungongError
from supply.service.dispatches import TRANSITIONS, check_dispatch, check_status, move_dispatch, plan_dispatch
from supply.service.inputs import Mode, Priority, RequestIn, Status, StatusIn
from supply.service.models import Site
from supply.service.requests import (
    create_request,
    dispatch_from_option,
    dispatch_records,
    get_dispatch,
    get_request,
    list_dispatches,
    list_requests,
    options,
    remaining_needs,
)

router = APIRouter()


def request_dict(session: Session, req: Any, tz: Any) -> dict[str, Any]:
    """A request as the JSON API shows it (the templates read the same keys)."""
    return RequestPublic.of(req, remaining_needs(session, req), tz).model_dump(mode="json", by_alias=True)


def dispatch_dicts(session: Session, rows: list[Any], tz: Any) -> list[dict[str, Any]]:
    """Dispatches as the JSON API shows them (lines and history included)."""
    return [DispatchPublic.of(d, tz).model_dump(mode="json", by_alias=True) for d in dispatch_records(session, rows)]


Book = Annotated[Literal["all", "real", "exercise"], Query()]
BOOKS = {"all": None, "real": False, "exercise": True}
MODES = Mode.__args__
PRIORITIES = Priority.__args__
STATUSES = Status.__args__


def requests_page(
    request: Request,
    session: Session,
    runtime: Any,
    book: str = "all",
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
):
    rows = [request_dict(session, r, runtime.tz) for r in list_requests(session, exercise=BOOKS[book], limit=100)]
    sites = list(session.exec(select(Site).order_by(Site.code)))
    defaults = {"mode": "train", "priority": "routine", "dwell_minutes": "30", "vehicles": "0"}
    return render(
        request,
        "requests.html",
        status=status,
        rows=rows,
        book=book,
        sites=sites,
        modes=MODES,
        priorities=PRIORITIES,
        values=values or defaults,
        errors=errors or {},
    )


@router.get("/requests")
def requests_view(request: Request, session: SessionDep, runtime: RuntimeDep, user: User, book: Book = "all"):
    """Support requests, newest first, filtered by book; an officer also gets the request form."""
    return requests_page(request, session, runtime, book)


@router.post("/requests")
def post_request(request: Request, session: SessionDep, runtime: RuntimeDep, user: Officer, form: Form):
    """Record a support request (needs from the planning factors) and show its options."""
    lang = choose(request)
    data: dict[str, Any] = {k: v for k, v in form.items() if k != "special_diets" and v != ""}
    data["exercise"] = flag(form.get("exercise"))
    if "arrive_at" in data:
        data["arrive_at"] = local_time(data["arrive_at"], runtime.tz)
    diets, diet_error = pairs(form.get("special_diets", ""), lang)
    data["special_diets"] = diets
    body, errors = parse(RequestIn, data, lang)
    if diet_error:
        errors["special_diets"] = diet_error
    if body is not None and not errors:
        w = Writer(runtime, user, request, None)
        factors = runtime.factors
        try:
            req = w.transact(lambda s: create_request(s, w.actor, body, factors))
            return RedirectResponse(f"/console/requests/{req.id}", status_code=303)
        except JungongError as exc:
            errors = domain_errors(exc, lang, fields={"site": "site"})
    errors = {("special_diets" if k.startswith("special_diets") else k): v for k, v in errors.items()}
    if FORM in errors and "headcount" not in errors and "special_diets" in form:
        errors["special_diets"] = errors.pop(FORM)
    return requests_page(request, session, runtime, status=422, values=form, errors=errors)


def request_page(
    request: Request,
    session: Session,
    runtime: Any,
    request_id: int,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
):
    req = get_request(session, request_id)
    shown = request_dict(session, req, runtime.tz)
    ranked = options(session, runtime.network, req)
    sent = dispatch_dicts(session, list_dispatches(session, request_id=request_id, limit=100), runtime.tz)
    return render(
        request, "request.html", status=status, req=shown, options=ranked, dispatches=sent, errors=errors or {}
    )


@router.get("/requests/{request_id}")
def request_view(request_id: IdPath, request: Request, session: SessionDep, runtime: RuntimeDep, user: User):
    """A request, what is still needed, the stations ranked by ETA and its dispatches."""
    return request_page(request, session, runtime, request_id)


@router.post("/requests/{request_id}/plan")
def post_plan(
    request_id: IdPath, request: Request, session: SessionDep, runtime: RuntimeDep, user: Officer, form: Form
):
    """Plan a dispatch from one option: its station, carrying what it covers of the remaining needs."""
    lang = choose(request)
    w = Writer(runtime, user, request, None)
    try:
        body = dispatch_from_option(session, runtime.network, get_request(session, request_id), form.get("station", ""))
        draft = w.check(lambda s: check_dispatch(s, body, w.codes))
        planned = w.transact(lambda s: plan_dispatch(s, w.actor, draft))
        return RedirectResponse(f"/console/dispatches/{planned.id}", status_code=303)
    except JungongError as exc:
        errors = domain_errors(exc, lang)
    return request_page(request, session, runtime, request_id, status=422, errors=errors)


@router.get("/dispatches")
def dispatches_view(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: User,
    book: Book = "all",
    status: Annotated[Status | Literal[""] | None, Query()] = None,
):
    """The dispatch log, newest first, filtered by status and by book."""
    rows = dispatch_dicts(
        session, list_dispatches(session, status=status or None, exercise=BOOKS[book], limit=200), runtime.tz
    )
    return render(request, "dispatches.html", rows=rows, book=book, chosen=status, statuses=STATUSES)


def dispatch_page(
    request: Request,
    session: Session,
    runtime: Any,
    dispatch_id: int,
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
):
    d = dispatch_dicts(session, [get_dispatch(session, dispatch_id)], runtime.tz)[0]
    req = request_dict(session, get_request(session, d["request_id"]), runtime.tz)
    steps = sorted(TRANSITIONS[d["status"]], key=STATUSES.index)
    return render(
        request, "dispatch.html", status=status, d=d, req=req, steps=steps, values=values or {}, errors=errors or {}
    )


@router.get("/dispatches/{dispatch_id}")
def dispatch_view(dispatch_id: IdPath, request: Request, session: SessionDep, runtime: RuntimeDep, user: User):
    """A dispatch: its lines, its history and the steps it may take next."""
    return dispatch_page(request, session, runtime, dispatch_id)


@router.post("/dispatches/{dispatch_id}/status")
def post_status(
    dispatch_id: IdPath, request: Request, session: SessionDep, runtime: RuntimeDep, user: Officer, form: Form
):
    """Move a dispatch one step (reserve → issue on delivery, release on cancel), as the API does."""
    w = Writer(runtime, user, request, None)
    lines = w.check(lambda s: check_status(s, dispatch_id))
    moved, errors = submit(
        request,
        w,
        StatusIn,
        form,
        lambda s, body: move_dispatch(s, w.actor, dispatch_id, body.status, body.note, lines),
    )
    if moved is not None:
        return RedirectResponse(f"/console/dispatches/{dispatch_id}", status_code=303)
    return dispatch_page(request, session, runtime, dispatch_id, status=422, values=form, errors=errors)
