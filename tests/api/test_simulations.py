"""Simulated drills and ``improve`` as background analyses, on the in-process app: the result equals the
CLI's JSON on the same seeds, a faulty upload names every fault, roles and the work limit hold."""

from __future__ import annotations

import pytest

from simulation.improve import improve
from simulation.improve_work import improve_replications
from simulation.runner import run_drill
from simulation.spec import drill_spec
from supply.core.scenario import load_scenario
from tests.api.test_analyses import wait_done
from tests.conftest import ROOT

DRILLS = ROOT / "scenarios" / "drills"
BAD = """
[scenario]
extends = "../guangzhou.toml"
[drill]
hours = 12
[[drill.units]]
code = "X-1"
headcount = 0
site = "GZ-RAIL"
arrive = 30
[[drill.units]]
code = "X-2"
headcount = 100
site = "GZ-RAIL"
arrive = "D1 25:00"
"""


#: A simulation touches no database (its state is in the data folder): SQLite alone is enough.
pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


def test_a_built_in_drill_runs_in_the_background_as_the_cli_runs_it(client, db):
    h = db.headers("planner")
    res = client.post("/analyses/drill", json={"scenario": "three-trains", "replications": 4}, headers=h)
    assert res.status_code == 202, res.text
    assert res.json()["kind"] == "drill" and res.json()["arguments"]["replications"] == 4
    done = wait_done(client, res.headers["Location"], h)
    assert done["status"] == "done", done
    expected = run_drill(load_scenario(DRILLS / "three-trains.toml"), replications=4).as_dict()
    for key in ("planned_units_on_time", "late_units", "units", "bottleneck_resource", "assumptions"):
        assert done["result"][key] == expected[key], key
    assert "series" not in done["result"]

    again = client.post("/analyses/drill", json={"scenario": "three-trains", "replications": 4}, headers=h)
    assert again.status_code == 200 and again.json()["id"] == done["id"]  # the same drill: answered at once


def test_improve_on_a_simulated_drill_equals_the_cli(client, db):
    h = db.headers("commander")
    res = client.post("/analyses/drill", json={"scenario": "nansha-embarkation", "replications": 6}, headers=h)
    drill = wait_done(client, res.headers["Location"], h)
    res = client.post("/analyses/improve", json={"drill": drill["id"], "max_steps": 3}, headers=h)
    assert res.status_code == 202, res.text
    done = wait_done(client, res.headers["Location"], h)
    assert done["status"] == "done", done
    assert done["arguments"]["drill"] == drill["id"] and done["arguments"]["replications"] == 6
    scenario = load_scenario(DRILLS / "nansha-embarkation.toml")
    expected, _ = improve(scenario, max_steps=3, replications=6)
    assert done["result"] == expected
    # the work estimate the request was checked against bounds what the search ran
    assert expected["replications_run"] <= improve_replications(drill_spec(scenario), 6, 3)


def test_an_uploaded_scenario_is_checked_with_every_fault_named(client, db):
    res = client.post("/analyses/drill", json={"scenario_toml": BAD}, headers=db.headers("planner"))
    assert res.status_code == 422, res.text
    detail = res.json()["detail"]
    assert "drill.units[0].headcount" in detail and "drill.units[1].arrive" in detail, detail
    fields = [e["field"] for e in res.json()["errors"]]
    assert fields == ["drill.units[0].headcount", "drill.units[1].arrive"], res.json()
    unknown = client.post("/analyses/drill", json={"scenario": "three-train"}, headers=db.headers("planner"))
    assert unknown.status_code == 404 and unknown.json()["suggestions"] == ["three-trains"]


def test_officers_may_not_simulate_and_the_work_is_bounded(client, db):
    res = client.post("/analyses/drill", json={"scenario": "three-trains"}, headers=db.headers("officer"))
    assert res.status_code == 403, res.text
    assert "needs admin or commander or planner" in res.json()["detail"]
    res = client.post("/analyses/improve", json={"scenario": "guangzhou"}, headers=db.headers("officer"))
    assert res.status_code == 403
    huge = {"scenario": "guangzhou", "replications": 500, "max_steps": 20}
    res = client.post("/analyses/improve", json=huge, headers=db.headers("planner"))
    assert res.status_code == 422 and "JUNGONG_DRILL_WORK_LIMIT" in res.json()["detail"], res.text
    both = {"drill": "0" * 32, "scenario": "guangzhou"}
    assert client.post("/analyses/improve", json=both, headers=db.headers("planner")).status_code == 422
