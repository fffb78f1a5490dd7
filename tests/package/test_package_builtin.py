"""The built-in drill's package (scenarios/guangzhou.toml): its N teams, a command box for every station that
serves a unit or owns a team, the joint command post's members from ``[command]``, in Chinese and in English;
the new scenario keys refused with their key paths, every fault at once; the teams leave the model's results
alone and give the action plan its departures.

The pages are built from the scenario and a short action plan (3 replications), without the film: fast.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from simulation.action_plan import scenario_plan
from simulation.runner import run_drill
from supply.core.errors import ScenarioError
from supply.core.scenario import load_scenario
from supply.core.scenario_command import command_from_scenario
from supply.core.scenario_teams import team_leaders, teams_from_scenario
from supply.core.settings import PROJECT_SCENARIOS
from supply.package.build import scenario_package
from supply.package.pages import pages
from tests.db import run_cli

GUANGZHOU = PROJECT_SCENARIOS / "guangzhou.toml"


@pytest.fixture(scope="module")
def builtin():
    sc = load_scenario(GUANGZHOU)
    return sc, scenario_plan(sc, replications=3, seed=1)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_builtin_package_has_its_teams_station_commands_and_members(builtin, lang):
    sc, plan = builtin
    out = pages(scenario_package(sc, plan, lang))
    index, org, roster = out["index.html"], out["organisation.html"], out["teams.html"]
    teams = teams_from_scenario(sc)
    assert len(teams) >= 22  # the field kitchens, water and fuel trucks, medical and guides of three stations
    n = int(re.search(r"N = (\d+)", index).group(1))
    assert n == len(teams) and f"N = {n}" in roster
    people = sum(t.headcount for t in teams)
    assert f"{people} " in index  # the headcount summed beside N
    # a station command for every station that serves a planned unit or owns a team, each of its teams under it
    serving = {u["station"] for u in plan["units"] if u["station"]}
    owning = {t.station for t in teams}
    assert serving
    box = "Station command</span>: " if lang == "zh" else "Station command: "
    assert set(re.findall(re.escape(box) + r"([A-Z-]+) ", org)) == serving | owning
    for t in teams:
        assert org.index(f"{box}{t.station} ") < org.index(t.code)
        assert t.code in roster
    # the joint command post's members and the station commanders, as the scenario names them
    command = command_from_scenario(sc)
    assert command.name in index and command.name in org
    assert sum(m.role == "joint_command" for m in command.members) >= 5
    for m in command.members:
        assert m.title in org and m.organisation in org
    assert "广州警备区" in org  # the garrison's seat (named in the seed report)
    # every team's leader from its [[teams]] entry; none left to be appointed
    leaders = team_leaders(sc)
    assert set(leaders) == {t.code for t in teams}
    for title in leaders.values():
        assert title in roster
    assert ("待任命" if lang == "zh" else "to be appointed") not in roster
    # what each did: the action plan's departures, team by team
    for d in plan["departures"]:
        assert d["unit"] in roster
    if lang == "zh":
        assert '<html lang="zh-CN">' in org and "军地联合指挥部" in org and "炊事（kitchen）" in roster
    else:
        assert '<html lang="en">' in org and "军地联合指挥部" not in org.replace(command.name, "")


def test_builtin_teams_leave_the_model_alone_and_give_the_plan_departures(builtin):
    sc, plan = builtin
    bare = sc.model_copy(update={"teams": [], "command": None})
    with_teams = run_drill(sc, replications=3, seed=1).as_dict()
    without = run_drill(bare, replications=3, seed=1).as_dict()
    assert with_teams == without
    # every team has something to do in the plan; the north wing's kitchens and water go out to the airlift
    assert {d["team"] for d in plan["departures"]} == {t.code for t in teams_from_scenario(sc)}
    out = {(d["team"], d["action"]) for d in plan["departures"] if d["unit"] == "M-401"}
    assert {("NW-KITCHEN-1", "leave"), ("NW-WATER", "leave"), ("NW-FUEL", "ready")} <= out
    # one kitchen team a field kitchen, as `drill --from-live` counts a station's kitchens from its teams
    kitchens = Counter(t.station for t in teams_from_scenario(sc) if t.kind == "kitchen")
    assert kitchens == {st: sc.station(st).field_kitchens for st in kitchens} and len(kitchens) == 3


def test_command_and_team_leader_faults_all_at_once(builtin):
    sc, _ = builtin
    teams = [dict(t) for t in sc.teams]
    teams[0]["leader"] = ""
    bad = sc.model_copy(
        update={
            "teams": teams,
            "command": {
                "name": "post",
                "chief": "x",
                "members": [
                    {"role": "general", "title": "a"},
                    {"role": "station_command", "title": "b", "station": "NOPE"},
                    {"role": "station_command", "title": "c"},
                    {"role": "joint_command", "title": "d", "station": "GZ-HUB"},
                    {"role": "joint_command", "title": " "},
                ],
            },
        }
    )
    with pytest.raises(ScenarioError) as exc:
        command_from_scenario(bad)
    got = {(p.path, p.message.split(":")[0]) for p in exc.value.problems}
    assert ("command.chief", "unknown key 'chief'") in got
    assert ("command.members[0].role", "unknown role 'general'") in got
    assert ("command.members[1].station", "unknown station 'NOPE'") in got
    assert ("command.members[2].station", "role 'station_command' needs a station") in got
    assert ("command.members[3].station", "role 'joint_command' takes no station") in got
    assert any(k == "command.members[4].title" for k, _ in got)
    with pytest.raises(ScenarioError) as exc:
        teams_from_scenario(bad)
    assert [p.path for p in exc.value.problems] == ["teams[0].leader"]


def test_plan_refuses_a_bad_command_with_exit_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        f'[scenario]\nextends = "{GUANGZHOU}"\nname = "bad"\n\n'
        '[command]\nname = "post"\n\n[[command.members]]\nrole = "station_command"\ntitle = "chief"\n'
        'station = "NOPE"\n\n[[command.members]]\nrole = "joint_command"\n',
        encoding="utf-8",
    )
    r = run_cli(tmp_path, "plan", str(path), "-n", "1")
    assert r.returncode == 2, r.stderr
    assert "command.members[0].station" in r.stderr and "unknown station 'NOPE'" in r.stderr
    assert "command.members[1].title" in r.stderr  # every fault at once


def test_a_station_serving_units_without_teams_still_has_its_command():
    from supply.package.pages import Package

    pkg = Package(
        lang="en",
        title="t",
        source="s",
        live=False,
        start="D1 00:00",
        stations={"A": "Alpha", "B": "Bravo", "C": "Charlie"},
        steps=[],
        teams=[{"code": "K", "name": "", "kind": "kitchen", "station": "B", "headcount": 5, "leader": None, "did": []}],
        serving={"A": ["U1", "U2"]},
    )
    org = pages(pkg)["organisation.html"]
    assert re.findall(r"Station command: ([A-Z]) ", org) == ["A", "B"]  # the scenario's order; C does nothing
    assert "serves in the action plan: U1, U2" in org and "no teams of its own in the scenario" in org
    assert "Joint command post" in org and org.count("to be appointed") >= 3  # post, both commands, K's leader
