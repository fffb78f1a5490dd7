"""A scenario's ``[[teams]]``: the N of "1+1+1+1+N", validated (plain data, no database).

Each team belongs to a station and is one of :data:`KINDS`, with a headcount, vehicles and the
capacity it brings (``capacity = { meals_per_hour = 100 }`` for a field kitchen team). A scenario's
team may name its ``leader`` (a role title, not a person: ``leader = "炊事班长（head cook）"``), which
the drill package shows (:func:`team_leaders`); it is the scenario's alone, not the team record's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationError

from supply.core.errors import Problem, ScenarioError
from supply.core.scenario import Scenario, problems_from_validation
from supply.core.types import Code, ShortName, Strict, UserName

KINDS = ("kitchen", "water", "fuel", "transport", "medical", "security")
Kind = Literal["kitchen", "water", "fuel", "transport", "medical", "security"]
#: Kinds that travel to the unit's site; the others work at their station.
MOBILE_KINDS = frozenset({"transport", "medical", "security"})


class TeamIn(Strict):
    """A team, as in a scenario's ``[[teams]]`` and the API's ``POST /teams``."""

    code: Code
    name: ShortName = ""
    station: Code
    kind: Kind
    headcount: int = Field(ge=1, le=10_000)
    vehicles: int = Field(default=0, ge=0, le=1_000)
    capacity: dict[Code, Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]] = Field(
        default_factory=dict, examples=[{"meals_per_hour": 100}]
    )


class _Leader(Strict):
    leader: UserName


def teams_from_scenario(scenario: Scenario) -> list[TeamIn]:
    """Validate ``[[teams]]``: every fault at once, as ``teams[2].station: ...``."""
    out: list[TeamIn] = []
    problems: list[Problem] = []
    stations = {s.code for s in scenario.stations}
    seen: set[str] = set()
    for i, raw in enumerate(scenario.teams):
        if isinstance(raw, dict) and "leader" in raw:
            try:
                _Leader.model_validate({"leader": raw["leader"]})
            except ValidationError as exc:
                problems += problems_from_validation(exc, scenario.source, prefix=f"teams[{i}]")
            raw = {k: v for k, v in raw.items() if k != "leader"}
        try:
            team = TeamIn.model_validate(raw)
        except ValidationError as exc:
            problems += problems_from_validation(exc, scenario.source, prefix=f"teams[{i}]")
            continue
        if team.station not in stations:
            problems.append(Problem(scenario.source, f"teams[{i}].station", f"unknown station '{team.station}'"))
        if team.code in seen:
            problems.append(Problem(scenario.source, f"teams[{i}].code", f"duplicate team code '{team.code}'"))
        seen.add(team.code)
        out.append(team)
    if problems:
        raise ScenarioError(problems)
    return out


def team_leaders(scenario: Scenario) -> dict[str, str]:
    """Each team's ``leader`` as the scenario names it (validated by :func:`teams_from_scenario`), by code."""
    teams_from_scenario(scenario)
    return {str(t["code"]): str(t["leader"]) for t in scenario.teams if t.get("leader")}
