"""The work an ``improve`` search may cost, checked against the drill work limit before it starts.

The search (:mod:`simulation.improve`) runs the drill as it stands, then at each step screens its
candidate steps on a few seeds and runs the best of them on all seeds until one gains. Bounding its steps
bounds its work; this estimate of the replications it may run, times a replication's cost
(:func:`simulation.spec.work_estimate`), is refused above the limit as a drill's work is.
"""

from __future__ import annotations

from simulation.improve import SCREEN
from simulation.spec import DrillSpec, work_estimate
from supply.core.errors import InvalidArgumentError

#: Candidate steps ``improve`` may screen per planned unit and round (resources at its station, another
#: station, its support, trucks).
CANDIDATES_PER_UNIT = 4
#: Full runs a round may take, on average, before one gains (it tries the best four at most).
FULL_RUNS_PER_STEP = 2


def improve_replications(spec: DrillSpec, replications: int, max_steps: int) -> int:
    """The replications an ``improve`` search of at most ``max_steps`` steps may run, all told: the drill as
    it stands, then per step the screening of its candidates (``SCREEN`` seeds each) and the full runs of
    the best ones on all ``replications`` (measured runs, ``replications_run``, stay well below it)."""
    screen = min(replications, SCREEN)
    candidates = CANDIDATES_PER_UNIT * max(len(spec.units), 1)
    per_step = candidates * screen + FULL_RUNS_PER_STEP * replications
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
