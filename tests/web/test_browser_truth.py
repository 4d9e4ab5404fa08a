"""What the analyst sees in the browser does not mislead (issue 9): the SLA tab says which
definition it uses, the baseline form carries the SLA, bottleneck findings are shares of all
waiting time drawn as ranked, the breakdown leaves out near-unique attributes. axe on each page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from civicflow.demo import DemoConfig, build_demo_workspace

from .conftest import World
from .test_browser import Checked, browser, served  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.browser


def test_the_workbench_says_what_it_measures(served: tuple[str, World], browser: Any) -> None:  # noqa: F811
    from civicflow.app import SYSTEM, workspaces

    base, world = served
    store = workspaces.get_workspace(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id
    ).store()
    build_demo_workspace(path=store.path, config=DemoConfig(cases=300, seed=4))
    ws = f"/w/{world.workspace_id}"
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["analyst"])

    page.goto(f"{ws}/assessment?dataset=demo&tab=sla")
    basis = page.locator("#tab-content .sla-basis").inner_text()
    assert "per-case deadline ('deadline'), calendar time" in basis and "the default" in basis
    assert re.search(
        r"\d+\.\d % of decided cases on time", page.locator("#tab-content").inner_text()
    )
    # the freeze form offers the same SLA, preselected
    assert page.locator("#b-sla-deadline").input_value() == "deadline"
    c.axe()
    page.get_by_label("Deadline attribute").first.select_option("")
    page.get_by_label("or fixed target (days)").first.fill("30")
    page.get_by_role("button", name="Check").click()
    page.wait_for_selector("text=fixed target of 30.0 d, calendar time")
    c.axe()

    page.goto(f"{ws}/assessment?dataset=demo&tab=bottlenecks")
    page.wait_for_selector(".chart[data-rendered] svg", timeout=30_000)
    findings = page.locator("#tab-content ul li").all_inner_texts()
    assert findings and all("of all waiting time" in f for f in findings)
    assert all(5 <= int(m) <= 100 for f in findings for m in re.findall(r"is (\d+) %", f))
    axis = page.locator(".chart svg").first.text_content() or ""
    assert "Total waiting time" in axis
    c.axe()

    page.goto(f"{ws}/assessment?dataset=demo&tab=breakdown")
    offered = page.locator("#bd-by option").all_inner_texts()
    assert offered and "applicant_id" not in offered and "deadline" not in offered
    assert "nearly one case per group" in page.locator("#tab-content").inner_text()
    cells = page.locator("#tab-content td.govuk-table__cell--numeric").all_inner_texts()
    assert cells and not [t for t in cells if re.search(r"\d\.\d{4,}", t)]
    c.axe()
    assert not c.errors, c.errors
    c.close()
