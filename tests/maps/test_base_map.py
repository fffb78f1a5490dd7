"""The base map where the shipped outlines do not reach: no Guangzhou, no sea, a note on adding one.

The shipped outlines cover the Pearl River Delta only. A scenario in Heilongjiang (drawn below,
no sea links) gets neither Guangzhou's districts nor the sea's colour nor a sea legend, and a note
saying how to add a base map; an outline file named in the scenario becomes its base map; the
outline's file name is checked like the other files a scenario names.

    H (45.75, 126.65) --30-- W (45.80, 126.55)      S-CITY (45.76, 126.64), city ring
"""

from __future__ import annotations

import json

import pytest

from maps.basemap import NO_BASE_NOTE, base_kind
from maps.coverage_map import coverage_map
from supply.core.coverage import coverage
from supply.core.errors import ScenarioError
from supply.core.network import build_network
from supply.core.scenario import load_scenario

FAR = """
[scenario]
name = "Harbin drill"
{outline}

[[stations]]
code = "H"
name = "Harbin hub"
tier = "hub"
lat = 45.75
lon = 126.65
[stations.stock]
meals = 1200

[[stations]]
code = "W"
name = "West wing"
tier = "wing"
lat = 45.80
lon = 126.55

[[sites]]
code = "S-CITY"
name = "Central station"
kind = "rail"
ring = "city"
lat = 45.76
lon = 126.64

[[links]]
a = "H"
b = "W"
minutes = 30

[[links]]
a = "H"
b = "S-CITY"
minutes = 5
"""
SQUARE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Harbin test area"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[126.4, 45.6], [126.9, 45.6], [126.9, 45.9], [126.4, 45.9], [126.4, 45.6]]],
            },
        }
    ],
}


def _scenario(tmp_path, outline: str = ""):
    path = tmp_path / "harbin.toml"
    path.write_text(FAR.format(outline=outline), encoding="utf-8")
    return load_scenario(path)


def _map(sc) -> str:
    net = build_network(sc)
    return coverage_map(net, coverage(net, (30, 60)))


def test_outside_the_delta_no_guangzhou_no_sea_and_a_note(tmp_path):
    sc = _scenario(tmp_path)
    assert base_kind(build_network(sc)) == "none"
    html = _map(sc)
    for guangzhou in ("越秀", "Yuexiu", "Districts &amp; coast"):
        assert guangzhou not in html
    assert "sea lane" not in html and "Sea ring" not in html
    assert "#d6e7f2" in html and "background: #eceff1" in html  # the sea colour is overridden
    assert "No base map for this area" in html and "--tiles" in html and "[scenario] outline" in html
    # items by name and unit in the popups
    assert "Hot meals 热食 (份)</td><td>1,200" in html


def test_a_named_outline_file_is_the_base_map(tmp_path):
    (tmp_path / "harbin.geojson").write_text(json.dumps(SQUARE), encoding="utf-8")
    sc = _scenario(tmp_path, 'outline = "harbin.geojson"')
    assert sc.outline_geojson == SQUARE
    html = _map(sc)
    assert "Outline (scenario)" in html and "126.9" in html
    assert "No base map for this area" not in html and "越秀" not in html


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("../elsewhere.geojson", json.dumps(SQUARE), "only name a file in the scenario's folder"),
        ("missing.geojson", None, "not found beside the scenario"),
        ("harbin.geojson", "{not json", "is not readable GeoJSON"),
        ("harbin.geojson", json.dumps({"type": "Point", "coordinates": [1, 2]}), "is not a GeoJSON outline"),
    ],
)
def test_the_outline_file_is_checked(tmp_path, name, content, says):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    if content is not None:
        (folder / name).write_text(content, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        _scenario(folder, f'outline = "{name}"')
    problem = err.value.problems[0]
    assert problem.path == "scenario.outline" and problem.file.endswith("harbin.toml")
    assert says in problem.message, problem.message


def test_an_outline_cannot_be_smuggled_in_as_a_table(tmp_path):
    path = tmp_path / "harbin.toml"
    path.write_text(FAR.format(outline="") + '\n[outline_geojson]\ntype = "FeatureCollection"\n', encoding="utf-8")
    assert load_scenario(path).outline_geojson is None


def test_the_note_names_both_ways():
    assert "--tiles" in NO_BASE_NOTE and "outline" in NO_BASE_NOTE


@pytest.mark.browser
def test_outside_the_delta_in_a_browser(tmp_path, browser_session, artifacts):
    """What a reader sees: the stations on a plain background, the note, no district labels, no sea lane."""
    from tools.chromium import file_url

    path = tmp_path / "harbin.html"
    path.write_text(_map(_scenario(tmp_path)), encoding="utf-8")
    with browser_session() as s:
        s.page.goto(file_url(path))
        s.page.wait_for_function("window.jungongMap !== undefined")
        note = s.page.inner_text("#jg-note")
        assert "No base map for this area" in note and "--tiles" in note and "outline" in note
        assert s.page.is_visible("#jg-note")
        assert s.page.locator(".leaflet-marker-pane .jg-station").count() == 2
        assert s.page.locator("path.jg-sea-lane").count() == 0
        assert "越秀" not in s.page.inner_text("body") and "sea lane" not in s.page.inner_text("#jg-legend")
        popup_stock = s.page.evaluate(
            "() => Object.values(window.jungongMap._layers).filter(l => l.getPopup && l.getPopup())"
            ".map(l => l.getPopup().getContent()).map(c => typeof c === 'string' ? c : c.innerHTML).join(' ')"
        )
        assert "Hot meals 热食 (份)" in popup_stock
        s.page.screenshot(path=str(artifacts / "map-outside-the-delta.png"))
        assert s.outside == [] and s.errors == [] and s.failed == []
