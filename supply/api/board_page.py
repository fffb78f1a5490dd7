"""The command post's live board page: one self-contained HTML file (inline script, no fetched assets).

It asks for a bearer token once (kept in the browser's ``localStorage``), fetches
``/drills/{id}/board`` every :data:`REFRESH_SECONDS` and redraws. When the server cannot be
reached it keeps showing the last board it got (also kept in ``localStorage``, so a reload
offline still shows it) and says since when it has been offline.
"""

from __future__ import annotations

REFRESH_SECONDS = 15

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drill __ID__ — command post board</title>
<style>
body{font-family:system-ui,sans-serif;margin:1em;color:#222}h1{font-size:1.3em}h2{font-size:1.05em;margin:1em 0 .3em}
table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:2px 6px;text-align:left;font-size:.9em}
th{background:#eee}.bad{color:#b00;font-weight:bold}#state{padding:.3em .6em;display:inline-block}
.offline{background:#fdd}.online{background:#dfd}
</style></head><body>
<h1>Drill __ID__ <span id="name"></span> — EXERCISE</h1>
<div id="state">loading…</div>
<form id="login" style="display:none">Token: <input id="token" type="password" size="50">
<button>Use</button></form>
<div id="board"></div>
<script>
"use strict";
const ID = __ID__, REFRESH = __REFRESH__ * 1000, KEY = "jungong-board-" + ID;
const ENT = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
const esc = (s) => String(s ?? "—").replace(/[&<>"']/g, (c) => ENT[c]);
const t = (s) => s ? esc(s.slice(11, 16)) : "—";
function table(head, rows) {
  return "<table><tr>" + head.map((h) => "<th>" + esc(h) + "</th>").join("") + "</tr>" +
    rows.map((r) => "<tr>" + r.join("") + "</tr>").join("") + "</table>";
}
const td = (v, bad) => "<td" + (bad ? " class='bad'" : "") + ">" + v + "</td>";
function render(b) {
  document.getElementById("name").textContent = b.drill.name + " (" + b.drill.status + ")";
  const units = table(["unit", "station", "arrive plan/actual", "fed plan/actual", "depart plan/actual", "dispatches"],
    b.units.map((u) => [td(esc(u.code)), td(esc(u.station)), td(t(u.planned.arrive) + " / " + t(u.actual.arrived)),
      td(t(u.planned.fed) + " / " + t(u.actual.served)), td(t(u.planned.depart) + " / " + t(u.actual.departed)),
      td(u.dispatches.map((d) => esc(d.id + " " + d.status)).join(", "))]));
  const orders = table(["order", "to", "text", "status", "ack by", "due"],
    b.orders.map((o) => [td(esc(o.id)), td(esc(o.station || o.team)), td(esc(o.text)), td(esc(o.status)),
      td(t(o.ack_by) + (o.overdue_ack ? " OVERDUE" : ""), o.overdue_ack), td(t(o.due_at), o.late)]));
  const teams = table(["team", "station", "kind", "status", "since"],
    b.teams.map((x) => [td(esc(x.code)), td(esc(x.station)), td(esc(x.kind)), td(esc(x.status)), td(t(x.since))]));
  const stock = table(["station", "item", "on hand", "planned draw so far", "drawn"],
    Object.entries(b.stock).flatMap(([st, items]) => Object.entries(items).map(([k, v]) =>
      [td(esc(st)), td(esc(k)), td(esc(v.on_hand)), td(esc(v.planned_draw_to_now)), td(esc(v.drawn))])));
  const steps = table(["step", "target, min", "actual, min"],
    b.procedure.map((s) => [td(esc(s.step)), td(esc(s.target_minutes)), td(esc(s.actual_minutes), s.over_target)]));
  document.getElementById("board").innerHTML = "<h2>Units</h2>" + units + "<h2>Open orders</h2>" + orders +
    "<h2>Teams</h2>" + teams + "<h2>Stock against the plan</h2>" + stock + "<h2>Procedure</h2>" + steps;
}
function state(text, ok) {
  const el = document.getElementById("state");
  el.textContent = text; el.className = ok ? "online" : "offline";
}
let offlineSince = null;
async function refresh() {
  const token = localStorage.getItem("jungong-token");
  if (!token) { document.getElementById("login").style.display = "block"; return; }
  try {
    const r = await fetch("board", {headers: {"Authorization": "Bearer " + token}, cache: "no-store"});
    if (r.status === 401) { localStorage.removeItem("jungong-token"); state("token refused", false); return refresh(); }
    if (!r.ok) throw new Error("HTTP " + r.status);
    const b = await r.json();
    localStorage.setItem(KEY, JSON.stringify(b));
    offlineSince = null;
    render(b);
    state("live — updated " + new Date().toLocaleTimeString(), true);
  } catch (e) {
    offlineSince = offlineSince || new Date();
    const last = localStorage.getItem(KEY);
    if (last) render(JSON.parse(last));
    state("OFFLINE since " + offlineSince.toLocaleTimeString() + " — showing the last board received", false);
  }
}
document.getElementById("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  localStorage.setItem("jungong-token", document.getElementById("token").value.trim());
  document.getElementById("login").style.display = "none";
  refresh();
});
refresh();
setInterval(refresh, REFRESH);
</script></body></html>
"""


def board_page(drill_id: int) -> str:
    """The page for one drill (it fetches ``board`` relative to its own address)."""
    return _PAGE.replace("__ID__", str(int(drill_id))).replace("__REFRESH__", str(REFRESH_SECONDS))
