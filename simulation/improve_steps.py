"""The steps ``jungong improve`` may take, what each costs, and why none helps a unit.

A **step** is one action a planner can take for one late planned unit: a resource added at a
station, a unit served at another station, its support switched — or a *bundle* of them that
only helps whole (seats *and* a kitchen shift at one station), which is one step with one cost
and one gain. Every step is sized by hand arithmetic to what that unit alone needs:

* ``seats``: ``ceil(headcount / sittings)`` seats, ``sittings = floor((target − travel − long
  meal) / mean meal) + 1``, a *long* meal being the distribution's maximum or about its 95th
  percentile (the last of many sits through one), rounded up to 50;
* ``refuel_bays``: ``ceil(vehicles / k)`` bays, ``k = floor((stop − travel there and back) /
  long refuel)``;
* kitchen output as **kitchen shifts**: a shift is the station's own meals an hour once more
  ("a second kitchen shift of 600 meals an hour"), as many as cook the unit's meals, with the
  kitchen's 30-minute buffer, by ``target − travel − long meal`` (10% margin);
* ``stock.<item>``: the unit's own draw of each tracked item;

an earlier notice (``notice_hours``) for a unit late because its station was still readying: as
many whole hours as bring the notice to the station's ``readiness_hours``;
* for a unit handed its meals (``support = "handover"``): ``handover_teams`` that load its meals
  within its stop less the meals' lateness (their drive beyond the preparation time), 10% margin,
  and kitchen shifts that cook them within the preparation time (beyond the 30-minute buffer);
and changes of support: ``serve_at`` one of the two nearest other stations where its people can
be fed in time and its vehicles refuelled before it leaves (with what that station lacks, as one
bundle), ``support = "mobile"`` (units without vehicles, when a station's field kitchens can
reach them within the target), ``support = "station"`` for a unit on mobile support.
When the sized step does not bring its unit on time, :func:`larger` gives the same step half as
big again (the search tries it up to twice).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from simulation.compiled import Arrival, CompiledDrill, StationPlan
from simulation.distributions import Dist
from simulation.improve_costs import Costs

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
SEAT_BLOCK = 50  # seats are added in blocks of this many (a row of tables)
NAMES = {
    "seats": "dining seats",
    "refuel_bays": "refuel bays",
    "field_kitchens": "field kitchens",
    "fuel_trucks": "fuel trucks",
    "water_trucks": "water trucks",
    "handover_teams": "handover teams",
}
PER_ITEM = {
    "seats": "seat",
    "refuel_bays": "refuel_bay",
    "field_kitchens": "field_kitchen",
    "fuel_trucks": "fuel_truck",
    "water_trucks": "water_truck",
    "handover_teams": "handover_team",
}


@dataclass(frozen=True)
class Change:
    """One change to the drill: a resource added at a station, or a unit's support changed."""

    station: str | None = None
    resource: str | None = None  # seats, meals_per_hour, refuel_bays, field_kitchens, stock.<item>
    add: float = 0.0
    unit: str | None = None
    support: str | None = None  # "mobile" or "station"
    serve_at: str | None = None
    shift: float = 0.0  # meals_per_hour: one kitchen shift (the station's own rate)
    before: float = 0.0  # meals_per_hour: the station's rate before the change
    decide: str | None = None  # a decision on the unit: "field_kitchens", "fuel_trucks" or "water_trucks" sent,
    # or "notice_hours": its notice ``add`` hours earlier than ``before``
    value: int = 0  # ... how many

    @property
    def shifts(self) -> int:
        return round(self.add / self.shift) if self.shift else 0

    def as_dict(self) -> dict:
        if self.unit is None:
            out: dict = {"station": self.station, "resource": self.resource, "add": self.add}
            if self.resource == "meals_per_hour":
                out["shifts"] = self.shifts
            return out
        if self.decide == "notice_hours":
            return {"unit": self.unit, "notice_hours": self.before + self.add}
        if self.decide:
            return {"unit": self.unit, self.decide: self.value}
        key = "support" if self.support else "serve_at"
        return {"unit": self.unit, key: self.support or self.serve_at}

    def describe(self) -> str:
        if self.unit is None:
            return f"add {self.what()} at {self.station}"
        if self.decide == "notice_hours":
            return f"notify {self.unit} {self.add:g} h earlier (notice_hours = {self.before + self.add:g})"
        if self.decide == "field_kitchens":
            return f"send {self.value} field kitchens to {self.unit} (field_kitchens = {self.value})"
        if self.decide == "fuel_trucks":
            n = self.value
            return f"refuel {self.unit}'s vehicles where it halts with {_count(n, 'fuel trucks')} (fuel_trucks = {n})"
        if self.decide == "water_trucks":
            trucks = _count(self.value, "water trucks")
            return f"send {trucks} with {self.unit}'s field kitchens (water_trucks = {self.value})"
        if self.support == "mobile":
            return f'serve {self.unit} where it halts, by field kitchens (support = "mobile")'
        if self.support == "handover":
            return f'hand {self.unit} packed meals where it halts (support = "handover")'
        if self.support:
            return f'serve {self.unit} at a station, not by field kitchens (support = "station")'
        return f'serve {self.unit} at {self.serve_at} (serve_at = "{self.serve_at}")'

    def what(self) -> str:
        """What a station change adds, without the station: "600 dining seats", "a second kitchen shift…"."""
        res = self.resource or ""
        if res == "meals_per_hour":
            have, n = max(1, round(self.before / self.shift)), self.shifts
            first, last = ORDINALS[min(have, 9)], ORDINALS[min(have + n - 1, 9)]
            which = f"a {first} kitchen shift" if n == 1 else f"{n} more kitchen shifts (the {first} to the {last})"
            return f"{which} of {self.shift:,.0f} meals an hour ({self.before + self.add:,.0f} an hour in all)"
        if res.startswith("stock."):
            return f"{self.add:,.0f} {res.removeprefix('stock.')} of stock"
        return _count(self.add, NAMES[res])

    def cost(self, costs: Costs) -> float:
        """What the change costs (:mod:`~.improve_costs`)."""
        if self.decide == "notice_hours":
            return self.add * costs["notice_hour"]
        if self.unit is not None:
            return costs["support"] if self.support or self.decide else costs["move_unit"]
        res = self.resource or ""
        if res.startswith("stock."):
            return math.ceil(self.add / 1000) * costs["stock_1000"]
        if res == "meals_per_hour":
            return self.shifts * costs["kitchen_shift"]
        return self.add * costs[PER_ITEM[res]]

    def apply(self, plan: CompiledDrill) -> CompiledDrill:
        """The compiled drill with this change made."""
        if self.unit is None:
            stations = tuple(_grow(s, self) if s.code == self.station else s for s in plan.stations)
            return replace(plan, stations=stations)
        gi = plan.groups.index(self.unit)
        codes = [s.code for s in plan.stations]
        arrivals = tuple(
            a
            if a.group != gi
            else replace(a, field_kitchens=self.value)
            if self.decide == "field_kitchens"
            else replace(a, fuel_trucks=self.value)
            if self.decide == "fuel_trucks"
            else replace(a, water_trucks=self.value)
            if self.decide == "water_trucks"
            else replace(a, notice=a.notice + 60 * self.add)
            if self.decide == "notice_hours"
            else replace(a, mobile=self.support == "mobile", handover=self.support == "handover")
            if self.support
            else replace(a, serve_at=codes.index(self.serve_at or ""), force=True, at_station=-1)
            for a in plan.arrivals
        )
        return replace(plan, arrivals=arrivals)


def _grow(st: StationPlan, ch: Change) -> StationPlan:
    res = ch.resource or ""
    if res.startswith("stock."):
        item = res.removeprefix("stock.")
        return replace(st, stock={**st.stock, item: (st.stock[item] or 0) + ch.add})
    if res == "meals_per_hour":
        return replace(st, meals_per_hour=st.meals_per_hour + ch.add)
    return replace(st, **{res: getattr(st, res) + int(ch.add)})


@dataclass(frozen=True)
class Step:
    """A candidate step: the changes (one, or a bundle that only helps whole) for one late unit."""

    unit: str
    changes: tuple[Change, ...]
    cost: float
    scale: float = 1.0  # 1: sized by the arithmetic; 1.5, 2.25: the same, larger

    def describe(self) -> str:
        """One sentence: the unit's change of support or station first, then what each station
        adds, then what is sent to the unit."""
        if len(self.changes) == 1:
            return self.changes[0].describe()
        moves = [c.describe() for c in self.changes if c.unit is not None and not c.decide]
        adds: dict[str, list[str]] = {}
        for c in self.changes:
            if c.unit is None:
                adds.setdefault(c.station or "", []).append(c.what())
        sent = [c for c in self.changes if c.decide]
        parts = [*moves, *(f"add {_and(items)} at {st}" for st, items in adds.items())]
        if sent:
            parts.append(_and([c.describe() for c in sent]))
        return "; ".join(parts)

    def apply(self, plan: CompiledDrill) -> CompiledDrill:
        for c in self.changes:
            plan = c.apply(plan)
        return plan


def _count(n: float, noun: str) -> str:
    """``1 refuel bay``, ``600 dining seats``."""
    return f"{n:,.0f} {noun}" if n != 1 else f"1 {noun.removesuffix('s')}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def make_step(unit: str, changes: tuple[Change, ...], costs: Costs, scale: float = 1.0) -> Step:
    return Step(unit, changes, round(sum(c.cost(costs) for c in changes), 2), scale)


# --- sizing ------------------------------------------------------------------------------
def shortest(d: Dist) -> float:
    """The shortest draw ``d`` can make (0 when unbounded below)."""
    if d.dist == "fixed":
        return float(d.value or 0.0)
    if d.dist in ("uniform", "triangular"):
        return float(d.low or 0.0)
    return 0.0


def needs(
    plan: CompiledDrill, st: StationPlan, a: Arrival, there: float, back: float, scale: float = 1.0
) -> list[Change]:
    """What unit ``a`` alone would need added at ``st`` (reached in ``there`` minutes, ``back`` to
    return) to be served on time, resource by resource (module docstring); only what is short,
    ``scale`` times the arithmetic's answer."""
    meal, long_meal, refuel, target = plan.meal.expected, plan.meal.long, plan.refuel.long, plan.target
    out: list[Change] = []
    if a.headcount:
        sittings = max(1, math.floor((target - there - long_meal) / meal) + 1)
        seats = math.ceil(a.headcount / sittings * scale / SEAT_BLOCK) * SEAT_BLOCK
        if st.seats < seats:
            out.append(Change(station=st.code, resource="seats", add=_block(seats - st.seats)))
        if st.meals_per_hour > 0:  # 0: the kitchen is not a limit
            minutes = max(5.0, target - there - long_meal)
            need = 1.1 * a.headcount / (0.5 + minutes / 60) * scale
            if st.meals_per_hour < need:
                out.append(_shifts(st, need))
    if a.vehicles:
        stop = a.vehicle_target or (a.dwell if a.dwell is not None else target)
        window = stop - there - (0.0 if a.vehicle_target else back)
        bays = math.ceil(a.vehicles / max(1, math.floor(window / refuel)) * scale)
        if st.refuel_bays < bays:
            out.append(Change(station=st.code, resource="refuel_bays", add=bays - st.refuel_bays))
    return out


def handover_needs(plan: CompiledDrill, st: StationPlan, a: Arrival, drive: float, scale: float = 1.0) -> list[Change]:
    """What a unit handed its meals would need added at ``st`` (``drive`` minutes from its halt):
    teams to load them in its stop, kitchen output to cook them in the preparation time (module docstring)."""
    out: list[Change] = []
    window = max(1.0, (a.dwell if a.dwell is not None else plan.target) - max(0.0, drive - st.handover_prep_minutes))
    teams = math.ceil(1.1 * a.headcount / (st.handover_meals_per_minute * window) * scale)
    if st.handover_teams < teams:
        out.append(Change(station=st.code, resource="handover_teams", add=teams - st.handover_teams))
    if st.meals_per_hour > 0:
        cook = max(5.0, st.handover_prep_minutes - drive)
        need = 1.1 * a.headcount / (0.5 + cook / 60) * scale
        if st.meals_per_hour < need:
            out.append(_shifts(st, need))
    return out


def _block(n: float) -> float:
    return float(math.ceil(n / SEAT_BLOCK) * SEAT_BLOCK)


def _shifts(st: StationPlan, need: float, shift: float | None = None) -> Change:
    """Enough kitchen shifts at ``st`` to make ``need`` meals an hour."""
    shift = shift or st.meals_per_hour
    n = max(1, math.ceil((need - st.meals_per_hour) / shift))
    return Change(station=st.code, resource="meals_per_hour", add=n * shift, shift=shift, before=st.meals_per_hour)


def one_more(st: StationPlan, resource: str) -> Change:
    """A little more of what the diagnosis blames when the arithmetic says there is enough."""
    if resource == "meals_per_hour":
        return _shifts(st, st.meals_per_hour + 1)
    if resource == "seats":
        return Change(station=st.code, resource="seats", add=_block(max(1.0, 0.25 * st.seats)))
    return Change(station=st.code, resource=resource, add=max(1, math.ceil(0.25 * getattr(st, resource))))
