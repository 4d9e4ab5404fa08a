"""The public chat page in a real browser: axe-core finds no serious or critical WCAG 2.1 A/AA
violation before and after answers, with HTMX swapping the conversation in place, and the same
page works with JavaScript switched off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from civicflow.app import SYSTEM
from civicflow.app import assistant as aa

from .conftest import World
from .test_browser import Checked, browser, served  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
FAQ = Path(__file__).parents[1] / "data" / "assistant" / "town_faq.csv"


def _enable(world: World) -> str:
    ws = world.workspace_id
    aa.import_knowledge(world.ctx, actor=SYSTEM, workspace_id=ws, path=FAQ, source="office")
    aa.configure_assistant(world.ctx, actor=SYSTEM, workspace_id=ws, enabled=True)
    return ws


def test_chat_page_is_accessible_and_swaps_in_place(
    served: tuple[str, World],  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    base, world = served
    ws = _enable(world)
    c = Checked(browser, base)
    page = c.page
    page.goto(f"/ask/{ws}")
    c.axe()
    page.get_by_label("Your question").fill("How do I renew my passport?")
    page.get_by_role("button", name="Ask").click()
    page.get_by_text("Book an appointment at the civic desk").wait_for()
    assert page.url.endswith(f"/ask/{ws}")  # swapped in place, no navigation
    assert page.get_by_label("Your question").input_value() == ""
    c.axe()
    page.get_by_label("Your question").fill("what is the meaning of life")
    page.get_by_role("button", name="Ask").click()
    page.get_by_role("button", name="Pass my question to a person").click()
    page.get_by_text("A member of our team will reply here").wait_for()
    c.axe()
    assert not c.errors, c.errors
    c.close()


def test_chat_page_works_without_javascript(
    served: tuple[str, World],  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    base, world = served
    ws = world.workspace_id
    if not aa.assistant_settings(world.ctx, actor=SYSTEM, workspace_id=ws).enabled:
        _enable(world)
    context = browser.new_context(base_url=base, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"/ask/{ws}")
    page.get_by_label("Your question").fill("when is the green waste bin collected")
    page.get_by_role("button", name="Ask").click()
    page.get_by_text("every second Tuesday").wait_for()
    assert "#turn-" in page.url  # the plain form's redirect back to the conversation
    context.close()
