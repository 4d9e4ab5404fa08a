"""Drafting, approving and publishing a rule set version, and deciding a batch, in a real browser
(Debian's Chromium through Playwright) with axe-core on each page: a bad rule set named in the
error summary (its link moves to the text), a DMN model uploaded with its tests, the author
refused approval on the page, another officer approving and publishing on confirmation pages
with JavaScript switched off, and a caseworker's batch followed to its counts and review items."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import shared_file

from civicflow.decisions import EXAMPLES

from . import test_browser as _browser
from .conftest import PASSWORD, World
from .test_browser import Checked

browser, served = _browser.browser, _browser.served

pytestmark = pytest.mark.browser


def _loan(tmp: Path) -> tuple[Path, str]:
    model = tmp / "loan.dmn"
    model.write_text(shared_file("decisions", "camunda", "personLoanCompliance.dmn").read_text())
    expected = json.loads(
        shared_file("decisions", "camunda", "personLoanCompliance.expected.json").read_text()
    )
    tests = "ruleset: browser_loan\ncases:\n" + "".join(
        f"  - name: camunda case {c['id']}\n    date: 2026-03-01\n"
        f"    inputs: {json.dumps(c['inputs'])}\n"
        f"    expected: {{Person Loan Compliance: {c['expected']}}}\n"
        for c in expected["cases"]
    )
    return model, tests


def test_draft_approve_publish_and_decide_a_batch(
    served: tuple[str, World], browser: Any, tmp_path: Path
) -> None:
    base, world = served
    ws = f"/w/{world.workspace_id}"
    author = Checked(browser, base)
    page = author.page
    author.sign_in(world.emails["service_owner"])
    page.goto(f"{ws}/rules")
    author.axe()
    page.get_by_role("link", name="Draft a rule set or DMN model").click()
    page.wait_for_url(re.compile(r".*/rules/versions/new$"))
    author.axe()
    bad = (
        (EXAMPLES / "social_support.yaml")
        .read_text()
        .replace("household_income <= applicable_limit", "household_income <= no_such_rule", 1)
    )
    page.locator("#draft-text").fill(bad)
    page.locator("#draft-tests").fill((EXAMPLES / "social_support.tests.yaml").read_text())
    page.get_by_role("button", name="Check and store the draft").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "no_such_rule" in summary.inner_text() and "line" in summary.inner_text()
    assert summary.locator("a").first.get_attribute("href") == "#draft-text"
    author.axe()

    model, tests = _loan(tmp_path)
    page.locator("#draft-text").fill("")
    page.locator("#draft-text-file").set_input_files(str(model))
    page.locator("#draft-tests").fill(tests)
    page.locator("#draft-name").fill("browser_loan")
    page.locator("#draft-positive").fill("Compliant")
    page.get_by_role("button", name="Check and store the draft").click()
    page.wait_for_url(re.compile(r".*/rules/versions/rsv_\w+$"))
    version_url = page.url
    assert "2 of 2 pass" in page.content()
    author.axe()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("text=You drafted this version")
    page.goto(f"{version_url}/approve")
    assert "you cannot approve it" in page.content()
    assert page.get_by_role("button", name="Approve version 1").count() == 0
    author.axe()

    approver = Checked(browser, base)
    approver.sign_in(world.emails["admin"])
    approver.page.goto(f"{version_url}/approve")
    approver.axe()
    approver.page.goto(f"{version_url}/publish")  # not approved yet: nothing to confirm
    assert "nothing to confirm" in approver.page.content()
    approver.axe()

    # the confirmation steps are plain forms: they work with JavaScript switched off
    plain = browser.new_context(base_url=base, java_script_enabled=False)
    p = plain.new_page()
    p.goto("/login")
    p.get_by_label("Email").fill(world.emails["admin"])
    p.get_by_label("Password").fill(PASSWORD)
    p.get_by_role("button", name="Sign in").click()
    p.wait_for_url(re.compile(r".*/$"))
    p.goto(f"{version_url}/approve")
    p.get_by_role("button", name="Approve version 1").click()
    p.wait_for_url(re.compile(r".*/rules/versions/rsv_\w+$"))
    assert "approved" in p.locator("h1").inner_text()
    p.get_by_role("link", name="Publish this version").click()
    assert "2 of 2 pass" in p.content()
    p.get_by_role("button", name="Publish version 1").click()
    p.wait_for_url(re.compile(r".*/rules/versions/rsv_\w+$"))
    assert "published" in p.locator("h1").inner_text()
    plain.close()
    approver.page.goto(version_url)
    approver.axe()

    worker = Checked(browser, base)
    worker.sign_in(world.emails["caseworker"])
    worker.page.goto(f"{ws}/rules")
    worker.axe()
    cases = tmp_path / "loans.csv"
    cases.write_text(
        "case_ref,creditRating,creditBalance,loanBalance\n"
        "L-1,A,5000,10000\nL-2,B,10000,50000\nL-3,A,2000,5000\n"
    )
    worker.page.locator("#batch-ruleset").select_option("browser_loan")
    worker.page.locator("#batch-date").fill("2026-03-01")
    worker.page.locator("#batch-cases").set_input_files(str(cases))
    worker.page.get_by_role("button", name="Decide the batch").click()
    worker.page.wait_for_url(re.compile(r".*/rules/batches/dbt_\w+$"), timeout=30_000)
    text = worker.page.content()
    assert "Batch of 3 decisions" in text and "Review items (3)" in text
    assert "its digest matches the stored decisions" in text
    worker.axe()
    for c in (author, approver, worker):
        assert [e for e in c.errors if "status of 422" not in e] == [], c.errors
        c.close()
