"""A transparency record checked before it is published: the required ATRS v3.0 fields, the
values GOV.UK's publishing schema accepts, and the standard's field order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from civicflow.governance import (
    Facets,
    atrs_fields,
    atrs_record,
    check_record,
    edit_entry,
    new_entry,
)

FIELDS = {
    "name": "Housing benefit triage",
    "purpose": "Orders new claims by likely complexity.",
    "legal_basis": "UK GDPR Art. 6(1)(e)",
    "owner": "Benefits service",
    "senior_responsible_owner": "Director of Revenues and Benefits",
}
AT = datetime(2026, 12, 1, tzinfo=UTC)


def _entry():  # type: ignore[no-untyped-def]
    return new_entry(id="sys_1", by="p_1", at=AT, **FIELDS)


def test_a_bare_entry_lists_every_required_field_it_lacks() -> None:
    check = check_record(atrs_record(_entry()))
    assert not check.complete and check.problems == ()
    required = [
        f"{f.reference} - {f.name}" for f in atrs_fields() if f.tier in ("1", "2") and f.required
    ]
    assert set(check.missing_required) <= set(required)
    assert "1.4 - Contact email" in check.missing_required
    assert "2.2.3 - Benefit" in check.missing_required
    assert "1.1 - Name" not in check.missing_required  # filled from the entry
    assert "2.1.3 - Senior responsible owner" not in check.missing_required


def test_a_record_with_every_required_field_is_complete() -> None:
    entry = _entry()
    required = [f for f in atrs_fields() if f.tier in ("1", "2") and f.required]
    details = {f.key: f"{f.name} of the triage." for f in required}
    details |= {"contact_email": "benefits@camden.example", "website_url": "N/A"}
    entry = edit_entry(entry, details=details)
    check = check_record(atrs_record(entry, facets=Facets(region=("london",))))
    assert check.complete, check
    assert check.to_dict()["complete"] is True


def test_invalid_values_are_problems() -> None:
    entry = edit_entry(_entry(), details={"contact_email": "call us", "website_url": "intranet"})
    check = check_record(atrs_record(entry))
    assert check.problems == (
        "1.4 - Contact email: 'call us' is not an e-mail address",
        "1.3 - Website URL: 'intranet' is not a web address",
    )
    record = atrs_record(_entry())
    shuffled = replace(record, tier_1=dict(reversed(list(record.tier_1.items()))))
    assert (
        "tier 1 does not follow the standard's fields; out of order"
        in check_record(shuffled).problems
    )
    dropped = replace(record, tier_2={k: v for k, v in record.tier_2.items() if k != "benefit"})
    assert any("missing: benefit" in p for p in check_record(dropped).problems)
    odd = replace(
        record,
        metadata={**record.metadata, "algorithmic_transparency_record_phase": "pilot"},
    )
    assert "metadata phase: 'pilot' is not one of GOV.UK's values" in check_record(odd).problems
