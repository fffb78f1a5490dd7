// The console's own script (no inline scripts: the pages' CSP allows only files from the app).
// Live pages (the command post board) refresh through htmx; when the server cannot be reached the
// last state stays on screen and a banner says it is stale, with its age.
(function () {
  "use strict";
  function ageText(el, seconds) {
    var unit = seconds < 120 ? [seconds, el.dataset.sec] : [Math.round(seconds / 60), el.dataset.min];
    return el.dataset.staleText.replace("{age}", unit[0] + " " + unit[1]);
  }
  function tick() {
    document.querySelectorAll("[data-live]").forEach(function (box) {
      var banner = document.getElementById(box.dataset.banner);
      if (!banner) return;
      var last = Number(box.dataset.lastOk || Date.now());
      var failing = box.dataset.failing === "1";
      banner.hidden = !failing;
      if (failing) banner.textContent = ageText(banner, Math.round((Date.now() - last) / 1000));
    });
  }
  document.addEventListener("htmx:afterSwap", function (e) {
    var box = e.detail.target.closest("[data-live]");
    if (box) { box.dataset.lastOk = String(Date.now()); box.dataset.failing = "0"; tick(); }
  });
  function failed(e) {
    var box = e.detail.elt && e.detail.elt.closest ? e.detail.elt.closest("[data-live]") : null;
    if (box) { box.dataset.failing = "1"; tick(); }
  }
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:responseError", failed);
  // The board's map: outlines (no tiles: offline), stations labelled, units at their sites by state.
  var STATE_COLOURS = {expected: "#8a94a3", arrived: "#d08700", fed: "#1e6b35", departed: "#1f5fa8"};
  var map = null, unitsLayer = null;
  // Popups, tooltips and labels are built as text nodes, never as HTML: codes and names come from
  // scenarios and forms, and Leaflet would parse a string as markup.
  function text() {
    var span = document.createElement("span");
    span.textContent = Array.prototype.join.call(arguments, " · ");
    return span;
  }
  function lines(texts) {
    var span = document.createElement("span");
    texts.forEach(function (t, i) {
      if (i) span.appendChild(document.createElement("br"));
      span.appendChild(document.createTextNode(t));
    });
    return span;
  }
  // "left" for a point in the map's right half, else "right": the side where a label has room
  function side(lat, lon) {
    return map.latLngToContainerPoint([lat, lon]).x > map.getSize().x / 2 ? "left" : "right";
  }
  // whether a point is inside the map with room for its label's height (a label beside it, not over the edge)
  function inView(lat, lon) {
    var p = map.latLngToContainerPoint([lat, lon]), size = map.getSize();
    return p.x >= 12 && p.x <= size.x - 12 && p.y >= 14 && p.y <= size.y - 14;
  }
  function mapData() {
    var el = document.getElementById("board-map-data");
    return el ? JSON.parse(el.textContent) : null;
  }
  function drawUnits(data) {
    if (!map) return;
    if (unitsLayer) unitsLayer.remove();
    unitsLayer = L.layerGroup().addTo(map);
    var bySite = {};
    data.units.forEach(function (u) { (bySite[u.site] = bySite[u.site] || []).push(u); });
    Object.keys(bySite).forEach(function (site) {
      var group = bySite[site];
      group.forEach(function (u, i) {
        // units at one site side by side, so none hides another
        var at = map.containerPointToLatLng(map.latLngToContainerPoint([u.lat, u.lon]).add([i * 16, 0]));
        L.circleMarker(at, {radius: 8, color: "#fff", weight: 2, fillOpacity: 0.95,
          fillColor: STATE_COLOURS[u.state] || "#888", className: "jg-unit jg-unit-" + u.state})
          .bindPopup(text(u.code, u.state_label, u.site_name)).addTo(unitsLayer);
      });
      // one unit a line, on the side of the site with the more room, so no label runs off the map
      if (!inView(group[0].lat, group[0].lon)) return;
      var right = side(group[0].lat, group[0].lon) === "right";
      L.tooltip({permanent: true, direction: right ? "right" : "left",
        offset: [right ? group.length * 16 : -8, 0], className: "jg-label unit"})
        .setLatLng([group[0].lat, group[0].lon])
        .setContent(lines([site].concat(group.map(function (u) { return u.code + " " + u.state_label; }))))
        .addTo(unitsLayer);
    });
  }
  function drawMap() {
    var box = document.getElementById("board-map"), data = mapData();
    if (!box || !data || typeof L === "undefined") return;
    map = L.map(box, {zoomControl: true, attributionControl: false}).setView([23.13, 113.3], 9);
    if (data.districts) {
      L.geoJSON(data.districts, {style: {color: "#7c8a9a", weight: 1, fillColor: "#f4f1e8", fillOpacity: 1}}).addTo(map);
    } else {
      box.classList.add("no-base");
    }
    if (data.base_note) {  // no base map for this area: say how to add one
      var note = document.getElementById("board-map-note");
      if (note) { note.textContent = data.base_note; note.hidden = false; }
    }
    var bounds = [], markers = [];
    data.stations.forEach(function (s) {
      var marker = L.circleMarker([s.lat, s.lon], {radius: s.tier === "hub" ? 8 : (s.tier === "wing" ? 7 : 5),
        color: "#14324f", weight: 2, fillColor: s.used ? "#14324f" : "#fff", fillOpacity: 1,
        className: "jg-station"}).addTo(map);
      marker.bindPopup(text(s.code, s.name));
      markers.push([marker, s]);
      if (s.used) bounds.push([s.lat, s.lon]);
    });
    data.units.forEach(function (u) { bounds.push([u.lat, u.lon]); });
    if (bounds.length) map.fitBounds(bounds, {padding: [80, 80], maxZoom: 11, animate: false});
    function labelStations() {  // once the view is set, and again as it moves: on the side with room
      markers.forEach(function (m) {
        m[0].unbindTooltip();
        if (!inView(m[1].lat, m[1].lon)) return;  // a station at or past the map's edge: its label would be cut
        m[0].bindTooltip(text(m[1].code), {permanent: true, direction: side(m[1].lat, m[1].lon), className: "jg-label"});
      });
    }
    labelStations();
    map.on("moveend", function () { labelStations(); var d = mapData(); if (d) drawUnits(d); });
    drawUnits(data);
  }
  document.addEventListener("htmx:afterSwap", function () { var d = mapData(); if (d) drawUnits(d); });
  document.addEventListener("DOMContentLoaded", function () {
    var legend = document.getElementById("board-map-legend");
    if (legend) Object.keys(STATE_COLOURS).forEach(function (k) {
      var dot = legend.querySelector("[data-state=" + k + "]"); if (dot) dot.style.background = STATE_COLOURS[k];
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(function (b) { b.dataset.lastOk = String(Date.now()); });
    setInterval(tick, 1000);
  });
  window.addEventListener("load", drawMap);
})();
