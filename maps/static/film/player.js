/* jungong drill film player: plays a drill's timeline (embedded as JSON) over an SVG base map.
   Self-contained: no network, no libraries. The frame state mirrors maps/film/state.py. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("film-data").textContent);
  var L = D.labels;
  var cv = document.getElementById("film-canvas"), cx = cv.getContext("2d");
  var slider = document.getElementById("film-slider"), clockEl = document.getElementById("film-clock");
  var playBtn = document.getElementById("film-play"), speedSel = document.getElementById("film-speed");
  var routesBox = document.getElementById("film-routes"), routesLayer = document.getElementById("film-route-layer");
  var capEl = document.getElementById("film-captions"), chapEl = document.getElementById("film-chapter");
  var barEl = document.getElementById("film-bar"), nextEl = document.getElementById("film-next");
  var gaugeEl = document.getElementById("film-gauges"), unitsEl = document.getElementById("film-units");
  var t = 0, playing = false, last = null;

  function bisect(arr, x, key) { // number of entries with key <= x
    var lo = 0, hi = arr.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (key(arr[mid]) <= x) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function first(a) { return a[0]; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(m) {
    var total = Math.floor(m + 1e-9);
    if (D.clockBase) {
      var b = D.clockBase, d = new Date(Date.UTC(b[0], b[1] - 1, b[2], b[3], b[4]) + total * 60000);
      return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
        pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    }
    var day = Math.floor(total / 1440), rest = total - day * 1440;
    return "D" + (day + 1) + " " + pad(Math.floor(rest / 60)) + ":" + pad(rest % 60);
  }
  // moves: cumulative lengths for an even pace along each path
  D.moves.forEach(function (m) {
    var p = m[4], acc = [0];
    for (var i = 1; i < p.length; i++) acc.push(acc[i - 1] + Math.hypot(p[i][0] - p[i - 1][0], p[i][1] - p[i - 1][1]));
    m.push(acc);
  });
  var longest = D.moves.reduce(function (a, m) { return Math.max(a, m[1] - m[0]); }, 0);
  function position(m, at) {
    var p = m[4], acc = m[5], total = acc[acc.length - 1];
    if (p.length === 1 || m[1] <= m[0] || total <= 0) return p[at >= m[1] ? p.length - 1 : 0];
    var s = Math.min(1, Math.max(0, (at - m[0]) / (m[1] - m[0]))) * total;
    for (var i = 1; i < p.length; i++) {
      if (s <= acc[i] && acc[i] > acc[i - 1]) {
        var f = (s - acc[i - 1]) / (acc[i] - acc[i - 1]);
        return [p[i - 1][0] + (p[i][0] - p[i - 1][0]) * f, p[i - 1][1] + (p[i][1] - p[i - 1][1]) * f];
      }
    }
    return p[p.length - 1];
  }
  function state(at) {
    var units = [];
    Object.keys(D.unitEvents).forEach(function (s) {
      var ev = D.unitEvents[s], i = bisect(ev, at, first);
      if (!i) return;
      var e = ev[i - 1];
      if (e[1] === "leaves" || e[1] === "missed") return;
      units.push({ subject: s, kind: e[1], station: e[2], people: e[3] });
    });
    var movers = [];
    var hi = bisect(D.moves, at, first), lo = bisect(D.moves, at - longest - 1e-9, first);
    for (var k = Math.max(0, lo - 1); k < hi; k++) {
      var m = D.moves[k];
      if (m[0] <= at && at < m[1]) movers.push({ kind: m[2], subject: m[3], xy: position(m, at) });
    }
    var caps = [], ci = bisect(D.captions, at, first);
    for (var j = ci - 1; j >= 0 && caps.length < 4; j--) {
      if (D.captions[j][0] < at - D.captionHold) break;
      caps.push(D.captions[j]);
    }
    var coming = ci < D.captions.length ? D.captions[ci] : null;
    var chap = null;
    for (var c = D.chapters.length - 1; c >= 0; c--) {
      var ch = D.chapters[c];
      if (ch[0] <= at && at < ch[0] + D.chapterHold) { chap = ch[1]; break; }
    }
    var dis = D.disruptions.filter(function (d) { return d[0] <= at && (d[1] === null || at < d[1]); });
    return { units: units, movers: movers, captions: caps, chapter: chap, disruptions: dis, coming: coming };
  }
  function stockShare(station, item, at) {
    var s = D.stock[station] && D.stock[station][item];
    if (!s) return null;
    var i = bisect(s, at, first);
    return i ? s[i - 1][1] : 1;
  }

  // the gauges: one row per station, one bar per item
  var gaugeBars = {};
  D.stations.forEach(function (st) {
    var row = document.createElement("div"); row.className = "g-row";
    var name = document.createElement("div"); name.className = "g-name"; name.textContent = st[0]; row.appendChild(name);
    D.items.forEach(function (it) {
      if (stockShare(st[0], it[0], 0) === null) return;
      var g = document.createElement("div"); g.className = "g-bar"; g.title = it[1];
      var fill = document.createElement("div"); fill.className = "g-fill"; g.appendChild(fill);
      var lab = document.createElement("span"); lab.className = "g-lab"; lab.textContent = it[1]; g.appendChild(lab);
      row.appendChild(g); gaugeBars[st[0] + "|" + it[0]] = [fill, lab, it[1]];
    });
    gaugeEl.appendChild(row);
  });

  function draw() {
    var s = state(t);
    clockEl.textContent = clock(t);
    slider.value = String(Math.round(t));
    cx.clearRect(0, 0, cv.width, cv.height);
    s.disruptions.forEach(function (d) {
      cx.strokeStyle = D.colours.closed; cx.lineWidth = 5; cx.setLineDash([8, 5]);
      d[4].forEach(function (g) { cx.beginPath(); cx.moveTo(g[0], g[1]); cx.lineTo(g[2], g[3]); cx.stroke(); });
      cx.setLineDash([]);
      if (d[4].length) {
        var g0 = d[4][0], mx = (g0[0] + g0[2]) / 2, my = (g0[1] + g0[3]) / 2;
        cx.fillStyle = D.colours.closed; cx.font = "bold 13px sans-serif";
        cx.fillText("✕ " + d[3] + " " + L.closed, mx + 8, my - 8);
      }
      if (d[5]) {
        cx.strokeStyle = D.colours.closed; cx.lineWidth = 3; cx.beginPath(); cx.arc(d[5][0], d[5][1], 16, 0, 7); cx.stroke();
        if (d[6]) { cx.fillStyle = D.colours.closed; cx.font = "bold 13px sans-serif"; cx.fillText(d[6], d[5][0] - 20, d[5][1] + 32); }
      }
    });
    var byStation = {};
    s.units.forEach(function (u) { (byStation[u.station] = byStation[u.station] || []).push(u); });
    Object.keys(byStation).forEach(function (code) {
      var p = D.xy[code]; if (!p) return;
      byStation[code].forEach(function (u, i) {
        var y = p[1] - 14 - i * 17;
        cx.fillStyle = D.colours.status[u.kind] || "#444";
        cx.fillRect(p[0] + 10, y - 12, 78, 15);
        cx.fillStyle = "#fff"; cx.font = "bold 11px sans-serif"; cx.fillText(u.subject + " " + u.people, p[0] + 13, y);
      });
    });
    s.movers.forEach(function (m) {
      var c = D.colours.movers[m.kind] || "#333";
      cx.fillStyle = c; cx.strokeStyle = "#fff"; cx.lineWidth = 1.5;
      cx.beginPath(); cx.arc(m.xy[0], m.xy[1], m.kind === "unit" ? 7 : 5, 0, 7); cx.fill(); cx.stroke();
      if (m.kind === "unit") { cx.fillStyle = "#222"; cx.font = "bold 11px sans-serif"; cx.fillText(m.subject, m.xy[0] + 9, m.xy[1] + 4); }
    });
    capEl.innerHTML = "";
    s.captions.forEach(function (c, i) {
      var li = document.createElement("li"); li.textContent = clock(c[0]) + "  " + c[1];
      if (i === 0) li.className = "cap-new";
      capEl.appendChild(li);
    });
    barEl.textContent = s.captions.length ? s.captions[0][1] : "";
    nextEl.textContent = s.coming ? L.next + ": " + clock(s.coming[0]) + "  " + s.coming[1] : "";
    chapEl.textContent = s.chapter || ""; chapEl.style.display = s.chapter ? "block" : "none";
    Object.keys(gaugeBars).forEach(function (key) {
      var parts = key.split("|"), share = stockShare(parts[0], parts[1], t);
      var w = Math.max(0, Math.min(1, share)) * 100, bar = gaugeBars[key];
      bar[0].style.width = w.toFixed(1) + "%";
      bar[0].style.background = share < 0.25 ? "#d50000" : share < 0.5 ? "#f9a825" : "#2e7d32";
      bar[1].textContent = bar[2] + " " + Math.round(share * 100) + "%";
    });
    unitsEl.textContent = s.units.length ? s.units.map(function (u) { return u.subject + "@" + u.station; }).join("  ") : L.none;
  }
  function tick(now) {
    if (!playing) { last = null; return; }
    if (last !== null) {
      t += (now - last) / 1000 * Number(speedSel.value) / 60;
      if (t >= D.horizon) { t = D.horizon; playing = false; playBtn.textContent = L.play; }
    }
    last = now;
    draw();
    if (playing) requestAnimationFrame(tick);
  }
  playBtn.addEventListener("click", function () {
    playing = !playing;
    if (playing && t >= D.horizon) t = 0;
    playBtn.textContent = playing ? L.pause : L.play;
    if (playing) requestAnimationFrame(tick);
  });
  slider.addEventListener("input", function () { t = Number(slider.value); draw(); });
  routesBox.addEventListener("change", function () { routesLayer.style.display = routesBox.checked ? "" : "none"; });
  window.jungongFilm = { seek: function (m) { t = m; draw(); }, state: state, clock: clock };
  draw();
})();
