"""Two plans side by side: each metric's means, the difference, and whether it is significant.

Significance is Welch's unequal-variance t-test on the replication means
(``scipy.stats.ttest_ind_from_stats``, from the streaming accumulators — no raw data kept).
Run both plans with the same seed and replications so the comparison is fair and repeatable.

Each row keeps its ``metric`` key and adds, for a reader: ``name`` (the metric in words),
``unit`` (``share``: printed as a percentage, its difference in percentage points; ``minutes``)
and ``note`` — why a value or p-value is missing (a dash is printed, never ``None``) or why a
p-value of 0 or 1 is exact (no variation across replications in either plan).
:func:`text` is the one way a row is printed (``p < 0.001``, ``p = 0.04``).
"""

from __future__ import annotations

import math

from simulation.stats import DrillStats, Welford

ALPHA = 0.05


def welch(a: Welford, b: Welford) -> float | None:
    """Two-sided p-value that the means differ (``None``: not enough replications)."""
    if a.n < 2 or b.n < 2:
        return None
    if a.var == 0 and b.var == 0:
        return 1.0 if math.isclose(a.mean, b.mean, abs_tol=1e-12) else 0.0
    from scipy import stats as sps  # imported when comparing only: it costs ~0.2 s of every drill's start

    res = sps.ttest_ind_from_stats(a.mean, math.sqrt(a.var), a.n, b.mean, math.sqrt(b.var), b.n, equal_var=False)
    return float(res.pvalue)


def _row(metric: str, name: str, unit: str, a: Welford, b: Welford, missing: str, names: tuple[str, str]) -> dict:
    """One metric's row; ``missing`` says why a plan has no value (``"no arrival"``)."""
    p = welch(a, b)
    notes = [f"{label}: {missing}" for label, w in zip(names, (a, b), strict=True) if not w.n]
    if p is None and not notes:
        notes.append("p: fewer than 2 replications in a plan")
    elif p is not None and a.var == 0 and b.var == 0:
        notes.append("no variation across replications in either plan: the difference is exact")
    return {
        "metric": metric,
        "name": name,
        "unit": unit,
        "a": round(a.mean, 4) if a.n else None,
        "b": round(b.mean, 4) if b.n else None,
        "difference": round(b.mean - a.mean, 4) if a.n and b.n else None,
        "p_value": None if p is None else round(p, 6),
        "significant": p is not None and p < ALPHA,
        "note": "; ".join(notes) or None,
    }


def p_text(p: float | None, exact: bool = False) -> str:
    """``p < 0.001``, ``p = 0.004``, ``p = 0.04``; a dash when there is none; ``exact`` when nothing varied."""
    if p is None:
        return "—"
    if exact:
        return "exact"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def text(row: dict) -> dict[str, str]:
    """A row as printed: ``a``, ``b``, ``difference``, ``p`` and ``note`` — shares as percentages (the
    difference in percentage points), minutes to one decimal, a dash where there is no value."""

    def value(x: float | None, sign: bool = False) -> str:
        if x is None:
            return "—"
        plus = "+" if sign else ""
        if row.get("unit") == "share":
            return f"{x * 100:{plus}.1f} pp" if sign else f"{x:.1%}"
        return f"{x:{plus}.1f} min"

    return {
        "a": value(row["a"]),
        "b": value(row["b"]),
        "difference": value(row["difference"], sign=True),
        "p": p_text(row["p_value"], exact="no variation" in (row.get("note") or "")),
        "note": row.get("note") or "",
    }


def compare(a: DrillStats, b: DrillStats, *, names: tuple[str, str] = ("A", "B")) -> dict:
    """Rows of comparable metrics (planned units on time, service level, per-station waits and use,
    per-unit on-time share)."""
    n = ("A", "B")
    rows = [
        _row("planned_units_on_time", "Planned units on time", "share", a.planned, b.planned, "no planned unit", n),
        _row(
            "service_level",
            "Service level (every arrival alike)",
            "share",
            a.service_level,
            b.service_level,
            "no arrival",
            n,
        ),
    ]
    for code in [c for c in a.stations if c in b.stations]:
        sa, sb = a.stations[code], b.stations[code]
        if sa.wait.n or sb.wait.n:
            why = f"no one served at {code}"
            rows.append(_row(f"{code} mean wait (min)", f"{code}: mean wait", "minutes", sa.wait, sb.wait, why, n))
        if sa.units or sb.units:
            why = f"no replication used {code}'s seats"
            rows.append(
                _row(f"{code} seat utilisation", f"{code}: seat use", "share", sa.utilisation, sb.utilisation, why, n)
            )
    for code in [c for c in a.groups if c in b.groups]:
        ga, gb = a.groups[code].share, b.groups[code].share
        rows.append(_row(f"{code} on-time share", f"{code}: on time", "share", ga, gb, f"{code} never arrived", n))
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
