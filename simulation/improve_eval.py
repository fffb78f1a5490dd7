"""The replications an ``improve`` search compares: each plan on the same seeds, each replication run once.

**Plans by key.** A plan of the search is the drill as compiled with a sequence of changes made to it
(:class:`~.improve_steps.Change`, pure and hashable): its *key*. A worker process gets the compiled drill
once, from its pool's initializer, and each task names only a key and a few seeds; the worker builds the
plan from the key (and keeps the last few it built). Replication *i* of every plan runs with
``SeedSequence(seed).spawn(R)[i]`` (common random numbers), so a result depends on the key and the seed
index only, whoever runs it.

**Each replication once.** The records of a round are kept by key and seed index: a candidate screened
on the first seeds and then run on all of them runs only the seeds it has not run yet. A plan's records
are dropped once it has run in full, and all of them (:meth:`Evaluator.forget`) when the search takes a
step, as no key of the old plan is asked for again.

**Workers.** ``workers = 1`` runs everything in this process. Otherwise a pool of ``workers`` worker
*processes* (the default: a replication is pure-Python SimPy, so threads share one core under the GIL;
``bench/bench_improve.py`` measures both) or *threads* (``kind = "thread"``), kept for the whole search.
The work of a call is cut into tasks of a few replications each, smaller towards its end (at most
:data:`CHUNK`, then a third of what is left per worker, down to one), so neither worker waits long for the
other at the end of each step. Statistics are added in seed order, so the
results are identical whatever ran them.

**Processes or this one, by what is faster here.** Two worker processes gain only where two cores are
free for them: under load from other programs they get no more of the cores than one process would (the
kernel shares the cores between sessions, not processes), and each replication costs them more CPU than
it costs one process (records pickled back, two interpreters on shared caches). So the search reads
the machine's idle cores (:func:`idle_cores`): it starts on the pool only if at least :data:`FREE_CORES`
are idle when it begins; each call of at least :data:`LARGE` replications on the pool measures its
parallelism (the workers' CPU seconds ÷ the call's wall seconds), and below :data:`MIN_PARALLEL` the
next calls run in this process; each large call run here reads the idle cores during it, and when
they and the core this process used make :data:`FREE_CORES`, the next calls go to the pool again. The
results stay identical, as they do not depend on what ran them. Thread workers are not switched (the
bench measures them as they are).
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Literal

import numpy as np
import psutil

from simulation.compiled import CompiledDrill
from simulation.improve_steps import Change
from simulation.model import run_replication
from simulation.records import ReplicationRecord
from simulation.stats import DrillStats
from supply.core.errors import InvalidArgumentError

Key = tuple[Change, ...]
Seeds = list[tuple[int, np.random.SeedSequence]]
Kind = Literal["process", "thread"]
KINDS: tuple[Kind, ...] = ("process", "thread")

CHUNK = 12  # replications per task, at most
LARGE = 60  # a call of this many replications or more measures the pool's parallelism (smaller ones: too short)
MIN_PARALLEL = 1.25  # workers' CPU ÷ wall below which the next calls run in this process
FREE_CORES = 1.5  # cores free for the search (idle, or this process's own) for the pool to be used
KEEP_PLANS = 32  # plans a worker keeps built

_base: CompiledDrill | None = None  # a worker process's compiled drill (its pool's initializer)
_built: dict[Key, CompiledDrill] = {}


def build(base: CompiledDrill, key: Key, cache: dict[Key, CompiledDrill]) -> CompiledDrill:
    """The plan of ``key``: ``base`` with the key's changes made in order (kept in ``cache``)."""
    plan = cache.get(key)
    if plan is None:
        plan = base
        for change in key:
            plan = change.apply(plan)
        if len(cache) >= KEEP_PLANS:
            cache.pop(next(iter(cache)))
        cache[key] = plan
    return plan


class IdleCores:
    """The machine's idle cores since a reading (``psutil.cpu_times``: idle and I/O wait over all the time
    counted, times the number of cores)."""

    def __init__(self) -> None:
        self._then = _busy_idle()

    def since(self) -> float:
        busy, idle = _busy_idle()
        busy -= self._then[0]
        idle -= self._then[1]
        return idle / (busy + idle) * (psutil.cpu_count() or 1) if busy + idle > 0 else 0.0


def _busy_idle() -> tuple[float, float]:
    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    busy = t.user + t.system + getattr(t, "nice", 0.0) + getattr(t, "irq", 0.0)
    busy += getattr(t, "softirq", 0.0) + getattr(t, "steal", 0.0)
    return busy, idle


def idle_cores(seconds: float = 0.05) -> float:
    """The machine's idle cores over the next ``seconds``."""
    reading = IdleCores()
    time.sleep(seconds)
    return reading.since()


def _init(base: CompiledDrill) -> None:
    global _base
    _base = base
    _built.clear()
    # the objects a worker inherits are never scanned by its garbage collector (as the drill's workers:
    # simulation.runner), so their pages are not copied on write
    gc.freeze()


Task = list[tuple[Key, int, np.random.SeedSequence]]  # (plan, seed index, seed) of each replication


def _run_task(task: Task, plans: dict[Key, CompiledDrill] | None = None) -> list[ReplicationRecord]:
    """Run a task's replications on ``plans`` (built by the caller), or in a worker process on the plans
    it builds from its drill."""
    if plans is not None:
        return [run_replication(plans[key], ss, i) for key, i, ss in task]
    if _base is None:  # never: a worker process's initializer set it
        msg = "improve worker started without its drill"
        raise RuntimeError(msg)
    base = _base
    return [run_replication(build(base, key, _built), ss, i) for key, i, ss in task]


def _timed_task(task: Task, plans: dict[Key, CompiledDrill] | None = None) -> tuple[float, list[ReplicationRecord]]:
    """:func:`_run_task` and the CPU seconds it took in this worker (its thread's, for a thread)."""
    t0 = time.thread_time()
    records = _run_task(task, plans)
    return time.thread_time() - t0, records


def tasks(work: Task, slots: int) -> list[Task]:
    """``work`` cut in order into tasks of at most :data:`CHUNK`, then a third of what is left per slot."""
    out, at = [], 0
    while at < len(work):
        size = max(1, min(CHUNK, math.ceil((len(work) - at) / (3 * slots))))
        out.append(work[at : at + size])
        at += size
    return out


def flags_of(plan: CompiledDrill, records: Sequence[ReplicationRecord]) -> np.ndarray:
    """Per replication (rows), whether each planned unit (columns) was on time: 1 or 0."""
    units = [a.group for a in plan.arrivals if a.rate_per_min == 0]
    return np.asarray([[rec.groups[g].on_time for g in units] for rec in records], dtype=float).reshape(
        len(records), len(units)
    )


class Evaluator:
    """Runs the plans of a search on common seeds (module docstring). Close it (or use ``with``)."""

    def __init__(
        self, plan: CompiledDrill, seed: int, replications: int, workers: int = 1, kind: Kind = "process"
    ) -> None:
        if kind not in KINDS:
            msg = f"worker kind must be one of {', '.join(KINDS)}, got {kind!r}"
            raise InvalidArgumentError(msg)
        self.base, self.seed, self.kind = plan, seed, kind
        self.seeds: Seeds = list(enumerate(np.random.SeedSequence(seed).spawn(replications)))
        self.runs = 0  # replications run, for the bench
        self.parallelism: list[float] = []  # of each large call on the pool (module docstring)
        self.idle: list[float] = []  # idle cores during each large call run here instead (module docstring)
        self._here = False  # calls run in this process though a pool exists
        self.slots = max(1, workers)
        self._plans: dict[Key, CompiledDrill] = {}
        self._kept: dict[Key, dict[int, ReplicationRecord]] = {}
        self._pool: Executor | None = None
        if workers > 1 and kind == "thread":
            self._pool = ThreadPoolExecutor(max_workers=workers)
        elif workers > 1:
            # fork: workers inherit the loaded modules and the drill; spawn where fork does not exist
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init, initargs=(plan,))
            self._here = idle_cores() < FREE_CORES

    @property
    def solo(self) -> int:
        """Large calls run in this process instead of the pool."""
        return len(self.idle)

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def plan(self, key: Key) -> CompiledDrill:
        return build(self.base, key, self._plans)

    def forget(self) -> None:
        """Drop the records kept so far (the search took a step: their plans are not asked for again)."""
        self._kept.clear()

    def records(self, keys: Sequence[Key], n: int | None = None) -> list[list[ReplicationRecord]]:
        """Each plan's records on the first ``n`` seeds (``None``: all), in seed order, running only the
        replications not kept, all plans' at once on the pool; the new ones are kept."""
        seeds = self.seeds if n is None else self.seeds[:n]
        work = [(key, i, ss) for key in dict.fromkeys(keys) for i, ss in seeds if i not in self._kept.get(key, {})]
        self.runs += len(work)
        if self._pool is None or self._here:
            large = self._pool is not None and len(work) >= LARGE
            reading = IdleCores() if large else None
            self._keep(work, _run_task(work, {key: self.plan(key) for key in keys}))
            if reading is not None:
                self.idle.append(reading.since())
                self._here = self.idle[-1] + 1.0 < FREE_CORES  # (1.0: the core this process used)
        else:
            t0, cpu = time.perf_counter(), 0.0
            parts = tasks(work, self.slots)
            futures = [self._submit(part) for part in parts]
            for part, fut in zip(parts, futures, strict=True):
                seconds, records = fut.result()
                cpu += seconds
                self._keep(part, records)
            if len(work) >= LARGE and self.kind == "process":
                self.parallelism.append(cpu / max(time.perf_counter() - t0, 1e-9))
                self._here = self.parallelism[-1] < MIN_PARALLEL
        return [[self._kept[key][i] for i, _ in seeds] for key in keys]

    def _submit(self, task: Task) -> Future[tuple[float, list[ReplicationRecord]]]:
        if self._pool is None:  # never: only called with a pool
            msg = "no worker pool"
            raise RuntimeError(msg)
        if self.kind == "thread":  # the plans built here, read by the threads
            return self._pool.submit(_timed_task, task, {key: self.plan(key) for key, _, _ in task})
        return self._pool.submit(_timed_task, task)

    def _keep(self, task: Task, records: list[ReplicationRecord]) -> None:
        for (key, i, _), rec in zip(task, records, strict=True):
            self._kept.setdefault(key, {})[i] = rec

    def screen(self, keys: Sequence[Key], n: int) -> list[np.ndarray]:
        """Each plan's on-time flags (``n`` replications × planned units) on the first ``n`` seeds."""
        return [flags_of(self.plan(k), recs) for k, recs in zip(keys, self.records(keys, n), strict=True)]

    def full(self, key: Key) -> tuple[DrillStats, np.ndarray]:
        """All replications of the plan of ``key``: its statistics (for the next diagnosis) and on-time flags."""
        plan = self.plan(key)
        stats = DrillStats(plan, self.seed)
        (records,) = self.records([key])
        self._kept.pop(key, None)  # a plan run in full is not asked for again: memory stays flat
        for rec in records:
            stats.add(rec)
        return stats, flags_of(plan, records)
