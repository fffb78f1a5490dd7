"""The drill core's shortcuts give the very figures of the general path they stand for.

Each shortcut is switched off in a subclass (or by putting the old code back) and the records of
the same seeds compared whole: the plain-arrival path (``Model._plain``), stream arrivals taken
without SimPy events (``Model._walk_ins``), stock draws without SimPy's event (``Station.take``),
and draws taken ahead in chunks (``Dist.sampler``).
"""

from __future__ import annotations

import dataclasses
import math
from array import array
from functools import partial

import numpy as np
import pytest

from simulation import station as station_module
from simulation.compiled import CompiledDrill, compile_drill
from simulation.distributions import Dist
from simulation.model import Model
from simulation.records import ReplicationRecord
from supply.core.scenario import Scenario, load_scenario
from tests.simulation.ciw_cases import CASES, Case, jungong_plan
from tests.simulation.drill_helpers import STOCKOUT_DRILL, drill_scenario, stockout_scenario

SEEDS = np.random.SeedSequence(2026).spawn(3)


class General(Model):
    """The model without the plain-arrival shortcut."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.plain = set()


class Scheduled(Model):
    """Stream arrivals as SimPy timeouts, scheduled stream by stream as the model did before."""

    def _walk_ins(self, times: np.ndarray, which: np.ndarray) -> None:
        for t, i in zip(times.tolist(), which.tolist(), strict=True):
            self.env.timeout(t).callbacks.append(partial(self._arrive, self.plan.arrivals[i]))


def records(model: type[Model], plan: CompiledDrill) -> str:
    """The replications' records (SimPy's own event count aside: the shortcuts schedule fewer)."""
    out = [model(plan, np.random.default_rng(ss), i).run() for i, ss in enumerate(SEEDS)]
    return repr([dataclasses.replace(r, scheduled_events=0) for r in out])


def kitchen_case(tmp_path) -> CompiledDrill:
    """Walk-ins in groups of 3 at a kitchen-limited station, some of them after the horizon's end."""
    drill = """
    [drill]
    hours = 12
    warmup_hours = 1
    target_minutes = 40

    [[drill.streams]]
    station = "H"
    rate_per_hour = 4
    headcount = 3

    [[drill.units]]
    code = "BIG"
    headcount = 30
    site = "S"
    arrive = 200

    [drill.service]
    meal_minutes = { dist = "lognormal", mean = 25, sd = 10 }
    """
    return compile_drill(drill_scenario(tmp_path, drill, seats=4, meals_per_hour=20))


def plans(tmp_path) -> list[CompiledDrill]:
    out = [jungong_plan(c, tmp_path) for c in CASES]
    out.append(kitchen_case(tmp_path))
    out.append(compile_drill(stockout_scenario(tmp_path)))
    return out


@pytest.mark.parametrize("index", range(len(CASES) + 2))
def test_plain_path_gives_the_general_paths_figures(tmp_path, index):
    plan = plans(tmp_path)[index]
    assert records(General, plan) == records(Model, plan)


def short_of_meals(tmp_path) -> Scenario:
    """The small stock-out drill with walk-ins in pairs who leave after an hour, served while the
    meals last and again after each restock."""
    stream = '\n[[drill.streams]]\nstation = "P"\nrate_per_hour = 6\nheadcount = 2\ndwell_minutes = 60\n'
    return drill_scenario(
        tmp_path,
        STOCKOUT_DRILL.replace("[drill.service]", stream + "\n[drill.service]"),
        p_seats=20,
        h_stock="[stations.stock]\nmeals = 100",
        p_stock="[stations.stock]\nmeals = 30\n[stations.reorder]\nmeals = 10",
    )


class Counted(Model):
    """The model, counting the arrivals the plain path took and those it left to the general path."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.taken = self.left = 0

    def _plain(self, *args, **kw) -> bool:
        took = super()._plain(*args, **kw)
        self.taken += took
        self.left += not took
        return took


@pytest.mark.parametrize("name", [None, "scenarios/drills/three-trains.toml", "stock-out"])
def test_plain_path_with_deadlines_and_tracked_stock(tmp_path, name):
    """Walk-ins and units that must leave by a deadline, at stations whose stock is tracked; in the
    small drill the meals run out, and those arrivals are left to the general path (the restock)."""
    plan = compile_drill(short_of_meals(tmp_path) if name == "stock-out" else load_scenario(name))
    model = Counted(plan, np.random.default_rng(SEEDS[0]))
    model.run()
    assert model.taken > 0 and any(plan.arrivals[i].dwell is not None for i in range(len(plan.arrivals)))
    assert any(s is not None for st in model.stations for s in st.stock.values())
    assert (model.left > 0) == (name == "stock-out")
    assert records(General, plan) == records(Model, plan)


def test_the_plain_path_is_taken_and_stays_open_past_the_horizon(tmp_path):
    """Overloaded M/M/1 cut at the horizon: some plain arrivals are still unserved at the end."""
    case = Case("overload", 1, 6.0, 10, 0, 1)
    plan = jungong_plan(case, tmp_path)
    model = Model(plan, np.random.default_rng(1))
    rec = model.run()
    assert model.plain and model.plain_at == {0}
    assert rec.groups[0].unfinished > 0 and rec.groups[0].late > 0
    assert records(General, plan) == records(Model, plan)


@pytest.mark.parametrize("name", [None, "scenarios/drills/typhoon-nansha.toml", "scenarios/drills/three-trains.toml"])
def test_walk_ins_give_what_scheduled_arrivals_gave(name):
    plan = compile_drill(load_scenario(name))
    assert records(Scheduled, plan) == records(Model, plan)


def test_walk_ins_on_queueing_cases(tmp_path):
    for plan in plans(tmp_path):
        assert records(Scheduled, plan) == records(Model, plan)


@pytest.mark.parametrize("name", [None, "scenarios/drills/typhoon-nansha.toml", "stock-out"])
def test_stock_draws_without_simpy_events_change_nothing(tmp_path, monkeypatch, name):
    """Tracked stock, restocks and (the small drill) people waiting for a restock."""
    plan = compile_drill(stockout_scenario(tmp_path) if name == "stock-out" else load_scenario(name))
    quick = [Model(plan, np.random.default_rng(ss), i).run() for i, ss in enumerate(SEEDS)]
    monkeypatch.setattr(station_module, "QUICK_GETS", False)  # every draw a SimPy get, as before
    slow = [Model(plan, np.random.default_rng(ss), i).run() for i, ss in enumerate(SEEDS)]
    assert repr([dataclasses.replace(r, scheduled_events=0) for r in slow]) == repr(
        [dataclasses.replace(r, scheduled_events=0) for r in quick]
    )
    assert [r.events for r in slow] == [r.events for r in quick]  # a quick draw counts as the event it was
    assert sum(r.scheduled_events for r in slow) > sum(r.scheduled_events for r in quick)
    assert any(st.stockouts for r in quick for st in r.stations) == (name == "stock-out")


@pytest.mark.parametrize(
    "dist",
    [
        Dist(dist="exponential", mean=20),
        Dist(dist="uniform", low=5, high=9),
        Dist(dist="triangular", low=15, mode=20, high=30),
        Dist(dist="lognormal", mean=25, sd=10),
        Dist.fixed(20),
    ],
    ids=lambda d: d.dist,
)
@pytest.mark.parametrize("buffered", [False, True])
def test_sampler_draws_what_sample_draws(dist: Dist, buffered: bool):
    sizes = [1, 3, 1, 1, 70, 2, 500, 1, 9000, 4]
    draw = dist.sampler(np.random.default_rng(9), buffered=buffered)
    rng = np.random.default_rng(9)
    for k in sizes:
        assert draw(k) == dist.sample(rng, k).tolist()


def test_records_are_plain_python_numbers():
    """The histogram and budgets leave the model as ints and floats (pickled to the parent, JSON)."""
    plan = compile_drill(load_scenario(None))
    rec: ReplicationRecord = Model(plan, np.random.default_rng(SEEDS[0])).run()
    assert all(type(x) is int for x in rec.fed_histogram)
    assert all(type(x) is float for g in rec.groups for x in g.budget_sum)


def pool_run(seed: int, at_once: int, monkeypatch) -> list:
    """A sequence of groups through one seat pool (random sizes, times, kitchens, deadlines); everything
    the pool, the kitchen and the intervals hold afterwards, and what each call returned."""
    monkeypatch.setattr(station_module, "AT_ONCE_MIN", at_once)
    rng = np.random.default_rng(seed)
    seats = int(rng.integers(1, 400))
    staffed = None
    if seed % 3 == 1:  # a station readying on notice: some servers staffed later
        staffed = station_module.Ramp(0.5, 30.0, 60.0).staffed(seats)
    pool = station_module.SeatPool(seats, horizon=float(rng.uniform(200, 600)), staffed=staffed)
    kitchen = [
        None,
        station_module.Kitchen(float(rng.uniform(60, 3000))),
        station_module.RampKitchen(float(rng.uniform(60, 3000)), station_module.Ramp(0.3, 20.0, 90.0)),
    ][seed % 3]
    busy, queue, done = station_module.Intervals(), station_module.Intervals(), array("d")
    out = []
    t = 0.0
    for _ in range(12):
        t += float(rng.exponential(40))
        k = int(rng.integers(1, 700))
        deadline = t + float(rng.uniform(10, 200)) if rng.random() < 0.4 else float("inf")
        durations = rng.triangular(5, 20, 40, k).tolist()
        out.append(pool.serve(t, deadline, durations, kitchen, busy, queue, done))
        out.append((pool.last_split, pool.unfed_split, pool.beyond, pool.free_sum, sorted(pool.free)))
    k_state = None if kitchen is None else (kitchen.tokens, kitchen.last)
    return [*out, busy.lo, busy.hi, queue.lo, queue.hi, done, k_state]


@pytest.mark.parametrize("seed", range(9))
def test_groups_seated_at_once_array_wise_as_one_by_one(seed, monkeypatch):
    assert repr(pool_run(seed, 10**9, monkeypatch)) == repr(pool_run(seed, 2, monkeypatch))


@pytest.mark.parametrize("n", [2, 3, 10, 30, 1000, 12345])
def test_confidence_interval_uses_students_t_without_scipy_stats(n):
    """``Welford.ci95`` takes its quantile from ``scipy.special.stdtrit``: the digits of ``t.ppf``."""
    from scipy import stats as sps

    from simulation.stats import Welford

    w = Welford()
    for x in np.random.default_rng(n).normal(10.0, 3.0, n):
        w.add(float(x))
    half = float(sps.t.ppf(0.975, n - 1)) * math.sqrt(w.var / n)
    assert w.ci95() == (w.mean - half, w.mean + half)
