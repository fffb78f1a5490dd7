"""The offline guarantee, checked on the HTML: vendored assets, per-map CDN replacement, the guard."""

from __future__ import annotations

import re

import folium
import pytest

from maps import coverage_map
from maps.assets import STATIC_DIR, asset_files, offline_html, outside_urls
from supply.core.coverage import coverage
from supply.core.errors import InvalidArgumentError
from supply.core.network import build_network
from supply.core.scenario import load_scenario


@pytest.fixture(scope="module")
def gz():
    net = build_network(load_scenario(None))
    return net, coverage(net, (30, 60, 120))


def test_outside_urls_finds_every_kind_of_fetch():
    html = """
    <script src="https://cdn.example.org/a.js"></script><link rel="stylesheet" href="//cdn.example.org/b.css"/>
    <img src="http://img.example.org/c.png"><style>.x{background:url('https://f.example.org/d.woff2')}</style>
    <script src="/maps/assets/leaflet/leaflet.js"></script><a href="https://leafletjs.com">Leaflet</a>
    <style>.y{background:url(data:image/png;base64,AAAA)}</style>
    """
    found = outside_urls(html)
    assert found == [
        "https://cdn.example.org/a.js",
        "//cdn.example.org/b.css",
        "http://img.example.org/c.png",
        "https://f.example.org/d.woff2",
    ]
    assert outside_urls('<img src="http://tiles.lan/1/2/3.png">', ("tiles.lan",)) == []


def test_guard_refuses_a_page_with_a_cdn_link():
    with pytest.raises(RuntimeError, match="cdn.jsdelivr.net"):
        offline_html(folium.Map(tiles=None).get_root().render(), "served")


def test_replacement_is_per_map_not_module_wide(gz):
    before = list(folium.Map.default_js)
    html = coverage_map(*gz)
    assert folium.Map.default_js == before
    assert any("cdn.jsdelivr.net" in url for _, url in folium.Map().default_js)
    assert outside_urls(html) == []


def test_inline_page_is_self_contained(gz):
    html = coverage_map(*gz, assets="inline")
    assert outside_urls(html) == []
    assert "Leaflet 1.9.3" in html and "jQuery v3.7.1" in html
    assert "/maps/assets/" not in html and "jungong-asset:" not in html
    assert not re.search(r"""<(script|link)[^>]+(src|href)=""", html), "no external script or stylesheet at all"
    assert "url(data:image/png;base64," in html  # Leaflet's layer-control icon inlined


def test_served_page_links_only_package_assets(gz):
    html = coverage_map(*gz, assets="served")
    links = re.findall(r"""(?:src|href)="(/maps/assets/[^"]+)""", html)
    assert sorted(links) == [
        "/maps/assets/jquery/jquery.min.js",
        "/maps/assets/leaflet/leaflet.css",
        "/maps/assets/leaflet/leaflet.js",
    ]
    assert {link.removeprefix("/maps/assets/") for link in links} <= set(asset_files())
    assert outside_urls(html) == []


def test_tiles_host_is_the_only_outside_host_allowed(gz):
    html = coverage_map(*gz, tiles="http://tiles.lan/osm/{z}/{x}/{y}.png")
    assert "http://tiles.lan/osm/{z}/{x}/{y}.png" in html
    assert outside_urls(html, ("tiles.lan",)) == []


@pytest.mark.parametrize("tiles", ["foo", "http://tiles.lan/osm.png", "ftp://x/{z}/{x}/{y}"])
def test_bad_tiles_rejected(gz, tiles):
    with pytest.raises(InvalidArgumentError, match="--tiles"):
        coverage_map(*gz, tiles=tiles)


def test_bad_asset_mode_rejected(gz):
    with pytest.raises(InvalidArgumentError, match="--assets: 'cdn'"):
        coverage_map(*gz, assets="cdn")


def test_vendored_files_and_licences_are_there():
    files = set(asset_files())
    assert {
        "leaflet/leaflet.js",
        "leaflet/leaflet.css",
        "leaflet/LICENSE",
        "jquery/jquery.min.js",
        "jquery/LICENSE.txt",
    } <= files
    assert "README.md" not in files
    total = sum((STATIC_DIR / f).stat().st_size for f in files)
    assert total < 400_000
