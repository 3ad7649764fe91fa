/* Decision tables of the process editor: the DMN files its business rule tasks run, edited with
   dmn-js in a dialog. "Save into the draft" keeps the edited XML in this page; Validate, Test and
   Deploy (process_editor.js) send every draft with the diagram as {dmn: {"<name>.dmn": xml}}. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("editor-data").textContent);
  var L = data.decisionLabels;
  var tables = data.decisions || {};
  var drafts = {};
  var list = document.getElementById("decision-list");
  var dialog = document.getElementById("decision-dialog");
  var status = document.getElementById("decision-status");
  var taskBox = document.getElementById("decision-task");
  var openFile = null;
  var selectedDecision = null;
  var modeler = null;

  function parse(xml) {
    var doc = new DOMParser().parseFromString(xml, "application/xml");
    var decision = doc.getElementsByTagNameNS("*", "decision")[0];
    return decision ? { id: decision.getAttribute("id"), name: decision.getAttribute("name") || decision.getAttribute("id") } : null;
  }

  function current(file) { return drafts[file] || tables[file]; }

  function fileOf(decisionId) {
    var names = Object.keys(tables);
    for (var i = 0; i < names.length; i++) {
      var found = parse(current(names[i]));
      if (found && found.id === decisionId) { return names[i]; }
    }
    return null;
  }

  function called(xml) {
    var ids = [];
    var pattern = /calledDecisionId>\s*([^<\s]+)\s*</g;
    var match;
    while ((match = pattern.exec(xml)) !== null) { ids.push(match[1]); }
    return ids;
  }

  function render() {
    list.textContent = "";
    var used = called(data.xml).map(fileOf);
    Object.keys(tables).sort().forEach(function (file) {
      if (used.indexOf(file) < 0 && !drafts[file]) { return; }
      var facts = parse(current(file)) || { id: "?", name: file };
      var li = document.createElement("li");
      li.className = "decision-item";
      var name = document.createElement("strong");
      name.textContent = facts.name;
      var where = document.createElement("span");
      where.className = "small muted mono";
      where.textContent = " " + file + (drafts[file] ? " · " + L.edited : "");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-secondary btn-small";
      button.textContent = L.edit;
      button.dataset.file = file;
      button.addEventListener("click", function () { open(file); });
      li.appendChild(name);
      li.appendChild(where);
      li.appendChild(document.createElement("br"));
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  /* dmn-js's own words (hit policies, heads, menus) in the page's language; `{name}` fields. */
  function translate(template, replacements) {
    var said = (L.words && L.words[template]) || template;
    return said.replace(/{([^}]+)}/g, function (all, key) {
      return replacements && key in replacements ? replacements[key] : all;
    });
  }

  function dmn() {
    if (!modeler) {
      modeler = new window.DmnJS({
        container: "#decision-table",
        // Per view: dmn-js replaces a `common.additionalModules` by its own.
        decisionTable: { additionalModules: [{ translate: ["value", translate] }] },
        drd: { additionalModules: [{ translate: ["value", translate] }] },
        literalExpression: { additionalModules: [{ translate: ["value", translate] }] },
        common: { expressionLanguages: { options: [{ value: "python", label: "Python" }], defaults: { editor: "python", inputCell: "python", outputCell: "python" } } }
      });
      window.decisionEditor = modeler; // for the browser test
    }
    return modeler;
  }

  function open(file) {
    openFile = file;
    var facts = parse(current(file)) || { name: file };
    document.getElementById("decision-dialog-title").textContent = facts.name;
    document.getElementById("decision-dialog-file").textContent = "processes/" + file;
    status.textContent = "";
    if (typeof dialog.showModal === "function") { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
    var editor = dmn();
    editor.importXML(current(file)).then(function () {
      var view = editor.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
      return view ? editor.open(view) : null;
    }).then(function () {
      dialog.dataset.ready = "1";
    }).catch(function (err) {
      status.className = "small notice notice-error";
      status.textContent = L.importFailed + " " + String(err && err.message || err);
    });
  }

  function close() {
    dialog.dataset.ready = "";
    if (typeof dialog.close === "function") { dialog.close(); } else { dialog.removeAttribute("open"); }
  }

  document.getElementById("decision-cancel").addEventListener("click", close);
  document.getElementById("decision-save").addEventListener("click", function () {
    dmn().saveXML({ format: true }).then(function (saved) {
      drafts[openFile] = saved.xml;
      var dirty = document.getElementById("dirty");
      if (dirty) { dirty.textContent = L.unsaved; }
      render();
      close();
      var result = document.getElementById("result");
      if (result) { result.className = "notice notice-info"; result.textContent = L.saved; }
    });
  });
  document.getElementById("decision-open-task").addEventListener("click", function () {
    var file = selectedDecision && fileOf(selectedDecision);
    if (file) { open(file); }
  });

  /* The process editor tells which business rule task is selected (its calledDecisionId). */
  function selected(decisionId) {
    selectedDecision = decisionId;
    taskBox.hidden = decisionId === undefined;
    var button = document.getElementById("decision-open-task");
    var file = decisionId && fileOf(decisionId);
    button.disabled = !file;
    button.title = file ? "processes/" + file : L.noTable;
  }

  window.permitflowDecisions = {
    drafts: function () { return drafts; },
    selected: selected,
    open: open
  };
  render();
})();
