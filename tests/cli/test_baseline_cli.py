"""`civicflow baseline freeze/show/list/compare`, in process; expected values from the stored
Parquet files with plain pandas."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.core import ConflictError, InputError
from civicflow.demo import DemoConfig, build_demo_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "ws"
    build_demo_workspace(path=path, config=DemoConfig(cases=200, seed=8))
    build_demo_workspace(path=path, config=DemoConfig(cases=250, seed=9), dataset_name="later")
    return path


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def test_freeze_with_filter_and_deadline_sla(ws: Path) -> None:
    data = _json(
        [
            "baseline",
            "freeze",
            "-w",
            str(ws),
            "-d",
            "demo",
            "--name",
            "north",
            "--where",
            "district=North",
            "--deadline-attribute",
            "deadline",
            "--kpi",
            "case_count",
            "--kpi",
            "sla_compliance_share",
            "--json",
        ]
    )
    events = pd.read_parquet(ws / "datasets" / "demo" / "events.parquet")
    cases = pd.read_parquet(ws / "datasets" / "demo" / "cases.parquet").set_index("case_id")
    north = cases[cases.district == "North"]
    ends = events.groupby("case_id").timestamp.max().reindex(north.index)
    kpis = {k["name"]: k["value"] for k in data["kpis"]}
    assert kpis["case_count"] == len(north)
    assert kpis["sla_compliance_share"] == pytest.approx((ends <= north.deadline).mean())
    assert data["filter"]["case_attributes"] == {"district": ["North"]}
    assert (ws / "baselines" / "north.json").exists()

    again = runner.invoke(app, ["baseline", "freeze", "-w", str(ws), "-d", "demo", "-n", "north"])
    assert isinstance(again.exception, ConflictError)


def test_list_show_and_compare(ws: Path) -> None:
    _json(["baseline", "freeze", "-w", str(ws), "-d", "demo", "-n", "all", "--json"])
    _json(["baseline", "freeze", "-w", str(ws), "-d", "later", "-n", "all-later", "--json"])
    names = [b["name"] for b in _json(["baseline", "list", "-w", str(ws), "--json"])]
    assert {"all", "all-later"} <= set(names)

    shown = _json(["baseline", "show", "all", "-w", str(ws), "--json"])
    assert shown == json.loads((ws / "baselines" / "all.json").read_text())

    same = _json(["baseline", "compare", "all", "-w", str(ws), "--dataset", "demo", "--json"])
    assert same["fingerprint_changed"] is False
    assert {c["assessment"] for c in same["changes"]} <= {"no material change", "not comparable"}

    two = _json(["baseline", "compare", "all", "all-later", "-w", str(ws), "--json"])
    assert two["fingerprint_changed"] is True
    count = next(c for c in two["changes"] if c["name"] == "case_count")
    assert (count["baseline"], count["current"], count["absolute_change"]) == (200, 250, 50)
    assert count["relative_change"] == pytest.approx(0.25)

    # material changes are tested: both baselines keep per-case values and counts
    median = next(c for c in two["changes"] if c["name"] == "throughput_median_days")
    tested = [c for c in two["changes"] if c["test"] is not None]
    assert all(0 <= c["p_value"] <= 1 for c in tested)
    assert median["assessment"] == "no material change" or median["test"] == "Mann-Whitney U"
    assert two["threshold_rules"]["relative"] == 0.05
    # the thresholds are options: at 90 % no KPI changes materially
    strict = _json(["baseline", "compare", "all", "all-later", "-w", str(ws), "--json",
                    "--min-change", "0.9", "--min-days", "30", "--min-points", "50"])  # fmt: skip
    assert {c["assessment"] for c in strict["changes"]} <= {"no material change", "not comparable"}
    assert strict["threshold_rules"] == {
        "relative": 0.9, "absolute_share": 0.5, "absolute_days": 30.0, "absolute_other": 0.0,
        "alpha": 0.05,
    }  # fmt: skip

    table = runner.invoke(app, ["baseline", "compare", "all", "all-later", "-w", str(ws)])
    assert table.exit_code == 0 and "the data changed" in table.stdout
    assert "material change: at least 5 % of the baseline value" in table.stdout


def test_compare_needs_a_second_baseline_or_a_dataset(ws: Path) -> None:
    _json(
        [
            "baseline",
            "freeze",
            "-w",
            str(ws),
            "-d",
            "demo",
            "-n",
            "solo",
            "--kpi",
            "case_count",
            "--json",
        ]
    )
    result = runner.invoke(app, ["baseline", "compare", "solo", "-w", str(ws)])
    assert isinstance(result.exception, InputError)
    assert "--dataset demo" in (result.exception.fix or "")
