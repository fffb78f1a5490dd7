"""Starting a live drill from its action plan, recording what really happened, and the live board.

:func:`start_drill` takes the action plan (plain JSON from :mod:`simulation.plan_doc`, built by
the edge) and writes, in one transaction: the drill, its procedure, its creator as joint
command, one exercise-marked support request per planned unit (at its site), and one
*proposed* dispatch per unit from the station the plan chose — nothing is reserved until an
officer confirms it. Everything it writes is exercise-marked, so it never enters real reports.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from sqlmodel import Session, col, select

from . import command, ledger
from .audit import record
from .dispatching import create_request
from .errors import ForbiddenError, InvalidArgumentError, UnknownCodeError
from .factors import Factors
from .lifecycle import create_dispatch
from .models import Dispatch, Drill, DrillUnit, Movement, Site, Station, Team, TeamEvent, User, utcnow
from .scenario import Scenario
from .schemas import DispatchIn, LineIn, RequestIn, When

SCENARIO_NAME = r"^[A-Za-z0-9_-]+$"
STOCK_ITEMS = ("meals", "water_l", "diesel_l")


class DrillIn(BaseModel):
    """Start a drill from a built-in drill scenario (its name) or a scenario's TOML text."""

    model_config = ConfigDict(extra="forbid")

    scenario: Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=SCENARIO_NAME)] | None = Field(
        default=None, description="a drill in the scenarios' drills/ folder, e.g. 'three-trains'"
    )
    scenario_toml: Annotated[str, StringConstraints(min_length=1, max_length=200_000, pattern=r"^[^\x00]*$")] | None = (
        None
    )
    name: Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")] = ""
    start_at: When | None = Field(default=None, description="minute 0 of the drill (D1 00:00); default: now")
    replications: int | None = Field(default=None, ge=1, le=500, description="simulation size (default: ≤ 100)")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    procedure: list[command.StepIn] | None = Field(default=None, min_length=1, max_length=30)

    @model_validator(mode="after")
    def _one_source(self) -> DrillIn:
        if (self.scenario is None) == (self.scenario_toml is None):
            msg = "give exactly one of 'scenario' (a name) or 'scenario_toml'"
            raise ValueError(msg)
        return self


class UnitTimesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arrived_at: When | None = None
    served_at: When | None = Field(default=None, description="the last of the unit fed")
    departed_at: When | None = None

    @model_validator(mode="after")
    def _some(self) -> UnitTimesIn:
        if self.arrived_at is None and self.served_at is None and self.departed_at is None:
            msg = "give at least one of arrived_at, served_at, departed_at"
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
    session: Session, actor: User, scenario: Scenario, plan: dict, factors: Factors, *,
    name: str = "", start_at: datetime | None = None, procedure: list[command.StepIn] | None = None,
) -> tuple[Drill, list[str]]:  # fmt: skip
    """Write the drill (see the module docstring); returns it and the units that got no request."""
    check_plan_fits(session, scenario, plan)
    start = start_at or utcnow()
    drill = Drill(
        name=(name or plan["scenario"]).replace("\x00", "")[:200], scenario_source=scenario.source[-300:],
        scenario=scenario.model_dump(mode="json"), start_at=start, plan=plan, created_by=actor.name,
    )  # fmt: skip
    session.add(drill)
    session.flush()
    command.add_joint_command(session, drill.id, actor)
    command.add_steps(session, drill.id, procedure)
    sites = set(session.exec(select(Site.code)).all())
    skipped = []
    for u in plan["units"]:
        req_id = None
        if u["place"] in sites:
            req = create_request(session, actor.name, _request_in(drill.id, start, u), factors)
            req_id = req.id
            lines = [LineIn(item=k, quantity=v) for k, v in sorted(req.needs.items()) if v > 0]
            if u["station"] and lines:
                create_dispatch(session, actor.name, DispatchIn(request_id=req.id, station=u["station"], lines=lines),
                                proposed=True)  # fmt: skip
        else:
            skipped.append(u["code"])
        session.add(DrillUnit(
            drill_id=drill.id, code=u["code"], request_id=req_id, station=u["station"],
            planned_arrive_at=start + timedelta(minutes=u["arrive_minute"]),
            planned_fed_at=_at(start, u["fed_minute"]), planned_depart_at=_at(start, u["depart_minute"]),
        ))  # fmt: skip
    record(session, actor.name, "drill.start", f"drill:{drill.id}", exercise=True,
           detail={"scenario": scenario.source, "units": len(plan["units"]), "without_request": skipped})  # fmt: skip
    session.flush()
    return drill, skipped


def _request_in(drill_id: int, start: datetime, u: dict) -> RequestIn:
    """The exercise support request for one planned unit."""
    try:
        return RequestIn(
            unit=u["code"], headcount=u["headcount"], vehicles=u["vehicles"],
            mode="convoy" if u["vehicles"] and u["support"] != "mobile" else "train", site=u["place"],
            arrive_at=start + timedelta(minutes=u["arrive_minute"]),
            dwell_minutes=min(int(u["dwell_minutes"] or 30), 10_080), exercise=True,
            note=f"drill {drill_id}: planned unit {u['code']}",
        )  # fmt: skip
    except ValidationError as exc:
        msg = f"unit {u['code']}: cannot become a support request: {exc.errors()[0]['msg']}"
        raise InvalidArgumentError(msg) from None


def _at(start: datetime, minute: float | None) -> datetime | None:
    return None if minute is None else start + timedelta(minutes=minute)


def drill_units(session: Session, drill_id: int) -> list[DrillUnit]:
    return list(session.exec(select(DrillUnit).where(DrillUnit.drill_id == drill_id).order_by(col(DrillUnit.id))))


def record_unit_times(session: Session, actor: User, drill_id: int, code: str, data: UnitTimesIn) -> DrillUnit:
    """Record when a unit really arrived, was fed and left (officers, the joint or a station command)."""
    command.open_drill(session, drill_id)
    m = command.membership(session, drill_id, actor)
    allowed = actor.role in ("officer", "admin") or (m is not None and m.role in ("joint_command", "station_command"))
    if not allowed:
        msg = f"only officers and the drill's commands record unit times (drill {drill_id})"
        raise ForbiddenError(msg)
    unit = session.exec(select(DrillUnit).where(DrillUnit.drill_id == drill_id, DrillUnit.code == code)).first()
    if unit is None:
        known = session.exec(select(DrillUnit.code).where(DrillUnit.drill_id == drill_id)).all()
        raise UnknownCodeError("unit", code, known)
    for key in ("arrived_at", "served_at", "departed_at"):
        value = getattr(data, key)
        if value is not None:
            setattr(unit, key, value)
    if unit.arrived_at and unit.served_at and unit.served_at < unit.arrived_at:
        msg = f"unit {code}: served_at is before arrived_at"
        raise InvalidArgumentError(msg)
    session.add(unit)
    record(session, actor.name, "drill.unit", f"drill:{drill_id}", exercise=True,
           detail={"unit": code, **data.model_dump(mode="json", exclude_none=True)})  # fmt: skip
    session.flush()
    return unit


def drill_dispatches(session: Session, drill_id: int) -> list[Dispatch]:
    ids = select(DrillUnit.request_id).where(DrillUnit.drill_id == drill_id)
    return list(session.exec(select(Dispatch).where(col(Dispatch.request_id).in_(ids)).order_by(col(Dispatch.id))))


def stock_drawn(session: Session, drill_id: int) -> dict[str, dict[str, float]]:
    """What the drill's delivered dispatches issued, per station and item (exercise book)."""
    ids = [d.id for d in drill_dispatches(session, drill_id)]
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    q = select(Movement).where(col(Movement.dispatch_id).in_(ids), Movement.kind == ledger.DELIVERY)
    for m in session.exec(q):
        out[m.station][m.item] += m.quantity
    return {st: dict(items) for st, items in sorted(out.items())}


def _iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    return None if value is None else value.astimezone(tz).isoformat()


def unit_dict(u: DrillUnit, tz: ZoneInfo, dispatches: list[dict]) -> dict:
    return {
        "code": u.code, "request_id": u.request_id, "station": u.station,
        "planned": {"arrive": _iso(u.planned_arrive_at, tz), "fed": _iso(u.planned_fed_at, tz),
                    "depart": _iso(u.planned_depart_at, tz)},
        "actual": {"arrived": _iso(u.arrived_at, tz), "served": _iso(u.served_at, tz),
                   "departed": _iso(u.departed_at, tz)},
        "dispatches": dispatches,
    }  # fmt: skip


def drill_dict(drill: Drill, tz: ZoneInfo) -> dict:
    return {
        "id": drill.id, "name": drill.name, "scenario": Path(drill.scenario_source).name, "status": drill.status,
        "exercise": True, "start_at": _iso(drill.start_at, tz), "created_by": drill.created_by,
        "created_at": _iso(drill.created_at, tz), "closed_at": _iso(drill.closed_at, tz),
    }  # fmt: skip


def board(session: Session, drill: Drill, user: User, tz: ZoneInfo, *, now: datetime | None = None) -> dict:
    """The command post's live board: units planned vs actual, open orders, teams, stock vs plan."""
    now = now or utcnow()
    elapsed = (now - drill.start_at).total_seconds() / 60.0
    by_request: dict[int, list[dict]] = defaultdict(list)
    for d in drill_dispatches(session, drill.id):
        by_request[d.request_id].append({"id": d.id, "station": d.station, "status": d.status})
    units = [unit_dict(u, tz, by_request.get(u.request_id or 0, [])) for u in drill_units(session, drill.id)]
    stations = sorted({u["station"] for u in drill.plan.get("units", []) if u["station"]}
                      | set(drill.plan.get("stock_draw", {})))  # fmt: skip
    teams = list(session.exec(select(Team).where(col(Team.station).in_(stations)).order_by(Team.code)))
    last: dict[str, datetime] = {}
    q = select(TeamEvent.team, TeamEvent.at).where(col(TeamEvent.team).in_([t.code for t in teams]))
    for code, at in session.exec(q):
        last[code] = max(last.get(code, at), at)
    drawn = stock_drawn(session, drill.id)
    stock = {}
    for st in stations:
        planned = defaultdict(float)
        for h in drill.plan.get("stock_draw", {}).get(st, []):
            if h["hour"] * 60 <= elapsed:
                for item in STOCK_ITEMS:
                    planned[item] += h.get(item, 0.0)
        stock[st] = {
            item: {"on_hand": round(ledger.balance(session, st, item, True).on_hand, 3),
                   "planned_draw_to_now": round(planned[item], 1),
                   "drawn": round(drawn.get(st, {}).get(item, 0.0), 3)}
            for item in STOCK_ITEMS
        }  # fmt: skip
    orders = command.visible_orders(session, drill.id, user, open_only=True)
    return {
        "drill": drill_dict(drill, tz),
        "now": now.astimezone(tz).isoformat(),
        "elapsed_minutes": round(elapsed, 1),
        "units": units,
        "orders": command.order_dicts(session, orders, tz, now=now),
        "teams": [
            {
                "code": t.code,
                "station": t.station,
                "kind": t.kind,
                "status": t.status,
                "since": _iso(last.get(t.code), tz),
            }
            for t in teams
        ],  # fmt: skip
        "stock": stock,
        "procedure": command.procedure(session, drill, tz),
        "members": command.members(session, drill.id),
    }


def live_scenario(session: Session, drill: Drill, *, now: datetime | None = None) -> Scenario:
    """The drill's scenario from now: current exercise stock, units still to come, teams available.

    The horizon is what remains of the drill's; a unit not yet fed arrives at its planned time
    (at once if that has passed); field kitchens at a station are its kitchen teams not stood down
    (where the station has any kitchen team).
    """
    now = now or utcnow()
    data: dict[str, Any] = dict(drill.scenario)
    spec = dict(data.get("drill") or {})
    elapsed = max(0.0, (now - drill.start_at).total_seconds() / 60.0)
    hours = float(spec.get("hours", 0)) - elapsed / 60.0
    if hours <= 0:
        msg = f"drill {drill.id}: its {spec.get('hours')} h horizon is over"
        raise InvalidArgumentError(msg)
    served = {u.code for u in drill_units(session, drill.id) if u.served_at is not None}
    units = []
    for u in spec.get("units", []):
        if u["code"] in served:
            continue
        minute = next(p["arrive_minute"] for p in drill.plan["units"] if p["code"] == u["code"])
        units.append({**u, "arrive": max(0.0, minute - elapsed)})
    streams = []
    for s in spec.get("streams", []):
        to = float(s.get("to_hour", spec["hours"])) - elapsed / 60.0
        if to > 0:
            streams.append({**s, "from_hour": max(0.0, float(s.get("from_hour", 0)) - elapsed / 60.0), "to_hour": to})
    events = []
    for e in spec.get("events", []):
        until = e.get("until_hour")
        if until is not None and until - elapsed / 60.0 <= 0:
            continue
        moved = {**e, "at_hour": max(0.0, e["at_hour"] - elapsed / 60.0)}
        if until is not None:
            moved["until_hour"] = until - elapsed / 60.0
        if "lose" in e and e["at_hour"] * 60 <= elapsed:
            continue  # a loss that already happened is in the ledger's stock
        events.append(moved)
    spec.update(hours=hours, units=units, streams=streams, events=events, warmup_hours=0)
    kitchens: dict[str, int] = defaultdict(int)
    for t in session.exec(select(Team).where(Team.kind == "kitchen")):
        kitchens[t.station] += t.status != "stood_down"
    has_kitchen_teams = set(session.exec(select(Team.station).where(Team.kind == "kitchen")).all())
    stations = []
    for st in data["stations"]:
        stock = dict(st.get("stock") or {})
        for item in STOCK_ITEMS:
            if session.get(Station, st["code"]) is not None:
                stock[item] = max(0.0, ledger.balance(session, st["code"], item, True).available)
        st = {**st, "stock": stock}
        if st["code"] in has_kitchen_teams:
            st["field_kitchens"] = kitchens[st["code"]]
        stations.append(st)
    data.update(drill=spec, stations=stations)
    data["scenario"] = {**data["scenario"], "name": f"{data['scenario']['name']} — from live drill {drill.id}"}
    return Scenario.from_dict(data, source=f"drill:{drill.id}", base_dir=".")
