"""The filter stack and the case explorer in a real browser, with axe-core on every page
(see test_browser.py). The log, worked by hand:

    case 1: a (day 1 00:00) -> b (01:00) -> c (03:00)
    case 2: a (day 2 00:00) -> c (02:00)
    case 3: a (day 3 00:00) -> b (03:00) -> c (04:00)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import World
from .test_browser import Checked, browser, served  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

CSV = (
    "case,activity,time\n"
    "1,a,2024-01-01T00:00:00\n1,b,2024-01-01T01:00:00\n1,c,2024-01-01T03:00:00\n"
    "2,a,2024-01-02T00:00:00\n2,c,2024-01-02T02:00:00\n"
    "3,a,2024-01-03T00:00:00\n3,b,2024-01-03T03:00:00\n3,c,2024-01-03T04:00:00\n"
)


def _ingest(world: World, tmp: Path) -> None:
    from civicflow.app import accounts, assessment
    from civicflow.eventlog import ColumnMapping

    source = tmp / "hand.csv"
    source.write_text(CSV, encoding="utf-8")
    with world.ctx.read_session() as s:
        from sqlalchemy import select

        from civicflow.app._models import UserRow

        admin_id = s.scalars(select(UserRow.id).where(UserRow.email == world.emails["admin"])).one()
    assessment.ingest_dataset(
        world.ctx,
        actor=accounts.get_actor(world.ctx, admin_id),
        workspace_id=world.workspace_id,
        source=source,
        name="hand",
        mapping=ColumnMapping(case_id="case", activity="activity", timestamp="time"),
    )


def _case_ids(page: Any) -> list[str]:
    return [
        t.strip()
        for t in page.locator("table.case-list tbody tr td:first-child a").all_inner_texts()
    ]


def test_filter_stack_and_case_explorer(
    served: tuple[str, World],  # noqa: F811
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    base, world = served
    _ingest(world, tmp_path)
    ws = f"/w/{world.workspace_id}"
    c = Checked(browser, base)
    page = c.page
    c.sign_in(world.emails["analyst"])
    page.goto(f"{ws}/assessment?dataset=hand")
    page.wait_for_selector("#process-map[data-rendered='frequency'] svg", timeout=30_000)
    c.axe()

    # add a step: a directly followed by b; the funnel counts it and the URL carries it
    page.locator("summary", has_text="Add a filter step").click()
    form = page.get_by_role("form", name="Follows")
    form.get_by_label("Activity").fill("a")
    form.get_by_label("is").select_option("1")
    form.get_by_label("followed by").fill("b")
    form.get_by_role("button", name="Add").click()
    page.wait_for_url(re.compile(r".*step=.*"))
    funnel = page.locator("#funnel-heading + table").inner_text()
    assert "cases where a is directly followed by b\t2" in funnel
    c.axe()
    c.shot("filter-stack")
    shared = page.url

    # save the stack as a set; it is offered on the page afterwards
    page.locator("summary", has_text="Saved filter sets").click()
    page.get_by_label("Save these filters as").fill("a-then-b")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    page.locator("summary", has_text="Saved filter sets").click()
    assert page.get_by_role("link", name="a-then-b").is_visible()
    c.axe()

    # the cases behind a map edge, from the edges table; sorting swaps the table in place
    page.goto(f"{ws}/assessment?dataset=hand")
    page.locator("summary", has_text="The edges as a table").click()
    page.get_by_role("link", name=re.compile("cases from a to b")).click()
    page.wait_for_url(re.compile(r".*/assessment/cases\?.*edge_from=a.*"))
    assert _case_ids(page) == ["3", "1"]  # by wait, longest first: 3 h, 1 h
    c.axe()
    page.get_by_role("link", name=re.compile("^Case")).click()
    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(r".*sort=case_id.*"))
    expect(page.locator("table.case-list tbody tr td:first-child a").first).to_have_text("1")
    assert _case_ids(page) == ["1", "3"]
    c.axe()

    # one case's timeline
    page.get_by_role("link", name="3", exact=True).click()
    page.wait_for_url(re.compile(r".*/assessment/cases/3\?.*"))
    rows = page.locator("table.timeline tbody tr")
    assert rows.count() == 3
    assert "3.0 h" in rows.nth(1).inner_text()
    c.axe()
    c.shot("case-timeline")

    # a variant's cases and a bottleneck's cases
    page.goto(f"{ws}/assessment?dataset=hand&tab=variants")
    page.get_by_role("link", name=re.compile("the cases of variant 1")).click()
    assert _case_ids(page) == ["1", "3"]
    c.axe()
    page.goto(f"{ws}/assessment?dataset=hand&tab=bottlenecks")
    page.get_by_role("link", name=re.compile("^c \\(the cases waiting")).click()
    assert _case_ids(page) == ["1", "2", "3"]
    c.axe()

    # the shared link gives the same view in another session
    other = Checked(browser, base)
    other.sign_in(world.emails["viewer"])
    other.page.goto(shared)
    assert (
        "cases where a is directly followed by b\t2"
        in other.page.locator("#funnel-heading + table").inner_text()
    )
    other.axe()
    other.close()

    assert not c.errors, c.errors
    c.close()
