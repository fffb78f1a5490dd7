"""Console pages for support requests and dispatches: the request form, the ranked options, one-click
planning from an option, and each dispatch's lifecycle with only its allowed next steps.

The same domain functions as the JSON API: :func:`~supply.service.requests.create_request`,
:func:`~supply.service.requests.options`, :func:`~supply.service.requests.dispatch_from_option`
then :func:`~supply.service.dispatches.plan_dispatch`, and
:func:`~supply.service.dispatches.move_dispatch` with its :data:`~supply.service.dispatches.TRANSITIONS`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query
from sqlmodel import Session, select

from supply.api.console.context import Ctx, OfficerPost, Page
from supply.api.console.forms import FORM, flag, local_time, pairs, parse, submit
from supply.api.console.render import render
from supply.api.deps import IdPath
from supply.api.models.requests import DispatchPublic, RequestPublic
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
MODES: tuple[str, ...] = get_args(Mode)
PRIORITIES: tuple[str, ...] = get_args(Priority)
STATUSES: tuple[str, ...] = get_args(Status)
#: An unknown site is the request form's ``site`` field's fault.
SITE = {"site": "site"}


def requests_page(
    c: Ctx,
    book: str = "all",
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
):
    rows = [request_dict(c.session, r, c.runtime.tz) for r in list_requests(c.session, exercise=BOOKS[book], limit=100)]
    sites = list(c.session.exec(select(Site).order_by(Site.code)))
    defaults = {"mode": "train", "priority": "routine", "dwell_minutes": "30", "vehicles": "0"}
    return render(
        c.request,
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
def requests_view(c: Page, book: Book = "all"):
    """Support requests, newest first, filtered by book; an officer also gets the request form."""
    return requests_page(c, book)


@router.post("/requests")
def post_request(c: OfficerPost):
    """Record a support request (needs from the planning factors) and show its options."""
    form, lang = c.form, c.lang
    data: dict[str, Any] = {k: v for k, v in form.items() if k != "special_diets" and v != ""}
    data["exercise"] = flag(form.get("exercise"))
    if "arrive_at" in data:
        data["arrive_at"] = local_time(data["arrive_at"], c.runtime.tz)
    diets, diet_error = pairs(form.get("special_diets", ""), lang)
    data["special_diets"] = diets
    body, errors = parse(RequestIn, data, lang)
    if diet_error:
        errors["special_diets"] = diet_error
    req = None
    if body is not None and not errors:
        w, factors = c.writer, c.runtime.factors
        req, errors = c.attempt(
            lambda: w.transact(lambda s: create_request(s, w.actor, body, factors)), fields={"site": "site"}
        )
    errors = {("special_diets" if k.startswith("special_diets") else k): v for k, v in errors.items()}
    if FORM in errors and "headcount" not in errors and "special_diets" in form:
        errors["special_diets"] = errors.pop(FORM)
    return c.outcome(
        req, lambda r: f"/console/requests/{r.id}", lambda: requests_page(c, status=422, values=form, errors=errors)
    )


def request_page(c: Ctx, request_id: int, *, status: int = 200, errors: dict[str, str] | None = None):
    req = get_request(c.session, request_id)
    shown = request_dict(c.session, req, c.runtime.tz)
    ranked = options(c.session, c.runtime.network, req)
    sent = dispatch_dicts(c.session, list_dispatches(c.session, request_id=request_id, limit=100), c.runtime.tz)
    return render(
        c.request, "request.html", status=status, req=shown, options=ranked, dispatches=sent, errors=errors or {}
    )


@router.get("/requests/{request_id}")
def request_view(request_id: IdPath, c: Page):
    """A request, what is still needed, the stations ranked by ETA and its dispatches."""
    return request_page(c, request_id)


@router.post("/requests/{request_id}/plan")
def post_plan(request_id: IdPath, c: OfficerPost):
    """Plan a dispatch from one option: its station, carrying what it covers of the remaining needs."""
    w = c.writer

    def plan() -> Any:
        req = get_request(c.session, request_id)
        body = dispatch_from_option(c.session, c.runtime.network, req, c.form.get("station", ""))
        draft = w.check(lambda s: check_dispatch(s, body, w.codes))
        return w.transact(lambda s: plan_dispatch(s, w.actor, draft))

    planned, errors = c.attempt(plan)
    return c.outcome(
        planned,
        lambda d: f"/console/dispatches/{d.id}",
        lambda: request_page(c, request_id, status=422, errors=errors),
    )


@router.get("/dispatches")
def dispatches_view(
    c: Page,
    book: Book = "all",
    status: Annotated[Status | Literal[""] | None, Query()] = None,
):
    """The dispatch log, newest first, filtered by status and by book."""
    tz = c.runtime.tz
    rows = dispatch_dicts(
        c.session, list_dispatches(c.session, status=status or None, exercise=BOOKS[book], limit=200), tz
    )
    return render(c.request, "dispatches.html", rows=rows, book=book, chosen=status, statuses=STATUSES)


def dispatch_page(
    c: Ctx,
    dispatch_id: int,
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
):
    d = dispatch_dicts(c.session, [get_dispatch(c.session, dispatch_id)], c.runtime.tz)[0]
    req = request_dict(c.session, get_request(c.session, d["request_id"]), c.runtime.tz)
    steps = sorted(TRANSITIONS[d["status"]], key=STATUSES.index)
    return render(
        c.request, "dispatch.html", status=status, d=d, req=req, steps=steps, values=values or {}, errors=errors or {}
    )


@router.get("/dispatches/{dispatch_id}")
def dispatch_view(dispatch_id: IdPath, c: Page):
    """A dispatch: its lines, its history and the steps it may take next."""
    return dispatch_page(c, dispatch_id)


@router.post("/dispatches/{dispatch_id}/status")
def post_status(dispatch_id: IdPath, c: OfficerPost):
    """Move a dispatch one step (reserve → issue on delivery, release on cancel), as the API does."""
    w = c.writer
    lines = w.check(lambda s: check_status(s, dispatch_id))
    moved, errors = submit(
        c.request,
        w,
        StatusIn,
        c.form,
        lambda s, body: move_dispatch(s, w.actor, dispatch_id, body.status, body.note, lines),
    )
    return c.outcome(
        moved,
        lambda _: f"/console/dispatches/{dispatch_id}",
        lambda: dispatch_page(c, dispatch_id, status=422, values=c.form, errors=errors),
    )
