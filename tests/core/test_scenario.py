"""Scenario files: the contract's keys load; every listed fault is reported clearly."""

from __future__ import annotations

import pytest

from supply.core.errors import ScenarioError
from supply.core.scenario import load_scenario
from tests.conftest import TINY, write


def problems_of(tmp_path, text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    return [str(p) for p in info.value.problems]


def test_tiny_scenario_loads(tiny_path):
    sc = load_scenario(tiny_path)
    assert [s.code for s in sc.stations] == ["H", "W", "P"]
    assert sc.station("H").stock["meals"] == 1000
    assert sc.scenario.illustrative is True


def test_link_time_from_distance_class_and_detour(tmp_path):
    text = TINY + '\n[[links]]\na = "W"\nb = "P"\nroad_class = "expressway"\n'
    text += '\n[[links]]\na = "S-CITY"\nb = "W"\nkm = 30\nkmh = 60\n'
    sc = load_scenario(write(tmp_path, text))
    from supply.core.geo import haversine_km

    link = sc.links[-2]
    minutes, km = sc.link_minutes_km(link)
    expected_km = haversine_km(22.8, 113.4, 23.4, 113.0) * 1.35
    assert km == pytest.approx(expected_km)
    assert minutes == pytest.approx(expected_km / 80 * 60)
    assert sc.link_minutes_km(sc.links[-1]) == (pytest.approx(30.0), 30)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('tier = "point"', 'tier = "spoke"', "stations[2].tier: unknown tier 'spoke'"),
        ('kind = "sea"', 'kind = "lake"', "sites[2].kind: unknown kind 'lake'"),
        ('ring = "region"', 'ring = "world"', "sites[1].ring: unknown ring 'world'"),
        ("lat = 23.4", "lat = 123.4", "stations[2].lat: latitude 123.4 out of range"),
        ("lon = 113.6", "lon = 213.6", "sites[2].lon: longitude 213.6 out of range"),
        ('code = "P"\n', 'code = "W"\n', "stations[2].code: duplicate code 'W' (first at stations[1].code)"),
        ('a = "P"\nb = "S-REG"', 'a = "P"\nb = "NOWHERE"', "links[5].b: link to unknown code 'NOWHERE'"),
        ('code = "J"', 'code = "J J"', "junctions[0].code: code 'J J' may contain only"),
        ('mode = "sea"', 'mode = "air"', "links[2].mode: unknown mode 'air'"),
        ('name = "Hub"', 'nmae = "Hub"', "stations[0].nmae: unknown key 'nmae'"),
        ("minutes = 15", "minutes = -15", "links[2].minutes:"),
    ],
)
def test_each_fault_names_file_key_path_and_problem(tmp_path, old, new, expected):
    assert old in TINY
    found = problems_of(tmp_path, TINY.replace(old, new, 1))
    assert any(expected in p for p in found), found
    assert all(p.startswith(str(tmp_path / "scenario.toml")) for p in found)


def test_missing_required_key(tmp_path):
    found = problems_of(tmp_path, TINY.replace('tier = "wing"\n', "", 1))
    assert any("stations[1].tier: missing required key 'tier'" in p for p in found), found


def test_unconnected_station_and_site(tmp_path):
    text = TINY.replace('[[links]]\na = "H"\nb = "P"\nminutes = 50\n', "")
    text = text.replace('[[links]]\na = "P"\nb = "S-REG"\nminutes = 25\n', "")
    text += '\n[[sites]]\ncode = "ISLAND"\nkind = "sea"\nring = "sea"\nlat = 22\nlon = 114\n'
    found = problems_of(tmp_path, text)
    assert any("stations[2]: station 'P' is not connected to the network" in p for p in found), found
    assert any("sites[3]: site 'ISLAND' is not connected to the network" in p for p in found), found


def test_site_in_component_without_station(tmp_path):
    text = TINY + (
        '\n[[sites]]\ncode = "A"\nkind = "sea"\nring = "sea"\nlat = 22\nlon = 114\n'
        '\n[[sites]]\ncode = "B"\nkind = "sea"\nring = "sea"\nlat = 22.1\nlon = 114\n'
        '\n[[links]]\na = "A"\nb = "B"\nminutes = 3\n'
    )
    found = problems_of(tmp_path, text)
    assert any("sites[3]: site 'A' is not connected to any station" in p for p in found), found


def test_duplicate_links_and_names(tmp_path):
    text = TINY + '\n[[links]]\na = "J"\nb = "H"\nminutes = 12\nname = "H-J road"\n'
    found = problems_of(tmp_path, text)
    assert any("links[7].name: duplicate link name 'H-J road'" in p for p in found), found
    assert any("links[7]: duplicate link between 'J' and 'H' (first at links[0])" in p for p in found), found


def test_several_problems_reported_at_once(tmp_path):
    text = TINY.replace('tier = "point"', 'tier = "spoke"').replace("lat = 22.6", "lat = 95")
    assert len(problems_of(tmp_path, text)) == 2


def test_unreadable_files(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "missing.toml")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(write(tmp_path, "[scenario\nname="))


def test_control_characters_are_refused_in_every_table(tmp_path):
    """Issue 20: raw ``[stock]`` keys, ``[[items]]`` names, ``[[teams]]`` and ``[drill]`` text too, all at once."""
    text = TINY + (
        '\n[stock]\n"meals\\u0000" = 5\n'
        '\n[[items]]\ncode = "soap"\nname = "So\\u0007ap"\nunit = "kit"\n'
        '\n[[teams]]\ncode = "T1"\nname = "Team\\u001b"\nstation = "H"\nkind = "kitchen"\nheadcount = 3\n'
        '\n[drill]\nnote = "fine\\ttab\\nand newline"\n'
    )
    problems = problems_of(tmp_path, text)
    assert any("stock: key 'meals\\x00': control character U+0000" in p for p in problems), problems
    assert any("items[0].name: control character U+0007 is not allowed" in p for p in problems), problems
    assert any("teams[0].name: control character U+001B is not allowed" in p for p in problems), problems
    assert not any("drill" in p for p in problems)
    assert len(problems) == 3


def test_a_text_field_fault_is_reported_once(tmp_path):
    problems = problems_of(tmp_path, TINY.replace('name = "Hub"', 'name = "H\\u0000ub"', 1))
    assert len([p for p in problems if "U+0000" in p]) == 1, problems
