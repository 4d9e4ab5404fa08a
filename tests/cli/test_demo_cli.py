"""`civicflow demo` end to end, in a subprocess through the installed entry point, as a new user
would run it; the numbers it prints are checked against the stored data with plain pandas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest


def _civicflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("civicflow")
    cmd = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from civicflow.cli import main; main()"]
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run(
        [*cmd, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    cwd = tmp_path_factory.mktemp("demo")
    run = _civicflow("demo", "--out", "demo-ws", "--cases", "150", "--seed", "3", "--json", cwd=cwd)
    assert run.returncode == 0, run.stderr
    return cwd / "demo-ws", json.loads(run.stdout), run.stderr


def test_demo_builds_workspace_baseline_and_report(first_run: tuple[Path, dict, str]) -> None:
    out, summary, stderr = first_run
    events = pd.read_parquet(out / "datasets" / "demo" / "events.parquet")
    assert summary["cases"] == events.case_id.nunique() == 150
    assert summary["events"] == len(events)
    spans = events.groupby("case_id").timestamp.agg(["min", "max"])
    median_days = ((spans["max"] - spans["min"]).dt.total_seconds() / 86400).median()
    assert summary["median_throughput_days"] == pytest.approx(median_days)

    cases = pd.read_parquet(out / "datasets" / "demo" / "cases.parquet").set_index("case_id")
    on_time = events.groupby("case_id").timestamp.max() <= cases.deadline
    assert summary["sla_compliance_share"] == pytest.approx(on_time.mean())
    assert summary["top_bottleneck"].startswith("Waiting before '")

    baseline = json.loads((out / "baselines" / "demo-baseline.json").read_text())
    manifest = json.loads((out / "datasets" / "demo" / "manifest.json").read_text())
    assert baseline["dataset"]["fingerprint"] == manifest["fingerprint"]
    report = Path(summary["report"])
    assert report == out / "report.html"
    assert report.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert json.loads((out / "assessment.json").read_text())["cases"] == 150
    assert "no display" in stderr  # headless: says where the report is instead of failing


def test_demo_again_keeps_the_frozen_baseline_and_compares(
    first_run: tuple[Path, dict, str],
) -> None:
    out, _, _ = first_run
    frozen = (out / "baselines" / "demo-baseline.json").read_bytes()
    run = _civicflow(
        "demo",
        "--out",
        str(out),
        "--cases",
        "150",
        "--seed",
        "3",
        "--json",
        "--no-open",
        cwd=out.parent,
    )
    assert run.returncode == 0, run.stderr
    assert (out / "baselines" / "demo-baseline.json").read_bytes() == frozen
    comparison = json.loads(run.stdout)["comparison"]
    # same seed, same data: equal fingerprints and unchanged KPIs
    assert comparison["fingerprint_changed"] is False
    assert {c["assessment"] for c in comparison["changes"]} <= {"unchanged", "not comparable"}


def test_demo_refuses_a_folder_that_is_not_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    run = _civicflow("demo", "--out", "taken", "--cases", "20", "--no-open", cwd=tmp_path)
    assert run.returncode == 2
    assert "not a civicflow workspace" in run.stderr
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"
