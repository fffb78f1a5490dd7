"""Starting a live drill: written at once as ``planning``, completed from its action plan.

A drill starts in two parts, so no request waits for a simulation (see :mod:`supply.drills.jobs`):

* :func:`create_drill` (the request, one transaction): the drill as ``planning``, with what its
  planning job needs (replications, seed), its procedure, its creator as joint command and its own
  exercise teams (:func:`~supply.drills.teams.drill_teams`: a drill never creates or changes a
  real team). Its stations must exist in this database.
* :func:`write_units` (the job, one transaction per batch of units, so no transaction holds the
  write lock for long): one exercise-marked support request per planned unit (at its site) and
  one *proposed* dispatch from the station the plan chose (nothing is reserved until an officer
  confirms it) — none for a unit the plan cannot serve before it must leave (``feasible: false``):
  its request says why, and no station is proposed. A batch skips units already written, so a
  resumed job never writes twice; then :func:`~supply.drills.jobs.finish` opens the drill.

Everything it writes is exercise-marked, so it never enters real reports.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from sqlmodel import Session, select

from supply.core.errors import InvalidArgumentError
from supply.core.factors import Factors
from supply.core.scenario import Scenario
from supply.core.types import CLEAN, MAX_ID, Name, When, control_char
from supply.drills import chain
from supply.drills.models import Drill, DrillUnit
from supply.drills.procedure import StepIn, add_steps
from supply.drills.teams import drill_teams
from supply.service.audit import record
from supply.service.auth import Caller
from supply.service.dispatches import create_dispatch
from supply.service.inputs import DispatchIn, LineIn, RequestIn
from supply.service.models import Site, Station, id_of, utcnow
from supply.service.requests import create_request

SCENARIO_NAME = r"^[A-Za-z0-9_-]+$"


class DrillIn(BaseModel):
    """Start a drill from a built-in drill scenario (its name) or a scenario's TOML text."""

    model_config = ConfigDict(extra="forbid")

    scenario: Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=SCENARIO_NAME)] | None = Field(
        default=None, description="a drill in the scenarios' drills/ folder, e.g. 'three-trains'"
    )
    scenario_toml: Annotated[str, StringConstraints(min_length=1, max_length=200_000), *CLEAN] | None = None
    name: Name = ""
    start_at: When | None = Field(default=None, description="minute 0 of the drill (D1 00:00); default: now")
    replications: int | None = Field(default=None, ge=1, le=500, description="simulation size (default: ≤ 100)")
    seed: int | None = Field(default=None, ge=0, le=MAX_ID)
    procedure: list[StepIn] | None = Field(default=None, min_length=1, max_length=30)

    @model_validator(mode="after")
    def _one_source(self) -> DrillIn:
        if (self.scenario is None) == (self.scenario_toml is None):
            msg = "give exactly one of 'scenario' (a name) or 'scenario_toml'"
            raise ValueError(msg)
        return self


def check_scenario_fits(session: Session, scenario: Scenario) -> None:
    """The drill's units' and teams' stations must exist in this database; unit codes must fit its columns."""
    drill = scenario.drill or {}
    units = drill.get("units", []) if isinstance(drill.get("units"), list) else []
    for i, u in enumerate(units):
        code = u.get("code", "") if isinstance(u, dict) else ""
        if not isinstance(code, str) or not 1 <= len(code) <= 40 or control_char(code):
            msg = f"scenario {scenario.source}: drill.units[{i}].code must be 1–40 characters, no control characters"
            raise InvalidArgumentError(msg)
    known = set(session.exec(select(Station.code)).all())
    wanted = {u.get("station") for u in units if isinstance(u, dict) and isinstance(u.get("station"), str)}
    wanted |= {u.get("serve_at") for u in units if isinstance(u, dict) and isinstance(u.get("serve_at"), str)}
    wanted |= {t.get("station") for t in scenario.teams if isinstance(t.get("station"), str)}
    missing = sorted(str(c) for c in wanted - known if c)
    if missing:
        msg = f"scenario {scenario.source}: stations {', '.join(missing)} are not in this database"
        raise InvalidArgumentError(msg)


def create_drill(
    session: Session,
    actor: Caller,
    scenario: Scenario,
    *,
    job: dict,
    name: str = "",
    start_at: datetime | None = None,
    procedure: list[StepIn] | None = None,
    owner: str | None = None,
) -> Drill:
    """Write the drill as ``planning`` (see the module docstring); ``job`` holds its planning inputs."""
    check_scenario_fits(session, scenario)
    title = name or str(scenario.scenario.name)
    drill = Drill(
        name=title[:200],
        scenario_source=scenario.source[-300:],
        scenario=scenario.model_dump(mode="json"),
        start_at=start_at or utcnow(),
        plan={},
        created_by=actor.name,
        status="planning",
        job=job,
        progress=0.0,
        job_owner=owner,
    )
    session.add(drill)
    session.flush()
    chain.add_joint_command(session, id_of(drill), actor)
    add_steps(session, id_of(drill), procedure)
    drill_teams(session, scenario, id_of(drill), actor.name)
    record(
        session,
        actor.name,
        "drill.start",
        f"drill:{id_of(drill)}",
        exercise=True,
        detail={"scenario": scenario.source, "job": job},
    )
    session.flush()
    return drill


def check_plan_fits(session: Session, source: str, plan: dict) -> None:
    """The plan's units must fit a support request; its stations must exist in this database."""
    for i, u in enumerate(plan["units"]):
        if u["headcount"] > 100_000 or u["vehicles"] > 10_000:
            msg = f"scenario {source}: drill.units[{i}] is too large for one support request"
            raise InvalidArgumentError(msg)
    known = set(session.exec(select(Station.code)).all())
    wanted = {u["station"] for u in plan["units"] if u["station"]} | {t["station"] for t in plan["departures"]}
    missing = sorted(wanted - known)
    if missing:
        msg = f"scenario {source}: stations {', '.join(missing)} are not in this database"
        raise InvalidArgumentError(msg)


def write_units(session: Session, drill: Drill, actor: str, units: list[dict], factors: Factors) -> list[str]:
    """One batch of the plan's units: requests, proposed dispatches, drill units; returns those without a request.

    Units of this drill already written (a resumed job) are skipped.
    """
    done = set(session.exec(select(DrillUnit.code).where(DrillUnit.drill_id == id_of(drill))).all())
    sites = set(session.exec(select(Site.code)).all())
    start = drill.start_at
    skipped = []
    for u in units:
        if u["code"] in done:
            continue
        req_id = None
        if u["place"] in sites:
            req = create_request(session, actor, _request_in(id_of(drill), start, u), factors)
            req_id = req.id
            lines = [LineIn(item=k, quantity=v) for k, v in sorted(req.needs.items()) if v > 0]
            if u["station"] and lines and u.get("feasible", True):
                create_dispatch(
                    session, actor, DispatchIn(request_id=req.id, station=u["station"], lines=lines), proposed=True
                )
        else:
            skipped.append(u["code"])
        session.add(
            DrillUnit(
                drill_id=id_of(drill),
                code=u["code"],
                request_id=req_id,
                station=u["station"],
                planned_arrive_at=start + timedelta(minutes=u["arrive_minute"]),
                planned_fed_at=_at(start, u["fed_minute"]),
                planned_depart_at=_at(start, u["depart_minute"]),
            )
        )
    session.flush()
    return skipped


def _request_in(drill_id: int, start: datetime, u: dict) -> RequestIn:
    """The exercise support request for one planned unit."""
    try:
        return RequestIn(
            unit=u["code"],
            headcount=u["headcount"],
            vehicles=u["vehicles"],
            mode="convoy" if u["vehicles"] and u["support"] != "mobile" else "train",
            site=u["place"],
            arrive_at=start + timedelta(minutes=u["arrive_minute"]),
            dwell_minutes=min(int(u["dwell_minutes"] or 30), 10_080),
            exercise=True,
            note=_note(drill_id, u),
        )
    except ValidationError as exc:
        msg = f"unit {u['code']}: cannot become a support request: {exc.errors()[0]['msg']}"
        raise InvalidArgumentError(msg) from None


def _note(drill_id: int, u: dict) -> str:
    """The request's note: the drill and unit, and why a unit the plan cannot serve has no dispatch (≤ 500)."""
    note = f"drill {drill_id}: planned unit {u['code']}"
    if not u.get("feasible", True):
        note += f"; CANNOT BE SERVED, no dispatch proposed: {u.get('infeasible_reason') or 'see the plan'}"
    return note[:500]


def _at(start: datetime, minute: float | None) -> datetime | None:
    return None if minute is None else start + timedelta(minutes=minute)
