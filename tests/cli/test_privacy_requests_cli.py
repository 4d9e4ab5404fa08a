"""`civicflow privacy requests add | verify | search | export | erase | verify-erasure | close |
list` and
`civicflow privacy retention plan`, in process: a planted e-mail address found, exported, erased."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from civicflow.cli import app

runner = CliRunner()

PLANTED = "anna@example.nl"
LOG = f"""case,activity,time,email
c1,Submit,2024-03-01T09:00:00Z,{PLANTED}
c1,Decide,2024-03-02T09:00:00Z,{PLANTED}
c2,Submit,2024-03-02T12:00:00Z,bram@example.nl
"""


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_request_from_add_to_close(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    ws = str(tmp_path / "ws")
    _ok(["ingest", str(log), "-w", ws, "--name", "d"])
    bad = runner.invoke(
        app, ["privacy", "requests", "add", "forget", "--identifier", "x", "-w", ws]
    )
    assert bad.exit_code != 0 and "field 'kind'" in str(bad.exception)

    req = json.loads(
        _ok(["privacy", "requests", "add", "erasure", "--identifier", PLANTED,
             "--received", "2026-01-31", "-w", ws, "--json"])
    )  # fmt: skip
    assert req["due_on"] == "2026-02-28" and PLANTED not in json.dumps(req)
    rid = req["id"]
    _ok(["privacy", "requests", "verify", rid, "--how", "e-mail confirmation link", "-w", ws])
    found = json.loads(
        _ok(["privacy", "requests", "search", rid, "--identifier", PLANTED, "-w", ws, "--json"])
    )
    assert [(h["name"], h["column"], h["events"]) for h in found["hits"]] == [("d", "email", 2)]
    _ok(["privacy", "requests", "export", rid, "--identifier", PLANTED,
         "--out", str(tmp_path / "out"), "-w", ws])  # fmt: skip
    assert PLANTED in (tmp_path / "out" / "d.events.csv").read_text()
    erased = json.loads(
        _ok(["privacy", "requests", "erase", rid, "--identifier", PLANTED, "-w", ws, "--json"])
    )
    assert erased["verified_absent"] and erased["datasets"][0]["events_removed"] == 2
    for path in (tmp_path / "ws" / "datasets").rglob("*.parquet"):
        table = pq.read_table(path)
        assert all(PLANTED not in map(str, c.to_pylist()) for c in table.columns), path
    scan = json.loads(
        _ok(["privacy", "requests", "verify-erasure", rid, "--identifier", PLANTED, "-w", ws,
             "--json"])
    )  # fmt: skip
    assert scan["clean"] and scan["remnants"] == [] and scan["searched"]["event store"] > 0
    assert PLANTED not in json.dumps(scan)
    # a copy left in a log the setting names: exit code 1, the file and line named
    server_log = tmp_path / "server.log"
    server_log.write_text(f"GET /?q={PLANTED}\n")
    left = runner.invoke(
        app,
        ["privacy", "requests", "verify-erasure", rid, "--identifier", PLANTED, "-w", ws],
        env={"CIVICFLOW_PRIVACY_LOG_PATHS": json.dumps([str(server_log)])},
    )
    assert left.exit_code == 1 and "STILL FOUND" in left.stdout and "line 1" in left.stdout
    server_log.unlink()
    _ok(["privacy", "requests", "close", rid, "completed", "-w", ws])
    listed = json.loads(_ok(["privacy", "requests", "list", "-w", ws, "--json"]))
    assert [r["status"] for r in listed] == ["completed"]
    plan = json.loads(
        _ok(["privacy", "retention", "plan", "d", "--older-than-days", "1", "-w", ws, "--json"])
    )
    assert plan["cases"] == 1 and not plan["applied"]


def test_retention_policies_and_the_scheduled_run(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    recent = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    log = tmp_path / "log.csv"
    log.write_text(LOG + f"c3,Submit,{recent},cem@example.nl\n")
    ws = str(tmp_path / "ws")
    _ok(["ingest", str(log), "-w", ws, "--name", "d"])
    assert "No retention policy" in _ok(["privacy", "retention", "policies", "-w", ws])
    dry = json.loads(_ok(["privacy", "retention", "apply", "-w", ws, "--json"]))
    assert dry["without_policy"] == ["d"] and dry["steps"] == []
    bad = runner.invoke(app, ["privacy", "retention", "set", "d", "--older-than-days", "30",
                              "--reason", "", "-w", ws])  # fmt: skip
    assert bad.exit_code != 0 and "needs its reason" in str(bad.exception)
    _ok(["privacy", "retention", "set", "*", "--older-than-days", "30",
         "--reason", "selection list: thirty days", "-w", ws])  # fmt: skip
    policies = json.loads(_ok(["privacy", "retention", "policies", "-w", ws, "--json"]))
    assert [(p["dataset"], p["version"]) for p in policies] == [("*", 1)]
    events = next((tmp_path / "ws" / "datasets").rglob("events.parquet"))
    # a dry run by default: nothing changes
    dry = json.loads(_ok(["privacy", "retention", "apply", "-w", ws, "--json"]))
    assert not dry["applied"] and dry["changed"] == []
    assert dry["steps"][0]["plan"]["cases"] == 2
    assert pq.read_table(events).num_rows == 4
    done = json.loads(_ok(["privacy", "retention", "apply", "--yes", "-w", ws, "--json"]))
    assert done["changed"] == ["d"]
    events = next((tmp_path / "ws" / "datasets").rglob("events.parquet"))
    assert pq.read_table(events).column("case_id").to_pylist() == ["c3"]
    # scheduled again: nothing more to drop, nothing changes
    again = json.loads(_ok(["privacy", "retention", "apply", "--yes", "-w", ws, "--json"]))
    assert again["changed"] == [] and again["steps"][0]["plan"]["cases"] == 0
    one_off = runner.invoke(app, ["privacy", "retention", "apply", "--older-than-days", "5",
                                  "-w", ws])  # fmt: skip
    assert one_off.exit_code != 0 and "for one dataset" in str(one_off.exception)
