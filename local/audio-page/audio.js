// The audio lab's page (local lab only): uploads a text under text/ through POST /local/audio/texts, and lists
// the bucket's MP3s (GET /local/audio/mp3s) with a player each and the texts that could not be spoken, with why,
// refreshed every two seconds. A text the speech function would refuse is refused at upload, with the reason.
(function () {
  "use strict";
  var el = function (id) { return document.getElementById(id); };
  var shown = {};

  function setStatus(text) { el("status").textContent = text; }

  // Texts the speech function could not speak, with its reason (the lab's speech.failed log line).
  function renderFailed(failed) {
    var ul = el("failed");
    ul.textContent = "";
    (failed || []).forEach(function (f) {
      var li = document.createElement("li");
      li.setAttribute("data-failed", f.key);
      li.textContent = f.key + " was not spoken: it " + f.reason;
      ul.appendChild(li);
    });
    ul.hidden = !failed || failed.length === 0;
  }

  function render(list) {
    el("bucket").textContent = list.bucket;
    renderFailed(list.failed);
    el("empty").hidden = list.files.length > 0;
    var ul = el("mp3s");
    list.files.forEach(function (file) {
      var key = file.key + "@" + file.lastModified;
      if (shown[key]) return;
      shown[key] = true;
      var stale = ul.querySelector('li[data-key="' + CSS.escape(file.key) + '"]');
      if (stale) stale.remove();
      var li = document.createElement("li");
      li.setAttribute("data-key", file.key);
      var link = document.createElement("a");
      link.href = file.url;
      link.textContent = file.key;
      var audio = document.createElement("audio");
      audio.controls = true;
      audio.preload = "metadata";
      audio.src = file.url;
      var size = document.createElement("span");
      size.className = "empty";
      size.textContent = Math.round(file.size / 1024) + " KB";
      li.appendChild(link);
      li.appendChild(audio);
      li.appendChild(size);
      ul.insertBefore(li, ul.firstChild);
    });
  }

  function refresh() {
    return fetch("local/audio/mp3s", { cache: "no-store" })
      .then(function (res) { return res.json(); })
      .then(render)
      .catch(function (error) { setStatus("Could not list the MP3s: " + error.message); });
  }

  el("speak").addEventListener("submit", function (event) {
    event.preventDefault();
    var name = el("name").value.trim();
    setStatus("Uploading text/" + name + ".txt …");
    fetch("local/audio/texts", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: name, text: el("text").value }),
    })
      .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
      .then(function (r) {
        if (!r.ok) return setStatus(r.body.message);
        setStatus("Uploaded " + r.body.key + ": its MP3 appears below when it is spoken (long texts take a while).");
        refresh();
      })
      .catch(function (error) { setStatus("Upload failed: " + error.message); });
  });

  refresh();
  setInterval(refresh, 2000);
})();
