"""The seat pool and kitchen against first principles: a plain simpy.Resource, and distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from simulation.distributions import Dist
from simulation.station import Intervals, Kitchen, SeatPool


def random_groups(rng: np.random.Generator, n: int = 60) -> list[tuple[float, float, list[float]]]:
    """(arrival, deadline, service times) of groups arriving in time order; some deadlines bite."""
    t, groups = 0.0, []
    for _ in range(n):
        t += rng.exponential(8.0)
        size = int(rng.integers(1, 12))
        deadline = t + rng.uniform(5, 80) if rng.random() < 0.6 else math.inf
        groups.append((t, deadline, rng.exponential(15.0, size).tolist()))
    return groups


def with_simpy_resource(groups, capacity: int) -> list[float | None]:
    """Each person: request a seat (FIFO), give up at the deadline, hold it until done or the deadline."""
    env = simpy.Environment()
    seats = simpy.Resource(env, capacity)
    starts: list[float | None] = []

    def person(i: int, deadline: float, duration: float, req):
        wait = [req] if math.isinf(deadline) else [req, env.timeout(deadline - env.now)]
        got = yield env.any_of(wait)
        if req not in got:
            req.cancel()
            return
        starts[i] = env.now
        yield env.timeout(min(duration, deadline - env.now))
        seats.release(req)

    def arrivals():
        for arrive, deadline, durations in groups:
            yield env.timeout(arrive - env.now)
            for d in durations:
                starts.append(None)
                env.process(person(len(starts) - 1, deadline, d, seats.request()))

    env.process(arrivals())
    env.run()
    return starts


def with_seat_pool(groups, capacity: int) -> list[float | None]:
    pool, busy, starts = SeatPool(capacity), Intervals(), []
    for arrive, deadline, durations in groups:
        for d in durations:  # one at a time, to read each start back from the busy intervals
            before = len(busy.lo)
            served, _, _, seated, _ = pool.serve(arrive, deadline, [d], None, busy, None, None)
            starts.append(busy.lo[before] if seated and len(busy.lo) > before else None)
    return starts


@pytest.mark.parametrize("capacity", [1, 3, 8])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seat_pool_equals_a_simpy_resource(capacity, seed):
    """Kiefer–Wolfowitz on the pool gives exactly the start times of request/timeout/release."""
    groups = random_groups(np.random.default_rng(seed))
    expected = with_simpy_resource(groups, capacity)
    got = with_seat_pool(groups, capacity)
    assert len(got) == len(expected) > 200
    assert sum(s is None for s in expected) > 0  # deadlines did bite
    for g, e in zip(got, expected, strict=True):
        assert (g is None) == (e is None)
        if e is not None:
            assert g == pytest.approx(e, abs=1e-9)


def test_kitchen_token_bucket():
    k = Kitchen(meals_per_hour=60)  # 1 a minute, 30 ready at the start
    assert [k.ready_at(0.0) for _ in range(30)] == [0.0] * 30
    assert [k.ready_at(0.0) for _ in range(3)] == [1.0, 2.0, 3.0]  # then one a minute, FIFO
    assert k.ready_at(10.0) == 10.0  # 7 made since the last was promised at 3
    assert k.ready_at(1000.0) == 1000.0 and k.tokens == pytest.approx(29.0)  # never above 30


def test_intervals_integrate_overlaps():
    iv = Intervals()
    for lo, hi in [(0, 10), (5, 15), (20, 20)]:
        iv.add(lo, hi)
    area = iv.area_before(np.array([0.0, 5.0, 10.0, 15.0, 100.0]))
    assert area.tolist() == [0.0, 5.0, 15.0, 20.0, 20.0]


#: sd of triangular(10, 13, 30): var = (a² + b² + c² − ab − ac − bc) / 18
TRI_SD = math.sqrt((10**2 + 13**2 + 30**2 - 10 * 13 - 10 * 30 - 13 * 30) / 18)


@pytest.mark.parametrize(
    ("dist", "mean", "sd"),
    [
        (Dist(dist="exponential", mean=20), 20, 20),
        (Dist(dist="uniform", low=5, high=15), 10, 10 / math.sqrt(12)),
        (Dist(dist="triangular", low=10, mode=13, high=30), 53 / 3, TRI_SD),
        (Dist(dist="lognormal", mean=20, sd=6), 20, 6),
        (Dist.fixed(12), 12, 0),
    ],
)
def test_distributions_have_the_stated_mean_and_sd(dist, mean, sd):
    x = dist.sample(np.random.default_rng(0), 200_000)
    assert dist.expected == pytest.approx(mean)
    assert x.mean() == pytest.approx(mean, rel=0.01)
    assert x.std() == pytest.approx(sd, rel=0.02, abs=1e-9)
    assert (x >= 0).all()
