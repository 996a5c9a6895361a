/* Live board: hold countdowns tick every second; the board's sections refresh from board/poll/
   without a full reload. The poll path contains /poll/, so it never extends an idle session: when
   the session times out, the poll is redirected to the login page and the board reloads to it. */
(function () {
  "use strict";
  var clockRoot = document.querySelector("[data-now-ms]");
  if (!clockRoot) { return; }
  var offset = Number(clockRoot.dataset.nowMs) - Date.now();  // server clock minus ours

  function fmt(ms) {
    if (ms <= 0) { return "ending…"; }
    var s = Math.ceil(ms / 1000);
    var m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0") + " left";
  }

  function tick() {
    var nowMs = Date.now() + offset;
    document.querySelectorAll("[data-expires-ms]").forEach(function (el) {
      var left = Number(el.dataset.expiresMs) - nowMs;
      el.textContent = fmt(left);
      el.classList.toggle("cb-soon", left > 0 && left < 60000);
      el.classList.toggle("cb-ended", left <= 0);
    });
  }

  tick();
  window.setInterval(tick, 1000);

  var board = document.getElementById("live-board");
  if (!board) { return; }
  var interval = Number(board.dataset.pollMs) || 4000;
  var status = document.getElementById("cb-live-status");
  var updated = document.getElementById("cb-updated");

  function poll() {
    fetch(board.dataset.pollUrl, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (r) {
        var type = r.headers.get("content-type") || "";
        if (r.redirected || r.status === 401 || r.status === 403 || type.indexOf("application/json") === -1) {
          window.location.reload();  // logged out (idle timeout) or lost permission
          return null;
        }
        return r.json();
      })
      .then(function (data) {
        if (!data) { return; }
        offset = data.now_ms - Date.now();
        Object.keys(data.sections).forEach(function (name) {
          var el = board.querySelector('[data-section="' + name + '"]');
          if (el && el.innerHTML !== data.sections[name]) { el.innerHTML = data.sections[name]; }
        });
        board.dataset.polls = String((Number(board.dataset.polls) || 0) + 1);
        if (status) { status.textContent = "live"; status.className = ""; }
        if (updated) { updated.textContent = new Date().toLocaleTimeString(); }
        tick();
      })
      .catch(function () {
        if (status) { status.textContent = "offline, retrying"; status.className = "cb-bad-text"; }
      })
      .finally(function () { window.setTimeout(poll, interval); });
  }

  window.setTimeout(poll, interval);
})();
