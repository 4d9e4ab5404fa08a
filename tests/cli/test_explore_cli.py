"""``civicflow cases`` and ``civicflow filters`` on the small permit log (tests/report/smalllog.py):

p1 Receive d0  Check d1   Decide d3             (north)  3 d
p2 Receive d2  Check d4   Decide d5             (south)  3 d
p3 Receive d7  Check d8   Check d10  Decide d11 (north)  4 d
p4 Receive d9  Decide d19                       (east)  10 d
p5 Receive d14 Check d15.5 Decide d16           (south)  2 d
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.eventlog import EventStore
from report.smalllog import write_small_log

DAY = 86400.0
runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = EventStore.create(tmp_path_factory.mktemp("cli") / "ws")
    write_small_log(workspace)
    return workspace.path


def said(result: object) -> str:
    """What a failed command reports (the root command prints the error it raises)."""
    return f"{result.output}{result.exception or ''}"  # type: ignore[attr-defined]


def run(ws: Path, *args: str) -> dict:
    result = runner.invoke(app, [*args, "-w", str(ws), "-d", "permits", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_cases_behind_an_edge_sorted_by_their_wait(ws: Path) -> None:
    data = run(ws, "cases", "list", "--edge", "Check", "Decide", "--sort", "wait", "--desc")
    # Check -> Decide: p1 2 d, p2 1 d, p3 1 d (from the second Check), p5 0.5 d
    assert [(r["case_id"], r["wait_seconds"]) for r in data["rows"]] == [
        ("p1", 2 * DAY),
        ("p2", DAY),
        ("p3", DAY),
        ("p5", 0.5 * DAY),
    ]
    assert data["total"] == 4 and data["pages"] == 1
    paged = run(ws, "cases", "list", "--path", "Check->Decide", "--page-size", "3", "--page", "2")
    assert [r["case_id"] for r in paged["rows"]] == ["p5"] and paged["pages"] == 2


def test_cases_of_a_variant_a_bottleneck_and_an_sla(ws: Path) -> None:
    assert [r["case_id"] for r in run(ws, "cases", "list", "--of-variant", "#1")["rows"]] == [
        "p1",
        "p2",
        "p5",
    ]
    waiting = run(ws, "cases", "list", "--waiting-at", "Decide", "--sort", "wait", "--desc")
    assert [r["case_id"] for r in waiting["rows"]][:2] == ["p4", "p1"]  # 10 d, 2 d
    late = run(ws, "cases", "list", "--sla-days", "3.5", "--sla-status", "breached")
    assert [r["case_id"] for r in late["rows"]] == ["p3", "p4"]
    # the filter options narrow the cases first: ranks are among the north's cases, where p1's
    # and p3's variants have one case each and the tie goes by activity sequence (Check < Decide)
    north = run(ws, "cases", "list", "--of-variant", "#1", "--where", "district=north")
    assert [r["case_id"] for r in north["rows"]] == ["p3"]


def test_one_case_timeline(ws: Path) -> None:
    data = run(ws, "cases", "show", "p3")
    assert [e["activity"] for e in data["events"]] == ["Receive", "Check", "Check", "Decide"]
    assert [e["wait_seconds"] for e in data["events"]] == [None, DAY, 2 * DAY, DAY]
    assert data["attributes"]["district"] == "north"
    result = runner.invoke(app, ["cases", "show", "p9", "-w", str(ws), "-d", "permits"])
    assert result.exit_code != 0 and "there is no case 'p9'" in said(result)


def test_funnel_and_saved_sets_on_every_command(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    funnel = run(ws, "filters", "funnel", "--where", "district=north", "--ends-with", "Decide",
                 "--directly-follows", "Check->Check")  # fmt: skip
    assert [(r["label"], r["cases"], r["events"]) for r in funnel["rows"]] == [
        ("all cases", 5, 15),
        ("cases with district = north", 2, 7),
        ("cases that end with Decide", 2, 7),
        ("cases where Check is directly followed by Check", 1, 4),
    ]
    saved = runner.invoke(
        app,
        ["filters", "save", "-w", str(ws), "-d", "permits", "-n", "loops",
         "--directly-follows", "Check->Check"],
    )  # fmt: skip
    assert saved.exit_code == 0, saved.output
    assert "ledger entry" in saved.output
    variants = run(ws, "analyze", "variants", "--filter-set", "loops")
    assert variants["total_cases"] == 1
    shown = runner.invoke(app, ["filters", "show", "loops", "-w", str(ws), "--json"])
    file = tmp_path / "loops.json"
    file.write_text(shown.output, encoding="utf-8")
    assert run(ws, "analyze", "variants", "--filters", str(file))["total_cases"] == 1
    listed = runner.invoke(app, ["filters", "list", "-w", str(ws), "--json"])
    assert [s["name"] for s in json.loads(listed.output)] == ["loops"]
    again = runner.invoke(app, ["filters", "save", "-w", str(ws), "-d", "permits", "-n", "loops"])
    assert again.exit_code != 0 and "already a filter set" in said(again)
    gone = runner.invoke(app, ["filters", "delete", "loops", "-w", str(ws)])
    assert gone.exit_code == 0, gone.output
    missing = runner.invoke(
        app, ["analyze", "variants", "-w", str(ws), "-d", "permits", "--filter-set", "loops"]
    )
    assert missing.exit_code != 0 and "no filter set 'loops'" in said(missing)


def test_bad_filter_input_says_where(ws: Path, tmp_path: Path) -> None:
    bad = runner.invoke(
        app, ["analyze", "variants", "-w", str(ws), "-d", "permits", "--directly-follows", "Check"]
    )
    assert bad.exit_code != 0 and "--directly-follows" in said(bad) and "->" in said(bad)
    file = tmp_path / "bad.json"
    file.write_text('{"steps": [{"kind": "sideways"}]}', encoding="utf-8")
    bad = runner.invoke(
        app, ["analyze", "variants", "-w", str(ws), "-d", "permits", "--filters", str(file)]
    )
    assert bad.exit_code != 0 and "unknown filter step kind 'sideways'" in said(bad)
    assert "steps[0].kind" in said(bad)
