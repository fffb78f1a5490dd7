"""A drill's package (:mod:`supply.package`) as a job on the app's pool: ``GET`` answers 202, then the zip.

The state lives in files under ``<data_dir>/packages/`` so that every server process sees it:
``drill-<id>-<lang>.zip`` once written, ``….job`` (its owner ``host:pid`` and user) while a job
runs, ``….error`` (the reason) when it failed. A package is written at the film's ``speed`` of the request
that started its job. A ``GET`` with no zip and no job starts one (202,
``Retry-After``); while it runs, 202 again; once the zip is there, 200 with the file — which is then
dropped, so the next ``GET`` writes the drill as it stands then. A job whose owner is gone, or
that failed, is started again by the next ``GET`` (a failure is answered once, as 500 with its reason).
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import Future
from pathlib import Path

from supply.api.drill_jobs import DrillJobs, failure_reason, owner_alive, process_id
from supply.api.job_pool import JobDied, JobStopped
from supply.core.errors import JungongError, ServerBusyError, TooManyJobsError

log = logging.getLogger(__name__)
#: Seconds a client waits before asking again.
RETRY_AFTER = 5


class PackageFailed(JungongError):
    """The package's job failed (its reason is given once; the next request starts it again)."""

    title = "Package failed"
    status = 500


class PackageJobs:
    """Starts, tracks and serves the drill packages' jobs (see the module docstring)."""

    def __init__(self, jobs: DrillJobs, folder: Path, *, per_user: int, overall: int) -> None:
        self.jobs, self.folder, self.per_user, self.overall = jobs, folder, per_user, overall

    def _path(self, drill_id: int, lang: str, ext: str) -> Path:
        return self.folder / f"drill-{drill_id}-{lang}.{ext}"

    def _running(self) -> list[dict]:
        out = []
        for f in self.folder.glob("*.job"):
            try:
                job = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if owner_alive(job["owner"]):
                out.append(job)
        return out

    def get(
        self, drill_id: int, lang: str, user: str, url: str, base_dir: Path, tz: str, speed: float = 600
    ) -> Path | None:
        """The zip if it is ready (the caller sends it, then :meth:`served`); else ``None`` with a job running."""
        self.folder.mkdir(parents=True, exist_ok=True)
        zip_path, job_path, error = (self._path(drill_id, lang, e) for e in ("zip", "job", "error"))
        if zip_path.exists():
            return zip_path
        if error.exists():
            reason = error.read_text(encoding="utf-8")
            error.unlink(missing_ok=True)
            raise PackageFailed(f"drill {drill_id}: the package failed: {reason}; ask again to start it again")
        if job_path.exists():
            try:
                owner = json.loads(job_path.read_text(encoding="utf-8"))["owner"]
            except (OSError, ValueError, KeyError):
                owner = ""
            if owner and owner_alive(owner):
                return None
        running = self._running()
        if sum(1 for j in running if j["user"] == user) >= self.per_user:
            msg = f"{user} has {self.per_user} package jobs running, the most one user may; retry when one is done"
            raise TooManyJobsError(msg, RETRY_AFTER)
        if len(running) >= self.overall:
            msg = f"the server runs {len(running)} package jobs, the most it may at once; retry shortly"
            raise ServerBusyError(msg, RETRY_AFTER)
        job_path.write_text(json.dumps({"owner": process_id(), "user": user, "drill": drill_id}), encoding="utf-8")
        args = (url, drill_id, lang, str(zip_path), str(base_dir), tz, speed)
        future = self.jobs.run(run_package, *args, user=user)
        future.add_done_callback(lambda f: self._done(drill_id, lang, f))
        return None

    def served(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def _done(self, drill_id: int, lang: str, future: Future) -> None:
        self._path(drill_id, lang, "job").unlink(missing_ok=True)
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None or isinstance(exc, JobStopped):
            return
        if isinstance(exc, JobDied) or not isinstance(exc, Exception):
            reason = str(exc)
        else:
            reason = failure_reason(exc, f"drill {drill_id}: package")
        log.error("drill %s: package job failed: %s", drill_id, reason)
        self._path(drill_id, lang, "error").write_text(reason, encoding="utf-8")


def run_package(url: str, drill_id: int, lang: str, zip_path: str, base_dir: str, tz: str, speed: float) -> str:
    """Write drill ``drill_id``'s package as ``zip_path`` (in a worker process); returns its path."""
    from zoneinfo import ZoneInfo

    from supply.drills.chain import get_drill
    from supply.package.build import live_package, write_package
    from supply.service.db import make_engine, read_session

    engine = make_engine(url)
    try:
        with read_session(engine) as session:
            drill = get_drill(session, drill_id)
            pkg = live_package(session, drill, ZoneInfo(tz), Path(base_dir), lang=lang, speed=speed)
    finally:
        engine.dispose()
    out = Path(zip_path)
    partial = out.with_name(f".{out.name}.{os.getpid()}.part.zip")
    write_package(pkg, partial)
    partial.replace(out)
    return str(out)
