/* The process viewer: the version's diagram with, on each user task, how many of its cases wait
   there and how many of those are overdue. The numbers link to the cases and refresh every 30 s. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("diagram-data").textContent);
  var notice = document.getElementById("diagram-notice");
  var stamp = document.getElementById("counts-at");
  var viewer = new window.BpmnJS({ container: "#diagram" });
  var shown = [];

  function say(title, lines) {
    notice.hidden = false;
    notice.textContent = "";
    var p = document.createElement("p");
    p.textContent = title;
    notice.appendChild(p);
    var ul = document.createElement("ul");
    lines.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      ul.appendChild(li);
    });
    notice.appendChild(ul);
  }

  function badge(kind, count, href, label) {
    var a = document.createElement("a");
    a.className = "count-badge count-" + kind;
    a.href = href;
    a.textContent = String(count);
    a.title = count + " " + label;
    a.setAttribute("aria-label", count + " " + label);
    a.dataset.kind = kind;
    return a;
  }

  function showCounts(counts) {
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    shown.forEach(function (id) { overlays.remove(id); });
    shown = [];
    Object.keys(counts).forEach(function (bpmnId) {
      var element = registry.get(bpmnId);
      var c = counts[bpmnId];
      if (!element || !c.waiting) { return; }
      var base = data.tasksUrl.replace("__ID__", encodeURIComponent(bpmnId));
      var box = document.createElement("div");
      box.className = "task-counts";
      box.dataset.element = bpmnId;
      box.appendChild(badge("waiting", c.waiting, base, data.labels.waiting));
      if (c.overdue) { box.appendChild(badge("overdue", c.overdue, base + "?overdue=1", data.labels.overdue)); }
      shown.push(overlays.add(bpmnId, "task-counts", { position: { top: -12, right: 12 }, html: box }));
    });
  }

  function refresh() {
    fetch(data.countsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        showCounts(body.counts);
        stamp.textContent = data.labels.updated + " " + new Date().toLocaleTimeString();
      })
      .catch(function () { /* keep the last numbers; the next refresh tries again */ });
  }

  viewer.importXML(data.xml).then(function (result) {
    var canvas = viewer.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    if (canvas.zoom() < 0.5) {
      // A phone: a fitted diagram is too small to read; start at a readable size on the first
      // task with cases (the diagram can be dragged and pinched).
      canvas.zoom(0.6);
      var first = Object.keys(data.counts).filter(function (id) { return data.counts[id].waiting; })[0];
      var element = first && viewer.get("elementRegistry").get(first);
      if (element) { canvas.scrollToElement(element); }
    }
    if (result.warnings && result.warnings.length) {
      say(data.labels.importWarnings, result.warnings.map(function (w) { return w.message; }));
    }
    document.getElementById("diagram").dataset.ready = "1";
    showCounts(data.counts);
    window.setInterval(refresh, 30000);
  }).catch(function (err) {
    say(data.labels.importFailed, [String(err && err.message || err)]);
  });
})();
