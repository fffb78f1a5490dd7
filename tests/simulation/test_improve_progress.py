"""``improve`` reports its progress, as a background job records it (and stops there when cancelled)."""

from __future__ import annotations

from simulation.improve import improve
from supply.core.scenario import load_scenario
from tests.conftest import ROOT

DRILLS = ROOT / "scenarios" / "drills"


def test_improve_reports_its_progress_before_each_round():
    """What the background job records (and where a cancelled one stops): steps taken of at most max_steps."""
    calls: list[tuple[int, int]] = []
    result, _ = improve(
        load_scenario(DRILLS / "nansha-embarkation.toml"),
        max_steps=3,
        replications=6,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[0] == (0, 3) and {t for _, t in calls} == {3}
    assert [d for d, _ in calls] == list(range(len(calls)))
    assert len(calls) >= len(result["steps"])
