/* Phone simulator: pick a number; the thread refreshes itself (its poll path contains /poll/, so a
   simulator left open does not keep the session alive). */
(function () {
  "use strict";
  var pick = document.getElementById("sim-phone");
  if (pick) {
    pick.addEventListener("change", function () {
      if (pick.value) { window.location.href = pick.dataset.base + pick.value + "/"; }
    });
  }
  var view = document.getElementById("sim-phone-view");
  if (!view) { return; }
  var thread = document.getElementById("sim-thread");
  var body = document.getElementById("sim-body");
  function toBottom() { thread.scrollTop = thread.scrollHeight; }
  toBottom();
  if (body) { body.focus(); }
  function poll() {
    fetch(view.dataset.pollUrl, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (r) {
        if (r.redirected || (r.headers.get("content-type") || "").indexOf("application/json") === -1) {
          window.location.reload();
          return null;
        }
        return r.json();
      })
      .then(function (data) {
        if (data && thread.innerHTML !== data.html) { thread.innerHTML = data.html; toBottom(); }
      })
      .catch(function () {})
      .finally(function () { window.setTimeout(poll, Number(view.dataset.pollMs) || 2000); });
  }
  window.setTimeout(poll, Number(view.dataset.pollMs) || 2000);
})();
