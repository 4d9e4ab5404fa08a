"""Compliance controls, the gaps report and the Art. 30 record."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from civicflow.core import InputError
from civicflow.governance import (
    BUILTIN_CATALOGUES,
    ControlState,
    ControlStatus,
    article_30_record,
    builtin_catalogue,
    edit_entry,
    evidence_link,
    gaps_report,
    load_catalogue,
    move_entry,
    new_entry,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_catalogues_name_the_articles() -> None:
    refs = {c.reference for name in BUILTIN_CATALOGUES for c in builtin_catalogue(name).controls}
    for ref in ("Art. 5(1)(a)", "Arts. 13-14", "Art. 22", "Art. 25", "Art. 30", "Art. 32",
                "Art. 35", "45 CFR 164.514(b)(2)", "45 CFR 164.312(b)", "Art. 27", "Art. 14"):  # fmt: skip
        assert ref in refs, ref
    gdpr = builtin_catalogue("gdpr")
    assert gdpr.version == "1.0" and len(gdpr.controls) == 20


def test_gaps_report() -> None:
    gdpr = builtin_catalogue("gdpr")
    states = [
        ControlState("gdpr", "GDPR-35", "DPO", ControlStatus.IMPLEMENTED, None,
                     (evidence_link("assessment:asm_1"),)),
        ControlState("gdpr", "GDPR-30", "DPO", ControlStatus.IMPLEMENTED),  # no evidence
        ControlState("gdpr", "GDPR-22", "", ControlStatus.IN_PROGRESS, date(2026, 2, 1)),
        ControlState("gdpr", "GDPR-20", "DPO", ControlStatus.NOT_APPLICABLE),
    ]  # fmt: skip
    report = gaps_report(gdpr, states, today=date(2026, 3, 1))
    assert (report.total, report.implemented, report.not_applicable) == (20, 1, 1)
    assert len(report.gaps) == 18
    by_id = {g.control: g for g in report.gaps}
    assert "GDPR-35" not in by_id and "GDPR-20" not in by_id
    assert by_id["GDPR-30"].problems == ("implemented but no evidence linked",)
    assert by_id["GDPR-22"].problems == (
        "status in-progress",
        "no owner",
        "overdue since 2026-02-01",
    )
    assert report.share_implemented == pytest.approx(1 / 19)


def test_evidence_links_and_agency_catalogues(tmp_path: Path) -> None:
    assert evidence_link("document:https://intranet/dpia.pdf").ref == "https://intranet/dpia.pdf"
    with pytest.raises(InputError):
        evidence_link("spreadsheet:x")
    with pytest.raises(InputError):
        evidence_link("assessment")
    own = tmp_path / "directive.json"
    own.write_text(json.dumps({"id": "nl-algo", "version": "2026.1", "controls": [
        {"id": "ALG-1", "reference": "Algoritmeregister", "title": "Registered",
         "evidence": ["record"]}]}))  # fmt: skip
    catalogue = load_catalogue(own)
    assert catalogue.control("ALG-1").evidence == ("record",)
    with pytest.raises(InputError):
        catalogue.control("ALG-9")


def test_the_article_30_record_comes_from_the_register() -> None:
    entry = new_entry(
        id="sys-1", by="a", at=T0, name="Benefit triage", purpose="Prioritise claims",
        legal_basis="Art. 6(1)(e)", owner="Benefits", senior_responsible_owner="Director",
        affected_people="Claimants", datasets=["claims-2025"],
        details={"retention": "7 years", "recipients": "none outside the council"},
    )  # fmt: skip
    retired = move_entry(
        edit_entry(entry, name="Old tool"), "retired", by="a", reason="replaced", at=T0
    )
    [row] = article_30_record(
        [entry, retired], controller="Camden Council (dpo@camden.example)",
        data_categories={"claims-2025": "name, address, income (PII scan)"},
    )  # fmt: skip
    assert row.values["data_categories"] == "claims-2025: name, address, income (PII scan)"
    assert row.values["retention"] == "7 years"
    assert row.values["automated_decision"] == "human oversight: in-the-loop"
    assert row.missing == ("transfers", "security")
    assert row.values["transfers"] == "not recorded"


def test_the_categories_of_personal_data_from_a_manifest() -> None:
    from civicflow.governance import NO_PERSONAL_DATA, scan_categories

    assert scan_categories({}) is None
    assert scan_categories({"transforms": [{"name": "dedupe", "report": {}}]}) is None
    options = {"transforms": [{"name": "privacy", "report": {"classification": {
        "events": {"columns": [{"column": "citizen", "category": "person_name"},
                               {"column": "bsn", "category": "nl_bsn"},
                               {"column": "amount", "category": "none"}]},
        "cases": {"columns": [{"column": "case:applicant", "category": "person_name"}]},
    }}}]}  # fmt: skip
    assert scan_categories(options) == "nl_bsn (bsn); person_name (citizen, case:applicant)"
    clean = {"transforms": [{"name": "privacy", "report": {"classification": {
        "events": {"columns": [{"column": "amount", "category": "none"}]}}}}]}  # fmt: skip
    assert scan_categories(clean) == NO_PERSONAL_DATA
