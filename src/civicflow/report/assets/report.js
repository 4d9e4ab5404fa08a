/* civicflow report: draws the process map (Graphviz in WebAssembly) and the Vega-Lite charts from
   the JSON data block. Runs offline; the page's CSP forbids network access. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cf-data").textContent);

  function drawMap() {
    var map = data.map;
    var box = document.getElementById("map-view");
    if (!map || !box || typeof Viz === "undefined") return;
    var mode = "frequency";
    var idx = map.levels.indexOf(map["default"]);
    var slider = document.getElementById("map-level");
    var out = document.getElementById("map-level-out");
    Viz.instance().then(function (viz) {
      function render() {
        var level = String(map.levels[idx]);
        var svg = viz.renderSVGElement(map.dots[mode][level]);
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
        box.replaceChildren(svg);
        box.dataset.nodes = String(map.nodes[level]);
        box.dataset.mode = mode;
        box.dataset.rendered = "true";
        box.setAttribute("aria-label", "Process map of the " + map.nodes[level] +
          " most frequent activities, edges labelled by " +
          (mode === "frequency" ? "how often one activity directly follows another" : "the median time between them") + ".");
        if (out) out.textContent = map.nodes[level];
        if (slider) slider.setAttribute("aria-valuetext", map.nodes[level] + " activities");
      }
      document.querySelectorAll('input[name="map-mode"]').forEach(function (radio) {
        radio.addEventListener("change", function () { mode = radio.value; render(); });
      });
      if (slider) slider.addEventListener("input", function () { idx = Number(slider.value); render(); });
      var fit = document.getElementById("map-fit");
      if (fit) fit.addEventListener("change", function () { box.classList.toggle("fit", fit.checked); });
      render();
    }).catch(function (err) {
      box.textContent = "The process map could not be drawn: " + err;
      console.error(err);
    });
  }

  function drawCharts() {
    if (typeof vegaEmbed === "undefined") return;
    Object.keys(data.charts).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) return;
      vegaEmbed(el, data.charts[id], { actions: false, renderer: "svg" }).then(function () {
        el.dataset.rendered = "true";
      }).catch(function (err) {
        el.textContent = "This chart could not be drawn: " + err;
        console.error(err);
      });
    });
  }

  function drawGraphs() {
    var graphs = data.graphs || {};
    if (typeof Viz === "undefined") return;
    Viz.instance().then(function (viz) {
      Object.keys(graphs).forEach(function (id) {
        var el = document.getElementById(id);
        if (!el) return;
        var svg = viz.renderSVGElement(graphs[id]);
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
        el.replaceChildren(svg);
        el.dataset.rendered = "true";
      });
    }).catch(function (err) { console.error(err); });
  }

  drawMap();
  drawGraphs();
  drawCharts();
})();
