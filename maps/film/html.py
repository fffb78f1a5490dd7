"""The film as one self-contained HTML page: an SVG base map, a canvas for what moves, a player.

Offline: the player's script (``maps/static/film/player.js``) and the timeline (as JSON) are
inlined; nothing is fetched. Controls: play/pause, a time slider (the clock follows it), the
speed (simulated seconds per second) and a layer of the routes travelled.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from maps.film import layout as lay
from maps.film.state import CAPTION_HOLD, CAPTIONED, CHAPTER_HOLD
from maps.film.words import STATUS_WORDS, VEHICLES, caption, item_name, label
from supply.core.timeline import Timeline

PLAYER_JS = Path(__file__).resolve().parent.parent / "static" / "film" / "player.js"
GAUGE_ITEMS = ("meals", "water_l", "diesel_l")

_CSS = """
*{box-sizing:border-box}body{margin:0;background:#1d2733;color:#222;font-family:"Helvetica Neue",Arial,
"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif}
#film{position:relative;width:1280px;height:720px;margin:0 auto;background:#fff;overflow:hidden}
#film-map{position:absolute;left:0;top:0;width:880px;height:720px}
#film-canvas{position:absolute;left:0;top:0}
#film-panel{position:absolute;left:880px;top:0;width:400px;height:720px;padding:10px 14px;background:#f7f7f5;
border-left:1px solid #ccc;overflow:hidden}
#film-clock{font:bold 34px/1.1 monospace;color:#1d2733}
.f-title{font-weight:bold;font-size:15px;margin:2px 0}.f-sub{font-size:12px;color:#555;margin-bottom:6px}
h3{font-size:13px;margin:10px 0 4px;border-bottom:1px solid #ccc}
.g-row{display:flex;align-items:center;gap:4px;margin:2px 0;font-size:11px}.g-name{width:70px;font-weight:bold}
.g-bar{position:relative;flex:1;height:14px;background:#e0e0e0;border-radius:2px;overflow:hidden}
.g-fill{height:100%;background:#2e7d32}.g-lab{position:absolute;left:3px;top:0;font-size:10px;color:#fff;
text-shadow:0 0 2px #000}
#film-captions{list-style:none;padding:0;margin:0;font-size:12px}#film-captions li{margin:2px 0;color:#555}
#film-captions li.cap-new{color:#000;font-weight:bold;font-size:13px}
#film-units{font-size:11px;color:#333}#film-next{font-size:12px;color:#1565c0;margin-top:6px}
#film-chapter{display:none;position:absolute;left:40px;top:30px;max-width:800px;padding:10px 18px;
background:rgba(29,39,51,.85);color:#fff;font-size:24px;font-weight:bold;border-radius:4px}
#film-bar{position:absolute;left:0;bottom:0;width:880px;height:34px;padding:6px 12px;background:#1d2733;
color:#fff;font-size:17px;white-space:nowrap;overflow:hidden}#film-bar:empty{display:none}
#film-controls{width:1280px;margin:0 auto;padding:8px;background:#2b3947;color:#fff;display:flex;gap:12px;
align-items:center;font-size:14px}
#film-slider{flex:1}button{font-size:14px;padding:4px 14px}
.st-lab{font:bold 12px sans-serif;fill:#1d2733;paint-order:stroke;stroke:#fff;stroke-width:3px}
.d-lab{font:11px sans-serif;fill:#8d8576}.site-lab{fill:#5d4037;font-weight:normal}
.legend{position:absolute;left:8px;bottom:44px;background:rgba(255,255,255,.9);padding:4px 8px;font-size:11px;
border:1px solid #bbb}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.legend i.dot{border-radius:5px}
"""


def legend_rows(lang: str) -> list[tuple[str, str, str]]:
    """(colour, meaning, shape): what moves (dots), a unit's badge at a station and a closed link (squares)."""
    movers = ("unit", "kitchen", "fuel_truck", "handover", "restock")
    rows = [(lay.MOVER_COLOUR[k], VEHICLES[k][lang], "dot") for k in movers]
    rows += [(lay.STATUS_COLOUR[k], STATUS_WORDS[k][lang], "square") for k in ("arrives", "queues", "seated", "fed")]
    rows.append((lay.CLOSED, label("legend_closed", lang), "square"))
    return rows


def _points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _svg(timeline: Timeline, proj: lay.Projection, lang: str) -> str:
    parts = [f'<svg id="film-map" viewBox="0 0 {proj.width} {proj.height}" xmlns="http://www.w3.org/2000/svg">']
    parts.append(f'<rect width="{proj.width}" height="{proj.height}" fill="{lay.SEA}"/>')
    for _kind, ring in lay.base_rings(timeline, proj):
        parts.append(
            f'<polygon points="{_points(ring)}" fill="{lay.LAND}" stroke="{lay.DISTRICT_EDGE}" stroke-width="0.8"/>'
        )
    for x, y, name in lay.district_labels(timeline, proj, lang):
        parts.append(f'<text class="d-lab" x="{x:.0f}" y="{y:.0f}" text-anchor="middle">{html.escape(name)}</text>')
    parts.append('<g id="film-route-layer">')
    seen: set[tuple[tuple[float, float], ...]] = set()
    for m in timeline.moves:
        pts = tuple(proj.xy(*p) for p in m.path)
        if len(pts) > 1 and pts not in seen:
            seen.add(pts)
            parts.append(
                f'<polyline points="{_points(list(pts))}" fill="none" stroke="{lay.ROUTE}" '
                'stroke-width="1.5" stroke-opacity="0.6"/>'
            )
    parts.append("</g>")
    labels = lay.label_positions(timeline, proj)
    for p in timeline.places:
        x, y = proj.xy(p.lat, p.lon)
        colour = lay.TIER_COLOUR.get(p.kind, "#555")
        if p.kind == "site":
            parts.append(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>')
        else:
            r = 9 if p.kind == "hub" else 7
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}" stroke="#fff" stroke-width="2"/>')
        lx, ly, anchor = labels[p.code]
        css = "st-lab site-lab" if p.kind == "site" else "st-lab"
        parts.append(
            f'<text class="{css}" x="{lx:.1f}" y="{ly + 10:.1f}" text-anchor="{anchor}">{html.escape(p.code)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def lost_words(detail: dict[str, Any], lang: str) -> str:
    return f"−{detail.get('quantity', 0):,.0f} {item_name(str(detail.get('item', '')), lang)}"


def _px(proj: lay.Projection, p: tuple[float, float]) -> list[float]:
    return [round(v, 1) for v in proj.xy(*p)]


def _clock_base(start_iso: str | None) -> list[int] | None:
    if not start_iso:
        return None
    d = datetime.fromisoformat(start_iso)
    return [d.year, d.month, d.day, d.hour, d.minute]


def player_data(timeline: Timeline, lang: str) -> dict[str, Any]:
    """The JSON the player reads: the timeline in pixels, its captions already worded in ``lang``."""
    proj = lay.projection(timeline)
    xy = {p.code: [round(v, 1) for v in proj.xy(p.lat, p.lon)] for p in timeline.places}
    unit_events: dict[str, list[list[Any]]] = {}
    for e in sorted(timeline.events, key=lambda e: e.minute):
        if e.kind in ("arrives", "queues", "seated", "fed", "refuelled", "leaves", "missed") and e.station:
            unit_events.setdefault(e.subject, []).append([e.minute, e.kind, e.station, e.people])
    stock: dict[str, dict[str, list[list[float]]]] = {}
    for s in sorted(timeline.stock, key=lambda s: s.minute):
        full = timeline.opening.get(s.station, {}).get(s.item)
        if full and s.item in GAUGE_ITEMS:
            stock.setdefault(s.station, {}).setdefault(s.item, []).append([s.minute, round(s.level / full, 4)])
    events = sorted(timeline.events, key=lambda e: e.minute)
    return {
        "horizon": timeline.horizon,
        "xy": xy,
        "stations": [[p.code, p.kind] for p in timeline.stations()],
        "items": [[i, item_name(i, lang)] for i in GAUGE_ITEMS],
        "moves": [
            [m.start, m.end, m.kind, m.subject, [[round(v, 1) for v in proj.xy(*p)] for p in m.path]]
            for m in sorted(timeline.moves, key=lambda m: m.start)
        ],
        "unitEvents": unit_events,
        "stock": stock,
        "disruptions": [
            [
                d.start,
                d.end,
                d.kind,
                d.ref,
                [
                    [*map(lambda v: round(v, 1), proj.xy(*a)), *map(lambda v: round(v, 1), proj.xy(*b))]
                    for a, b in d.segments
                ],
                xy.get(d.ref) if d.kind in ("offline", "lose") else None,
                lost_words(d.detail, lang) if d.kind == "lose" else "",
            ]
            for d in timeline.disruptions
        ],
        "captions": [[e.minute, caption(e, lang)] for e in events if e.kind in CAPTIONED],
        "chapters": [[e.minute, caption(e, lang)] for e in events if e.kind == "chapter"],
        "captionHold": CAPTION_HOLD,
        "chapterHold": CHAPTER_HOLD,
        "clockBase": _clock_base(timeline.start_iso),
        "labels": {k: label(k, lang) for k in ("play", "pause", "closed", "none", "next")},
        "colours": {"closed": lay.CLOSED, "movers": lay.MOVER_COLOUR, "status": lay.STATUS_COLOUR},
    }


def subtitle(timeline: Timeline, lang: str) -> str:
    """What the film shows: simulated (which replication, why) or live."""
    a = timeline.about
    if timeline.source == "live":
        return label("live", lang) + (f" #{a['drill_id']}" if "drill_id" in a else "")
    text = label("simulation", lang)
    if "index" in a:
        why = (
            label(a.get("choice", "chosen"), lang) if a.get("choice") in ("median", "worst") else label("chosen", lang)
        )
        text += " · " + label("replication", lang, index=a["index"], of=a.get("of", "?"), why=why)
    if "on_time" in a:
        text += " · " + label("on_time_of", lang, on_time=a["on_time"], of=a.get("planned", "?"))
    return text


def film_html(timeline: Timeline, *, lang: str = "zh", speed: float = 600) -> str:
    proj = lay.projection(timeline)
    data = json.dumps(player_data(timeline, lang), ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    speeds = sorted({60, 300, int(speed), 600, 1800, 3600})
    options = "".join(f'<option value="{s}"{" selected" if s == int(speed) else ""}>{s}×</option>' for s in speeds)
    legend = (
        '<div class="legend">'
        + "<br>".join(
            f'<i class="{shape}" style="background:{c}"></i>{html.escape(t)}' for c, t, shape in legend_rows(lang)
        )
        + "</div>"
    )
    title = html.escape(timeline.title)
    speed_note = label("speed_note", lang, speed=int(speed))
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=1300">
<title>{html.escape(label("title", lang))} — {title}</title>
<style>{_CSS}</style></head><body>
<div id="film">{_svg(timeline, proj, lang)}
<canvas id="film-canvas" width="{proj.width}" height="{proj.height}"></canvas>
<div id="film-chapter"></div>{legend}<div id="film-bar"></div>
<div id="film-panel"><div id="film-clock">D1 00:00</div>
<div class="f-title">{html.escape(label("title", lang))}: {title}</div>
<div class="f-sub">{html.escape(subtitle(timeline, lang))}<br>{html.escape(speed_note)}</div>
<h3>{html.escape(label("stock", lang))}</h3><div id="film-gauges"></div>
<h3>{html.escape(label("at_station", lang))}</h3><div id="film-units"></div>
<h3>{html.escape(label("happening", lang))}</h3><ul id="film-captions"></ul><div id="film-next"></div></div></div>
<div id="film-controls"><button id="film-play" type="button">{html.escape(label("play", lang))}</button>
<input id="film-slider" type="range" min="0" max="{int(timeline.horizon)}" step="1" value="0"
 aria-label="time">
<label>{html.escape(label("speed", lang))} <select id="film-speed">{options}</select></label>
<label><input id="film-routes" type="checkbox" checked> {html.escape(label("routes", lang))}</label></div>
<script type="application/json" id="film-data">{data}</script>
<script>{PLAYER_JS.read_text(encoding="utf-8")}</script>
</body></html>
"""
