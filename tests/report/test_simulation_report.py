"""The simulation report: a validation and a comparison as self-contained HTML, from their stored
JSON (the report layer reads dicts, never the planning domain)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from civicflow.core import InputError
from civicflow.demo import DemoConfig, build_demo_workspace
from civicflow.eventlog import DuckDBEngine
from civicflow.mining import LogView
from civicflow.planning import (
    ComparisonConfig,
    DiscoveryConfig,
    Scenario,
    Staffing,
    ValidationConfig,
    compare_scenarios,
    validate_model,
)
from civicflow.report import build_simulation_report, simulation_sections


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> LogView:
    _ws, ds = build_demo_workspace(
        path=tmp_path_factory.mktemp("demo") / "ws", config=DemoConfig(cases=500, seed=3)
    )
    return LogView(engine=DuckDBEngine(), dataset=ds)


def test_validation_report(view: LogView, tmp_path: Path) -> None:
    report = validate_model(
        view,
        ValidationConfig(replications=1, discovery=DiscoveryConfig(timezone="Europe/Amsterdam")),
    )
    result = json.loads(json.dumps(report.to_dict()))
    out = build_simulation_report(
        kind="validate", result=result, dataset=view.dataset.manifest, out=tmp_path / "v.html"
    )
    html = out.read_text(encoding="utf-8")
    assert "civicflow simulation report" in html
    assert report.verdict in html
    for f in report.findings:
        assert f.trust in html
    # one chart per distribution, each with its data table
    for d in report.distributions:
        assert f'id="sim-{d.key}"' in html
    data = json.loads(
        re.search(r'<script type="application/json" id="cf-data">(.*?)</script>', html, re.S).group(
            1
        )
    )  # type: ignore[union-attr]
    assert set(data["charts"]) == {f"sim-{d.key}" for d in report.distributions}
    # nothing is fetched: no external script or stylesheet
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', html)


def test_comparison_report(view: LogView, tmp_path: Path) -> None:
    from civicflow.planning import discover_model

    model = discover_model(view, DiscoveryConfig(timezone="Europe/Amsterdam"))
    cmp = compare_scenarios(
        model,
        [Scenario(name="five assessors", changes=[Staffing(pool="assessor", size=5)])],
        ComparisonConfig(cases=200, replications=2, workers=1),
    )
    result = json.loads(json.dumps(cmp.to_dict()))
    header, sections = simulation_sections("compare", result)
    assert header.title.startswith("Scenario comparison")
    table = sections[0].tables[0]
    assert table.columns == ("Measure", "as-is", "five assessors")
    assert table.rows[0][0] == "Throughput time, median"
    out = build_simulation_report(
        kind="compare", result=result, dataset=view.dataset.manifest, out=tmp_path / "c.html"
    )
    html = out.read_text(encoding="utf-8")
    for line in cmp.summary:
        assert line.replace("'", "&#39;") in html
    assert 'id="sim-throughput"' in html and 'id="sim-utilisation"' in html
    with pytest.raises(InputError):
        simulation_sections("run", result)
