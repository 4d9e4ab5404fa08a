"""``civicflow opportunities`` on the demo log: the ranking, the rule in words, weights that
reorder, and a bad weight refused with the field and value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.demo import DemoConfig, build_demo_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("opp") / "ws"
    build_demo_workspace(path=path, config=DemoConfig(cases=2000, seed=5))
    return path


def run(*args: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["opportunities", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_ranking_as_json_with_evidence_and_rules(ws: Path) -> None:
    data = run("-w", str(ws), "-d", "demo", "--exclude-attribute", "outcome", "--json")
    ranked = [o["activity"] for o in data["opportunities"]]
    assert ranked[0] == "Assess application" and len(ranked) == 10
    check = next(o for o in data["opportunities"] if o["activity"] == "Check completeness")
    assert any(
        "permit_type is dormer → Fast-track decision" in r for r in check["decision"]["rule"]
    )
    assert {s["name"] for s in check["signals"]} == set(data["definitions"])
    assert "outcome" not in check["decision"]["attributes"]
    assert data["weights"]["rule"] == 1.0


def test_weights_reorder_and_a_bad_weight_is_refused(ws: Path) -> None:
    zero = [
        f"--weight={n}=0"
        for n in ("volume", "handling", "waiting", "rework", "consistency", "people")
    ]
    data = run("-w", str(ws), "-d", "demo", "--exclude-attribute", "outcome", *zero, "--json")
    assert data["opportunities"][0]["activity"] == "Check completeness"
    table = runner.invoke(app, ["opportunities", "-w", str(ws), "-d", "demo", "--top", "3"])
    assert table.exit_code == 0 and "Assess" in table.output
    bad = runner.invoke(app, ["opportunities", "-w", str(ws), "-d", "demo", "--weight", "speed=2"])
    assert bad.exit_code != 0
    error = bad.output + str(bad.exception)
    assert "found:    speed=2" in error and "field '--weight'" in error
