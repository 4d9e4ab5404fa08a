"""Every analysis the report has is a workbench tab too, and every tab works on a filtered view:
the numbers a tab shows are those of the filtered cases, worked out by hand on a small log."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from civicflow.mining import ANALYSES, WEB_TABS

from .conftest import World, make_app, sign_in

# five cases; the filter "with activity c" keeps c1, c2 and c3
CSV = (
    "case,activity,time,resource\n"
    "c1,a,2024-01-01T08:00:00,ann\nc1,b,2024-01-01T09:00:00,bob\nc1,c,2024-01-01T11:00:00,ann\n"
    "c2,a,2024-01-02T08:00:00,ann\nc2,c,2024-01-02T12:00:00,bob\n"
    "c3,a,2024-01-03T08:00:00,bob\nc3,b,2024-01-03T10:00:00,ann\nc3,b,2024-01-03T11:00:00,ann\n"
    "c3,c,2024-01-03T14:00:00,bob\n"
    "c4,a,2024-01-08T08:00:00,ann\nc4,d,2024-01-08T09:00:00,bob\n"
    "c5,a,2024-01-09T08:00:00,bob\nc5,d,2024-01-09T08:30:00,ann\n"
)


@pytest.fixture(scope="module")
def client(sqlite_world: World, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    from civicflow.app import SYSTEM, accounts, assessment
    from civicflow.eventlog import ColumnMapping

    source = tmp_path_factory.mktemp("tabs") / "tabs.csv"
    source.write_text(CSV, encoding="utf-8")
    root = next(
        u
        for u in accounts.list_users(sqlite_world.ctx, actor=SYSTEM)
        if u.email == sqlite_world.emails["global_admin"]
    )
    admin = accounts.get_actor(sqlite_world.ctx, root.id)
    assessment.ingest_dataset(
        sqlite_world.ctx,
        actor=admin,
        workspace_id=sqlite_world.workspace_id,
        source=source,
        name="tabs",
        mapping=ColumnMapping(
            case_id="case", activity="activity", timestamp="time", resource="resource"
        ),
    )
    c = TestClient(make_app(sqlite_world))
    sign_in(c, sqlite_world.emails["viewer"])
    return c


def _tab(client: TestClient, world: World, tab: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"dataset": "tabs", **params}.items())
    r = client.get(f"/w/{world.workspace_id}/assessment/view/{tab}?{query}")
    assert r.status_code == 200, r.text[:800]
    return r.text


def test_every_report_section_with_an_analysis_has_a_tab() -> None:
    from civicflow.report import REPORT_SECTIONS

    by_section = {a.report_section for a in ANALYSES if a.web_tab}
    # key figures are above every tab
    assert set(REPORT_SECTIONS) - by_section == {"key-figures"}
    assert {
        "throughput",
        "arrivals",
        "activities",
        "resources",
        "dotted",
        "spectrum",
        "replay",
    } <= set(WEB_TABS)


@pytest.mark.parametrize("tab", WEB_TABS)
def test_every_tab_renders_on_the_filtered_view(
    client: TestClient, sqlite_world: World, tab: str
) -> None:
    html = _tab(client, sqlite_world, tab, present="c")
    # the page of the tab (with its link text) renders too
    page = client.get(f"/w/{sqlite_world.workspace_id}/assessment?dataset=tabs&present=c&tab={tab}")
    assert page.status_code == 200 and 'aria-current="page"' in page.text
    assert "Traceback" not in html


def test_throughput_tab_counts_the_filtered_cases(client: TestClient, sqlite_world: World) -> None:
    everything = _tab(client, sqlite_world, "throughput")
    filtered = _tab(client, sqlite_world, "throughput", present="c")
    # c1 3 h, c2 4 h, c3 6 h: median 4.0 h; with c4 (1 h) and c5 (30 min) the median is 3.0 h
    assert "Median throughput time<strong>4.0 h</strong>" in filtered
    assert "Median throughput time<strong>3.0 h</strong>" in everything
    assert "3 cases" in filtered


def test_dotted_tab_draws_one_dot_per_filtered_event(
    client: TestClient, sqlite_world: World
) -> None:
    html = _tab(client, sqlite_world, "dotted", present="c")
    spec = _spec(html, "Dotted chart")
    assert len(spec["data"]["values"]) == 9  # c1 3 + c2 2 + c3 4
    assert [v["row"] for v in spec["data"]["values"]][:3] == [0, 0, 0]
    assert "Every case is drawn (3 cases, 9 events)." in html


def test_spectrum_tab_takes_the_chosen_pair(client: TestClient, sqlite_world: World) -> None:
    html = _tab(client, sqlite_world, "spectrum", present="c", from_activity="a", to_activity="b")
    spec = _spec(html, "Performance spectrum")
    # a→b directly: c1 (1 h) and c3 (2 h)
    assert sorted(v["case_id"] for v in spec["data"]["values"]) == ["c1", "c3"]
    bad = client.get(
        f"/w/{sqlite_world.workspace_id}/assessment/view/spectrum?dataset=tabs&from_activity=zz&to_activity=b"
    )
    assert bad.status_code in (400, 404, 422) and "zz" in bad.text


def test_resources_tab_draws_the_handover_graph(client: TestClient, sqlite_world: World) -> None:
    html = _tab(client, sqlite_world, "resources", present="c")
    dot = re.search(r'data-dot="([^"]*)"', html)
    assert dot is not None
    text = dot.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&gt;", ">")
    # filtered handovers: ann→bob c1 (b→? no: a ann, b bob = ann→bob), ...
    assert '"ann" -> "bob"' in text and '"bob" -> "ann"' in text


def test_replay_tab_carries_the_filtered_case_paths(
    client: TestClient, sqlite_world: World
) -> None:
    import html as html_lib
    import json

    html = _tab(client, sqlite_world, "replay", present="c")
    raw = re.search(r'data-replay-data="([^"]*)"', html)
    assert raw is not None
    data = json.loads(html_lib.unescape(raw.group(1)))
    assert [c[0] for c in data["cases"]] == [["a", "b", "c"], ["a", "c"], ["a", "b", "b", "c"]]
    # offsets from the first event (c1 a at 2024-01-01 08:00) in seconds
    assert data["cases"][0][1] == [0.0, 3600.0, 3 * 3600.0]
    assert data["cases"][1][1][0] == 86400.0
    assert "Every case is replayed (3)." in html


def test_section_tabs_export_their_table(client: TestClient, sqlite_world: World) -> None:
    ws = f"/w/{sqlite_world.workspace_id}"
    r = client.get(f"{ws}/assessment/export/activities.csv?dataset=tabs&present=c")
    assert r.status_code == 200
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("Activity,")
    r = client.get(f"{ws}/assessment/export/throughput.json?dataset=tabs&present=c")
    assert r.json()["id"] == "throughput"


def _spec(html: str, label_start: str) -> dict[str, Any]:
    import html as html_lib
    import json

    for m in re.finditer(r'data-vega-spec="([^"]*)" role="img" aria-label="([^"]*)"', html):
        if html_lib.unescape(m.group(2)).startswith(label_start):
            return json.loads(html_lib.unescape(m.group(1)))  # type: ignore[no-any-return]
    raise AssertionError(f"no chart labelled {label_start!r}")
