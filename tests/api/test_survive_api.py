"""Time to survive over the API and the CLI: the stations the Nansha crossing's closure cuts from resupply."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.db import run_cli


def _draw(client, db) -> None:
    res = client.post("/stations/NS-WING/issues", json={"item": "meals", "quantity": 700}, headers=db.headers())
    assert res.status_code == 201


def test_survive_when_the_nansha_crossing_is_cut(client, db):
    _draw(client, db)
    rep = client.get("/reports/survive", params={"cut": "GZ-NS-BRIDGE"}, headers=db.headers("commander")).json()
    assert rep["cut"]["link"] == "GZ-NS-BRIDGE" and rep["cut"]["cut_off"] == []
    assert rep["cut"]["detour_minutes"] == {"NS-WING": 27.9}  # the route round by the old crossing
    [ns] = rep["stations"]
    assert ns["station"] == "NS-WING" and ns["first_out"] == "meals"
    low, high = ns["days"]["band90"]
    assert low <= ns["days"]["median"] <= high and (rep["horizon_days"], rep["replications"]) == (14, 1000)
    every = client.get("/reports/survive", headers=db.headers()).json()["stations"]
    assert every[0]["station"] == "NS-WING" and all(s["days"] is None for s in every[1:])  # nothing drawn elsewhere
    res = client.get("/reports/survive", params={"cut": "No Such Bridge"}, headers=db.headers())
    assert res.status_code == 404
    both = client.get("/reports/survive", params={"cut": "GZ-NS-BRIDGE", "station": "NS-WING"}, headers=db.headers())
    assert both.status_code == 422 and "not both" in both.json()["detail"]


@pytest.mark.slow
def test_stock_survive_cli(client, db, tmp_path):
    _draw(client, db)

    def run(*args: str) -> subprocess.CompletedProcess:
        return run_cli(tmp_path, "stock", "survive", "--db", db.url, *args)

    out = run("--cut", "GZ-NS-BRIDGE")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert (
        lines[0] == "Closing GZ-NS-BRIDGE: cut off none; on a detour NS-WING +27.9 min (their resupply assumed stopped)"
    )
    assert lines[2].startswith("  NS-WING: ") and lines[2].endswith(", meals first")
    data = json.loads(run("--station", "NS-WING", "--json").stdout)
    assert [s["station"] for s in data["stations"]] == ["NS-WING"]
    bad = run("--cut", "GZ-NS-BRIDGE", "--station", "NS-WING")
    assert bad.returncode == 2 and "not both" in bad.stderr
