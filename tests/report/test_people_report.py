"""The "People and pilots" report section from plain dicts: hours per role (chart and table),
teams, the evaluated pilots with verdicts and caveats; left out when there is nothing to show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from civicflow.report import ReportConfig, build_report, people_hours_chart, people_section

HOURS: dict[str, Any] = {
    "roles": [
        {"name": "caseworker", "resources": 4, "instances": 900, "hours": 2400.0,
         "hours_per_year": 3200.0, "fte": 2.0, "share": 0.8},
        {"name": "clerk", "resources": 2, "instances": 300, "hours": 600.0,
         "hours_per_year": 800.0, "fte": 0.5, "share": 0.2},
    ],
    "teams": [
        {"name": "north", "resources": 6, "instances": 1200, "hours": 3000.0,
         "hours_per_year": 4000.0, "fte": 2.5, "share": 1.0},
    ],
    "years": 0.75, "hours_per_fte": 1600.0, "instances_without_time": 0,
    "basis": "elapsed time",
    "note": "hours freed are working time for other tasks; an FTE is a unit of working time",
}  # fmt: skip
PILOTS: list[dict[str, Any]] = [
    {"title": "Online intake", "evaluation": {
        "verdict": "The pilot met its criteria: median throughput fell by 21 %.",
        "caveats": ["the baseline period is short", "no control group"]}},
    {"title": "Not yet run", "evaluation": None},
]  # fmt: skip


def test_the_section_shows_hours_and_pilots() -> None:
    assert people_section(None, []) is None
    assert people_section(None, [PILOTS[1]]) is None  # a pilot without evaluation: nothing
    section = people_section(HOURS, PILOTS)
    assert section is not None and section.title == "People and pilots"
    assert [f.value for f in section.figures] == ["4,000", "1"]
    assert "2.5 FTE at 1600 hours a year" in section.figures[0].definition
    [chart] = section.charts
    assert [v["name"] for v in chart.spec["data"]["values"]] == ["caseworker", "clerk"]
    assert chart.table is not None
    assert chart.table.rows[0][:4] == ("caseworker", "4", "3,200", "2.00")
    teams, pilots = section.tables
    assert teams.rows[0][0] == "north"
    assert pilots.rows == (
        ("Online intake", PILOTS[0]["evaluation"]["verdict"],
         "the baseline period is short; no control group"),
    )  # fmt: skip
    assert any("caseworker spends the most" in f for f in section.findings)
    assert "headcount" in section.intro and "never" in section.intro
    json.dumps(chart.spec)
    only_pilots = people_section(None, PILOTS)
    assert only_pilots is not None and not only_pilots.charts and len(only_pilots.tables) == 1


def test_chart_for_teams_is_labelled() -> None:
    chart = people_hours_chart(HOURS["teams"], title="Team")
    assert chart.id == "people-team" and "north 4,000 hours" in chart.label


def test_the_report_carries_the_section(small_view, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    section = people_section(HOURS, PILOTS)
    assert section is not None
    out = build_report(
        view=small_view, out=tmp_path / "r.html",
        config=ReportConfig(sections=("key-figures",), extra_sections=(section,)),
    )  # fmt: skip
    html = out.read_text(encoding="utf-8")
    assert 'id="people-pilots"' in html and "Online intake" in html and "no control group" in html
