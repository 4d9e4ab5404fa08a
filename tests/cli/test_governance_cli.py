"""`civicflow governance …` in process, with --json: the register, stored assessments, the AIA
score and the AI Act classification, record export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.core import InputError
from conftest import shared_file

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def _json(args: list[str]) -> dict:
    return json.loads(_ok([*args, "--json"]))


def test_register_assess_move_export(tmp_path: Path) -> None:
    w = ["-w", str(tmp_path / "ws")]
    added = _json(
        ["governance", "register", "add", *w, "--name", "Visa triage", "--purpose", "Sorts visa "
         "applications", "--legal-basis", "Immigration Act", "--owner", "Visa service", "--sro",
         "Director of Visas", "--dataset", "visas-2025", "--oversight", "on-the-loop"]
    )  # fmt: skip
    assert added["status"] == "proposed" and added["datasets"] == ["visas-2025"]
    assert added["ledger_entry"]["action"] == "governance_system.create"
    answers = tmp_path / "aiact.json"
    answers.write_text(
        json.dumps({"ai_system": "yes", "public_body": "yes", "annex_iii": ["7c"],
                    "profiling": "yes", "prohibited": ["none"], "transparency": ["none"]})
    )  # fmt: skip
    run = _json(
        ["governance", "assess", "start", "eu-ai-act", *w, "--system", "Visa triage",
         "--answers", str(answers)]
    )  # fmt: skip
    assert run["summary"] == "high-risk (Annex III 7c)"
    assert run["ledger_entry"]["action"] == "assessment.score"
    moved = _json(
        ["governance", "register", "move", "Visa triage", *w, "--to", "assessed", "--reason",
         "AI Act classification done"]
    )  # fmt: skip
    assert [m["to_status"] for m in moved["history"]] == ["proposed", "assessed"]
    listed = _json(["governance", "register", "list", *w])
    assert [e["name"] for e in listed] == ["Visa triage"]
    assert _json(["governance", "assess", "list", *w])[0]["kind"] == "eu-ai-act"
    text = _ok(["governance", "record", "export", "Visa triage", *w, "--format", "csv"])
    rows = {r["attribute"]: r["value"] for r in csv.DictReader(io.StringIO(text))}
    assert rows["senior_responsible_owner"] == "Director of Visas"
    assert rows["phase"] == "pre-deployment"
    page = tmp_path / "record.html"
    _ok(["governance", "record", "export", "Visa triage", *w, "--format", "html", "-o", str(page)])
    assert "<h1>Visa triage</h1>" in page.read_text()
    bad = runner.invoke(app, ["governance", "register", "move", "Visa triage", *w, "--to",
                              "live", "--reason", ""])  # fmt: skip
    assert isinstance(bad.exception, InputError) and bad.exception.where.field == "reason"


def test_aia_score_and_aiact_classify(tmp_path: Path) -> None:
    questionnaire = shared_file("impact-assessment", "canada_aia_survey_enfr.json")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"projectDetailsPhase": "item1", "impact30": "item1-4"}))
    score = _json(["governance", "aia", "score", str(questionnaire), "--answers", str(answers)])
    assert (score["raw_impact"], score["level"], score["max_raw_impact"]) == (4, 1, 167)
    text = _ok(["governance", "aia", "score", str(questionnaire), "--answers", str(answers)])
    assert "Impact level I" in text and "Peer review" in text
    result = _json(
        ["governance", "aiact", "classify", "--public-body", "--annex-iii", "5a", "--profiling",
         "--exemption", "preparatory"]
    )  # fmt: skip
    assert result["category"] == "high-risk"
    assert "Art. 27" in [o["article"] for o in result["obligations"]]
    minimal = _json(["governance", "aiact", "classify"])
    assert minimal["category"] == "minimal"


def test_controls_and_art30(tmp_path: Path) -> None:
    w = ["-w", str(tmp_path / "ws")]
    _ok(["governance", "register", "add", *w, "--name", "Triage", "--purpose", "Sort claims",
         "--legal-basis", "Art. 6(1)(e)", "--owner", "Benefits", "--sro", "Director",
         "--affected", "Claimants"])  # fmt: skip
    state = _json(
        ["governance", "controls", "set", "gdpr", "GDPR-30", *w, "--owner", "DPO", "--status",
         "implemented", "--due", "2026-06-30", "--evidence", "register:Triage"]
    )  # fmt: skip
    assert state["status"] == "implemented" and state["evidence"][0]["kind"] == "register"
    assert state["ledger_entry"]["action"] == "control.update"
    listed = _json(["governance", "controls", "list", "gdpr", *w])
    row = next(r for r in listed["controls"] if r["control"] == "GDPR-30")
    assert row["evidence"] == ["register:Triage"] and row["due"] == "2026-06-30"
    report = _json(["governance", "controls", "gaps", "gdpr", *w])
    assert report["implemented"] == 1 and len(report["gaps"]) == 19
    text = _ok(["governance", "art30", *w, "--controller", "Camden Council", "--format", "csv"])
    [record] = list(csv.DictReader(io.StringIO(text)))
    assert record["Categories of data subjects"] == "Claimants"
    assert record["Time limits for erasure"] == "not recorded"
    bad = runner.invoke(app, ["governance", "controls", "set", "gdpr", "GDPR-30", *w, "--due",
                              "soon"])  # fmt: skip
    assert isinstance(bad.exception, InputError) and bad.exception.where.field == "due"


def test_readiness(tmp_path: Path) -> None:
    w = ["-w", str(tmp_path / "ws")]
    item = _json(["governance", "inventory", "set", "Case system", *w, "--type", "cms",
                  "--compatibility", "needs-work"])  # fmt: skip
    assert item["compatibility"] == "needs-work"
    assert [i["name"] for i in _json(["governance", "inventory", "list", *w])] == ["Case system"]
    card = _json(
        ["governance", "readiness", *w, "--declare", "infrastructure=0.5:kept by IT", "--save"]
    )
    assert len(card["trend"]) == 1 and card["trend"][0]["overall"] == card["overall"]
    by = {a["area"]: a for a in card["areas"]}
    assert by["infrastructure"]["basis"] == "evidence" and by["infrastructure"]["score"] == 1
    assert card["roadmap"][0].startswith("Clear objectives")
    bad = runner.invoke(app, ["governance", "readiness", *w, "--declare", "infrastructure=high"])
    assert isinstance(bad.exception, InputError)


def test_attach_evidence_files(tmp_path: Path) -> None:
    import hashlib

    w = ["-w", str(tmp_path / "ws")]
    run = _json(["governance", "assess", "start", "gdpr-dpia", *w])
    pdf = tmp_path / "dpia.pdf"
    pdf.write_bytes(b"%PDF-1.7\nsigned\n%%EOF\n")
    att = _json(["governance", "attach", "answer", run["id"], "criteria", str(pdf), *w])
    assert att["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert att["ledger_entry"]["action"] == "governance_attachment.create"
    on_control = _json(["governance", "attach", "control", "gdpr", "GDPR-35", str(pdf), *w])
    listed = _json(["governance", "attach", "list", *w, "--target", f"assessment:{run['id']}:"])
    assert [a["id"] for a in listed] == [att["id"]]
    state = _json(["governance", "controls", "list", "gdpr", *w])
    row = next(r for r in state["controls"] if r["control"] == "GDPR-35")
    assert row["evidence"] == [f"attachment:{on_control['id']}"]
    out = tmp_path / "back.pdf"
    _ok(["governance", "attach", "get", att["id"], *w, "-o", str(out)])
    assert out.read_bytes() == pdf.read_bytes()
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    bad = runner.invoke(app, ["governance", "attach", "answer", run["id"], "criteria", str(exe),
                              *w])  # fmt: skip
    assert isinstance(bad.exception, InputError) and bad.exception.where.field == "file"


def test_record_check_and_strict_export(tmp_path: Path) -> None:
    w = ["-w", str(tmp_path / "ws")]
    _ok(["governance", "register", "add", *w, "--name", "Triage", "--purpose", "Sort claims",
         "--legal-basis", "Art. 6(1)(e)", "--owner", "Benefits", "--sro", "Director"])  # fmt: skip
    result = runner.invoke(app, ["governance", "record", "check", "Triage", *w, "--json"])
    assert result.exit_code == 1
    check = json.loads(result.stdout)
    assert check["complete"] is False and "2.2.3 - Benefit" in check["missing_required"]
    strict = runner.invoke(app, ["governance", "record", "export", "Triage", *w, "--strict"])
    assert isinstance(strict.exception, InputError) and "2.2.3 - Benefit" in (
        strict.exception.found or ""
    )
    assert runner.invoke(app, ["governance", "record", "export", "Triage", *w]).exit_code == 0
