#!/usr/bin/env bash
# Re-fetch the vendored map assets in maps/static/ from the npm registry (run by hand, never at run time).
# Only what the maps use is kept: Leaflet (map, popups, layer control, scale bar) and jQuery
# (folium's Popup template calls $(...)). folium's other defaults (bootstrap, Font Awesome,
# Leaflet.awesome-markers, glyphicons) are not needed: station symbols are inline SVG.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent leaflet@1.9.3 jquery@3.7.1 >/dev/null && for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done)
mkdir -p maps/static/leaflet/images maps/static/jquery
cp "$tmp"/leaflet-1.9.3/package/dist/{leaflet.js,leaflet.css} maps/static/leaflet/
cp "$tmp"/leaflet-1.9.3/package/dist/images/*.png maps/static/leaflet/images/
cp "$tmp"/leaflet-1.9.3/package/LICENSE maps/static/leaflet/LICENSE
cp "$tmp"/jquery-3.7.1/package/dist/jquery.min.js maps/static/jquery/
cp "$tmp"/jquery-3.7.1/package/LICENSE.txt maps/static/jquery/LICENSE.txt
sha256sum "$tmp"/*.tgz
