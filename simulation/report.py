"""A self-contained HTML report of a drill: tables and matplotlib plots inlined as base64 PNG.

It opens with no network: no scripts, fonts or styles are fetched. Takes the plain results
dict (:meth:`~.stats.DrillStats.as_dict`), so it can be rebuilt from saved JSON.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}.bad{color:#b00}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}
"""


def _png(fig: plt.Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _busy_stations(res: dict) -> list[str]:
    return [c for c, s in res["stations"].items() if s["units"]]


def _series_plot(res: dict, key: str, ylabel: str, title: str) -> str:
    series = res["series"]
    hours = series["bin_minutes"] / 60
    fig, ax = plt.subplots(figsize=(10, 3.6))
    for code in _busy_stations(res):
        ys = [float("nan") if y is None else y for y in series[key].get(code, [])]
        if ys and any(y == y for y in ys):
            ax.step([(i + 1) * hours for i in range(len(ys))], ys, where="pre", label=code)
    ax.set_xlabel("hour of the drill")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if ax.lines:
        ax.legend(fontsize=8, ncol=4)
    return _png(fig)


def _histogram(res: dict) -> str:
    hist = res["minutes_to_fed_histogram"]
    w, counts = hist["bin_minutes"], hist["counts"]
    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.bar([i * w for i in range(len(counts))], counts, width=w, align="edge", color="#4477aa")
    used = [i for i, c in enumerate(counts) if c]
    ax.set_xlim(0, max(res["target_minutes"], (used[-1] + 2) * w if used else w) * 1.05)
    ax.axvline(res["target_minutes"], color="#b00", linestyle="--", label=f"target {res['target_minutes']:g} min")
    ax.set_xlabel("minutes from arrival to fed (last bin: longer)")
    ax.set_ylabel("arrivals, all replications")
    ax.set_title("Distribution of minutes to fed")
    ax.legend()
    return _png(fig)


def _service_by_station(res: dict) -> str:
    codes = [c for c in _busy_stations(res) if res["stations"][c]["service_level"] is not None]
    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.bar(codes, [res["stations"][c]["service_level"] for c in codes], color="#228833")
    ax.set_ylim(0, 1)
    ax.set_ylabel("share served on time")
    ax.set_title("Service level by station")
    return _png(fig)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _ci(d: dict, fmt: str = "{:.2f}") -> str:
    if d["mean"] is None:
        return "—"
    lo, hi = d["ci95"]
    return f"{fmt.format(d['mean'])} [{fmt.format(lo)}, {fmt.format(hi)}]"


def render(res: dict, comparison: dict | None = None) -> str:
    """The report as one HTML string."""
    e = html.escape
    sl = res["service_level"]
    station_rows = [
        [
            e(c),
            _ci(s["mean_wait_minutes"]),
            _ci(s["utilisation"], "{:.1%}"),
            f"{s['served']:.0f}",
            f"{s['stockouts']:.2f}",
            "—" if s["service_level"] is None else f"{s['service_level']:.0%}",
        ]
        for c, s in res["stations"].items()
        if s["units"]
    ]
    unit_rows = [
        [
            e(c),
            f"{u['arrivals']:g}",
            "—" if u["on_time_share"] is None else f"{u['on_time_share']:.0%}",
            "—" if u["mean_wait_minutes"] is None else f"{u['mean_wait_minutes']:.0f}",
            "—" if u["mean_minutes_to_fed"] is None else f"{u['mean_minutes_to_fed']:.0f}",
            f"{u['missed_share']:.0%}" if u["missed_share"] is not None else "—",
            f"{u['people_missed']:.0f}",
            f"{u['vehicles_missed']:.0f}",
            e(", ".join(u["stations"])),
        ]
        for c, u in res["units"].items()
    ]
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Drill report: {e(res['scenario'])}"
        f"</title><style>{_CSS}</style></head><body>",
        f"<h1>Drill rehearsal: {e(res['scenario'])}</h1>",
        f"<p>{res['replications']} replications, seed {res['seed']}, {res['hours']:g} hours, target "
        f"{res['target_minutes']:g} min, policy <b>{e(res['policy'])}</b>.</p>",
        f"<p><b>Service level</b> (share of arrivals served on time): {_ci(sl, '{:.1%}')}. "
        f"<b>Bottleneck:</b> {e(str(res['bottleneck']))} — {e(res['bottleneck_reason'])}.</p>",
        "<h2>Disruptions</h2><ul>"
        + "".join(f"<li>from minute {d['from_minute']:g}: {e(d['state'])}</li>" for d in res["disruptions"])
        + "</ul>",
        "<h2>Stations</h2>",
        _table(
            ["station", "mean wait, min [95% CI]", "seat use [95% CI]", "people fed", "stock-outs", "on time"],
            station_rows,
        ),
        "<h2>Units</h2>",
        _table(
            [
                "unit",
                "arrivals",
                "on time",
                "wait, min",
                "min to fed",
                "missed",
                "people missed",
                "vehicles missed",
                "served at",
            ],
            unit_rows,
        ),
        "<h2>Plots</h2>",
        _series_plot(res, "queue", "people waiting", "Queue length over time (mean over replications)"),
        _series_plot(res, "stock_meals", "meals in stock", "Meal stock over time (mean over replications)"),
        _histogram(res),
        _service_by_station(res),
    ]
    if comparison:
        rows = [
            [
                e(r["metric"]),
                str(r["a"]),
                str(r["b"]),
                str(r["difference"]),
                str(r["p_value"]),
                "<b>yes</b>" if r["significant"] else "no",
            ]
            for r in comparison["rows"]
        ]
        parts += [
            f"<h2>Compared with {e(comparison['b'])}</h2>",
            _table(["metric", e(comparison["a"]), e(comparison["b"]), "B − A", "p (Welch)", "significant"], rows),
        ]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(res: dict, path: str | Path, comparison: dict | None = None) -> Path:
    """Write the report; returns the path."""
    out = Path(path)
    out.write_text(render(res, comparison), encoding="utf-8")
    return out
