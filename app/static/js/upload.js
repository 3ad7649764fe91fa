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
    var state = box.querySelector("[data-role=state]");
    // What the slot said before (its file, or "missing"): a refused upload changes nothing on the
    // server, so the slot says it again, and the reason takes the progress bar's place.
    var before = Array.prototype.slice.call(state.childNodes).map(function (node) { return node.cloneNode(true); });
    function refuse(message) {
      progress.hidden = true;
      progress.value = 0;
      state.textContent = "";
      before.forEach(function (node) { state.appendChild(node.cloneNode(true)); });
      box.classList.add("has-error");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", box.querySelector("[data-role=error]").id);
      show(box, "error", message, false);
    }
    show(box, "error", "", true);
    input.removeAttribute("aria-invalid");
    box.classList.remove("has-error");
    if (file.size > Number(input.dataset.max)) {
      // The server would refuse it too (413); saying it here saves sending it.
      input.value = "";
      refuse(text.tooLarge);
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
        progress.hidden = true;
        box.classList.add("has-file");
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
        refuse(body && body.message ? body.message : (xhr.status === 413 ? text.tooLarge : text.failed));
      }
    });
    xhr.addEventListener("error", function () {
      input.value = "";
      refuse(text.failed);
    });
    xhr.send(data);
  }

  form.querySelectorAll("input[type=file][data-upload-url]").forEach(function (input) {
    input.addEventListener("change", function () { upload(input); });
  });
})();
