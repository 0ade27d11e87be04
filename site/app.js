// The employee directory page: loads GET {apiUrl}/users, shows the count and a table, searches with ?q=.
// config.js (generated at deploy time, or by `npm start`) sets window.LAB_CONFIG = { apiUrl, audioPage? }.
(function () {
  "use strict";
  var config = window.LAB_CONFIG || {};
  var el = function (id) { return document.getElementById(id); };
  var tbody = el("users").querySelector("tbody");
  var state = { query: "", cursor: undefined, request: 0 };
  // The local lab (npm start) also serves the audio lab's page; config.js says where.
  if (config.audioPage) {
    el("audio-link").href = config.audioPage;
    el("audio-link").hidden = false;
  }

  function show(id, visible) { el(id).hidden = !visible; }

  function avatar(user) {
    var first = (user.name && user.name.first) || "?";
    var last = (user.name && user.name.last) || "";
    var span = document.createElement("span");
    span.className = "avatar";
    span.textContent = (first.charAt(0) + last.charAt(0)).toUpperCase();
    var hash = 0;
    for (var i = 0; i < first.length + last.length; i++) hash = (hash * 31 + (first + last).charCodeAt(i)) % 360;
    span.style.background = "hsl(" + hash + ", 55%, 42%)";
    return span;
  }

  function cell(row, label, text) {
    var td = document.createElement("td");
    if (label) td.setAttribute("data-label", label);
    td.textContent = text == null ? "" : String(text);
    row.appendChild(td);
  }

  function addRows(users) {
    var fragment = document.createDocumentFragment();
    users.forEach(function (user) {
      var tr = document.createElement("tr");
      var pic = document.createElement("td");
      pic.appendChild(avatar(user));
      tr.appendChild(pic);
      cell(tr, "", user.name && user.name.first);
      cell(tr, "", user.name && user.name.last);
      cell(tr, "Age", user.dob && user.dob.age);
      cell(tr, "Country", user.location && user.location.country);
      cell(tr, "State", user.location && user.location.state);
      cell(tr, "Department", user.department);
      fragment.appendChild(tr);
    });
    tbody.appendChild(fragment);
  }

  function showWarnings(warnings) {
    var list = el("warnings");
    list.textContent = "";
    (warnings || []).forEach(function (w) {
      var li = document.createElement("li");
      li.textContent = "Skipped " + w.key + ": " + w.reason;
      list.appendChild(li);
    });
    show("warnings", list.children.length > 0);
  }

  function load(append) {
    var request = ++state.request;
    if (!config.apiUrl) return fail("config.js does not set the API URL (window.LAB_CONFIG.apiUrl).");
    var url = config.apiUrl.replace(/\/$/, "") + "/users";
    var params = [];
    if (state.query) params.push("q=" + encodeURIComponent(state.query));
    if (append && state.cursor) params.push("cursor=" + encodeURIComponent(state.cursor));
    if (params.length) url += "?" + params.join("&");
    show("loading", true);
    show("error", false);
    if (!append) el("count").textContent = "\u00a0";
    return fetch(url, { headers: { accept: "application/json" } })
      .then(function (res) {
        return res.text().then(function (text) {
          var body;
          try { body = JSON.parse(text); } catch (e) { body = undefined; }
          if (!res.ok) throw new Error((body && body.message) || "The API answered HTTP " + res.status);
          if (!body || !Array.isArray(body.users)) throw new Error("The API answered something that is not a user list");
          return body;
        });
      })
      .then(function (body) {
        if (request !== state.request) return; // a newer search superseded this one
        if (!append) tbody.textContent = "";
        addRows(body.users);
        state.cursor = body.nextCursor;
        el("count").textContent = Number(body.total).toLocaleString("en-US") + (body.total === 1 ? " employee" : " employees");
        show("users", tbody.children.length > 0);
        show("empty", body.total === 0);
        show("more", Boolean(body.nextCursor));
        showWarnings(body.warnings);
        show("loading", false);
      })
      .catch(function (error) {
        if (request === state.request) fail(error.message || String(error));
      });
  }

  function fail(message) {
    show("loading", false);
    show("users", false);
    show("more", false);
    el("count").textContent = "\u00a0";
    el("error-message").textContent = "Could not load the directory: " + message;
    show("error", true);
  }

  var timer;
  el("search").addEventListener("input", function (event) {
    clearTimeout(timer);
    timer = setTimeout(function () {
      state.query = event.target.value.trim();
      state.cursor = undefined;
      load(false);
    }, 250);
  });
  el("retry").addEventListener("click", function () { load(false); });
  el("more").addEventListener("click", function () { load(true); });
  load(false);
})();
