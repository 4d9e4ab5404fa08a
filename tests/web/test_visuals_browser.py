"""The map, the new analysis tabs and print in a real browser (Debian's Chromium): Fit puts the
whole map inside its frame, print puts it on the page, the replay moves its tokens, and axe finds
no serious accessibility violation on any new tab."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import shared_file

from .conftest import World
from .test_browser import Checked, browser, served  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

CM = 96 / 2.54  # CSS pixels per centimetre
LOG = "Receipt_phase_environmental_permit_WABO.xes.gz"


@pytest.fixture(scope="module")
def receipt(served: tuple[str, World]) -> tuple[str, World]:  # noqa: F811
    """The receipt log (27 activities: a tall map) stored in the test workspace once."""
    from civicflow.app import SYSTEM, accounts, assessment

    base, world = served
    root = next(
        u
        for u in accounts.list_users(world.ctx, actor=SYSTEM)
        if u.email == world.emails["global_admin"]
    )
    if "visuals" not in _store(world).dataset_names():
        assessment.ingest_dataset(
            world.ctx,
            actor=accounts.get_actor(world.ctx, root.id),
            workspace_id=world.workspace_id,
            source=shared_file("eventlogs", LOG),
            name="visuals",
        )
    return base, world


def _store(world: World) -> Any:
    from civicflow.app import SYSTEM, workspaces

    return workspaces.get_workspace(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id
    ).store()


@pytest.fixture
def page(browser: Any, receipt: tuple[str, World]) -> Iterator[Checked]:  # noqa: F811
    base, world = receipt
    c = Checked(browser, base)
    c.sign_in(world.emails["analyst"])
    yield c
    assert not c.errors, c.errors
    c.close()


def _inside(page: Any, inner: str, outer: str) -> dict[str, float]:
    return page.evaluate(
        """([inner, outer]) => {
            const a = document.querySelector(inner).getBoundingClientRect();
            const b = document.querySelector(outer).getBoundingClientRect();
            return {left: a.left - b.left, top: a.top - b.top, right: b.right - a.right,
                    bottom: b.bottom - a.bottom, width: a.width, height: a.height,
                    frameWidth: b.width, frameHeight: b.height};
        }""",
        [inner, outer],
    )


def test_fit_shows_the_whole_map_and_print_puts_it_on_the_page(
    page: Checked, receipt: tuple[str, World]
) -> None:
    _, world = receipt
    p = page.page
    p.goto(f"/w/{world.workspace_id}/assessment?dataset=visuals&tab=map&top=30&paths=1")
    p.wait_for_selector("#process-map[data-rendered='frequency'] svg", timeout=60_000)
    box = _inside(p, "#process-map svg", "#process-map")
    # 27 activities make a map taller than the 32rem frame: Fit shrinks it to fit both ways
    assert box["height"] <= box["frameHeight"] + 0.5 and box["width"] <= box["frameWidth"] + 0.5
    assert min(box["left"], box["top"], box["right"], box["bottom"]) >= -0.5
    assert box["height"] >= box["frameHeight"] - 2 or box["width"] >= box["frameWidth"] - 2
    # zoom in, then Fit again: back inside the frame
    p.get_by_role("button", name="Zoom in").click()
    p.get_by_role("button", name="Zoom in").click()
    zoomed = _inside(p, "#process-map svg", "#process-map")
    assert zoomed["height"] > box["frameHeight"]
    p.get_by_role("button", name="Fit").click()
    assert _inside(p, "#process-map svg", "#process-map") == pytest.approx(box, abs=0.5)
    page.axe()
    page.shot("map-fit")

    p.emulate_media(media="print")
    printed = p.evaluate(
        """() => { const r = document.querySelector('#process-map svg').getBoundingClientRect();
                   return {width: r.width, height: r.height, left: r.left, right: r.right,
                           page: document.querySelector('main').getBoundingClientRect().width}; }"""
    )
    assert printed["height"] <= 24 * CM + 0.5
    assert printed["left"] >= 0 and printed["width"] <= printed["page"] + 0.5
    assert printed["height"] > 5 * CM  # still drawn, not collapsed
    assert p.locator("form.filters").first.is_hidden() and p.locator(".map-tools").first.is_hidden()
    p.emulate_media(media="screen")


def test_report_map_prints_on_one_page(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    from civicflow.eventlog import DuckDBEngine
    from civicflow.mining import LogView
    from civicflow.report import ReportConfig, build_report
    from realdata import real_dataset

    engine = DuckDBEngine()
    try:
        out = build_report(
            view=LogView(engine=engine, dataset=real_dataset(LOG.removesuffix(".xes.gz"))),
            out=tmp_path / "r.html",
            config=ReportConfig(sections=("process-map", "resources")),
        )
    finally:
        engine.close()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(out.as_uri())
        page.wait_for_selector("#map-view[data-rendered=true] svg", timeout=60_000)
        page.wait_for_selector("#graph-handovers[data-rendered=true] svg", timeout=60_000)
        page.emulate_media(media="print")
        for sel in ("#map-view svg", "#graph-handovers svg"):
            r = page.evaluate(
                "s => { const r = document.querySelector(s).getBoundingClientRect(); "
                "return {w: r.width, h: r.height, body: document.body.getBoundingClientRect().width}; }",
                sel,
            )
            assert r["h"] <= 24 * CM + 0.5, sel
            assert r["w"] <= r["body"] + 0.5, sel
            assert r["h"] > 2 * CM, sel
    finally:
        page.close()


@pytest.mark.parametrize(
    "tab", ["throughput", "arrivals", "activities", "resources", "dotted", "spectrum"]
)
def test_new_tabs_draw_and_pass_axe(page: Checked, receipt: tuple[str, World], tab: str) -> None:
    _, world = receipt
    p = page.page
    p.goto(
        f"/w/{world.workspace_id}/assessment?dataset=visuals&tab={tab}&present=T02+Check+confirmation+of+receipt"
    )
    p.wait_for_function(
        "() => [...document.querySelectorAll('#tab-content .chart')].every("
        "c => c.dataset.rendered === 'true' && c.querySelector('svg'))"
        " && [...document.querySelectorAll('#tab-content .graph-frame')].every("
        "g => g.dataset.rendered === 'true')",
        timeout=60_000,
    )
    assert p.locator("#tab-content .chart, #tab-content .graph-frame").count() >= 1
    if tab == "resources":
        assert p.locator("#tab-content .graph-frame svg g.node").count() >= 2
    page.axe()
    page.shot(f"tab-{tab}")


def test_replay_plays_pauses_and_moves_tokens(page: Checked, receipt: tuple[str, World]) -> None:
    _, world = receipt
    p = page.page
    p.goto(f"/w/{world.workspace_id}/assessment?dataset=visuals&tab=replay&cases=200")
    p.wait_for_selector("#replay-map[data-rendered=true] svg circle.replay-token", timeout=60_000)
    assert p.locator("#replay-map").get_attribute("data-tokens") == str(
        p.locator("#replay-map svg circle.replay-token").count()
    )
    # every 8th of 1,434 cases by start (ceil(1434 / 200))
    assert "A sample is replayed: 180 of 1,434 cases" in p.locator("#tab-content").inner_text()
    page.axe()
    # jump to the middle of the log: some cases are open and their tokens are on the map
    p.eval_on_selector(
        "[data-replay-position]",
        "el => { el.value = '500'; el.dispatchEvent(new Event('input')); }",
    )
    visible = int(p.locator("#replay-map").get_attribute("data-visible") or "0")
    assert visible > 0
    assert p.locator("#replay-map svg circle.replay-token:visible").count() == visible
    before = float(p.locator("#replay-map").get_attribute("data-time") or "0")
    play = p.get_by_role("button", name="Play")
    play.click()
    assert p.get_by_role("button", name="Pause").get_attribute("aria-pressed") == "true"
    p.wait_for_function(
        f"() => Number(document.querySelector('#replay-map').dataset.time) > {before}",
        timeout=10_000,
    )
    page.shot("replay")
    p.get_by_role("button", name="Pause").click()
    paused = p.locator("#replay-map").get_attribute("data-time")
    p.wait_for_timeout(300)
    assert p.locator("#replay-map").get_attribute("data-time") == paused
    assert re.match(r"\d{4}-\d{2}-\d{2}", p.locator("[data-replay-clock]").inner_text())
