"""The network commands through the real Typer app: tables, JSON contracts, exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from supply.cli import app
from supply.core.network import Disruptions, build_network
from supply.core.robustness import robustness
from supply.core.scenario import load_scenario
from tests.conftest import TINY, write
from tests.core.test_osm import ref_scenario

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_coverage_json_contract(tiny_path):
    res = run("coverage", tiny_path, "--minutes", "10,30", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["thresholds"] == [10, 30]
    assert {"code": "S-REG", "ring": "region", "station": "P", "minutes": 25.0} in data["sites"]
    assert data["rings"]["sea"] == {"10": 0.0, "30": 1.0}
    assert data["uncovered"] == {"10": ["S-REG", "SEA1"], "30": []}


def test_coverage_with_disruptions_json(tiny_path):
    res = run("coverage", tiny_path, "--close", "W~SEA1", "--offline", "P", "--slow", "J~S-REG=2", "--json")
    assert res.exit_code == 0, res.output
    sites = {s["code"]: s for s in json.loads(res.stdout)["sites"]}
    assert sites["SEA1"]["station"] is None and sites["SEA1"]["minutes"] is None
    assert sites["S-REG"] == {
        "code": "S-REG",
        "ring": "region",
        "station": "H",
        "minutes": 75.0,
    }  # via P: offline, its roads open


def test_coverage_table_default_scenario():
    res = run("coverage")
    assert res.exit_code == 0, res.output
    assert "Coverage" in res.stdout and "uncovered within 30 min" in res.stdout


def test_route_json_and_table(tiny_path):
    res = run("route", tiny_path, "H", "SEA1", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {
        "from": "H",
        "to": "SEA1",
        "minutes": 45.0,
        "km": pytest.approx(json.loads(res.stdout)["km"]),
        "path": ["H", "J", "W", "SEA1"],
        "modes": ["road", "sea"],
    }
    res = run("route", tiny_path, "H", "SEA1")
    assert "H → J → W → SEA1" in res.stdout


def test_route_unreachable_exits_1(tiny_path):
    res = run("route", tiny_path, "H", "SEA1", "--close", "W~SEA1")
    assert res.exit_code == 1
    assert "no route from 'H' to 'SEA1'" in res.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["coverage", "{tiny}", "--offline", "W1"], "unknown station 'W1'; did you mean 'W'?"),
        (["coverage", "{tiny}", "--close", "H~Q"], "unknown link 'H~Q'"),
        (["coverage", "{tiny}", "--minutes", "30,x"], "--minutes: 'x' is not a positive whole number"),
        (["coverage", "{tiny}", "--slow", "H~J"], "--slow 'H~J': expected LINK=FACTOR"),
        (["coverage", "{tiny}", "--tiers", "hub,spoke"], "unknown tier 'spoke'"),
        (["route", "{tiny}", "H", "SEA9"], "unknown station or site 'SEA9'; did you mean 'SEA1'?"),
        (["route", "H"], "route: expected [SCENARIO] FROM TO"),
        (["robustness", "{tiny}", "--minutes", "0"], "--minutes: '0'"),
        (["site", "{tiny}", "--add", "0"], "--add: expected a number of new points ≥ 1"),
        (["coverage", "{missing}"], "missing.toml: file not found"),
    ],
)
def test_bad_input_exit_2_with_clear_message(tiny_path, args, message):
    args = [a.format(tiny=tiny_path, missing=tiny_path.parent / "missing.toml") for a in args]
    res = run(*args)
    assert res.exit_code == 2, res.output
    assert message in res.stderr
    assert "Traceback" not in res.output


def test_broken_scenario_lists_every_problem(tmp_path):
    path = write(tmp_path, TINY.replace('tier = "point"', 'tier = "spoke"').replace('a = "P"', 'a = "PP"'))
    res = run("coverage", path)
    assert res.exit_code == 2
    assert f"{path}: stations[2].tier: unknown tier 'spoke'" in res.stderr
    assert "Traceback" not in res.output


def test_robustness_and_site_json(tiny_path):
    res = run("robustness", tiny_path, "--minutes", "30", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["threshold"] == 30 and data["covered"] == 3
    assert {"kind", "ref", "lost", "sites_lost", "minutes_added"} <= set(data["failures"][0])
    res = run("site", tiny_path, "--add", "1", "--minutes", "30", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["covered"] == data["optimum"] == 3 and data["gap"] == 0


def test_robustness_and_site_tables_on_guangzhou():
    res = run("robustness", "--minutes", "60")
    assert res.exit_code == 0, res.output
    assert "N-1 at 60 min" in res.stdout
    res = run("site", "--add", "2", "--minutes", "30")
    assert res.exit_code == 0, res.output
    assert "Exact optimum" in res.stdout


def test_coverage_one_rounding_compares_as_it_prints(tiny_path):
    """Hand-built: P~S-REG (25 min) slowed ×1.2016 puts S-REG at 30.04 min — printed 30 and covered
    within 30 (it was listed uncovered); slowed ×1.216 (30.4 min) it is uncovered and printed 30.4, not 30."""
    res = run("coverage", tiny_path, "--minutes", "30", "--slow", "P~S-REG=1.2016")
    assert res.exit_code == 0, res.output
    row = next(line for line in res.stdout.splitlines() if line.startswith("│ S-REG"))
    assert row.split("│")[4].strip() == "30"
    assert "uncovered within 30 min: none" in res.stdout
    data = json.loads(run("coverage", tiny_path, "--minutes", "30", "--slow", "P~S-REG=1.2016", "--json").stdout)
    assert {"code": "S-REG", "ring": "region", "station": "P", "minutes": 30.0} in data["sites"]
    assert data["uncovered"] == {"30": []} and data["rings"]["region"] == {"30": 1.0}
    res = run("coverage", tiny_path, "--minutes", "30", "--slow", "P~S-REG=1.216")
    row = next(line for line in res.stdout.splitlines() if line.startswith("│ S-REG"))
    assert row.split("│")[4].strip() == "30.4" and "uncovered within 30 min: S-REG" in res.stdout
    net = build_network(load_scenario(tiny_path)).disrupted(Disruptions.parse(slow=["P~S-REG=1.2016"]))
    assert robustness(net, 30, links=False).covered_before == 3  # N-1 counts as coverage does


def test_robustness_text_shows_sites_cut_off_and_every_road_number(tmp_path):
    res = runner.invoke(app, ["robustness", str(ref_scenario(tmp_path)), "--no-cache"], env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    row = next(line for line in res.stdout.splitlines() if line.startswith("│ M 6098"))
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[:4] == ["M 6098", "link", "2", "2"] and cells[5] == "cut off: S2, S6"
    text = " ".join(res.stdout.split())
    assert "Ring Rd (also S 105)" in text and "cut off: reachable before, from no station after" in text
