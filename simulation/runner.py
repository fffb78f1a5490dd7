"""Monte Carlo: many replications, in parallel, aggregated as they stream in.

Replication *i* always runs with ``SeedSequence(seed).spawn(n)[i]`` and records are added to
the statistics in index order, so the results are identical whatever runs them: this process
(``workers=1``), local worker processes (:class:`concurrent.futures.ProcessPoolExecutor`) or an
existing Dask cluster (``dask.distributed``'s own executor, ``Client.getexecutor()``).
Replications travel in chunks, and at most a few chunks are in flight, so memory stays flat.
"""

from __future__ import annotations

import gc
import logging
import math
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

import numpy as np

from simulation.compiled import CompiledDrill, compile_drill
from simulation.model import run_replication
from simulation.records import ReplicationRecord
from simulation.stats import DrillStats
from supply.core.errors import ClusterError, InvalidArgumentError
from supply.core.scenario import Scenario

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def run_chunk(plan: CompiledDrill, seeds: Sequence[tuple[int, np.random.SeedSequence]]) -> list[ReplicationRecord]:
    """Run a few replications (the unit of work sent to a worker)."""
    return [run_replication(plan, seed, index) for index, seed in seeds]


def run_plan(
    plan: CompiledDrill,
    *,
    replications: int,
    seed: int,
    workers: int = 1,
    cluster: str | None = None,
    progress: Progress | None = None,
    connect_timeout: float = 10.0,
) -> DrillStats:
    """Run ``replications`` of a compiled plan and return their aggregated statistics."""
    if replications < 1:
        msg = f"replications must be ≥ 1, got {replications}"
        raise InvalidArgumentError(msg)
    if workers < 1:
        msg = f"workers must be ≥ 1, got {workers}"
        raise InvalidArgumentError(msg)
    stats = DrillStats(plan, seed)
    seeds = list(enumerate(np.random.SeedSequence(seed).spawn(replications)))
    done = 0
    if workers == 1 and cluster is None:
        gc.freeze()  # the objects alive now are left out of the collections during the run (see start_executor)
        try:
            for index, ss in seeds:
                stats.add(run_replication(plan, ss, index))
                done += 1
                if progress:
                    progress(done, replications)
        finally:
            gc.unfreeze()
        return stats
    with open_executor(workers, cluster, connect_timeout) as (executor, slots):
        size = max(1, min(25, math.ceil(replications / (slots * 4))))
        chunks = iter([seeds[i : i + size] for i in range(0, replications, size)])
        for records in in_order(executor, plan, chunks, window=slots * 2):
            for rec in records:
                stats.add(rec)
            done += len(records)
            if progress:
                progress(done, replications)
    return stats


def in_order(
    executor: Executor, plan: CompiledDrill, chunks: Iterator, window: int
) -> Iterator[list[ReplicationRecord]]:
    """Results chunk by chunk in submission order, with at most ``window`` chunks in flight."""
    inflight: deque = deque()
    for chunk in chunks:
        inflight.append(executor.submit(run_chunk, plan, chunk))
        if len(inflight) >= window:
            yield inflight.popleft().result()
    while inflight:
        yield inflight.popleft().result()


@contextmanager
def open_executor(workers: int, cluster: str | None, timeout: float) -> Iterator[tuple[Executor, int]]:
    """A local process pool or the Dask cluster for one run: executor and slots, closed on exit."""
    executor, slots, close = start_executor(workers, cluster, timeout)
    try:
        yield executor, slots
    finally:
        close()


def start_executor(
    workers: int, cluster: str | None, timeout: float = 10.0
) -> tuple[Executor, int, Callable[[], None]]:
    """A local process pool of ``workers`` (or the Dask cluster at ``cluster``): executor, slots, close.

    :func:`run_plan` opens one per run; the API's jobs use it for a Dask cluster only (locally they
    run one process each: :mod:`supply.api.job_pool`).
    """
    if cluster is None:
        # fork: workers inherit the loaded modules and never re-run the caller's __main__
        # (``python -m supply.cli`` has no main guard); spawn where fork does not exist.
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        # gc.freeze in each worker: the objects it inherits are never scanned by its garbage collector
        # (no copy-on-write of their pages, ~10% of a replication's CPU); results are untouched
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=gc.freeze)
        return pool, workers, lambda: pool.shutdown(wait=True, cancel_futures=True)
    from dask.distributed import Client

    try:
        client = Client(cluster, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        msg = f"cannot reach the Dask cluster at {cluster}: {exc}"
        raise ClusterError(msg) from None
    slots = max(1, sum(client.nthreads().values()))
    log.info("running on %s with %d worker threads", cluster, slots)
    return client.get_executor(pure=False), slots, client.close


def run_drill(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    cluster: str | None = None,
    progress: Progress | None = None,
) -> DrillStats:
    """Validate and compile ``scenario``'s drill and run it (``None``: the drill's own settings)."""
    from simulation.spec import drill_spec

    spec = drill_spec(scenario)
    plan = compile_drill(scenario, spec)
    return run_plan(
        plan,
        replications=spec.replications if replications is None else replications,
        seed=spec.seed if seed is None else seed,
        workers=workers,
        cluster=cluster,
        progress=progress,
    )
