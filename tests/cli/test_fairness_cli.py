"""`civicflow fairness audit | process | list`, in process, with --json: the audit reproduces
ProPublica's COMPAS rates, each run is a new version with its ledger entry, bad input names the
column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.core import InputError
from civicflow.demo import DemoConfig, build_demo_workspace
from conftest import shared_file

runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "ws"
    build_demo_workspace(path=path, config=DemoConfig(cases=500, seed=8))
    return path


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def test_audit_process_list(ws: Path) -> None:
    compas = str(shared_file("fairness", "compas_for_aequitas.csv"))
    args = ["fairness", "audit", compas, "-w", str(ws), "--outcome", "score", "--label",
            "label_value", "--group", "race", "--group", "sex", "--reference", "Caucasian",
            "--unfavourable", "--bootstrap", "100", "--name", "compas"]  # fmt: skip
    first = _json(args)
    assert (first["name"], first["version"]) == ("compas", 1)
    assert first["ledger_entry"]["action"] == "fairness.audit"
    fpr = {
        m["group"]: m["value"]
        for m in first["metrics"]
        if m["attribute"] == "race" and m["metric"] == "fpr"
    }
    assert round(100 * fpr["African-American"], 2) == 44.85
    assert round(100 * fpr["Caucasian"], 2) == 23.45
    assert first["findings"][0]["severity"] == "high"
    assert _json(args)["version"] == 2

    process = _json(
        [
            "fairness",
            "process",
            "-w",
            str(ws),
            "-d",
            "demo",
            "--group",
            "permit_type",
            "--control",
            "channel",
            "--correction",
            "bh",
        ]
    )
    assert process["ledger_entry"]["action"] == "fairness.process"
    assert process["config"]["correction"] == "bh" and process["cases"] == 500
    assert any(f["group"] == "monument" for f in process["findings"])

    listed = _json(["fairness", "list", "-w", str(ws)])
    assert [(a["name"], a["version"]) for a in listed][-2:] == [("compas", 2), ("compas", 1)]

    table = runner.invoke(app, ["fairness", "audit", compas, "-w", str(ws), "--outcome", "score",
                                "--group", "race", "--bootstrap", "0"])  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "Findings" in table.output and "Four-fifths rule" in table.output


def test_bad_input_names_the_column(ws: Path, tmp_path: Path) -> None:
    bad = tmp_path / "d.csv"
    bad.write_text("group,granted\na,1\nb,0\n")
    result = runner.invoke(
        app,
        ["fairness", "audit", str(bad), "-w", str(ws), "--outcome", "approved", "--group", "group"],
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError)
    assert "approved" in str(result.exception)
