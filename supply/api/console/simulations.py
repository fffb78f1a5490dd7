"""Simulated drills in the console: start one, watch it run, read its result, run ``improve`` on it.

``/console/simulations`` starts a built-in drill (``guangzhou`` or ``scenarios/drills/*.toml``) or
an uploaded scenario with a number of replications — planners, commanders and admins (others see
the list and the results, and get 403 if they post anyway) — through the API's own function
(:func:`supply.api.simulations.start`), and lists the latest runs. A run's page polls its state
(htmx, every :data:`POLL_SECONDS`) while it runs, then shows the result telling the story
``jungong drill`` prints: the planned units on time, each late unit's outcomes and cause, the
bottleneck, units placed too far, the defaults assumed, and the stations and time budgets; from
there ``improve`` runs on the same scenario and seeds, its page listing the steps and whether
the goal is reached. A faulty upload comes back with every fault named by its key path.
"""

from __future__ import annotations

import re
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from simulation.survive import survive_lines
from supply.api import simulations
from supply.api.console.context import Page
from supply.api.console.forms import domain_errors, parse
from supply.api.console.i18n import N_, Lang, choose
from supply.api.console.render import render
from supply.api.console.session import User, check_csrf
from supply.api.models.analyses import AnalysisPublic, ImproveIn, SimulatedDrillIn
from supply.core.drill_analyses import DEFAULT_STEPS, KINDS, MAX_REPLICATIONS, MAX_STEPS
from supply.core.errors import ConflictError, ForbiddenError, JungongError, ScenarioError, UnknownCodeError
from supply.service.auth import Caller, Role

router = APIRouter()
POLL_SECONDS = 2
#: The largest upload read (the request body's own limit, ``JUNGONG_MAX_BODY_BYTES``, applies first).
MAX_UPLOAD = 200_000
AnalysisId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]
#: A late unit's cause, in a planner's words (the drill JSON's ``late_cause``).
CAUSES = {
    "travel": N_("distance (placement)"),
    "seats": N_("seats"),
    "kitchen": N_("kitchen output"),
    "stock": N_("stock"),
    "refuel_bays": N_("refuel bays"),
    "field_kitchens": N_("field kitchens"),
    "fuel_trucks": N_("fuel trucks"),
    "water_trucks": N_("water trucks"),
    "dwell": N_("stop too short"),
    "handover": N_("handover (teams or meals not ready)"),
    "notice": N_("notice (station not yet ready)"),
}
#: The time budget's parts (:data:`simulation.budget.BUDGET_KEYS`), as column heads.
BUDGET = {
    "travel": N_("travel"),
    "seat_wait": N_("seat wait"),
    "kitchen_wait": N_("kitchen wait"),
    "stock_wait": N_("stock wait"),
    "meal": N_("meal"),
    "refuel_wait": N_("bay wait"),
    "refuel": N_("refuel"),
    "mobile_wait": N_("mobile wait"),
    "truck_wait": N_("fuel truck wait"),
    "water_wait": N_("water wait"),
    "handover": N_("handover"),
}
#: What the page's figures mean (the same definitions as the CLI's, :mod:`simulation.definitions`).
DEFINITIONS = (
    (
        N_("minutes beyond target"),
        N_(
            "for a late side, the minutes past its target; for a missed side, every minute its last unserved "
            "person or vehicle waited or travelled; charged to the resource waited for (to distance for travel), "
            "per replication. The table by station and resource and the unit rows give the same figure."
        ),
    ),
    (
        N_("placement"),
        N_(
            "a unit late because of the distance to its station: no resource at the station can fix it; serve it "
            "at a nearer station, or move its halt."
        ),
    ),
    (
        N_("wait (station)"),
        N_(
            "the mean full wait, from reaching the station to a seat and a meal, of the people seated there after "
            "the warm-up, per replication, averaged over replications."
        ),
    ),
    (
        N_("wait (walk-ins)"),
        N_("person-minutes waited up to the horizon, divided by the people, pooled over replications."),
    ),
    (
        N_("service level"),
        N_("the share of every arrival fed on time, people and walk-ins alike: it does not weigh planned units."),
    ),
)
SIDES = {"people": N_("people"), "vehicles": N_("vehicles"), "both": N_("people and vehicles")}
KIND_WORDS = {"drill": N_("Simulated drill"), "improve": N_("Improve: what to change")}
STATES = (N_("queued"), N_("running"))


def _file_name(name: str) -> str:
    """An upload's file name as its faults name it: letters, digits, ``._-`` only (never a path)."""
    clean = re.sub(r"[^\w.\-]", "_", Path(name).name)[:100].strip(".")
    return clean or "uploaded.toml"


async def _posted(request: Request, user: User) -> tuple[Caller, dict[str, Any]]:
    """The posted form (multipart or not) after its CSRF field is checked; an upload as its file name and text."""
    form: dict[str, Any] = {}
    for key, value in (await request.form()).items():
        if isinstance(value, UploadFile):
            if value.filename:
                form[key] = (_file_name(value.filename), await value.read(MAX_UPLOAD + 1))
        else:
            form[key] = value
    check_csrf(request, form.pop("csrf", None))
    return user, form


Posted = Annotated[tuple[Caller, dict[str, Any]], Depends(_posted)]


def _may(user: Caller | None) -> bool:
    return user is not None and user.role in simulations.SIMULATORS


def _list_page(request: Request, user: Caller, *, status: int = 200, form: str = "", **ctx: Any) -> Response:
    runtime = request.app.state.runtime
    rows = [AnalysisPublic.of(s, runtime.tz).model_dump(mode="json") for s in runtime.analyses.recent(KINDS)]
    ctx.setdefault("values", {})
    ctx.setdefault("errors", {})
    ctx.setdefault("faults", [])
    return render(
        request,
        "simulations.html",
        status=status,
        rows=rows,
        form=form,
        may=_may(user),
        built_in=simulations.built_in(runtime.settings),
        max_replications=MAX_REPLICATIONS,
        kind_words=KIND_WORDS,
        **ctx,
    )


@router.get("/simulations")
def simulations_page(c: Page) -> Response:
    """The forms to start a simulated drill, and the latest runs with their state."""
    return _list_page(c.request, c.user)


def _upload(form: dict[str, Any], lang: Lang) -> tuple[str | None, str, dict[str, str]]:
    """The uploaded (or pasted) scenario's text and name, or the upload field's fault."""
    pasted = (form.get("scenario_toml") or "").strip()
    upload = form.get("scenario_file")
    if isinstance(upload, tuple):
        name, data = upload
        if len(data) > MAX_UPLOAD:
            return None, name, {"scenario_file": lang.gettext("Too large: at most 200,000 bytes.")}
        try:
            return data.decode("utf-8"), name, {}
        except UnicodeDecodeError:
            return None, name, {"scenario_file": lang.gettext("Not a UTF-8 text file: upload the scenario's TOML.")}
    if pasted:
        return pasted, "scenario_toml", {}
    return None, "", {"scenario_file": lang.gettext("Choose a scenario file, or paste its TOML.")}


@router.post("/simulations")
def start_simulation(request: Request, posted: Posted) -> Response:
    """Start a built-in drill (``form=built-in``) or an uploaded one (``form=upload``); its page, or the forms
    with every fault."""
    user, form = posted
    lang = choose(request)
    which = "upload" if form.get("form") == "upload" else "built-in"
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    data = {k: form[k] for k in ("replications", "seed") if isinstance(form.get(k), str) and form[k]}
    errors: dict[str, str] = {}
    source = "scenario_toml"
    if which == "upload":
        text, source, errors = _upload(form, lang)
        data["scenario_toml"] = text or ""
    else:
        data["scenario"] = form.get("scenario") or ""
    body, invalid = parse(SimulatedDrillIn, data, lang)
    errors = {**invalid, **errors}
    if body is None or errors:
        return _list_page(request, user, status=422, form=which, values=values, errors=errors)
    try:
        state = simulations.start(
            request.app.state.runtime,
            user,
            "drill",
            scenario=body.scenario,
            text=body.scenario_toml,
            source=source,
            replications=body.replications,
            seed=body.seed,
        )
    except ForbiddenError:
        raise
    except ScenarioError as exc:
        return _list_page(request, user, status=422, form=which, values=values, faults=exc.problems)
    except JungongError as exc:
        found = domain_errors(exc, lang, fields={"drill scenario": "scenario"})
        return _list_page(request, user, status=exc.status, form=which, values=values, errors=found)
    return RedirectResponse(f"/console/simulations/{state['id']}", status_code=303)


def _planned(result: dict[str, Any]) -> dict[str, Any]:
    """The drill result's figures as the page shows them: planned units, late ones, walk-ins, placement."""
    units = result["units"]
    planned = {c: u for c, u in units.items() if u.get("planned")}
    late = [c for c in result.get("late_units", []) if c in units]
    placement = result.get("placement") or []
    if isinstance(placement, dict):
        placement = [{"unit": k, **v} for k, v in placement.items()]
    trucks = any(((st.get("fuel_truck_utilisation") or {}).get("mean") or 0) > 0 for st in result["stations"].values())
    return {
        "survive": survive_lines(result),
        "trucks": trucks,
        "sides": any("late_side" in units[c] for c in late),
        "planned": planned,
        "on_time": len(planned) - len([c for c in late if c in planned]),
        "late": late,
        "walk_ins": {c: u for c, u in units.items() if not u.get("planned", True)},
        "placement": placement,
    }


def _pct(d: dict[str, Any] | None, sign: str = "") -> str:
    """A share with its 95% interval: ``62.5% [55.0%, 70.0%]``; ``—`` when there is none."""
    if not d or d.get("mean") is None:
        return "—"
    lo, hi = d["ci95"]
    return f"{d['mean']:{sign}.1%} [{lo:{sign}.1%}, {hi:{sign}.1%}]"


def _gain(d: dict[str, Any] | None) -> str:
    return _pct(d, "+")


def _page(request: Request, user: Caller, analysis_id: str, template: str, status: int = 200, **ctx: Any) -> Response:
    runtime = request.app.state.runtime
    state = runtime.analyses.get(analysis_id)
    if state["kind"] not in KINDS:  # a network analysis: the API's (GET /analyses/{id})
        raise UnknownCodeError("simulated drill", analysis_id)
    result = runtime.analyses.result(analysis_id) if state["status"] == "done" else None
    a = AnalysisPublic.of(state, runtime.tz, result).model_dump(mode="json")
    drill = _planned(result) if result is not None and state["kind"] == "drill" else None
    improves = [s for s in runtime.analyses.recent(("improve",)) if s["arguments"].get("drill") == analysis_id]
    ctx.setdefault("values", {})
    ctx.setdefault("errors", {})
    return render(
        request,
        template,
        status=status,
        a=a,
        r=result,
        d=drill,
        may=_may(user),
        poll=POLL_SECONDS,
        causes=CAUSES,
        budget=BUDGET,
        sides_words=SIDES,
        kind_words=KIND_WORDS,
        default_steps=DEFAULT_STEPS,
        max_steps=MAX_STEPS,
        pct=_pct,
        gain=_gain,
        definitions=DEFINITIONS,
        improves=[AnalysisPublic.of(s, runtime.tz).model_dump(mode="json") for s in improves],
        **ctx,
    )


@router.get("/simulations/{analysis_id}")
def simulation_page(analysis_id: AnalysisId, c: Page) -> Response:
    """A run: its progress while it runs (polled), then its result."""
    return _page(c.request, c.user, analysis_id, "simulation.html")


@router.get("/simulations/{analysis_id}/part")
def simulation_part(analysis_id: AnalysisId, request: Request, user: User) -> Response:
    """The run's state and result alone (what the page's polling swaps in)."""
    return _page(request, user, analysis_id, "simulation_part.html")


@router.post("/simulations/{analysis_id}/improve")
def start_improve(analysis_id: AnalysisId, request: Request, posted: Posted) -> Response:
    """Run ``improve`` on this simulated drill (same scenario, replications and seed): the improve's page, or
    this page again with the form's faults."""
    user, form = posted
    lang = choose(request)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    body, errors = parse(ImproveIn, {k: values[k] for k in ("goal", "max_steps") if values.get(k)}, lang)
    if body is not None:
        try:
            state = simulations.improve_drill(
                request.app.state.runtime, user, analysis_id, goal=body.goal, max_steps=body.max_steps
            )
        except ForbiddenError:
            raise
        except JungongError as exc:
            errors = domain_errors(exc, lang)
        else:
            return RedirectResponse(f"/console/simulations/{state['id']}", status_code=303)
    return _page(request, user, analysis_id, "simulation.html", status=422, values=values, errors=errors)


@router.post("/simulations/{analysis_id}/cancel")
def cancel_simulation(analysis_id: AnalysisId, request: Request, posted: Posted) -> Response:
    """Stop a queued or running simulation (whoever started it, or an admin), as ``POST /analyses/{id}/cancel``."""
    user, _ = posted
    runtime = request.app.state.runtime
    with suppress(ConflictError):  # finished meanwhile: its page shows how
        runtime.analyses.cancel(analysis_id, user.name, admin=user.role == Role.admin)
    runtime.analysis_jobs.cancel(analysis_id)
    return RedirectResponse(f"/console/simulations/{analysis_id}", status_code=303)
