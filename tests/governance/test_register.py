"""The register of automated systems and its ATRS transparency records."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest

from civicflow.core import InputError
from civicflow.governance import (
    NOT_PROVIDED,
    AssessmentLink,
    Facets,
    Lifecycle,
    Oversight,
    atrs_fields,
    atrs_record,
    edit_entry,
    link_assessment,
    move_entry,
    new_entry,
    record_csv,
    record_html,
    record_json,
)
from conftest import shared_file

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _entry():
    return new_entry(
        id="sys-1",
        by="ana@council.example",
        at=T0,
        name="Housing benefit triage",
        purpose="Orders new housing-benefit claims by likely complexity so caseworkers see "
        "complex claims first.",
        legal_basis="Social Security Administration Act 1992, s. 1; UK GDPR Art. 6(1)(e)",
        owner="Benefits service",
        senior_responsible_owner="Director of Revenues and Benefits",
        affected_people="Housing-benefit claimants (about 12,000 a year)",
        datasets=["claims-2024", "claims-2025"],
        model_type="Gradient-boosted trees",
        model_version="2.1.0",
        oversight="in-the-loop",
        organisation="Camden Council",
        team="Benefits digital team",
        description="A model ranks new claims; a caseworker decides every claim.",
        contact_email="transparency@camden.example",
        website_url="https://camden.example/ai/housing-benefit-triage",
        details={"benefit": '=HYPERLINK("http://x") faster decisions', "scope": "New claims."},
    )


def test_the_lifecycle_records_who_and_why() -> None:
    entry = _entry()
    assert entry.status is Lifecycle.PROPOSED and entry.oversight is Oversight.IN_THE_LOOP
    with pytest.raises(InputError, match="no linked assessment"):
        move_entry(entry, "assessed", by="bo", reason="AIA done", at=T0)
    entry = link_assessment(entry, AssessmentLink("Canada AIA", "a-1", "impact level II", T0))
    entry = move_entry(entry, "assessed", by="bo", reason="AIA level II", at=T0)
    with pytest.raises(InputError) as info:
        move_entry(entry, "proposed", by="bo", reason="", at=T0)
    assert info.value.where is not None and info.value.where.field == "reason"
    entry = move_entry(entry, "piloted", by="bo", reason="pilot in one office", at=T0)
    entry = move_entry(entry, "live", by="cy", reason="pilot met its criteria", at=T0)
    entry = move_entry(entry, "retired", by="cy", reason="replaced", at=T0)
    assert [(m.from_status, m.to_status, m.by) for m in entry.history] == [
        (None, Lifecycle.PROPOSED, "ana@council.example"),
        (Lifecycle.PROPOSED, Lifecycle.ASSESSED, "bo"),
        (Lifecycle.ASSESSED, Lifecycle.PILOTED, "bo"),
        (Lifecycle.PILOTED, Lifecycle.LIVE, "cy"),
        (Lifecycle.LIVE, Lifecycle.RETIRED, "cy"),
    ]
    with pytest.raises(InputError, match="cannot move from retired"):
        move_entry(entry, "live", by="cy", reason="again", at=T0)


def test_bad_fields_are_named() -> None:
    with pytest.raises(InputError) as info:
        edit_entry(_entry(), oversight="sometimes")
    assert info.value.where is not None and info.value.where.field == "oversight"
    with pytest.raises(InputError) as info:
        edit_entry(_entry(), contact_email="not-an-address")
    assert info.value.where is not None and info.value.where.field == "contact_email"
    with pytest.raises(InputError) as info:
        edit_entry(_entry(), senior_responsible_owner=" ")
    assert info.value.where is not None and info.value.where.field == "senior_responsible_owner"
    with pytest.raises(InputError):
        edit_entry(_entry(), colour="blue")


def test_the_field_dictionary_is_the_standards() -> None:
    with shared_file("governance", "atrs", "atrs_v3.0_fields.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(f.reference, f.key, f.tier) for f in atrs_fields()] == [
        (r["reference_number"], r["attribute"], r["tier"]) for r in rows
    ]
    tiers = [f.tier for f in atrs_fields()]
    assert (tiers.count("1"), tiers.count("2")) == (4, 46)


FACETS = Facets(
    organisation="camden-council",
    organisation_type=("local-authority",),
    function=("social-protection",),
    capability=("forecasting",),
    task="Prioritising benefit claims",
    region=("england",),
    date_published=date(2026, 3, 2),
)


def test_the_record_follows_the_publishing_schema() -> None:
    entry = link_assessment(
        _entry(), AssessmentLink("EU AI Act", "c-1", "high-risk (Annex III 5(a))", T0)
    )
    record = atrs_record(entry, facets=FACETS)
    schema = json.loads(
        shared_file(
            "governance", "atrs", "govuk_finder_schema_algorithmic_transparency_records.json"
        ).read_text()
    )
    for facet in schema["facets"]:
        value = record.metadata[facet["key"]]
        props = facet.get("specialist_publisher_properties") or {}
        if "required" in props.get("validations", {}):
            assert value, facet["key"]
        allowed = {a["value"] for a in facet.get("allowed_values", [])}
        if allowed and value:
            for item in value if isinstance(value, list) else [value]:
                assert item in allowed, (facet["key"], item)
        if props.get("select") == "one":
            assert isinstance(value, str)
    assert record.metadata["algorithmic_transparency_record_phase"] == "pre-deployment"
    assert record.tier_1["name"] == "Housing benefit triage"
    assert record.tier_2["senior_responsible_owner"] == "Director of Revenues and Benefits"
    assert "in-the-loop" in record.tier_2["human_decisions_and_review"]
    assert (
        record.tier_2["impact_assessment"] == "EU AI Act: high-risk (Annex III 5(a)) (2026-03-01)"
    )
    assert record.tier_2["scope"] == "New claims."  # details override
    assert "model_performance" in record.missing_required
    assert record.tier_2["model_performance"] == NOT_PROVIDED
    assert "name" not in record.missing_required
    with pytest.raises(InputError) as info:
        atrs_record(entry, facets=Facets(region=("atlantis",)))
    assert info.value.where is not None and info.value.where.field == "region"


def test_the_three_forms() -> None:
    record = atrs_record(_entry(), facets=FACETS)
    data = json.loads(record_json(record))
    assert data["atrs_version"] == "3.0" and len(data["tier_2"]) == 46
    rows = list(csv.DictReader(io.StringIO(record_csv(record))))
    assert len(rows) == 50
    benefit = next(r for r in rows if r["attribute"] == "benefit")
    assert benefit["value"].startswith("'=HYPERLINK")  # no formula in a spreadsheet
    assert benefit["reference_number"] == "2.2.3"

    class Outline(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[tuple[str, dict]] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append((tag, dict(attrs)))

    page = record_html(record)
    outline = Outline()
    outline.feed(page)
    tags = [t for t, _ in outline.tags]
    assert dict(outline.tags[0][1]) == {"lang": "en"}
    assert tags.count("h1") == 1 and tags.count("main") == 1 and "script" not in tags
    assert tags.count("h2") == 8  # tier 1 and the seven tier-2 categories
    assert "2.1.3 - Senior responsible owner" in page
    assert "&lt;" not in record.title and "=HYPERLINK(&quot;" in page
