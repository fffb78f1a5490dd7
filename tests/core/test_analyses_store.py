"""The analyses' store: ids by content, caps, owners gone, reruns that never mix with a cancelled run, pruning."""

from __future__ import annotations

import pytest

from supply.core.analyses import AnalysisArgs, AnalysisStore, Cancelled
from supply.core.errors import ConflictError, ForbiddenError, InvalidArgumentError, ServerBusyError, TooManyJobsError


def start(store, args, user="a", *, alive=lambda _o: True, per_user=2, overall=3, network="net-1"):
    return store.start(args, network, user=user, owner="host:1", per_user=per_user, overall=overall, alive=alive)


def test_identical_arguments_on_the_same_network_share_one_analysis(tmp_path):
    store = AnalysisStore(tmp_path)
    one = AnalysisArgs.parse("coverage", "30, 60", close=["X"])
    same = AnalysisArgs.parse("coverage", "30,60", close=["X"])
    assert one.key("net-1") == same.key("net-1") != one.key("net-2")
    assert one.key("net-1") != AnalysisArgs.parse("coverage", "30,60").key("net-1")
    state, new = start(store, one)
    assert new and state["status"] == "queued"
    again, new = start(store, same, user="b")
    assert not new and again["id"] == state["id"]
    with pytest.raises(InvalidArgumentError, match="robustness takes one threshold"):
        AnalysisArgs.parse("robustness", "30,60")


def test_caps_per_user_and_overall_and_owners_gone(tmp_path):
    store = AnalysisStore(tmp_path)
    start(store, AnalysisArgs.parse("coverage", "10"))
    start(store, AnalysisArgs.parse("coverage", "20"))
    with pytest.raises(TooManyJobsError, match="a has 2 analyses queued or running"):
        start(store, AnalysisArgs.parse("coverage", "30"))
    start(store, AnalysisArgs.parse("coverage", "30"), user="b")
    with pytest.raises(ServerBusyError, match="JUNGONG_ANALYSIS_JOBS=3"):
        start(store, AnalysisArgs.parse("coverage", "40"), user="c")
    state, new = start(store, AnalysisArgs.parse("coverage", "40"), user="c", alive=lambda _o: False)
    assert new  # the others' server process is gone: they failed, and free their slots
    gone = store.get(AnalysisArgs.parse("coverage", "10").key("net-1"))
    assert gone["status"] == "failed" and "host:1" in gone["error"]


def test_a_cancelled_run_never_touches_its_rerun(tmp_path):
    store = AnalysisStore(tmp_path)
    args = AnalysisArgs.parse("robustness", "60")
    first, _ = start(store, args)
    assert store.begin(first["id"], first["run"])
    store.progress(first["id"], first["run"], 0.3)
    with pytest.raises(ForbiddenError):
        store.cancel(first["id"], "b", admin=False)
    assert store.cancel(first["id"], "b", admin=True)["status"] == "cancelled"
    with pytest.raises(Cancelled):
        store.progress(first["id"], first["run"], 0.5)
    with pytest.raises(ConflictError):
        store.cancel(first["id"], "a", admin=False)
    rerun, new = start(store, args)
    assert new and rerun["id"] == first["id"] and rerun["run"] != first["run"]
    assert not store.begin(first["id"], first["run"])  # the old job, late: it stops
    assert not store.finish(first["id"], first["run"], {"stale": True})
    assert store.begin(rerun["id"], rerun["run"])
    assert store.finish(rerun["id"], rerun["run"], {"threshold": 60})
    assert store.result(rerun["id"]) == {"threshold": 60} and store.get(rerun["id"])["progress"] == 1


def test_only_the_last_finished_analyses_are_kept(tmp_path):
    store = AnalysisStore(tmp_path, keep=2)
    ids = []
    for minutes in ("10", "20", "30", "40"):
        state, _ = start(store, AnalysisArgs.parse("coverage", minutes), overall=10, per_user=10)
        store.begin(state["id"], state["run"])
        store.finish(state["id"], state["run"], {"minutes": minutes})
        ids.append(state["id"])
    start(store, AnalysisArgs.parse("coverage", "50"))  # pruning happens as analyses start
    kept = [i for i in ids if (tmp_path / i).exists()]
    assert kept == ids[-2:]
