"""Meals handed to a unit where it halts (``support = "handover"``): the arithmetic, apart from SimPy.

A station cooks and packs the unit's meals from ``handover_prep_minutes`` before it arrives (the
kitchen's output, shared with its dining hall, and its stock), its handover teams take them to the
unit's halt, and each team loads ``handover_meals_per_minute`` once both it and the unit are
there. Everyone has a meal when the last is loaded; whoever has none when the stop ends leaves
without. :func:`loading` is that last step; :class:`~simulation.model.Model` does the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulation.compiled import Arrival, StationPlan


@dataclass(frozen=True)
class Loading:
    """What the teams hand out before the stop ends."""

    handed: int  # meals handed (people with a meal)
    last: float  # when the last of them was handed (the stop's end when some are left without)
    wait_sum: float  # person-minutes from ``arrive`` to each handed meal
    first: float  # when the first team began loading


def loading(arrive: float, starts: list[float], per_minute: float, meals: int, end: float) -> Loading:
    """Teams starting at ``starts`` (each loading ``per_minute`` once there) hand out ``meals`` to a
    unit that arrived at ``arrive``, until ``end`` (the stop's end; inf: none)."""
    starts = sorted(starts)
    first = starts[0] if starts else math.inf
    loaded = wait = 0.0
    if meals <= 0:
        return Loading(0, arrive, 0.0, first)
    for j, t0 in enumerate(starts):
        if t0 >= end:
            break
        t1 = min(starts[j + 1] if j + 1 < len(starts) else math.inf, end)
        rate = per_minute * (j + 1)
        can = rate * (t1 - t0)
        if loaded + can >= meals - 1e-9:
            done = t0 + (meals - loaded) / rate
            wait += (meals - loaded) * ((t0 + done) / 2 - arrive)
            return Loading(meals, done, wait, first)
        if can > 0:
            wait += can * ((t0 + t1) / 2 - arrive)
            loaded += can
    handed = int(loaded + 1e-9)
    return Loading(handed, end, wait, first)


def loading_minutes(st: StationPlan, headcount: int) -> float:
    """Minutes the station's teams take to load ``headcount`` meals, all of them there together."""
    rate = st.handover_teams * st.handover_meals_per_minute
    return headcount / rate if rate > 0 else math.inf


def prep_lead(stations: tuple[StationPlan, ...], a: Arrival) -> float:
    """How long before the unit arrives its meals may be started: its station's prep time, else the
    longest of the stations with handover teams (the choice is made then, on what is known)."""
    named = a.serve_at if a.serve_at >= 0 else a.at_station
    if named >= 0:
        return stations[named].handover_prep_minutes
    return max((s.handover_prep_minutes for s in stations if s.handover_teams), default=0.0)
