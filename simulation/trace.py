"""The record of one replication for its film: what happened to each planned unit, its kitchens,
fuel trucks and restocks, and the stock at every station, as the model ran.

:class:`Recorder` is the model's ``trace`` (:class:`~simulation.model.Model` calls it at each step
of a planned unit; it draws no random number and changes no state), and it samples every
station's stock every :data:`STOCK_EVERY` minutes. :func:`traced_replication` re-runs replication
``index`` with it: the same seed as in the drill's run, so the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from simulation.compiled import CompiledDrill
from simulation.model import Model
from simulation.records import ReplicationRecord
from supply.core.types import STOCK_ITEMS

#: Minutes between stock samples (and a sample whenever a level changed since the last one).
STOCK_EVERY = 5.0


@dataclass
class Recorder:
    """What the model said, in order: ``steps`` of (kind, minute, facts), and stock samples."""

    steps: list[tuple[str, float, dict[str, Any]]] = field(default_factory=list)
    stock: list[tuple[float, str, str, float]] = field(default_factory=list)  # minute, station, item, level
    _last: dict[tuple[str, str], float] = field(default_factory=dict)

    def __call__(self, kind: str, minute: float, facts: dict[str, Any]) -> None:
        self.steps.append((kind, minute, facts))

    def attach(self, model: Model) -> None:
        """Sample the model's stock from minute 0 to its horizon (callbacks only: no state, no draws)."""
        env, horizon = model.env, model.plan.horizon

        def sample(_ev: simpy.Event | None) -> None:
            for st in model.stations:
                for item in STOCK_ITEMS:
                    c = st.stock.get(item)
                    if c is None:
                        continue
                    key = (st.plan.code, item)
                    if self._last.get(key) != c.level:
                        self._last[key] = c.level
                        self.stock.append((env.now, st.plan.code, item, float(c.level)))
            if env.now + STOCK_EVERY <= horizon:
                env.timeout(STOCK_EVERY).callbacks.append(sample)

        sample(None)


def replication_seed(seed: int, replications: int, index: int) -> np.random.SeedSequence:
    """Replication ``index``'s seed, as :func:`simulation.runner.run_plan` gives it."""
    return np.random.SeedSequence(seed).spawn(replications)[index]


def traced_replication(
    plan: CompiledDrill, seed: int, replications: int, index: int
) -> tuple[ReplicationRecord, Recorder]:
    """Re-run replication ``index`` of a drill run with ``seed`` and ``replications``, recording it."""
    recorder = Recorder()
    model = Model(plan, np.random.default_rng(replication_seed(seed, replications, index)), index, trace=recorder)
    recorder.attach(model)
    return model.run(), recorder


def planned_on_time(record: ReplicationRecord, planned: int) -> int:
    """Planned units (the first ``planned`` groups: one arrival each) on time in this replication."""
    return sum(1 for g in record.groups[:planned] if g.arrivals and g.on_time == g.arrivals)


def minutes_late(record: ReplicationRecord, planned: int) -> float:
    """The planned units' minutes beyond target, summed (the tie-break for the worst replication)."""
    return float(sum(sum(g.blame) for g in record.groups[:planned] if g.blame))


def choose(records: list[ReplicationRecord], planned: int, how: str) -> ReplicationRecord:
    """The median replication by planned units on time (``median``), or the worst (fewest on time,
    then most minutes late)."""
    if not records:
        msg = "no replications to choose from"
        raise ValueError(msg)
    if how == "worst":
        return min(records, key=lambda r: (planned_on_time(r, planned), -minutes_late(r, planned), r.index))
    ranked = sorted(records, key=lambda r: (planned_on_time(r, planned), r.index))
    return ranked[(len(ranked) - 1) // 2]
