"""Simulated drills and ``improve`` as background analyses: their arguments, normalised and hashed.

The API and the console run ``jungong drill`` and ``jungong improve`` on a built-in drill (by
name) or an uploaded scenario as analyses of kind ``drill`` and ``improve``, stored beside the
network analyses (:class:`supply.core.analyses.AnalysisStore`: the same states, caps and folder).
Their id hashes the network's content, the scenario's content and these arguments, so starting
the same drill twice joins the run under way or finds its result. An uploaded scenario's text is
kept beside the state (``scenario.toml``), not in the arguments every poll answers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from supply.core.errors import InvalidArgumentError

KINDS = ("drill", "improve")
#: Most replications a simulated drill started from the API or console may ask for.
MAX_REPLICATIONS = 500
#: Default size of a drill run from the API or console: the drill's own, at most this.
DEFAULT_REPLICATIONS = 100
#: ``improve``'s default and largest number of steps there (each step costs a full run and a screening).
DEFAULT_STEPS = 10
MAX_STEPS = 20


@dataclass(frozen=True)
class SimulationArgs:
    """What to simulate: ``kind`` on a scenario (``scenario``: its built-in name, ``None`` when uploaded)."""

    kind: str
    scenario: str | None
    content: str  # the scenario's content hash: an edited file or another upload is another analysis
    replications: int
    seed: int
    goal: float | None = None
    max_steps: int | None = None
    drill: str | None = None  # improve: the drill analysis it improves

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            msg = f"kind: expected one of {', '.join(KINDS)}, got '{self.kind}'"
            raise InvalidArgumentError(msg)
        if not 1 <= self.replications <= MAX_REPLICATIONS:
            msg = f"replications: expected 1 to {MAX_REPLICATIONS}, got {self.replications}"
            raise InvalidArgumentError(msg)
        if self.kind == "improve":
            if self.goal is None or not 0 < self.goal <= 1:
                msg = f"goal: expected a share in (0, 1], got {self.goal}"
                raise InvalidArgumentError(msg)
            if self.max_steps is None or not 1 <= self.max_steps <= MAX_STEPS:
                msg = f"max_steps: expected 1 to {MAX_STEPS}, got {self.max_steps}"
                raise InvalidArgumentError(msg)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "scenario": self.scenario,
            "uploaded": self.scenario is None,
            "replications": self.replications,
            "seed": self.seed,
        }
        if self.kind == "improve":
            out.update(goal=self.goal, max_steps=self.max_steps, drill=self.drill)
        return out

    def key(self, network_key: str) -> str:
        """The analysis's id: the network's and the scenario's content hashes and these arguments."""
        text = json.dumps({"network": network_key, "content": self.content, **self.as_dict()}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def content_hash(document: dict[str, Any]) -> str:
    """A scenario's content hash (of its validated model, as JSON): what makes two runs the same."""
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()
