"""The ``[drill]`` section of a scenario: a pydantic model plus the checks that need the network.

:func:`drill_spec` is the one entry point. Every fault is reported at once in the scenario
error format (file, key path such as ``drill.units[2].site``, message), codes that name nothing
come with suggestions.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from simulation.distributions import Dist, as_dist
from supply.core.errors import Problem, ScenarioError
from supply.core.factors import factors_from_scenario
from supply.core.scenario import Scenario, problems_from_validation
from supply.core.scenario_command import command_from_scenario
from supply.core.scenario_teams import teams_from_scenario
from supply.core.types import MAX_ID, StockItem, Strict

#: Bounds of a drill (a year-long horizon, a whole garrison per unit); the work limit (a setting) bounds the cost.
MAX_HOURS = 24 * 366
MAX_PEOPLE = 100_000
MAX_VEHICLES = 10_000
MAX_REPLICATIONS = 10_000
ARRIVE_RE = re.compile(r"^D(\d+)\s+(\d{1,2}):(\d{2})$")


def parse_arrive(value: float | str) -> float:
    """Minutes from the start: a number, or ``"D1 06:30"`` (day 1 is the first day)."""
    if isinstance(value, int | float):
        return float(value)
    m = ARRIVE_RE.match(value.strip())
    if not m or int(m.group(1)) < 1 or int(m.group(2)) > 23 or int(m.group(3)) > 59:
        msg = f"arrive '{value}': expected minutes from the start or 'D<day> HH:MM', e.g. 'D1 06:30'"
        raise ValueError(msg)
    return (int(m.group(1)) - 1) * 1440.0 + int(m.group(2)) * 60 + int(m.group(3))


class UnitSpec(Strict):
    """A scheduled arrival (train, convoy, ship) at a site, or at a station's own door."""

    code: str
    headcount: int = Field(ge=1, le=MAX_PEOPLE)
    vehicles: int = Field(default=0, ge=0, le=MAX_VEHICLES)
    site: str | None = None
    station: str | None = None
    arrive: float = Field(ge=0, le=MAX_HOURS * 60)
    dwell_minutes: float | None = Field(default=None, gt=0, le=MAX_HOURS * 60)
    support: Literal["station", "mobile", "handover"] = "station"
    serve_at: str | None = None
    # Hours between the unit's notice and its arrival (None: the drill's restock lead, the supply notice).
    notice_hours: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    # Decisions a planner takes for the unit (None: the default the model explains in scenarios/README.md).
    vehicle_target_minutes: float | None = Field(default=None, gt=0, le=MAX_HOURS * 60)
    field_kitchens: int | None = Field(default=None, ge=1, le=1_000)  # mobile support: kitchens sent
    water_trucks: int | None = Field(default=None, ge=1, le=1_000)  # mobile support: water trucks sent
    fuel_trucks: int = Field(default=0, ge=0, le=1_000)  # > 0: vehicles refuelled where they halt

    @field_validator("arrive", mode="before")
    @classmethod
    def _arrive(cls, v: Any) -> Any:
        return parse_arrive(v) if isinstance(v, str) else v

    @property
    def place(self) -> str:
        return self.site or self.station or ""


class StreamSpec(Strict):
    """Random arrivals: a Poisson stream of groups at a site or station."""

    code: str | None = None
    station: str | None = None
    site: str | None = None
    rate_per_hour: float = Field(gt=0, le=10_000)
    headcount: int = Field(default=1, ge=1, le=MAX_PEOPLE)
    vehicles: int = Field(default=0, ge=0, le=MAX_VEHICLES)
    from_hour: float = Field(default=0, ge=0, le=MAX_HOURS)
    to_hour: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    dwell_minutes: float | None = Field(default=None, gt=0, le=MAX_HOURS * 60)

    @property
    def place(self) -> str:
        return self.site or self.station or ""


class ServiceSpec(Strict):
    """Service times per person (a meal) and per vehicle (refuelling), in minutes."""

    # Defaults: 20-minute meals (issue sample); heavy-truck refuel 12–15 min with fast
    # dispensers, up to 30 slow (NATSO fuelling equipment guide).
    meal_minutes: Dist = Dist(dist="exponential", mean=20)
    refuel_minutes: Dist = Dist(dist="triangular", low=10, mode=13, high=30)

    @field_validator("meal_minutes", "refuel_minutes", mode="before")
    @classmethod
    def _number_is_fixed(cls, v: Any) -> Any:
        return as_dist(v)


class ConsumptionSpec(Strict):
    """What each person and vehicle draws from a station's stock at a stop.

    Keys left out of ``[drill.consumption]`` come from the scenario's planning factors
    (:func:`consumption_defaults`), the same ones support requests compute their needs from, so
    a rehearsal and the live drill's requests draw alike.
    """

    meals_per_person: float = Field(default=1, ge=0)
    water_l_per_person: float = Field(default=11.4, ge=0)
    diesel_l_per_vehicle: float = Field(default=150, ge=0)


def consumption_defaults(scenario: Scenario) -> dict[str, float]:
    """Per-stop draws from ``[factors]``, as :func:`supply.core.factors.compute_needs` has them for a
    stop of up to a day: meals per stop, the climate's drinking water per day, diesel per vehicle."""
    f = factors_from_scenario(scenario)
    return {
        "meals_per_person": f.meals_per_person_per_stop,
        "water_l_per_person": f.water_l_per_person_per_day[f.climate],
        "diesel_l_per_vehicle": f.diesel_l_per_vehicle,
    }


class RestockSpec(Strict):
    """Stations reorder from the hub below their reorder level; the hub from an outside depot."""

    lead_hours: float = Field(default=6, ge=0)  # the traditional 6 h supply notice (PLA Daily)
    depot_lead_hours: float = Field(default=12, ge=0)


class MobileSpec(Strict):
    """Field kitchens sent to a site (机动保障)."""

    meals_per_hour_per_kitchen: float = Field(default=100, gt=0)  # PLA field kitchen, Xinhua 2008
    people_per_kitchen: int = Field(default=250, ge=1)  # mobile kitchen trailer 250–300 per meal


class TrucksSpec(Strict):
    """Fuel and water trucks (mobile refuelling and water for mobile support): planning-factor defaults.

    Sources (docs/planning-factors.md): a 2,500-gallon (9,460 L) tactical fuel tanker (M978
    HEMTT) and a 2,000-gallon (7,570 L) water tank rack (Hippo, ATP 4-44); the pump and hose-up
    times are assumptions for retail refuelling of a halted convoy from a tanker's hose reel.
    """

    fuel_litres: float = Field(default=9_460, gt=0)
    pump_litres_per_minute: float = Field(default=60, gt=0)
    connect_minutes: float = Field(default=3, ge=0)  # move to the next vehicle, hose up, hose down
    refill_minutes: float = Field(default=30, ge=0)  # a tanker refilled at its station (pump + paperwork)
    water_litres: float = Field(default=7_570, gt=0)


#: Defaults of a station's ``[drill.stations.CODE]`` keys, with their sources (docs/planning-factors.md).
HANDOVER_TEAMS = 4  # assumption: a loading team at every second door of an 8-car train set
HANDOVER_MEALS_PER_MINUTE = 20.0  # ~1,000 meals on a 16-car train in < 3 min by a team a car (People's Daily)
HANDOVER_PREP_MINUTES = 120.0  # assumption: cooking and packing start 2 h before the train arrives
READINESS_HOURS = 6.0  # the traditional 6 h supply notice is the time a station is given to be ready (PLA Daily)
STANDBY_SHARE = 1.0  # assumption: staffed in full from the drill's start (the model before notice was rehearsed)


class StationDrillSpec(Strict):
    """A station's part in the drill (``[drill.stations.CODE]``): its handover teams and its readiness.

    Handover: packed meals cooked (kitchen output, stock) from ``handover_prep_minutes`` before the
    unit arrives and loaded at its halt by ``handover_teams`` teams, each ``handover_meals_per_minute``.
    Readiness: ``standby_share`` of seats, kitchen output and refuel bays are staffed with no notice;
    the rest ramp in evenly over ``readiness_hours`` from the first notice of a unit it may serve.
    """

    handover_teams: int = Field(default=HANDOVER_TEAMS, ge=0, le=1_000)
    handover_meals_per_minute: float = Field(default=HANDOVER_MEALS_PER_MINUTE, gt=0, le=10_000)
    handover_prep_minutes: float = Field(default=HANDOVER_PREP_MINUTES, ge=0, le=MAX_HOURS * 60)
    readiness_hours: float = Field(default=READINESS_HOURS, ge=0, le=MAX_HOURS)
    standby_share: float = Field(default=STANDBY_SHARE, ge=0, le=1)


class SlowSpec(Strict):
    link: str
    factor: float = Field(gt=0)


class LoseSpec(Strict):
    station: str
    item: StockItem
    quantity: float = Field(gt=0)


class EventSpec(Strict):
    """A disruption at ``at_hour``: exactly one of close, offline, slow, lose."""

    at_hour: float = Field(ge=0)
    until_hour: float | None = Field(default=None, ge=0)
    close: str | None = None
    offline: str | None = None
    slow: SlowSpec | None = None
    lose: LoseSpec | None = None

    @property
    def action(self) -> str:
        return next(a for a in ("close", "offline", "slow", "lose") if getattr(self, a) is not None)


class DrillSpec(Strict):
    """A drill: horizon, target, arrivals, service times, disruptions. Keys are the file's contract."""

    hours: float = Field(gt=0, le=MAX_HOURS)
    target_minutes: float = Field(default=45, gt=0, le=MAX_HOURS * 60)
    replications: int = Field(default=200, ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(default=0, ge=0, le=MAX_ID)
    warmup_hours: float = Field(default=0, ge=0, le=MAX_HOURS)
    policy: Literal["earliest", "nearest", "assigned"] = "earliest"
    units: list[UnitSpec] = Field(default_factory=list, max_length=20_000)
    streams: list[StreamSpec] = Field(default_factory=list, max_length=1_000)
    service: ServiceSpec = ServiceSpec()
    consumption: ConsumptionSpec = ConsumptionSpec()
    restock: RestockSpec = RestockSpec()
    mobile: MobileSpec = MobileSpec()
    trucks: TrucksSpec = TrucksSpec()
    events: list[EventSpec] = Field(default_factory=list, max_length=1_000)
    stations: dict[str, StationDrillSpec] = Field(default_factory=dict, max_length=10_000)

    def station(self, code: str) -> StationDrillSpec:
        """The station's ``[drill.stations.CODE]`` settings (its defaults when the file has none)."""
        return self.stations.get(code) or StationDrillSpec()

    def notice_minutes(self, unit: UnitSpec) -> float:
        """Minutes between the unit's notice and its arrival: its ``notice_hours``, else the restock lead."""
        return 60.0 * (self.restock.lead_hours if unit.notice_hours is None else unit.notice_hours)

    def stream_code(self, i: int) -> str:
        s = self.streams[i]
        return s.code or f"stream{i + 1}@{s.place}"


def drill_spec(scenario: Scenario) -> DrillSpec:
    """Validate ``scenario.drill``; raise :class:`ScenarioError` listing every problem."""
    src = scenario.source
    if scenario.drill is None:
        raise ScenarioError([Problem(src, "drill", "the scenario has no [drill] section")])
    raw = dict(scenario.drill)
    if isinstance(raw.get("consumption", {}), dict):
        raw["consumption"] = {**consumption_defaults(scenario), **raw.get("consumption", {})}
    try:
        teams_from_scenario(scenario)
        team_problems: list[Problem] = []
    except ScenarioError as exc:
        team_problems = exc.problems
    try:
        command_from_scenario(scenario)
    except ScenarioError as exc:
        team_problems = [*team_problems, *exc.problems]
    try:
        spec = DrillSpec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError([*problems_from_validation(exc, src, prefix="drill"), *team_problems]) from None
    problems = [Problem(src, path, msg) for path, msg in _semantic_problems(spec, scenario)] + team_problems
    if problems:
        raise ScenarioError(problems)
    return spec


def work_estimate(spec: DrillSpec, replications: int | None = None) -> float:
    """The simulated events a drill costs: replications × (people and vehicles arriving + disruptions).

    Each person and vehicle is one process of the model (:mod:`simulation.model`), so this is
    proportional to its run time and memory; a Poisson stream contributes its expected arrivals.
    """
    per_rep = float(sum(u.headcount + u.vehicles for u in spec.units) + len(spec.events))
    for s in spec.streams:
        hours = max((spec.hours if s.to_hour is None else s.to_hour) - s.from_hour, 0.0)
        per_rep += s.rate_per_hour * hours * (s.headcount + s.vehicles)
    return float(replications or spec.replications) * max(per_rep, 1.0)


def check_work(spec: DrillSpec, replications: int | None, limit: float, *, source: str = "drill") -> float:
    """Refuse (:class:`InvalidArgumentError`: 422 / exit 2) a drill whose :func:`work_estimate` exceeds ``limit``."""
    from supply.core.errors import InvalidArgumentError

    work = work_estimate(spec, replications)
    if work > limit:
        reps = replications or spec.replications
        msg = (
            f"{source}: the drill is too large to simulate: about {work:,.0f} simulated events "
            f"({reps:,} replications × {work / reps:,.0f} people, vehicles and events), "
            f"above the limit of {limit:,.0f} (setting JUNGONG_DRILL_WORK_LIMIT); use fewer replications or units"
        )
        raise InvalidArgumentError(msg)
    return work


def _unknown(kind: str, code: str, known: list[str]) -> str:
    msg = f"unknown {kind} '{code}'"
    close = difflib.get_close_matches(code, known, n=3, cutoff=0.5)
    return msg + ("; did you mean " + ", ".join(f"'{c}'" for c in close) + "?" if close else "")


def _link_refs(scenario: Scenario) -> list[str]:
    refs = []
    for link in scenario.links:
        refs += [link.ref, f"{link.a}~{link.b}", f"{link.b}~{link.a}"]
    return refs


def _semantic_problems(spec: DrillSpec, sc: Scenario) -> list[tuple[str, str]]:
    stations = [s.code for s in sc.stations]
    places = [p.code for p in [*sc.sites, *sc.junctions]]
    horizon = spec.hours * 60
    after = f"after the horizon of {spec.hours:g} hours"
    out: list[tuple[str, str]] = []

    def place_problems(where: str, rec: UnitSpec | StreamSpec) -> None:
        if (rec.site is None) == (rec.station is None):
            out.append((where, "give exactly one of 'site' or 'station'"))
        elif rec.site is not None and rec.site not in places:
            out.append((f"{where}.site", _unknown("site", rec.site, places + stations)))
        elif rec.station is not None and rec.station not in stations:
            out.append((f"{where}.station", _unknown("station", rec.station, stations)))

    seen: dict[str, int] = {}
    for i, u in enumerate(spec.units):
        where = f"drill.units[{i}]"
        if u.code in seen:
            out.append((f"{where}.code", f"duplicate unit code '{u.code}' (first at drill.units[{seen[u.code]}])"))
        seen.setdefault(u.code, i)
        place_problems(where, u)
        if u.serve_at is not None and u.serve_at not in stations:
            out.append((f"{where}.serve_at", _unknown("station", u.serve_at, stations)))
        if u.arrive >= horizon:
            out.append((f"{where}.arrive", f"arrives at minute {u.arrive:g}, {after}"))
        if not u.vehicles:
            for key in ("fuel_trucks", "vehicle_target_minutes"):
                if getattr(u, key):
                    out.append((f"{where}.{key}", f"{key} is set but unit '{u.code}' has no vehicles"))
        if u.support != "mobile":
            for key in ("field_kitchens", "water_trucks"):
                if getattr(u, key) is not None:
                    out.append((f"{where}.{key}", f"{key} applies only to support = \"mobile\" (unit '{u.code}')"))
        if u.support == "handover":
            out += _handover_problems(where, u, spec, stations)
    for code in spec.stations:
        if code not in stations:
            out.append((f"drill.stations.{code}", _unknown("station", code, stations)))
    for i, s in enumerate(spec.streams):
        where = f"drill.streams[{i}]"
        place_problems(where, s)
        to = spec.hours if s.to_hour is None else s.to_hour
        if to > spec.hours:
            out.append((f"{where}.to_hour", f"to_hour {to:g} is {after}"))
        if s.from_hour >= to:
            out.append((f"{where}.from_hour", f"from_hour {s.from_hour:g} must be before to_hour {to:g}"))
    for key in ("meal_minutes", "refuel_minutes"):
        for param, msg in getattr(spec.service, key).problems():
            out.append((f"drill.service.{key}.{param}", msg))
    if spec.warmup_hours >= spec.hours:
        out.append(("drill.warmup_hours", f"warm-up {spec.warmup_hours:g} h is not shorter than the horizon"))
    refs = _link_refs(sc)
    for i, e in enumerate(spec.events):
        where = f"drill.events[{i}]"
        actions = [a for a in ("close", "offline", "slow", "lose") if getattr(e, a) is not None]
        if len(actions) != 1:
            out.append((where, "give exactly one of 'close', 'offline', 'slow' or 'lose'"))
            continue
        if e.at_hour > spec.hours:
            out.append((f"{where}.at_hour", f"event at hour {e.at_hour:g} is {after}"))
        if e.until_hour is not None and e.until_hour <= e.at_hour:
            out.append((f"{where}.until_hour", f"until_hour {e.until_hour:g} is not after at_hour {e.at_hour:g}"))
        check_links = sc.scenario.graphml is None
        if e.close is not None and check_links and e.close not in refs:
            out.append((f"{where}.close", _unknown("link", e.close, [lk.ref for lk in sc.links])))
        if e.slow is not None and check_links and e.slow.link not in refs:
            out.append((f"{where}.slow.link", _unknown("link", e.slow.link, [lk.ref for lk in sc.links])))
        if e.offline is not None and e.offline not in stations:
            out.append((f"{where}.offline", _unknown("station", e.offline, stations)))
        if e.lose is not None and e.lose.station not in stations:
            out.append((f"{where}.lose.station", _unknown("station", e.lose.station, stations)))
    return out


def _handover_problems(where: str, u: UnitSpec, spec: DrillSpec, stations: list[str]) -> list[tuple[str, str]]:
    """A handover unit feeds its people only, and needs a station with handover teams (module docstring)."""
    out = []
    if u.vehicles:
        msg = f"support = \"handover\" feeds people only: unit '{u.code}' has {u.vehicles} vehicles"
        msg += " (serve them at a station)"
        out.append((f"{where}.vehicles", msg))
    if u.dwell_minutes is None:
        msg = f"support = \"handover\" needs dwell_minutes: unit '{u.code}' is loaded with meals during its stop"
        out.append((f"{where}.dwell_minutes", msg))
    named = u.serve_at or u.station
    if named in stations and not spec.station(named).handover_teams:
        msg = f"unit '{u.code}' is handed meals by {named}, which has handover_teams = 0 (drill.stations.{named})"
        out.append((f"{where}.support", msg))
    elif named is None and stations and all(not spec.station(c).handover_teams for c in stations):
        out.append((f"{where}.support", f"unit '{u.code}' is handed meals but no station has handover teams"))
    return out
