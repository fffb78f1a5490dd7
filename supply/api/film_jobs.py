"""A live drill's film, rendered as a background job: ``GET /drills/{id}/film.mp4|film.html``.

The request reads the drill's film script (:func:`supply.drills.film.live_timeline`: quick, from
the database) and keys the film by the script's content, the format, language and speed: a
film is rendered once per state of the drill's record, as an analysis of kind ``film`` in the
analyses' store (:class:`~supply.core.analyses.AnalysisStore`: the same caps per user and overall,
429 / 503 with ``Retry-After``), on the same job pool (:meth:`supply.api.drill_jobs.DrillJobs.run`).
While it renders the same URL answers 202 with its progress; once done, 200 with the file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supply.api.analysis_jobs import run_stored, throttled
from supply.api.drill_jobs import owner_alive, process_id
from supply.core.analyses import AnalysisStore

#: Seconds a client is told to wait before asking again while the film renders.
POLL_AFTER = 2
MEDIA = {"mp4": "video/mp4", "html": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class FilmArgs:
    """Which film: of drill ``drill`` whose script hashes to ``content``, as ``format``, ``lang``, ``speed``."""

    drill: int
    content: str
    format: str
    lang: str
    speed: float

    @property
    def kind(self) -> str:
        return "film"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "film", "drill": self.drill, "format": self.format, "lang": self.lang, "speed": self.speed}

    def key(self, network_key: str) -> str:
        text = json.dumps({"network": network_key, "content": self.content, **self.as_dict()}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def film_name(fmt: str) -> str:
    return f"film.{fmt}"


def start_film(
    runtime: Any, user: str, drill_id: int, script: dict[str, Any], fmt: str, lang: str, speed: float
) -> tuple[dict[str, Any], Path]:
    """Start (or join, or find done) the film job; its state and where its file is (once done)."""
    content = hashlib.sha256(json.dumps(script, sort_keys=True, default=str).encode()).hexdigest()
    args = FilmArgs(drill_id, content, fmt, lang, speed)
    store: AnalysisStore = runtime.analyses
    settings = runtime.settings
    state, new = store.start(
        args,
        runtime.network_key(),
        user=user,
        owner=process_id(),
        per_user=settings.analysis_jobs_per_user,
        overall=settings.analysis_jobs,
        alive=owner_alive,
    )
    path = store.folder / state["id"] / film_name(fmt)
    if new:
        folder, run = str(store.folder), state["run"]
        runtime.analysis_jobs.submit_job(
            store, state, run_film, folder, store.keep, state["id"], run, script, fmt, lang, speed
        )
    return state, path


def run_film(
    folder: str, keep: int, analysis_id: str, run: str, script: dict[str, Any], fmt: str, lang: str, speed: float
) -> str:
    """Render the film (in a worker process) beside its state; returns the job's final status."""

    def render(store: AnalysisStore) -> tuple[dict[str, Any], None]:
        from maps.film import write_film
        from supply.core.timeline import Timeline

        path = Path(folder) / analysis_id / film_name(fmt)
        write_film(
            Timeline.from_dict(script), path, lang=lang, speed=speed, progress=throttled(store, analysis_id, run)
        )
        return {"file": path.name, "bytes": path.stat().st_size}, None

    return run_stored(folder, keep, analysis_id, run, render)
