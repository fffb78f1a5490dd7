"""``improve``'s first source of steps: the optimiser's reassignment of the planned units.

Before any resource is added, :func:`proposal` asks the optimiser (:mod:`~.optimise`, service
times at its default percentile, a short time limit) who should serve each planned unit and how,
and turns every difference from what the drill does now into one bundle step — a unit served at
another station (``serve_at``), switched to or from field kitchens or packed meals handed over
(``support``), sent a number
of field kitchens or fuel trucks — costed like ``improve``'s own moves. ``improve`` runs it on all
replications and takes it when it gains (a reassignment that only helps whole is one step).
Before that, :func:`pruned` drops each unit's part of the bundle in turn where the rest gains as
much on the screening replications, so the step carries only the changes that help.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from simulation.compiled import Arrival, CompiledDrill
from simulation.improve_candidates import arrival_of
from simulation.improve_costs import Costs
from simulation.improve_steps import Change, Step, make_step
from simulation.optimise import optimise
from simulation.optimise_model import Chosen
from supply.core.errors import NoPlanError

TIME_LIMIT = 10.0  # seconds the optimiser may take for a proposal
QUANTILE = 0.5  # service times at their median: each step is then proved on every replication


def proposal(plan: CompiledDrill, res: dict, costs: Costs, time_limit: float = TIME_LIMIT) -> Step | None:
    """The optimiser's reassignment of ``plan``'s planned units against ``res`` (the drill's JSON,
    where each unit is served now) as one step; ``None`` when it changes nothing or finds no plan."""
    try:
        sol = optimise(plan, quantile=QUANTILE, time_limit=time_limit)
    except NoPlanError:
        return None
    changes: list[Change] = []
    for c in sol.chosen:
        changes += _changes(plan, arrival_of(plan, c.unit), c, res["units"][c.unit])
    if not changes:
        return None
    unit = next(ch.unit for ch in changes if ch.unit)
    return make_step(unit or "", tuple(changes), costs)


def _changes(plan: CompiledDrill, a: Arrival, c: Chosen, now: dict) -> list[Change]:
    o = c.option
    if o is None:
        return []
    out = []
    here = (now.get("stations") or [None])[0]
    mobile = o.support == "mobile"
    station = plan.stations[o.station].code
    if o.support != ("handover" if a.handover else "mobile" if a.mobile else "station"):
        out.append(Change(unit=c.unit, support=o.support))
    if station != here and a.at_station < 0:
        out.append(Change(unit=c.unit, serve_at=station))
    if mobile:
        sent = a.field_kitchens or math.ceil(a.headcount / plan.mobile.people_per_kitchen)
        if o.kitchens != min(sent, plan.stations[o.station].field_kitchens):
            out.append(Change(unit=c.unit, decide="field_kitchens", value=o.kitchens))
    if a.vehicles and o.trucks and o.trucks != a.fuel_trucks:
        out.append(Change(unit=c.unit, decide="fuel_trucks", value=o.trucks))
    return out


def pruned(step: Step, gains: Callable[[Step], float], costs: Costs) -> Step:
    """``step`` without each unit's changes, in turn, whose removal loses nothing by ``gains``
    (the screening gain of a step)."""
    best = gains(step)
    for unit in dict.fromkeys(c.unit for c in step.changes):
        rest = tuple(c for c in step.changes if c.unit != unit)
        if not rest:
            continue
        cand = make_step(rest[0].unit or "", rest, costs)
        if gains(cand) >= best - 1e-9:
            step = cand
    return step
