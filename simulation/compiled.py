"""Compile a scenario and its drill into a :class:`CompiledDrill`: plain, picklable data for the model.

Everything deterministic is done here once, not in every replication: the disruption timeline
becomes a list of *epochs*, each with its travel-time tables rebuilt on the disrupted network
(:meth:`supply.core.network.Network.disrupted`, :mod:`supply.core.routing`), so a replication only looks
times up. Worker processes and Dask workers receive a CompiledDrill and a seed; nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulation.assumptions import assumed
from simulation.distributions import Dist
from simulation.spec import (
    HANDOVER_MEALS_PER_MINUTE,
    HANDOVER_PREP_MINUTES,
    HANDOVER_TEAMS,
    READINESS_HOURS,
    STANDBY_SHARE,
    ConsumptionSpec,
    DrillSpec,
    MobileSpec,
    RestockSpec,
    TrucksSpec,
    drill_spec,
)
from supply.core.cutoff import cut_off
from supply.core.network import Disruptions, Network, build_network
from supply.core.scenario import Scenario
from supply.core.types import STOCK_ITEMS


@dataclass(frozen=True)
class StationPlan:
    """A station's capacities. A stock of ``None`` means the item is not tracked (unlimited)."""

    code: str
    tier: str
    seats: int
    meals_per_hour: float
    refuel_bays: int
    field_kitchens: int
    stock: dict[str, float | None]
    reorder: dict[str, float]
    fuel_trucks: int = 0
    water_trucks: int = 0
    # [drill.stations.CODE] (simulation.spec.StationDrillSpec): handover teams and readiness
    handover_teams: int = HANDOVER_TEAMS
    handover_meals_per_minute: float = HANDOVER_MEALS_PER_MINUTE
    handover_prep_minutes: float = HANDOVER_PREP_MINUTES
    readiness_minutes: float = READINESS_HOURS * 60
    standby_share: float = STANDBY_SHARE


@dataclass(frozen=True)
class Arrival:
    """A scheduled unit, or a Poisson stream of groups (``rate_per_min`` > 0)."""

    group: int  # index into CompiledDrill.groups (result key)
    place: int  # index into CompiledDrill.places
    at_station: int  # station index when arriving at a station's own door, else -1
    headcount: int
    vehicles: int
    arrive: float  # minute (units) or stream start
    until: float  # stream end (units: = arrive)
    rate_per_min: float  # 0 for a scheduled unit
    dwell: float | None
    mobile: bool = False
    serve_at: int = -1
    force: bool = False  # serve at ``serve_at`` whatever the policy (a change tried by ``improve``)
    field_kitchens: int = 0  # mobile support: kitchens sent (0: as many as its headcount calls for)
    water_trucks: int = 0  # mobile support: water trucks sent (0: as many as its water calls for)
    fuel_trucks: int = 0  # fuel trucks sent to refuel its vehicles where it halts (0: refuel bays)
    vehicle_target: float | None = None  # minutes from arrival its vehicles must be refuelled by (None: its stop)
    handover: bool = False  # packed meals loaded where it halts by a station's handover teams
    notice: float = 0.0  # minutes between its notice and its arrival (scheduled units)

    def calls(self, station: int) -> bool:
        """Whether this unit's notice calls ``station`` to readiness: the station named for it
        (its own door, ``serve_at``), else every station (the policy may send it to any)."""
        named = self.serve_at if self.serve_at >= 0 else self.at_station
        return self.rate_per_min == 0 and (named < 0 or named == station)


@dataclass(frozen=True)
class Closure:
    """A link a drill event closes, from ``minute``: the stations whose resupply from the hub it cuts
    (no route left) or reroutes (a detour), chosen as ``jungong stock survive --cut`` chooses them."""

    link: str
    minute: float
    cut_off: tuple[str, ...]
    detour: tuple[str, ...]

    @property
    def stations(self) -> tuple[str, ...]:
        return tuple(sorted({*self.cut_off, *self.detour}))


@dataclass(frozen=True)
class Epoch:
    """A stretch of the timeline with one set of disruptions in force."""

    start: float
    to_station: np.ndarray  # minutes, places × stations (inf: unreachable)
    from_station: np.ndarray  # minutes, stations × places
    hub_to: np.ndarray  # minutes from the hub to each station
    offline: frozenset[int]
    describe: str


@dataclass(frozen=True)
class CompiledDrill:
    """Everything one replication needs."""

    name: str
    horizon: float
    warmup: float
    target: float
    bin_minutes: float
    policy: str
    stations: tuple[StationPlan, ...]
    hub: int
    places: tuple[str, ...]
    groups: tuple[str, ...]
    arrivals: tuple[Arrival, ...]
    epochs: tuple[Epoch, ...]
    losses: tuple[tuple[float, int, str, float], ...]
    meal: Dist
    refuel: Dist
    consumption: ConsumptionSpec
    restock: RestockSpec
    mobile: MobileSpec
    trucks: TrucksSpec = TrucksSpec()
    assumed: tuple[tuple[str, str], ...] = ()  # (key path, what was assumed): defaults the file did not set
    closures: tuple[Closure, ...] = ()  # links the drill's events close (first closure of each), for time to survive

    @property
    def nbins(self) -> int:
        return int(np.ceil(self.horizon / self.bin_minutes))

    def called_at(self, station: int) -> float:
        """When ``station`` is first called to readiness: the earliest notice of a unit that calls it
        (:meth:`Arrival.calls`; inf: never, so it stays at standby)."""
        return min((a.arrive - a.notice for a in self.arrivals if a.calls(station)), default=math.inf)

    def epoch_at(self, t: float) -> Epoch:
        current = self.epochs[0]
        for e in self.epochs:
            if e.start <= t:
                current = e
        return current


def compile_drill(scenario: Scenario, spec: DrillSpec | None = None) -> CompiledDrill:
    """Validate (if ``spec`` is not given) and compile a drill."""
    spec = spec or drill_spec(scenario)
    net = build_network(scenario)
    stations = tuple(
        StationPlan(
            s.code,
            s.tier,
            s.seats,
            s.meals_per_hour,
            s.refuel_bays,
            s.field_kitchens,
            {k: s.stock.get(k) for k in STOCK_ITEMS},
            {k: s.reorder.get(k, 0.0) for k in STOCK_ITEMS},
            s.fuel_trucks,
            s.water_trucks,
            spec.station(s.code).handover_teams,
            spec.station(s.code).handover_meals_per_minute,
            spec.station(s.code).handover_prep_minutes,
            spec.station(s.code).readiness_hours * 60,
            spec.station(s.code).standby_share,
        )
        for s in scenario.stations
    )
    codes = [s.code for s in stations]
    hub = next((i for i, s in enumerate(stations) if s.tier == "hub"), 0)
    places = list(dict.fromkeys([u.place for u in spec.units] + [s.place for s in spec.streams]))
    groups = [u.code for u in spec.units] + [spec.stream_code(i) for i in range(len(spec.streams))]
    arrivals = [
        Arrival(
            i,
            places.index(u.place),
            codes.index(u.station) if u.station else -1,
            u.headcount,
            u.vehicles,
            u.arrive,
            u.arrive,
            0.0,
            u.dwell_minutes,
            u.support == "mobile",
            codes.index(u.serve_at) if u.serve_at else -1,
            field_kitchens=u.field_kitchens or 0,
            water_trucks=u.water_trucks or 0,
            fuel_trucks=u.fuel_trucks,
            vehicle_target=u.vehicle_target_minutes,
            handover=u.support == "handover",
            notice=spec.notice_minutes(u),
        )
        for i, u in enumerate(spec.units)
    ]
    for j, s in enumerate(spec.streams):
        arrivals.append(
            Arrival(
                len(spec.units) + j,
                places.index(s.place),
                codes.index(s.station) if s.station else -1,
                s.headcount,
                s.vehicles,
                s.from_hour * 60,
                (spec.hours if s.to_hour is None else s.to_hour) * 60,
                s.rate_per_hour / 60,
                s.dwell_minutes,
            )
        )
    horizon = spec.hours * 60
    return CompiledDrill(
        name=scenario.scenario.name,
        horizon=horizon,
        warmup=spec.warmup_hours * 60,
        target=spec.target_minutes,
        bin_minutes=max(15.0, horizon / 144),
        policy=spec.policy,
        stations=stations,
        hub=hub,
        places=tuple(places),
        groups=tuple(groups),
        arrivals=tuple(arrivals),
        epochs=_epochs(net, spec, codes, places, hub),
        losses=tuple(
            (e.at_hour * 60, codes.index(e.lose.station), e.lose.item, e.lose.quantity)
            for e in spec.events
            if e.lose is not None
        ),
        meal=spec.service.meal_minutes,
        refuel=spec.service.refuel_minutes,
        consumption=spec.consumption,
        restock=spec.restock,
        mobile=spec.mobile,
        trucks=spec.trucks,
        assumed=assumed(scenario, spec),
        closures=_closures(net, spec),
    )


def _closures(net: Network, spec: DrillSpec) -> tuple[Closure, ...]:
    """Each link a drill event closes, at its first closure, with the stations it cuts or reroutes."""
    first: dict[str, float] = {}
    if not any(s.tier == "hub" for s in net.scenario.stations):
        return ()  # no hub: nothing resupplies, so no closure cuts resupply
    for e in sorted(spec.events, key=lambda e: e.at_hour):
        if e.close is not None:
            first.setdefault(e.close, e.at_hour * 60)
    out = []
    for link, minute in first.items():
        isolated, detours = cut_off(net, link)
        out.append(Closure(link, minute, tuple(isolated), tuple(sorted(detours))))
    return tuple(out)


def _epochs(net: Network, spec: DrillSpec, codes: list[str], places: list[str], hub: int) -> tuple[Epoch, ...]:
    """One epoch per change point of the disruption timeline (events and their ``until_hour``)."""
    starts = {e.at_hour * 60 for e in spec.events}
    changes = sorted({0.0} | starts | {e.until_hour * 60 for e in spec.events if e.until_hour})
    epochs = []
    for t in changes:
        active = [
            e
            for e in spec.events
            if e.lose is None and e.at_hour * 60 <= t and (e.until_hour is None or t < e.until_hour * 60)
        ]
        d = Disruptions(
            close=tuple(e.close for e in active if e.close),
            offline=tuple(e.offline for e in active if e.offline),
            slow=tuple((e.slow.link, e.slow.factor) for e in active if e.slow),
        )
        g = net.disrupted(d)
        idx = g.index
        epochs.append(
            Epoch(
                start=t,
                to_station=idx.table(places, codes) if places else np.empty((0, len(codes))),
                from_station=idx.table(codes, places) if places else np.empty((len(codes), 0)),
                hub_to=idx.table([codes[hub]], codes)[0],
                offline=frozenset(codes.index(c) for c in d.offline),
                describe=d.describe(),
            )
        )
    return tuple(epochs)
