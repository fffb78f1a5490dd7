"""A scenario's ``[command]``: the joint military–civilian command post of a simulated drill (plain data).

``name`` names the post; each ``[[command.members]]`` holds a role, as a live drill's members do
(:mod:`supply.drills.chain`): ``joint_command`` (no station) or ``station_command`` (with ``station``,
a station of the scenario), with a ``title`` and an ``organisation`` — role titles, never people's
names. A team's leader is its own ``leader`` key in ``[[teams]]`` (:func:`~.scenario_teams.team_leaders`),
so a drill file that brings its own teams brings their leaders, while it inherits the post.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError

from supply.core.errors import Problem, ScenarioError
from supply.core.scenario import Scenario, problems_from_validation
from supply.core.types import Code, Name, Strict, UserName

#: At most this many seats in a command post.
MAX_MEMBERS = 1_000
Role = Literal["joint_command", "station_command"]


class CommandMember(Strict):
    """One seat of the command post: ``[[command.members]]``."""

    role: Role
    title: UserName
    organisation: Name = ""
    station: Code | None = None

    @property
    def label(self) -> str:
        """``title — organisation`` (the title alone when no organisation is given)."""
        return f"{self.title} — {self.organisation}" if self.organisation else self.title


class Command(Strict):
    """``[command]``: the post's name and its members."""

    name: Name = ""
    members: list[CommandMember] = Field(default_factory=list)


def command_from_scenario(scenario: Scenario) -> Command:
    """Validate ``[command]`` (an empty one when the scenario has none): every fault at once, as
    ``command.members[2].station: unknown station 'X'``."""
    raw = scenario.command
    if raw is None:
        return Command()
    src = scenario.source
    members = raw.get("members", [])
    problems: list[Problem] = []
    try:
        command = Command.model_validate({**raw, "members": []})
    except ValidationError as exc:
        problems += problems_from_validation(exc, src, prefix="command")
        command = Command()
    if not isinstance(members, list):
        problems.append(Problem(src, "command.members", "expected [[command.members]] tables"))
        members = []
    stations = {s.code for s in scenario.stations}
    for i, item in enumerate(members):
        where = f"command.members[{i}]"
        try:
            m = CommandMember.model_validate(item)
        except ValidationError as exc:
            problems += problems_from_validation(exc, src, prefix=where)
            continue
        if m.role == "station_command" and m.station is None:
            problems.append(Problem(src, f"{where}.station", "role 'station_command' needs a station"))
        elif m.role == "joint_command" and m.station is not None:
            problems.append(Problem(src, f"{where}.station", "role 'joint_command' takes no station"))
        if m.station is not None and m.station not in stations:
            problems.append(Problem(src, f"{where}.station", f"unknown station '{m.station}'"))
        command.members.append(m)
    if len(members) > MAX_MEMBERS:
        problems.append(Problem(src, "command.members", f"more than {MAX_MEMBERS} members"))
    if problems:
        raise ScenarioError(problems)
    return command
