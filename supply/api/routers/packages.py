"""A drill's "1+1+1+1+N" package as a zip (:mod:`supply.package`): a job on the drills' pool, 202 then the file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlmodel import Session
from starlette.background import BackgroundTask

from supply.api.deps import IdPath, RuntimeDep, SessionDep, require_role
from supply.api.drill_deps import STARTERS
from supply.api.models.common import problems
from supply.api.package_jobs import RETRY_AFTER
from supply.api.runtime import Runtime
from supply.drills import chain, jobs
from supply.service.auth import Caller, require

router = APIRouter(tags=["drills"])
Starter = Annotated[Caller, Depends(require_role(STARTERS))]
Lang = Annotated[Literal["zh", "en"], Query(description="zh (default: Chinese, the English beside it) or en")]
Speed = Annotated[float, Query(gt=0, le=86_400, description="the film's pace: simulated seconds per second (600)")]
ZIP = {"application/zip": {"schema": {"type": "string", "format": "binary"}}}


@router.get(
    "/drills/{drill_id}/package.zip",
    response_class=Response,
    responses={
        200: {"description": "the package: one drill-package/ folder, open its index.html", "content": ZIP},
        202: {"description": "the package is being written: ask again after Retry-After seconds"},
        **problems(401, 403, 404, 409, 422, 429, 503),
    },
)
def get_package(
    drill_id: IdPath, session: SessionDep, runtime: RuntimeDep, user: Starter, lang: Lang = "zh", speed: Speed = 600
) -> Response:
    """The drill's package — command organisation, procedure, action plan, film, teams, with the report, the map
    and the review — as a zip that opens offline. The first request starts a job on the drills' pool and answers
    202 (``Retry-After``); ask again until 200 with the file. Who may start a drill may ask (officers,
    commanders, admins), within the same queue limits (429 for a user's, 503 for the server's); 409 for a drill
    still planning or failed."""
    path = package_job(session, runtime, drill_id, lang, user, speed)
    if path is None:
        return JSONResponse(
            {"status": "running", "drill": drill_id, "lang": lang},
            status_code=202,
            headers={"Retry-After": str(RETRY_AFTER), "Location": f"/drills/{drill_id}/package.zip?lang={lang}"},
        )
    return package_file(runtime, drill_id, lang, path)


def package_job(
    session: Session, runtime: Runtime, drill_id: int, lang: str, user: Caller, speed: float = 600
) -> Path | None:
    """The drill's package if written (send it with :func:`package_file`), else ``None`` with its job started
    or running; 403 unless the user may start drills, 409 while the drill is planning or failed."""
    require(user, STARTERS)
    drill = chain.get_drill(session, drill_id)
    jobs.require_planned(drill, "package")
    pj, dj = runtime.package_jobs, runtime.jobs
    return pj.get(drill_id, lang, user.name, dj.url, dj.base_dir, str(runtime.tz), speed)


def package_file(runtime: Runtime, drill_id: int, lang: str, path: Path) -> FileResponse:
    """The written package as a download (then dropped: the next request writes the drill as it stands)."""
    pj = runtime.package_jobs
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"drill-{drill_id}-package-{lang}.zip",
        background=BackgroundTask(pj.served, path),
    )
