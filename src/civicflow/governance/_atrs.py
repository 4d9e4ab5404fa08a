"""A register entry as a UK Algorithmic Transparency Recording Standard (ATRS) record: the v3.0
fields (tier 1 for the public; tier 2 on owner and responsibility, description and rationale,
decision-making process, tool, model and data specification, risks, mitigations and impact
assessments), the GOV.UK finder facets a published record carries, and three forms: JSON, CSV
(one row per field, spreadsheet-safe) and an accessible HTML page.

The field dictionary (``data/atrs_v3.0_fields.csv``) is the standard's own table (OGL v3); the
facets' allowed values come from GOV.UK's publishing schema (``data/atrs_finder_facets.json``).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from civicflow.core import InputError, Location, Record, write_csv
from civicflow.governance._register import OVERSIGHT_TEXT, Lifecycle, RegisterEntry

ATRS_VERSION = "3.0"
NOT_PROVIDED = "Not provided"
FORMATS = ("json", "csv", "html")
PHASES = {
    Lifecycle.PROPOSED: "pre-deployment",
    Lifecycle.ASSESSED: "pre-deployment",
    Lifecycle.PILOTED: "beta-pilot",
    Lifecycle.LIVE: "production",
    Lifecycle.RETIRED: "retired",
}
"""Lifecycle status to the finder's phase slug (v3.0's ``beta-pilot`` for a pilot)."""


@dataclass(frozen=True, slots=True)
class AtrsField(Record):
    reference: str
    key: str
    name: str
    tier: str
    category: str
    required: bool
    _json = True


@dataclass(frozen=True, slots=True)
class Facets:
    """The GOV.UK finder metadata of a published record (slugs from the publishing schema)."""

    organisation: str = ""
    organisation_type: tuple[str, ...] = ()
    function: tuple[str, ...] = ()
    capability: tuple[str, ...] = ()
    task: str = ""
    region: tuple[str, ...] = ()
    date_published: date | None = None
    other_tags: str = ""


@dataclass(frozen=True, slots=True)
class AtrsRecord(Record):
    """The record: finder ``metadata``, ``tier_1`` and ``tier_2`` values by attribute key (v3.0
    order), and the required fields left empty (shown as "Not provided")."""

    entry_id: str
    title: str
    metadata: Mapping[str, Any]
    tier_1: Mapping[str, str]
    tier_2: Mapping[str, str]
    missing_required: tuple[str, ...]
    atrs_version: str = ATRS_VERSION
    _json = True


@cache
def atrs_fields() -> tuple[AtrsField, ...]:
    """The ATRS v3.0 field dictionary, in reference order."""
    text = resources.files("civicflow.governance").joinpath("data", "atrs_v3.0_fields.csv")
    return tuple(
        AtrsField(
            reference=row["reference_number"],
            key=row["attribute"],
            name=row["name"],
            tier=row["tier"],
            category=row["category"],
            required=row["required"].strip().upper() == "TRUE",
        )
        for row in csv.DictReader(io.StringIO(text.read_text(encoding="utf-8")))
    )


@cache
def finder_facets() -> Mapping[str, tuple[str, ...]]:
    """The allowed values of each finder facet civicflow fills."""
    text = resources.files("civicflow.governance").joinpath("data", "atrs_finder_facets.json")
    data = json.loads(text.read_text(encoding="utf-8"))
    return {key: tuple(values) for key, values in data["facets"].items()}


def _check_facets(facets: Facets) -> None:
    allowed = finder_facets()
    for key in ("organisation_type", "function", "capability", "region"):
        for value in getattr(facets, key):
            if value not in allowed[key]:
                raise InputError(
                    f"'{value}' is not a GOV.UK {key.replace('_', ' ')} slug",
                    where=Location(field=key),
                    found=value,
                    expected=", ".join(allowed[key]),
                    fix="use one of the publishing schema's values",
                )


def atrs_record(entry: RegisterEntry, *, facets: Facets | None = None) -> AtrsRecord:
    """The entry as an ATRS v3.0 record. Values come from the entry's fields, its lifecycle,
    oversight and linked assessments; ``entry.details`` fills (or overrides) any field by key."""
    facets = facets or Facets()
    _check_facets(facets)
    values = _values(entry)
    values.update({k: v for k, v in entry.details.items() if v.strip()})
    tier_1: dict[str, str] = {}
    tier_2: dict[str, str] = {}
    missing: list[str] = []
    for f in atrs_fields():
        if f.tier not in ("1", "2"):
            continue
        value = values.get(f.key, "").strip()
        if not value and f.required:
            missing.append(f.key)
        (tier_1 if f.tier == "1" else tier_2)[f.key] = value or NOT_PROVIDED
    prefix = "algorithmic_transparency_record_"
    metadata = {
        f"{prefix}organisation": facets.organisation or entry.organisation,
        f"{prefix}organisation_type": list(facets.organisation_type),
        f"{prefix}function": list(facets.function),
        f"{prefix}capability": list(facets.capability),
        f"{prefix}task": facets.task,
        f"{prefix}phase": PHASES[entry.status],
        f"{prefix}region": list(facets.region),
        f"{prefix}date_published": (
            facets.date_published.isoformat() if facets.date_published else None
        ),
        f"{prefix}atrs_version": ATRS_VERSION,
        f"{prefix}other_tags": facets.other_tags,
    }
    return AtrsRecord(entry.id, entry.name, metadata, tier_1, tier_2, tuple(missing))


@cache
def derived_atrs_keys() -> frozenset[str]:
    """The record fields filled from the entry's own fields, lifecycle and assessments (the
    others come from ``entry.details``)."""
    blank = RegisterEntry(
        id="", name="", purpose="", legal_basis="", owner="", senior_responsible_owner=""
    )
    return frozenset(_values(blank))


def _values(entry: RegisterEntry) -> dict[str, str]:
    impact = "\n".join(
        f"{a.kind}: {a.summary}" + (f" ({a.at.date().isoformat()})" if a.at else "")
        for a in entry.assessments
    )
    oversight = OVERSIGHT_TEXT[entry.oversight]
    return {
        "name": entry.name,
        "description": entry.description or entry.purpose,
        "website_url": entry.website_url,
        "contact_email": entry.contact_email,
        "organisation_or_department": entry.organisation,
        "team": entry.team,
        "senior_responsible_owner": entry.senior_responsible_owner,
        "detailed_description": entry.description,
        "scope": entry.purpose,
        "human_decisions_and_review": f"Human oversight: {entry.oversight.value}. {oversight}",
        "phase": PHASES[entry.status],
        "models": entry.model_type,
        "model_name": entry.model_type,
        "model_version": entry.model_version,
        "datasets": "\n".join(entry.datasets),
        "source_data_name": "\n".join(entry.datasets),
        "impact_assessment": impact,
    }


# --- checking a record before it is published ------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class RecordCheck(Record):
    """What stands between a record and publication: the required fields not provided (as the
    standard numbers them, "2.2.3 - Benefit") and the values that break the standard's or
    GOV.UK's rules. ``complete``: neither."""

    missing_required: tuple[str, ...]
    problems: tuple[str, ...]
    _json = True
    _extra = ("complete",)

    @property
    def complete(self) -> bool:
        return not self.missing_required and not self.problems


def check_record(record: AtrsRecord) -> RecordCheck:
    """Check a record against the ATRS v3.0 field dictionary and GOV.UK's publishing schema:
    every tier 1 and tier 2 field present in the standard's order, each required one provided,
    the contact e-mail an address and the web page a public http(s) address (or "N/A", as the
    guidance allows), the phase and facet values the finder's slugs."""
    fields = [f for f in atrs_fields() if f.tier in ("1", "2")]
    problems: list[str] = []
    for tier, table in (("1", record.tier_1), ("2", record.tier_2)):
        expected = [f.key for f in fields if f.tier == tier]
        if list(table) != expected:
            lost = [k for k in expected if k not in table]
            extra = [k for k in table if k not in expected]
            problems.append(
                f"tier {tier} does not follow the standard's fields"
                + (f"; missing: {', '.join(lost)}" if lost else "")
                + (f"; unknown: {', '.join(extra)}" if extra else "")
                + ("" if lost or extra else "; out of order")
            )
    values = {**record.tier_1, **record.tier_2}
    missing = tuple(
        f"{f.reference} - {f.name}"
        for f in fields
        if f.required and values.get(f.key, NOT_PROVIDED) in (NOT_PROVIDED, "")
    )
    email = values.get("contact_email", NOT_PROVIDED)
    if email not in (NOT_PROVIDED, "N/A") and not _EMAIL.match(email):
        problems.append(f"1.4 - Contact email: '{email}' is not an e-mail address")
    url = values.get("website_url", NOT_PROVIDED)
    if url not in (NOT_PROVIDED, "N/A") and not url.startswith(("https://", "http://")):
        problems.append(f"1.3 - Website URL: '{url}' is not a web address")
    allowed = finder_facets()
    prefix = "algorithmic_transparency_record_"
    for key in ("phase", "organisation_type", "function", "capability", "region"):
        value = record.metadata.get(prefix + key)
        for v in [value] if isinstance(value, str) else list(value or []):
            if v not in allowed[key]:
                problems.append(f"metadata {key}: '{v}' is not one of GOV.UK's values")
    return RecordCheck(missing, tuple(problems))


# --- the three forms -------------------------------------------------------------------------


def record_json(record: AtrsRecord) -> str:
    return json.dumps(record.to_dict(), indent=2, ensure_ascii=False) + "\n"


def record_csv(record: AtrsRecord) -> str:
    """One row per field: reference, attribute, name, tier, category, value (formula-safe)."""
    buffer = io.StringIO(newline="")
    write_csv(
        buffer,
        header=["reference_number", "attribute", "name", "tier", "category", "value"],
        rows=_rows(record),
    )
    return buffer.getvalue()


def _rows(record: AtrsRecord) -> list[Sequence[str]]:
    rows: list[Sequence[str]] = []
    for f in atrs_fields():
        if f.tier in ("1", "2"):
            table = record.tier_1 if f.tier == "1" else record.tier_2
            rows.append((f.reference, f.key, f.name, f.tier, f.category, table[f.key]))
    return rows


def record_html(record: AtrsRecord, *, lang: str = "en") -> str:
    """A self-contained, accessible page: one ``h1``, a heading per section in the standard's
    numbering ("2.1.3 - Senior responsible owner"), values as text, no script."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(record.title)}: algorithmic transparency record</title>",
        "<style>body{font-family:sans-serif;max-width:44em;margin:2em auto;padding:0 1em;"
        "line-height:1.5;color:#0b0c0c}h2{margin-top:2em}dt{font-weight:bold;margin-top:1em}"
        "dd{margin:0;white-space:pre-line}.missing{color:#505a5f}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{e(record.title)}</h1>",
        f"<p>Algorithmic transparency record, ATRS version {e(record.atrs_version)}. Phase: "
        f"{e(str(record.metadata['algorithmic_transparency_record_phase']))}.</p>",
    ]
    category = None
    for f in atrs_fields():
        if f.tier not in ("1", "2"):
            continue
        if f.category != category:
            if category is not None:
                parts.append("</dl>")
            category = f.category
            tier = "Tier 1" if f.tier == "1" else "Tier 2"
            parts.append(f"<h2>{e(category if f.tier == '2' else 'Summary information')}"
                         f" <span class=\"missing\">({tier})</span></h2>")  # fmt: skip
            parts.append("<dl>")
        value = (record.tier_1 if f.tier == "1" else record.tier_2)[f.key]
        css = ' class="missing"' if value == NOT_PROVIDED else ""
        parts.append(f"<dt>{e(f.reference)} - {e(f.name)}</dt><dd{css}>{e(value)}</dd>")
    parts += ["</dl>", "</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def render_record(record: AtrsRecord, fmt: str) -> str:
    if fmt == "json":
        return record_json(record)
    if fmt == "csv":
        return record_csv(record)
    if fmt == "html":
        return record_html(record)
    raise InputError(
        f"unknown record format '{fmt}'",
        where=Location(field="format"),
        found=fmt,
        expected="json, csv or html",
        fix="pass --format json, csv or html",
    )
