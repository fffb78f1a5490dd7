"""Queueing cases run both in jungong's drill model and in Ciw (an independent simulator).

Shared by the statistical check (``test_drill_ciw.py``) and the speed benchmark
(``bench/bench_ciw.py``), so both run the very same cases. Time is in minutes in both
simulators; meals are the service times, seats the servers. Arrivals come at the station's own
door (no travel) in ``[0, hours)``; in Ciw they stop there too (:class:`PoissonUntil`), and both
simulators serve everyone who arrived before the horizon to the end (jungong resolves a seat at
arrival; Ciw runs until its event list is empty). The figure compared is the mean wait for a
seat of the people arriving after the warm-up.
"""

from __future__ import annotations

import math
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import ciw
import numpy as np

from simulation.compiled import CompiledDrill, compile_drill
from simulation.model import run_replication
from tests.simulation.drill_helpers import drill_scenario


@dataclass(frozen=True)
class Case:
    """One queue: ``seats`` servers, groups of ``batch`` people arriving as a Poisson stream of
    ``rate_per_hour`` groups an hour (or, with ``train_at``, one group at that minute), meals
    ``meal`` (``exponential`` or ``fixed``) of mean 20 minutes."""

    name: str
    seats: int
    rate_per_hour: float
    hours: float
    warmup_hours: float
    replications: int
    meal: str = "exponential"
    batch: int = 1
    train_at: float | None = None

    @property
    def single(self) -> bool:
        """One person per arrival (the cases held to the 0.7× target)."""
        return self.batch == 1


MEAL_MINUTES = 20.0

CASES = (
    Case("M/M/1", 1, 2.1, 400, 50, 10),  # ρ = 0.7
    Case("M/M/3", 3, 7.2, 400, 50, 10),  # ρ = 0.8
    Case("M/D/3", 3, 7.2, 400, 50, 10, meal="fixed"),
    Case("transient M/M/4", 4, 10.0, 8, 0, 200),  # from empty, 8 hours, ρ = 0.83
    Case("batches of 10", 3, 0.6, 400, 50, 10, batch=10),  # ρ = 0.67
    Case("120-person train", 20, 0.0, 8, 0, 200, batch=120, train_at=60.0),
)


def drill_toml(case: Case, seed: int = 1) -> str:
    """The case as a drill on the test network's station ``H``."""
    meal = f'{{ dist = "exponential", mean = {MEAL_MINUTES} }}' if case.meal == "exponential" else f"{MEAL_MINUTES}"
    if case.train_at is not None:
        arrivals = f"""
        [[drill.units]]
        code = "T"
        headcount = {case.batch}
        station = "H"
        arrive = {case.train_at}
        """
    else:
        arrivals = f"""
        [[drill.streams]]
        station = "H"
        rate_per_hour = {case.rate_per_hour}
        headcount = {case.batch}
        """
    return (
        textwrap.dedent(f"""
    [drill]
    hours = {case.hours}
    warmup_hours = {case.warmup_hours}
    replications = {case.replications}
    seed = {seed}
    """)
        + textwrap.dedent(arrivals)
        + textwrap.dedent(f"""
    [drill.service]
    meal_minutes = {meal}
    """)
    )


def jungong_plan(case: Case, tmp: Path | None = None) -> CompiledDrill:
    """The case compiled for jungong's model (the scenario file goes to ``tmp`` or a temporary folder)."""
    if tmp is None:
        with tempfile.TemporaryDirectory() as d:
            return jungong_plan(case, Path(d))
    return compile_drill(drill_scenario(tmp, drill_toml(case), seats=case.seats))


def jungong_waits(plan: CompiledDrill, replications: int, seed: int) -> np.ndarray:
    """Mean wait for a seat (minutes) of each replication, at station H."""
    seeds = np.random.SeedSequence(seed).spawn(replications)
    return np.asarray([run_replication(plan, ss, i).stations[0].mean_wait for i, ss in enumerate(seeds)])


class PoissonUntil(ciw.dists.Distribution):
    """Exponential inter-arrival times of ``rate`` a minute, none after ``until`` (or one
    arrival at ``at`` when ``rate`` is 0)."""

    def __init__(self, rate: float, until: float, at: float | None = None) -> None:
        self.rate, self.until, self.at = rate, until, at

    def sample(self, t: float | None = None, ind: object = None) -> float:
        now = t or 0.0
        if self.at is not None:
            return self.at - now if now < self.at else math.inf
        gap = ciw.random.expovariate(self.rate)
        return gap if now + gap < self.until else math.inf


def ciw_network(case: Case) -> ciw.network.Network:
    service = (
        ciw.dists.Exponential(1 / MEAL_MINUTES) if case.meal == "exponential" else ciw.dists.Deterministic(MEAL_MINUTES)
    )
    return ciw.create_network(
        arrival_distributions=[PoissonUntil(case.rate_per_hour / 60, case.hours * 60, case.train_at)],
        service_distributions=[service],
        number_of_servers=[case.seats],
        batching_distributions=[ciw.dists.Deterministic(case.batch)],
    )


def ciw_waits(case: Case, replications: int, seed: int) -> np.ndarray:
    """Mean wait for a server of each replication in Ciw (seeded ``seed + i``)."""
    network, warmup = ciw_network(case), case.warmup_hours * 60
    out = []
    for i in range(replications):
        ciw.seed(seed + i)
        q = ciw.Simulation(network)
        q.simulate_until_max_time(math.inf)
        waits = [r.waiting_time for r in q.get_all_records() if r.arrival_date >= warmup]
        out.append(sum(waits) / len(waits) if waits else math.nan)
    return np.asarray(out)
