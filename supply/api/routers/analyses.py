"""Background network analyses: coverage, N-1 robustness and coverage maps of large networks.

An edge: ``POST /analyses`` checks the arguments, records the analysis
(:class:`supply.core.analyses.AnalysisStore`, capped per user and overall: 429 / 503 with
``Retry-After``) and submits its job (:mod:`supply.api.analysis_jobs`), answering 202 with the
``Location`` to poll — or, when an identical analysis of the same network is done already, 200 with
its result at once. Any reader may run analyses: they read the network and write nothing to the books.
Simulated drills and ``improve`` (``POST /analyses/drill``, ``/analyses/improve``:
:mod:`supply.api.simulations`) are polled the same way; planners, commanders and admins run them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import FileResponse, JSONResponse

from supply.api import csp, simulations
from supply.api.deps import Reader, RuntimeDep, require_role
from supply.api.drill_jobs import owner_alive, process_id
from supply.api.models.analyses import AnalysisIn, AnalysisPublic, ImproveIn, SimulatedDrillIn
from supply.api.models.common import READ_ONE, WRITE, problems
from supply.core.analyses import AnalysisArgs
from supply.core.errors import InvalidArgumentError
from supply.service.auth import Caller, Role

router = APIRouter(tags=["analyses"])
#: Who may run simulated drills and improve (refused before the body is read).
Simulator = Annotated[Caller, Depends(require_role(simulations.SIMULATORS))]
AnalysisId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the analysis's id")]
#: Answered at once (done) or accepted (queued, running); refused: too many, server busy, bad input.
POST = {
    200: {"model": AnalysisPublic, "description": "an identical analysis of the same network is done: its result"},
    **problems(400, 401, 403, 404, 409, 413, 422, 429, 503),
}
MAP_PAGE = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "the coverage map page"},
    **problems(401, 403, 404, 409, 422, 503),
}
DEFAULT_MINUTES = {"coverage": "30,60,120", "map": "30,60,120", "robustness": "60"}


@router.post("/analyses", status_code=202, response_model=AnalysisPublic, responses=POST)
def post_analysis(body: AnalysisIn, user: Reader, runtime: RuntimeDep) -> JSONResponse:
    """Start an analysis of the stored scenario's network in the background (202, poll its ``Location``).

    Identical arguments on an unchanged network share one analysis: a finished one answers 200 with
    its result at once, one still running is joined. Unknown links are reported by the job (``failed``).
    """
    args = AnalysisArgs.parse(
        body.kind,
        body.minutes or DEFAULT_MINUTES[body.kind],
        close=body.close,
        offline=body.offline,
        slow=body.slow,
        tiers=list(body.tiers),
        links=body.links,
    )
    scenario = runtime.scenario
    for code in args.offline:
        scenario.station(code)  # an unknown station is 404 now, not a failed job later
    settings = runtime.settings
    state, new = runtime.analyses.start(
        args,
        runtime.network_key(),
        user=user.name,
        owner=process_id(),
        per_user=settings.analysis_jobs_per_user,
        overall=settings.analysis_jobs,
        alive=owner_alive,
    )
    if new:
        runtime.analysis_jobs.submit(runtime.analyses, state, scenario, settings.network_cache_dir)
    return _accepted(state, runtime)


def _accepted(state: dict, runtime: RuntimeDep) -> JSONResponse:
    """200 with the result when the analysis is done already, else 202; ``Location`` to poll either way."""
    done = state["status"] == "done"
    result = runtime.analyses.result(state["id"]) if done else None
    answer = AnalysisPublic.of(state, runtime.tz, result)
    headers = {"Location": f"/analyses/{state['id']}"}
    return JSONResponse(answer.model_dump(mode="json"), status_code=200 if done else 202, headers=headers)


@router.post("/analyses/drill", status_code=202, response_model=AnalysisPublic, responses=POST)
def post_simulated_drill(body: SimulatedDrillIn, user: Simulator, runtime: RuntimeDep) -> JSONResponse:
    """Simulate a drill in the background, as ``jungong drill --json`` (planners, commanders, admins; 202).

    A built-in drill by name (``guangzhou``, or a file of ``scenarios/drills/``) or a scenario's TOML
    text, checked as the CLI checks it (422 naming every fault's key path) and refused above the work
    limit (``JUNGONG_DRILL_WORK_LIMIT``). Poll the ``Location``: its ``progress``, then its ``result``.
    """
    state = simulations.start(
        runtime,
        user,
        "drill",
        scenario=body.scenario,
        text=body.scenario_toml,
        replications=body.replications,
        seed=body.seed,
    )
    return _accepted(state, runtime)


@router.post("/analyses/improve", status_code=202, response_model=AnalysisPublic, responses=POST)
def post_improve(body: ImproveIn, user: Simulator, runtime: RuntimeDep) -> JSONResponse:
    """Search the changes that bring a drill's planned units on time, as ``jungong improve --json``, in the
    background (planners, commanders, admins; 202) — on a simulated drill (``drill``: its id) or a scenario.

    Bounded: ``max_steps`` (at most 20) and the work of every step's screening under the work limit.
    """
    if body.drill is not None:
        if body.scenario is not None or body.scenario_toml is not None:
            msg = "give 'drill' (a simulated drill's id) or a scenario, not both"
            raise InvalidArgumentError(msg)
        state = simulations.improve_drill(runtime, user, body.drill, goal=body.goal, max_steps=body.max_steps)
    else:
        state = simulations.start(
            runtime,
            user,
            "improve",
            scenario=body.scenario,
            text=body.scenario_toml,
            replications=body.replications,
            seed=body.seed,
            goal=body.goal,
            max_steps=body.max_steps,
        )
    return _accepted(state, runtime)


@router.get("/analyses/{analysis_id}", responses=READ_ONE)
def get_analysis(
    analysis_id: AnalysisId,
    _: Reader,
    runtime: RuntimeDep,
    result: Annotated[bool, Query(description="include the result once done (false: the state alone)")] = True,
) -> AnalysisPublic:
    """The analysis's status (queued, running, done, failed, cancelled), progress and, once done, its result."""
    state = runtime.analyses.get(analysis_id)
    found = runtime.analyses.result(analysis_id) if result and state["status"] == "done" else None
    return AnalysisPublic.of(state, runtime.tz, found)


@router.get("/analyses/{analysis_id}/map.html", response_class=FileResponse, responses=MAP_PAGE)
def get_analysis_map(analysis_id: AnalysisId, _: Reader, runtime: RuntimeDep) -> FileResponse:
    """A finished ``map`` analysis's coverage map (409 while it runs, or for other kinds)."""
    path = runtime.analyses.map_path(analysis_id)
    policy = csp.for_map(path.read_text(encoding="utf-8"))
    return FileResponse(path, media_type="text/html", headers={csp.HEADER: policy})


@router.post("/analyses/{analysis_id}/cancel", response_model=AnalysisPublic, responses=WRITE)
def post_cancel_analysis(analysis_id: AnalysisId, user: Reader, runtime: RuntimeDep) -> AnalysisPublic:
    """Cancel a queued or running analysis (whoever started it, or an admin); it stops at its next progress step."""
    state = runtime.analyses.cancel(analysis_id, user.name, admin=user.role == Role.admin)
    runtime.analysis_jobs.cancel(analysis_id)
    return AnalysisPublic.of(state, runtime.tz)
