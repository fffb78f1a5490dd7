"""The scripts and styles a map needs, vendored in ``maps/static/``, and how a page gets them.

folium links Leaflet, jQuery, bootstrap, Font Awesome and friends from CDNs; a commander's network
may be closed, so every map here drops those links *per map* (instance attributes shadow folium's
class-wide defaults; :meth:`folium.Map.add_js_link` would change them for every map in the process)
and uses the vendored copies instead, in one of two modes:

- ``inline``: one self-contained HTML file (for a USB stick): scripts and styles are written into
  the page, images in the CSS become ``data:`` URIs;
- ``served``: the page links ``/maps/assets/...``, which the API serves (:mod:`supply.api.routers.maps`).

:func:`offline_html` refuses a page that still names an outside host (other than the tile server
the user asked for): a map that needs the internet would show nothing.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast
from urllib.parse import urlsplit

from supply.core.errors import InvalidArgumentError

if TYPE_CHECKING:
    import folium

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Where the API serves the vendored files, and where ``served`` pages look for them.
ASSETS_URL = "/maps/assets"
#: What a page loads, in order. jQuery is there because folium's Popup template calls ``$(...)``.
SCRIPTS = (("leaflet", "leaflet/leaflet.js"), ("jquery", "jquery/jquery.min.js"))
STYLES = (("leaflet_css", "leaflet/leaflet.css"),)
ASSET_MODES = ("inline", "served")
AssetMode = Literal["inline", "served"]

_PLACEHOLDER = "jungong-asset:"
_SCRIPT_TAG = re.compile(r'<script src="' + _PLACEHOLDER + r'([^"]+)"></script>')
_STYLE_TAG = re.compile(r'<link rel="stylesheet" href="' + _PLACEHOLDER + r'([^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\((['\"]?)(?!data:|#)([^)'\"]+)\1\)")
#: URLs a browser would fetch by itself: script/img/iframe src, stylesheet/icon href, CSS url().
_FETCHED = re.compile(
    r"""<(?:script|img|iframe|source|embed)\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']"""
    r"""|<link\b[^>]*?\bhref\s*=\s*["']([^"']+)["']"""
    r"""|url\(\s*["']?([^)"']+)["']?\s*\)""",
    re.IGNORECASE,
)


def check_mode(assets: str) -> AssetMode:
    """Validate an ``--assets`` value."""
    if assets not in ASSET_MODES:
        msg = f"--assets: '{assets}' is not one of {', '.join(ASSET_MODES)}"
        raise InvalidArgumentError(msg)
    return cast(AssetMode, assets)  # checked just above


def use_local_assets(m: folium.Map, assets: str, base_url: str = ASSETS_URL) -> None:
    """Point this map (only) at the vendored files instead of folium's CDN defaults."""
    prefix = _PLACEHOLDER if check_mode(assets) == "inline" else base_url.rstrip("/") + "/"
    m.default_js = [(name, prefix + rel) for name, rel in SCRIPTS]
    m.default_css = [(name, prefix + rel) for name, rel in STYLES]


def offline_html(html: str, assets: str, *, allowed_hosts: tuple[str, ...] = ()) -> str:
    """Finish a rendered page: inline the vendored files if asked, then check nothing is fetched from outside.

    ``allowed_hosts`` are hosts the user named on purpose (a ``--tiles`` server).
    """
    if check_mode(assets) == "inline":
        html = _SCRIPT_TAG.sub(lambda m: f"<script>{_script_text(m.group(1))}</script>", html)
        html = _STYLE_TAG.sub(lambda m: f"<style>{_inline_css(m.group(1))}</style>", html)
    outside = outside_urls(html, allowed_hosts)
    if outside:
        msg = f"map page would fetch from outside hosts: {', '.join(sorted(set(outside))[:5])}"
        raise RuntimeError(msg)
    return html


def outside_urls(html: str, allowed_hosts: tuple[str, ...] = ()) -> list[str]:
    """Every URL the page would fetch from a host (absolute or protocol-relative) not in ``allowed_hosts``."""
    found = []
    for match in _FETCHED.finditer(html):
        url = next(g for g in match.groups() if g is not None).strip()
        if url.startswith("//") or re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE):
            host = urlsplit(url if not url.startswith("//") else "http:" + url).hostname or ""
            if host not in allowed_hosts:
                found.append(url)
    return found


def asset_files() -> list[str]:
    """The servable files, as paths relative to :data:`STATIC_DIR` (licences included)."""
    return sorted(
        p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*") if p.is_file() and p.name != "README.md"
    )


def _script_text(rel: str) -> str:
    text = (STATIC_DIR / rel).read_text(encoding="utf-8")
    if "</script" in text.lower():  # would end the inline block early
        msg = f"cannot inline {rel}: it contains '</script'"
        raise RuntimeError(msg)
    return text


def _inline_css(rel: str) -> str:
    """A stylesheet with its relative ``url(...)`` images replaced by ``data:`` URIs."""
    path = STATIC_DIR / rel

    def data_uri(match: re.Match[str]) -> str:
        target = (path.parent / match.group(2)).resolve()
        media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return f"url(data:{media};base64,{base64.b64encode(target.read_bytes()).decode('ascii')})"

    return _CSS_URL.sub(data_uri, path.read_text(encoding="utf-8"))
