"""Background network analyses: run in the drills' worker pool, never in a request.

``POST /analyses`` records the analysis (:class:`supply.core.analyses.AnalysisStore`) and hands
:func:`run_analysis` to the app's job pool (:meth:`supply.api.drill_jobs.DrillJobs.run`: the same
local processes, or the Dask cluster of ``JUNGONG_CLUSTER``). The job loads the network through
the on-disk compiled-network cache (:mod:`supply.core.network_cache`: no GraphML parsed twice),
applies the disruptions, computes what ``jungong coverage --json`` / ``jungong robustness --json``
print (a ``map`` also draws the coverage map, its assets served by the API), records its progress
at most twice a second — which is also where it learns it was cancelled — and stores the result.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from supply.api.drill_jobs import DrillJobs, failure_reason
from supply.api.job_pool import JobDied, JobStopped
from supply.core.analyses import AnalysisArgs, AnalysisStore, Cancelled
from supply.core.scenario import Scenario

log = logging.getLogger(__name__)
#: Share of the progress reached once the network is loaded and disrupted.
LOADED = 0.1
#: Seconds between two progress records.
EVERY = 0.5


class AnalysisJobs:
    """Submits analyses to the app's job pool and drops those cancelled before they start."""

    def __init__(self, jobs: DrillJobs) -> None:
        self.jobs = jobs
        self._futures: dict[str, Future] = {}

    def submit(self, store: AnalysisStore, state: dict[str, Any], scenario: Scenario, cache_dir: Path) -> None:
        args = state["arguments"]
        folder, analysis_id, run = str(store.folder), state["id"], state["run"]
        self.submit_job(
            store, state, run_analysis, folder, store.keep, analysis_id, run, scenario, str(cache_dir), args
        )

    def submit_job(self, store: AnalysisStore, state: dict[str, Any], fn: Callable[..., str], *args: Any) -> None:
        """Run ``fn(*args)`` for the analysis ``state`` on the pool; a worker that dies fails the analysis."""
        analysis_id, run = state["id"], state["run"]
        future = self.jobs.run(fn, *args, user=state.get("user", ""))
        self._futures[analysis_id] = future
        future.add_done_callback(lambda f: self._done(store, analysis_id, run, f))

    def _done(self, store: AnalysisStore, analysis_id: str, run: str, future: Future) -> None:
        self._futures.pop(analysis_id, None)
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None or isinstance(exc, JobStopped):  # a stopping server abandons its analyses itself
            return
        # the job's process died (killed, out of memory): the analysis must not hang, nor count against limits
        reason = str(exc) if isinstance(exc, JobDied) else f"{type(exc).__name__}: {exc}"
        log.error("analysis %s: its job stopped: %s", analysis_id, reason)
        store.fail(analysis_id, run, f"the analysis stopped: {reason}; start it again")

    def cancel(self, analysis_id: str) -> None:
        """Drop a job not yet started (one running stops at its next progress record)."""
        future = self._futures.get(analysis_id)
        if future is not None:
            self.jobs.cancel_future(future)


def run_analysis(
    folder: str, keep: int, analysis_id: str, run: str, scenario: Scenario, cache_dir: str, arguments: dict
) -> str:
    """Run one analysis (in a worker process) and store its result; returns its final status."""
    return run_stored(
        folder,
        keep,
        analysis_id,
        run,
        lambda store: _analyse(store, analysis_id, run, scenario, Path(cache_dir), arguments),
    )


def throttled(store: AnalysisStore, analysis_id: str, run: str, start: float = 0.0) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback recording ``start`` + the rest × done/total, at most every
    :data:`EVERY` seconds (raising :class:`Cancelled` once the analysis was cancelled)."""
    last = [time.monotonic()]

    def step(done: int, total: int) -> None:
        if time.monotonic() - last[0] >= EVERY:
            last[0] = time.monotonic()
            store.progress(analysis_id, run, start + (1 - start) * done / max(total, 1))

    return step


def run_stored(
    folder: str, keep: int, analysis_id: str, run: str, compute: Callable[[AnalysisStore], tuple[dict, str | None]]
) -> str:
    """Start the analysis, ``compute(store)`` its result (and page) and store it; returns its final status.

    ``compute`` records its progress through the store, which raises :class:`Cancelled` once the
    analysis is no longer running; any other failure becomes the analysis's ``error``."""
    store = AnalysisStore(Path(folder), keep)
    if not store.begin(analysis_id, run):
        return "cancelled"
    try:
        result, html = compute(store)
    except Cancelled:
        return "cancelled"
    except Exception as exc:  # the job's last resort: the analysis must not hang in "running"
        store.fail(analysis_id, run, failure_reason(exc, f"analysis {analysis_id}"))
        return "failed"
    return "done" if store.finish(analysis_id, run, result, html) else "cancelled"


def _analyse(
    store: AnalysisStore, analysis_id: str, run: str, scenario: Scenario, cache_dir: Path, arguments: dict
) -> tuple[dict, str | None]:
    from supply.core.coverage import coverage
    from supply.core.network_cache import cached_network
    from supply.core.robustness import robustness

    args = AnalysisArgs.parse(
        arguments["kind"],
        arguments["minutes"],
        close=arguments["close"],
        offline=arguments["offline"],
        slow=arguments["slow"],
        tiers=arguments["tiers"],
        links=arguments["links"],
    )
    net = cached_network(scenario, cache_dir).disrupted(args.disruptions)
    store.progress(analysis_id, run, LOADED)
    tiers = list(args.tiers) or None
    if args.kind == "robustness":
        step = throttled(store, analysis_id, run, LOADED)
        return robustness(net, args.minutes[0], tiers=tiers, links=args.links, progress=step).as_dict(), None
    result = coverage(net, args.minutes, tiers=tiers)
    if args.kind == "coverage":
        return result.as_dict(), None
    from maps.assets import ASSETS_URL
    from maps.coverage_map import coverage_map

    store.progress(analysis_id, run, 0.5)
    return result.as_dict(), coverage_map(net, result, assets="served", assets_url=ASSETS_URL)
