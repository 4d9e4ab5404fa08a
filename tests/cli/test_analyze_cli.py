"""``civicflow analyze`` and ``civicflow report`` on the small permit log (tests/report/smalllog.py).

Expected values are worked out by hand from the log's definition:

    p1 Receive d0  Check d1   Decide d3             (north)  3 d
    p2 Receive d2  Check d4   Decide d5             (south)  3 d
    p3 Receive d7  Check d8   Check d10  Decide d11 (north)  4 d
    p4 Receive d9  Decide d19                       (east)  10 d
    p5 Receive d14 Check d15.5 Decide d16           (south)  2 d

(day offsets from Monday 2024-03-04 09:00 UTC; resources ann, bob/dan, cat).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import html as lxml_html
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.cli._filters import build_filter, parse_duration
from civicflow.core import InputError, NotFoundError
from civicflow.eventlog import EventStore
from report.smalllog import write_small_log

DAY = 86400.0
runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = EventStore.create(tmp_path_factory.mktemp("cli") / "ws")
    write_small_log(workspace)
    return workspace.path


def run_json(ws: Path, *args: str) -> dict:
    return run_json_in(ws, "permits", *args)


def test_map_json_has_the_hand_counted_edges(ws: Path) -> None:
    data = run_json(ws, "map")
    edges = {(e["source"], e["target"]): e for e in data["edges"]}
    assert set(edges) == {
        ("Receive", "Check"),
        ("Check", "Decide"),
        ("Check", "Check"),
        ("Receive", "Decide"),
    }
    rc = edges[("Receive", "Check")]
    # p1 1 d, p2 2 d, p3 1 d, p5 1.5 d
    assert (rc["frequency"], rc["cases"]) == (4, 4)
    assert rc["median_seconds"] == pytest.approx(1.25 * DAY)
    assert rc["mean_seconds"] == pytest.approx(5.5 / 4 * DAY)
    assert edges[("Receive", "Decide")]["median_seconds"] == pytest.approx(10 * DAY)
    assert data["start_activities"] == {"Receive": 5}
    assert data["end_activities"] == {"Decide": 5}


def test_map_dot_output(ws: Path) -> None:
    result = runner.invoke(
        app, ["analyze", "map", "-w", str(ws), "-d", "permits", "--dot", "performance"]
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("digraph")
    assert '"Receive" -> "Decide"' in result.stdout


def test_variants_and_filters(ws: Path) -> None:
    data = run_json(ws, "variants")
    got = {tuple(v["activities"]): v["cases"] for v in data["variants"]}
    assert got == {
        ("Receive", "Check", "Decide"): 3,
        ("Receive", "Check", "Check", "Decide"): 1,
        ("Receive", "Decide"): 1,
    }
    top = data["variants"][0]
    assert top["median_throughput_seconds"] == pytest.approx(3 * DAY)  # p5 2 d, p1 3 d, p2 3 d
    # district north: p1 and p3
    north = run_json(ws, "variants", "--where", "district=north")
    assert north["total_cases"] == 2
    assert {tuple(v["activities"]) for v in north["variants"]} == {
        ("Receive", "Check", "Decide"),
        ("Receive", "Check", "Check", "Decide"),
    }
    # two values of one attribute mean either: north (p1, p3) + east (p4)
    assert (
        run_json(ws, "variants", "--where", "district=north", "--where", "district=east")[
            "total_cases"
        ]
        == 3
    )
    # at least 4 days: p3 (4 d), p4 (10 d)
    assert run_json(ws, "throughput", "--min-throughput", "4d")["summary"]["count"] == 2
    # without Check: p4 only; with Check: the other four
    assert run_json(ws, "variants", "--without-activity", "Check")["total_cases"] == 1
    assert run_json(ws, "variants", "--with-activity", "Check")["total_cases"] == 4
    # started on or after 2024-03-15: p5 only (p4 started 2024-03-13)
    late = run_json(ws, "variants", "--from", "2024-03-15", "--time-mode", "started")
    assert late["total_cases"] == 1
    # a variant id from the first call selects its three cases
    assert run_json(ws, "variants", "--variant", top["id"])["total_cases"] == 3


def test_throughput_arrivals_wip(ws: Path) -> None:
    s = run_json(ws, "throughput")["summary"]
    assert s["count"] == 5
    assert s["median"] == pytest.approx(3 * DAY)
    assert s["mean"] == pytest.approx(22 / 5 * DAY)
    assert (s["min"], s["max"]) == (pytest.approx(2 * DAY), pytest.approx(10 * DAY))
    arr = run_json(ws, "arrivals", "--freq", "week")
    # weeks from Monday: 03-04 (p1, p2), 03-11 (p3, p4), 03-18 (p5)
    assert [p[:10] for p in arr["periods"]] == ["2024-03-04", "2024-03-11", "2024-03-18"]
    assert arr["values"] == [2, 2, 1]
    wip = run_json(ws, "wip", "--freq", "week")
    # week 1: p1, p2; week 2: p3, p4 (p4 still open); week 3: p4 ends 03-23, p5 -> 2
    assert wip["open"] == [2, 2, 2]


def test_activities_bottlenecks_rework_resources(ws: Path) -> None:
    acts = {a["activity"]: a for a in run_json(ws, "activities")["activities"]}
    assert (acts["Check"]["events"], acts["Check"]["cases"]) == (5, 4)
    b = run_json(ws, "bottlenecks")
    decide = next(x for x in b["activities"] if x["target"] == "Decide")
    # waits before Decide: 2 + 1 + 1 + 10 + 0.5 days
    assert decide["total_wait_seconds"] == pytest.approx(14.5 * DAY)
    assert decide["finding"]
    r = run_json(ws, "rework")
    assert (r["cases_with_rework"], r["rework_share"]) == (1, pytest.approx(0.2))
    res = {x["resource"]: x["events"] for x in run_json(ws, "resources")["resources"]}
    assert res == {"ann": 5, "cat": 5, "bob": 4, "dan": 1}
    hand = {(h["source"], h["target"]): h["count"] for h in run_json(ws, "handovers")["edges"]}
    assert hand == {
        ("ann", "bob"): 3,
        ("bob", "cat"): 3,
        ("ann", "cat"): 1,
        ("ann", "dan"): 1,
        ("dan", "cat"): 1,
    }


def test_sla_and_breakdown(ws: Path) -> None:
    sla = run_json(ws, "sla", "--sla-days", "3.5")
    # within 3.5 days: p1, p2, p5; late: p3 (4 d), p4 (10 d)
    assert (sla["compliant"], sla["breached"]) == (3, 2)
    assert sla["share"] == pytest.approx(0.6)
    assert run_json(ws, "sla", "--target", "84h")["compliant"] == 3
    bd = run_json(ws, "breakdown", "--by", "district")
    assert (bd["kpi"], bd["unit"]) == ("throughput_median_days", "days")
    groups = {g["value"]: g for g in bd["groups"]}
    # north p1 3 d, p3 4 d -> median 3.5 d; south p2 3 d, p5 2 d -> 2.5 d; east p4 10 d
    assert groups["north"]["kpi_value"] == pytest.approx(3.5)
    assert groups["south"]["kpi_value"] == pytest.approx(2.5)
    assert groups["east"]["kpi_value"] == pytest.approx(10)
    # p3 repeats Check: north has one of two cases with rework
    rw = run_json(ws, "breakdown", "--by", "district", "--kpi", "rework_share")
    assert {g["value"]: g["kpi_value"] for g in rw["groups"]} == {
        "north": pytest.approx(0.5),
        "south": 0.0,
        "east": 0.0,
    }


def test_rich_tables_for_people(ws: Path) -> None:
    result = runner.invoke(app, ["analyze", "variants", "-w", str(ws), "-d", "permits"])
    assert result.exit_code == 0
    assert "Receive → Decide" in result.stdout
    assert "3 variants over 5 cases" in result.stdout


def test_errors_say_what_and_how_to_fix(ws: Path) -> None:
    bad = runner.invoke(
        app, ["analyze", "variants", "-w", str(ws), "-d", "permits", "--min-throughput", "3 days"]
    )
    assert isinstance(bad.exception, InputError)
    assert bad.exception.where is not None and bad.exception.where.field == "--min-throughput"
    assert "3d" in (bad.exception.fix or "")
    missing = runner.invoke(app, ["analyze", "map", "-w", str(ws), "-d", "nope"])
    assert isinstance(missing.exception, NotFoundError)
    assert "permits" in (missing.exception.expected or "")
    both = runner.invoke(
        app, ["analyze", "sla", "-w", str(ws), "-d", "permits", "--sla-days", "3", "--target", "3d"]
    )
    assert isinstance(both.exception, InputError)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3d", 3 * DAY), ("12h", 43200.0), ("90min", 5400.0), ("45s", 45.0), ("1.5w", 1.5 * 7 * DAY)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_filter_options_build_the_filter() -> None:
    f = build_filter(
        start="2024-01-01",
        end="2024-02-01T00:00:00+01:00",
        time_mode="contained",
        where=["district=north", "channel=web", "district=south"],
        max_throughput="2d",
    )
    assert f.start is not None and f.start.isoformat() == "2024-01-01T00:00:00+00:00"
    assert f.end is not None and f.end.utcoffset() is not None
    assert f.case_attributes == (("district", ("north", "south")), ("channel", ("web",)))
    assert f.max_throughput_seconds == 2 * DAY
    with pytest.raises(InputError):
        build_filter(start="2024-02-01", end="2024-01-01")
    with pytest.raises(InputError):
        build_filter(where=["district"])
    with pytest.raises(InputError):
        build_filter(time_mode="overlapping")


def test_report_command_writes_the_report(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(
        app,
        [
            "report",
            "-w",
            str(ws),
            "-d",
            "permits",
            "--out",
            str(out),
            "--sla-days",
            "3.5",
            "--where",
            "district=south",
            "--title",
            "South",
        ],
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert f"wrote {out}" in result.stdout
    doc = lxml_html.fromstring(out.read_text(encoding="utf-8"))
    assert doc.xpath("//h1")[0].text_content() == "South"
    ids = set(doc.xpath("//main/section/@id"))
    assert {"process-map", "variants", "sla"} <= ids
    # south: p2 (3 d, on time), p5 (2 d, on time)
    sla = doc.xpath("//section[@id='sla']//div[@class='figure'][1]/dd[@class='value']")[0]
    assert sla.text_content().strip() == "100.0 %"
    only = tmp_path / "only.html"
    result = runner.invoke(
        app,
        ["report", "-w", str(ws), "-d", "permits", "-o", str(only), "--section", "variants"],
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    doc = lxml_html.fromstring(only.read_text(encoding="utf-8"))
    assert doc.xpath("//main/section/@id") == ["variants"]


def test_json_output_never_carries_nan() -> None:
    from civicflow.cli._output import json_safe as _json_safe

    data = {"median": float("nan"), "rows": [1.5, float("inf"), {"x": float("-inf")}], "n": 3}
    assert json.loads(json.dumps(_json_safe(data), allow_nan=False)) == {
        "median": None,
        "rows": [1.5, None, {"x": None}],
        "n": 3,
    }


@pytest.mark.spark
@pytest.mark.slow
def test_engine_option_runs_the_same_command_on_spark(ws: Path) -> None:
    pytest.importorskip("pyspark", reason="PySpark is not installed (extra: civicflow[spark])")
    if shutil.which("java") is None:
        pytest.skip("Java is not on PATH: Spark cannot start")
    spark = run_json(ws, "variants", "--engine", "spark", "--where", "district=north")
    assert {tuple(v["activities"]): v["cases"] for v in spark["variants"]} == {
        ("Receive", "Check", "Decide"): 1,
        ("Receive", "Check", "Check", "Decide"): 1,
    }


@pytest.fixture(scope="module")
def receipt_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from civicflow.eventlog import ingest
    from conftest import shared_file

    path = shared_file("eventlogs", "receipt_with_deadlines.csv")
    workspace = EventStore.create(tmp_path_factory.mktemp("receipt") / "ws")
    ingest(workspace=workspace, source=path, name="receipt")
    return workspace.path


def test_report_with_a_deadline_attribute_on_the_real_receipt_log(
    receipt_ws: Path, tmp_path: Path
) -> None:
    import pandas as pd

    from conftest import shared_file

    raw = pd.read_csv(shared_file("eventlogs", "receipt_with_deadlines.csv"), dtype=str)
    last = (
        pd.to_datetime(raw["time:timestamp"], utc=True, format="ISO8601")
        .groupby(raw["case:concept:name"])
        .max()
    )
    due = (
        pd.to_datetime(raw["case:deadline"], utc=True, format="ISO8601")
        .groupby(raw["case:concept:name"])
        .first()
    )
    decided = due.notna()
    compliant = int((last[decided] <= due[decided]).sum())
    breached = int(decided.sum()) - compliant

    data = run_json_in(receipt_ws, "receipt", "sla", "--deadline-attribute", "case:deadline")
    assert (data["compliant"], data["breached"]) == (compliant, breached)

    out = tmp_path / "receipt.html"
    result = runner.invoke(
        app,
        ["report", "-w", str(receipt_ws), "-d", "receipt", "-o", str(out),
         "--deadline-attribute", "case:deadline", "--section", "sla"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output + repr(result.exception)
    doc = lxml_html.fromstring(out.read_text(encoding="utf-8"))
    values = {
        dt.text_content().strip(): dt.getnext().text_content().strip()
        for dt in doc.xpath("//section[@id='sla']//div[@class='figure']/dt")
    }
    assert values["Compliant"] == f"{compliant:,}"
    assert values["Breached"] == f"{breached:,}"
    assert values["On time"] == f"{100 * compliant / (compliant + breached):.1f} %"


def run_json_in(ws: Path, dataset: str, *args: str) -> dict:
    result = runner.invoke(app, ["analyze", *args, "-w", str(ws), "-d", dataset, "--json"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return json.loads(result.stdout)


def test_sla_in_working_hours(ws: Path) -> None:
    # Mon-Fri 08:30-17:00 UTC (8.5 h a day); every event is at 09:00 UTC.
    # p5 Mon 03-18 -> Wed 03-20: 8 + 8.5 + 0.5 = 17 h (48 h elapsed); every other case is longer:
    # p1 25.5 h, p2 25 h (ends on a Saturday), p3 34 h, p4 8 + 7 x 8.5 = 67.5 h
    elapsed = run_json(ws, "sla", "--target", "17h")
    assert (elapsed["compliant"], elapsed["breached"]) == (0, 5)
    working = run_json(ws, "sla", "--target", "17h", "--working-hours", "08:30-17:00")
    assert (working["compliant"], working["breached"]) == (1, 4)
    worst = working["worst_breaches"][0]
    assert worst["case_id"] == "p4"
    assert worst["duration_seconds"] == pytest.approx(67.5 * 3600)
    bad = runner.invoke(
        app,
        ["analyze", "sla", "-w", str(ws), "-d", "permits", "--target", "1d",
         "--working-hours", "08:30"],
    )  # fmt: skip
    assert isinstance(bad.exception, InputError)
    assert "08:30-17:00" in (bad.exception.fix or "")
