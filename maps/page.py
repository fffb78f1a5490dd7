"""The frame every map shares: an offline folium map fitted to the network, title, legend, controls.

:func:`new_map` starts a page; :func:`finish_map` adds the layer control and the title and legend
boxes, renders, and runs the offline check (:func:`maps.assets.offline_html`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from maps.assets import ASSETS_URL, check_mode, offline_html, use_local_assets
from maps.basemap import NO_BASE_NOTE, add_base_map, add_outline, base_kind
from maps.layers import add_panes
from maps.symbols import NO_SEA_CSS, PAGE_CSS, legend_html, note_html, title_html
from maps.words import Tr, same
from supply.core.errors import InvalidArgumentError
from supply.core.network import Network

_TILE_RE = re.compile(r"^(https?://[^/\s]+|)/\S*$", re.IGNORECASE)


class _ExposeMap(MacroElement):
    """Sets ``window.jungongMap`` to the Leaflet map, for tests and the benchmark to find it."""

    _template = Template(
        "{% macro script(this, kwargs) %}window.jungongMap = {{ this._parent.get_name() }};{% endmacro %}"
    )


def check_tiles(url: str | None) -> str | None:
    """Validate ``--tiles``: an http(s) or server-relative URL template with ``{z}``, ``{x}`` and ``{y}``."""
    if url is None:
        return None
    if not _TILE_RE.match(url) or not all(k in url for k in ("{z}", "{x}", "{y}")):
        msg = f"--tiles: '{url}' is not a tile URL template like http://tiles.local/{{z}}/{{x}}/{{y}}.png"
        raise InvalidArgumentError(msg)
    return url


def new_map(
    network: Network, *, tiles: str | None, assets: str, assets_url: str = ASSETS_URL, tr: Tr = same
) -> folium.Map:
    """An empty offline map fitted to the network, with the base map (and tiles if given); where the
    shipped base map does not reach and no tiles are given, a note saying how to add one."""
    check_mode(assets)
    check_tiles(tiles)
    lats, lons = (c.tolist() for c in network.coordinates)
    m = folium.Map(
        location=[sum(lats) / len(lats), sum(lons) / len(lons)],
        zoom_start=9,
        tiles=None,
        control_scale=True,
    )
    use_local_assets(m, assets, assets_url)
    _figure(m).header.add_child(Element(f"<style>{PAGE_CSS}</style>"), name="jg_css")
    if tiles:
        folium.TileLayer(tiles=tiles, attr=f"tiles: {urlsplit(tiles).hostname or 'local'}", name="Tiles").add_to(m)
    add_panes(m)
    kind = base_kind(network)
    if kind == "shipped":
        add_base_map(m, with_tiles=bool(tiles))
    elif kind == "outline" and network.scenario.outline_geojson:
        add_outline(m, network.scenario.outline_geojson, with_tiles=bool(tiles))
    if kind != "shipped":  # the background is land or nothing here, not the delta's sea
        _figure(m).header.add_child(Element(f"<style>{NO_SEA_CSS}</style>"), name="jg_no_sea")
    if kind == "none" and not tiles:
        _figure(m).html.add_child(Element(note_html(tr(NO_BASE_NOTE))), name="jg_note")
    m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(20, 20))
    return m


def _figure(m: folium.Map) -> Figure:
    """The page a map renders into (folium types its root as any element; a map's is a Figure)."""
    root = m.get_root()
    if not isinstance(root, Figure):
        msg = f"a folium map's root should be a Figure, got {type(root).__name__}"
        raise TypeError(msg)
    return root


def finish_map(
    m: folium.Map,
    *,
    title: str,
    subtitle: str,
    legend: Sequence[tuple[str, Sequence[tuple[str, str]]]],
    assets: str,
    tiles: str | None,
) -> str:
    """Add controls, title and legend; render; return HTML that fetches nothing from outside."""
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.add_child(_ExposeMap())
    root = _figure(m)
    root.title = title
    root.html.add_child(Element(title_html(title, subtitle)), name="jg_title")
    root.html.add_child(Element(legend_html(legend)), name="jg_legend")
    html = root.render()
    host = urlsplit(tiles).hostname if tiles else None
    return offline_html(html, assets, allowed_hosts=(host,) if host else ())
