// Repeatable row groups of schema forms (arrays of objects): add and remove rows in the page.
// Without this script the "Add" button posts the form and the server shows one more row; inputs
// are named <path>.<n>.<field>, and the server closes the gaps that removed rows leave.
(function () {
  "use strict";

  function rowsOf(box) { return box.querySelectorAll(":scope > [data-role=rows] > [data-role=row]"); }

  function refresh(box) {
    var rows = rowsOf(box);
    var min = Number(box.dataset.min || 0);
    var max = box.dataset.max ? Number(box.dataset.max) : Infinity;
    rows.forEach(function (row) {
      var remove = row.querySelector(":scope > fieldset > [data-role=remove-row]");
      if (remove) { remove.hidden = rows.length <= Math.max(min, 1); }
    });
    var add = box.querySelector(":scope > [data-role=add-row]");
    if (add) { add.disabled = rows.length >= max; }
  }

  function nextIndex(box) {
    var highest = -1;
    var prefix = box.dataset.rows + ".";
    box.querySelectorAll("[name]").forEach(function (input) {
      var name = input.getAttribute("name");
      if (name.indexOf(prefix) !== 0) { return; }
      var n = parseInt(name.slice(prefix.length).split(".")[0], 10);
      if (!isNaN(n) && n > highest) { highest = n; }
    });
    return highest + 1;
  }

  function addRow(box) {
    var template = box.querySelector(":scope > template[data-role=row-template]");
    var index = nextIndex(box);
    var html = template.innerHTML.split("__i__").join(String(index))
      .split("__n__").join(String(rowsOf(box).length + 1));
    var list = box.querySelector(":scope > [data-role=rows]");
    list.insertAdjacentHTML("beforeend", html);
    refresh(box);
    var first = list.lastElementChild.querySelector("input, select, textarea");
    if (first) { first.focus(); }
  }

  document.querySelectorAll("[data-rows]").forEach(function (box) {
    var add = box.querySelector(":scope > [data-role=add-row]");
    if (add) {
      add.type = "button";
      add.addEventListener("click", function () { addRow(box); });
    }
    box.addEventListener("click", function (event) {
      var button = event.target.closest("[data-role=remove-row]");
      if (!button || button.closest("[data-rows]") !== box) { return; }
      var row = button.closest("[data-role=row]");
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      refresh(box);
      var target = next ? next.querySelector("input, select, textarea") : add;
      if (target) { target.focus(); }
    });
    refresh(box);
  });
})();
