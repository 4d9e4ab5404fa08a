"""A data-subject request's page in a real browser after an erasure: axe-core finds no serious or
critical WCAG 2.1 A/AA violation before and after the verification scan's result is shown, and
the identifier typed is not written back into the page."""

from __future__ import annotations

from typing import Any

import pytest

from civicflow.app import SYSTEM
from civicflow.app import privacy as pv

from .conftest import World
from .test_browser import Checked, browser, served  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
SUBJECT = "Planted Browseria"


def test_request_page_verifies_an_erasure_accessibly(
    served: tuple[str, World],  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    base, world = served
    ws = world.workspace_id
    req = pv.add_request(world.ctx, actor=SYSTEM, workspace_id=ws, kind="erasure",
                         identifiers=[SUBJECT])  # fmt: skip
    pv.verify_request(world.ctx, actor=SYSTEM, workspace_id=ws, request_id=req.id, how="eID login")
    pv.erase_subject(world.ctx, actor=SYSTEM, workspace_id=ws, request_id=req.id,
                     identifier=SUBJECT)  # fmt: skip
    c = Checked(browser, base)
    c.sign_in(world.emails["dpo"])
    page = c.page
    page.goto(f"/w/{ws}/privacy/requests/{req.id}")
    c.axe()
    page.locator("#rq-scan-identifier").fill(SUBJECT)
    page.get_by_role("button", name="Verify the erasure").click()
    verdict = page.locator("#scan-verdict")
    verdict.wait_for()
    assert "gone from every store" in verdict.inner_text()
    assert SUBJECT not in page.content()
    c.axe()
    assert not c.errors, c.errors
    c.close()
