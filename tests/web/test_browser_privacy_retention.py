"""Retention on the Data protection page in a real browser (Debian's Chromium through Playwright),
axe-core on every page of the flow: the form to add a policy (and its error), the page with the
policies and the dry run, the confirmation page, and the page after applying. With JavaScript
off, the same confirmation step applies the policies (plain forms)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from civicflow.app import SYSTEM, assessment
from civicflow.eventlog import ColumnMapping

from . import test_browser as _browser
from .conftest import World
from .test_browser import Checked

browser, served = _browser.browser, _browser.served

pytestmark = pytest.mark.browser

LOG = "case,activity,time,email\n" + "".join(
    f"c{i},{a},{2014 if i < 6 else 2024}-02-0{d}T09:00:00Z,p{i}@example.org\n"
    for i in range(12)
    for a, d in (("Submit", 3), ("Decide", 9))
)


def _ingest(world: World, tmp: Path, name: str) -> None:
    source = tmp / f"{name}.csv"
    source.write_text(LOG)
    assessment.ingest_dataset(
        world.ctx, actor=SYSTEM, workspace_id=world.workspace_id, source=source, name=name,
        mapping=ColumnMapping(case_id="case", activity="activity", timestamp="time"),
    )  # fmt: skip


def test_add_a_policy_and_apply_it_after_the_dry_run(
    served: tuple[str, World], browser: Any, tmp_path: Path
) -> None:
    base, world = served
    _ingest(world, tmp_path, "retained")
    ws = f"/w/{world.workspace_id}"
    c = Checked(browser, base)
    c.sign_in(world.emails["dpo"])
    page = c.page
    page.goto(f"{ws}/privacy")
    page.get_by_role("link", name="Add a retention policy").click()
    page.wait_for_url(re.compile(r".*/privacy/retention/new$"))
    c.axe()
    page.get_by_label("Name").fill("delete-after-5y")
    page.get_by_label("Datasets").select_option("retained")
    page.get_by_label("Action").select_option("delete")
    page.get_by_label("Data", exact=True).select_option("cases")
    page.get_by_label("Cases that ended more than").fill("five")
    page.get_by_label("Reason").fill("selection list: five years after closure")
    page.get_by_role("button", name="Store the policy").click()
    assert "the period is not a whole number" in page.locator(".govuk-error-summary").inner_text()
    c.axe()
    page.get_by_label("Cases that ended more than").fill("5")
    page.get_by_role("button", name="Store the policy").click()
    page.wait_for_url(re.compile(r".*/privacy(#retention-heading)?$"))
    assert "delete-after-5y" in page.locator(".flash").inner_text()
    row = page.locator('tr[data-policy="delete-after-5y"]').inner_text()
    assert "retained: 6 cases past the period, to delete" in row
    c.axe()
    page.get_by_role("button", name="Apply the retention policies…").click()
    page.wait_for_url(re.compile(r".*/privacy/retention/apply$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Apply the retention policies"
    c.axe()
    page.get_by_role("button", name="Apply these changes").click()
    page.wait_for_url(re.compile(r".*/privacy(#retention-heading)?$"))
    assert "new version of retained" in page.locator(".flash").inner_text()
    c.axe()
    # the form that came back with its error was a 422 response, as it should be
    assert [e for e in c.errors if "status of 422" not in e] == [], c.errors
    c.close()

    # without JavaScript: the same two posts (on the log imported afresh)
    assessment.delete_dataset(world.ctx, actor=SYSTEM, workspace_id=world.workspace_id,
                              name="retained", reason="imported afresh for the test")  # fmt: skip
    _ingest(world, tmp_path, "retained")
    context = browser.new_context(base_url=base, java_script_enabled=False)
    plain = context.new_page()
    plain.goto("/login")
    plain.get_by_label("Email").fill(world.emails["dpo"])
    plain.get_by_label("Password").fill(_browser.PASSWORD)
    plain.get_by_role("button", name="Sign in").click()
    plain.goto(f"{ws}/privacy")
    plain.get_by_role("button", name="Apply the retention policies…").click()
    plain.get_by_role("button", name="Apply these changes").click()
    plain.wait_for_url(re.compile(r".*/privacy(#retention-heading)?$"))
    assert "new version of retained" in plain.locator(".flash").inner_text()
    context.close()
