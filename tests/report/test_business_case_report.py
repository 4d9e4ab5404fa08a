"""The "Business case" report section and its charts, from the stored JSON of a case."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from civicflow.planning import (
    BusinessCase,
    CostLine,
    HoursSaved,
    MonteCarloConfig,
    Range,
    case_to_dict,
    monte_carlo,
    monte_carlo_to_dict,
    result_to_dict,
    tornado,
    tornado_to_dict,
)
from civicflow.report import ReportConfig, build_report, business_case_charts, business_case_section

CASE = BusinessCase(
    name="e-intake", start=date(2026, 1, 1), years=4,
    costs=(CostLine(title="Build", amount=Range(low=40_000, likely=50_000, high=80_000),
                    start=date(2026, 1, 1), category="software"),),
    benefits=(HoursSaved(role="intake", hours_per_year=Range(low=600, likely=900, high=1_100),
                         hourly_cost=60),),
)  # fmt: skip


def stored(result: bool) -> dict:
    """What ``StoredCase.to_dict()`` gives, with the latest version's base case."""
    evaluated = {
        "monte_carlo": monte_carlo_to_dict(monte_carlo(CASE, MonteCarloConfig(draws=5_000))),
        "tornado": tornado_to_dict(tornado(CASE)),
    }
    version = {
        "version": 2,
        "document": case_to_dict(CASE),
        "result": evaluated if result else None,
    }
    return {"name": CASE.name, "versions": [version], "base": result_to_dict(CASE.evaluate())}


def test_the_section_lists_every_case_and_charts_the_evaluated_ones() -> None:
    assert business_case_section([]) is None
    section = business_case_section([stored(True), stored(False) | {"name": "draft"}])
    assert section is not None and section.title == "Business case"
    [table] = section.tables
    assert [r[0] for r in table.rows] == ["e-intake", "draft"]
    assert table.rows[1][6] == "not evaluated"
    assert [c.id for c in section.charts] == [
        "bc0-cash-flow",
        "bc0-npv",
        "bc0-payback",
        "bc0-tornado",
    ]
    assert len(section.findings) == 1 and "P10" in section.findings[0]
    json.dumps([c.spec for c in section.charts])  # the specs are plain JSON


def test_the_charts_carry_the_numbers() -> None:
    case = stored(True)
    cash, npv, payback, torn = business_case_charts(case["base"], case["versions"][0]["result"])
    assert len(cash.spec["data"]["values"]) == 3 * CASE.years
    assert cash.table is not None and cash.table.rows[0][1] == "50,000"
    marks = npv.spec["layer"][1]["data"]["values"]
    assert [m["label"].split()[0] for m in marks] == ["P10", "P50", "P90"]
    assert sum(v["count"] for v in npv.spec["data"]["values"]) == 5_000
    assert payback.table is not None and len(payback.table.rows) == 5
    assert torn.table is not None
    # the widest bar first: 500 hours a year × 60 over three years beat 40,000 of build cost
    assert [r[0] for r in torn.table.rows] == [
        "hours saved: intake: hours per year",
        "Build: amount",
    ]
    assert torn.table.rows[1][1:3] == ("40,000", "80,000")
    only_base = business_case_charts(case["base"], None)
    assert [c.id for c in only_base] == ["bc-cash-flow"]


def test_the_report_ends_with_the_section(small_view, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    section = business_case_section([stored(True)])
    assert section is not None
    out = build_report(
        view=small_view, out=tmp_path / "r.html",
        config=ReportConfig(sections=("key-figures",), extra_sections=(section,)),
    )  # fmt: skip
    html = out.read_text(encoding="utf-8")
    assert 'id="business-case"' in html and "NPV distribution" in html
