"""The analyst's workbench in a real browser (Debian's Chromium through Playwright), axe-core on
every page: the ledger fits a 1280 px window, deleting asks first (without JavaScript too),
saves are confirmed, and the People and API-token pages keep the workspace's navigation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from . import test_browser as _browser
from .conftest import World
from .test_browser import Checked

# the browser tests' fixtures: Debian's Chromium, a served workbench (one per module)
browser, served = _browser.browser, _browser.served

pytestmark = pytest.mark.browser

LONG_REASON = (
    "imported again after the supplier's export at "
    "https://data.example.org/exports/permits/2024/receipt-phase-environmental-permits-"
    "WABO-complete-with-all-attributes-and-lifecycle-transitions.csv was corrected"
)


def _signed_in(served: tuple[str, World], browser: Any, role: str) -> tuple[Checked, str]:
    """A checked page signed in as ``role``, and the workspace's path."""
    base, world = served
    c = Checked(browser, base)
    c.sign_in(world.emails[role])
    return c, f"/w/{world.workspace_id}"


def _fits(page: Any) -> tuple[int, int]:
    return page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


def _seed(world: World) -> str:
    """Ledger entries with long values (a 64-character name, a long URL in a reason)."""
    from civicflow.app import SYSTEM, programme

    name = "r" * 20 + "-" + "x" * 43
    for i in range(3):
        data = programme.parse(
            programme.RISKS.create_model,
            {"title": f"{name}{i}", "likelihood": 2, "impact": 3, "owner": "Operations"},
            label="risk",
        )
        programme.RISKS.create(
            world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, data=data,
            reason=LONG_REASON,
        )  # fmt: skip
    return name


def test_the_ledger_fits_a_1280_pixel_window(served: tuple[str, World], browser: Any) -> None:
    _seed(served[1])
    c, ws = _signed_in(served, browser, "auditor")
    page = c.page
    page.goto(f"{ws}/ledger")
    assert page.viewport_size == {"width": 1280, "height": 900}
    scroll, client = _fits(page)
    assert scroll <= client, f"the ledger page is {scroll} px wide in a {client} px window"
    assert LONG_REASON in page.locator("main").inner_text().replace("\n", " ") or (
        "data.example.org" in page.locator("main").inner_text()
    )
    c.axe()
    c.shot("ledger-1280")

    # checkpointing from the page, confirmed by a notice; the proofs it offers all check out
    page.get_by_role("button", name="Write a checkpoint now").click()
    page.wait_for_selector(".flash")
    assert page.locator(".flash").inner_text().startswith("Checkpoint ")
    c.axe()
    page.locator("a", has_text="Proof").first.click()
    page.wait_for_selector("text=The proof checks out")
    c.axe()
    page.goto(f"{ws}/ledger")
    page.get_by_role("button", name="Verify the whole ledger").click()
    page.wait_for_selector("#verify-report")
    text = page.locator("#verify-result").inner_text()
    assert text.count("checkpoints are UNSIGNED") == 1, text
    assert not c.errors, c.errors
    c.close()


def test_deleting_asks_first_and_saves_are_confirmed(
    served: tuple[str, World], browser: Any
) -> None:
    c, ws = _signed_in(served, browser, "admin")
    page = c.page

    page.goto(f"{ws}/programme/risks/new")
    page.get_by_label("Title").fill("Staff leave in summer")
    page.get_by_label("Likelihood (1-5)").fill("3")
    page.get_by_label("Impact (1-5)").fill("4")
    page.get_by_label("Owner").fill("Service owner")
    page.get_by_role("button", name="Save risk").click()
    page.wait_for_url(re.compile(r".*/programme/risks$"))
    assert page.locator(".flash").inner_text() == "Risk 'Staff leave in summer' created."
    c.axe()

    page.get_by_role("link", name="Delete risk Staff leave in summer").click()
    page.wait_for_url(re.compile(r".*/delete$"))
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Delete risk 'Staff leave in summer'?"
    )
    c.axe()
    page.get_by_role("link", name="No, keep it").click()
    page.wait_for_url(re.compile(r".*/programme/risks$"))
    assert "Staff leave in summer" in page.locator("main").inner_text()
    page.get_by_role("link", name="Delete risk Staff leave in summer").click()
    page.get_by_role("button", name=re.compile("Yes, delete")).click()
    page.wait_for_url(re.compile(r".*/programme/risks$"))
    assert page.locator(".flash").inner_text() == "Risk 'Staff leave in summer' deleted."
    assert "Staff leave in summer" not in page.locator("table, main > p").all_inner_texts()
    c.axe()
    assert not c.errors, c.errors
    c.close()


def test_people_and_tokens_keep_the_workspace_navigation(
    served: tuple[str, World], browser: Any
) -> None:
    c, ws = _signed_in(served, browser, "global_admin")
    page = c.page
    page.goto(ws)
    nav = page.get_by_role("navigation", name="Main")
    for link in ("People", "API tokens"):
        nav.get_by_role("link", name=link, exact=True).click()
        page.wait_for_load_state()
        for name in ("Dashboard", "Datasets", "Assessment", "Programme", "Ledger"):
            assert nav.get_by_role("link", name=name).count() == 1, f"{link} lost {name}"
        scroll, client = _fits(page)
        assert scroll <= client, f"{link}: {scroll} px in {client} px"
        c.axe()
    nav.get_by_role("link", name="Datasets").click()
    page.wait_for_url(re.compile(r".*/datasets$"))
    assert not c.errors, c.errors
    c.close()
