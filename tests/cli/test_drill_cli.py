"""`jungong drill` through the real Typer app and as a subprocess: JSON contract, report, compare."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from supply.cli import app
from supply.core.settings import PROJECT_SCENARIOS
from tests.conftest import ROOT
from tests.simulation.drill_helpers import drill_file

runner = CliRunner()
DRILLS = PROJECT_SCENARIOS / "drills"

DRILL = """
[drill]
hours = 6
target_minutes = 40
replications = 6
seed = 3

[[drill.units]]
code = "TRAIN"
headcount = 120
site = "S"
arrive = 30
dwell_minutes = 90

[[drill.streams]]
station = "H"
rate_per_hour = 4
"""


def run(*args):
    return runner.invoke(app, ["drill", *[str(a) for a in args]])


def test_json_contract(tmp_path):
    res = run(drill_file(tmp_path, DRILL, seats=30), "--json", "-w", "1")
    assert res.exit_code == 0, res.output
    assert "NaN" not in res.stdout and "Infinity" not in res.stdout  # strict JSON
    data = json.loads(res.stdout)
    assert data["replications"] == 6 and data["seed"] == 3
    assert set(data["service_level"]) == {"mean", "ci95"} and len(data["service_level"]["ci95"]) == 2
    h = data["stations"]["H"]
    for key in ("mean_wait_minutes", "utilisation"):
        assert set(h[key]) == {"mean", "ci95"}
    assert isinstance(h["served"], float | int) and isinstance(h["stockouts"], float | int)
    assert set(data["units"]) == {"TRAIN", "stream1@H"}
    assert set(data["units"]["TRAIN"]) >= {"on_time_share", "mean_minutes_to_fed"}
    assert data["bottleneck"] == "H"


def test_options_override_the_drill(tmp_path):
    path = drill_file(tmp_path, DRILL, seats=30)
    a = json.loads(run(path, "--json", "-n", "4", "--seed", "8", "-w", "2").stdout)
    b = json.loads(run(path, "--json", "-n", "4", "--seed", "8", "-w", "1").stdout)
    assert a["replications"] == 4 and a["seed"] == 8
    assert a == b


def test_tables_and_report(tmp_path):
    out = tmp_path / "drill.html"
    res = run(drill_file(tmp_path, DRILL, seats=30), "-w", "1", "--report", out)
    assert res.exit_code == 0, res.output
    assert res.stdout.lstrip().splitlines()[1].startswith("Planned units on time: ")
    assert "service level (on time)" in res.stdout and "bottleneck: H" in res.stdout
    assert "TRAIN" in res.stdout and f"report written to {out}\n" in res.stdout  # the path on one line
    tables = [line for line in res.stdout.splitlines() if " written to " not in line]
    assert max(len(line) for line in tables) <= 80 and "…" not in res.stdout
    page = out.read_text(encoding="utf-8")
    # time budgets, queue, minutes to fed, by station; the untracked stock is a sentence, not an empty plot
    assert page.count("data:image/png;base64,") == 4
    assert "No station tracks its meal stock" in page
    assert page.index("Planned units on time") < page.index("<h2>Stations</h2>")
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)  # nothing fetched from a network
    assert "Queue length over time" not in page  # titles live in the images, not the HTML
    assert "<h2>Units</h2>" in page and "TRAIN" in page


def test_compare_two_plans(tmp_path):
    a = drill_file(tmp_path, DRILL, seats=30, name="a.toml")
    b = drill_file(tmp_path, DRILL, seats=120, name="b.toml")
    res = run(a, "--compare", b, "--json", "-w", "1")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    rows = {r["metric"]: r for r in data["comparison"]["rows"]}
    wait = rows["H mean wait (min)"]
    assert wait["b"] < wait["a"] and wait["significant"] and wait["p_value"] < 0.05
    assert data["a"]["replications"] == data["b"]["replications"] == 6
    table = run(a, "--compare", b, "-w", "1")
    assert "significant" in table.stdout and "Welch" in table.stdout
    assert "None" not in table.stdout and "planned_units_on_time" not in table.stdout  # names, not keys
    assert "Planned units on time" in table.stdout and re.search(r"p (<|=) 0\.\d+", table.stdout)
    assert re.search(r"\d+\.\d%", table.stdout) and "percentage points" in table.stdout
    report = tmp_path / "compare.html"
    assert run(a, "--compare", b, "-w", "1", "--report", report).exit_code == 0
    page = report.read_text(encoding="utf-8")
    compared = page[page.index("Compared with") :]
    assert "None" not in compared and "planned_units_on_time" not in compared  # the same words as the text
    assert "<td>Planned units on time</td>" in compared and re.search(r"<td>p (&lt;|=) 0\.\d+</td>", compared)


def test_map_option_calls_the_maps_package(tmp_path):
    out = tmp_path / "map.html"
    res = run(drill_file(tmp_path, DRILL, seats=30), "-w", "1", "-n", "2", "--map", out)
    try:
        from maps import drill_map  # noqa: F401
    except ImportError:
        assert res.exit_code == 2
        assert "maps.drill_map is missing" in res.stderr
    else:
        assert res.exit_code == 0, res.output
        assert out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-n", "0"], "--replications must be ≥ 1, got 0"),
        (["-w", "0"], "--workers must be ≥ 1, got 0"),
        (["--cluster", "localhost:8786"], "expected a scheduler address such as tcp://host:8786"),
    ],
)
def test_bad_options_exit_2(tmp_path, args, message):
    res = run(drill_file(tmp_path, DRILL, seats=30), *args)
    assert res.exit_code == 2
    assert message in res.stderr


def test_bad_drill_exits_2_naming_file_and_key(tmp_path):
    path = drill_file(tmp_path, DRILL.replace('site = "S"', 'site = "GZ-RAILL"'), seats=30)
    res = run(path)
    assert res.exit_code == 2
    assert f"{path}: drill.units[0].site: unknown site 'GZ-RAILL'" in res.stderr
    assert "Traceback" not in res.output


@pytest.mark.parametrize("name", ["three-trains", "nansha-embarkation", "typhoon-nansha"])
def test_shipped_drills_run(name):
    res = run(DRILLS / f"{name}.toml", "-n", "3", "-w", "1", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["replications"] == 3 and data["bottleneck"]


def test_typhoon_drill_closes_the_bridge():
    data = json.loads(run(DRILLS / "typhoon-nansha.toml", "-n", "2", "-w", "1", "--json").stdout)
    assert any("closed GZ-NS-BRIDGE" in d["state"] for d in data["disruptions"])


def test_default_drill_as_a_subprocess_with_worker_processes(tmp_path):
    """The default scenario's drill, from a real process, with two worker processes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUNGONG_DATA_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "supply.cli", "drill", "-n", "6", "-w", "2", "--json"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["hours"] == 72 and "T-101" in data["units"] and data["bottleneck"] in data["stations"]


@pytest.mark.slow
def test_cli_on_a_dask_cluster_over_loopback_tcp(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    path = drill_file(tmp_path, DRILL, seats=30)
    local = json.loads(run(path, "--json", "-w", "1").stdout)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        res = run(path, "--json", "--cluster", cluster.scheduler_address)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == local


@pytest.mark.browser
def test_report_renders_in_chromium_with_no_network(tmp_path):
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed (see .ci/run)")
    page = tmp_path / "drill.html"
    assert run(DRILLS / "three-trains.toml", "-n", "3", "-w", "1", "--report", page).exit_code == 0
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--screenshot={shot}",
            "--window-size=1200,2600",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert shot.stat().st_size > 50_000  # tables and four plots, not a blank page


def test_improve_json_text_and_report(tmp_path):
    from tests.simulation.binding import bays_case

    path = bays_case(tmp_path)
    res = runner.invoke(app, ["improve", str(path), "-n", "6", "-w", "1", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["steps"][0]["change"] == {"station": "H", "resource": "refuel_bays", "add": 3} and data["reached"]
    assert set(data["steps"][0]) >= {"change", "planned_units_on_time", "gain"}
    out = tmp_path / "improve.html"
    text = runner.invoke(app, ["improve", str(path), "-n", "6", "-w", "1", "--report", str(out)])
    assert text.exit_code == 0, text.output
    assert " 1. add 3 refuel bays at H" in text.stdout and "Goal reached with 1 step(s), total cost 75." in text.stdout
    html_text = out.read_text(encoding="utf-8")
    assert "What to change, costed step by step" in html_text and "add 3 refuel bays at H (cost 75)" in html_text
    drill = run(path, "-n", "6", "-w", "1", "--improve", "--report", tmp_path / "drill.html")
    assert drill.exit_code == 0, drill.output
    assert "add 3 refuel bays at H" in drill.stdout
    assert "add 3 refuel bays at H" in (tmp_path / "drill.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--goal", "0"], "--goal must be a share in (0, 1]"), (["-n", "0"], "--replications must be ≥ 1")],
)
def test_improve_bad_options_exit_2(tmp_path, args, message):
    from tests.simulation.binding import bays_case

    res = runner.invoke(app, ["improve", str(bays_case(tmp_path)), *args])
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.output
