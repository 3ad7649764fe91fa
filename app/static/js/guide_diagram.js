/* The service guide's read-only flow: the published diagram, fitted to the page. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("diagram-data").textContent);
  var viewer = new window.BpmnJS({ container: "#diagram" });
  viewer.importXML(data.xml).then(function () {
    var canvas = viewer.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    if (canvas.zoom() < 0.5) { canvas.zoom(0.6); }
  }).catch(function () {
    document.getElementById("diagram").hidden = true;
  });
})();
