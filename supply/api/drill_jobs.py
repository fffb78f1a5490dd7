"""Where drills' planning jobs run: one process per job (:mod:`supply.api.job_pool`), or a Dask cluster.

The API never simulates inside a request. :class:`DrillJobs` (one per app) runs :func:`run_job`
as a job of the drill's starter, at most ``drill_workers`` at once per server process, served
round-robin across users (analyses share the same slots); with ``JUNGONG_CLUSTER`` / ``serve
--cluster`` the jobs go to the Dask cluster. A job talks to the database itself, through the state
machine of :mod:`supply.drills.jobs`: progress after each replication (which is also where it
learns it was cancelled), the units in batches of :data:`BATCH` (one short transaction each), then
the drill opens. A transaction that loses its database is tried again after each pause of
:data:`BACKOFF_S` before the job fails.

Nothing stays ``planning`` for ever: a job whose process dies fails its drill at once with the
reason ("killed (SIGKILL)…"); a server process that stops or is killed leaves its drills to be
claimed by the next server process that starts, or within :data:`RECOVER_EVERY_S` by another one
already running (:func:`supply.drills.jobs.claim_orphans`), which resumes them — or fails them
once they were interrupted too often.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine

from supply.api.job_pool import JobDied, JobPool, JobStopped
from supply.core.errors import DatabaseBusyError, DatabaseUnavailableError, JungongError
from supply.core.settings import Settings
from supply.service.db import SQLITE_BUSY_SECONDS

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Units written per transaction (a 2,700-unit drill holds the SQLite write lock for short moments only).
BATCH = 100
#: The simulation's share of a job's progress; writing the units is the rest.
SIMULATION_SHARE = 0.9
#: How often each server process looks for drills left planning by a server process that is gone (seconds).
RECOVER_EVERY_S = 10.0
#: Pauses between a job's attempts at a transaction that lost its database (seconds; then it fails).
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)


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
    """The app's jobs (drill planning, analyses): a lazily opened :class:`~supply.api.job_pool.JobPool`,
    submit, cancel, recover; a drill whose job process dies is failed at once with the reason."""

    def __init__(self, settings: Settings, url: str, base_dir: Path, engine: Engine | None = None) -> None:
        self.settings, self.url, self.base_dir = settings, url, base_dir
        self._engine = engine
        self._jobs: JobPool | None = None
        self._futures: dict[int, Future] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._unrecorded: dict[int, str] = {}  # drills whose job died while the database was away: their reasons

    def _pool(self) -> JobPool:
        with self._lock:
            if self._jobs is None:
                if self.settings.cluster is None:
                    self._jobs = JobPool(self.settings.drill_workers)
                else:
                    from simulation.runner import start_executor

                    executor, slots, close = start_executor(self.settings.drill_workers, self.settings.cluster)
                    self._jobs = JobPool(slots, executor, close)
            return self._jobs

    def run(self, fn: Callable[..., Any], *args: Any, user: str = "") -> Future:
        """Run ``fn(*args)`` as ``user``'s job (background analyses share the drills' slots, fairly by user)."""
        return self._pool().submit(fn, *args, user=user)

    def running(self) -> list[int]:
        """Process ids of this server process's running jobs."""
        return [] if self._jobs is None else self._jobs.running()

    def submit(self, drill_id: int, user: str = "") -> None:
        busy = self.settings.sqlite_busy_seconds
        future = self.run(run_job, self.url, drill_id, str(self.base_dir), busy, user=user)
        self._futures[drill_id] = future
        future.add_done_callback(partial(self._done, drill_id))

    def _done(self, drill_id: int, future: Future) -> None:
        self._futures.pop(drill_id, None)
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None or isinstance(exc, JobStopped):  # a stopped server's drills resume at its restart
            return
        reason = str(exc) if isinstance(exc, JobDied) else f"{type(exc).__name__}: {exc}"
        log.error("drill %d: its planning job stopped: %s", drill_id, reason)
        self._fail(drill_id, f"planning stopped: {reason}; start the drill again")

    def _fail(self, drill_id: int, reason: str) -> bool:
        """Record a drill's failure; ``False`` if the database stayed away (the watch tries again)."""
        from supply.service.db import make_engine

        engine = self._engine or make_engine(self.url)
        try:
            record_failure(engine, drill_id, reason)
        except Exception as exc:  # the database is still away: the watch records it at its next round
            log.error("drill %d: could not record its failure yet (%s)", drill_id, exc)
            self._unrecorded[drill_id] = reason
            return False
        finally:
            if self._engine is None:
                engine.dispose()
        self._unrecorded.pop(drill_id, None)
        return True

    def cancel(self, drill_id: int) -> None:
        """Drop a drill's job not yet started (one running stops at its next progress step)."""
        future = self._futures.get(drill_id)
        if future is not None:
            self.cancel_future(future)

    def cancel_future(self, future: Future) -> None:
        """Drop a job not yet started (of any kind)."""
        if self._jobs is not None:
            self._jobs.cancel(future)

    def recover(self, engine: Engine) -> list[int]:
        """Claim the planning drills whose server process is gone: resume each (failed once it was
        interrupted :data:`~supply.drills.jobs.MAX_RESUMES` times)."""
        from supply.drills.jobs import claim_orphans, orphaned
        from supply.service.db import read_session, write_session

        with read_session(engine) as session:  # most rounds find none: no write lock taken for them
            if not orphaned(session, owner_alive):
                return []
        with write_session(engine) as session:
            claimed = claim_orphans(session, process_id(), owner_alive)
            session.commit()
        for drill_id, user in claimed:
            log.warning("drill %d: resuming its planning job (its server process stopped)", drill_id)
            self.submit(drill_id, user)
        return [drill_id for drill_id, _ in claimed]

    def watch(self, engine: Engine, every: float = RECOVER_EVERY_S) -> None:
        """Every ``every`` seconds: record the failures the database was away for, and recover stale
        drills (a server process killed while its drills planned)."""

        def loop() -> None:
            while not self._stop.wait(every):
                for drill_id, reason in list(self._unrecorded.items()):
                    self._fail(drill_id, reason)
                try:
                    self.recover(engine)
                except Exception as exc:  # a database away for a moment: the next round tries again
                    log.warning("could not look for drills left planning: %s", exc)

        threading.Thread(target=loop, name="jungong-recover", daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            jobs, self._jobs = self._jobs, None
        if jobs is not None:
            jobs.close()


def transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a database away for a moment (a lost connection, a server restarting, a long lock)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, DatabaseBusyError | DatabaseUnavailableError | OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def retrying(fn: Callable[[], T], what: str, pauses: tuple[float, ...] = BACKOFF_S) -> T:
    """``fn()``, tried again after each pause of ``pauses`` while it fails for want of its database
    (:func:`transient`); the last failure is raised. ``fn`` must be one whole transaction."""
    for pause in (*pauses, None):
        try:
            return fn()
        except Exception as exc:
            if pause is None or not transient(exc):
                raise
            log.warning("%s: the database failed (%s); trying again in %g s", what, type(exc).__name__, pause)
            time.sleep(pause)
    raise AssertionError  # unreachable: the last pause is None


def failure_reason(exc: Exception, what: str) -> str:
    """A job's failure in words: an error of ours says itself; anything else is logged with its
    traceback under an id the reason names (``what``: the job, e.g. "drill 3: planning")."""
    if isinstance(exc, JungongError):
        return str(exc)
    error_id = uuid.uuid4().hex[:16]
    log.error("%s failed (%s)", what, error_id, exc_info=exc)
    return f"{what} failed unexpectedly ({type(exc).__name__}); it has been logged as {error_id}"


def record_failure(engine: Engine, drill_id: int, reason: str) -> None:
    """Mark the drill ``failed`` with ``reason``, the transaction tried again while the database is away."""
    from supply.drills import jobs
    from supply.service.db import write_session

    def fail() -> None:
        with write_session(engine) as session:
            jobs.fail(session, drill_id, reason)
            session.commit()

    retrying(fail, f"drill {drill_id}: recording its failure")


def run_job(url: str, drill_id: int, base_dir: str, busy_seconds: float = SQLITE_BUSY_SECONDS) -> str:
    """Plan one drill (in a job process): simulate, write its units in batches, open it.

    Returns the drill's final status. Each transaction that loses its database is tried again
    with backoff (:func:`retrying`); every failure becomes the drill's ``failed`` reason, an
    unexpected one logged with its traceback under an id the reason names.
    """
    from supply.service.db import make_engine

    engine = make_engine(url, busy_seconds=busy_seconds, pool_pre_ping=True)
    try:
        _plan(engine, drill_id, Path(base_dir))
        return "open"
    except Cancelled:
        return "cancelled"
    except Exception as exc:  # the job's last resort: the drill must not hang in "planning"
        reason = failure_reason(exc, f"drill {drill_id}: planning")
    try:
        record_failure(engine, drill_id, reason)
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

    what = f"drill {drill_id}: planning"

    def load() -> tuple[Any, Any]:
        with read_session(engine) as session:
            return get_drill(session, drill_id), stored_scenario(session)

    drill, network = retrying(load, what)
    if drill.status != "planning":
        raise Cancelled
    if network is None:
        msg = "the database has no scenario: run `jungong db init` first"
        raise JungongError(msg)
    factors = factors_from_scenario(network)
    scenario = Scenario.from_dict(dict(drill.scenario), source=drill.scenario_source, base_dir=base_dir)
    job = drill.job or {}

    def step(share: float) -> None:
        def write() -> bool:
            with write_session(engine) as session:
                still = jobs.set_progress(session, drill_id, share)
                session.commit()
                return still

        if not retrying(write, what):
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

        def batch(i: int = i) -> list[str]:
            with write_session(engine) as session:
                share = SIMULATION_SHARE + (1 - SIMULATION_SHARE) * i / len(units)
                if not jobs.set_progress(session, drill_id, share):
                    raise Cancelled
                if i == 0:
                    start.check_plan_fits(session, drill.scenario_source, plan)
                written = start.write_units(session, drill, drill.created_by, units[i : i + BATCH], factors)
                session.commit()
                return written

        without += retrying(batch, what)

    def finish() -> None:
        with write_session(engine) as session:
            if not jobs.finish(session, drill_id, plan, without):
                raise Cancelled
            session.commit()

    retrying(finish, what)
