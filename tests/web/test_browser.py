"""The workbench in a real browser (Debian's Chromium through Playwright), with axe-core checking
every page for serious or critical accessibility violations (WCAG 2.1 A/AA rules)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import shared_file

from .conftest import PASSWORD, World, make_app, make_world

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# screenshots for a person to look at, only when asked for (CIVICFLOW_TEST_SCREENSHOTS=<folder>)
SHOTS = os.environ.get("CIVICFLOW_TEST_SCREENSHOTS")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    import uvicorn

    world = make_world(tmp_path_factory.mktemp("browser"), None)
    app = make_app(world)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", world
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        world.ctx.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed (/usr/bin/chromium): apt-get install chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield b
        finally:
            b.close()


class Checked:
    """A page that records console errors (CSP violations among them) and runs axe on demand."""

    def __init__(self, browser: Any, base: str) -> None:
        self.context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.audited: list[str] = []

    def axe(self) -> None:
        # evaluated through the DevTools protocol, so the page's CSP (no inline script) still holds
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        violations = self.page.evaluate(
            """async () => (await axe.run(document, {
                   runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
               })).violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
        )
        bad = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not bad, f"axe on {self.page.url}: {bad}"
        self.audited.append(self.page.url)

    def shot(self, name: str) -> None:
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)

    def sign_in(self, email: str) -> None:
        self.page.goto("/login")
        self.axe()
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(re.compile(r".*/$"))

    def close(self) -> None:
        self.context.close()


def test_analyst_journey(served: tuple[str, World], browser: Any) -> None:
    base, world = served
    source = shared_file("eventlogs", "Receipt_phase_environmental_permit_WABO.xes.gz")
    ws = f"/w/{world.workspace_id}"
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["admin"])
    c.axe()

    page.goto(f"{ws}/datasets")
    c.axe()
    page.get_by_label("Event-log file").set_input_files(str(source))
    page.get_by_label("Dataset name").first.fill("receipt")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("#mapping")
    assert page.locator("#m-case_id").input_value() == "case:concept:name"
    assert page.locator("#m-activity").input_value() == "concept:name"
    c.axe()
    c.shot("mapping")
    page.get_by_role("button", name="Import dataset").click()
    page.wait_for_url(re.compile(r".*/assessment\?dataset=receipt"), timeout=60_000)

    page.wait_for_selector("#process-map[data-rendered='frequency'] svg", timeout=30_000)
    assert page.locator("#process-map svg g.node").count() >= 5
    c.axe()
    c.shot("process-map")
    page.get_by_label("median time").check()
    page.wait_for_selector("#process-map[data-rendered='performance'] svg")
    page.get_by_role("button", name="Zoom in").click()
    assert "scale(1.25)" in (page.locator("#process-map svg").get_attribute("style") or "")

    page.get_by_role("link", name="Variants").click()
    page.wait_for_selector(".chart[data-rendered] svg", timeout=30_000)
    c.axe()
    c.shot("variants")

    page.get_by_label("Baseline name").fill("receipt-2024")
    page.get_by_role("button", name="Freeze baseline").click()
    page.wait_for_selector("#baseline-result")
    assert "Baseline receipt-2024 frozen" in page.locator("#baseline-result").inner_text()
    page.get_by_role("link", name=re.compile("Set an objective for Median throughput")).click()
    page.get_by_label("Title").fill("Halve the receipt time")
    baseline_value = float(page.get_by_label("Baseline value").input_value())
    page.get_by_label("Target value").fill(str(round(baseline_value / 2, 4)))
    page.get_by_label("Direction").select_option("decrease")
    page.get_by_label("Due date").fill("2027-12-31")
    c.axe()
    page.get_by_role("button", name="Save objective").click()
    page.wait_for_url(re.compile(r".*/programme/objectives$"))
    assert "Halve the receipt time" in page.content()
    c.axe()

    page.goto(ws)
    assert "Halve the receipt time" in page.content() and "receipt-2024" in page.content()
    c.axe()
    c.shot("dashboard")

    page.goto(f"{ws}/ledger")
    text = page.locator("main").inner_text()
    assert "baseline.freeze" in text and "objective.create" in text and "dataset.ingest" in text
    c.axe()
    page.get_by_role("button", name="Verify the whole ledger").click()
    page.wait_for_selector("#verify-report")
    assert "The ledger is intact." in page.locator("#verify-result").inner_text()
    c.axe()
    c.shot("ledger")
    page.locator("a", has_text="Proof").last.click()
    page.wait_for_selector("text=The proof checks out")
    c.axe()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/login$"))
    page.goto(f"{ws}/ledger")
    assert "/login" in page.url

    assert not [e for e in c.errors if "Content Security Policy" in e or "Refused" in e], c.errors
    assert not c.errors, c.errors
    c.close()


def test_viewer_cannot_edit(served: tuple[str, World], browser: Any) -> None:
    base, world = served
    ws = f"/w/{world.workspace_id}"
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["viewer"])
    for path in (
        "/programme/objectives",
        "/programme/risks",
        "/programme/communications",
        "/programme/decisions",
        "/datasets",
        "/assessment",
    ):
        page.goto(ws + path)
        c.axe()
    page.goto(f"{ws}/programme/objectives")
    assert page.get_by_role("button", name="New objective").count() == 0
    assert page.get_by_text("New objective").count() == 0
    page.goto(f"{ws}/datasets")
    assert page.get_by_label("Event-log file").count() == 0
    response = page.goto(f"{ws}/programme/objectives/new")
    assert response is not None and response.status == 403
    assert "You do not have permission" in page.content()
    c.axe()
    response = page.goto(f"{ws}/ledger")
    assert response is not None and response.status == 403
    c.close()
