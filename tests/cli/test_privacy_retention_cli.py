"""`civicflow privacy retention set | policies | apply | run-due` with categories and actions:
an anonymise policy stored with its rule, the scheduled run over every workspace applying it
once (exit 0), and a policy that cannot be applied making the scheduled run exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from civicflow.cli import app

runner = CliRunner()

LOG = """case,activity,time,email,note
c1,Submit,2014-03-01T09:00:00Z,anna@example.nl,Please call anna@example.nl back about the permit
c1,Decide,2014-03-02T09:00:00Z,anna@example.nl,Please call anna@example.nl back about the permit
c2,Submit,2024-03-02T12:00:00Z,bram@example.nl,Please call bram@example.nl back about the permit
"""


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_anonymise_policy_and_the_scheduled_run(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    ws = str(tmp_path / "ws")
    _ok(["ingest", str(log), "-w", ws, "--name", "d"])
    bad = runner.invoke(app, ["privacy", "retention", "set", "d", "--older-than", "7",
                              "--unit", "years", "--action", "generalise", "--category",
                              "free_text", "--reason", "archive law", "-w", ws])  # fmt: skip
    assert bad.exit_code != 0 and "field 'category'" in str(bad.exception)
    policy = json.loads(_ok([
        "privacy", "retention", "set", "d", "--older-than", "7", "--unit", "years",
        "--action", "anonymise", "--name", "anon-7y",
        "--reason", "archive law: anonymise after seven years", "-w", ws, "--json",
    ]))  # fmt: skip
    assert policy["name"] == "anon-7y" and policy["rule"]["unit"] == "years"
    listed = json.loads(_ok(["privacy", "retention", "policies", "-w", ws, "--json"]))
    assert [(p["name"], p["action"], p["scope"]) for p in listed] == [
        ("anon-7y", "anonymise", "personal")
    ]
    assert "anon-7y v1" in _ok(["privacy", "retention", "policies", "-w", ws])

    dry = json.loads(_ok(["privacy", "retention", "run-due", "--dry-run", "--today",
                          "2024-06-01", "--json"]))  # fmt: skip
    assert dry["failed"] == [] and dry["workspaces"][0]["run"]["due"] == ["d"]
    done = json.loads(_ok(["privacy", "retention", "run-due", "--today", "2024-06-01", "--json"]))
    assert done["workspaces"][0]["run"]["changed"] == ["d"]
    events = next((tmp_path / "ws" / "datasets").rglob("events.parquet"))
    table = pq.read_table(events).sort_by("timestamp")
    assert table.column("email").to_pylist() == [None, None, "bram@example.nl"]
    assert "anna@example.nl" not in " ".join(table.column("note").to_pylist())
    again = json.loads(_ok(["privacy", "retention", "run-due", "--today", "2024-06-01",
                            "--json"]))  # fmt: skip
    assert again["workspaces"][0]["run"]["changed"] == []

    _ok(["privacy", "retention", "set", "*", "--older-than", "1", "--unit", "years",
         "--measured-from", "closed_on", "--reason", "closure date rule", "-w", ws])  # fmt: skip
    failing = runner.invoke(app, ["privacy", "retention", "run-due", "--json"])
    assert failing.exit_code == 1
    assert json.loads(failing.stdout)["workspaces"][0]["run"]["failed"] == ["d"]


def test_a_steward_decides_to_redact_a_column(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    _ok(["ingest", str(log), "-w", ws, "--name", "d"])
    decided = json.loads(_ok(["privacy", "decide", "remarks", "--redact", "--reason",
                              "remarks hold free text although short", "-w", ws, "--json"]))  # fmt: skip
    assert decided["action"] == "redact" and decided["ledger_entry"]["action"] == "privacy.decision"
