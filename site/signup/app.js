// The sign-up page: POST {apiUrl}/signup with { name, email }, show the id from the x-signup-id header of the 202,
// then poll GET {apiUrl}/signup/{id} until the state leaves "queued" (stored, duplicate, or rejected with a reason).
// config.js (generated at deploy time, or by `npm start`) sets window.LAB_CONFIG = { apiUrl }.
(function () {
  "use strict";
  var config = window.LAB_CONFIG || {};
  var apiUrl = String(config.apiUrl || "").replace(/\/+$/, "");
  var el = function (id) { return document.getElementById(id); };
  var form = el("signup");
  var POLL_MS = 500;
  var GIVE_UP_MS = 120000;
  var LABELS = {
    queued: "queued: waiting for the consumer",
    stored: "stored: welcome aboard",
    duplicate: "duplicate: this email has already signed up",
    rejected: "rejected",
    error: "error"
  };

  function show(state, reason, id) {
    var box = el("status");
    box.hidden = false;
    box.setAttribute("data-state", state);
    if (id !== undefined) el("signup-id").textContent = id;
    el("state").textContent = LABELS[state] || state;
    el("reason").textContent = reason ? "(" + reason + ")" : "";
  }

  function poll(id, started) {
    fetch(apiUrl + "/signup/" + encodeURIComponent(id), { cache: "no-store" })
      .then(function (res) {
        if (!res.ok) throw new Error("GET /signup/" + id + " answered " + res.status);
        return res.json();
      })
      .then(function (status) {
        show(status.state, status.reason);
        if (status.state === "queued") {
          if (Date.now() - started > GIVE_UP_MS) return show("queued", "still queued after " + GIVE_UP_MS / 1000 + " s: the consumer may be failing (see its logs)");
          setTimeout(function () { poll(id, started); }, POLL_MS);
        } else {
          el("submit").disabled = false;
        }
      })
      .catch(function (error) {
        show("error", error.message);
        el("submit").disabled = false;
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    el("submit").disabled = true;
    var body = JSON.stringify({ name: el("name").value, email: el("email").value });
    fetch(apiUrl + "/signup", { method: "POST", headers: { "content-type": "application/json" }, body: body })
      .then(function (res) {
        var id = res.headers.get("x-signup-id");
        if (res.status !== 202 || !id) throw new Error("POST /signup answered " + res.status + (res.status === 429 ? ": too many sign-ups right now, try again in a moment" : ""));
        show("queued", "", id);
        poll(id, Date.now());
      })
      .catch(function (error) {
        show("error", error.message, "");
        el("submit").disabled = false;
      });
  });
})();
