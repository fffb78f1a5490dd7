"""Bad drill input is reported in the scenario error format: file, key path, what is wrong."""

from __future__ import annotations

import textwrap

import pytest

from simulation.spec import drill_spec, parse_arrive
from supply.core.errors import ScenarioError
from supply.core.scenario import load_scenario
from tests.simulation.drill_helpers import drill_file, drill_scenario

GOOD_UNIT = """
[[drill.units]]
code = "U"
headcount = 10
site = "S"
arrive = 60
"""


def problems(tmp_path, drill: str) -> list[str]:
    sc = drill_scenario(tmp_path, drill)
    with pytest.raises(ScenarioError) as info:
        drill_spec(sc)
    src = sc.source
    assert all(p.file == src for p in info.value.problems)
    return [f"{p.path}: {p.message}" for p in info.value.problems]


@pytest.mark.parametrize(
    ("drill", "expected"),
    [
        (
            '[drill]\nhours = 10\n[[drill.units]]\ncode = "A"\nheadcount = 1\nsite = "S"\narrive = 0\n'
            '[[drill.units]]\ncode = "B"\nheadcount = 1\nsite = "S"\narrive = 0\n'
            '[[drill.units]]\ncode = "C"\nheadcount = 1\nsite = "SS"\narrive = 0\n',
            "drill.units[2].site: unknown site 'SS'; did you mean 'S'?",
        ),
        (
            '[drill]\nhours = 10\n[[drill.units]]\ncode = "A"\nheadcount = 1\nstation = "HH"\narrive = 0\n',
            "drill.units[0].station: unknown station 'HH'; did you mean 'H'?",
        ),
        (
            '[drill]\nhours = 10\n[[drill.units]]\ncode = "A"\nheadcount = 1\narrive = 0\n',
            "drill.units[0]: give exactly one of 'site' or 'station'",
        ),
        (
            '[drill]\nhours = 10\n[[drill.streams]]\nstation = "H"\nrate_per_hour = -2\n',
            "drill.streams[0].rate_per_hour: rate_per_hour -2 out of range: input should be greater than 0",
        ),
        (
            '[drill]\nhours = 10\n[drill.service]\nmeal_minutes = { dist = "triangular", low = 5, high = 9 }\n',
            "drill.service.meal_minutes.mode: triangular distribution needs 'mode' (requires low, mode, high)",
        ),
        (
            '[drill]\nhours = 10\n[drill.service]\nrefuel_minutes = { dist = "exponential" }\n',
            "drill.service.refuel_minutes.mean: exponential distribution needs 'mean' (requires mean)",
        ),
        (
            '[drill]\nhours = 10\n[drill.service]\nmeal_minutes = { dist = "gamma", mean = 3 }\n',
            "drill.service.meal_minutes.dist: unknown dist 'gamma': expected 'fixed', 'exponential', 'uniform', "
            "'triangular' or 'lognormal'",
        ),
        (
            '[drill]\nhours = 10\n[[drill.events]]\nat_hour = 12\nclose = "short"\n',
            "drill.events[0].at_hour: event at hour 12 is after the horizon of 10 hours",
        ),
        (
            '[drill]\nhours = 10\n[[drill.events]]\nat_hour = 2\nclose = "shrot"\n',
            "drill.events[0].close: unknown link 'shrot'; did you mean 'short'?",
        ),
        (
            '[drill]\nhours = 10\n[[drill.events]]\nat_hour = 2\nslow = { link = "H~Q", factor = 2 }\n',
            "drill.events[0].slow.link: unknown link 'H~Q'",
        ),
        (
            '[drill]\nhours = 10\n[[drill.events]]\nat_hour = 2\noffline = "X"\n',
            "drill.events[0].offline: unknown station 'X'",
        ),
        (
            "[drill]\nhours = 10\n[[drill.events]]\nat_hour = 2\n"
            'lose = { station = "H", item = "fuel", quantity = 1 }\n',
            "drill.events[0].lose.item: unknown item 'fuel': expected 'meals', 'water_l' or 'diesel_l'",
        ),
        (
            '[drill]\nhours = 10\n[[drill.events]]\nat_hour = 2\nclose = "short"\noffline = "H"\n',
            "drill.events[0]: give exactly one of 'close', 'offline', 'slow' or 'lose'",
        ),
        (
            '[drill]\nhours = 10\n[[drill.events]]\nat_hour = 4\nuntil_hour = 3\noffline = "H"\n',
            "drill.events[0].until_hour: until_hour 3 is not after at_hour 4",
        ),
        (
            '[drill]\nhours = 10\n[[drill.units]]\ncode = "A"\nheadcount = 1\nsite = "S"\narrive = "D1 25:00"\n',
            "drill.units[0].arrive: arrive 'D1 25:00': expected minutes from the start or 'D<day> HH:MM', "
            "e.g. 'D1 06:30'",
        ),
        (
            '[drill]\nhours = 10\n[[drill.units]]\ncode = "A"\nheadcount = 1\nsite = "S"\narrive = "D2 06:30"\n',
            "drill.units[0].arrive: arrives at minute 1830, after the horizon of 10 hours",
        ),
        (
            '[drill]\nhours = 10\n[[drill.units]]\ncode = "A"\nheadcount = 0\nsite = "S"\narrive = 1\n',
            "drill.units[0].headcount: headcount 0 out of range: input should be greater than or equal to 1",
        ),
        (
            "[drill]\nhours = 10\nwarmup_hours = 10\n",
            "drill.warmup_hours: warm-up 10 h is not shorter than the horizon",
        ),
        ("[drill]\nhourz = 10\n", "drill.hours: missing required key 'hours'"),
        ("[drill]\nhours = 10\npolicy = 'fastest'\n", "drill.policy: unknown policy 'fastest'"),
    ],
)
def test_bad_drill_input(tmp_path, drill, expected):
    found = problems(tmp_path, drill)
    assert any(line.startswith(expected) for line in found), found


def test_every_fault_at_once(tmp_path):
    found = problems(
        tmp_path,
        '[drill]\nhours = 10\n[[drill.streams]]\nsite = "SX"\nrate_per_hour = 1\nto_hour = 11\n'
        '[[drill.events]]\nat_hour = 20\noffline = "H"\n',
    )
    assert len(found) == 3, found


def test_missing_drill_section(tmp_path):
    sc = load_scenario(drill_file(tmp_path, ""))
    with pytest.raises(ScenarioError, match="drill: the scenario has no \\[drill\\] section"):
        drill_spec(sc)


def test_arrive_formats():
    assert parse_arrive(390) == 390
    assert parse_arrive("D1 06:30") == 390
    assert parse_arrive("D3 00:05") == 2 * 1440 + 5
    with pytest.raises(ValueError, match="D<day> HH:MM"):
        parse_arrive("06:30")


def test_numbers_are_fixed_times_and_defaults_hold(tmp_path):
    spec = drill_spec(drill_scenario(tmp_path, "[drill]\nhours = 5\n[drill.service]\nmeal_minutes = 12\n" + GOOD_UNIT))
    assert spec.service.meal_minutes.dist == "fixed" and spec.service.meal_minutes.value == 12
    assert spec.service.refuel_minutes.dist == "triangular"
    assert spec.policy == "earliest" and spec.target_minutes == 45


def test_drill_extends_a_base_network(tmp_path):
    base = drill_file(tmp_path, "", name="base.toml")
    sub = tmp_path / "drills"
    sub.mkdir()
    child = sub / "d.toml"
    child.write_text(
        textwrap.dedent(f"""
        [scenario]
        extends = "../{base.name}"
        name = "a drill on the base network"

        [drill]
        hours = 5
        {GOOD_UNIT}
        """),
        encoding="utf-8",
    )
    sc = load_scenario(child)
    assert sc.scenario.name == "a drill on the base network"
    assert [s.code for s in sc.stations] == ["H", "P"] and len(sc.links) == 4
    assert drill_spec(sc).units[0].site == "S"


def test_extends_errors_name_the_key(tmp_path):
    child = tmp_path / "d.toml"
    child.write_text('[scenario]\nextends = "nope.toml"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"d.toml: scenario.extends: base scenario .*nope.toml not found"):
        load_scenario(child)
    loop = tmp_path / "loop.toml"
    loop.write_text('[scenario]\nextends = "loop.toml"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="extends cycle"):
        load_scenario(loop)


def test_shipped_drills_are_valid():
    from supply.core.settings import PROJECT_SCENARIOS

    files = sorted((PROJECT_SCENARIOS / "drills").glob("*.toml"))
    assert len(files) >= 3
    for path in [PROJECT_SCENARIOS / "guangzhou.toml", *files]:
        spec = drill_spec(load_scenario(path))
        assert spec.units, path
    typhoon = drill_spec(load_scenario(PROJECT_SCENARIOS / "drills" / "typhoon-nansha.toml"))
    assert any(e.close == "GZ-NS-BRIDGE" for e in typhoon.events)
