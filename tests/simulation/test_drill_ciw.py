"""jungong's drill model against Ciw, an independent simulator, on the same queueing cases.

The cases (``ciw_cases.py``) are the ones ``bench/bench_ciw.py`` times. Each simulator's mean wait
for a seat, over its replications, must agree with the other's within three standard errors of
their difference, and the comparison must be tight enough to mean something.
"""

from __future__ import annotations

import math

import pytest

from tests.simulation.ciw_cases import CASES, Case, ciw_waits, jungong_plan, jungong_waits


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_mean_wait_agrees_with_ciw(tmp_path, case: Case):
    ours = jungong_waits(jungong_plan(case, tmp_path), case.replications, 11)
    theirs = ciw_waits(case, case.replications, 11)
    se = math.sqrt(ours.var(ddof=1) / len(ours) + theirs.var(ddof=1) / len(theirs))
    diff = ours.mean() - theirs.mean()
    assert abs(diff) <= 3 * se, f"jungong {ours.mean():.2f} vs Ciw {theirs.mean():.2f} min (se of difference {se:.2f})"
    assert se < 0.25 * theirs.mean()  # informative: not an interval that holds anything
    assert theirs.mean() > 1.0  # the people do queue in every case
