"""Starting a live drill from its action plan, recording what really happened, and the live board.

:func:`start_drill` takes the action plan (plain JSON from :mod:`simulation.action_plan`, built by
the edge) and writes, in one transaction: the drill, its procedure, its creator as joint
command, one exercise-marked support request per planned unit (at its site), and one
*proposed* dispatch per unit from the station the plan chose — nothing is reserved until an
officer confirms it. Everything it writes is exercise-marked, so it never enters real reports.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from sqlmodel import Session, select

from supply.core.errors import InvalidArgumentError
from supply.core.factors import Factors
from supply.core.scenario import Scenario
from supply.core.types import MAX_ID, NUL_FREE, Name, When
from supply.drills import chain
from supply.drills.models import Drill, DrillUnit
from supply.drills.procedure import StepIn, add_steps
from supply.service.audit import record
from supply.service.dispatches import create_dispatch
from supply.service.inputs import DispatchIn, LineIn, RequestIn
from supply.service.models import Site, Station, User, id_of, utcnow
from supply.service.requests import create_request

SCENARIO_NAME = r"^[A-Za-z0-9_-]+$"


class DrillIn(BaseModel):
    """Start a drill from a built-in drill scenario (its name) or a scenario's TOML text."""

    model_config = ConfigDict(extra="forbid")

    scenario: Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=SCENARIO_NAME)] | None = Field(
        default=None, description="a drill in the scenarios' drills/ folder, e.g. 'three-trains'"
    )
    scenario_toml: Annotated[str, StringConstraints(min_length=1, max_length=200_000, pattern=NUL_FREE)] | None = None
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


def check_plan_fits(session: Session, scenario: Scenario, plan: dict) -> None:
    """The drill's stations and teams' stations must exist in this database; unit codes must fit its columns."""
    for i, u in enumerate(plan["units"]):
        code = u["code"]
        if not 1 <= len(code) <= 40 or "\x00" in code:
            msg = f"scenario {scenario.source}: drill.units[{i}].code must be 1–40 characters without NUL"
            raise InvalidArgumentError(msg)
        if u["headcount"] > 100_000 or u["vehicles"] > 10_000:
            msg = f"scenario {scenario.source}: drill.units[{i}] is too large for one support request"
            raise InvalidArgumentError(msg)
    known = set(session.exec(select(Station.code)).all())
    wanted = {u["station"] for u in plan["units"] if u["station"]} | {t["station"] for t in plan["departures"]}
    missing = sorted(wanted - known)
    if missing:
        msg = f"scenario {scenario.source}: stations {', '.join(missing)} are not in this database"
        raise InvalidArgumentError(msg)


def start_drill(
    session: Session,
    actor: User,
    scenario: Scenario,
    plan: dict,
    factors: Factors,
    *,
    name: str = "",
    start_at: datetime | None = None,
    procedure: list[StepIn] | None = None,
) -> tuple[Drill, list[str]]:
    """Write the drill (see the module docstring); returns it and the units that got no request."""
    check_plan_fits(session, scenario, plan)
    start = start_at or utcnow()
    drill = Drill(
        name=(name or plan["scenario"]).replace("\x00", "")[:200],
        scenario_source=scenario.source[-300:],
        scenario=scenario.model_dump(mode="json"),
        start_at=start,
        plan=plan,
        created_by=actor.name,
    )
    session.add(drill)
    session.flush()
    chain.add_joint_command(session, id_of(drill), actor)
    add_steps(session, id_of(drill), procedure)
    sites = set(session.exec(select(Site.code)).all())
    skipped = []
    for u in plan["units"]:
        req_id = None
        if u["place"] in sites:
            req = create_request(session, actor.name, _request_in(id_of(drill), start, u), factors)
            req_id = req.id
            lines = [LineIn(item=k, quantity=v) for k, v in sorted(req.needs.items()) if v > 0]
            if u["station"] and lines:
                create_dispatch(
                    session, actor.name, DispatchIn(request_id=req.id, station=u["station"], lines=lines), proposed=True
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
    record(
        session,
        actor.name,
        "drill.start",
        f"drill:{drill.id}",
        exercise=True,
        detail={"scenario": scenario.source, "units": len(plan["units"]), "without_request": skipped},
    )
    session.flush()
    return drill, skipped


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
            note=f"drill {drill_id}: planned unit {u['code']}",
        )
    except ValidationError as exc:
        msg = f"unit {u['code']}: cannot become a support request: {exc.errors()[0]['msg']}"
        raise InvalidArgumentError(msg) from None


def _at(start: datetime, minute: float | None) -> datetime | None:
    return None if minute is None else start + timedelta(minutes=minute)
