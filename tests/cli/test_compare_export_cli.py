"""``civicflow compare`` and ``civicflow export`` on the small permit log (tests/report/smalllog.py):

p1 3 d (north)  p2 3 d (south)  p3 4 d (north)  p4 10 d (east)  p5 2 d (south)
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from scipy import stats
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.eventlog import EventStore, ingest
from report.smalllog import write_small_log

runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = EventStore.create(tmp_path_factory.mktemp("cli") / "ws")
    write_small_log(workspace)
    return workspace.path


def test_compare_two_segments_as_json(ws: Path) -> None:
    res = runner.invoke(app, [
        "compare", "permits", "-w", str(ws), "--a-where", "district=north",
        "--b-where", "district=south", "--a-label", "north", "--b-label", "south", "--json",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    kpis = {k["name"]: k for k in data["kpis"]}
    assert (kpis["case_count"]["a"], kpis["case_count"]["b"]) == (2, 2)
    # north 3 d and 4 d, south 3 d and 2 d
    assert kpis["throughput_median_days"]["a"] == pytest.approx(3.5)
    assert kpis["throughput_median_days"]["b"] == pytest.approx(2.5)
    expected = stats.mannwhitneyu([3, 4], [3, 2], alternative="two-sided").pvalue
    assert kpis["throughput_median_days"]["test"]["p_value"] == pytest.approx(expected)
    assert kpis["throughput_median_days"]["verdict"] == "not significant"
    assert data["config"]["label_a"] == "north"


def test_compare_periods_table_and_report(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "cmp.html"
    res = runner.invoke(app, [
        "compare", "permits", "-w", str(ws), "--a-to", "2024-03-11", "--a-time-mode", "started",
        "--b-from", "2024-03-11", "--b-time-mode", "started", "--out", str(out),
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "verdict" in res.stdout and "Cases" in res.stdout and "only B" in res.stdout
    page = out.read_text(encoding="utf-8")
    assert "Key figures" in page and "digraph comparison" in page


def test_a_side_error_names_the_sides_option(ws: Path) -> None:
    res = runner.invoke(app, ["compare", "permits", "-w", str(ws), "--b-from", "yesterday"])
    assert res.exit_code != 0
    assert "field '--b-from'" in str(res.exception) and "cannot read the time" in str(res.exception)


def test_export_log_round_trip_and_ledger(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "north.xes"
    res = runner.invoke(app, [
        "export", "log", "-w", str(ws), "-d", "permits", "--where", "district=north",
        "--out", str(out),
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "dataset.export" in res.stdout
    back = ingest(workspace=EventStore.create(tmp_path / "ws2"), source=out, name="north")
    assert back.manifest.cases == 2 and back.manifest.events == 7


def test_export_table_is_formula_safe_csv(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "edges.csv"
    res = runner.invoke(app, ["export", "table", "map", "-w", str(ws), "-d", "permits",
                              "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    edges = {(r["source"], r["target"]): int(r["frequency"]) for r in rows}
    assert edges[("Receive", "Check")] == 4 and edges[("Check", "Check")] == 1
    res = runner.invoke(app, ["export", "table", "nope", "-w", str(ws), "-d", "permits",
                              "--out", str(out)])  # fmt: skip
    assert res.exit_code != 0 and "no table called 'nope'" in str(res.exception)


def test_export_map_as_dot_and_format_errors(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.dot"
    res = runner.invoke(app, ["export", "map", "-w", str(ws), "-d", "permits", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").startswith("digraph process_map")
    bad = runner.invoke(app, ["export", "map", "-w", str(ws), "-d", "permits", "--out",
                              str(tmp_path / "map.gif")])  # fmt: skip
    assert bad.exit_code != 0 and "svg, png, dot" in str(bad.exception)
