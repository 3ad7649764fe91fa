// Typed attachments of the application page: each chosen file uploads at once to the draft, with a
// progress bar. Without this script the files go with the form's "Save draft" instead.
(function () {
  "use strict";
  var script = document.currentScript;
  var text = script ? script.dataset : {};
  var form = document.getElementById("apply-form");
  if (!form) { return; }
  var token = form.querySelector("input[name=csrf_token]").value;

  function show(box, role, html, hidden) {
    var el = box.querySelector("[data-role=" + role + "]");
    if (!el) { return; }
    if (html !== null) { el.textContent = html; }
    el.hidden = hidden;
  }

  function upload(input) {
    var file = input.files && input.files[0];
    if (!file) { return; }
    var box = input.closest(".doc-kind");
    var progress = box.querySelector("[data-role=progress]");
    show(box, "error", "", true);
    box.classList.remove("has-error");
    if (file.size > Number(input.dataset.max)) {
      // The server would refuse it too (413); saying it here saves sending it.
      show(box, "error", text.tooLarge, false);
      box.classList.add("has-error");
      input.value = "";
      return;
    }
    var data = new FormData();
    data.append("csrf_token", token);
    data.append("kind", input.dataset.kind);
    data.append("file", file);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", input.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.setRequestHeader("Accept", "application/json");
    progress.value = 0;
    progress.hidden = false;
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        progress.value = Math.round((event.loaded / event.total) * 100);
        show(box, "state", (text.uploading || "").replace("{pct}", progress.value), false);
      }
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      input.value = "";
      if (xhr.status === 201 && body) {
        progress.value = 100;
        box.classList.add("has-file");
        var state = box.querySelector("[data-role=state]");
        state.textContent = "";
        var badge = document.createElement("span");
        badge.className = "badge sla-on_time";
        badge.textContent = text.uploaded;
        var name = document.createElement("span");
        name.className = "doc-name";
        name.textContent = " " + body.filename;
        state.appendChild(badge);
        state.appendChild(name);
      } else {
        progress.hidden = true;
        box.classList.add("has-error");
        show(box, "error", body && body.message ? body.message : (xhr.status === 413 ? text.tooLarge : text.failed), false);
      }
    });
    xhr.addEventListener("error", function () {
      progress.hidden = true;
      input.value = "";
      show(box, "error", text.failed, false);
    });
    xhr.send(data);
  }

  form.querySelectorAll("input[type=file][data-upload-url]").forEach(function (input) {
    input.addEventListener("change", function () { upload(input); });
  });
})();
