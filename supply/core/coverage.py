"""Coverage: for each site, the nearest able station by travel time, and shares per ring.

A site is *covered* at threshold T when some station that is not offline (and of an allowed
tier) reaches it within T minutes. Rings are the three goals of the network: 覆盖全市 (city),
辐射周边 (region), 延伸海上 (sea).

**One rounding.** Travel times are rounded to :data:`DECIMALS` decimal of a minute once, here,
and that rounded figure is both compared with each threshold and printed (``--json`` gives it as
is): a site at 120.0 minutes is covered within 120, whatever the unrounded sum of its edges.
The network analyses that test thresholds (N-1 robustness, siting) compare through
:func:`within`, so they count as coverage does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from supply.core.errors import InvalidArgumentError
from supply.core.network import Network
from supply.core.scenario import RINGS, TIERS

DEFAULT_THRESHOLDS = (30, 60, 120)
#: Minutes are rounded to this many decimals before any threshold test, and printed so.
DECIMALS = 1


def within(minutes: np.ndarray, threshold: float) -> np.ndarray:
    """Whether each travel time, rounded as printed (:data:`DECIMALS`), is within ``threshold`` (inf: never)."""
    return np.round(minutes, DECIMALS) <= threshold


def minutes_text(minutes: float | None, thresholds: Sequence[int]) -> str:
    """A site's minutes as printed: whole minutes, one decimal where the whole number would put it on the
    wrong side of a threshold (120.4 → "120.4", uncovered within 120) or a threshold is under 10; "—": unreachable.
    """
    if minutes is None:
        return "—"
    whole = f"{minutes:.0f}"
    if any(t < 10 or float(whole) <= t < minutes for t in thresholds):
        return f"{minutes:.1f}"
    return whole


@dataclass(frozen=True)
class SiteCoverage:
    """One site's nearest station and minutes, rounded to :data:`DECIMALS` (``None``: no station can reach it)."""

    code: str
    ring: str
    station: str | None
    minutes: float | None


@dataclass(frozen=True)
class CoverageResult:
    thresholds: tuple[int, ...]
    sites: list[SiteCoverage]

    def covered(self, threshold: float) -> list[SiteCoverage]:
        return [s for s in self.sites if s.minutes is not None and s.minutes <= threshold]

    def uncovered(self, threshold: float) -> list[str]:
        return [s.code for s in self.sites if s.minutes is None or s.minutes > threshold]

    def ring_shares(self) -> dict[str, dict[str, float]]:
        """Share of each ring's sites covered, per threshold (rings with no sites left out)."""
        out: dict[str, dict[str, float]] = {}
        for ring in RINGS:
            members = [s for s in self.sites if s.ring == ring]
            if not members:
                continue
            out[ring] = {
                str(t): round(sum(1 for s in members if s.minutes is not None and s.minutes <= t) / len(members), 4)
                for t in self.thresholds
            }
        return out

    def as_dict(self) -> dict:
        """The ``jungong coverage --json`` contract."""
        return {
            "thresholds": list(self.thresholds),
            "sites": [
                {
                    "code": s.code,
                    "ring": s.ring,
                    "station": s.station,
                    "minutes": s.minutes,
                }
                for s in self.sites
            ],
            "rings": self.ring_shares(),
            "uncovered": {str(t): self.uncovered(t) for t in self.thresholds},
        }


def parse_thresholds(text: str | Sequence[float]) -> tuple[int, ...]:
    """``"30,60,120"`` → ``(30, 60, 120)``; rejects empty, non-numeric and non-positive values."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for item in items:
        try:
            value = float(item)
        except (TypeError, ValueError):
            value = math.nan
        if not (value > 0 and math.isfinite(value)) or value != int(value):
            msg = f"--minutes: '{item}' is not a positive whole number of minutes"
            raise InvalidArgumentError(msg)
        out.append(int(value))
    if not out:
        raise InvalidArgumentError("--minutes: give at least one threshold, e.g. 30,60,120")
    return tuple(sorted(set(out)))


def check_tiers(tiers: Sequence[str] | None) -> list[str] | None:
    """Validate a tier filter such as ``["hub", "wing"]``."""
    if not tiers:
        return None
    bad = [t for t in tiers if t not in TIERS]
    if bad:
        msg = f"unknown tier '{bad[0]}': expected one of {', '.join(TIERS)}"
        raise InvalidArgumentError(msg)
    return list(tiers)


def coverage(
    network: Network, thresholds: Sequence[int] = DEFAULT_THRESHOLDS, *, tiers: Sequence[str] | None = None
) -> CoverageResult:
    """Nearest station for every site, with the shares for each threshold."""
    sites = network.scenario.sites
    minutes, stations = network.index.nearest(network.station_codes(check_tiers(tiers)), [s.code for s in sites])
    return _result(tuple(thresholds), sites, minutes, stations)


def _result(
    thresholds: tuple[int, ...], sites: Sequence, minutes: np.ndarray, stations: Sequence[str | None]
) -> CoverageResult:
    rows = [
        SiteCoverage(s.code, s.ring, st, round(float(m), DECIMALS))
        if np.isfinite(m)
        else SiteCoverage(s.code, s.ring, None, None)
        for s, m, st in zip(sites, minutes, stations, strict=True)
    ]
    return CoverageResult(thresholds, rows)
