"""The Business case pages in a real browser (Debian's Chromium through Playwright), axe-core on
each: create with the form (a bad range named in the error summary), evaluate, the four charts
drawn, edit as a new version, compare side by side; the Opportunities page; the People and change
page (hours per role drawn, a bad skills matrix row named in the error summary, the training needs
added to the budget)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from . import test_browser as _browser
from .conftest import World
from .test_browser import Checked

browser, served = _browser.browser, _browser.served

pytestmark = pytest.mark.browser


def test_business_case_pages(served: tuple[str, World], browser: Any) -> None:
    base, world = served
    ws = f"/w/{world.workspace_id}"
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["service_owner"])
    page.goto(f"{ws}/business-cases")
    c.axe()
    page.get_by_label("Name", exact=True).fill("e-intake")
    page.locator("#bc-start").fill("2026-01-01")
    page.locator("#bc-cost-title").fill("Build")
    page.locator("#bc-cost-low").fill("90000")
    page.locator("#bc-cost-likely").fill("50000")
    page.locator("#bc-cost-high").fill("80000")
    page.locator("#bc-rec-amount").fill("10000")
    page.locator("#bc-role").fill("intake")
    page.locator("#bc-hours-low").fill("600")
    page.locator("#bc-hours-likely").fill("900")
    page.locator("#bc-hours-high").fill("1100")
    page.locator("#bc-hourly-cost").fill("60")
    page.get_by_role("button", name="Create business case").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "low=90000" in summary.inner_text()
    assert summary.locator("a").first.get_attribute("href") == "#bc-cost-low"
    c.axe()

    page.locator("#bc-cost-low").fill("40000")
    page.get_by_role("button", name="Create business case").click()
    page.wait_for_url(re.compile(r".*/business-cases/bc_[0-9a-f]+$"))
    page.wait_for_selector(".chart[data-rendered] svg", timeout=30_000)
    c.axe()
    page.locator("#bc-draws").fill("5000")
    page.get_by_role("button", name="Evaluate version 1").click()
    page.wait_for_selector("text=What matters most (each input")
    page.wait_for_function(
        "() => document.querySelectorAll('.chart[data-rendered] svg').length === 4", timeout=30_000
    )
    c.axe()
    c.shot("business-case")

    document = page.locator("#bc-document")
    doc = json.loads(document.input_value())
    doc["costs"][0]["amount"]["likely"] = 45000
    document.fill(json.dumps(doc, indent=2))
    page.get_by_label("What this version changes").fill("cheaper build")
    page.get_by_role("button", name="Save as version 2").click()
    page.wait_for_selector("text=version 2 of 2")
    page.get_by_role("button", name="Compare side by side").click()
    page.wait_for_url(re.compile(r".*/business-cases/compare\?.*"))
    assert "differs" in page.content()
    c.axe()
    c.shot("business-case-compare")
    assert [e for e in c.errors if "status of 422" not in e] == [], c.errors
    c.close()


def test_opportunities_page(served: tuple[str, World], browser: Any) -> None:
    from civicflow.app import SYSTEM, assessment
    from civicflow.demo import DemoConfig, build_demo_workspace

    base, world = served
    assessment.store_dataset(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, name="demo",
        write=lambda store: build_demo_workspace(
            path=store.path, config=DemoConfig(cases=300, seed=4)
        )[1],
    )  # fmt: skip
    ws = f"/w/{world.workspace_id}"
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["analyst"])
    page.goto(f"{ws}/opportunities?dataset=demo")
    page.wait_for_selector(".chart[data-rendered] svg", timeout=30_000)
    c.axe()
    first = page.locator("details.govuk-details").first
    first.locator("summary").click()
    first.locator("#opp-hourly-cost-1").fill("55")
    first.get_by_role("button", name="Draft a business case").click()
    page.wait_for_url(re.compile(r".*/business-cases/bc_[0-9a-f]+$"))
    assert "Automate" in page.locator("h1").inner_text()
    c.axe()


def test_people_page(served: tuple[str, World], browser: Any) -> None:
    from civicflow.app import SYSTEM, assessment
    from civicflow.demo import DemoConfig, build_demo_workspace

    base, world = served
    names = [d.name for d in assessment.list_datasets(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id)]  # fmt: skip
    if "demo" not in names:  # the opportunities test may have stored it (any order)
        assessment.store_dataset(
            world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, name="demo",
            write=lambda store: build_demo_workspace(
                path=store.path, config=DemoConfig(cases=300, seed=4)
            )[1],
        )  # fmt: skip
    ws = f"/w/{world.workspace_id}"
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["service_owner"])
    page.goto(f"{ws}/people?dataset=demo")
    page.wait_for_selector(".chart[data-rendered] svg", timeout=30_000)
    assert "Handling hours a year per role" in page.content()
    c.axe()

    page.locator("#s0-role").fill("caseworker")
    page.locator("#s0-skill").fill("new system")
    page.locator("#s0-needed").fill("5")
    page.locator("#s0-available").fill("-1")
    page.locator("#s0-course").fill("System basics")
    page.locator("#s0-cost").fill("300")
    page.get_by_role("button", name="Show training needs").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert summary.locator("a").first.get_attribute("href") == "#s0-available"
    c.axe()

    page.locator("#s0-available").fill("2")
    page.get_by_role("button", name="Show training needs").click()
    page.wait_for_selector("text=3 people to train, 900.00 in total")
    c.axe()
    c.shot("people")
    page.get_by_role("button", name="Add the training needs as budget lines").click()
    page.wait_for_url("**/programme/budget")
    assert "Training: System basics" in page.content()
    assert [e for e in c.errors if "status of 422" not in e] == [], c.errors
    c.close()
