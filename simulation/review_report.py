"""The after-action review as a self-contained HTML record: tables and inline PNG plots.

Takes the plain review dict (:func:`supply.drills.review.review`): reality against the simulated
95% bands. No scripts, fonts or styles are fetched, so it opens offline and prints.
"""

from __future__ import annotations

import html
from typing import Any

from simulation.report import _CSS, _png, _table, plt
from supply.core.figures import clock_time, item_label, number, station_label, utc_offset


def _band(ax: Any, i: int, lo: float | None, hi: float | None) -> None:
    """Row ``i``'s simulated 95% band as a thick translucent bar (labelled once, for the legend)."""
    ax.plot(
        [i, i],
        [lo, hi],
        color="#4477aa",
        linewidth=8,
        alpha=0.5,
        solid_capstyle="butt",
        label="simulated 95% band" if i == 0 else None,
    )


def _fed_plot(rv: dict) -> str:
    units = rv["units"]
    fig, ax = plt.subplots(figsize=(10, 3.6))
    xs = list(range(len(units)))
    for i, u in enumerate(units):
        sim = u["simulated"] or {}
        lo, hi = (sim.get("band95") or [None, None])[:2]
        if lo is not None:
            _band(ax, i, lo, hi)
        if u["minutes_to_fed"] is not None:
            ax.plot(
                i,
                u["minutes_to_fed"],
                "o",
                color="#b00" if u["outside_band"] else "#222",
                label="actual" if i == 0 else None,
            )
    ax.axhline(rv["target_minutes"], color="#b00", linestyle="--", linewidth=1, label="target")
    ax.set_xticks(xs, [u["code"] for u in units], rotation=30, ha="right")
    ax.set_ylabel("minutes from arrival to fed")
    ax.set_title("Minutes to fed: actual against the simulated 95% band")
    ax.legend(fontsize=8)
    return _png(fig)


def _steps_plot(rv: dict) -> str:
    steps = rv["procedure"]
    fig, ax = plt.subplots(figsize=(10, 3.2))
    names = [s["step"] for s in steps]
    xs = range(len(steps))
    ax.bar([x - 0.2 for x in xs], [s["target_minutes"] for s in steps], width=0.4, label="target", color="#aaa")
    ax.bar(
        [x + 0.2 for x in xs],
        [s["actual_minutes"] or 0 for s in steps],
        width=0.4,
        label="actual",
        color=["#b00" if s["over_target"] else "#228833" for s in steps],
    )
    ax.set_xticks(list(xs), names, rotation=20, ha="right")
    ax.set_ylabel("minutes")
    ax.set_title("Procedure steps: actual against target")
    ax.legend(fontsize=8)
    return _png(fig)


def _stock_plot(rv: dict) -> str:
    """Each item's draw per station (and in total) against its simulated 95% band: one panel an item."""
    rows: dict[str, list[tuple[str, dict]]] = {}
    for where, items in [*rv["stock"].items(), ("all", {"items": rv.get("stock_total", {})})]:
        for item, c in items.get("items", {}).items():
            rows.setdefault(item, []).append((where, c))
    if not rows:
        return ""
    fig, axes = plt.subplots(1, len(rows), figsize=(10, 3.2), squeeze=False)
    for ax, (item, cells) in zip(axes[0], sorted(rows.items()), strict=True):
        for i, (_, c) in enumerate(cells):
            sim = c["simulated"] or {}
            lo, hi = (sim.get("band95") or [None, None])[:2]
            if sim.get("mean") is not None:
                _band(ax, i, lo, hi)
            ax.plot(
                i, c["drawn"], "o", color="#b00" if c["outside_band"] else "#222", label="drawn" if i == 0 else None
            )
        ax.set_xticks(range(len(cells)), [w for w, _ in cells], rotation=30, ha="right", fontsize=8)
        ax.set_title(item, fontsize=9)
        ax.set_ylim(bottom=0)
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Stock drawn against the simulated 95% band", fontsize=10)
    return _png(fig)


def _fmt(x: float | None, f: str = "{:.1f}") -> str:
    return "—" if x is None else f.format(x)


def _sim(sim: dict | None, f: str = "{:.1f}") -> str:
    """``mean [lo, hi]`` of a simulated band, or a dash where there is none."""
    if not sim or sim.get("mean") is None:
        return "—"
    lo, hi = sim["band95"]
    return f"{f.format(sim['mean'])} [{f.format(lo)}, {f.format(hi)}]"


def _sim_n(sim: dict | None, unit: str = "") -> str:
    """A simulated stock band with thousands separated: ``1,140 [1,140, 1,140] L``."""
    if not sim or sim.get("mean") is None:
        return "—"
    lo, hi = sim["band95"]
    return f"{number(sim['mean'])} [{number(lo)}, {number(hi)}]" + (f" {unit}" if unit else "")


def _verdict(outside: bool | None) -> str:
    return "<b class='bad'>outside</b>" if outside else "inside" if outside is False else "—"


#: A unit's status in words (``pending`` gets its due time).
STATUS_WORDS = {
    "on_time": "on time",
    "late": "<span class='bad'>late</span>",
    "missed": "<span class='bad'>missed (left unfed)</span>",
}


def _status(u: dict) -> str:
    """The unit's status in words; a review stored before ``status`` existed says yes/no as it did."""
    status = u.get("status")
    if status is None:
        return "yes" if u["on_time"] else "<span class='bad'>no</span>"
    if status == "pending":
        return f"pending — due {html.escape(clock_time(u.get('due_at')))}"
    return STATUS_WORDS.get(status, html.escape(status))


def _share_line(rv: dict) -> str:
    """The on-time share of the units due, the pending ones counted apart, against the simulated band."""
    sim, share, target = rv["simulated_on_time_share"], rv["on_time_share"], rv["target_minutes"]
    due, pending = rv.get("units_due"), rv.get("units_pending") or 0
    fed = sum(1 for u in rv["units"] if u["on_time"])
    of = f"{fed} of {due} units due fed" if due is not None else "of units fed"
    line = f"<b>On-time share</b>: {_fmt(share, '{:.0%}')} ({of} within {target:g} minutes of arrival)"
    if pending:
        line += f"; {pending} not yet due (pending: judged once due)"
    line += (
        f"; simulated {_fmt(sim['mean'], '{:.0%}')} (95% band {_fmt(sim['band95'][0], '{:.0%}')}–"
        f"{_fmt(sim['band95'][1], '{:.0%}')})"
    )
    if rv.get("complete") is False:
        line += " — set against the band, as the stock drawn is, once no unit is pending"
    return line + "."


def review_html(rv: dict) -> str:
    """The review as one HTML string."""
    e = html.escape
    d = rv["drill"]
    names = rv.get("names") or {}
    unit_rows = [
        [
            e(u["code"]),
            e(station_label(u["station"], names)) if u["station"] else "— (not scheduled)",
            e(clock_time(u.get("arrived_at"))),
            e(clock_time(u.get("served_at"))),
            _fmt(u["arrival_delay_minutes"]),
            _fmt(u["minutes_to_fed"]),
            _status(u),
            _sim(u["simulated"]),
            _verdict(u["outside_band"]),
        ]
        for u in rv["units"]
    ]
    stock_rows = []
    for where, items in [
        *((station_label(st, names), s.get("items", {})) for st, s in rv["stock"].items()),
        ("all stations", rv.get("stock_total", {})),
    ]:
        for item, c in items.items():
            name, unit = item_label(item, names)
            drawn = number(c["drawn"]) + (f" {unit}" if unit else "")
            stock_rows.append(
                [e(where), e(name), e(drawn), e(_sim_n(c["simulated"], unit)), _verdict(c["outside_band"])]
            )
    step_rows = [
        [
            e(s["step"]),
            e(clock_time(s.get("done_at"))),
            f"{s['target_minutes']:g}",
            _fmt(s["actual_minutes"]),
            "<b class='bad'>over</b>" if s["over_target"] else "",
            _fmt(s.get("measured_minutes")),
            _sim(s.get("simulated")),
            _verdict(s.get("outside_band")),
            e(s.get("note", "")),
        ]
        for s in rv["procedure"]
    ]
    o = rv["orders"]
    zone = utc_offset(d.get("start_at"))
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>After-action review: drill {d['id']}"
        f"</title><style>{_CSS}</style></head><body>",
        f"<h1>After-action review: {e(d['name'])} (drill {d['id']})</h1>",
        f"<p><b>EXERCISE</b> — not a record of real operations. Started {e(clock_time(d['start_at']))}, status "
        f"{e(d['status'])}{', closed ' + e(clock_time(d['closed_at'])) if d.get('closed_at') else ''}"
        + (f"; as of {e(clock_time(rv['as_of']))}" if rv.get("as_of") else "")
        + (f". Times are local ({e(zone)})" if zone else "")
        + ".</p>",
        f"<p>{_share_line(rv)}</p>",
        "<h2>Flags</h2><ul>" + "".join(f"<li class='bad'>{e(f)}</li>" for f in rv["flags"]) + "</ul>"
        if rv["flags"]
        else "<h2>Flags</h2><p>Everything within the simulated bands and targets.</p>",
        "<h2>Units</h2>",
        _table(
            [
                "unit",
                "station",
                "arrived",
                "fed",
                "arrival delay, min",
                "min to fed",
                "status",
                "simulated [95% band]",
                "band",
            ],
            unit_rows,
        ),
        _fed_plot(rv),
        "<h2>Stock drawn</h2>",
        _table(["station", "item", "drawn", "simulated [95% band]", "band"], stock_rows),
        _stock_plot(rv),
        "<h2>Procedure</h2>",
        _table(
            [
                "step",
                "reached",
                "target, min",
                "actual, min",
                "",
                "measured as simulated, min",
                "simulated [95% band]",
                "band",
                "note",
            ],
            step_rows,
        ),
        _steps_plot(rv),
        "<h2>Orders</h2>",
        f"<p>{o['count']} orders: {e(', '.join(f'{k} {v}' for k, v in sorted(o['by_status'].items())) or 'none')}; "
        f"mean minutes to acknowledge {_fmt(o['mean_minutes_to_acknowledge'])}.</p>",
        "<ul>" + "".join(f"<li>order {r['id']} refused: {e(r['reason'])}</li>" for r in o["refused"]) + "</ul>",
        "<h2>What the plan foresaw</h2>",
        f"<p>Bottleneck {e(str(rv['risks']['bottleneck']))} — {e(rv['risks']['bottleneck_reason'])}; "
        f"likely late: {e(', '.join(rv['risks']['late_units']) or 'none')}.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)
