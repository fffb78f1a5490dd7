"""Time to survive in a drill: how many days each station's simulated stock lasts once a closure cuts its resupply.

For each link the drill's events close (:class:`~simulation.compiled.Closure`), the stations whose
resupply from the hub it cuts or reroutes are those ``jungong stock survive --cut`` picks
(:func:`supply.core.cutoff.cut_off`). Per replication, an item lasts its stock at the closure
minute ÷ its simulated daily draw (what was issued to units there over the whole drill ÷ the drill's
days), capped at the horizon; a station lasts as long as its first item out. Over the
replications: median and 90% band (:func:`supply.core.survive.summarise`); ``first_out`` is the
item out first in most replications. An item never drawn (or untracked) does not run out.
"""

from __future__ import annotations

import math

import numpy as np

from simulation.compiled import CompiledDrill
from simulation.records import ReplicationRecord
from supply.core.survive import HORIZON_DAYS, summarise
from supply.core.types import STOCK_ITEMS

DEFINITION = (
    "days a station's simulated stock lasts once the closure stops its resupply: stock at the closure "
    "minute against its simulated daily draw (issued to units over the drill ÷ the drill's days), per "
    f"replication, capped at {HORIZON_DAYS} days; median and 90% band (5th-95th percentile) over "
    "replications; a station lasts as long as its first item out"
)


class SurviveAgg:
    """Collects, replication by replication, the days each item lasts at each station a closure cuts."""

    def __init__(self, plan: CompiledDrill) -> None:
        self.plan = plan
        self.index = {s.code: i for i, s in enumerate(plan.stations)}
        self.days: list[dict[str, list[list[float]]]] = [
            {code: [] for code in c.stations} for c in plan.closures
        ]  # [closure][station] -> rows

    def add(self, rec: ReplicationRecord) -> None:
        span_days = self.plan.horizon / 1440
        for k, per_station in enumerate(self.days):
            for code, rows in per_station.items():
                s = rec.stations[self.index[code]]
                if k >= len(s.stock_at_close):
                    continue  # the closure began after the horizon
                pairs = zip(s.stock_at_close[k], s.drawn, strict=True)
                rows.append([_days(level, drawn / span_days) for level, drawn in pairs])

    def as_list(self) -> list[dict]:
        """Per closure: the link, its minute, and per station shortest first (``days: null`` with the reason)."""
        out = []
        for c, per_station in zip(self.plan.closures, self.days, strict=True):
            rows = [
                self._station(code, np.asarray(r, dtype=float), code in c.cut_off) for code, r in per_station.items()
            ]
            rows.sort(key=lambda r: (r["days"] is None, r["days"]["median"] if r["days"] else 0.0, r["station"]))
            out.append(
                {
                    "link": c.link,
                    "from_minute": c.minute,
                    "cut_off": list(c.cut_off),
                    "detour": list(c.detour),
                    "horizon_days": HORIZON_DAYS,
                    "definition": DEFINITION,
                    "stations": rows,
                }
            )
        return out

    def _station(self, code: str, days: np.ndarray, isolated: bool) -> dict:
        row: dict = {"station": code, "cut_off": isolated}
        used = [j for j in range(len(STOCK_ITEMS)) if days.size and np.isfinite(days[:, j]).any()]
        if not used:
            return {**row, "days": None, "first_out": None, "items": [], "reason": "no tracked stock drawn here"}
        sub = days[:, used]
        lasts = np.minimum(np.nan_to_num(sub, nan=np.inf).min(axis=1), HORIZON_DAYS)
        firsts = np.nan_to_num(sub, nan=np.inf).argmin(axis=1)
        first = used[int(np.bincount(firsts, minlength=len(used)).argmax())]
        items = [
            {
                "item": STOCK_ITEMS[j],
                "days": summarise(
                    np.minimum(np.nan_to_num(days[:, j], nan=np.inf), HORIZON_DAYS), HORIZON_DAYS
                ).as_dict(),
            }
            for j in used
        ]
        return {
            **row,
            "days": summarise(lasts, HORIZON_DAYS).as_dict(),
            "first_out": STOCK_ITEMS[first],
            "items": items,
        }


def _days(level: float, daily: float) -> float:
    """Days ``level`` lasts at ``daily`` a day (nan: untracked or never drawn — it does not run out)."""
    if math.isnan(level) or daily <= 0:
        return math.nan
    return max(level, 0.0) / daily


def _fmt(d: dict) -> str:
    low, high = d["band90"]
    return f"{'≥ ' if d['beyond_horizon'] else ''}{d['median']:g} days [{low:g}, {high:g}]"


def survive_lines(res: dict) -> list[str]:
    """The drill's time to survive as lines: "NS-WING: 2.3 days [1.9, 2.8], water_l first", then its definition."""
    lines = []
    for c in res.get("survive") or []:
        how = "; ".join(
            part
            for part in (
                c["cut_off"] and "cuts off " + ", ".join(c["cut_off"]),
                c["detour"] and "puts " + ", ".join(c["detour"]) + " on a detour",
            )
            if part
        )
        lines.append(
            f"Closing {c['link']} from minute {c['from_minute']:g}: "
            + (f"{how} — days each holds on its simulated stock:" if how else "no station's resupply crosses it.")
        )
        for row in c["stations"]:
            if row["days"] is None:
                lines.append(f"  {row['station']}: — ({row['reason']})")
            else:
                lines.append(f"  {row['station']}: {_fmt(row['days'])}, {row['first_out']} first")
        if c["stations"]:
            lines.append(f"  ({c['definition']})")
    return lines
