// Assessment views: Vega-Lite charts and the process map (Graphviz compiled to WebAssembly),
// both drawn in the browser from data the server put in data-* attributes.
(function () {
  "use strict";

  function drawCharts(root) {
    if (typeof vegaEmbed === "undefined") { return; }
    root.querySelectorAll("[data-vega-spec]").forEach(function (el) {
      if (el.dataset.rendered) { return; }
      var spec = JSON.parse(el.getAttribute("data-vega-spec"));
      // the CSP forbids eval, so Vega's expressions run in its interpreter
      vegaEmbed(el, spec, { actions: false, renderer: "svg", ast: true, expr: window.vegaExpressionInterpreter })
        .then(function () { el.dataset.rendered = "true"; })
        .catch(function (err) { el.textContent = "This chart could not be drawn: " + err; });
    });
  }

  var vizReady = null;
  function viz() {
    if (!vizReady && typeof Viz !== "undefined") { vizReady = Viz.instance(); }
    return vizReady;
  }

  function setupMap(frame) {
    if (frame.dataset.ready) { return; }
    frame.dataset.ready = "true";
    var state = { scale: 1, x: 0, y: 0, metric: "frequency" };
    var svg = null;
    var natural = { width: 0, height: 0 };

    function apply() {
      if (svg) { svg.style.transform = "translate(" + state.x + "px," + state.y + "px) scale(" + state.scale + ")"; }
    }
    function zoom(factor) {
      state.scale = Math.min(8, Math.max(0.05, state.scale * factor));
      apply();
    }
    // Fit: the whole map inside the frame, both its width and its height, centred; never
    // enlarged beyond its natural size (a small map stays readable as drawn)
    function fit() {
      var w = frame.clientWidth, h = frame.clientHeight;
      if (!svg || !natural.width || !natural.height || !w || !h) { state.scale = 1; state.x = 0; state.y = 0; apply(); return; }
      state.scale = Math.min(1, w / natural.width, h / natural.height);
      state.x = (w - natural.width * state.scale) / 2;
      state.y = (h - natural.height * state.scale) / 2;
      apply();
    }
    function reset() { fit(); }
    function render() {
      var ready = viz();
      if (!ready) { frame.textContent = "The process map renderer did not load."; return; }
      ready.then(function (v) {
        var dot = frame.getAttribute("data-dot-" + state.metric);
        svg = v.renderSVGElement(dot);
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
        svg.style.transformOrigin = "0 0";
        frame.replaceChildren(svg);
        // the drawing's own size in CSS pixels (Graphviz gives it in points)
        var box = svg.getBoundingClientRect();
        natural = { width: box.width, height: box.height };
        svg.style.position = "absolute";
        svg.style.left = "0";
        svg.style.top = "0";
        svg.style.maxWidth = "none";
        frame.dataset.rendered = state.metric;
        fit();
      }).catch(function (err) { frame.textContent = "The process map could not be drawn: " + err; });
    }

    var section = frame.closest("section") || document;
    section.querySelectorAll("[data-map-metric]").forEach(function (radio) {
      radio.addEventListener("change", function (event) {
        // switching labels redraws locally; it must not refetch the map
        event.stopPropagation();
        state.metric = radio.value;
        render();
      });
    });
    section.querySelectorAll("[data-map-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-map-zoom");
        if (how === "in") { zoom(1.25); } else if (how === "out") { zoom(0.8); } else { reset(); }
      });
    });
    frame.addEventListener("wheel", function (event) {
      event.preventDefault();
      zoom(event.deltaY < 0 ? 1.1 : 0.9);
    }, { passive: false });
    var drag = null;
    frame.addEventListener("pointerdown", function (event) {
      drag = { x: event.clientX - state.x, y: event.clientY - state.y };
      frame.setPointerCapture(event.pointerId);
    });
    frame.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      state.x = event.clientX - drag.x;
      state.y = event.clientY - drag.y;
      apply();
    });
    frame.addEventListener("pointerup", function () { drag = null; });
    frame.addEventListener("keydown", function (event) {
      var step = 40;
      var keys = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (keys[event.key]) {
        state.x += keys[event.key][0]; state.y += keys[event.key][1]; apply(); event.preventDefault();
      } else if (event.key === "+" || event.key === "=") { zoom(1.25); event.preventDefault(); }
      else if (event.key === "-") { zoom(0.8); event.preventDefault(); }
      else if (event.key === "0") { reset(); event.preventDefault(); }
    });
    render();
  }

  function setupOutputs(root) {
    root.querySelectorAll("[data-percent-output]").forEach(function (input) {
      var out = document.getElementById(input.getAttribute("data-percent-output"));
      input.addEventListener("input", function () {
        var text = Math.round(Number(input.value) * 100) + " %";
        if (out) { out.textContent = text; }
        input.setAttribute("aria-valuetext", text);
      });
    });
  }

  function init(root) {
    drawCharts(root);
    root.querySelectorAll("#process-map").forEach(setupMap);
    setupOutputs(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target || document); });
})();
