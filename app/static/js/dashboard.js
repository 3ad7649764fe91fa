/* The dashboard's charts (ECharts, from /vendor). The page renders every figure as text and
   tables first; this only draws them. Labels arrive translated in #dashboard-data. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var palette = ["#14457a", "#3c9a5f", "#d49a00", "#a3201a", "#6b7a90"];
  var charts = [];

  function narrow() { return window.matchMedia("(max-width: 640px)").matches; }

  function percent(value) { return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%"; }

  // The list behind a bar (/dashboard/list): the page's filters, the bar's own ("drill" of its
  // item: a process, a group, a step or a period) and the figure its series counts.
  function drillUrl(item, metric) {
    if (!data.drill || !item || !item.drill || !metric) { return null; }
    var params = new URLSearchParams(data.drill.args);
    Object.keys(item.drill).forEach(function (k) { params.set(k, item.drill[k]); });
    params.set("metric", metric);
    return data.drill.url + "?" + params.toString();
  }

  function draw(id, option, empty, items, metrics) {
    var node = document.getElementById(id);
    if (!node) { return; }
    if (empty) {
      node.classList.add("chart-empty");
      node.textContent = L.empty;
      return;
    }
    var chart = window.echarts.init(node, null, { renderer: "svg" });
    option.color = palette;
    option.textStyle = { fontFamily: getComputedStyle(document.body).fontFamily };
    option.animation = false;
    chart.setOption(option);
    if (items && metrics) {
      chart.on("click", function (params) {
        var url = drillUrl(items[params.dataIndex], metrics[params.seriesIndex]);
        if (url) { window.location.assign(url); }
      });
    }
    charts.push(chart);
  }

  function legend() {
    return { bottom: 0, type: "scroll", itemWidth: 14, itemHeight: 10 };
  }

  function grid() {
    return { left: 8, right: 24, top: 30, bottom: 36, containLabel: true };
  }

  function gridWithAxisName() {
    return { left: 8, right: 24, top: 16, bottom: 60, containLabel: true };
  }

  // The value axis of a horizontal bar chart, named under its numbers (at its end it is cut off).
  function valueAxisBelow(name) {
    return { type: "value", name: name, nameLocation: "middle", nameGap: 26, minInterval: 1 };
  }

  function rateAxis() {
    return { type: "value", name: L.on_time_rate, min: 0, max: 1, splitLine: { show: false },
             axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } };
  }

  function tooltip() {
    return { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : (v <= 1 && v % 1 !== 0 ? percent(v) : v); } };
  }

  var points = data.trend.points;
  draw("chart-trend", {
    tooltip: tooltip(), legend: legend(), grid: grid(),
    xAxis: { type: "category", data: points.map(function (p) { return p.label; }) },
    yAxis: [{ type: "value", name: L.cases, minInterval: 1 }, rateAxis()],
    series: [
      { name: L.received, type: "bar", data: points.map(function (p) { return p.received; }) },
      { name: L.completed, type: "bar", data: points.map(function (p) { return p.completed; }) },
      { name: L.on_time_rate, type: "line", yAxisIndex: 1, connectNulls: true, symbolSize: 6,
        data: points.map(function (p) { return p.on_time_rate; }) }
    ]
  }, !points.some(function (p) { return p.received || p.completed; }), points, ["cases_received", "cases_completed", null]);

  var processes = data.processes;
  draw("chart-process", {
    tooltip: tooltip(), legend: legend(), grid: grid(),
    xAxis: { type: "category", data: processes.map(function (p) { return p.name; }),
             axisLabel: narrow() ? { interval: 0, rotate: 30, width: 80, overflow: "truncate" }
                                 : { interval: 0, width: 110, overflow: "break" } },
    yAxis: [{ type: "value", name: L.cases, minInterval: 1 }, rateAxis()],
    series: [
      { name: L.received, type: "bar", data: processes.map(function (p) { return p.received; }) },
      { name: L.completed, type: "bar", data: processes.map(function (p) { return p.completed; }) },
      { name: L.on_time_rate, type: "line", yAxisIndex: 1, symbolSize: 8,
        data: processes.map(function (p) { return p.on_time_rate; }) }
    ]
  }, processes.length === 0, processes, ["cases_received", "cases_completed", null]);

  var groups = data.groups;
  draw("chart-group", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, legend: legend(), grid: gridWithAxisName(),
    yAxis: { type: "category", inverse: true, data: groups.map(function (g) { return g.name; }),
             axisLabel: { width: narrow() ? 100 : 200, overflow: "truncate" } },
    xAxis: valueAxisBelow(L.tasks),
    series: [
      { name: L.tasks_completed, type: "bar", data: groups.map(function (g) { return g.tasks_completed; }) },
      { name: L.overdue, type: "bar", itemStyle: { color: "#a3201a" }, data: groups.map(function (g) { return g.overdue; }) },
      { name: L.escalated, type: "bar", itemStyle: { color: "#d49a00" }, data: groups.map(function (g) { return g.escalated; }) }
    ]
  }, groups.length === 0, groups, ["tasks_completed", "overdue", "escalated"]);

  var steps = data.steps;
  var stepNode = document.getElementById("chart-step");
  if (stepNode) { stepNode.style.height = Math.max(220, 60 + steps.length * 34) + "px"; }
  draw("chart-step", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, legend: legend(), grid: gridWithAxisName(),
    yAxis: { type: "category", inverse: true, data: steps.map(function (s) { return s.name; }),
             axisLabel: { width: narrow() ? 110 : 220, overflow: "truncate" } },
    xAxis: valueAxisBelow(L.working_days),
    series: [
      { name: L.average, type: "bar", data: steps.map(function (s) { return s.average; }) },
      { name: L.p90, type: "bar", itemStyle: { color: "#6b7a90" }, data: steps.map(function (s) { return s.p90; }) }
    ]
  }, steps.length === 0, steps, ["tasks_completed", "tasks_completed"]);

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 120);
  });
}());
