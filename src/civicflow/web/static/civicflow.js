// civicflow workbench behaviour. Every script lives in a static file (the CSP forbids inline script).
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // HTMX requests carry the synchroniser token in a header, as the server expects for state changes.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // Forms inside cached fragments carry no token: add it from the page when they are sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-csrf")) { return; }
    var field = form.querySelector('input[name="csrf_token"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "csrf_token";
      form.appendChild(field);
    }
    field.value = csrfToken();
  }, true);

  // Move focus to swapped-in content that asks for it, so keyboard and screen-reader users follow.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var focus = target && target.querySelector("[data-focus-after-swap]");
    if (focus) { focus.focus(); }
  });

  // Upload with progress: XHR streams the file as the request body (the server writes it to disk
  // in chunks), so the progress bar shows real bytes sent.
  function setupUpload(form) {
    var input = form.querySelector('input[type="file"]');
    var bar = form.querySelector("progress");
    var status = form.querySelector("[data-upload-status]");
    form.addEventListener("submit", function (event) {
      if (!input.files || input.files.length === 0) { return; }
      event.preventDefault();
      var file = input.files[0];
      var nameField = form.querySelector('input[name="name"]');
      var url = form.getAttribute("data-upload-url") +
        "?filename=" + encodeURIComponent(file.name) +
        "&name=" + encodeURIComponent(nameField ? nameField.value : "");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRF-Token", csrfToken());
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("Accept", "text/html");
      bar.hidden = false;
      bar.value = 0;
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.max = e.total;
          bar.value = e.loaded;
          status.textContent = "Uploaded " + Math.round(100 * e.loaded / e.total) + " %";
        }
      });
      xhr.addEventListener("load", function () {
        var target = document.getElementById(form.getAttribute("data-upload-target"));
        target.innerHTML = xhr.responseText;
        if (window.htmx) { window.htmx.process(target); }
        status.textContent = xhr.status < 400 ? "Upload complete" : "Upload failed";
        var focus = target.querySelector("[data-focus-after-swap]");
        if (focus) { focus.focus(); }
      });
      xhr.addEventListener("error", function () { status.textContent = "Upload failed: network error"; });
      status.textContent = "Uploading…";
      xhr.send(file);
    });
  }

  function init(root) {
    root.querySelectorAll("form[data-upload-url]").forEach(setupUpload);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target !== document.body) { init(event.target); }
  });
})();
