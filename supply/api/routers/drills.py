"""Live drills: start from the action plan, the command chain, unit times, board, review, close.

This router is an edge: starting a drill runs its simulation (:mod:`simulation.action_plan`) and
hands the plan, as plain JSON, to the core (:mod:`supply.drills.start`). A drill is never
deleted (``DELETE`` answers 405); it is closed.
"""

from __future__ import annotations

import tomllib
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from supply.api.board_page import board_page
from supply.api.deps import CodePath, IdPath, Limit, Offset, Reader, RuntimeDep, SessionDep
from supply.api.drill_deps import MemberWriterDep, StarterWriterDep
from supply.core.errors import InvalidArgumentError, NotAllowedError, UnknownCodeError
from supply.core.scenario import Scenario, load_scenario, scenario_from_text
from supply.core.settings import Settings
from supply.drills import board, chain, orders, procedure, start
from supply.drills.review import review
from supply.drills.teams import sync_teams

router = APIRouter(tags=["drills"])
Format = Annotated[Literal["json", "html"], Query(description="json (default) or a self-contained HTML page")]
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
    try:
        meta = tomllib.loads(text).get("scenario", {})
    except tomllib.TOMLDecodeError as exc:
        msg = f"scenario_toml: not valid TOML: {exc}"
        raise InvalidArgumentError(msg) from None
    base = meta.get("extends") if isinstance(meta, dict) else None
    root = settings.scenarios_dir.resolve()
    if base is not None and (not isinstance(base, str) or not (folder / base).resolve().is_relative_to(root)):
        msg = "scenario_toml: scenario.extends may only name a file in the built-in scenarios folder"
        raise InvalidArgumentError(msg)
    return scenario_from_text(text, source="scenario_toml", base_dir=folder)


@router.post("/drills", status_code=201, responses={422: {"description": "invalid scenario"}})
def post_drill(body: start.DrillIn, w: StarterWriterDep, runtime: RuntimeDep):
    """Start a live drill: its units become exercise support requests, the plan's dispatches are proposed."""
    from simulation.action_plan import scenario_plan
    from simulation.spec import drill_spec

    scenario = drill_scenario(runtime.settings, body)
    spec = drill_spec(scenario)
    reps = body.replications or min(spec.replications, LIVE_REPLICATIONS)
    plan = scenario_plan(scenario, replications=reps, seed=body.seed)
    factors, user = runtime.factors, w.user

    def run(s):
        sync_teams(s, scenario, w.actor)
        drill, skipped = start.start_drill(
            s, user, scenario, plan, factors, name=body.name, start_at=body.start_at, procedure=body.procedure
        )
        out = board.drill_dict(drill, w.tz)
        out["units_without_request"] = skipped
        out["dispatches"] = [
            {"id": d.id, "request_id": d.request_id, "station": d.station, "status": d.status}
            for d in board.drill_dispatches(s, drill.id)
        ]
        return 201, out

    return w.run(body, run)


@router.get("/drills")
def get_drills(session: SessionDep, runtime: RuntimeDep, _: Reader, limit: Limit = 100, offset: Offset = 0):
    return [board.drill_dict(d, runtime.tz) for d in chain.list_drills(session, limit=limit, offset=offset)]


@router.get("/drills/{drill_id}")
def get_drill(drill_id: IdPath, session: SessionDep, runtime: RuntimeDep, _: Reader) -> dict:
    drill = chain.get_drill(session, drill_id)
    return {
        **board.drill_dict(drill, runtime.tz),
        "members": chain.members(session, drill_id),
        "procedure": procedure.procedure(session, drill, runtime.tz),
    }


@router.delete("/drills/{drill_id}", status_code=405, responses={405: {"description": "never allowed"}})
def delete_drill(drill_id: IdPath, session: SessionDep, _: Reader):
    """A drill cannot be deleted: close it, and its record stays."""
    chain.get_drill(session, drill_id)
    msg = f"drill {drill_id} cannot be deleted: close it (POST /drills/{drill_id}/close); its record stays"
    raise NotAllowedError(msg)


@router.post("/drills/{drill_id}/close", responses={409: {"description": "already closed"}})
def post_close(drill_id: IdPath, w: MemberWriterDep):
    """Close the drill (joint command): everything after is read-only."""
    return w.run(None, lambda s: (200, board.drill_dict(chain.close_drill(s, w.user, drill_id), w.tz)))


@router.get("/drills/{drill_id}/plan", response_model=None)
def get_plan(drill_id: IdPath, session: SessionDep, _: Reader, format: Format = "json"):
    """The action plan the drill started from (JSON, or a printable HTML page)."""
    from simulation.action_plan import plan_html

    drill = chain.get_drill(session, drill_id)
    if format == "html":
        return HTMLResponse(plan_html(drill.plan, drill.start_at))
    return drill.plan


@router.post("/drills/{drill_id}/members", status_code=201)
def post_member(drill_id: IdPath, body: chain.MemberIn, w: MemberWriterDep):
    """Appoint a user as joint command, a station's command or a team's leader (joint command only)."""

    def run(s):
        chain.add_member(s, w.user, drill_id, body)
        return 201, chain.members(s, drill_id)

    return w.run(body, run)


@router.get("/drills/{drill_id}/members")
def get_members(drill_id: IdPath, session: SessionDep, _: Reader) -> list[dict]:
    chain.get_drill(session, drill_id)
    return chain.members(session, drill_id)


@router.post("/drills/{drill_id}/orders", status_code=201, responses={403: {"description": "not in the chain"}})
def post_order(drill_id: IdPath, body: orders.OrderIn, w: MemberWriterDep):
    """Issue an order to a station (joint command) or a team (joint command, or its station's command)."""

    def run(s):
        order = orders.issue_order(s, w.user, drill_id, body)
        return 201, orders.order_dicts(s, [order], w.tz)[0]

    return w.run(body, run)


@router.get("/drills/{drill_id}/orders")
def get_orders(
    drill_id: IdPath, session: SessionDep, runtime: RuntimeDep, user: Reader, open_only: bool = False
) -> list[dict]:
    """The orders the caller may see (a team leader: their team's; a station command: their station's)."""
    chain.get_drill(session, drill_id)
    visible = orders.visible_orders(session, drill_id, user, open_only=open_only)
    return orders.order_dicts(session, visible, runtime.tz)


@router.post("/drills/{drill_id}/orders/{order_id}/status", responses={409: {"description": "illegal step"}})
def post_order_status(drill_id: IdPath, order_id: IdPath, body: orders.OrderStatusIn, w: MemberWriterDep):
    """The recipient acknowledges, starts, finishes or refuses (with a reason) an order."""

    def run(s):
        order = orders.move_order(s, w.user, drill_id, order_id, body)
        return 200, orders.order_dicts(s, [order], w.tz)[0]

    return w.run(body, run)


@router.post("/drills/{drill_id}/steps/{step}")
def post_step(drill_id: IdPath, step: CodePath, body: procedure.StepDoneIn, w: MemberWriterDep):
    """Record that the procedure reached a step (joint command)."""

    def run(s):
        procedure.mark_step(s, w.user, drill_id, step, body.at)
        return 200, procedure.procedure(s, chain.get_drill(s, drill_id), w.tz)

    return w.run(body, run)


@router.get("/drills/{drill_id}/procedure")
def get_procedure(drill_id: IdPath, session: SessionDep, runtime: RuntimeDep, _: Reader) -> list[dict]:
    """Each step's actual duration against its target."""
    return procedure.procedure(session, chain.get_drill(session, drill_id), runtime.tz)


@router.post("/drills/{drill_id}/units/{code}/times")
def post_unit_times(drill_id: IdPath, code: CodePath, body: board.UnitTimesIn, w: MemberWriterDep):
    """Record when a unit really arrived, was fed (the last of it) and left."""

    def run(s):
        unit = board.record_unit_times(s, w.user, drill_id, code, body)
        return 200, board.unit_dict(unit, w.tz, [])

    return w.run(body, run)


@router.get("/drills/{drill_id}/board")
def get_board(drill_id: IdPath, session: SessionDep, runtime: RuntimeDep, user: Reader) -> dict:
    """Units planned vs actual, the caller's open orders (overdue flagged), teams, stock vs the plan."""
    return board.board(session, chain.get_drill(session, drill_id), user, runtime.tz)


@router.get("/drills/{drill_id}/board.html", response_class=HTMLResponse)
def get_board_page(drill_id: IdPath) -> HTMLResponse:
    """The command post's page: refreshes itself from ``/board`` and keeps the last board when offline."""
    return HTMLResponse(board_page(drill_id))


@router.get("/drills/{drill_id}/review", response_model=None)
def get_review(drill_id: IdPath, session: SessionDep, runtime: RuntimeDep, _: Reader, format: Format = "json"):
    """The after-action review: reality against the simulated 95% bands (JSON, or HTML with plots)."""
    rv = review(session, chain.get_drill(session, drill_id), runtime.tz)
    if format == "html":
        from simulation.review_report import review_html

        return HTMLResponse(review_html(rv))
    return rv
