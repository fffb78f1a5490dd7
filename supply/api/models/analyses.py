"""Background analyses (network analyses, simulated drills, improve): the requests and the analysis as answered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from supply.api.models.common import LocalTime, Public
from supply.core.drill_analyses import DEFAULT_STEPS, MAX_STEPS
from supply.core.drill_analyses import MAX_REPLICATIONS as MAX_SIM_REPLICATIONS
from supply.core.timefmt import local_iso
from supply.core.types import CLEAN, MAX_ID

#: A link, station or ``A~B=1.5``: short text without control characters.
Ref = Annotated[str, StringConstraints(min_length=1, max_length=200), *CLEAN]
#: At most this many closures, stations offline or slowed links in one analysis.
MAX_DISRUPTIONS = 50


class AnalysisIn(BaseModel):
    """What to analyse on the stored scenario's network (its disruptions as ``jungong coverage`` takes them)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["coverage", "robustness", "map"] = Field(
        description="coverage (as `jungong coverage --json`), robustness (N-1, as `jungong robustness --json`) "
        "or map (coverage and its HTML map)"
    )
    minutes: Annotated[str, StringConstraints(min_length=1, max_length=100), *CLEAN] | None = Field(
        default=None, description="thresholds, e.g. 30,60,120 (default); robustness takes one (default 60)"
    )
    close: list[Ref] = Field(default_factory=list, max_length=MAX_DISRUPTIONS, description="links closed (name or A~B)")
    offline: list[Ref] = Field(default_factory=list, max_length=MAX_DISRUPTIONS, description="stations offline")
    slow: list[Ref] = Field(default_factory=list, max_length=MAX_DISRUPTIONS, description="links slowed: A~B=1.5")
    tiers: list[Literal["hub", "wing", "point"]] = Field(
        default_factory=list, max_length=3, description="only stations of these tiers serve (default: all)"
    )
    links: bool = Field(default=True, description="robustness: also fail each link in turn (as the CLI does)")


#: A built-in drill's name (``guangzhou`` or a file of ``scenarios/drills/``).
DrillName = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")]
#: An uploaded scenario's TOML text.
ScenarioText = Annotated[str, StringConstraints(min_length=1, max_length=200_000), *CLEAN]


class SimulatedDrillIn(BaseModel):
    """A drill to simulate, as ``jungong drill`` does: a built-in one by name, or a scenario's TOML text."""

    model_config = ConfigDict(extra="forbid")

    scenario: DrillName | None = Field(
        default=None, description="a built-in drill: 'guangzhou' (the default drill) or a file of scenarios/drills/"
    )
    scenario_toml: ScenarioText | None = Field(
        default=None, description="a scenario with a [drill] section, as TOML ('extends' only within the scenarios)"
    )
    replications: int | None = Field(
        default=None,
        ge=1,
        le=MAX_SIM_REPLICATIONS,
        description="replications (default: the drill's, ≤ 100)",
    )
    seed: int | None = Field(default=None, ge=0, le=MAX_ID, description="the seed (default: the drill's)")


class ImproveIn(BaseModel):
    """``jungong improve`` on a simulated drill (its scenario, replications and seed), or on a scenario given here."""

    model_config = ConfigDict(extra="forbid")

    drill: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] | None = Field(
        default=None, description="a simulated drill's analysis id: improve that drill"
    )
    scenario: DrillName | None = None
    scenario_toml: ScenarioText | None = None
    replications: int | None = Field(default=None, ge=1, le=MAX_SIM_REPLICATIONS)
    seed: int | None = Field(default=None, ge=0, le=MAX_ID)
    goal: float = Field(default=0.9, gt=0, le=1, description="share of planned units on time to reach")
    max_steps: int = Field(default=DEFAULT_STEPS, ge=1, le=MAX_STEPS, description="at most this many changes")


class AnalysisPublic(Public):
    """A background analysis: its state, progress and (once done) its result."""

    id: str = Field(description="the hash of the network's content and the arguments: identical requests share it")
    kind: str = Field(description="coverage, robustness, map, drill (a simulated drill) or improve")
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float = Field(description="share of the job done (0–1)")
    arguments: dict[str, Any] = Field(description="the normalised arguments")
    created_by: str
    created_at: LocalTime
    started_at: LocalTime | None
    finished_at: LocalTime | None
    seconds: float | None = Field(description="the job's running time (started to finished), once finished")
    error: str | None = Field(description="why it failed, or who cancelled it")
    result: dict[str, Any] | None = Field(
        default=None,
        description="once done: the JSON `jungong coverage --json` (coverage, map), "
        "`jungong robustness --json` (robustness), `jungong drill --json` (drill, without the report's plotting "
        "series) or `jungong improve --json` (improve) prints",
    )
    map: str | None = Field(default=None, description="once done, kind map: the map page's path")

    @classmethod
    def of(cls, state: dict[str, Any], tz: ZoneInfo, result: dict[str, Any] | None = None) -> AnalysisPublic:
        times = {k: _local(state.get(k), tz) for k in ("created_at", "started_at", "finished_at")}
        seconds = None
        if state.get("started_at") and state.get("finished_at"):
            delta = datetime.fromisoformat(state["finished_at"]) - datetime.fromisoformat(state["started_at"])
            seconds = round(delta.total_seconds(), 3)
        done = state["status"] == "done"
        return cls(
            id=state["id"],
            kind=state["kind"],
            status=state["status"],
            progress=state["progress"],
            arguments=state["arguments"],
            created_by=state["user"],
            created_at=times["created_at"] or "",
            started_at=times["started_at"],
            finished_at=times["finished_at"],
            seconds=seconds,
            error=state.get("error"),
            result=result if done else None,
            map=f"/analyses/{state['id']}/map.html" if done and state["kind"] == "map" else None,
        )


def _local(value: str | None, tz: ZoneInfo) -> str | None:
    return local_iso(datetime.fromisoformat(value), tz) if value else None
