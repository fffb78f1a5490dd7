"""Background analyses on a real server (loopback) over a city-sized OSM graph: other requests are not blocked.

The server (``jungong serve``, two workers) holds a database whose scenario is an OSM-shaped city
of ~16,000 nodes (``bench/bench_coverage.py``'s generator). While its N-1 robustness job runs in
the job pool, ``/health`` and ``GET /stations`` are timed; their slowest answer must be a small
fraction of the job's own duration (a request waiting on the job would take about as long as it).
The caps are one analysis per user and one in all, so the second caller's refusal is seen too.
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from bench.bench_coverage import osm_city
from supply.core.network_cache import cached_network
from supply.core.robustness import robustness
from supply.core.scenario import load_scenario
from supply.core.settings import Settings
from supply.service.db import make_engine, write_session
from supply.service.scenario_sync import sync_scenario
from tests.db import BACKENDS, Db, Template, serve

pytestmark = pytest.mark.slow

SIDE = 126  # 15,876 road nodes


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """The city's scenario, a data folder whose network cache holds it, and N-1 as the domain computes it."""
    folder = tmp_path_factory.mktemp("city")
    scenario_path = osm_city(folder, SIDE, np.random.default_rng(7), stations=10, sites=300)
    data = folder / "data"
    net = cached_network(load_scenario(scenario_path), Settings(data_dir=data).network_cache_dir)
    return scenario_path, data, robustness(net, 60).as_dict()


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, city, tmp_path: Path):
    """``jungong serve --workers 2`` on the city's database; caps of one analysis per user and one in all."""
    scenario_path, cached, _ = city
    data = tmp_path / "data"  # its own analyses; the compiled network copied from the city's cache
    shutil.copytree(cached, data)
    template: Template = request.getfixturevalue(f"{request.param}_template")
    db = Db(template.backend, template.make_copy(), template.tokens)
    engine = make_engine(db.url)
    with write_session(engine) as s:
        sync_scenario(s, load_scenario(scenario_path), scenario_path.read_text(encoding="utf-8"), actor="test")
        s.commit()
    engine.dispose()
    caps = {"JUNGONG_ANALYSIS_JOBS": "1", "JUNGONG_ANALYSIS_JOBS_PER_USER": "1"}
    with serve(db, tmp_path, JUNGONG_DATA_DIR=str(data), **caps) as server:
        clients = {
            role: httpx.Client(base_url=server.live.base, headers=db.headers(role), timeout=120)
            for role in template.tokens
        }
        yield clients
        for c in clients.values():
            c.close()


def timed(client: httpx.Client, path: str) -> float:
    t0 = time.perf_counter()
    assert client.get(path).status_code == 200
    return time.perf_counter() - t0


def test_n1_of_a_city_runs_in_the_background(server, city):
    officer, planner = server["officer"], server["planner"]
    idle = [timed(officer, p) for _ in range(10) for p in ("/health", "/stations")]

    res = officer.post("/analyses", json={"kind": "robustness", "minutes": "60"})
    assert res.status_code == 202, res.text
    location = res.headers["Location"]
    mine = officer.post("/analyses", json={"kind": "coverage"})  # the officer's one slot is taken
    assert mine.status_code == 429 and int(mine.headers["Retry-After"]) > 0, mine.text
    assert "JUNGONG_ANALYSIS_JOBS_PER_USER=1" in mine.json()["detail"]
    full = planner.post("/analyses", json={"kind": "coverage"})  # and the server's one slot
    assert full.status_code == 503 and int(full.headers["Retry-After"]) > 0, full.text
    assert full.headers["content-type"] == "application/problem+json"

    during, progress = [], []
    while (state := officer.get(location, params={"result": "false"}).json())["status"] in ("queued", "running"):
        progress.append(state["progress"])
        during += [timed(officer, "/health"), timed(planner, "/stations")]
    assert state["status"] == "done", state
    job = state["seconds"]
    assert progress == sorted(progress) and any(0 < p < 1 for p in progress), progress
    # a request waiting on the job would take about as long as the job: these take a small fraction
    figures = {"job": job, "max": max(during), "p50": statistics.median(during), "idle p50": statistics.median(idle)}
    assert len(during) >= 10 and max(during) < job / 3 and statistics.median(during) < job / 10, figures

    done = officer.get(location).json()
    assert done["result"] == city[2]  # the domain function's answer, links included
    again = planner.post("/analyses", json={"kind": "robustness", "minutes": "60"})
    assert again.status_code == 200 and again.json()["result"] == city[2]  # identical: answered at once


def test_a_running_analysis_can_be_cancelled(server):
    officer, planner = server["officer"], server["planner"]
    res = officer.post("/analyses", json={"kind": "robustness", "minutes": "45"})
    assert res.status_code == 202, res.text
    location = res.headers["Location"]
    deadline = time.monotonic() + 60
    while officer.get(location).json()["progress"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert planner.post(location + "/cancel").status_code == 403  # not theirs
    cancelled = officer.post(location + "/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    time.sleep(1.5)  # past the job's next progress step: it stopped, and wrote nothing
    state = officer.get(location).json()
    assert state["status"] == "cancelled" and state["result"] is None and "cancelled by officer-1" in state["error"]
    assert officer.post(location + "/cancel").status_code == 409
    res = planner.post("/analyses", json={"kind": "coverage", "minutes": "15,30"})  # the slot is free again
    assert res.status_code == 202, res.text
