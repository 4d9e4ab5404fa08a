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
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


def _run(browser: Path, args: list[str], scratch: Path) -> bytes:
    command = [
        str(browser),
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={scratch / 'profile'}",
        *(["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        *args,
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False, cwd=scratch
        )
    except subprocess.TimeoutExpired:
        raise ConfigurationError(
            f"the browser did not finish drawing within {TIMEOUT_SECONDS} s",
            found=str(browser),
            expected="a headless Chromium that starts and renders a local page",
            fix="check that `chromium --headless --dump-dom about:blank` works on this machine",
        ) from None
    if done.returncode != 0:
        raise ConfigurationError(
            "the browser failed while drawing",
            found=done.stderr.decode("utf-8", "replace").strip()[-800:] or f"exit {done.returncode}",
            expected="a headless Chromium that renders a local page",
            fix="check that `chromium --headless --dump-dom about:blank` works on this machine",
        )
    return done.stdout


def _script(text: str) -> str:
    return text.replace("</script", "<\\/script")


def dot_to_svg(dot: str, *, browser: Path | str | None = None) -> str:
    """Lay out Graphviz ``dot`` with the vendored viz.js and return the SVG text."""
    exe = find_browser(browser)
    page = (
        '<!doctype html><meta charset="utf-8"><title>map</title>'
        f"<script>{asset_text('viz')}</script>"
        '<pre id="out">pending</pre><script>'
        f"const dot = {_script(json.dumps(dot))};"
        "const put = t => { document.getElementById('out').textContent = t; };"
        "Viz.instance().then(v => {"
        " const svg = v.renderString(dot, {format: 'svg'});"
        " put('OK:' + btoa(unescape(encodeURIComponent(svg))));"
        "}).catch(e => put('ERROR:' + e));"
        "</script>"
    )
    with _scratch() as scratch:
        html = scratch / "map.html"
        html.write_text(page, encoding="utf-8")
        out = _run(
            exe, ["--virtual-time-budget=30000", "--dump-dom", html.as_uri()], scratch
        ).decode("utf-8", "replace")
    m = re.search(r'<pre id="out">(.*?)</pre>', out, re.S)
    text = m.group(1).strip() if m else ""
    if not text.startswith("OK:"):
        raise InputError(
            "the map could not be laid out",
            where=Location(field="dot"),
            found=text[:300] or "no output from the browser",
            expected="valid Graphviz DOT",
            fix="check the DOT text (civicflow analyze map --dot frequency prints it)",
        )
    return base64.b64decode(text[3:]).decode("utf-8")


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
        png = scratch / "map.png"
        _run(
            exe,
            [
                f"--window-size={math.ceil(width)},{math.ceil(height)}",
                f"--force-device-scale-factor={scale}",
                "--default-background-color=ffffffff",
                f"--screenshot={png}",
                html.as_uri(),
            ],
            scratch,
        )
        if not png.exists():
            raise ConfigurationError(
                "the browser wrote no PNG",
                found=str(exe),
                expected="a headless Chromium that supports --screenshot",
                fix="update Chromium",
            )
        return png.read_bytes()


def html_to_pdf(html: Path, out: Path, *, browser: Path | str | None = None) -> Path:
    """Print a self-contained HTML page (the report) to PDF with its print CSS, after its
    scripts have drawn the map and the charts."""
    exe = find_browser(browser)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _scratch() as scratch:
        pdf = scratch / "report.pdf"
        _run(
            exe,
            [
                "--virtual-time-budget=60000",
                "--run-all-compositor-stages-before-draw",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                Path(html).resolve().as_uri(),
            ],
            scratch,
        )
        if not pdf.exists() or pdf.stat().st_size == 0:
            raise ConfigurationError(
                "the browser wrote no PDF",
                found=str(exe),
                expected="a headless Chromium that supports --print-to-pdf",
                fix="update Chromium",
            )
        tmp = out.with_name(f".{out.name}.tmp")
        shutil.copyfile(pdf, tmp)
        os.replace(tmp, out)
    return out
