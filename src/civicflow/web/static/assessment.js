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

  // An SVG drawn by Graphviz, sized to its natural size and scaled to fit its frame (width and
  // height), centred; never enlarged. Returns the scale used.
  function placeSvg(frame, svg) {
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    frame.replaceChildren(svg);
    var box = svg.getBoundingClientRect();
    var w = frame.clientWidth, h = frame.clientHeight;
    var scale = Math.min(1, w / (box.width || 1), h / (box.height || 1));
    svg.style.position = "absolute";
    svg.style.left = "0";
    svg.style.top = "0";
    svg.style.transformOrigin = "0 0";
    svg.style.transform = "translate(" + (w - box.width * scale) / 2 + "px," + (h - box.height * scale) / 2 + "px) scale(" + scale + ")";
    return scale;
  }

  // the social network of handovers (and any other graph a section carries as DOT)
  function drawGraphs(root) {
    root.querySelectorAll("[data-dot].graph-frame").forEach(function (frame) {
      if (frame.dataset.rendered) { return; }
      var ready = viz();
      if (!ready) { frame.textContent = "The graph renderer did not load."; return; }
      ready.then(function (v) {
        var svg = v.renderSVGElement(frame.getAttribute("data-dot"));
        svg.style.maxWidth = "100%";
        svg.style.height = "auto";
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
        frame.replaceChildren(svg);
        frame.dataset.rendered = "true";
      }).catch(function (err) { frame.textContent = "The graph could not be drawn: " + err; });
    });
  }

  // Replay: one token per case moving along the map's edges at the times of its events. The
  // paths and times were computed on the server (a stated sample of a big log); the browser only
  // interpolates. Starts paused; Play, a speed and a time slider control it.
  var YEAR = 365 * 86400;
  function setupReplay(frame) {
    if (frame.dataset.ready) { return; }
    frame.dataset.ready = "true";
    var data = JSON.parse(frame.getAttribute("data-replay-data"));
    var start = Date.parse(frame.getAttribute("data-replay-start") || "") || 0;
    var section = frame.closest("section") || document;
    var button = section.querySelector("[data-replay=play]");
    var speed = section.querySelector("[data-replay-speed]");
    var slider = section.querySelector("[data-replay-position]");
    var clock = section.querySelector("[data-replay-clock]");
    var active = section.querySelector("[data-replay-active]");
    var ready = viz();
    if (!ready) { frame.textContent = "The process map renderer did not load."; return; }
    ready.then(function (v) {
      var svg = v.renderSVGElement(frame.getAttribute("data-dot"));
      // tokens keep a visible size however small the fitted map is drawn
      var radius = Math.max(5, 5 / (placeSvg(frame, svg) || 1));
      var layer = svg.querySelector("g.graph") || svg;
      var nodes = {}, edges = {};
      svg.querySelectorAll("g.node").forEach(function (g) {
        var t = g.querySelector("title");
        if (!t) { return; }
        var b = g.getBBox();
        nodes[t.textContent] = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
      });
      svg.querySelectorAll("g.edge").forEach(function (g) {
        var t = g.querySelector("title"), path = g.querySelector("path");
        if (t && path) { edges[t.textContent] = { path: path, length: path.getTotalLength() }; }
      });
      var ns = "http://www.w3.org/2000/svg";
      var tokens = data.cases.map(function () {
        var c = document.createElementNS(ns, "circle");
        c.setAttribute("r", String(radius));
        c.setAttribute("class", "replay-token");
        c.setAttribute("fill", "#ff8f00");
        c.setAttribute("stroke", "#4e342e");
        c.setAttribute("stroke-width", String(radius / 5));
        c.style.display = "none";
        layer.appendChild(c);
        return c;
      });
      var now = 0, playing = false, last = null;
      function point(a, b, f) {
        var e = edges[a + "->" + b];
        if (e) { return e.path.getPointAtLength(f * e.length); }
        var p = nodes[a], q = nodes[b];
        if (p && q) { return { x: p.x + (q.x - p.x) * f, y: p.y + (q.y - p.y) * f }; }
        return p || q || null;
      }
      function draw() {
        var open = 0;
        data.cases.forEach(function (c, i) {
          var acts = c[0], offs = c[1], token = tokens[i], at = null;
          if (now >= offs[0] && now <= offs[offs.length - 1]) {
            var k = 0;
            while (k < offs.length - 1 && offs[k + 1] <= now) { k += 1; }
            if (k === offs.length - 1) { at = nodes[acts[k]] || null; }
            else {
              var span = offs[k + 1] - offs[k];
              at = point(acts[k], acts[k + 1], span > 0 ? (now - offs[k]) / span : 1);
            }
          }
          if (at) {
            open += 1;
            token.setAttribute("cx", at.x);
            token.setAttribute("cy", at.y);
            token.style.display = "";
          } else { token.style.display = "none"; }
        });
        if (clock) { clock.textContent = new Date(start + now * 1000).toISOString().slice(0, 10); }
        if (active) { active.textContent = String(open); }
        if (slider) { slider.value = String(Math.round(1000 * now / (data.span || 1))); }
        frame.dataset.time = String(now);
        frame.dataset.visible = String(open);
      }
      function tick(ts) {
        if (!playing) { return; }
        if (last !== null) {
          now += (ts - last) / 1000 * YEAR / 60 * Number(speed ? speed.value : 1);
          if (now >= data.span) { now = data.span; pause(); }
        }
        last = ts;
        draw();
        if (playing) { window.requestAnimationFrame(tick); }
      }
      function play() {
        if (now >= data.span) { now = 0; }
        playing = true; last = null;
        button.textContent = "Pause"; button.setAttribute("aria-pressed", "true");
        window.requestAnimationFrame(tick);
      }
      function pause() {
        playing = false;
        button.textContent = "Play"; button.setAttribute("aria-pressed", "false");
      }
      if (button) { button.addEventListener("click", function () { if (playing) { pause(); } else { play(); } }); }
      if (slider) {
        slider.addEventListener("input", function () { now = Number(slider.value) / 1000 * data.span; draw(); });
      }
      frame.dataset.tokens = String(tokens.length);
      frame.dataset.rendered = "true";
      draw();
    }).catch(function (err) { frame.textContent = "The replay could not be drawn: " + err; });
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
    root.querySelectorAll("#replay-map").forEach(setupReplay);
    drawGraphs(root);
    setupOutputs(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target || document); });
})();
