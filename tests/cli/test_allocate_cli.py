"""`civicflow allocate run | list | show`, in process, with --json: a forecast table in, the
efficient and fair plans out, stored as versions with their ledger entry; NYC rates turned into
cases with the population file; an infeasible floor names the constraint."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.forecasting import AllocationInfeasibleError
from conftest import shared_file

runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    path.mkdir()
    return path


@pytest.fixture
def forecast(tmp_path: Path) -> Path:
    rows = []
    for area, size in (("north", 20.0), ("south", 40.0), ("east", 10.0)):
        for t in range(3):
            rows.append({"series": area, "period": f"2027-0{t + 1}", "mean": size,
                         "lo_80": size * .8, "hi_80": size * 1.2, "lo_95": size * .7,
                         "hi_95": size * 1.3, "model": "AutoETS"})  # fmt: skip
    path = tmp_path / "forecast.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def test_run_list_show(ws: Path, forecast: Path, tmp_path: Path) -> None:
    times = tmp_path / "times.csv"
    times.write_text("area,hours_per_case\neast,2.0\n")
    plan = tmp_path / "plan.csv"
    args = ["allocate", "run", str(forecast), "-w", str(ws), "--units-per-period", "4",
            "--unit", "inspectors", "--hours-per-unit", "10", "--hours-per-case", "1",
            "--service-times", str(times), "--min-service-level", "0.5", "--name", "q1",
            "--plan-csv", str(plan)]  # fmt: skip
    first = _json(args)
    assert (first["name"], first["version"]) == ("q1", 1)
    assert first["ledger_entry"]["action"] == "allocation.run"
    assert first["system_id"].startswith("sys_")
    assert first["fair"]["equity"]["lowest_level"] >= 0.5 - 1e-6
    assert first["price_of_fairness"]["extra_unmet"] >= 0
    east = next(o for o in first["outcomes"] if o["area"] == "east")
    assert east["hours_per_case"] == 2.0
    with plan.open() as handle:
        cells = list(csv.DictReader(handle))
    assert len(cells) == 9 and {c["area"] for c in cells} == {"north", "south", "east"}
    assert sum(float(c["units"]) for c in cells) <= 12 + 1e-6
    assert _json(args)["version"] == 2
    listed = _json(["allocate", "list", "-w", str(ws)])
    assert [a["version"] for a in listed] == [2, 1]
    shown = _json(["allocate", "show", first["id"], "-w", str(ws)])
    assert shown["result"]["fair"] == first["fair"]
    text = runner.invoke(app, ["allocate", "show", first["id"], "-w", str(ws)])
    assert text.exit_code == 0 and "Price of fairness" in text.stdout
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "worst-served area" in table.stdout and "ledger entry" in table.stdout


def test_infeasible_floor_is_a_clear_error(ws: Path, forecast: Path) -> None:
    result = runner.invoke(
        app,
        ["allocate", "run", str(forecast), "-w", str(ws), "--units-per-period", "10",
         "--hours-per-case", "1", "--min-service-level", "0.99"],
    )  # fmt: skip
    assert result.exit_code != 0
    error = result.exception
    assert isinstance(error, AllocationInfeasibleError)
    assert error.diagnosis.culprits == ("min_service_level",)
    # 10 hours × 3 periods for 210 cases
    assert "highest minimum service level these limits allow is 14.3%" in str(error.found)
    assert "to at most 14.2%" in str(error.fix)


def test_nyc_rates_with_population(ws: Path, tmp_path: Path) -> None:
    population = shared_file("forecasting", "nyc_modzcta_population.csv")
    rates = pd.read_csv(shared_file("forecasting", "nyc_caserate_by_modzcta_weekly.csv"))
    last = rates.dropna(subset=["CASERATE_10001"]).tail(4)
    columns = [c for c in rates.columns if c.startswith("CASERATE_1")][:30]
    rows = [
        {"series": c, "period": w, "mean": float(v), "lo_80": float(v) * 0.8,
         "hi_80": float(v) * 1.3, "lo_95": float(v) * 0.7, "hi_95": float(v) * 1.5,
         "model": "SeasonalNaive"}
        for c in columns for w, v in zip(last["week_ending"], last[c].fillna(0.0), strict=True)
    ]  # fmt: skip
    path = tmp_path / "nyc.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    doc = _json(
        ["allocate", "run", str(path), "-w", str(ws), "--population", str(population),
         "--rates-per", "100000", "--hours-per-case", "0.5", "--units-per-period", "20",
         "--max-min", "--weight-by-population", "--no-register"]
    )  # fmt: skip
    assert doc["system_id"] is None
    assert len(doc["areas"]) == 30
    assert all(o["population"] and o["population"] > 0 for o in doc["outcomes"])
    assert doc["fair"]["equity"]["population_weighted_level"] is not None
    levels = [o["service_fair"] for o in doc["outcomes"] if o["service_fair"] is not None]
    assert max(levels) - min(levels) < 1e-4 or min(levels) == pytest.approx(
        doc["fair"]["equity"]["lowest_level"]
    )


def test_service_times_from_the_demo_log(tmp_path: Path) -> None:
    from civicflow.demo import DemoConfig, build_demo_workspace
    from civicflow.demo._generator import DISTRICTS

    ws = tmp_path / "demo-ws"
    build_demo_workspace(path=ws, config=DemoConfig(cases=200, seed=3))
    rows = [
        {"series": d, "period": f"2027-0{t + 1}", "mean": 30.0, "hi_80": 36.0}
        for d in DISTRICTS
        for t in range(2)
    ]
    path = tmp_path / "districts.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    doc = _json(
        ["allocate", "run", str(path), "-w", str(ws), "--times-from", "demo",
         "--area-attribute", "district", "--units-per-period", "200", "--no-register"]
    )  # fmt: skip
    times = {o["area"]: o["hours_per_case"] for o in doc["outcomes"]}
    assert set(times) == set(DISTRICTS)
    assert all(t > 0 for t in times.values())
    assert len(set(times.values())) > 1  # measured per district, not one figure
    assert doc["config"]["service_times"]["by_area"] == times
    bad = runner.invoke(
        app, ["allocate", "run", str(path), "-w", str(ws), "--times-from", "demo",
              "--units-per-period", "5"]
    )  # fmt: skip
    assert bad.exit_code != 0
    assert bad.exception is not None and "area_attribute" in str(bad.exception)


def test_whole_units_report_the_mip_gap_accepted_and_reached(ws: Path, forecast: Path) -> None:
    args = ["allocate", "run", str(forecast), "-w", str(ws), "--units-per-period", "4",
            "--hours-per-unit", "10", "--hours-per-case", "1", "--integer", "--mip-gap", "0.01",
            "--name", "whole"]  # fmt: skip
    doc = _json(args)
    assert doc["config"]["mip_rel_gap"] == 0.01
    assert doc["efficient"]["mip_gap"] is not None and doc["efficient"]["mip_gap"] <= 0.01
    assert all(float(u) == round(float(u)) for row in doc["units"] for u in row)
    shown = runner.invoke(app, args)
    assert shown.exit_code == 0 and "MIP gap (accepted 0.01)" in shown.stdout
