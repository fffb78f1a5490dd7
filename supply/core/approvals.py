"""Approval thresholds: which support requests need a decision before a dispatch is planned from them.

A scenario's ``[[approvals]]`` rule names an ``item``, a threshold (``above``), the ``role`` that
decides (``commander`` by default) and, optionally, the book it applies to (``exercise = true`` for
drills only, ``false`` for real operations only; absent: both). A request whose needs of the item
exceed the threshold waits for that role's approval (:mod:`supply.service.approvals`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError

from supply.core.errors import Problem, ScenarioError
from supply.core.scenario import Scenario, problems_from_validation
from supply.core.types import CODE_RE, Strict

#: The roles that may decide an approval (a node never does).
DECIDERS = ("commander", "officer", "planner", "admin")


class ApprovalRule(Strict):
    """One ``[[approvals]]`` rule: needs of ``item`` above ``above`` wait for ``role``'s approval."""

    item: str = Field(pattern=CODE_RE.pattern, max_length=40)
    above: float = Field(ge=0, le=1e9)
    role: Literal["commander", "officer", "planner", "admin"] = "commander"
    exercise: bool | None = None

    def applies(self, needs: dict[str, float], exercise: bool) -> bool:
        return (self.exercise is None or self.exercise == exercise) and needs.get(self.item, 0.0) > self.above

    def describe(self, needs: dict[str, float]) -> str:
        return f"{self.item} {needs.get(self.item, 0.0):g} above {self.above:g}"


def approval_rules(scenario: Scenario | None, items: set[str] | None = None) -> list[ApprovalRule]:
    """The scenario's ``[[approvals]]`` rules, every fault named by key path (items checked against ``items``)."""
    if scenario is None:
        return []
    rules, problems = [], []
    for n, raw in enumerate(scenario.approvals):
        item = raw.get("item") if isinstance(raw, dict) else None
        if items is not None and isinstance(item, str) and item not in items:
            problems.append(Problem(scenario.source, f"approvals[{n}].item", f"unknown item '{item}'"))
        try:
            rules.append(ApprovalRule.model_validate(raw))
        except ValidationError as exc:
            problems += problems_from_validation(exc, scenario.source, prefix=f"approvals[{n}]")
    if problems:
        raise ScenarioError(problems)
    return rules


def needing_approval(rules: list[ApprovalRule], needs: dict[str, float], exercise: bool) -> list[ApprovalRule]:
    """The rules a request's ``needs`` trip, in the scenario's order."""
    return [r for r in rules if r.applies(needs, exercise)]
