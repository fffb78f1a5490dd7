"""The work an ``improve`` search may cost, checked against the drill work limit before it starts.

The search (:mod:`simulation.improve`) runs the drill as it stands, then at each step screens its
candidate changes on a few seeds and runs the change it takes on all of them. Bounding its steps
bounds its work; this estimate of the replications it may run, times a replication's cost
(:func:`simulation.spec.work_estimate`), is refused above the limit as a drill's work is.
"""

from __future__ import annotations

from simulation.improve import SCREEN
from simulation.spec import DrillSpec, work_estimate
from supply.core.errors import InvalidArgumentError

#: Candidate changes ``improve`` may screen per planned unit and step (a resource or two, a station, its support).
CANDIDATES_PER_UNIT = 4


def improve_replications(spec: DrillSpec, replications: int, max_steps: int) -> int:
    """The replications an ``improve`` search of at most ``max_steps`` steps may run, all told: the drill as
    it stands, then per step the screening of its candidates (a third of ``SCREEN`` seeds each, the best
    four on all ``SCREEN``) and a full run of the plan changed."""
    screen = min(replications, SCREEN)
    candidates = CANDIDATES_PER_UNIT * max(len(spec.units), 1)
    per_step = candidates * -(-screen // 3) + 4 * screen + replications
    return replications + max_steps * per_step


def check_improve_work(
    spec: DrillSpec, replications: int, max_steps: int, limit: float, *, source: str = "drill"
) -> float:
    """Refuse (:class:`InvalidArgumentError`) an ``improve`` whose work — :func:`improve_replications`
    × the drill's people, vehicles and events — exceeds ``limit``."""
    runs = improve_replications(spec, replications, max_steps)
    work = work_estimate(spec, runs)
    if work > limit:
        msg = (
            f"{source}: improve is too large to search: about {work:,.0f} simulated events "
            f"(up to {runs:,} replications over {max_steps} steps × {work / runs:,.0f} people, vehicles and "
            f"events), above the limit of {limit:,.0f} (setting JUNGONG_DRILL_WORK_LIMIT); "
            "use fewer replications or steps"
        )
        raise InvalidArgumentError(msg)
    return work
