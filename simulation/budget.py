"""Where a unit's time went, and which resource made it late.

**Time budget.** For each arrival the model follows its *last* person to be fed (or its last
vehicle refuelled, when that is later, or the person or vehicle still unserved when the unit had
to move on) and splits that one's minutes from arrival into :data:`BUDGET_KEYS`:

* ``travel`` — site to station (0 at the station's door or on mobile support);
* ``stock_wait`` — at the station, waiting for a restock after a stock-out;
* ``seat_wait`` — waiting for a dining seat; ``kitchen_wait`` — seated, waiting for a meal the
  kitchen has not cooked yet (on mobile support: the field kitchen's hand-out line);
* ``meal`` — eating; ``refuel_wait`` — a vehicle waiting for a bay; ``refuel`` — refuelling;
* ``mobile_wait`` — a field kitchen being free and on its way to the site;
* ``truck_wait`` — a vehicle refuelled where it halts: waiting for a fuel truck to be free, to
  drive there (and back to refill when its tank runs dry) and for the vehicles ahead of it;
* ``water_wait`` — mobile support: the field kitchens waiting for water trucks to bring the
  unit's water (a second trip when the trucks sent cannot carry it all at once);
* ``handover`` — meals handed to the unit where it halts (``support = "handover"``): from its
  arrival until its last person has a packed meal — the meals still being cooked or on their way,
  then the station's handover teams loading them (kept in a result only where it is not zero).

The parts add up to that person's (vehicle's) minutes from arrival to fed (refuelled), or to
the minute the unit had to move on.

**Two sides.** A unit's *people* are judged on its ``target_minutes`` from arrival; its
*vehicles* on their own deadline: the moment the unit must start back (its stop), or
``vehicle_target_minutes`` from arrival where the drill sets one. Each side has its own budget
(its last person; its last vehicle) and its own minutes beyond target.

**Cause.** The minutes *beyond target* are charged to :data:`CAUSES` by :func:`blame`: for a
late arrival, the part of the excess that travel and service alone already make (``travel +
meal > target``) goes to ``travel``, the rest to the waits in proportion to their size; for a
missed one (moved on unserved) every minute its last unserved person or vehicle lost to a wait
is charged to that wait's resource, travel there and back to ``travel``, and if nothing was
waited for and nothing travelled, the service itself to ``dwell`` (the stop is shorter than the
service). A unit's ``late_cause`` is the cause charged the most minutes over replications.

**Notice.** A station called to readiness too late (its ``standby_share`` of seats, kitchen output
and refuel bays staffed, the rest ramping in over ``readiness_hours`` from the first notice) is
short of staff when a unit reaches it: of the minutes charged to seats, kitchen and refuel bays,
the share of the unit's waits at the station (:func:`waited`) that fell before the station was
fully staffed is charged to ``notice`` instead.
"""

from __future__ import annotations

#: The parts of the time budget, in the order of the records' tuples.
BUDGET_KEYS = (
    "travel",
    "seat_wait",
    "kitchen_wait",
    "stock_wait",
    "meal",
    "refuel_wait",
    "refuel",
    "mobile_wait",
    "truck_wait",
    "water_wait",
    "handover",
)
#: The resources a late or missed unit is charged to, in the order of the records' tuples.
CAUSES = (
    "travel",
    "seats",
    "kitchen",
    "stock",
    "refuel_bays",
    "field_kitchens",
    "dwell",
    "fuel_trucks",
    "water_trucks",
    "handover",
    "notice",
)
#: The causes a planner can add or move at a station (``travel`` is placement, ``dwell`` the stop;
#: ``notice`` is the station's readiness, fixed by an earlier notice or more staff on standby).
STATION_RESOURCES = (
    "seats",
    "kitchen",
    "stock",
    "refuel_bays",
    "field_kitchens",
    "fuel_trucks",
    "water_trucks",
    "handover",
    "notice",
)

TRAVEL, SEAT_WAIT, KITCHEN_WAIT, STOCK_WAIT, MEAL, REFUEL_WAIT, REFUEL, MOBILE_WAIT, TRUCK_WAIT, WATER_WAIT = range(10)
HANDOVER = 10
#: Optional budget parts: left out of a result's time budget where they are zero (no unit used them).
OPTIONAL_KEYS = frozenset({"handover"})
_WAIT_CAUSE = {SEAT_WAIT: 1, KITCHEN_WAIT: 2, STOCK_WAIT: 3, REFUEL_WAIT: 4, MOBILE_WAIT: 5}
_WAIT_CAUSE |= {TRUCK_WAIT: 7, WATER_WAIT: 8, HANDOVER: 9}
#: Causes a station short of staff (notice) takes a share of: seats, kitchen, refuel bays.
_STAFFED = (1, 2, 4)
NOTICE = 10
_MOBILE_WAIT_CAUSE = {**_WAIT_CAUSE, KITCHEN_WAIT: 5}
#: The same as (budget index, cause index) pairs, in the same order (blame's loops).
_WAIT_PAIRS = tuple(_WAIT_CAUSE.items())
_MOBILE_WAIT_PAIRS = tuple(_MOBILE_WAIT_CAUSE.items())

Budget = list[float]


def zero() -> Budget:
    return [0.0] * len(BUDGET_KEYS)


def waited(budget: Budget) -> float:
    """Minutes waited at the station for stock, a seat, the kitchen and a refuel bay."""
    return budget[STOCK_WAIT] + budget[SEAT_WAIT] + budget[KITCHEN_WAIT] + budget[REFUEL_WAIT]


def blame(
    budget: Budget, *, missed: bool, target: float, back: float, mobile: bool, unstaffed: float = 0.0
) -> list[float]:
    """Minutes charged to each of :data:`CAUSES` for one late or missed arrival (module docstring);
    ``unstaffed``: the share of its waits at the station that fell before it was fully staffed (notice)."""
    out = _blame(budget, missed=missed, target=target, back=back, mobile=mobile)
    if unstaffed > 0:
        for k in _STAFFED:
            moved = out[k] * unstaffed
            out[k] -= moved
            out[NOTICE] += moved
    return out


def _blame(budget: Budget, *, missed: bool, target: float, back: float, mobile: bool) -> list[float]:
    out = [0.0] * len(CAUSES)
    waits = [(c, budget[k]) for k, c in (_MOBILE_WAIT_PAIRS if mobile else _WAIT_PAIRS) if budget[k] > 0]
    total_wait = sum(w for _, w in waits)
    if missed:
        for c, w in waits:
            out[c] += w
        out[0] += budget[TRAVEL] + back
        if total_wait <= 0 and out[0] <= 0:
            out[6] += budget[MEAL] + budget[REFUEL] or 1.0
        return out
    excess = sum(budget) - target
    if excess <= 0:
        return out
    base = budget[TRAVEL] + budget[MEAL] + budget[REFUEL]
    travel_part = min(excess, max(0.0, base - target)) if budget[TRAVEL] > 0 else 0.0
    out[0] += travel_part
    rest = excess - travel_part
    if rest > 0 and total_wait > 0:
        for c, w in waits:
            out[c] += rest * w / total_wait
    elif rest > 0:
        out[0 if budget[TRAVEL] > 0 else 6] += rest
    return out
