"""Live drills: start from the action plan, the command chain, unit times, board, review, close.

This router is an edge: starting a drill validates it, estimates its work (refused above the
``drill_work_limit`` setting), writes it as ``planning`` and answers 202; its simulation
(:mod:`simulation.action_plan`) runs as a job (:mod:`supply.api.drill_jobs`), never in the request. A drill is never
deleted (``DELETE`` answers 405); it is closed.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from supply.api import csp
from supply.api.deps import CodePath, IdPath, Limit, Offset, Reader, RuntimeDep, SessionDep
from supply.api.drill_deps import MemberWriterDep, StarterWriterDep
from supply.api.drill_jobs import process_id
from supply.api.models.common import READ, READ_ONE, WRITE, problems
from supply.api.models.drills import (
    BoardPublic,
    DrillDetailPublic,
    DrillDispatchPublic,
    DrillPublic,
    MemberPublic,
    OrderPublic,
    PlanPublic,
    StepPublic,
    UnitPublic,
)
from supply.api.models.review import ReviewPublic
from supply.core.errors import NotAllowedError, UnknownCodeError
from supply.core.scenario import Scenario, load_scenario, scenario_from_text
from supply.core.settings import Settings
from supply.drills import board, chain, jobs, orders, procedure, start
from supply.drills.models import Drill
from supply.drills.review import close_with_review, drill_review
from supply.service.models import id_of

router = APIRouter(tags=["drills"])
Format = Annotated[Literal["json", "html"], Query(description="json (default) or a self-contained HTML page")]


#: A JSON document, or the same as a self-contained HTML page with ``?format=html``; 409 until the drill is open.
def _json_or_html(what: str) -> dict[int | str, dict]:
    html = {"text/html": {"schema": {"type": "string"}}}
    ok: dict[int | str, dict] = {200: {"description": f"{what} (JSON, or HTML with ?format=html)", "content": html}}
    return {**ok, **problems(401, 403, 404, 409, 422, 503)}


#: Default simulation size for a live drill's plan (the request waits for it).
LIVE_REPLICATIONS = 100


def drill_scenario(settings: Settings, body: start.DrillIn) -> Scenario:
    """The scenario named (in ``scenarios/drills/``) or given as TOML (``extends`` only within scenarios)."""
    folder = settings.scenarios_dir / "drills"
    if body.scenario is not None:
        path = folder / f"{body.scenario}.toml"
        if not path.is_file():
            known = sorted(p.stem for p in folder.glob("*.toml"))
            raise UnknownCodeError("drill scenario", body.scenario, known)
        return load_scenario(path)
    text = body.scenario_toml or ""
    return scenario_from_text(text, source="scenario_toml", base_dir=folder, confine=settings.scenarios_dir)


@router.post("/drills", status_code=202, response_model=DrillPublic, responses={**WRITE, **problems(429)})
def post_drill(body: start.DrillIn, w: StarterWriterDep, runtime: RuntimeDep) -> Response:
    """Start a live drill: answered at once (``planning``, 422 if invalid or too large to simulate).

    Drills still planning are capped: 429 over ``JUNGONG_DRILL_QUEUE_PER_USER`` of the caller's own,
    503 over ``JUNGONG_DRILL_QUEUE`` in all (both with ``Retry-After``); planning jobs are served
    round-robin across users.

    Its plan is simulated outside the request; ``GET /drills/{id}`` (the ``Location``) shows its
    progress, then ``open`` with its exercise support requests and proposed dispatches, or
    ``failed`` with the reason.
    """
    from simulation.spec import check_work, drill_spec

    scenario = drill_scenario(runtime.settings, body)
    spec = drill_spec(scenario)
    reps = body.replications or min(spec.replications, LIVE_REPLICATIONS)
    check_work(spec, reps, runtime.settings.drill_work_limit, source=scenario.source)
    job = {"replications": reps, "seed": body.seed}
    owner = process_id()

    settings = runtime.settings

    def run(s: Session) -> tuple[int, DrillPublic]:
        jobs.check_queue(s, w.user.name, per_user=settings.drill_queue_per_user, overall=settings.drill_queue)
        drill = start.create_drill(
            s, w.user, scenario, job=job, name=body.name, start_at=body.start_at, procedure=body.procedure, owner=owner
        )
        return 202, DrillPublic.of(drill, w.tz)

    response = w.run(body, run)
    drill_id = json.loads(bytes(response.body))["id"]
    response.headers["Location"] = f"/drills/{drill_id}"
    if response.headers.get("Idempotent-Replayed") != "true":
        runtime.jobs.submit(drill_id, w.user.name)
    return response


@router.post("/drills/{drill_id}/cancel", response_model=DrillPublic, responses=WRITE)
def post_cancel(drill_id: IdPath, w: MemberWriterDep, runtime: RuntimeDep) -> Response:
    """Stop a drill's planning (its joint command or an admin): it becomes ``failed``, reason "cancelled by …"."""
    response = w.run(None, lambda s: (200, DrillPublic.of(jobs.cancel(s, w.user, drill_id), w.tz)))
    runtime.jobs.cancel(drill_id)
    return response


@router.get("/drills", responses=READ)
def get_drills(
    session: SessionDep, runtime: RuntimeDep, _: Reader, limit: Limit = 100, offset: Offset = 0
) -> list[DrillPublic]:
    return [DrillPublic.of(d, runtime.tz) for d in chain.list_drills(session, limit=limit, offset=offset)]


@router.get("/drills/{drill_id}", responses=READ_ONE)
def get_drill(drill_id: IdPath, session: SessionDep, runtime: RuntimeDep, _: Reader) -> DrillDetailPublic:
    drill = chain.get_drill(session, drill_id)
    job = drill.job or {}
    return DrillDetailPublic.model_validate(
        {
            **DrillPublic.fields(drill, runtime.tz),
            "members": [MemberPublic.of(m) for m in chain.members(session, drill_id)],
            "procedure": [StepPublic.of(p, runtime.tz) for p in procedure.procedure(session, drill)],
            "units_without_request": job.get("units_without_request", []),
            "dispatches": [
                DrillDispatchPublic(id=id_of(d), request_id=d.request_id, station=d.station, status=d.status)
                for d in board.drill_dispatches(session, id_of(drill))
            ],
        }
    )


@router.delete(
    "/drills/{drill_id}", status_code=405, response_class=Response, responses=problems(401, 403, 404, 405, 422, 503)
)
def delete_drill(drill_id: IdPath, session: SessionDep, _: Reader) -> None:
    """A drill cannot be deleted: close it, and its record stays (always a 405 problem)."""
    chain.get_drill(session, drill_id)
    msg = f"drill {drill_id} cannot be deleted: close it (POST /drills/{drill_id}/close); its record stays"
    raise NotAllowedError(msg)


@router.post("/drills/{drill_id}/close", response_model=DrillPublic, responses=WRITE)
def post_close(drill_id: IdPath, w: MemberWriterDep) -> Response:
    """Close the drill (joint command): everything after is read-only, its review frozen (409 if already closed)."""
    return w.run(None, lambda s: (200, DrillPublic.of(close_with_review(s, w.user, drill_id, w.tz), w.tz)))


@router.get("/drills/{drill_id}/plan", response_model=PlanPublic, responses=_json_or_html("the action plan"))
def get_plan(drill_id: IdPath, session: SessionDep, _: Reader, format: Format = "json") -> Response | PlanPublic:
    """The action plan the drill started from (JSON, or a printable HTML page); 409 while it plans or once it failed."""
    drill = chain.get_drill(session, drill_id)
    jobs.require_planned(drill, "action plan")
    if format == "html":
        return plan_page(drill)
    return drill.plan


def plan_page(drill: Drill) -> HTMLResponse:
    """The drill's action plan as a printable HTML page (also the console's); 409 unless open or closed."""
    from simulation.action_plan import plan_html

    jobs.require_planned(drill, "action plan")
    return HTMLResponse(plan_html(drill.plan, drill.start_at), headers={csp.HEADER: csp.DOCUMENT})


@router.post("/drills/{drill_id}/members", status_code=201, response_model=list[MemberPublic], responses=WRITE)
def post_member(drill_id: IdPath, body: chain.MemberIn, w: MemberWriterDep) -> Response:
    """Appoint a user as joint command, a station's command or a team's leader (joint command only); all members."""

    def run(s: Session) -> tuple[int, list[MemberPublic]]:
        chain.add_member(s, w.user, drill_id, body)
        return 201, [MemberPublic.of(m) for m in chain.members(s, drill_id)]

    return w.run(body, run)


@router.get("/drills/{drill_id}/members", responses=READ_ONE)
def get_members(drill_id: IdPath, session: SessionDep, _: Reader) -> list[MemberPublic]:
    chain.get_drill(session, drill_id)
    return [MemberPublic.of(m) for m in chain.members(session, drill_id)]


@router.post("/drills/{drill_id}/orders", status_code=201, response_model=OrderPublic, responses=WRITE)
def post_order(drill_id: IdPath, body: orders.OrderIn, w: MemberWriterDep) -> Response:
    """Issue an order to a station (joint command) or a team (joint command, or its station's command)."""

    def run(s: Session) -> tuple[int, OrderPublic]:
        order = orders.issue_order(s, w.user, drill_id, body)
        return 201, OrderPublic.of(orders.order_views(s, [order])[0], w.tz)

    return w.run(body, run)


@router.get("/drills/{drill_id}/orders", responses=READ_ONE)
def get_orders(
    drill_id: IdPath, session: SessionDep, runtime: RuntimeDep, user: Reader, open_only: bool = False
) -> list[OrderPublic]:
    """The orders the caller may see (a team leader: their team's; a station command: their station's)."""
    chain.get_drill(session, drill_id)
    visible = orders.visible_orders(session, drill_id, user, open_only=open_only)
    return [OrderPublic.of(v, runtime.tz) for v in orders.order_views(session, visible)]


@router.post("/drills/{drill_id}/orders/{order_id}/status", response_model=OrderPublic, responses=WRITE)
def post_order_status(drill_id: IdPath, order_id: IdPath, body: orders.OrderStatusIn, w: MemberWriterDep) -> Response:
    """The recipient acknowledges, starts, finishes or refuses (with a reason) an order (409 on an illegal step)."""

    def run(s: Session) -> tuple[int, OrderPublic]:
        order = orders.move_order(s, w.user, drill_id, order_id, body)
        return 200, OrderPublic.of(orders.order_views(s, [order])[0], w.tz)

    return w.run(body, run)


@router.post("/drills/{drill_id}/steps/{step}", response_model=list[StepPublic], responses=WRITE)
def post_step(drill_id: IdPath, step: CodePath, body: procedure.StepDoneIn, w: MemberWriterDep) -> Response:
    """Record that the procedure reached a step (joint command); the whole procedure."""

    def run(s: Session) -> tuple[int, list[StepPublic]]:
        procedure.mark_step(s, w.user, drill_id, step, body.at)
        return 200, [StepPublic.of(p, w.tz) for p in procedure.procedure(s, chain.get_drill(s, drill_id))]

    return w.run(body, run)


@router.get("/drills/{drill_id}/procedure", responses=READ_ONE)
def get_procedure(drill_id: IdPath, session: SessionDep, runtime: RuntimeDep, _: Reader) -> list[StepPublic]:
    """Each step's actual duration against its target."""
    return [StepPublic.of(p, runtime.tz) for p in procedure.procedure(session, chain.get_drill(session, drill_id))]


@router.post("/drills/{drill_id}/units/{code}/times", response_model=UnitPublic, responses=WRITE)
def post_unit_times(drill_id: IdPath, code: CodePath, body: board.UnitTimesIn, w: MemberWriterDep) -> Response:
    """Record when a unit really arrived, was fed (the last of it) and left."""

    def run(s: Session) -> tuple[int, UnitPublic]:
        unit = board.record_unit_times(s, w.user, drill_id, code, body)
        return 200, UnitPublic.of(unit, [], w.tz)

    return w.run(body, run)


@router.get("/drills/{drill_id}/board", responses=READ_ONE)
def get_board(drill_id: IdPath, session: SessionDep, runtime: RuntimeDep, user: Reader) -> BoardPublic:
    """Units planned vs actual, the caller's open orders (overdue flagged), teams, stock vs the plan."""
    return BoardPublic.of(board.board(session, chain.get_drill(session, drill_id), user), runtime.tz)


@router.get(
    "/drills/{drill_id}/board.html",
    status_code=308,
    response_class=RedirectResponse,
    responses={
        308: {
            "description": "the console's board",
            "headers": {"Location": {"description": "/console/drills/{id}", "schema": {"type": "string"}}},
        },
        **problems(422),
    },
)
def get_board_page(drill_id: IdPath) -> RedirectResponse:
    """The command post's page is the console's board (``/console/drills/{id}``: sign-in, controls, offline
    banner); the JSON board stays at ``/drills/{id}/board``."""
    return RedirectResponse(f"/console/drills/{drill_id}", status_code=308)


@router.get(
    "/drills/{drill_id}/review", response_model=ReviewPublic, responses=_json_or_html("the after-action review")
)
def get_review(
    drill_id: IdPath, session: SessionDep, runtime: RuntimeDep, _: Reader, format: Format = "json"
) -> Response | dict:
    """The after-action review: reality against the simulated 95% bands (JSON, or HTML with plots);
    409 for a drill still planning or failed."""
    rv = drill_review(session, chain.get_drill(session, drill_id), runtime.tz)
    if format == "html":
        return review_page(rv)
    return rv


def review_page(rv: dict) -> HTMLResponse:
    """A review (:func:`~supply.drills.review.drill_review`) as an HTML page with plots (also the console's)."""
    from simulation.review_report import review_html

    return HTMLResponse(review_html(rv), headers={csp.HEADER: csp.DOCUMENT})
