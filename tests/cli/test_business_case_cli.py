"""`civicflow business-case create | list | show | version | evaluate | compare | delete |
from-opportunity | from-scenario`, in process, with --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.demo import DemoConfig, build_demo_workspace

runner = CliRunner()

CASE = {
    "name": "e-intake",
    "start": "2026-01-01",
    "years": 5,
    "discount_rate": 0.04,
    "costs": [
        {"title": "Build", "amount": {"low": 40000, "likely": 50000, "high": 80000},
         "category": "software"},
        {"title": "Licence", "amount": 10000, "category": "software", "recurrence": "recurring",
         "period": "year"},
    ],
    "benefits": [
        {"kind": "hours_saved", "role": "intake", "hourly_cost": 60,
         "hours_per_year": {"low": 600, "likely": 900, "high": 1100}},
        {"kind": "faster_service", "cases_per_year": 3000, "days_saved": 2, "value_per_day": 1.5},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "ws"
    build_demo_workspace(path=path, config=DemoConfig(cases=400, seed=8))
    return path


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def test_create_version_evaluate_compare_delete(ws: Path, tmp_path: Path) -> None:
    w = ["-w", str(ws)]
    file = tmp_path / "case.json"
    file.write_text(json.dumps(CASE))
    made = _json(["business-case", "create", str(file), *w, "--note", "first"])
    assert made["name"] == "e-intake" and made["latest_version"] == 1
    assert made["ledger_entry"]["action"] == "business_case.create"

    cheaper = json.loads(json.dumps(CASE))
    cheaper["costs"][0]["amount"] = 30000
    file.write_text(json.dumps(cheaper))
    v2 = _json(["business-case", "version", "e-intake", str(file), *w, "--note", "cheaper"])
    assert [v["version"] for v in v2["versions"]] == [1, 2]

    done = _json(["business-case", "evaluate", "e-intake", *w, "--draws", "2000",
                  "--payback-within", "3"])  # fmt: skip
    assert done["version"] == 2 and list(done["result"]["monte_carlo"]["payback_probability"]) == [
        "3"
    ]

    listed = _json(["business-case", "list", *w])["cases"]
    assert [(c["name"], c["versions"], c["evaluated"]) for c in listed] == [("e-intake", 2, True)]

    shown = _json(["business-case", "show", "e-intake", *w, "--version", "1",
                   "--out", str(tmp_path / "v1.json")])  # fmt: skip
    assert shown["shown_version"] == 1
    assert json.loads((tmp_path / "v1.json").read_text())["costs"][0]["amount"]["likely"] == 50000

    cmp = _json(["business-case", "compare", "e-intake@1", "e-intake@2", *w])
    one, two = cmp["columns"]
    assert two["figures"]["npv"] - one["figures"]["npv"] == pytest.approx(20000, abs=0.01)
    assert cmp["differing_inputs"] == ["Build: amount"]

    text = runner.invoke(app, ["business-case", "show", "e-intake", *w])
    assert text.exit_code == 0 and "Cash flow per year" in text.output and "P10" in text.output

    gone = _json(["business-case", "delete", "e-intake", *w])
    assert gone["ledger_entry"]["action"] == "business_case.delete"
    assert _json(["business-case", "list", *w])["cases"] == []


def test_a_bad_case_file_names_the_field(ws: Path, tmp_path: Path) -> None:
    bad = json.loads(json.dumps(CASE))
    bad["costs"][1]["amount"] = {"low": 9, "likely": 5, "high": 1}
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(bad))
    result = runner.invoke(app, ["business-case", "create", str(file), "-w", str(ws)])
    assert result.exit_code != 0
    message = str(result.exception)
    assert "costs[1].amount.low" in message and "low=9" in message
    assert _json(["business-case", "list", "-w", str(ws)])["cases"] == []


def test_from_opportunity(ws: Path) -> None:
    made = _json(["business-case", "from-opportunity", "-w", str(ws), "-d", "demo",
                  "--activity", "Check completeness", "--hourly-cost", "55",
                  "--exclude-attribute", "outcome"])  # fmt: skip
    assert made["case"]["name"] == "Automate Check completeness"
    assert made["evidence"]["handling_hours_per_year"] > 0
    assert made["scenario"] is None


def test_from_scenario_takes_the_benefits_a_comparison_measured(ws: Path, tmp_path: Path) -> None:
    w = ["-w", str(ws)]
    file = tmp_path / "case.json"
    file.write_text(json.dumps(CASE | {"name": "from-sim"}))
    _json(["business-case", "create", str(file), *w])
    scenario = tmp_path / "automated.json"
    scenario.write_text(
        json.dumps(
            {
                "name": "automated check",
                "changes": [
                    {"kind": "activity_duration", "activity": "Check completeness", "factor": 0.2}
                ],
            }
        )
    )
    _json(["simulate", "discover", *w, "-d", "demo", "--name", "permits-bc"])
    run = _json(["simulate", "compare", *w, "-m", "permits-bc", "-s", str(scenario),
                 "-n", "150", "-r", "2"])  # fmt: skip

    for bad in (["--hourly-cost", "cheap"], ["--hourly-cost", "55", "--hourly-cost", "intake=60"]):
        result = runner.invoke(app, ["business-case", "from-scenario", "from-sim", *w,
                                     "-s", "automated check", *bad])  # fmt: skip
        assert result.exit_code != 0 and "--hourly-cost" in str(result.exception)
    result = runner.invoke(app, ["business-case", "from-scenario", "from-sim", *w,
                                 "-s", "no such scenario", "--hourly-cost", "55"])  # fmt: skip
    assert result.exit_code != 0 and "no such scenario" in str(result.exception)
    assert _json(["business-case", "show", "from-sim", *w])["latest_version"] == 1

    made = _json(["business-case", "from-scenario", "from-sim", *w, "-s", "automated check",
                  "--hourly-cost", "55"])  # fmt: skip
    assert made["latest_version"] == 2 and made["run"] == run["id"]
    assert made["ledger_entry"]["action"] == "business_case.version"
    benefits = made["versions"][-1]["document"]["benefits"]
    assert [b["kind"] for b in benefits] == ["hours_saved"]  # estimates replaced by the measure
    assert benefits[0]["role"] == "intake" and benefits[0]["hourly_cost"] == 55


def test_the_report_has_the_business_case_section(ws: Path, tmp_path: Path) -> None:
    w = ["-w", str(ws)]
    out = tmp_path / "report.html"
    result = runner.invoke(
        app, ["report", *w, "-d", "demo", "--section", "key-figures", "-o", str(out)]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    assert 'id="business-case"' not in out.read_text(encoding="utf-8")
    file = tmp_path / "case.json"
    file.write_text(json.dumps(CASE | {"name": "in the report"}))
    _json(["business-case", "create", str(file), *w])
    _json(["business-case", "evaluate", "in the report", *w, "--draws", "1000"])
    result = runner.invoke(
        app, ["report", *w, "-d", "demo", "--section", "key-figures", "-o", str(out)]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    html = out.read_text(encoding="utf-8")
    assert 'id="business-case"' in html and "in the report" in html and "NPV distribution" in html
    _json(["business-case", "delete", "in the report", *w])
