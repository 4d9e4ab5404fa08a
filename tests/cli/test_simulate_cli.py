"""`civicflow simulate discover | import | run | validate | compare | list`, in process, with --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.core import ConfigurationError, InputError
from civicflow.demo import DemoConfig, build_demo_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "ws"
    build_demo_workspace(path=path, config=DemoConfig(cases=600, seed=8))
    return path


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def test_discover_run_compare_validate_list(ws: Path, tmp_path: Path) -> None:
    w = ["-w", str(ws)]
    out = tmp_path / "model.json"
    found = _json(
        ["simulate", "discover", *w, "-d", "demo", "--name", "permits",
         "--timezone", "Europe/Amsterdam", "--country", "NL", "--out", str(out)]
    )  # fmt: skip
    assert found["name"] == "permits" and found["dataset"] == "demo"
    assert found["ledger_entry"]["action"] == "simulation_model.create"
    assert json.loads(out.read_text())["schema_version"] == 1

    # edit the document and import it in place of the stored model
    doc = json.loads(out.read_text())
    doc["pools"]["assessor"]["size"] = 5
    out.write_text(json.dumps(doc))
    imported = _json(["simulate", "import", str(out), *w, "--model", "permits"])
    assert imported["id"] == found["id"]
    assert imported["model"]["pools"]["assessor"]["size"] == 5
    assert imported["ledger_entry"]["action"] == "simulation_model.update"

    scenario = tmp_path / "three.json"
    scenario.write_text(
        json.dumps(
            {
                "name": "3 assessors",
                "changes": [{"kind": "staffing", "pool": "assessor", "size": 3}],
            }
        )
    )
    run = _json(
        ["simulate", "run", *w, "-m", "permits", "-s", str(scenario), "-n", "150", "-d", "sim"]
    )
    assert run["result"]["cases"] == 150 and run["dataset"] == "sim"
    assert run["result"]["scenario"] == "3 assessors"
    assert (ws / "datasets" / "sim").is_dir()

    compared = _json(
        ["simulate", "compare", *w, "-m", "permits", "-s", "3 assessors", "-n", "300",
         "-r", "2", "--sla-days", "20"]
    )  # fmt: skip
    result = compared["result"]
    assert result["as_is"]["pool_sizes"]["assessor"] == 5
    assert result["scenarios"][0]["pool_sizes"]["assessor"] == 3
    assert result["as_is"]["sla_compliance"] is not None
    assert len(result["summary"]) == 1
    assert compared["ledger_entry"]["action"] == "simulation.compare"

    validated = _json(
        ["simulate", "validate", *w, "-d", "demo", "-r", "1", "--timezone", "Europe/Amsterdam"]
    )
    assert {m["key"] for m in validated["result"]["measures"]} >= {"control_flow", "cycle_time"}
    assert "model" not in validated["result"]
    assert validated["result"]["verdict"]

    listed = _json(["simulate", "list", *w])
    assert [m["name"] for m in listed["models"]] == ["permits"]
    assert [s["name"] for s in listed["models"][0]["scenarios"]] == ["3 assessors"]
    assert sorted(r["kind"] for r in listed["runs"]) == ["compare", "run", "validate"]

    # without --json: the tables and the summary
    plain = runner.invoke(app, ["simulate", "compare", *w, "-m", "permits", "-s", "3 assessors",
                                "-n", "200", "-r", "2"])  # fmt: skip
    assert plain.exit_code == 0, plain.output
    assert "throughput time, median" in plain.stdout


def test_bad_scenarios_and_models_are_named(ws: Path, tmp_path: Path) -> None:
    w = ["-w", str(ws)]
    _json(["simulate", "discover", *w, "-d", "demo", "--name", "other"])
    result = runner.invoke(app, ["simulate", "compare", *w, "-m", "other", "-s", "nope"])
    assert isinstance(result.exception, InputError)
    assert "nope" in str(result.exception)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "changes": [{"kind": "staffing", "pool": "ghost"}]}))
    result = runner.invoke(app, ["simulate", "compare", *w, "-m", "other", "-s", str(bad)])
    assert isinstance(result.exception, ConfigurationError)
    assert result.exception.where is not None
    assert result.exception.where.field == "changes[0].pool"
    broken = tmp_path / "model.json"
    broken.write_text(json.dumps({"schema_version": 1, "name": "m"}))
    result = runner.invoke(app, ["simulate", "import", str(broken), *w])
    assert isinstance(result.exception, ConfigurationError)
