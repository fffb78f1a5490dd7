"""How ``improve`` runs its replications (:mod:`simulation.improve_eval`): the same result whoever runs
them (this process, worker processes, worker threads), each plan's replication run once per seed, tasks
that shrink towards the end of a call, and candidate steps from a list of sources."""

from __future__ import annotations

import os
import time

import pytest

from simulation import improve_eval
from simulation.compiled import compile_drill
from simulation.improve import improve, improve_plan
from simulation.improve_candidates import SOURCES, station_steps
from simulation.improve_eval import CHUNK, Evaluator, tasks
from simulation.improve_steps import Change, make_step
from simulation.model import run_replication
from supply.core.errors import InvalidArgumentError
from supply.core.scenario import load_scenario
from tests.conftest import ROOT
from tests.simulation.binding import load, seats_case

NANSHA = ROOT / "scenarios" / "drills" / "nansha-embarkation.toml"


def test_the_search_is_the_same_in_process_on_worker_processes_and_on_threads():
    """Walk-ins and exponential meals make every seed differ; the steps, gains and runs do not depend on the workers."""
    sc = load_scenario(NANSHA)
    one, _ = improve(sc, max_steps=2, replications=7)
    procs, _ = improve(sc, max_steps=2, replications=7, workers=2)
    threads, _ = improve_plan(
        compile_drill(sc), max_steps=2, replications=7, seed=one["seed"], workers=2, kind="thread"
    )
    assert one["steps"], "the case must take a step for the comparison to mean anything"
    assert procs == one
    assert {**threads, "costs": one["costs"]} == one  # improve_plan without the scenario's costs: the defaults


def test_each_replication_of_a_plan_runs_once_and_equals_a_direct_run(tmp_path):
    plan = compile_drill(load(seats_case(tmp_path)))
    key = (Change(station="H", resource="seats", add=100),)
    with Evaluator(plan, 3, 6, workers=2) as ev:
        screened = ev.screen([key, key], 2)  # the same plan twice: run once
        assert ev.runs == 2
        (records,) = ev.records([key])
        assert ev.runs == 6  # the 2 screened seeds are not run again
        stats, flags = ev.full(key)
        assert ev.runs == 6
        assert (flags[:2] == screened[0]).all() and (screened[0] == screened[1]).all()
        ev.full(key)
        assert ev.runs == 12  # dropped once run in full: run again
        ev.screen([key], 2)
        ev.forget()
        ev.screen([key], 2)
        assert ev.runs == 16  # forgotten: run again
    direct = [run_replication(key[0].apply(plan), ss, i) for i, ss in ev.seeds]
    assert [repr(r) for r in records] == [repr(r) for r in direct]  # (nan ≠ nan in ==)
    assert stats.as_dict()["replications"] == 6


def test_tasks_cover_the_work_in_order_and_shrink_towards_the_end():
    work = list(range(200))
    parts = tasks(work, 2)  # type: ignore[arg-type]  # integers stand for the (plan, index, seed) triples
    assert [x for p in parts for x in p] == work
    sizes = [len(p) for p in parts]
    assert max(sizes) == CHUNK and sizes[-1] == 1
    assert sizes == sorted(sizes, reverse=True)
    assert tasks([], 2) == []


def test_a_bad_worker_kind_is_refused(tmp_path):
    plan = compile_drill(load(seats_case(tmp_path)))
    with pytest.raises(InvalidArgumentError, match="worker kind must be one of process, thread"):
        improve_plan(plan, replications=2, workers=2, kind="fibre")  # type: ignore[arg-type]  # a bad kind on purpose


def test_candidate_steps_come_from_the_sources_listed(tmp_path):
    """No source: nothing to try; a source of one step: that step is taken (the sources are a list to extend)."""
    plan = compile_drill(load(seats_case(tmp_path)))
    none, _ = improve_plan(plan, replications=2, sources=())
    assert none["steps"] == [] and none["note"] == "goal not reached: no step gains"

    def seats_only(plan, res, costs, scale, unit):
        return [make_step(unit, (Change(station="H", resource="seats", add=700),), costs, scale)]

    res, _ = improve_plan(plan, replications=2, sources=(seats_only,))
    assert [s["change"] for s in res["steps"]] == [{"station": "H", "resource": "seats", "add": 700}]
    assert res["reached"] is True
    only, _ = improve_plan(plan, replications=2, sources=(station_steps,))
    assert only["steps"][0]["change"] == {"station": "H", "resource": "seats", "add": 500}
    assert station_steps in SOURCES


def test_a_pool_that_runs_no_faster_than_one_process_gives_way_to_it_and_the_result_stays(tmp_path, monkeypatch):
    """Below MIN_PARALLEL (here: always) the next calls run in this process until one of them finds
    cores free for the pool (here: every second one); every replication is the one the pool would
    have run."""
    monkeypatch.setattr(improve_eval, "LARGE", 4)
    monkeypatch.setattr(improve_eval, "idle_cores", lambda: 2.0)  # the machine free when the search starts
    plan = compile_drill(load(seats_case(tmp_path)))
    keys = [(Change(station="H", resource="seats", add=a),) for a in (0, 100, 200, 300, 400, 500, 600, 700)]
    monkeypatch.setattr(improve_eval, "MIN_PARALLEL", 0.0)  # never gives way
    with Evaluator(plan, 3, 6, workers=2) as pooled:
        expected = [repr(pooled.records([k])[0]) for k in keys]
    assert len(pooled.parallelism) == 8 and pooled.solo == 0
    monkeypatch.setattr(improve_eval, "MIN_PARALLEL", 100.0)
    readings = iter([0.0, 1.0] * 4)  # idle cores during the calls run here: none, then one beside this process
    monkeypatch.setattr(improve_eval.IdleCores, "since", lambda self: next(readings))
    with Evaluator(plan, 3, 6, workers=2) as ev:
        got = [repr(ev.records([k])[0]) for k in keys]
    assert got == expected
    # pool; here (no core free), here (one free: back to the pool); pool; here, here; pool; here
    assert len(ev.parallelism) == 3 and ev.solo == 5 and ev.idle == [0.0, 1.0, 0.0, 1.0, 0.0]


def test_a_busy_machine_starts_the_search_in_this_process(tmp_path, monkeypatch):
    """Fewer than FREE_CORES idle when the search starts: no call goes to the pool until a call run here
    finds the cores free; a thread pool is never switched."""
    monkeypatch.setattr(improve_eval, "LARGE", 4)
    monkeypatch.setattr(improve_eval, "idle_cores", lambda: 0.3)
    monkeypatch.setattr(improve_eval.IdleCores, "since", lambda self: 0.2)
    plan = compile_drill(load(seats_case(tmp_path)))
    keys = [(Change(station="H", resource="seats", add=a),) for a in (0, 100, 200)]
    with Evaluator(plan, 3, 6, workers=2) as ev:
        for k in keys:
            ev.records([k])
    assert ev.parallelism == [] and ev.solo == 3 and ev.idle == [0.2, 0.2, 0.2]
    with Evaluator(plan, 3, 6, workers=2, kind="thread") as threads:
        for k in keys:
            threads.records([k])
    assert threads.solo == 0


def test_idle_cores_reads_this_machine():
    """A busy-loop in this process keeps one core from being idle."""
    reading = improve_eval.IdleCores()
    end = time.perf_counter() + 0.3
    while time.perf_counter() < end:
        pass
    assert 0.0 <= reading.since() <= (os.cpu_count() or 1) - 0.5
    assert 0.0 <= improve_eval.idle_cores(0.05) <= (os.cpu_count() or 1)
