"""The filter stack and the case explorer on the workbench, on a log worked by hand:

case 1: a (day 1 00:00) -> b (01:00) -> c (03:00)
case 2: a (day 2 00:00) -> c (02:00)
case 3: a (day 3 00:00) -> b (03:00) -> c (04:00)
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient

from .conftest import World, make_app, sign_in
from .test_workbench import _upload_and_ingest

BODY = (
    b"case,activity,time\n"
    b"1,a,2024-01-01T00:00:00\n1,b,2024-01-01T01:00:00\n1,c,2024-01-01T03:00:00\n"
    b"2,a,2024-01-02T00:00:00\n2,c,2024-01-02T02:00:00\n"
    b"3,a,2024-01-03T00:00:00\n3,b,2024-01-03T03:00:00\n3,c,2024-01-03T04:00:00\n"
)


@pytest.fixture(scope="module")
def analyst(sqlite_world: World) -> tuple[TestClient, str, str]:
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["analyst"])
    ws = f"/w/{sqlite_world.workspace_id}"
    _upload_and_ingest(client, token, ws, "hand", BODY)
    return client, token, ws


def _funnel(html: str) -> list[tuple[str, int]]:
    section = html.split('id="funnel-heading"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*><td[^>]*>([^<]+)</td><td[^>]*>([\d,]+)</td>", section)
    return [(label, int(n.replace(",", ""))) for label, n in rows]


def _case_ids(html: str) -> list[str]:
    return re.findall(r'/assessment/cases/([^?"]+)\?', html)


def test_a_step_added_on_the_page_is_in_the_url_and_the_funnel_counts_it(
    analyst: tuple[TestClient, str, str],
) -> None:
    client, _, ws = analyst
    assert _funnel(client.get(f"{ws}/assessment?dataset=hand").text) == [("all cases", 3)]
    r = client.get(
        f"{ws}/assessment/filters/add",
        params={"dataset": "hand", "kind": "follows", "source": "a", "target": "b",
                "directly": "1", "exclude": "0", "tab": "variants"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    location = r.headers["location"]
    steps = [v for k, v in parse_qsl(urlsplit(location).query) if k == "step"]
    assert len(steps) == 1 and '"directly":true' in steps[0]
    page = client.get(location).text
    assert _funnel(page) == [("all cases", 3), ("cases where a is directly followed by b", 2)]
    # the link is the state: the same URL in another session gives the same view
    again = client.get(location).text
    assert _funnel(again) == _funnel(page)
    # the main filter form carries the step along, so Apply keeps the stack
    main_form = page.split('aria-label="Dataset and filters"', 1)[1].split("</form>", 1)[0]
    assert 'type="hidden" name="step"' in main_form
    # removing the step goes back to all cases
    query = urlsplit(location).query
    r = client.get(f"{ws}/assessment/filters/remove?{query}&index=0", follow_redirects=False)
    assert "step=" not in r.headers["location"]


def test_named_options_in_the_url_are_steps_too(analyst: tuple[TestClient, str, str]) -> None:
    client, _, ws = analyst
    page = client.get(f"{ws}/assessment?dataset=hand&ends_with=c&variant_top=1").text
    assert _funnel(page) == [
        ("all cases", 3),
        ("cases that end with c", 3),
        ("cases of the 1 most frequent variants", 2),
    ]


def test_the_case_list_behind_a_map_edge_sorted_and_paged(
    analyst: tuple[TestClient, str, str],
) -> None:
    client, _, ws = analyst
    base = f"{ws}/assessment/cases?dataset=hand&edge_from=a&edge_to=b"
    page = client.get(f"{base}&sort=wait&desc=1").text
    # case 3 waits 3 h on a -> b, case 1 one hour; case 2 never goes a -> b
    assert _case_ids(page) == ["3", "1"]
    assert "3.0 h" in page and "2 cases" in page
    assert _case_ids(client.get(f"{base}&sort=wait").text) == ["1", "3"]
    # HTMX swaps only the table
    fragment = client.get(
        f"{base}&sort=case_id", headers={"HX-Request": "true", "HX-Target": "case-table"}
    ).text
    assert "<html" not in fragment and _case_ids(fragment) == ["1", "3"]
    # the map's edge table, the variants and the bottlenecks link to their cases
    assert "edge_from=a&amp;edge_to=b" in client.get(f"{ws}/assessment?dataset=hand").text
    assert "of_variant=" in client.get(f"{ws}/assessment?dataset=hand&tab=variants").text
    assert "waiting_at=c" in client.get(f"{ws}/assessment?dataset=hand&tab=bottlenecks").text
    waiting = client.get(f"{ws}/assessment/cases?dataset=hand&waiting_at=c&sort=wait&desc=1").text
    assert _case_ids(waiting) == ["1", "2", "3"]  # 2 h, 2 h (case order), 1 h
    late = client.get(f"{ws}/assessment/cases?dataset=hand&sla_status=breached&target=150min").text
    assert _case_ids(late) == ["1", "3"]  # 3 h and 4 h against 2.5 h; case 2 took 2 h


def test_one_case_timeline(analyst: tuple[TestClient, str, str]) -> None:
    client, _, ws = analyst
    page = client.get(f"{ws}/assessment/cases/2?dataset=hand").text
    assert "Case 2" in page
    rows = re.findall(r"<td[^>]*>([abc])</td>\s*<td[^>]*>([\d: -]+)</td>", page)
    assert rows == [("a", "2024-01-02 00:00:00"), ("c", "2024-01-02 02:00:00")]
    assert "2.0 h" in page
    # a case the view's filter leaves out is not found in it
    r = client.get(f"{ws}/assessment/cases/2?dataset=hand&directly_follows=a->b")
    assert r.status_code == 404


def test_saved_filter_sets_are_ledgered_and_reproduce_the_stack(
    sqlite_world: World, analyst: tuple[TestClient, str, str]
) -> None:
    from civicflow.app import assessment

    client, token, ws = analyst
    r = client.post(
        f"{ws}/filter-sets?dataset=hand&ends_with=c&variant_top=1",
        data={"csrf_token": token, "set_name": "main-path"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    saved = assessment.get_filter_set(
        sqlite_world.ctx,
        actor=_actor(sqlite_world, "analyst"),
        workspace_id=sqlite_world.workspace_id,
        name="main-path",
    )
    assert saved.stack.labels() == [
        "cases that end with c",
        "cases of the 1 most frequent variants",
    ]
    with sqlite_world.ctx.read_session() as s:
        entries = list(sqlite_world.ctx.ledger.iter_entries(s.connection()))
    assert any(e.action == "filter_set.save" and e.object_id == "main-path" for e in entries)
    page = client.get(f"{ws}/assessment?dataset=hand").text
    link = re.search(r'href="(/w/[^"]+/assessment\?[^"]*step=[^"]+)">main-path</a>', page)
    assert link is not None
    assert _funnel(client.get(link.group(1).replace("&amp;", "&")).text)[-1] == (
        "cases of the 1 most frequent variants",
        2,
    )
    # the same name again is refused, with the reason
    r = client.post(
        f"{ws}/filter-sets?dataset=hand",
        data={"csrf_token": token, "set_name": "main-path"},
    )
    assert r.status_code == 422 and "already a filter set" in r.text


def test_a_viewer_reads_cases_but_cannot_save_sets(sqlite_world: World, analyst: object) -> None:
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["viewer"])
    ws = f"/w/{sqlite_world.workspace_id}"
    assert client.get(f"{ws}/assessment/cases?dataset=hand").status_code == 200
    assert "Save these filters" not in client.get(f"{ws}/assessment?dataset=hand").text
    r = client.post(
        f"{ws}/filter-sets?dataset=hand",
        data={"csrf_token": token, "set_name": "nope"},
        follow_redirects=False,
    )
    assert r.status_code == 403


def _actor(world: World, role: str):
    from civicflow.app import accounts

    with world.ctx.read_session() as s:
        from sqlalchemy import select

        from civicflow.app._models import UserRow

        user_id = s.scalars(select(UserRow.id).where(UserRow.email == world.emails[role])).one()
    return accounts.get_actor(world.ctx, user_id)
