"""The command post's board in the console: ``/console/drills`` and ``/console/drills/{id}``.

The page is the board of :func:`supply.drills.board.board` (the same as ``GET /drills/{id}/board``)
rendered server-side: a map of the drill (stations, units at their sites coloured by status),
a timeline of every planned unit (arrival → fed → departure, plan against actual, late in red),
open orders with overdue acknowledgements, procedure steps against targets and stock against
the plan, all in the service's one labelled time zone. htmx re-fetches the board fragment
(``/console/drills/{id}/board``) every :data:`REFRESH_SECONDS`; when the server cannot be
reached the last board stays on screen under a banner giving its age (``static/console.js``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from maps.basemap import NO_BASE_NOTE, base_kind, districts
from supply.api import csp
from supply.api.console.context import Ctx, Page
from supply.api.console.i18n import N_, Lang, choose
from supply.api.console.render import render
from supply.api.console.session import User
from supply.api.deps import IdPath, RuntimeDep, SessionDep
from supply.api.drill_deps import STARTERS
from supply.api.models.drills import BoardPublic, DrillPublic
from supply.api.package_jobs import RETRY_AFTER
from supply.api.routers import drills as drill_routes
from supply.api.routers import maps as map_routes
from supply.core.network import Network
from supply.drills import board, chain, orders
from supply.drills.review import drill_review
from supply.drills.rights import Rights, rights
from supply.service.models import Site, Station

router = APIRouter()
REFRESH_SECONDS = 15


@router.get("/drills")
def drills_view(request: Request, session: SessionDep, runtime: RuntimeDep, user: User):
    """Every drill, newest first."""
    rows = [
        DrillPublic.of(d, runtime.tz).model_dump(mode="json", by_alias=True)
        for d in chain.list_drills(session, limit=100)
    ]
    return render(request, "drills.html", rows=rows)


def _unit_state(u: dict) -> str:
    actual = u["actual"]
    for key, state in (("departed", "departed"), ("served", "fed"), ("arrived", "arrived")):
        if actual[key]:
            return state
    return "expected"


def _timeline(units: list[dict], now: datetime) -> dict[str, Any]:
    """Each unit's planned and actual spans as percentages of the drill's window, for the timeline's bars."""
    moments = [
        datetime.fromisoformat(v) for u in units for part in ("planned", "actual") for v in u[part].values() if v
    ] + [now]
    start, end = min(moments), max(moments)
    span = max((end - start).total_seconds(), 60.0)

    def pos(value: str | None) -> float | None:
        return None if not value else round((datetime.fromisoformat(value) - start).total_seconds() / span * 100, 2)

    rows = []
    for u in units:
        p, a = u["planned"], u["actual"]
        fed_plan, fed_real = p["fed"], a["served"]
        late = bool(fed_plan and ((fed_real and fed_real > fed_plan) or (not fed_real and now.isoformat() > fed_plan)))
        end_actual = a["departed"] or (now.isoformat() if a["arrived"] else None)
        rows.append(
            {
                "code": u["code"],
                "station": u["station"],
                "late": late,
                "state": _unit_state(u),
                "plan": (pos(p["arrive"]), pos(p["fed"]), pos(p["depart"])),
                "actual": (pos(a["arrived"]), pos(a["served"]), pos(end_actual)),
                "unit": u,
            }
        )
    return {"start": start, "end": end, "now": pos(now.isoformat()), "rows": rows}


def _map_data(session: Session, b: dict, plan: dict, network: Network, lang: Lang) -> str:
    """The map's data as JSON (read by ``console.js``; a data block, not a script)."""
    places = {u["code"]: u.get("place") for u in plan.get("units", [])}
    sites = {s.code: s for s in session.exec(select(Site))}
    used = {st for st in b["stock"]} | {u["station"] for u in b["units"] if u["station"]}
    stations = [
        {"code": s.code, "name": s.name, "tier": s.tier, "lat": s.lat, "lon": s.lon, "used": s.code in used}
        for s in session.exec(select(Station).order_by(Station.code))
    ]
    units = []
    for u in b["units"]:
        site = sites.get(places.get(u["code"]) or "")
        if site is not None:
            units.append(
                {
                    "code": u["code"],
                    "site": site.code,
                    "site_name": site.name,
                    "lat": site.lat,
                    "lon": site.lon,
                    "station": u["station"],
                    "state": _unit_state(u),
                    "state_label": lang.gettext(_unit_state(u)),
                }
            )
    kind = base_kind(network)
    base = {"shipped": districts, "outline": lambda: network.scenario.outline_geojson}.get(kind, lambda: None)()
    data = {
        "stations": stations,
        "units": units,
        "districts": base,
        "base_note": lang.gettext(NO_BASE_NOTE) if kind == "none" else "",
        "disruptions": plan.get("disruptions", []),
    }
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")  # no markup can end the block


def _board(request: Request, session: Session, runtime: Any, user: Any, drill_id: int) -> dict[str, Any]:
    drill = chain.get_drill(session, drill_id)
    b = BoardPublic.of(board.board(session, drill, user), runtime.tz).model_dump(mode="json", by_alias=True)
    now = datetime.fromisoformat(b["now"])
    return {
        "b": b,
        "timeline": _timeline(b["units"], now),
        "map_json": _map_data(session, b, drill.plan, runtime.network, choose(request)),
        "step_name": lambda step: step_name(choose(request), step),
        "refresh": REFRESH_SECONDS,
        "may": rights(session, drill_id, user),
        "order_steps": ORDER_STEPS,
        "order_words": ORDER_WORDS,
        "form": "",
        "values": {},
        "errors": {},
    }


#: What the board says after each of its forms was recorded.
DONE = {
    "unit": N_("Recorded: the unit's time."),
    "order": N_("Recorded: the order was issued."),
    "order-status": N_("Recorded: the order moved on."),
    "step": N_("Recorded: the procedure step."),
}
#: The unit times the board's form records, by the API's field names.
EVENTS = (("arrived_at", N_("arrived")), ("served_at", N_("fed")), ("departed_at", N_("departed")))


#: The steps the board offers an order's recipient (refusing, which needs a reason, stays with the API).
ORDER_STEPS = {status: tuple(sorted(nxt - {"refused"})) for status, nxt in orders.ORDER_TRANSITIONS.items()}
ORDER_WORDS = {"acknowledged": N_("Acknowledge"), "in_progress": N_("Start"), "done": N_("Complete")}


def step_name(lang: Lang, step: str) -> str:
    """A procedure step by its name where the catalogue has one, else its code (the form posts the code)."""
    return str(lang.word(step))


def _controls(request: Request, may: Rights, b: dict[str, Any]) -> dict[str, Any]:
    """The choices the board's forms offer this user (see :mod:`supply.api.console.command`)."""
    lang = choose(request)
    stations = sorted({u["station"] for u in b["units"] if u["station"]} | set(b["stock"]))
    recipients = [(f"station:{s}", f"{lang.gettext('station')} {s}") for s in stations if may.joint]
    recipients += [(f"team:{t}", f"{lang.gettext('team')} {t}") for t in may.teams]
    return {
        "units": [(u["code"], f"{u['code']} → {u['station'] or '—'}") for u in b["units"]],
        "events": [(k, lang.gettext(w)) for k, w in EVENTS],
        "recipients": recipients,
        "steps": [(p["step"], step_name(lang, p["step"])) for p in b["procedure"] if not p["done_at"]],
        "done": {k: lang.gettext(v) for k, v in DONE.items()},
    }


def board_page(
    c: Ctx,
    drill_id: int,
    *,
    status: int = 200,
    form: str = "",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
):
    """The board with its command post controls; after a faulty POST, with that form's values and errors."""
    ctx = _board(c.request, c.session, c.runtime, c.user, drill_id)
    ctx.update(form=form, values=values or {}, errors=errors or {})
    controls = _controls(c.request, ctx["may"], ctx["b"])
    done = c.request.query_params.get("done")
    may_package = c.user.role in STARTERS and ctx["b"]["drill"]["status"] in ("open", "closed")
    return render(c.request, "board.html", status=status, done=done, controls=controls, may_package=may_package, **ctx)


@router.get("/drills/{drill_id}")
def drill_view(drill_id: IdPath, c: Page):
    """The command post's board, refreshing itself, with the controls the user's role in the drill allows."""
    return board_page(c, drill_id)


@router.get("/drills/{drill_id}/board")
def board_fragment(drill_id: IdPath, request: Request, session: SessionDep, runtime: RuntimeDep, user: User):
    """The board alone (what htmx swaps in on each refresh)."""
    return render(request, "board_fragment.html", **_board(request, session, runtime, user, drill_id))


@router.get("/drills/{drill_id}/plan")
def plan_document(drill_id: IdPath, session: SessionDep, user: User) -> HTMLResponse:
    """The printable action plan the drill started from (the API's ``/drills/{id}/plan?format=html``)."""
    return drill_routes.plan_page(chain.get_drill(session, drill_id))


@router.get("/drills/{drill_id}/review")
def review_document(drill_id: IdPath, session: SessionDep, runtime: RuntimeDep, user: User) -> HTMLResponse:
    """The after-action review with its plots (the API's ``/drills/{id}/review?format=html``)."""
    return drill_routes.review_page(drill_review(session, chain.get_drill(session, drill_id), runtime.tz))


@router.get("/drills/{drill_id}/package")
def package_download(drill_id: IdPath, c: Page, speed: Annotated[float, Query(gt=0, le=86_400)] = 600) -> Response:
    """The drill's package (``GET /drills/{id}/package.zip`` in the user's language; ``speed``: its film's
    pace): the zip once written; until then a page that asks again every few seconds."""
    from supply.api.routers.packages import package_file, package_job

    lang = "en" if c.lang.locale == "en" else "zh"
    path = package_job(c.session, c.runtime, drill_id, lang, c.user, speed)
    if path is not None:
        return package_file(c.runtime, drill_id, lang, path)
    return render(c.request, "package_wait.html", status=202, drill_id=drill_id, retry=RETRY_AFTER, what="package")


def _film_download(drill_id: int, fmt: str, c: Ctx, speed: float) -> Response:
    """The drill's film (``GET /drills/{id}/film.mp4|html`` in the user's language): the file once rendered;
    until then a page that asks again every few seconds."""
    from supply.api.routers.films import _film

    lang = "en" if c.lang.locale == "en" else "zh"
    answer = _film(drill_id, fmt, lang, speed, c.user, c.session, c.runtime)
    if answer.status_code != 202:
        return answer
    return render(c.request, "package_wait.html", status=202, drill_id=drill_id, retry=RETRY_AFTER, what="film")


@router.get("/drills/{drill_id}/film.mp4")
def film_mp4(drill_id: IdPath, c: Page, speed: Annotated[float, Query(gt=0, le=86_400)] = 600) -> Response:
    """The drill's film as an MP4 (H.264, captions burnt in)."""
    return _film_download(drill_id, "mp4", c, speed)


@router.get("/drills/{drill_id}/film.html")
def film_html(drill_id: IdPath, c: Page, speed: Annotated[float, Query(gt=0, le=86_400)] = 600) -> Response:
    """The drill's film as one offline HTML player."""
    return _film_download(drill_id, "html", c, speed)


@router.get("/map")
def coverage_map_page(c: Page, exercise: bool = False) -> HTMLResponse:
    """The coverage map with live stock and dispatches under way (the API's ``/maps/coverage``), in the
    user's language."""
    tr = c.lang.gettext
    page = map_routes.coverage_html(c.session, c.runtime, exercise, "30,60,120", None, None, None, None, "served", tr)
    headers = {"Content-Language": c.lang.html_lang, "Vary": "Accept-Language, Cookie", csp.HEADER: csp.for_map(page)}
    return HTMLResponse(page, headers=headers)
