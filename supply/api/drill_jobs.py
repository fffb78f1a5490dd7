"""Where drills' planning jobs run: a bounded local process pool, or a Dask cluster.

The API never simulates inside a request. :class:`DrillJobs` (one per app) submits
:func:`run_job` to ``drill_workers`` local processes (``simulation.runner.start_executor``), or to
the Dask cluster named by ``JUNGONG_CLUSTER`` / ``serve --cluster``. A job talks to the database
itself, through the state machine of :mod:`supply.drills.jobs`: progress after each replication
(which is also where it learns it was cancelled), the units in batches of :data:`BATCH` (one
short transaction each), then the drill opens. On start-up the app claims the jobs whose server
process is gone and runs them again (:func:`supply.drills.jobs.claim_orphans`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from supply.core.errors import JungongError
from supply.core.settings import Settings

log = logging.getLogger(__name__)
#: Units written per transaction (a 2,700-unit drill holds the SQLite write lock for short moments only).
BATCH = 100
#: The simulation's share of a job's progress; writing the units is the rest.
SIMULATION_SHARE = 0.9


class Cancelled(Exception):
    """The drill stopped planning (cancelled or failed) while its job ran."""


def process_id() -> str:
    """``host:pid`` of this server process: a job's owner."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str) -> bool:
    """Whether a job's owner process still runs (owners on other hosts are assumed alive)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DrillJobs:
    """The app's planning jobs: a lazily opened executor, submit, cancel, recover."""

    def __init__(self, settings: Settings, url: str, base_dir: Path) -> None:
        self.settings, self.url, self.base_dir = settings, url, base_dir
        self._executor: Executor | None = None
        self._close: Callable[[], None] | None = None
        self._futures: dict[int, Future] = {}
        self._lock = threading.Lock()

    def _pool(self) -> Executor:
        with self._lock:
            if self._executor is None:
                from simulation.runner import start_executor

                self._executor, _, self._close = start_executor(self.settings.drill_workers, self.settings.cluster)
            return self._executor

    def run(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn(*args)`` on the same workers (background analyses share the drills' pool)."""
        return self._pool().submit(fn, *args)

    def submit(self, drill_id: int) -> None:
        future = self.run(run_job, self.url, drill_id, str(self.base_dir))
        self._futures[drill_id] = future
        future.add_done_callback(partial(self._done, drill_id))

    def _done(self, drill_id: int, future: Future) -> None:
        self._futures.pop(drill_id, None)
        if not future.cancelled() and future.exception() is not None:
            log.error("drill %d: planning job crashed", drill_id, exc_info=future.exception())

    def cancel(self, drill_id: int) -> None:
        """Drop a job not yet started (one running stops at its next progress step)."""
        future = self._futures.get(drill_id)
        if future is not None:
            future.cancel()

    def recover(self, engine: Engine) -> list[int]:
        """Claim and resubmit the planning drills whose server process is gone."""
        from supply.drills.jobs import claim_orphans
        from supply.service.db import write_session

        with write_session(engine) as session:
            claimed = claim_orphans(session, process_id(), owner_alive)
            session.commit()
        for drill_id in claimed:
            log.warning("drill %d: resuming its planning job (its server process stopped)", drill_id)
            self.submit(drill_id)
        return claimed

    def close(self) -> None:
        with self._lock:
            if self._close is not None:
                self._close()
            self._executor = self._close = None


def failure_reason(exc: Exception, what: str) -> str:
    """A job's failure in words: an error of ours says itself; anything else is logged with its
    traceback under an id the reason names (``what``: the job, e.g. "drill 3: planning")."""
    if isinstance(exc, JungongError):
        return str(exc)
    error_id = uuid.uuid4().hex[:16]
    log.error("%s failed (%s)", what, error_id, exc_info=exc)
    return f"{what} failed unexpectedly ({type(exc).__name__}); it has been logged as {error_id}"


def run_job(url: str, drill_id: int, base_dir: str) -> str:
    """Plan one drill (in a worker process): simulate, write its units in batches, open it.

    Returns the drill's final status. Every failure becomes the drill's ``failed`` reason; an
    unexpected one is logged with its traceback under an id the reason names.
    """
    from supply.drills import jobs
    from supply.service.db import make_engine, write_session

    engine = make_engine(url)
    try:
        _plan(engine, drill_id, Path(base_dir))
        return "open"
    except Cancelled:
        return "cancelled"
    except Exception as exc:  # the job's last resort: the drill must not hang in "planning"
        reason = failure_reason(exc, f"drill {drill_id}: planning")
    try:
        with write_session(engine) as session:
            jobs.fail(session, drill_id, reason)
            session.commit()
        return "failed"
    finally:
        engine.dispose()


def _plan(engine: Engine, drill_id: int, base_dir: Path) -> None:
    from simulation.action_plan import scenario_plan
    from supply.core.factors import factors_from_scenario
    from supply.core.scenario import Scenario
    from supply.drills import jobs, start
    from supply.drills.chain import get_drill
    from supply.service.db import read_session, write_session
    from supply.service.scenario_sync import stored_scenario

    with read_session(engine) as session:
        drill = get_drill(session, drill_id)
        network = stored_scenario(session)
    if drill.status != "planning":
        raise Cancelled
    if network is None:
        msg = "the database has no scenario: run `jungong db init` first"
        raise JungongError(msg)
    factors = factors_from_scenario(network)
    scenario = Scenario.from_dict(dict(drill.scenario), source=drill.scenario_source, base_dir=base_dir)
    job = drill.job or {}

    def step(share: float) -> None:
        with write_session(engine) as session:
            still = jobs.set_progress(session, drill_id, share)
            session.commit()
        if not still:
            raise Cancelled

    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] >= 0.5 or done == total:
            last[0] = time.monotonic()
            step(SIMULATION_SHARE * done / total)

    plan = scenario_plan(scenario, replications=job.get("replications"), seed=job.get("seed"), progress=progress)
    units = plan["units"]
    without: list[str] = []
    for i in range(0, len(units), BATCH):
        with write_session(engine) as session:
            if not jobs.set_progress(session, drill_id, SIMULATION_SHARE + (1 - SIMULATION_SHARE) * i / len(units)):
                raise Cancelled
            if i == 0:
                start.check_plan_fits(session, drill.scenario_source, plan)
            without += start.write_units(session, drill, drill.created_by, units[i : i + BATCH], factors)
            session.commit()
    with write_session(engine) as session:
        if not jobs.finish(session, drill_id, plan, without):
            raise Cancelled
        session.commit()
