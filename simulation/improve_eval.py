"""The replications an ``improve`` search compares: each plan on the same seeds, each replication run once.

**Plans by key.** A plan of the search is the drill as compiled with a sequence of changes made to it
(:class:`~.improve_steps.Change`, pure and hashable): its *key*. A worker process gets the compiled drill
once, from its pool's initializer, and each task names only a key and a few seeds; the worker builds the
plan from the key (and keeps the last few it built). Replication *i* of every plan runs with
``SeedSequence(seed).spawn(R)[i]`` (common random numbers), so a result depends on the key and the seed
index only, whoever runs it.

**Each replication once.** The records of a round are kept by key and seed index: a candidate screened
on the first seeds and then run on all of them runs only the seeds it has not run yet. The search drops
them (:meth:`Evaluator.forget`) when it takes a step, as no key of the old plan is asked for again.

**Workers.** ``workers = 1`` runs everything in this process. Otherwise a pool of ``workers`` worker
*processes* (the default: a replication is pure-Python SimPy, so threads share one core under the GIL;
``bench/bench_improve.py`` measures both) or *threads* (``kind = "thread"``), kept for the whole search.
The work of a call is cut into tasks of a few replications each (at most :data:`CHUNK`), so a worker
slowed by other load holds back little at the end of each step. Statistics are added in seed order, so the
results are identical whatever ran them.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Literal

import numpy as np

from simulation.compiled import CompiledDrill
from simulation.improve_steps import Change
from simulation.records import ReplicationRecord
from simulation.runner import run_chunk
from simulation.stats import DrillStats
from supply.core.errors import InvalidArgumentError

Key = tuple[Change, ...]
Seeds = list[tuple[int, np.random.SeedSequence]]
Kind = Literal["process", "thread"]
KINDS: tuple[Kind, ...] = ("process", "thread")

CHUNK = 12  # replications per task, at most
TASKS_PER_SLOT = 6  # a call's work is cut into about this many tasks per worker (fewer when small)
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


def _init(base: CompiledDrill) -> None:
    global _base
    _base = base
    _built.clear()


def _run_key(key: Key, seeds: Seeds) -> list[ReplicationRecord]:
    """A worker process's task: replications of the plan of ``key``."""
    if _base is None:  # never: the pool's initializer set it
        msg = "improve worker started without its drill"
        raise RuntimeError(msg)
    return run_chunk(build(_base, key, _built), seeds)


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
        todo = [(key, [s for s in seeds if s[0] not in self._kept.get(key, {})]) for key in dict.fromkeys(keys)]
        total = sum(len(missing) for _, missing in todo)
        self.runs += total
        size = max(1, min(CHUNK, math.ceil(total / (self.slots * TASKS_PER_SLOT))))
        tasks = [(key, missing[i : i + size]) for key, missing in todo for i in range(0, len(missing), size)]
        if self._pool is None:
            for key, part in tasks:
                self._keep(key, run_chunk(self.plan(key), part))
        else:
            futures = [self._submit(key, part) for key, part in tasks]
            for (key, _), fut in zip(tasks, futures, strict=True):
                self._keep(key, fut.result())
        return [[self._kept[key][i] for i, _ in seeds] for key in keys]

    def _submit(self, key: Key, seeds: Seeds) -> Future[list[ReplicationRecord]]:
        if self._pool is None:  # never: only called with a pool
            msg = "no worker pool"
            raise RuntimeError(msg)
        if self.kind == "thread":
            return self._pool.submit(run_chunk, self.plan(key), seeds)
        return self._pool.submit(_run_key, key, seeds)

    def _keep(self, key: Key, records: list[ReplicationRecord]) -> None:
        kept = self._kept.setdefault(key, {})
        for rec in records:
            kept[rec.index] = rec

    def screen(self, keys: Sequence[Key], n: int) -> list[np.ndarray]:
        """Each plan's on-time flags (``n`` replications × planned units) on the first ``n`` seeds."""
        return [flags_of(self.plan(k), recs) for k, recs in zip(keys, self.records(keys, n), strict=True)]

    def full(self, key: Key) -> tuple[DrillStats, np.ndarray]:
        """All replications of the plan of ``key``: its statistics (for the next diagnosis) and on-time flags."""
        plan = self.plan(key)
        stats = DrillStats(plan, self.seed)
        (records,) = self.records([key])
        for rec in records:
            stats.add(rec)
        return stats, flags_of(plan, records)
