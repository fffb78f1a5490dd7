"""What to change so the planned units are on time, costed step by step: ``jungong improve``
(a greedy search: a cheap way to the goal, not a proven cheapest one).

**Steps.** :mod:`~.improve_candidates` lists the steps worth trying for each late planned unit
(resources added at its station, sized by hand arithmetic; serving it at another station; a
switch of support) and, first among them, the optimiser's reassignment of all planned units
(:mod:`~.improve_optimised`), each a single action or a bundle that only helps whole, costed by
``[improve.costs]`` (:mod:`~.improve_costs`).

**Search.** Every step and the plan it changes run on the same seeds, ``SeedSequence(seed).
spawn(R)`` (common random numbers), so a difference measures the step, not the noise. Each
round *screens* the new candidates cheaply, on the first ``min(R, 5)`` seeds, and keeps their
gain in planned units on time; it then takes, among those that gain, the cheapest that reaches
the goal, else the one with the most gain per cost point (ties: the cheaper) — greedy: a cheap
way to the goal, not a proof that none is cheaper —, runs it on all
``R`` seeds and keeps it if its mean gain there is positive — its gain is reported as a paired
95% t-interval of the per-replication differences. A step screened before a change was taken is
screened again before it is run in full. When nothing gains, the steps of each late unit are
tried half as big again (at most twice). The search stops at the goal, after ``max_steps``
(``None``: no limit but a bound of four steps per planned unit), or when nothing gains; then
each unit still late is listed in ``unreachable`` with why no step helps it (:func:`~.improve_candidates.why_not`).

**Candidates** come from a list of sources (:data:`~.improve_candidates.SOURCES`, ``sources=``), each asked in
turn for every late unit; a step two sources give is screened once.

**Work.** :mod:`~.improve_eval` runs the plans: each replication of a plan once (a step taken reuses its
screened seeds), on a pool of worker processes kept for the whole search that gets the compiled drill once —
or in this process while the pool runs no faster than it would (under load from other programs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from simulation.compiled import CompiledDrill, compile_drill
from simulation.improve_candidates import SOURCES, CandidateSource, why_not
from simulation.improve_costs import Costs, improve_costs
from simulation.improve_eval import Evaluator, Key, Kind
from simulation.improve_optimised import proposal, pruned
from simulation.improve_steps import Change, Step
from simulation.runner import Progress
from simulation.spec import drill_spec
from simulation.stats import DrillStats, Welford
from supply.core.errors import InvalidArgumentError
from supply.core.scenario import Scenario

SCREEN = 5  # replications each candidate is screened on
SCALES = (1.0, 1.5, 2.25)  # sizes tried, relative to the arithmetic's
STEPS_PER_UNIT = 4  # without --max-steps the search stops after this many steps per planned unit

__all__ = ["Change", "Step", "improve", "improve_plan", "paired_gain"]


def _units(plan: CompiledDrill) -> list[int]:
    return [a.group for a in plan.arrivals if a.rate_per_min == 0]


def _interval(xs: np.ndarray, lo: float = -1.0, hi: float = 1.0) -> dict:
    """Mean and t-interval, clipped to what a share (``[0, 1]``) or a gain (``[-1, 1]``) can be."""
    w = Welford()
    for x in xs.tolist():
        w.add(x)
    d = w.as_dict(4)
    d["ci95"] = [min(max(v, lo), hi) for v in d["ci95"]]
    return d


def paired_gain(plan: CompiledDrill, changes: tuple[Change, ...], *, replications: int, seed: int) -> dict:
    """The gain in planned units on time from ``changes``: a paired 95% interval on common seeds."""
    with Evaluator(plan, seed, replications) as ev:
        _, before = ev.full(())
        _, after = ev.full(changes)
    return _interval(after.mean(1) - before.mean(1))


@dataclass
class _Screened:
    gain: float  # mean gain in planned units on time over the screening seeds
    unit_share: float  # share of screening seeds with the step's unit on time
    fresh: bool = True  # screened on the plan as it stands


@dataclass
class _State:
    """The search so far."""

    plan: CompiledDrill
    stats: DrillStats
    flags: np.ndarray
    key: Key = ()  # the changes made so far (the evaluator's key of ``plan``)
    pruned: dict[tuple[Change, ...], Step] = field(default_factory=dict)  # the optimiser's bundles, pruned
    screened: dict[tuple[Change, ...], _Screened] = field(default_factory=dict)
    rejected: set[tuple[Change, ...]] = field(default_factory=set)
    tried: dict[str, dict[tuple[Change, ...], Step]] = field(default_factory=dict)
    scale: dict[str, int] = field(default_factory=dict)  # index into SCALES, per unit

    @property
    def share(self) -> np.ndarray:
        return self.flags.mean(1)


def improve_plan(
    plan: CompiledDrill,
    *,
    goal: float = 0.9,
    max_steps: int | None = None,
    replications: int = 200,
    seed: int = 0,
    workers: int = 1,
    costs: Costs | None = None,
    progress: Progress | None = None,
    kind: Kind = "process",
    sources: Sequence[CandidateSource] = SOURCES,
) -> tuple[dict, DrillStats]:
    """The search of the module docstring on a compiled drill: the ``improve`` JSON, and the
    statistics of the drill as it stands (the baseline, for the drill report). ``progress(steps,
    max_steps)`` is called before each round (a background job records it, and may stop there).
    ``workers`` > 1 run the replications on a pool of worker processes (``kind = "thread"``: threads),
    kept for the whole search (:mod:`~.improve_eval`); ``sources`` give the candidate steps
    (:data:`~.improve_candidates.SOURCES`)."""
    if not 0 < goal <= 1:
        msg = f"--goal must be a share in (0, 1], got {goal}"
        raise InvalidArgumentError(msg)
    if max_steps is not None and max_steps < 0:
        msg = f"--max-steps must be ≥ 0, got {max_steps}"
        raise InvalidArgumentError(msg)
    if not _units(plan):
        msg = "the drill has no planned units ([[drill.units]]): nothing for improve to bring on time"
        raise InvalidArgumentError(msg)
    costs = costs or Costs()
    with Evaluator(plan, seed, replications, workers, kind) as ev:
        return _search(ev, goal, max_steps, costs, tuple(sources), progress)


def _screen(ev: Evaluator, st: _State, steps: list[Step], n: int) -> None:
    """Screen ``steps`` on ``n`` seeds against the plan as it stands."""
    units = [st.plan.groups[g] for g in _units(st.plan)]
    base = st.share[:n]
    for step, flags in zip(steps, ev.screen([st.key + s.changes for s in steps], n), strict=True):
        unit = flags[:, units.index(step.unit)].mean()
        st.screened[step.changes] = _Screened(float((flags.mean(1) - base).mean()), float(unit))
        st.tried.setdefault(step.unit, {})[step.changes] = step


def _order(st: _State, cands: list[Step], goal: float) -> list[Step]:
    """Candidates that gain on screening, best first: the cheapest that reaches the goal, then the
    most gain per cost point (ties: the cheaper, then the smaller)."""
    now = float(st.share.mean())
    gaining = [c for c in cands if st.screened[c.changes].gain > 1e-9]

    def key(c: Step) -> tuple:
        gain = st.screened[c.changes].gain
        reaches = now + gain >= goal - 1e-9
        return (not reaches, c.cost if reaches else 0.0, -gain / max(c.cost, 1e-6), c.cost, len(c.changes))

    return sorted(gaining, key=key)


def _candidates(st: _State, res: dict, costs: Costs, sources: tuple[CandidateSource, ...]) -> list[Step]:
    """Every source's steps for every late unit, in that order, each once per unit (the first source's)."""
    out: dict[tuple[str, tuple[Change, ...]], Step] = {}
    for code in res["late_units"]:
        for source in sources:
            for c in source(st.plan, res, costs, SCALES[st.scale.get(code, 0)], code):
                if c.changes not in st.rejected:
                    out.setdefault((c.unit, c.changes), c)
    return list(out.values())


def _gain(ev: Evaluator, st: _State, step: Step, n: int) -> float:
    """``step``'s mean gain in planned units on time over the first ``n`` seeds."""
    (flags,) = ev.screen([st.key + step.changes], n)
    return float((flags.mean(1) - st.share[:n]).mean())


def _round(
    ev: Evaluator, st: _State, goal: float, n: int, costs: Costs, sources: tuple[CandidateSource, ...]
) -> Step | None:
    """One round: screen what is new, run the best in full; the step taken, or ``None``."""
    offer = proposal(st.plan, st.stats.as_dict(), costs)  # the optimiser's reassignment, first among equals
    if offer is not None:
        offer = st.pruned.get(offer.changes) or st.pruned.setdefault(
            offer.changes, pruned(offer, lambda s: _gain(ev, st, s, n), costs)
        )
    while True:
        res = st.stats.as_dict()
        offered = [offer] if offer is not None and offer.changes not in st.rejected else []
        cands = [*offered, *_candidates(st, res, costs, sources)]
        _screen(ev, st, [c for c in cands if c.changes not in st.screened], n)
        ordered = _order(st, cands, goal)
        for c in ordered[:4]:
            if not st.screened[c.changes].fresh:
                _screen(ev, st, [c], n)
                if st.screened[c.changes].gain <= 1e-9:
                    continue
            stats, flags = ev.full(st.key + c.changes)
            if float((flags.mean(1) - st.share).mean()) > 1e-9:
                ev.forget()
                return _take(st, c, stats, flags)
            st.rejected.add(c.changes)
        if ordered:  # the best did not gain in full (or no longer on screening): the next ones
            continue
        grow = [u for u in res["late_units"] if st.scale.get(u, 0) < len(SCALES) - 1]
        if not grow:
            return None
        for u in grow:  # nothing gains at this size: the late units' steps, larger
            st.scale[u] = st.scale.get(u, 0) + 1


def _take(st: _State, step: Step, stats: DrillStats, flags: np.ndarray) -> Step:
    st.plan, st.stats, st.flags = step.apply(st.plan), stats, flags
    st.key += step.changes
    for s in st.screened.values():
        s.fresh = False
    return step


def _search(
    ev: Evaluator,
    goal: float,
    max_steps: int | None,
    costs: Costs,
    sources: tuple[CandidateSource, ...],
    progress: Progress | None = None,
) -> tuple[dict, DrillStats]:
    plan = ev.base
    n = min(len(ev.seeds), SCREEN)
    stats, flags = ev.full(())
    st = _State(plan, stats, flags)
    baseline = _interval(st.share, 0.0)
    steps: list[dict] = []
    stopped = ""
    bound = STEPS_PER_UNIT * len(_units(plan))
    while st.share.mean() < goal - 1e-9:
        if progress is not None:
            progress(len(steps), max_steps or len(steps) + 1)
        if max_steps is not None and len(steps) >= max_steps:
            stopped = f"stopped after --max-steps {max_steps}"
            break
        if len(steps) >= bound:
            stopped = f"stopped after {bound} steps ({STEPS_PER_UNIT} per planned unit, the search's bound)"
            break
        before = st.share
        step = _round(ev, st, goal, n, costs, sources)
        if step is None:
            stopped = "no step gains"
            break
        units = [st.plan.groups[g] for g in _units(st.plan)]
        steps.append(
            {
                "unit": step.unit,
                "change": step.changes[0].as_dict(),
                "changes": [c.as_dict() for c in step.changes],
                "action": step.describe(),
                "cost": step.cost,
                "planned_units_on_time": _interval(st.share, 0.0),
                "gain": _interval(st.share - before),
                "unit_on_time": round(float(st.flags[:, units.index(step.unit)].mean()), 4),
            }
        )
    reached = bool(st.share.mean() >= goal - 1e-9)
    res = st.stats.as_dict()
    unreachable = [] if reached else [{"unit": u, "reason": _reason(st, res, u, stopped)} for u in res["late_units"]]
    return {
        "goal": goal,
        "replications": len(ev.seeds),
        "seed": ev.seed,
        "max_steps": max_steps,
        "screening_replications": n,
        "baseline": {"planned_units_on_time": baseline},
        "steps": steps,
        "total_cost": round(sum(s["cost"] for s in steps), 2),
        "reached": reached,
        "note": "" if reached else f"goal not reached: {stopped}",
        "late_units": res["late_units"],
        "unreachable": unreachable,
        "costs": costs.as_dict(),
        "replications_run": ev.runs,
    }, stats


def _reason(st: _State, res: dict, unit: str, stopped: str) -> str:
    tried = [(s, st.screened[k].unit_share) for k, s in st.tried.get(unit, {}).items()]
    why = why_not(st.plan, res, unit, tried)
    if stopped.startswith("stopped"):
        return f"{stopped} before a step for it. {why}"
    return why


def improve(
    scenario: Scenario,
    *,
    goal: float = 0.9,
    max_steps: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> tuple[dict, DrillStats]:
    """:func:`improve_plan` on a scenario's drill (``None``: the drill's own replications and seed)
    with its ``[improve.costs]``."""
    spec = drill_spec(scenario)
    costs = improve_costs(scenario)
    return improve_plan(
        compile_drill(scenario, spec),
        goal=goal,
        max_steps=max_steps,
        replications=spec.replications if replications is None else replications,
        seed=spec.seed if seed is None else seed,
        workers=workers,
        costs=costs,
        progress=progress,
    )
