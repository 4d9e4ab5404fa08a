"""`civicflow privacy scan | keygen | decide | pseudonymise | reidentify | risk | rotate`, in process."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.privacy import KeyRing

runner = CliRunner()

LOG = """case,activity,time,clerk,citizen,bsn,email
c1,Submit,2024-03-01T09:00:00Z,Eva Smit,Anna Jansen,111222333,anna@example.nl
c1,Decide,2024-03-02T09:00:00Z,Ivo Bakker,Anna Jansen,111222333,anna@example.nl
c2,Submit,2024-03-02T12:00:00Z,Eva Smit,Bram de Vries,123456782,bram@example.nl
c3,Submit,2024-03-03T08:30:00Z,Joke Visser,Cem Kaya,12345672,cem@example.nl
"""


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_scan_pseudonymise_decide_and_reidentify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    scan = json.loads(_ok(["privacy", "scan", str(log), "--json"]))
    verdicts = {c["column"]: c["category"] for c in scan["columns"]}
    assert verdicts == {
        "case": "none", "activity": "none", "time": "none", "clerk": "person_name",
        "citizen": "person_name", "bsn": "nl_bsn", "email": "email",
    }  # fmt: skip
    assert "Anna" not in json.dumps(scan)

    keys = tmp_path / "keys" / "ring.json"
    keys.parent.mkdir()
    _ok(["privacy", "keygen", str(keys)])
    assert runner.invoke(app, ["privacy", "keygen", str(keys)]).exit_code != 0  # never overwritten
    monkeypatch.setenv("CIVICFLOW_PRIVACY_KEY_FILE", str(keys))
    ws = tmp_path / "ws"
    _ok(["privacy", "decide", "resource", "--keep", "--reason", "staff: workload", "-w", str(ws)])
    out = json.loads(
        _ok(["privacy", "pseudonymise", str(log), "-w", str(ws), "--resource", "clerk", "--json"])
    )
    assert set(out["privacy"]["pseudonymised"]["events"]) == {"citizen", "bsn", "email"}
    assert out["ledger_entry"]["action"] == "privacy.pseudonymise"
    events = pq.read_table(Path(out["path"]) / "events.parquet")
    pseudonym = events["bsn"][0].as_py()
    assert pseudonym == KeyRing.read(keys).pseudonym("111222333")
    assert events["resource"][0].as_py() == "Eva Smit"
    back = json.loads(
        _ok(["privacy", "reidentify", pseudonym, "--reason", "request 12", "-w", str(ws), "--json"])
    )
    assert back["value"] == "111222333"
    _ok(["privacy", "rotate", "k2"])
    assert KeyRing.read(keys).current == "k2"
    back = json.loads(
        _ok(["privacy", "reidentify", pseudonym, "--reason", "request 13", "-w", str(ws), "--json"])
    )
    assert back["value"] == "111222333"  # the vault still opens pseudonyms of the old key
    risk = json.loads(_ok(["privacy", "risk", "log", "-w", str(ws), "-q", "resource", "--json"]))
    assert risk["prefix"]["cases"] == 3 and risk["k_anonymity"]["k"] == 1


def test_scan_names_what_is_missing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["privacy", "scan", "nothing", "-w", str(tmp_path / "ws")])
    assert result.exit_code != 0
