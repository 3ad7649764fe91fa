/* The process editor: bpmn-js modeler on the current version. Validate and Deploy post the XML to
   the server, which runs the same checks as `flask processes validate`; each problem is listed and
   marked on its element, and clicking a problem selects that element. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("editor-data").textContent);
  var L = data.labels;
  var csrf = document.getElementById("csrf").value;
  var result = document.getElementById("result");
  var list = document.getElementById("problems");
  var dirty = document.getElementById("dirty");
  var buttons = ["btn-validate", "btn-test", "btn-deploy", "btn-download"].map(function (id) { return document.getElementById(id); });
  // bpmn-js's modeler with the properties panel (PermitFlow's properties included) and token
  // simulation: the bundle built from frontend/src (make).
  var modeler = window.PermitFlowEditor.create(
    { container: "#diagram", keyboard: { bindTo: document }, propertiesPanel: { parent: "#properties-panel" } },
    data.panel
  );
  var marked = [];
  window.processEditor = modeler; // for the browser test and the curious analyst's console

  function setResult(kind, text, link) {
    result.className = "notice notice-" + kind;
    result.textContent = text;
    if (link) {
      result.appendChild(document.createTextNode(" "));
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      result.appendChild(a);
    }
  }

  function clearProblems() {
    var canvas = modeler.get("canvas");
    var overlays = modeler.get("overlays");
    marked.forEach(function (id) { canvas.removeMarker(id, "has-problem"); });
    overlays.remove({ type: "problem" });
    marked = [];
    list.textContent = "";
  }

  function focusElement(id) {
    var element = id && modeler.get("elementRegistry").get(id);
    if (!element) { return; }
    modeler.get("selection").select(element);
    modeler.get("canvas").scrollToElement(element, { top: 80, bottom: 80, left: 120, right: 120 });
  }

  function showProblems(problems) {
    clearProblems();
    var registry = modeler.get("elementRegistry");
    problems.forEach(function (p, i) {
      var li = document.createElement("li");
      li.className = "problem";
      li.dataset.element = p.element_id;
      var head = document.createElement("button");
      head.type = "button";
      head.className = "problem-go";
      // The element's name as the diagram shows it; its id on hover (no file lines: they mean
      // nothing on a diagram).
      var shown = registry.get(p.shape_id || "");
      var name = p.element_name || (shown && shown.businessObject && shown.businessObject.name);
      head.title = (p.element_id === "-" ? "" : p.element_id + " · ") + L.showOnDiagram;
      head.textContent = name || (p.element_id === "-" ? L.wholeFile : p.element_id);
      head.addEventListener("click", function () { focusElement(p.shape_id); });
      var msg = document.createElement("p");
      msg.className = "problem-message";
      msg.textContent = p.message;
      li.appendChild(head);
      li.appendChild(msg);
      if (p.hint) {
        var hint = document.createElement("p");
        hint.className = "problem-hint";
        hint.textContent = "→ " + p.hint;
        li.appendChild(hint);
      }
      list.appendChild(li);
      if (p.shape_id && registry.get(p.shape_id)) {
        if (marked.indexOf(p.shape_id) < 0) {
          modeler.get("canvas").addMarker(p.shape_id, "has-problem");
          marked.push(p.shape_id);
        }
        var flag = document.createElement("button");
        flag.type = "button";
        flag.className = "problem-flag";
        flag.textContent = String(i + 1);
        flag.title = p.message;
        flag.dataset.element = p.shape_id;
        flag.addEventListener("click", function () { list.children[i].scrollIntoView({ block: "nearest" }); });
        modeler.get("overlays").add(p.shape_id, "problem", { position: { top: -10, left: -10 }, html: flag });
      }
    });
  }

  function showTests(tests) {
    var box = document.getElementById("tests");
    box.textContent = "";
    (tests || []).forEach(function (t) {
      var li = document.createElement("li");
      li.className = "process-test " + (t.passed ? "test-pass" : "test-fail");
      var status = document.createElement("strong");
      status.textContent = (t.passed ? "✓ " : "✗ ") + t.status;
      var name = document.createElement("span");
      name.className = "mono";
      name.textContent = " " + t.name;
      li.appendChild(status);
      li.appendChild(name);
      if (t.detail) {
        var detail = document.createElement("p");
        detail.className = "problem-message";
        detail.textContent = t.detail;
        li.appendChild(detail);
      }
      box.appendChild(li);
    });
  }

  function busy(on) { buttons.forEach(function (b) { b.disabled = on; }); }

  function post(url, xml, extra) {
    // The decision tables saved into the draft (decision_editor.js) go with the diagram.
    var body = { bpmn: xml, dmn: window.permitflowDecisions ? window.permitflowDecisions.drafts() : {} };
    Object.keys(extra || {}).forEach(function (k) { body[k] = extra[k]; });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    });
  }

  function run(url, waiting, extra) {
    busy(true);
    setResult("info", waiting);
    return modeler.saveXML({ format: true }).then(function (saved) {
      return post(url, saved.xml, extra);
    }).then(function (answer) {
      var body = answer.body || {};
      showProblems(body.problems || []);
      showTests(body.tests);
      if (body.ok) {
        var link = body.view ? { href: body.view, text: body.version.slice(0, 12) } : null;
        setResult("success", body.message, link);
        if (url === data.deployUrl) { dirty.textContent = ""; }
      } else {
        setResult("error", body.message || L.failed);
      }
      return body;
    }).catch(function () {
      setResult("error", L.failed);
    }).then(function (body) { busy(false); return body; });
  }

  document.getElementById("btn-validate").addEventListener("click", function () { run(data.validateUrl, L.checking); });
  document.getElementById("btn-test").addEventListener("click", function () { run(data.testUrl, L.testing); });
  // Deploy: first the differences from the current version, marked on the diagram and listed in
  // a dialog with the running cases that stay on their versions; only the dialog's confirmation
  // deploys, naming the version the differences were against.
  var dialog = document.getElementById("deploy-dialog");
  var diffMarked = [];
  var confirmedBase = null;

  function clearDiff() {
    var canvas = modeler.get("canvas");
    diffMarked.forEach(function (m) { canvas.removeMarker(m[0], m[1]); });
    diffMarked = [];
  }

  function markDiff(items, marker) {
    var registry = modeler.get("elementRegistry");
    items.forEach(function (e) {
      if (e.shape_id && registry.get(e.shape_id)) {
        modeler.get("canvas").addMarker(e.shape_id, marker);
        diffMarked.push([e.shape_id, marker]);
      }
    });
  }

  function listDiff(id, items) {
    var ul = document.getElementById(id);
    ul.textContent = "";
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = "—";
      ul.appendChild(none);
    }
    items.forEach(function (e) {
      var li = document.createElement("li");
      var name = document.createElement("strong");
      name.textContent = e.name;
      name.title = e.element_id + " · " + e.kind;
      li.appendChild(name);
      e.changes.forEach(function (c) {
        var facet = document.createElement("span");
        facet.className = "diff-facet";
        facet.appendChild(document.createTextNode(c.facet + ": "));
        if (c.before !== null) { var d = document.createElement("del"); d.textContent = c.before; facet.appendChild(d); }
        if (c.before !== null && c.after !== null) { facet.appendChild(document.createTextNode(" → ")); }
        if (c.after !== null) { var n = document.createElement("ins"); n.textContent = c.after; facet.appendChild(n); }
        li.appendChild(facet);
      });
      ul.appendChild(li);
    });
  }

  /* A decision table's rules added, changed and removed, listed like the elements (no marks: the
     table is not on the diagram). */
  function listTables(tables) {
    var box = document.getElementById("diff-table-list");
    box.textContent = "";
    document.getElementById("diff-tables").hidden = !tables.length;
    tables.forEach(function (t, i) {
      var item = document.createElement("div");
      item.className = "diff-table";
      var head = document.createElement("p");
      var name = document.createElement("strong");
      name.textContent = t.summary;
      name.title = t.file + " · " + t.decision_id;
      head.appendChild(name);
      item.appendChild(head);
      box.appendChild(item);
      [["added", "diff-added-title"], ["changed", "diff-changed-title"], ["removed", "diff-removed-title"]].forEach(function (part) {
        var rules = t[part[0]];
        if (!rules.length) { return; }
        var ul = document.createElement("ul");
        ul.className = "diff-list";
        ul.id = "diff-table-" + i + "-" + part[0];
        var title = document.createElement("p");
        title.className = "small " + part[1];
        title.textContent = document.querySelector("#deploy-dialog ." + part[1]).textContent;
        item.appendChild(title);
        item.appendChild(ul);
        listDiff(ul.id, rules.map(function (r) {
          return { name: r.name + (r.description ? " · " + r.description : ""), element_id: r.rule_id, kind: part[0], changes: r.changes };
        }));
      });
      if (t.table.length) {
        var ul = document.createElement("ul");
        ul.className = "diff-list";
        ul.id = "diff-table-" + i + "-shape";
        item.appendChild(ul);
        listDiff(ul.id, [{ name: t.name, element_id: t.decision_id, kind: "decisionTable", changes: t.table }]);
      }
    });
  }

  function showDiff(diff) {
    clearDiff();
    markDiff(diff.added, "diff-added");
    markDiff(diff.changed, "diff-changed");
    document.getElementById("diff-summary").textContent = diff.summary;
    listDiff("diff-added", diff.added);
    listDiff("diff-changed", diff.changed);
    listDiff("diff-removed", diff.removed);
    listTables(diff.tables || []);
    document.getElementById("diff-running").textContent = diff.running;
    confirmedBase = diff.base;
    dialog.showModal();
  }

  document.getElementById("btn-deploy").addEventListener("click", function () {
    busy(true);
    setResult("info", L.comparing);
    modeler.saveXML({ format: true }).then(function (saved) {
      return post(data.diffUrl, saved.xml);
    }).then(function (answer) {
      busy(false);
      if (answer.status !== 200) {
        showProblems((answer.body && answer.body.problems) || []);
        setResult("error", (answer.body && answer.body.message) || L.failed);
        return;
      }
      showProblems([]);
      setResult("info", L.confirmDeploy);
      showDiff(answer.body);
    }).catch(function () { busy(false); setResult("error", L.failed); });
  });
  document.getElementById("btn-cancel-deploy").addEventListener("click", function () {
    dialog.close();
    setResult("info", L.notDeployed);
  });
  document.getElementById("btn-confirm-deploy").addEventListener("click", function () {
    dialog.close();
    run(data.deployUrl, L.deploying, { base: confirmedBase }).then(function (body) {
      if (body && body.ok) { clearDiff(); }
    });
  });
  document.getElementById("btn-download").addEventListener("click", function () {
    modeler.saveXML({ format: true }).then(function (saved) {
      var url = URL.createObjectURL(new Blob([saved.xml], { type: "application/xml" }));
      var a = document.createElement("a");
      a.href = url;
      a.download = data.key + ".bpmn";
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    });
  });

  /* A selected business rule task offers its decision table (decision_editor.js). */
  function decisionOf(selection) {
    if (!window.permitflowDecisions) { return; }
    var bo = selection.length === 1 ? selection[0].businessObject : null;
    if (!bo || bo.$type !== "bpmn:BusinessRuleTask") { window.permitflowDecisions.selected(undefined); return; }
    var values = (bo.extensionElements && bo.extensionElements.values) || [];
    var ref = values.filter(function (v) { return /calledDecisionId$/.test(v.$type || ""); })[0];
    window.permitflowDecisions.selected(ref ? String(ref.$body || "").trim() : null);
  }

  modeler.importXML(data.xml).then(function () {
    modeler.get("canvas").zoom("fit-viewport", "auto");
    modeler.on("commandStack.changed", function () { dirty.textContent = L.unsaved; });
    modeler.on("selection.changed", function (event) { decisionOf(event.newSelection); });
    document.getElementById("diagram").dataset.ready = "1";
  }).catch(function (err) {
    setResult("error", L.importFailed + " " + String(err && err.message || err));
  });
})();
