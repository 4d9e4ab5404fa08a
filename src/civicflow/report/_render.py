"""Drawing without a person's browser: a process map's DOT laid out as SVG, an SVG as PNG, the
report as PDF — all through a headless Chromium running the same vendored viz.js (Graphviz as
WebAssembly) and Vega the pages use, so an exported map is the map the workbench shows.

Chromium is found as ``browser`` (the ``CIVICFLOW_BROWSER`` setting, passed in by the
interfaces), else ``chromium``, ``chromium-browser``, ``google-chrome`` on the PATH; without one,
a clear error says how to get it. Nothing is fetched: every page is a local file with its scripts
inlined, and the report's Content-Security-Policy forbids network access.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import math
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from civicflow.core import ConfigurationError, InputError, Location
from civicflow.report._assets import asset_text

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 180
_SIZE = re.compile(r'<svg[^>]*?width="([\d.]+)(pt|px)?"[^>]*?height="([\d.]+)(pt|px)?"', re.S)


def find_browser(browser: Path | str | None = None) -> Path:
    """The headless Chromium to draw with, or a ConfigurationError saying how to get one."""
    if browser:
        path = Path(browser)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        found = shutil.which(str(browser))
        if found:
            return Path(found)
        raise ConfigurationError(
            f"the browser '{browser}' cannot be run",
            where=Location(field="CIVICFLOW_BROWSER"),
            found=str(browser),
            expected="the path of a Chromium or Chrome executable",
            fix="install Debian's chromium (`apt-get install chromium`) and point "
            "CIVICFLOW_BROWSER at it, or unset it to use chromium from the PATH",
        )
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise ConfigurationError(
        "maps as SVG or PNG and reports as PDF need a headless Chromium, and none was found",
        where=Location(field="CIVICFLOW_BROWSER"),
        found="no " + ", ".join(BROWSERS) + " on the PATH",
        expected="Chromium or Chrome installed on this machine",
        fix="install Debian's chromium (`apt-get install chromium`), or set CIVICFLOW_BROWSER "
        "to a Chromium executable; the HTML report and the map's DOT need no browser",
    )


@contextmanager
def _scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="civicflow-render-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_TRAMPOLINE = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)


def _above_four(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class _Browser:
    """One headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-
    pipe``: commands on fd 3, replies on fd 4, NUL-separated JSON), so a page is read only once
    its scripts say they have drawn — no guessing how long WebAssembly takes to start."""

    def __init__(self, browser: Path, scratch: Path) -> None:
        to_child, self._write_fd = os.pipe()
        self._read_fd, from_child = os.pipe()
        # above fd 4, so moving one end to fd 3 or 4 cannot overwrite the other
        to_child, from_child = _above_four(to_child), _above_four(from_child)
        args = [
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--hide-scrollbars",
            "--remote-debugging-pipe",
            f"--user-data-dir={scratch / 'profile'}",
            *(["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
            "about:blank",
        ]
        # a small Python trampoline moves the two pipe ends to fds 3 and 4 for Chromium (no
        # preexec_fn, which is unsafe in a threaded server; sh cannot name fds above 9)
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _TRAMPOLINE,
                str(to_child),
                str(from_child),
                str(browser),
                *args,
            ],
            pass_fds=(to_child, from_child),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=scratch,
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next = 0
        self._session: str | None = None
        self._events: list[str] = []

    def __enter__(self) -> _Browser:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._session = None
            self.call("Browser.close", {})
        except ConfigurationError:
            pass
        finally:
            os.close(self._write_fd)
            os.close(self._read_fd)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def _failed(self, what: str) -> ConfigurationError:
        err = b""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=2)
        if self._proc.poll() is not None and self._proc.stderr is not None:
            err = self._proc.stderr.read()
        return ConfigurationError(
            f"the browser failed while drawing: {what}",
            found=err.decode("utf-8", "replace").strip()[-800:] or what,
            expected="a headless Chromium that renders a local page",
            fix="check that `chromium --headless --dump-dom about:blank` works on this machine",
        )

    def call(self, method: str, params: dict[str, object]) -> dict[str, Any]:
        self._next += 1
        message: dict[str, object] = {"id": self._next, "method": method, "params": params}
        if self._session is not None:
            message["sessionId"] = self._session
        os.write(self._write_fd, json.dumps(message).encode("utf-8") + b"\0")
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while True:
            while b"\0" not in self._buffer:
                ready, _, _ = select.select([self._read_fd], [], [], 1.0)
                if time.monotonic() > deadline:
                    raise self._failed(f"no answer to {method} within {TIMEOUT_SECONDS} s")
                if not ready:
                    continue
                chunk = os.read(self._read_fd, 1 << 20)
                if not chunk:
                    raise self._failed(f"it stopped during {method}")
                self._buffer += chunk
            raw, _, self._buffer = self._buffer.partition(b"\0")
            reply = json.loads(raw)
            if "method" in reply:
                self._events.append(str(reply["method"]))
            if reply.get("id") != self._next:
                continue  # an event, or another command's late reply
            if "error" in reply:
                raise self._failed(f"{method}: {reply['error'].get('message')}")
            return reply.get("result", {})  # type: ignore[no-any-return]

    def open(self, page: Path, ready: str) -> None:
        """Load ``page`` and wait until the JavaScript expression ``ready`` (a promise) settles."""
        self.call("Page.enable", {})
        self._events.clear()
        self.call("Page.navigate", {"url": page.as_uri()})
        while "Page.loadEventFired" not in self._events:
            self.call("Runtime.evaluate", {"expression": "1"})  # reads the events meanwhile
            time.sleep(0.05)
        self.wait(ready)

    def wait(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
        )
        if "exceptionDetails" in result:
            detail = result["exceptionDetails"]
            text = detail.get("exception", {}).get("description") or detail.get("text")
            raise InputError(
                "the page could not be drawn",
                found=str(text)[:300],
                expected="a page whose scripts draw without error",
                fix="check the DOT text (civicflow analyze map --dot frequency prints it)",
            )
        return result.get("result", {}).get("value")


_DRAWN = """new Promise((resolve) => {
  const start = Date.now();
  const check = () => {
    const boxes = [...document.querySelectorAll('.process-map, .chart')];
    const done = boxes.every((b) => b.dataset.rendered || /could not be drawn/.test(b.textContent));
    if (done || Date.now() - start > LIMIT) {
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(done)));
    } else {
      setTimeout(check, 50);
    }
  };
  if (document.readyState === 'complete') check(); else addEventListener('load', check);
})""".replace("LIMIT", str(TIMEOUT_SECONDS * 500))
"""Resolves once every map and chart of a report page is drawn (or says it could not be)."""


def _script(text: str) -> str:
    return text.replace("</script", "<\\/script")


def dot_to_svg(dot: str, *, browser: Path | str | None = None) -> str:
    """Lay out Graphviz ``dot`` with the vendored viz.js and return the SVG text."""
    exe = find_browser(browser)
    page = (
        '<!doctype html><meta charset="utf-8"><title>map</title>'
        f"<script>{asset_text('viz')}</script><script>"
        f"const dot = {_script(json.dumps(dot))};"
        "window.svg = Viz.instance().then(v => v.renderString(dot, {format: 'svg'}));"
        "</script>"
    )
    with _scratch() as scratch:
        html = scratch / "map.html"
        html.write_text(page, encoding="utf-8")
        with _Browser(exe, scratch) as b:
            b.open(html, "true")
            svg = b.wait("window.svg")
    if not isinstance(svg, str) or "<svg" not in svg:
        raise InputError(
            "the map could not be laid out",
            where=Location(field="dot"),
            found=str(svg)[:300],
            expected="valid Graphviz DOT",
            fix="check the DOT text (civicflow analyze map --dot frequency prints it)",
        )
    return svg


def svg_size(svg: str) -> tuple[float, float]:
    """The SVG's width and height in CSS pixels (Graphviz writes points: 1 pt = 4/3 px)."""
    m = _SIZE.search(svg)
    if not m:
        return 800.0, 600.0
    w, wu, h, hu = m.groups()
    scale_w = 4 / 3 if wu == "pt" else 1.0
    scale_h = 4 / 3 if hu == "pt" else 1.0
    return float(w) * scale_w, float(h) * scale_h


def svg_to_png(svg: str, *, browser: Path | str | None = None, scale: float = 2.0) -> bytes:
    """The SVG drawn as a PNG at ``scale`` device pixels per CSS pixel, on white."""
    exe = find_browser(browser)
    width, height = svg_size(svg)
    page = (
        '<!doctype html><meta charset="utf-8"><style>html,body{margin:0;padding:0;'
        "background:#fff}svg{display:block}</style>" + re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    )
    with _scratch() as scratch:
        html = scratch / "map.html"
        html.write_text(page, encoding="utf-8")
        with _Browser(exe, scratch) as b:
            b.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": math.ceil(width), "height": math.ceil(height),
                 "deviceScaleFactor": scale, "mobile": False},
            )  # fmt: skip
            b.open(html, "true")
            shot = b.call(
                "Page.captureScreenshot",
                {"format": "png", "captureBeyondViewport": True,
                 "clip": {"x": 0, "y": 0, "width": math.ceil(width),
                          "height": math.ceil(height), "scale": 1}},
            )  # fmt: skip
    return base64.b64decode(shot["data"])


def html_to_pdf(html: Path, out: Path, *, browser: Path | str | None = None) -> Path:
    """Print a self-contained HTML page (the report) to PDF with its print CSS, once its scripts
    have drawn the map and the charts."""
    exe = find_browser(browser)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _scratch() as scratch, _Browser(exe, scratch) as b:
        b.open(Path(html).resolve(), _DRAWN)
        printed = b.call(
            "Page.printToPDF",
            {"printBackground": True, "preferCSSPageSize": True,
             "displayHeaderFooter": False},
        )  # fmt: skip
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(base64.b64decode(printed["data"]))
    os.replace(tmp, out)
    return out
