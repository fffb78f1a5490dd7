"""Background network analyses: coverage, N-1 robustness and coverage maps of large networks.

An edge: ``POST /analyses`` checks the arguments, records the analysis
(:class:`supply.core.analyses.AnalysisStore`, capped per user and overall: 429 / 503 with
``Retry-After``) and submits its job (:mod:`supply.api.analysis_jobs`), answering 202 with the
``Location`` to poll — or, when an identical analysis of the same network is done already, 200 with
its result at once. Any reader may run analyses: they read the network and write nothing to the books.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse, JSONResponse

from supply.api import csp
from supply.api.deps import Reader, RuntimeDep
from supply.api.drill_jobs import owner_alive, process_id
from supply.api.models.analyses import AnalysisIn, AnalysisPublic
from supply.api.models.common import READ_ONE, WRITE, problems
from supply.core.analyses import AnalysisArgs
from supply.service.auth import Role

router = APIRouter(tags=["analyses"])
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
    done = state["status"] == "done"
    result = runtime.analyses.result(state["id"]) if done else None
    answer = AnalysisPublic.of(state, runtime.tz, result)
    headers = {"Location": f"/analyses/{state['id']}"}
    return JSONResponse(answer.model_dump(mode="json"), status_code=200 if done else 202, headers=headers)


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
