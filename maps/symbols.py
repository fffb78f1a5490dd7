"""How things look: tier symbols (inline SVG, no icon font), colours, legend and title boxes.

Kept apart from the layers so the legend and the map cannot disagree: both read these tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any, TypedDict


class TierStyle(TypedDict):
    label: str
    shape: str
    colour: str
    size: int


class RingStyle(TypedDict):
    label: str
    colour: str


#: Station tiers: label, symbol and colour. Shapes differ so the tiers read without colour too.
TIER_STYLE: dict[str, TierStyle] = {
    "hub": {"label": "Hub 一体", "shape": "star", "colour": "#7b1fa2", "size": 30},
    "wing": {"label": "Wings 两翼", "shape": "triangle", "colour": "#0d47a1", "size": 24},
    "point": {"label": "Points 多点", "shape": "square", "colour": "#00695c", "size": 17},
}
#: Site colours by the first threshold that covers them; uncovered sites use :data:`UNCOVERED`.
THRESHOLD_COLOURS = ("#1a9850", "#a6d96a", "#fdae61", "#f46d43", "#9e0142")
UNCOVERED = "#d7191c"
OFFLINE = "#9e9e9e"
RING_STYLE: dict[str, RingStyle] = {
    "city": {"label": "City ring 覆盖全市", "colour": "#5d4037"},
    "region": {"label": "Region ring 辐射周边", "colour": "#8e24aa"},
    "sea": {"label": "Sea ring 延伸海上", "colour": "#1565c0"},
}
SEA_LANE: dict[str, Any] = {"color": "#1565c0", "weight": 3, "dashArray": "8 6", "opacity": 0.9}
ROAD: dict[str, Any] = {"color": "#616161", "weight": 1.5, "opacity": 0.6}
CLOSED: dict[str, Any] = {"color": "#d50000", "weight": 5, "dashArray": "4 6", "opacity": 0.95}
SLOWED: dict[str, Any] = {"color": "#ff6d00", "weight": 4, "dashArray": "10 4", "opacity": 0.9}
ROUTE: dict[str, Any] = {"color": "#c2185b", "weight": 4, "opacity": 0.85}
SEA_BACKGROUND = "#d6e7f2"
LAND: dict[str, Any] = {"fillColor": "#f3efe6", "color": "#b8ad95", "weight": 1, "fillOpacity": 1.0}
DISTRICT: dict[str, Any] = {"fillColor": "#fbf9f3", "color": "#8d8d8d", "weight": 1, "fillOpacity": 1.0}


def threshold_colour(i: int) -> str:
    return THRESHOLD_COLOURS[min(i, len(THRESHOLD_COLOURS) - 1)]


def station_svg(tier: str, fill: str | None = None, *, offline: bool = False, ring: str | None = None) -> str:
    """An inline SVG symbol for a station of ``tier`` (``ring``: an extra outline colour, e.g. a bottleneck)."""
    style = TIER_STYLE[tier]
    size = style["size"]
    fill = OFFLINE if offline else (fill or style["colour"])
    s = size
    shape = {
        "star": _star(s),
        "triangle": f'<polygon points="{s / 2},1.5 {s - 1.5},{s - 1.5} 1.5,{s - 1.5}"',
        "square": f'<rect x="1.5" y="1.5" width="{s - 3}" height="{s - 3}"',
    }[style["shape"]]
    body = f'{shape} fill="{fill}" stroke="#ffffff" stroke-width="2" paint-order="stroke"/>'
    body += f'{shape} fill="none" stroke="#212121" stroke-width="0.8"/>'
    if offline:
        body += f'<path d="M3,3 L{s - 3},{s - 3} M{s - 3},3 L3,{s - 3}" stroke="#d50000" stroke-width="3"/>'
    if ring:
        body += f'<circle cx="{s / 2}" cy="{s / 2}" r="{s / 2 - 1}" fill="none" stroke="{ring}" stroke-width="2.5"/>'
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{s}" height="{s}" viewBox="0 0 {s} {s}">{body}</svg>'


def _star(s: float) -> str:
    import math

    pts = []
    for k in range(10):
        r = s / 2 - 1 if k % 2 == 0 else s / 4.6
        a = math.pi / 2 + k * math.pi / 5
        pts.append(f"{s / 2 + r * math.cos(a):.1f},{s / 2 - r * math.sin(a) + 1:.1f}")
    return f'<polygon points="{" ".join(pts)}"'


def legend_html(sections: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> str:
    """A legend box: sections of (swatch HTML, label) rows."""
    parts = []
    for heading, rows in sections:
        parts.append(f"<div class='jg-legend-h'>{escape(heading)}</div>")
        parts += [f"<div class='jg-legend-row'><span class='jg-sw'>{sw}</span>{escape(lb)}</div>" for sw, lb in rows]
    return "<div id='jg-legend' class='jg-box'>" + "".join(parts) + "</div>"


def swatch(colour: str, kind: str = "fill", **extra: str) -> str:
    """A small legend swatch: ``fill`` (area), ``dot`` (site), ``line``, ``dash``."""
    if kind == "dot":
        stroke = extra.get("stroke", "#333")
        return (
            f"<svg width='14' height='14'><circle cx='7' cy='7' r='5' fill='{colour}' "
            f"stroke='{stroke}' stroke-width='{extra.get('width', '1')}'/></svg>"
        )
    if kind in ("line", "dash"):
        dash = " stroke-dasharray='5 4'" if kind == "dash" else ""
        line = f"<line x1='1' y1='7' x2='21' y2='7' stroke='{colour}' stroke-width='3'{dash}/>"
        return f"<svg width='22' height='14'>{line}</svg>"
    rect = f"<rect x='1' y='1' width='14' height='12' fill='{colour}' fill-opacity='0.5' stroke='{colour}'/>"
    return f"<svg width='16' height='14'>{rect}</svg>"


def note_html(text: str) -> str:
    """A note across the bottom of the map (what is missing and how to add it)."""
    return f"<div id='jg-note' class='jg-box' role='note'>{escape(text)}</div>"


#: A map with no sea drawn: a neutral background instead of the delta's sea colour.
NO_SEA_CSS = "html body .leaflet-container { background: #eceff1; }"


def title_html(title: str, subtitle: str = "") -> str:
    sub = f"<div class='jg-sub'>{escape(subtitle)}</div>" if subtitle else ""
    return f"<div id='jg-title' class='jg-box'><div class='jg-t'>{escape(title)}</div>{sub}</div>"


PAGE_CSS = f"""
html body .leaflet-container {{ background: {SEA_BACKGROUND}; }}
html body .leaflet-container, .jg-box {{ font-family: "Helvetica Neue", Arial, "WenQuanYi Micro Hei",
  "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; }}
.jg-box {{ position: absolute; z-index: 1000; background: rgba(255,255,255,0.93); border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.35); padding: 6px 10px; font-size: 12px; line-height: 1.35; }}
#jg-note {{ bottom: 24px; left: 50%; transform: translateX(-50%); max-width: 70%; background: #fff8e1;
  border: 1px solid #f0b400; font-size: 13px; }}
#jg-title {{ top: 10px; left: 50%; transform: translateX(-50%); text-align: center; max-width: 60%; }}
#jg-title .jg-t {{ font-size: 16px; font-weight: bold; }}
#jg-title .jg-sub {{ font-size: 12px; color: #444; }}
#jg-legend {{ bottom: 62px; left: 10px; max-height: 60%; overflow-y: auto; }}
.jg-legend-h {{ font-weight: bold; margin-top: 4px; }}
.jg-legend-row {{ display: flex; align-items: center; gap: 6px; }}
.jg-sw {{ display: inline-flex; width: 24px; justify-content: center; }}
.jg-station {{ background: none; border: none; }}
.jg-label {{ background: none; border: none; color: #6d6d6d; font-size: 11px; white-space: nowrap;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff; }}
.jg-station-label {{ background: none; border: none; color: #1d2733; font-size: 11px; line-height: 13px;
  white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }}
.jg-station-label span {{ font-size: 10px; color: #3d4b5c; }}
.jg-label-left {{ text-align: right; }}
.jg-popup table {{ border-collapse: collapse; margin: 2px 0 4px; }}
.jg-popup td, .jg-popup th {{ padding: 1px 6px 1px 0; text-align: left; font-size: 12px; }}
.jg-popup h4 {{ margin: 0 0 4px; font-size: 14px; }}
.jg-popup .jg-warn {{ color: #d50000; font-weight: bold; }}
.jg-popup ul.jg-late, .jg-popup .jg-why {{ font-size: 12px; margin: 2px 0 6px; }}
.jg-popup ul.jg-late {{ padding-left: 16px; }}
"""
