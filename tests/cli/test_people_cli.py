"""``civicflow people hours|skills`` and ``civicflow pilots design|list|evaluate``, in process,
with --json, on a demo log with a known injected effect."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.demo import DemoConfig, build_demo_workspace

runner = CliRunner()
PILOT = ["Centre", "North", "East"]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("people") / "ws"
    config = DemoConfig(
        cases=2000, seed=1, period_days=240, assessor_utilisation=0.6, effect=0.6,
        effect_start=date(2024, 5, 1), effect_districts=tuple(PILOT),
    )  # fmt: skip
    build_demo_workspace(path=path, config=config)
    return path


def _json(*args: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def test_hours_per_role_with_a_role_table_and_fte(ws: Path, tmp_path: Path) -> None:
    table = tmp_path / "roles.csv"
    table.write_text("resource,role\nassessor-01,senior assessor\n")
    data = _json("people", "hours", "-w", str(ws), "-d", "demo", "--roles", str(table),
                 "--hours-per-fte", "1400")  # fmt: skip
    roles = {r["name"]: r for r in data["roles"]}
    assert {"assessor", "senior assessor", "intake", "officer", "manager"} == set(roles)
    assert roles["senior assessor"]["resources"] == 1
    assert roles["intake"]["fte"] == pytest.approx(roles["intake"]["hours_per_year"] / 1400)
    assert "not a number of people" in data["note"]
    bad = runner.invoke(app, ["people", "hours", "-w", str(ws), "-d", "demo",
                              "--role-attribute", "grade"])  # fmt: skip
    assert bad.exit_code != 0 and "role_attribute" in str(bad.exception)


def test_skills_matrix_to_training_budget(ws: Path, tmp_path: Path) -> None:
    matrix = tmp_path / "skills.csv"
    matrix.write_text(
        "role,skill,needed,available,course,cost_per_person\n"
        "assessor,digital intake,3,1,Digital intake,450\nintake,triage,2,2,Triage,300\n"
    )
    data = _json("people", "skills", str(matrix), "-w", str(ws), "--budget",
                 "--start-date", "2025-01-01")  # fmt: skip
    assert data["total_cost"] == 900.0 and data["covered"] == ["intake / triage"]
    [line] = data["budget_lines"]
    assert line["category"] == "training" and float(line["amount"]) == 900.0
    assert data["ledger_entry"]["action"] == "budget_line.create"
    matrix.write_text("role,skill,needed,available\nassessor,x,-1,0\n")
    bad = runner.invoke(app, ["people", "skills", str(matrix)])
    assert bad.exit_code != 0 and "needed" in str(bad.exception)


def test_pilot_design_and_evaluation(ws: Path, tmp_path: Path) -> None:
    scope = tmp_path / "pilot.json"
    scope.write_text(json.dumps({"steps": [
        {"kind": "attribute", "attribute": "district", "values": PILOT}]}))  # fmt: skip
    control = json.dumps(
        {
            "steps": [
                {"kind": "attribute", "attribute": "district", "values": PILOT, "exclude": True}
            ]
        }
    )
    designed = _json("pilots", "design", "-w", str(ws), "--title", "Online intake",
                     "-d", "demo", "--start", "2024-05-01", "--end", "2024-07-31",
                     "--criterion", "throughput_median_days=3", "--scope-filter", str(scope),
                     "--control-filter", control)  # fmt: skip
    assert designed["sample_size"]["per_group"] > 0
    assert "you need about" in designed["sample_size"]["sentence"]
    result = _json("pilots", "evaluate", "-w", str(ws), "Online intake", "--n-boot", "300")
    assert result["did"]["significant"] and result["did"]["relative_effect"] < -0.3
    assert result["ledger_entry"]["action"] == "pilot.evaluate"
    listed = _json("pilots", "list", "-w", str(ws))
    assert listed[0]["evaluation"]["verdict"] == result["verdict"]
    text = runner.invoke(app, ["pilots", "evaluate", "-w", str(ws), "Online intake",
                               "--n-boot", "200"])  # fmt: skip
    assert text.exit_code == 0 and "verdict:" in text.stdout and "caveat:" in text.stdout
    empty = runner.invoke(app, ["pilots", "design", "-w", str(ws), "--title", "Later",
                                "-d", "demo", "--start", "2031-01-01", "--end", "2031-02-01",
                                "--criterion", "throughput_median_days=3"])  # fmt: skip
    assert empty.exit_code == 0, empty.output
    failed = runner.invoke(app, ["pilots", "evaluate", "-w", str(ws), "Later"])
    assert failed.exit_code != 0 and "start_date" in str(failed.exception)
