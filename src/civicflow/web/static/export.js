// Maps as pictures, drawn in the browser: the comparison's maps from their DOT (Graphviz compiled
// to WebAssembly), and any drawn map downloaded as SVG (the layout's own vector file) or PNG (the
// SVG painted onto a canvas at twice its size). Nothing leaves the browser for these downloads.
(function () {
  "use strict";

  var vizReady = null;
  function viz() {
    if (!vizReady && typeof Viz !== "undefined") { vizReady = Viz.instance(); }
    return vizReady;
  }

  function drawDots(root) {
    // only the comparison's maps: the graph tabs and the replay draw their own
    root.querySelectorAll("[data-dot][data-compare-map]").forEach(function (box) {
      if (box.dataset.rendered) { return; }
      var ready = viz();
      if (!ready) { box.textContent = "The map renderer did not load."; return; }
      ready.then(function (v) {
        var svg = v.renderSVGElement(box.getAttribute("data-dot"));
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
        svg.style.maxWidth = "100%";
        svg.style.height = "auto";
        box.replaceChildren(svg);
        box.dataset.rendered = "true";
      }).catch(function (err) { box.textContent = "The map could not be drawn: " + err; });
    });
  }

  function svgText(target) {
    var box = document.querySelector(target);
    var svg = box && box.querySelector("svg");
    if (!svg) { return null; }
    var copy = svg.cloneNode(true);
    copy.removeAttribute("style");
    copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    return new XMLSerializer().serializeToString(copy);
  }

  function save(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function downloadSvg(button) {
    var text = svgText(button.dataset.downloadSvg);
    if (!text) { return; }
    save(new Blob([text], { type: "image/svg+xml" }), (button.dataset.name || "process-map") + ".svg");
  }

  function downloadPng(button) {
    var text = svgText(button.dataset.downloadPng);
    if (!text) { return; }
    var svg = document.querySelector(button.dataset.downloadPng + " svg");
    var box = svg.viewBox && svg.viewBox.baseVal;
    var width = (box && box.width) || svg.getBoundingClientRect().width;
    var height = (box && box.height) || svg.getBoundingClientRect().height;
    var scale = 2 * 4 / 3; // Graphviz lays out in points; two device pixels per CSS pixel
    var img = new Image();
    img.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = Math.ceil(width * scale);
      canvas.height = Math.ceil(height * scale);
      var g = canvas.getContext("2d");
      g.fillStyle = "#ffffff";
      g.fillRect(0, 0, canvas.width, canvas.height);
      g.drawImage(img, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) { save(blob, (button.dataset.name || "process-map") + ".png"); }, "image/png");
    };
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-download-svg], [data-download-png]");
    if (!button) { return; }
    event.preventDefault();
    if (button.dataset.downloadSvg) { downloadSvg(button); } else { downloadPng(button); }
  });
  document.addEventListener("DOMContentLoaded", function () { drawDots(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawDots(event.target); });
})();
