"""`civicflow assistant import | ask | eval` with --json on the shared government FAQ: the
import is ledgered and versioned, an answer quotes its source, out-of-scope questions are
refused, a missing column is named."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.core import InputError
from conftest import shared_file

runner = CliRunner()
CASES = Path(__file__).resolve().parents[1] / "data" / "assistant" / "covid_faq_eval.csv"


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def test_import_ask_eval(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    faq = str(shared_file("assistant", "gov_covid_faq.csv"))
    first = _json(["assistant", "import", faq, "-w", ws, "--url-column", "link"])
    assert (first["source"], first["number"], first["chunks"]) == ("gov_covid_faq", 1, 213)
    assert first["changed"] and first["ledger_entry"]["action"] == "assistant.import"
    assert not _json(["assistant", "import", faq, "-w", ws, "--url-column", "link"])["changed"]

    answer = _json(["assistant", "ask", "how long does the virus survive on surfaces", "-w", ws])
    assert answer["answered"] and answer["source"]["version"] == first["version"]
    assert answer["source"]["id"] == "gov_covid_faq#131"
    refused = _json(["assistant", "ask", "how do I renew my passport", "-w", ws])
    assert not refused["answered"] and refused["handoff_offered"]

    report = _json(["assistant", "eval", str(CASES), "-w", ws, "--source", "gov_covid_faq"])
    assert report["questions"] == 43 and report["recall_at_3"] >= 0.8
    assert report["abstention_recall"] >= 0.9


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    faq = tmp_path / "faq.csv"
    faq.write_text("frage,antwort\nWann?,Montags.\n")
    result = runner.invoke(app, ["assistant", "import", str(faq), "-w", str(tmp_path / "ws")])
    assert result.exit_code != 0
    text = result.output + str(result.exception or "")
    assert isinstance(result.exception, InputError) or "question" in text
    assert "question" in text and "faq.csv" in text


def test_enable_registers_purge_and_gaps(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    faq = Path(__file__).resolve().parents[1] / "data" / "assistant" / "town_faq.csv"
    _json(["assistant", "import", str(faq), "-w", ws, "--source", "office"])
    on = _json(["assistant", "enable", "-w", ws, "--retention-days", "14"])
    assert on["enabled"] and on["retention_days"] == 14 and on["system_id"].startswith("sys_")
    assert on["ledger_entry"]["action"] == "assistant_settings.update"
    again = _json(["assistant", "enable", "-w", ws])
    assert again["system_id"] == on["system_id"]
    assert _json(["assistant", "purge", "-w", ws]) == {"deleted": 0}
    g = _json(["assistant", "gaps", "-w", ws])
    assert g["entries"] == 12 and len(g["never_used"]) == 12 and g["questions"] == 0
    off = _json(["assistant", "disable", "-w", ws])
    assert not off["enabled"] and off["system_id"] == on["system_id"]
