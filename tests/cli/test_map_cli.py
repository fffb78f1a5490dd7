"""``jungong map`` through the real Typer app: the file it writes and its errors (same as ``coverage``)."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from maps.assets import outside_urls
from supply.cli import app
from supply.core.scenario import load_scenario

runner = CliRunner()


def layer(name: str) -> str:
    """A layer's name as it appears in the layer control's script."""
    return json.dumps(name)


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_map_writes_a_self_contained_page(tmp_path):
    folder = tmp_path / "commanders-maps-for-the-typhoon-drill-of-the-nansha-wing"  # a long path: never broken
    folder.mkdir()
    out = folder / "coverage.html"
    res = run("map", "--offline", "GZS-PT", "--close", "J-HUMEN~NS-WING", "-o", out)
    assert res.exit_code == 0, res.output
    assert "wrote coverage map" in res.stdout and f" to {out} (" in res.stdout, res.stdout
    html = out.read_text(encoding="utf-8")
    assert outside_urls(html) == []
    assert "closed J-HUMEN~NS-WING; GZS-PT offline" in html  # the title names the disruptions
    assert html.count("jg-tier-") == len(load_scenario(None).stations)  # one marker per station
    assert layer("Coverage ≤ 30 min") in html and layer("Coverage ≤ 120 min") in html


def test_map_on_a_given_scenario_with_thresholds(tmp_path, tiny_path):
    out = tmp_path / "tiny.html"
    res = run("map", tiny_path, "--minutes", "10,30", "-o", out)
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "coverage within 10/30 min" in html
    assert layer("Coverage ≤ 10 min") in html and layer("Coverage ≤ 60 min") not in html


@pytest.mark.parametrize(
    "args",
    [
        ["--minutes", "30,abc"],
        ["--minutes", "0"],
        ["--offline", "GZ-HUBB"],
        ["--close", "NOPE~X"],
        ["--slow", "J-HUMEN~NS-WING"],
    ],
)
def test_map_errors_match_coverage(tmp_path, args):
    out = tmp_path / "x.html"
    mapped, covered = run("map", *args, "-o", out), run("coverage", *args)
    assert mapped.exit_code == covered.exit_code == 2
    assert mapped.stderr == covered.stderr and "error:" in mapped.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--assets", "cdn"], "--assets: 'cdn' is not one of inline, served"),
        (["--tiles", "tiles.lan"], "--tiles: 'tiles.lan' is not a tile URL template"),
        (["--drill", "missing.json"], "--drill missing.json: cannot read"),
    ],
)
def test_map_own_errors(tmp_path, args, message):
    res = run("map", *args, "-o", tmp_path / "x.html")
    assert res.exit_code == 2
    assert message in res.stderr


def test_map_drill_results(tmp_path):
    results = {
        "replications": 20,
        "seed": 3,
        "service_level": {"mean": 0.9, "ci95": [0.88, 0.92]},
        "stations": {
            "GZ-HUB": {
                "mean_wait_minutes": {"mean": 9.5, "ci95": [8, 11]},
                "utilisation": {"mean": 0.95, "ci95": [0.9, 1]},
                "served": 700,
                "stockouts": 300,
            },
            "NS-WING": {
                "mean_wait_minutes": {"mean": 1, "ci95": [0.5, 1.5]},
                "utilisation": {"mean": 0.3, "ci95": [0.2, 0.4]},
                "served": 990,
                "stockouts": 10,
            },
        },
        "units": {},
        "bottleneck": "GZ-HUB",
    }
    path = tmp_path / "drill.json"
    path.write_text(json.dumps(results))
    out = tmp_path / "drill.html"
    res = run("map", "--drill", path, "-o", out)
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "bottleneck GZ-HUB" in html and "BOTTLENECK of the drill" in html
    assert "90.0% (95% CI 88.0%–92.0%)" in html
    assert re.search(r"service level \(every arrival\)</td><td>70.0%", html)
    assert re.search(r"service level \(every arrival\)</td><td>99.0%", html)
    path.write_text(json.dumps({**results, "stations": {"XX": {}}}))
    bad = run("map", "--drill", path, "-o", out)
    assert bad.exit_code == 2 and "unknown station 'XX'" in bad.stderr
    path.write_text("{not json")
    assert "not JSON" in run("map", "--drill", path, "-o", out).stderr
