"""Flat immutable result records of one replication (plain tuples and floats: cheap to pickle).

A *group* is a scheduled unit (one arrival) or a stream (many arrivals); every arrival is a
unit for the service level. Outcomes: ``on_time`` (everyone fed within the target and every
vehicle refuelled before moving on), ``late`` (all served before moving on, but fed after the
target), ``missed`` (moved on with people unfed or vehicles unrefuelled: ``people_missed``,
``vehicles_missed``), ``unfinished`` (still being served when the horizon ended).
"""

from __future__ import annotations

from dataclasses import dataclass

OUTCOMES = ("on_time", "late", "missed", "unfinished")
#: A unit's two sides, each judged on its own deadline (:mod:`~.budget`).
SIDES = ("people", "vehicles")


@dataclass(frozen=True, slots=True)
class SideRecord:
    """One side of a group (its people, or its vehicles) over one replication's arrivals.

    People: on time when all are fed within the target of arrival; vehicles: when all are
    refuelled by their deadline (the stop, or ``vehicle_target_minutes``); ``late`` all served
    but after it; ``missed`` moved on with some unserved; ``unfinished`` still unserved at the horizon.
    """

    on_time: int = 0
    late: int = 0
    missed: int = 0
    unfinished: int = 0
    budget_sum: tuple[float, ...] = ()  # the last person's (vehicle's) time budget, summed over arrivals
    budget_n: int = 0
    blame: tuple[float, ...] = ()  # its minutes beyond target charged to each of budget.CAUSES, summed


@dataclass(frozen=True, slots=True)
class GroupRecord:
    code: str
    arrivals: int
    on_time: int
    late: int
    missed: int
    unfinished: int
    people: int
    people_missed: int
    vehicles_missed: int
    served: int  # arrivals fully served (on time or late)
    minutes_to_fed_sum: float  # over served arrivals
    wait_sum: float  # person-minutes waiting for a seat and a meal (or a field kitchen)
    stations: tuple[str, ...]  # where its arrivals were served (in order of first use)
    budget_sum: tuple[float, ...] = ()  # time budget of each arrival's last person (budget.BUDGET_KEYS), summed
    budget_n: int = 0  # arrivals in budget_sum (all but the unfinished and those nowhere could serve)
    blame: tuple[float, ...] = ()  # minutes beyond target charged to each of budget.CAUSES, summed (both sides)
    sides: tuple[SideRecord, ...] = ()  # people, then vehicles (budget_sum above: the people's)


@dataclass(frozen=True, slots=True)
class StationRecord:
    code: str
    served: int  # people fed
    waits: int  # people seated after the warm-up
    wait_sum: float  # their minutes waiting for a seat and a meal
    utilisation: float  # time-average share of seats busy after the warm-up (nan: no seats)
    bay_utilisation: float  # same for refuel bays
    kitchen_utilisation: float  # field kitchens out on mobile support
    mean_queue: float  # time-average people waiting for a seat after the warm-up
    arrivals: int  # people arriving at the station after the warm-up
    stockouts: int  # draws on stock (meals, water, diesel) that came up short
    stockout_minutes: tuple[float, ...]
    units: int  # arrivals assigned here
    units_on_time: int
    late_wait_sum: float  # person- and vehicle-minutes waited here by arrivals that were late or missed
    queue_series: tuple[float, ...]  # time-average queue per time bin
    stock_series: tuple[float, ...]  # meals in stock at the end of each time bin (nan: untracked)
    blame_units: tuple[float, ...] = ()  # minutes beyond target of planned units charged here, per budget.CAUSES
    blame_walk_ins: tuple[float, ...] = ()  # the same for walk-ins (stream arrivals)
    fuel_truck_utilisation: float = float("nan")  # fuel trucks out refuelling units
    drawn: tuple[float, ...] = ()  # stock issued to units here, per item of plan.STOCK_ITEMS (tracked or not)
    stock_at_close: tuple[tuple[float, ...], ...] = ()  # per plan.closures, stock per STOCK_ITEMS then (nan: untracked)

    @property
    def mean_wait(self) -> float:
        return self.wait_sum / self.waits if self.waits else float("nan")


@dataclass(frozen=True, slots=True)
class ReplicationRecord:
    index: int
    service_level: float
    arrivals: int
    on_time: int
    groups: tuple[GroupRecord, ...]
    stations: tuple[StationRecord, ...]
    fed_minutes: tuple[float, ...]  # minutes to fed of each served scheduled unit (streams excluded)
    fed_histogram: tuple[int, ...]  # minutes to fed of every served arrival, in CompiledDrill-wide bins
    events: int  # simulated events: SimPy's plus the person-level ones the seat pools resolved
    scheduled_events: int  # of which SimPy scheduled (for the benchmark's cost-per-event figure)
