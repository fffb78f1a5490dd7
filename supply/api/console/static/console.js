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
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(function (b) { b.dataset.lastOk = String(Date.now()); });
    setInterval(tick, 1000);
  });
})();
