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

    def scale() -> float:
        style = page.locator("#process-map svg").get_attribute("style") or ""
        return float(re.search(r"scale\(([0-9.e-]+)\)", style).group(1))  # type: ignore[union-attr]

    fitted = scale()  # Fit: the whole map in the frame, never enlarged
    assert 0 < fitted <= 1
    page.get_by_role("button", name="Zoom in").click()
    assert scale() == pytest.approx(fitted * 1.25)

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
    from civicflow.app import SYSTEM
    from civicflow.app import programme as pg

    pilot = pg.PILOTS.create(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id,
        data=pg.parse(pg.PilotCreate, {
            "title": "Axe pilot", "scope": "one office", "start_date": "2027-01-01",
            "end_date": "2027-03-01", "success_criteria": [
                {"kpi": "throughput_median_days", "target": 5, "direction": "decrease"}]}),
    )  # fmt: skip
    for path in (
        "/programme/objectives",
        "/programme/risks",
        "/programme/communications",
        "/programme/decisions",
        "/programme/training",
        "/programme/pilots",
        f"/programme/pilots/{pilot.id}/evaluation",
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


def test_compare_page_draws_both_maps_and_downloads_them(
    served: tuple[str, World], browser: Any, tmp_path: Any
) -> None:
    from civicflow.app import SYSTEM, assessment

    base, world = served
    source = tmp_path / "segments.csv"
    rows = ["case_id,activity,timestamp,case:channel"]
    for i in range(12):
        channel = "web" if i % 2 else "paper"
        rows += [f"s{i},Submit,2024-01-{i + 1:02d} 09:00:00,{channel}",
                 f"s{i},Check,2024-01-{i + 1:02d} 1{i % 6}:00:00,{channel}",
                 f"s{i},Decide,2024-01-{i + 2:02d} 09:00:00,{channel}"]  # fmt: skip
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assessment.ingest_dataset(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, source=source, name="segments"
    )
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["viewer"])
    page.goto(f"/w/{world.workspace_id}/compare?dataset=segments")
    c.axe()
    page.get_by_label("Case attribute").first.select_option("case:channel")
    page.get_by_label("equals").first.fill("web")
    page.locator("#b-attr").select_option("case:channel")
    page.locator("#b-attr-value").fill("paper")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_selector("#compare-map-a[data-rendered] svg", timeout=30_000)
    page.wait_for_selector("#compare-map-b[data-rendered] svg", timeout=30_000)
    assert "Key figures" in page.locator("#compare-results").inner_text()
    c.axe()
    c.shot("compare")
    with page.expect_download() as info:
        page.get_by_role("button", name="Map A as SVG").click()
    svg = Path(info.value.path()).read_text(encoding="utf-8")
    assert "<svg" in svg and "Submit" in svg
    with page.expect_download() as info:
        page.locator("[data-download-png='#compare-map-b']").click()
    assert Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not c.errors, c.errors
    c.close()


def _root(world: World) -> Any:
    from civicflow.app import accounts

    actor = accounts.authenticate(world.ctx, email="root@example.org", password=PASSWORD)
    assert actor is not None
    return actor


def test_dashboard_shows_trends_and_what_needs_attention(
    served: tuple[str, World], browser: Any
) -> None:
    from datetime import date

    from civicflow.app import programme as pg

    base, world = served
    ws = f"/w/{world.workspace_id}"
    actor = _root(world)
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["service_owner"])
    page.goto(ws)  # the first visit: nothing to compare with yet
    assert "This is your first visit" in page.locator("#h-changes + p").inner_text()

    obj = pg.OBJECTIVES.create(
        world.ctx, actor=actor, workspace_id=world.workspace_id,
        data=pg.ObjectiveCreate(
            title="Answer permits faster", kpi="throughput_median_days", baseline_name="none",
            baseline_value=40.0, target_value=20.0, direction=pg.Direction.DECREASE,
            due_date=date(2099, 12, 31)),
    )  # fmt: skip
    pg.record_measurement(
        world.ctx, actor=actor, workspace_id=world.workspace_id, objective_id=obj.id,
        value=45.0, source="test",
    )  # fmt: skip
    pg.RISKS.create(
        world.ctx, actor=actor, workspace_id=world.workspace_id,
        data=pg.RiskCreate(title="Supplier fails", likelihood=5, impact=4, owner="CIO"),
    )  # fmt: skip

    page.goto(ws)
    attention = page.locator("#attention-list")
    assert "Objective off track: Answer permits faster" in attention.inner_text()
    assert "High risk: Supplier fails" in attention.inner_text()
    assert (
        page.locator('#attention-list [data-attention="objective"] a').get_attribute("href")
        == f"{ws}/programme/objectives/{obj.id}"
    )
    # what changed since the first visit, counted from the ledger
    changes = page.locator("#changes-list").inner_text()
    assert "Objectives measured\n1" in changes.replace("\t", "\n")
    # the objective's small chart is drawn and says in words what it shows
    card = page.locator(".cf-trend", has_text="Answer permits faster")
    chart = card.locator("div.chart[data-vega-spec]")
    page.wait_for_selector(".cf-trend .chart[data-rendered] svg", timeout=30_000)
    label = chart.get_attribute("aria-label") or ""
    # our role="img"; Vega, once drawn, names its own container a graphics document with the
    # same label (the spec's description is the sentence the page wrote)
    assert chart.get_attribute("role") in ("img", "graphics-document")
    assert label.startswith("Median throughput time: baseline 40.00 days, latest 45.00 days")
    assert "off track" in label
    assert card.locator("svg path").count() >= 1
    c.axe()
    c.shot("dashboard-attention")
    # GOV.UK Frontend's tabs: the Pilots panel opens in place
    page.get_by_role("tab", name=re.compile("Pilots")).click()
    assert page.locator("#pilots-panel").is_visible()
    assert not page.locator("#objectives-panel").is_visible()
    c.axe()
    assert not c.errors, c.errors
    c.close()


def test_error_summary_takes_the_focus_and_links_to_the_field(
    served: tuple[str, World], browser: Any
) -> None:
    base, world = served
    ws = f"/w/{world.workspace_id}"
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["admin"])
    page.goto(f"{ws}/programme/risks/new")
    page.get_by_label("Title").fill("A risk")
    page.get_by_label("Likelihood").fill("9")  # out of 1-5
    page.get_by_label("Impact").fill("3")
    page.get_by_label("Owner").fill("CIO")
    page.get_by_role("button", name="Save risk").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    # GOV.UK Frontend's error summary takes the focus when the page loads
    page.wait_for_function("document.activeElement.classList.contains('govuk-error-summary')")
    link = summary.locator(".govuk-error-summary__list a").first
    assert link.get_attribute("href") == "#f-likelihood"
    field = page.locator("#f-likelihood")
    assert field.get_attribute("aria-invalid") == "true"
    assert "e-f-likelihood" not in (field.get_attribute("aria-describedby") or "")
    assert "e-likelihood" in (field.get_attribute("aria-describedby") or "")
    c.axe()
    link.click()
    page.wait_for_function("document.activeElement.id === 'f-likelihood'")
    # the 422 of the refused form is the only message the console has
    assert [e for e in c.errors if "status of 422" not in e] == [], c.errors
    c.close()


def test_simulation_pages(served: tuple[str, World], browser: Any) -> None:
    from civicflow.app import SYSTEM, assessment
    from civicflow.demo import DemoConfig, build_demo_workspace

    base, world = served
    assessment.store_dataset(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, name="sim-demo",
        write=lambda store: build_demo_workspace(
            path=store.path, config=DemoConfig(cases=400, seed=5), dataset_name="sim-demo"
        )[1],
    )  # fmt: skip
    ws = f"/w/{world.workspace_id}"
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["analyst"])
    page.goto(f"{ws}/simulation")
    c.axe()
    page.locator("#sim-dataset").select_option("sim-demo")
    page.get_by_label("Model name").fill("permits")
    page.get_by_role("button", name="Discover model").click()
    page.wait_for_url(re.compile(r".*/simulation/models/sim_[0-9a-f]+$"))
    assert "Resource pools" in page.content()
    c.axe()
    c.shot("simulation-model")

    # a bad document: the error summary names the model's field and links to the document
    document = page.locator("#sim-document")
    data = document.input_value().replace('"schema_version": 1', '"schema_version": 7', 1)
    document.fill(data)
    page.get_by_role("button", name="Save model").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "schema_version" in summary.inner_text()
    assert summary.locator("a").first.get_attribute("href") == "#sim-document"
    c.axe()

    page.get_by_label("Scenario name").fill("more assessors")
    page.locator("#sim-kind").select_option("staffing")
    page.locator("#sim-pool").select_option("assessor")
    page.get_by_label("New size (staffing)").fill("5")
    page.get_by_role("button", name="Save scenario").click()
    page.wait_for_selector("text=more assessors")
    page.get_by_label("Cases per replication").fill("300")
    page.get_by_label("Replications (compare)").fill("2")
    page.get_by_role("button", name="Compare scenarios").click()
    page.wait_for_url(re.compile(r".*/simulation/runs/run_[0-9a-f]+$"), timeout=120_000)
    page.wait_for_selector(".chart[data-rendered] svg", timeout=30_000)
    assert "Outcomes per scenario" in page.content()
    c.axe()
    c.shot("simulation-comparison")

    page.goto(f"{ws}/simulation")
    page.locator("#sim-v-dataset").select_option("sim-demo")
    page.get_by_label("Replications").fill("1")
    page.get_by_role("button", name="Validate").click()
    page.wait_for_url(re.compile(r".*/simulation/runs/run_[0-9a-f]+$"), timeout=120_000)
    page.wait_for_selector(".chart[data-rendered] svg", timeout=30_000)
    assert "Verdict." in page.content()
    c.axe()
    c.shot("simulation-validation")
    assert [e for e in c.errors if "status of 422" not in e] == [], c.errors
    c.close()


def test_fairness_pages(served: tuple[str, World], browser: Any, tmp_path: Path) -> None:
    from civicflow.app import SYSTEM, assessment
    from civicflow.app import fairness as af
    from civicflow.demo import DemoConfig, build_demo_workspace
    from civicflow.fairness import AuditConfig

    base, world = served
    ws = f"/w/{world.workspace_id}"
    assessment.store_dataset(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, name="fair-demo",
        write=lambda store: build_demo_workspace(
            path=store.path, config=DemoConfig(cases=300, seed=3), dataset_name="fair-demo"
        )[1],
    )  # fmt: skip
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(
        "group,granted,eligible\n"
        + "".join(
            f"north,{int(i % 3 != 0)},{i % 2}\nsouth,{int(i % 3 == 0)},{i % 2}\n" for i in range(50)
        )
    )
    stored, _ = af.audit_file(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, path=decisions,
        config=AuditConfig(outcome="granted", label="eligible", groups=("group",), bootstrap=50),
    )  # fmt: skip
    # a monitored stream whose second run raises an alert: its table, warning and chart
    stream = tmp_path / "stream.csv"
    stream.write_text(
        decisions.read_text()
        .replace("south,0", "south,x")
        .replace("south,1", "south,0")
        .replace("south,x", "south,1")
    )
    af.add_stream(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, name="grants", path=stream,
        config=AuditConfig(outcome="granted", label="eligible", groups=("group",), bootstrap=50),
    )  # fmt: skip
    af.run_stream(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, name="grants")
    stream.write_text(decisions.read_text())
    af.run_stream(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, name="grants")
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["analyst"])
    page.goto(f"{ws}/fairness")
    page.wait_for_selector(".chart svg, .chart canvas")
    assert "Monitored decision streams" in page.content()
    c.axe()
    c.shot("fairness-streams")
    page.goto(f"{ws}/fairness/{stored.id}")
    assert "Four-fifths rule" in page.content()
    c.axe()
    c.shot("fairness-decisions")
    page.goto(f"{ws}/fairness")
    page.locator("#fair-dataset").select_option("fair-demo")
    page.get_by_label("Case attribute that marks the groups").fill("nowhere")
    page.get_by_role("button", name="Audit the process").click()
    page.wait_for_selector(".govuk-error-summary")
    c.axe()
    page.get_by_label("Case attribute that marks the groups").fill("permit_type")
    page.get_by_label("Legitimate difference to account for").fill("channel")
    page.get_by_role("button", name="Audit the process").click()
    page.wait_for_url(re.compile(r".*/fairness/fair_[0-9a-f]+$"), timeout=120_000)
    assert "Comparisons" in page.content()
    c.axe()
    c.shot("fairness-process")
    assert [e for e in c.errors if "status of 422" not in e] == [], c.errors
    c.close()
