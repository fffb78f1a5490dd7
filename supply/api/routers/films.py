"""A live drill's demonstration film: ``GET /drills/{id}/film.mp4`` and ``/film.html`` (any reader).

Rendered in the background (:mod:`supply.api.film_jobs`): the first request answers 202 with the
job's progress (poll the same URL, ``Retry-After`` seconds later); once rendered, 200 with the file.
The film is of the drill's record as it stands: recording more times makes the next request a new film.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, JSONResponse, Response

from supply.api import csp
from supply.api.deps import IdPath, Reader, RuntimeDep, SessionDep
from supply.api.film_jobs import MEDIA, POLL_AFTER, start_film
from supply.api.models.common import problems

router = APIRouter(tags=["drills"])
Lang = Annotated[Literal["zh", "en"], Query(description="the film's language: zh (default) or en")]
Speed = Annotated[float, Query(gt=0, le=86_400, description="simulated seconds per second of film (default 600)")]

_PENDING = {
    "description": "the film is rendering: poll the same URL after Retry-After seconds",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "status": {"type": "string", "enum": ["queued", "running"]},
                    "progress": {"type": "number"},
                    "error": {"type": ["string", "null"], "description": "why the previous render failed"},
                },
            }
        }
    },
}


def _responses(media: str, what: str) -> dict[int | str, dict[str, Any]]:
    ok = {"description": what, "content": {media: {"schema": {"type": "string", "format": "binary"}}}}
    return {200: ok, 202: _PENDING, **problems(401, 403, 404, 409, 422, 429, 503)}


def _film(drill_id: int, fmt: str, lang: str, speed: float, user: Any, session: Any, runtime: Any) -> Response:
    from supply.drills.film import live_timeline

    script = live_timeline(session, drill_id, runtime.tz).to_dict()
    state, path = start_film(runtime, user.name, drill_id, script, fmt, lang, speed)
    if state["status"] == "done" and path.is_file():
        headers = {csp.HEADER: csp.for_map(path.read_text("utf-8"))} if fmt == "html" else {}
        return FileResponse(path, media_type=MEDIA[fmt], headers=headers, filename=f"drill-{drill_id}-film.{fmt}")
    body = {"id": state["id"], "status": state["status"], "progress": state["progress"], "error": state["error"]}
    headers = {"Retry-After": str(POLL_AFTER), "Location": f"/drills/{drill_id}/film.{fmt}"}
    return JSONResponse(body, status_code=202, headers=headers)


@router.get("/drills/{drill_id}/film.mp4", response_class=Response, responses=_responses("video/mp4", "the film"))
def get_film_mp4(
    drill_id: IdPath, user: Reader, session: SessionDep, runtime: RuntimeDep, lang: Lang = "zh", speed: Speed = 600
) -> Response:
    """The drill's film as an MP4 (H.264, 1280×720, captions burnt in); 202 while it renders, 409 until the
    drill is planned."""
    return _film(drill_id, "mp4", lang, speed, user, session, runtime)


@router.get(
    "/drills/{drill_id}/film.html", response_class=Response, responses=_responses("text/html", "the film's player")
)
def get_film_html(
    drill_id: IdPath, user: Reader, session: SessionDep, runtime: RuntimeDep, lang: Lang = "zh", speed: Speed = 600
) -> Response:
    """The drill's film as one offline HTML page (play/pause, time slider, speed, routes layer); 202 while it
    renders, 409 until the drill is planned."""
    return _film(drill_id, "html", lang, speed, user, session, runtime)
