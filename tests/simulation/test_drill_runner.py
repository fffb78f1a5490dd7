"""Monte Carlo runs: identical results whatever runs them; streaming aggregation; the cluster."""

from __future__ import annotations

import json

import pytest

from simulation.compiled import compile_drill
from simulation.runner import run_plan
from supply.core.errors import ClusterError, InvalidArgumentError
from tests.simulation.drill_helpers import drill_scenario

DRILL = """
[drill]
hours = 12
target_minutes = 30
replications = 12
seed = 99

[[drill.units]]
code = "TRAIN"
headcount = 300
vehicles = 4
site = "S"
arrive = "D1 02:00"
dwell_minutes = 60

[[drill.streams]]
site = "S"
rate_per_hour = 3
headcount = 2
dwell_minutes = 90

[drill.service]
meal_minutes = { dist = "lognormal", mean = 20, sd = 6 }
refuel_minutes = { dist = "uniform", low = 8, high = 16 }
"""


@pytest.fixture
def plan(tmp_path):
    return compile_drill(drill_scenario(tmp_path, DRILL, seats=40, bays=2, p_seats=20))


def as_json(stats) -> str:
    return json.dumps(stats.as_dict(), sort_keys=True)


def test_same_seed_same_json_whatever_the_workers(plan):
    one = as_json(run_plan(plan, replications=12, seed=99, workers=1))
    two = as_json(run_plan(plan, replications=12, seed=99, workers=2))
    assert one == two
    assert as_json(run_plan(plan, replications=12, seed=100, workers=1)) != one


def test_same_json_on_a_dask_cluster(plan):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        on_cluster = as_json(run_plan(plan, replications=12, seed=99, cluster=cluster.scheduler_address))
    assert on_cluster == as_json(run_plan(plan, replications=12, seed=99, workers=1))


def test_progress_reports_every_replication(plan):
    seen = []
    run_plan(plan, replications=7, seed=1, workers=2, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (7, 7) and all(t == 7 for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_records_must_stream_in_order(plan):
    import numpy as np

    from simulation.model import run_replication
    from simulation.stats import DrillStats

    stats = DrillStats(plan, 1)
    with pytest.raises(ValueError, match="out of order"):
        stats.add(run_replication(plan, np.random.SeedSequence(1), index=3))


def test_aggregates_are_fixed_size(plan):
    """Memory stays flat: nothing in the statistics grows with the number of replications."""
    small, big = run_plan(plan, replications=2, seed=5), run_plan(plan, replications=20, seed=5)
    assert len(json.dumps(small.as_dict())) == pytest.approx(len(json.dumps(big.as_dict())), rel=0.05)
    assert big.n == 20 and big.service_level.n == 20


def test_bad_arguments(plan):
    with pytest.raises(InvalidArgumentError, match="replications must be ≥ 1"):
        run_plan(plan, replications=0, seed=1)
    with pytest.raises(InvalidArgumentError, match="workers must be ≥ 1"):
        run_plan(plan, replications=1, seed=1, workers=0)


def test_unreachable_cluster_is_a_clear_error(plan):
    import socket

    with socket.socket() as s:  # a loopback port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ClusterError, match=f"cannot reach the Dask cluster at tcp://127.0.0.1:{port}"):
        run_plan(plan, replications=1, seed=1, cluster=f"tcp://127.0.0.1:{port}", connect_timeout=2)
