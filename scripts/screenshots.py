"""Regenerate the user guide's screenshots from the demo.

    python scripts/screenshots.py                 # writes docs/img/*.png
    python scripts/screenshots.py --out /tmp/img  # somewhere else

Builds the demo (``civicflow demo``) in a temporary folder, serves the workbench on a free local
port, signs in as the demo admin, opens the dashboard once, then adds an objective with a
measurement and a risk through ``civicflow.app`` (so the dashboard has changes and attention items
to show), all with Playwright driving Debian's Chromium
(/usr/bin/chromium, no browser download) at 1280×800, and writes one PNG per page in ``PAGES``.
The PNGs are palette-quantised when Pillow is installed, to keep them small.
``tests/test_screenshots.py`` runs it into a temporary folder and checks that every image
docs/USER_GUIDE.md references exists.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS_IMG = ROOT / "docs" / "img"
CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "screenshots-demo-password"
CLI = [sys.executable, "-c", "from civicflow.cli import main; main()"]


PAGES: tuple[tuple[str, str, str], ...] = (
    # (file name, path below /w/<workspace>, selector that says the page is drawn)
    ("dashboard.png", "", ".cf-trend .chart[data-rendered] svg"),
    ("assessment-map.png", "/assessment?dataset=demo&tab=map", "#process-map[data-rendered] svg"),
    ("programme.png", "/programme/objectives", "table.govuk-table"),
    ("ledger.png", "/ledger", "table.govuk-table"),
    ("datasets.png", "/datasets", "table.govuk-table"),
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_demo(folder: Path, *, cases: int) -> dict[str, Any]:
    """``civicflow demo`` into ``folder``; returns its JSON summary."""
    import json

    done = subprocess.run(
        [*CLI, "demo", "--out", str(folder), "--cases", str(cases), "--no-open", "--json",
         "--admin-password-stdin"],
        input=PASSWORD + "\n", capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def add_programme(summary: dict[str, Any]) -> None:
    """An objective on the baseline's median throughput, one measurement, and a risk."""
    from civicflow.app import accounts, open_app
    from civicflow.app import programme as pg
    from civicflow.core import Settings

    wb = summary["workbench"]
    ctx = open_app(settings=Settings(home=Path(wb["home"]), database_url=wb["database"]))
    try:
        actor = accounts.authenticate(ctx, email=wb["admin_email"], password=PASSWORD)
        assert actor is not None, "the demo admin could not sign in"
        ws = wb["workspace_id"]
        baseline = float(summary["median_throughput_days"])
        obj = pg.OBJECTIVES.create(
            ctx, actor=actor, workspace_id=ws,
            data=pg.ObjectiveCreate(
                title="Halve the permit throughput time", kpi="throughput_median_days",
                baseline_name=str(summary["baseline"]),
                baseline_value=round(baseline, 2), target_value=round(baseline / 2, 2),
                direction=pg.Direction.DECREASE, due_date=date(2027, 12, 31)),
        )  # fmt: skip
        pg.record_measurement(
            ctx, actor=actor, workspace_id=ws, objective_id=obj.id,
            value=round(baseline * 1.05, 2), source="pilot month 1",
        )  # fmt: skip
        pg.RISKS.create(
            ctx, actor=actor, workspace_id=ws,
            data=pg.RiskCreate(title="Case-management vendor cannot export events in time",
                               likelihood=4, impact=4, owner="Head of IT"),
        )  # fmt: skip
    finally:
        ctx.close()


def serve(summary: dict[str, Any], port: int) -> subprocess.Popen[bytes]:
    wb = summary["workbench"]
    env = os.environ | {"CIVICFLOW_DATABASE_URL": wb["database"]}
    proc = subprocess.Popen(
        [*CLI, "serve", "--workspace-root", wb["home"], "--host", "127.0.0.1", "--port",
         str(port), "--insecure-cookies"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("screenshots: the workbench did not start") from None
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("screenshots: the workbench did not answer within 60 s")


def shoot(
    base: str, summary: dict[str, Any], out: Path, *, after_first_visit: Callable[[], None]
) -> list[Path]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise SystemExit("screenshots: Debian's chromium is needed (apt-get install chromium)")
    wb = summary["workbench"]
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(base_url=base, viewport=VIEWPORT)
            page.goto("/login")
            page.get_by_label("Email").fill(wb["admin_email"])
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/")
            ws = f"/w/{wb['workspace_id']}"
            page.goto(ws)  # a first visit, so the dashboard's "since your last visit" has a start
            after_first_visit()
            for name, path, selector in PAGES:
                page.goto(ws + path.replace("dataset=demo", f"dataset={summary['dataset']}"))
                page.wait_for_selector(selector, timeout=60_000)
                if name == "assessment-map.png":  # the map and its controls, not the filters
                    page.locator(selector).first.evaluate("e => e.scrollIntoView({block: 'end'})")
                target = out / name
                page.screenshot(path=str(target), full_page=name == "dashboard.png")
                written.append(target)
        finally:
            browser.close()
    return written


def optimise(path: Path) -> None:
    """Palette-quantise a PNG (Pillow, when installed): a screenshot keeps its look at a third."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DOCS_IMG, help="folder for the PNGs")
    parser.add_argument("--cases", type=int, default=800, help="cases in the demo log")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="civicflow-shots-") as tmp:
        summary = build_demo(Path(tmp) / "demo", cases=args.cases)
        port = _free_port()
        server = serve(summary, port)
        try:
            written = shoot(
                f"http://127.0.0.1:{port}", summary, args.out,
                after_first_visit=lambda: add_programme(summary),
            )  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=30)
    for path in written:
        optimise(path)
        print(f"{path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
