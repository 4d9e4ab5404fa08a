"""What the command line says about itself: where its state is (``civicflow where``, a one-time
notice when a command creates the database), the operator's account shown for what it is, the
ledger shown in full, and verify's notes printed once.

Expected values are written here by hand or read from disk, not from the code under test."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from . import test_cli_ledger as _ledger

# the fixtures of the ledger's command-line tests: a throwaway home, a hand-written log, the CLI
cli, home, log = _ledger.cli, _ledger.home, _ledger.log

NOTICE = "first use here"


def test_first_ingest_says_once_where_the_state_goes(
    cli, home: Path, log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    assert not (home / "civicflow.db").exists()
    first = cli("ingest", str(log), "-w", str(tmp_path / "ws"), "--json")
    assert first.returncode == 0, first.stderr
    err = " ".join(first.stderr.split())  # Rich wraps stderr at the terminal's width
    assert err.count(NOTICE) == 1
    # the folder, the database and how to move them, named on stderr (stdout stays JSON)
    assert str(home) in err and str(home / "civicflow.db") in err
    assert "CIVICFLOW_HOME" in err and "civicflow where" in err
    assert NOTICE not in first.stdout and json.loads(first.stdout)["events"] == 4
    assert (home / "civicflow.db").exists()

    again = cli("ingest", str(log), "-w", str(tmp_path / "ws"), "--name", "again", "--json")
    assert again.returncode == 0, again.stderr
    assert NOTICE not in " ".join(again.stderr.split())


def test_where_prints_every_place_of_state(
    cli, home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    found = cli("where", "--json").json()
    assert found == {
        "home": str(home.resolve()),
        "database": str((home / "civicflow.db").resolve()),
        "tree_head_file": str((home / "ledger-tree-head.json").resolve()),
        "signing_key_file": "",
        "default_workspace": str((tmp_path / ".civicflow" / "workspace").resolve()),
    }
    text = cli("where")
    assert text.returncode == 0
    assert f"database: {home.resolve() / 'civicflow.db'} (not created yet)" in text.stdout
    assert "CIVICFLOW_HOME" in text.stdout and "--workspace" in text.stdout
    # where creates nothing
    assert not home.exists()


def test_the_operator_account_is_not_shown_as_erased(
    cli, home: Path, log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    cli("ingest", str(log), "-w", str(tmp_path / "ws"), "--json").json()
    [user] = cli("users", "list", "--json").json()
    assert user["email"] is None
    assert user["contact"] == "(command-line operator, no e-mail)"
    table = cli("users", "list").stdout
    # the first column's folded lines of the one row, joined
    cells = [line.strip("│").split("│")[0] for line in table.splitlines() if line[:1] == "│"]
    assert re.sub(r"\s", "", "".join(cells)) == "(command-lineoperator,noe-mail)"


def _column(table: str, index: int) -> list[str]:
    """The cells of column ``index`` of a Rich table, the folded lines of each row joined."""
    rows: list[str] = []
    for line in table.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0]:  # the '#' column starts a row
            rows.append(cells[index])
        elif rows:
            rows[-1] += cells[index]
    return rows


def test_ledger_show_prints_every_value_in_full(cli, home: Path, log: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("ingest", str(log), "-w", str(tmp_path / "ws"), "--json").json()
    entries = cli("ledger", "show", "--json").json()
    shown = cli("ledger", "show")
    assert shown.returncode == 0 and "…" not in shown.stdout
    newest_first = sorted(entries, key=lambda e: -e["index"])
    assert _column(shown.stdout, 2) == [e["actor"] for e in newest_first]
    assert _column(shown.stdout, 6) == [e["workspace_id"] or "" for e in newest_first]
    reasons = [re.sub(r"\s", "", e["reason"] or "") for e in newest_first]
    assert [re.sub(r"\s", "", c) for c in _column(shown.stdout, 7)] == reasons
    assert any(len(e["workspace_id"] or "") > 30 for e in entries)  # long enough to be cut


def test_verify_prints_each_note_once(cli, home: Path, log: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("ingest", str(log), "-w", str(tmp_path / "ws"), "--json").json()
    report = cli("ledger", "verify", "--json").json()
    assert report["notes"], "an unsigned ledger has notes"
    text = " ".join(cli("ledger", "verify").stdout.split())
    for note in report["notes"]:
        assert text.count(" ".join(note.split())) == 1, note


def test_a_folder_registered_with_datasets_in_it_verifies(
    cli, home: Path, log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    ws = tmp_path / "ws"
    cli("ingest", str(log), "-w", str(ws), "--json").json()
    # the same folder, seen from a second database (another CIVICFLOW_HOME, the demo's)
    monkeypatch.setenv("CIVICFLOW_HOME", str(tmp_path / "second"))
    frozen = cli("baseline", "freeze", "-w", str(ws), "-d", "permits", "-n", "b1", "--json")
    assert frozen.returncode == 0, frozen.stderr
    report = cli("ledger", "verify", "--json").json()
    assert report["ok"] is True, report["problems"]
    actions = [(e["action"], e["object_id"]) for e in cli("ledger", "show", "--json").json()]
    assert ("dataset.register", "permits") in actions
    assert ("baseline.freeze", "b1") in actions
