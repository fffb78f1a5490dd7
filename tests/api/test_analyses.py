"""Background analyses on the in-process app (both databases): results equal the domain's, reuse, input checks."""

from __future__ import annotations

import time

import pytest

from supply.core.coverage import coverage
from supply.core.network import Disruptions, build_network
from supply.core.robustness import robustness
from supply.core.scenario import load_scenario
from tests.conftest import GUANGZHOU


def wait_done(client, location: str, headers: dict, timeout: float = 120) -> dict:
    """Poll an analysis until it is finished; its last state."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(location, headers=headers).json()
        if body["status"] in ("done", "failed", "cancelled"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def test_coverage_runs_in_the_background_and_equals_the_domain_function(client, db):
    h = db.headers("commander")  # a reader: analyses write nothing to the books
    body = {"kind": "coverage", "minutes": "30,60", "close": ["Haizhu Bridge"], "offline": ["NS-WING"]}
    res = client.post("/analyses", json=body, headers=h)
    assert res.status_code == 202, res.text
    location = res.headers["Location"]
    assert res.json()["status"] in ("queued", "running")
    done = wait_done(client, location, h)
    assert done["status"] == "done" and done["progress"] == 1 and done["seconds"] >= 0, done
    net = build_network(load_scenario(GUANGZHOU), Disruptions.parse(["Haizhu Bridge"], ["NS-WING"]))
    assert done["result"] == coverage(net, (30, 60)).as_dict()
    assert done["arguments"]["offline"] == ["NS-WING"] and done["created_by"] == "commander-1"

    again = client.post("/analyses", json=body, headers=db.headers("planner"))  # identical: answered at once
    assert again.status_code == 200 and again.headers["Location"] == location
    assert again.json()["result"] == done["result"]
    assert client.get(location, params={"result": "false"}, headers=h).json()["result"] is None


def test_robustness_and_map_jobs(client, db):
    h = db.headers("planner")
    res = client.post("/analyses", json={"kind": "robustness", "minutes": "45"}, headers=h)
    assert res.status_code == 202, res.text
    done = wait_done(client, res.headers["Location"], h)
    expected = robustness(build_network(load_scenario(GUANGZHOU)), 45)
    assert done["status"] == "done" and done["result"] == expected.as_dict()
    assert any(f["kind"] == "link" for f in done["result"]["failures"])  # links included, as the CLI does

    res = client.post("/analyses", json={"kind": "map", "minutes": "30,60,120"}, headers=h)
    state = wait_done(client, res.headers["Location"], h)
    assert state["status"] == "done" and state["map"] == f"/analyses/{state['id']}/map.html"
    page = client.get(state["map"], headers=h)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/maps/assets/" in page.text and "Guangzhou" in page.text
    wrong = client.get(f"/analyses/{done['id']}/map.html", headers=h)
    assert wrong.status_code == 409 and "only kind 'map' draws a map" in wrong.json()["detail"]
    finished = client.post(f"/analyses/{done['id']}/cancel", headers=h)
    assert finished.status_code == 409 and "is done" in finished.json()["detail"]


def test_a_link_unknown_to_the_network_fails_the_job_with_its_reason(client, db):
    h = db.headers("officer")
    res = client.post("/analyses", json={"kind": "coverage", "close": ["Haizhu Bridg"]}, headers=h)
    done = wait_done(client, res.headers["Location"], h)
    assert done["status"] == "failed" and "unknown link 'Haizhu Bridg'" in done["error"], done
    assert "did you mean 'Haizhu Bridge'" in done["error"]


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"kind": "robustness", "minutes": "30,60"}, 422, "robustness takes one threshold"),
        ({"kind": "coverage", "minutes": "30,x"}, 422, "--minutes"),
        ({"kind": "coverage", "offline": ["NS-WIN"]}, 404, "did you mean 'NS-WING'"),
        ({"kind": "coverage", "slow": ["A~B=fast"]}, 422, "--slow 'A~B=fast'"),
        ({"kind": "isochrones"}, 422, "kind"),
        ({"kind": "coverage", "close": ["x"] * 51}, 422, "close"),
        ({"kind": "coverage", "close": ["a\x00b"]}, 422, "close"),
        ({"kind": "coverage", "extra": 1}, 422, "extra"),
    ],
)
def test_bad_arguments_are_refused_before_any_job(client, db, body, status, detail):
    res = client.post("/analyses", json=body, headers=db.headers("commander"))
    assert res.status_code == status, res.text
    assert res.headers["content-type"] == "application/problem+json" and detail in res.text


def test_analyses_need_a_token_and_unknown_ids_are_404(client, db):
    assert client.post("/analyses", json={"kind": "coverage"}).status_code == 401
    res = client.get("/analyses/" + "0" * 32, headers=db.headers("commander"))
    assert res.status_code == 404 and res.headers["content-type"] == "application/problem+json"
    assert client.get("/analyses/not-an-id", headers=db.headers("commander")).status_code == 422
