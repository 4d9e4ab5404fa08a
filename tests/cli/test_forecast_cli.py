"""`civicflow forecast dataset | table | list | show`, in process, with --json: a forecast of the
demo log's weekly arrivals by a case attribute adds up, a table forecast writes the table an
allocation reads, each run is a version with its ledger entry, bad input names the place."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.core import InputError
from civicflow.demo import DemoConfig, build_demo_workspace

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


def test_dataset_forecast_by_an_attribute_adds_up(ws: Path) -> None:
    doc = _json(
        ["forecast", "dataset", "-w", str(ws), "-d", "demo", "--by", "permit_type",
         "--freq", "day", "--horizon", "7", "--models", "ets,seasonal_naive",
         "--reconcile", "ols"]
    )  # fmt: skip
    assert doc["ledger_entry"]["action"] == "forecast.run"
    assert doc["source_kind"] == "dataset" and doc["reconciled"] == "ols"
    rows = pd.DataFrame(doc["forecasts"])
    keys = set(rows["series"])
    assert "total" in keys and len(keys) > 2
    wide = rows.pivot(index="series", columns="period", values="mean")
    parts = wide.drop(index="total").sum()
    np.testing.assert_allclose(wide.loc["total"], parts, rtol=1e-3, atol=1e-3)
    assert doc["accuracy"]["summary"]["series"] == len(keys)
    listed = _json(["forecast", "list", "-w", str(ws)])
    assert listed[0]["id"] == doc["id"] and listed[0]["version"] == 1
    shown = _json(["forecast", "show", doc["id"], "-w", str(ws)])
    assert len(shown["result"]["forecasts"]) == len(rows)


def test_an_allocation_reads_a_stored_forecasts_areas(ws: Path) -> None:
    """From a forecast by attribute to an allocation: the areas are the leaf series (the total is
    their sum, not an area), the source names the forecast's version."""
    doc = _json(
        ["forecast", "dataset", "-w", str(ws), "-d", "demo", "--by", "permit_type",
         "--freq", "day", "--horizon", "7", "--models", "seasonal_naive", "--name", "daily"]
    )  # fmt: skip
    areas = {k for k in {r["series"] for r in doc["forecasts"]} if k != "total"}
    run = _json(
        ["allocate", "run", "-w", str(ws), "--forecast", "daily", "--units-per-period", "40",
         "--hours-per-case", "2", "--name", "from-forecast", "--no-register"]
    )  # fmt: skip
    assert run["source"] == f"forecast daily v1 ({doc['id']})"
    assert set(run["areas"]) == areas
    by_id = _json(
        ["allocate", "run", "-w", str(ws), "--forecast", doc["id"], "--units-per-period", "40",
         "--hours-per-case", "2", "--name", "from-forecast", "--no-register"]
    )  # fmt: skip
    assert by_id["version"] == 2 and by_id["source_sha256"] == run["source_sha256"]
    limit = ["--units-per-period", "40", "--hours-per-case", "2"]
    both = runner.invoke(
        app, ["allocate", "run", "-w", str(ws), "x.csv", "--forecast", "daily", *limit]
    )
    assert both.exit_code != 0 and "give the demand once" in str(both.exception) + both.output
    missing = runner.invoke(app, ["allocate", "run", "-w", str(ws), "--forecast", "nope", *limit])
    assert (
        missing.exit_code != 0 and "no forecast 'nope'" in str(missing.exception) + missing.output
    )


def test_table_forecast_writes_the_allocation_table(ws: Path, tmp_path: Path) -> None:
    grid = pd.date_range("2024-01-06", periods=40, freq="W-SAT")
    path = tmp_path / "rates.csv"
    pd.DataFrame({"week": grid, "R_A": np.arange(40.0) + 10, "R_B": 5 + np.arange(40) % 4}).to_csv(
        path, index=False
    )
    out = tmp_path / "forecast.csv"
    result = runner.invoke(
        app,
        ["forecast", "table", str(path), "-w", str(ws), "--period", "week", "--prefix", "R_",
         "--horizon", "3", "--models", "ets,theta", "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    assert "forecast 'rates' version 1: 2 series" in result.stdout
    assert "ledger entry" in result.stdout
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "series", "period", "mean", "lo_80", "hi_80", "lo_95", "hi_95", "model",
    ]  # fmt: skip
    assert len(table) == 6 and table["period"].iloc[0] == "2024-10-12"


def test_bad_input_names_the_place(ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "neg.csv"
    pd.DataFrame(
        {"period": pd.date_range("2024-01-01", periods=4, freq="D"), "series": "a",
         "value": [1, 2, -5, 3]}
    ).to_csv(path, index=False)  # fmt: skip
    result = runner.invoke(app, ["forecast", "table", str(path), "-w", str(ws)])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError) or "negative" in result.output
    text = result.output + str(result.exception or "")
    assert "negative" in text and "row 4" in text
