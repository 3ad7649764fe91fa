/* 一张图: the dashboard's district map (ECharts geo, from /vendor). The districts' shapes come from
   the platform's own GeoJSON (/dashboard/districts.geojson; no online tiles), the figures and
   their translated labels from #district-map-data; the table beside the map holds the same
   figures as links. A click on a district opens the list behind the chosen figure. */
(function () {
  "use strict";
  var source = document.getElementById("district-map-data");
  var node = document.getElementById("chart-map");
  var picker = document.getElementById("map-measure");
  if (!source || !node || !window.echarts || !window.fetch) { return; }
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var byCode = {};
  data.districts.forEach(function (d) { byCode[d.code] = d; });
  var colours = {
    open_cases: ["#eef3f9", "#14457a"],
    overdue_tasks: ["#fbeeed", "#a3201a"],
    open_orders: ["#fdf5e1", "#8a6100"]
  };
  var chart = null;

  function measure() { return picker ? picker.value : "open_cases"; }

  function tooltip(params) {
    var d = byCode[params.name];
    if (!d) { return params.name; }
    var lines = Object.keys(L).filter(function (k) { return k !== "empty"; }).map(function (k) {
      return L[k] + ": " + d.values[k];
    });
    return [d.name].concat(lines).map(function (t) {
      var span = document.createElement("span");
      span.textContent = t;
      return span.innerHTML;
    }).join("<br>");
  }

  function option() {
    var key = measure();
    var values = data.districts.map(function (d) { return d.values[key]; });
    var highest = Math.max.apply(null, values.concat([1]));
    return {
      animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      tooltip: { trigger: "item", formatter: tooltip },
      visualMap: {
        min: 0, max: highest, calculable: false, orient: "horizontal", left: "center", bottom: 0,
        itemHeight: 120, text: [String(highest), "0"], inRange: { color: colours[key] }
      },
      series: [{
        name: L[key], type: "map", map: "permitflow-districts", nameProperty: "code",
        roam: false, selectedMode: false, top: 8, bottom: 48,
        label: { show: true, color: "#1f2933", fontSize: 12,
                 formatter: function (p) { var d = byCode[p.name]; return d ? d.name + "\n" + d.values[key] : p.name; } },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "#d49a00" } },
        itemStyle: { borderColor: "#ffffff", borderWidth: 1.5, areaColor: "#f3f4f6" },
        data: data.districts.map(function (d) { return { name: d.code, value: d.values[key] }; })
      }]
    };
  }

  function draw(geo) {
    window.echarts.registerMap("permitflow-districts", geo);
    chart = window.echarts.init(node, null, { renderer: "svg" });
    chart.setOption(option());
    chart.on("click", function (params) {
      var d = byCode[params.name];
      if (d && d.links[measure()]) { window.location.assign(d.links[measure()]); }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (picker) {
    picker.addEventListener("change", function () { if (chart) { chart.setOption(option(), true); } });
  }
  window.fetch(data.geo, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
    .then(draw)
    .catch(function () {
      node.classList.add("chart-empty");
      node.textContent = L.empty;
    });
}());
