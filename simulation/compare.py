"""Two plans side by side: each metric's means, the difference, and whether it is significant.

Significance is Welch's unequal-variance t-test on the replication means
(``scipy.stats.ttest_ind_from_stats``, from the streaming accumulators — no raw data kept).
Run both plans with the same seed and replications so the comparison is fair and repeatable.
"""

from __future__ import annotations

import math

from scipy import stats as sps

from simulation.stats import DrillStats, Welford

ALPHA = 0.05


def welch(a: Welford, b: Welford) -> float | None:
    """Two-sided p-value that the means differ (``None``: not enough replications)."""
    if a.n < 2 or b.n < 2:
        return None
    if a.var == 0 and b.var == 0:
        return 1.0 if math.isclose(a.mean, b.mean, abs_tol=1e-12) else 0.0
    res = sps.ttest_ind_from_stats(a.mean, math.sqrt(a.var), a.n, b.mean, math.sqrt(b.var), b.n, equal_var=False)
    return float(res.pvalue)


def _row(metric: str, a: Welford, b: Welford) -> dict:
    p = welch(a, b)
    return {
        "metric": metric,
        "a": round(a.mean, 4) if a.n else None,
        "b": round(b.mean, 4) if b.n else None,
        "difference": round(b.mean - a.mean, 4) if a.n and b.n else None,
        "p_value": None if p is None else round(p, 6),
        "significant": p is not None and p < ALPHA,
    }


def compare(a: DrillStats, b: DrillStats, *, names: tuple[str, str] = ("A", "B")) -> dict:
    """Rows of comparable metrics (planned units on time, service level, per-station waits and use,
    per-unit on-time share)."""
    rows = [
        _row("planned_units_on_time", a.planned, b.planned),
        _row("service_level", a.service_level, b.service_level),
    ]
    for code in [c for c in a.stations if c in b.stations]:
        sa, sb = a.stations[code], b.stations[code]
        if sa.wait.n or sb.wait.n:
            rows.append(_row(f"{code} mean wait (min)", sa.wait, sb.wait))
        if sa.units or sb.units:
            rows.append(_row(f"{code} seat utilisation", sa.utilisation, sb.utilisation))
    for code in [c for c in a.groups if c in b.groups]:
        rows.append(_row(f"{code} on-time share", a.groups[code].share, b.groups[code].share))
    return {
        "a": names[0],
        "b": names[1],
        "replications": [a.n, b.n],
        "seed": [a.seed, b.seed],
        "alpha": ALPHA,
        "test": "Welch t-test on replication means",
        "bottleneck": [a.bottleneck()[0], b.bottleneck()[0]],
        "rows": rows,
    }
