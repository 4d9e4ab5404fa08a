"""Compliance controls as versioned data files (GDPR, HIPAA, the EU AI Act; an agency adds its
own, e.g. a national directive), each control's owner, status, due date and evidence links to
artifacts in the workspace; the gaps report; and the GDPR Art. 30 record of processing activities
generated from the register."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from civicflow.core import InputError, Location, Record, check_choice
from civicflow.governance._register import RegisterEntry

BUILTIN_CATALOGUES = ("gdpr", "hipaa", "eu-ai-act")
EVIDENCE_KINDS = (
    "assessment", "dataset", "baseline", "pilot", "fairness-audit", "ledger", "register",
    "record", "document", "attachment",
)  # fmt: skip
"""What an evidence link points at: a stored assessment, a dataset (and its PII scan), a frozen
baseline, a pilot, a fairness audit run, a ledger verification, a register entry, a published
transparency record, a document by its address, or a file attached to the control (its id)."""


class ControlStatus(StrEnum):
    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    IMPLEMENTED = "implemented"
    NOT_APPLICABLE = "not-applicable"


@dataclass(frozen=True, slots=True)
class Control(Record):
    id: str
    reference: str
    title: str
    requirement: str
    evidence: tuple[str, ...]
    _json = True


@dataclass(frozen=True, slots=True)
class Catalogue(Record):
    id: str
    version: str
    title: str
    source: str
    controls: tuple[Control, ...]
    _json = True

    def control(self, control_id: str) -> Control:
        found = next((c for c in self.controls if c.id == control_id), None)
        if found is None:
            raise InputError(
                f"catalogue '{self.id}' has no control '{control_id}'",
                where=Location(field="control"),
                found=control_id,
                expected=", ".join(c.id for c in self.controls[:8]) + ", …",
                fix="list the controls with `civicflow governance controls list`",
            )
        return found


@dataclass(frozen=True, slots=True)
class EvidenceLink(Record):
    kind: str
    ref: str
    note: str = ""
    _json = True


@dataclass(frozen=True, slots=True)
class ControlState(Record):
    """The agency's state of one control."""

    catalogue: str
    control: str
    owner: str = ""
    status: ControlStatus = ControlStatus.NOT_STARTED
    due: date | None = None
    evidence: tuple[EvidenceLink, ...] = ()
    _json = True


@dataclass(frozen=True, slots=True)
class Gap(Record):
    catalogue: str
    control: str
    reference: str
    title: str
    problems: tuple[str, ...]
    owner: str
    due: date | None
    _json = True


@dataclass(frozen=True, slots=True)
class GapsReport(Record):
    catalogue: str
    version: str
    total: int
    implemented: int
    not_applicable: int
    gaps: tuple[Gap, ...]
    _json = True
    _extra = ("share_implemented",)

    @property
    def share_implemented(self) -> float:
        applicable = self.total - self.not_applicable
        return self.implemented / applicable if applicable else 1.0


def builtin_catalogue(name: str) -> Catalogue:
    check_choice(name, BUILTIN_CATALOGUES, what="control catalogue", field="catalogue",
                 error=InputError)  # fmt: skip
    text = resources.files("civicflow.governance").joinpath("data", f"controls-{name}.json")
    return parse_catalogue(json.loads(text.read_text(encoding="utf-8")), source=text.name)


def load_catalogue(path: Path) -> Catalogue:
    """An agency's own catalogue (same form as the built-in ones, see docs/GOVERNANCE.md)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            "the control catalogue cannot be read",
            where=Location(file=str(path)),
            found=str(exc),
            expected="a JSON control catalogue",
            fix="check the path and that the file is JSON",
        ) from exc
    return parse_catalogue(data, source=str(path))


def parse_catalogue(data: Mapping[str, Any], *, source: str = "") -> Catalogue:
    def text(item: Mapping[str, Any], key: str) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise InputError(
                f"'{key}' is missing or empty",
                where=Location(file=source or None, field=key),
                found=repr(value),
                expected="non-empty text",
                fix=f"give every control its '{key}'",
            )
        return value

    controls = []
    seen: set[str] = set()
    for item in data.get("controls") or []:
        control_id = text(item, "id")
        if control_id in seen:
            raise InputError(
                f"control '{control_id}' appears twice",
                where=Location(file=source or None, field="id"),
                found=control_id,
                expected="unique control ids",
                fix="rename one of them",
            )
        seen.add(control_id)
        kinds = tuple(str(k) for k in item.get("evidence", []))
        for kind in kinds:
            check_choice(kind, EVIDENCE_KINDS, what="evidence kind", field=f"{control_id}.evidence",
                         error=InputError)  # fmt: skip
        controls.append(
            Control(
                control_id,
                text(item, "reference"),
                text(item, "title"),
                str(item.get("requirement", "")),
                kinds,
            )
        )
    return Catalogue(
        id=text(data, "id"),
        version=text(data, "version"),
        title=str(data.get("title", "")),
        source=str(data.get("source", source)),
        controls=tuple(controls),
    )


def evidence_link(text: str, note: str = "") -> EvidenceLink:
    """``kind:ref`` (``assessment:asm_…``, ``dataset:claims-2025``, ``document:https://…``)."""
    kind, sep, ref = text.partition(":")
    if not sep or not ref.strip():
        raise InputError(
            "an evidence link is kind:ref",
            where=Location(field="evidence"),
            found=text,
            expected=f"kind:ref with kind one of {', '.join(EVIDENCE_KINDS)}",
            fix="e.g. assessment:asm_123, dataset:claims-2025, document:https://intranet/dpia.pdf",
        )
    check_choice(kind, EVIDENCE_KINDS, what="evidence kind", field="evidence", error=InputError)
    return EvidenceLink(kind, ref.strip(), note)


def gaps_report(catalogue: Catalogue, states: Iterable[ControlState], *, today: date) -> GapsReport:
    """Each applicable control that is not implemented with evidence, has no owner, or is past its
    due date, with what is missing."""
    by_id = {s.control: s for s in states if s.catalogue == catalogue.id}
    gaps = []
    implemented = not_applicable = 0
    for control in catalogue.controls:
        state = by_id.get(control.id) or ControlState(catalogue.id, control.id)
        if state.status is ControlStatus.NOT_APPLICABLE:
            not_applicable += 1
            continue
        problems = []
        if state.status is ControlStatus.IMPLEMENTED:
            if state.evidence:
                implemented += 1
            else:
                problems.append("implemented but no evidence linked")
        else:
            problems.append(f"status {state.status.value}")
        if not state.owner:
            problems.append("no owner")
        if (
            state.due is not None
            and state.due < today
            and state.status is not ControlStatus.IMPLEMENTED
        ):
            problems.append(f"overdue since {state.due.isoformat()}")
        if problems:
            gaps.append(Gap(catalogue.id, control.id, control.reference, control.title,
                            tuple(problems), state.owner, state.due))  # fmt: skip
    return GapsReport(
        catalogue.id, catalogue.version, len(catalogue.controls), implemented, not_applicable,
        tuple(gaps),
    )  # fmt: skip


# --- GDPR Art. 30 --------------------------------------------------------------------------

ART30_FIELDS = (
    ("name", "Art. 30(1)(a)", "Processing activity"),
    ("controller", "Art. 30(1)(a)", "Controller and contact details; DPO"),
    ("purposes", "Art. 30(1)(b)", "Purposes of the processing"),
    ("legal_basis", "Art. 6(1)", "Lawful basis"),
    ("data_subjects", "Art. 30(1)(c)", "Categories of data subjects"),
    ("data_categories", "Art. 30(1)(c)", "Categories of personal data"),
    ("recipients", "Art. 30(1)(d)", "Categories of recipients"),
    ("transfers", "Art. 30(1)(e)", "Transfers to third countries"),
    ("retention", "Art. 30(1)(f)", "Time limits for erasure"),
    ("security", "Art. 30(1)(g)", "Technical and organisational security measures"),
    ("automated_decision", "Art. 22", "Automated decision-making and human oversight"),
    ("datasets", "", "Datasets used"),
)
NOT_RECORDED = "not recorded"
ART30_DETAILS = (
    ("data_categories", "Categories of personal data"),
    ("recipients", "Categories of recipients"),
    ("transfers", "Transfers to third countries"),
    ("retention", "Time limits for erasure"),
    ("security", "Technical and organisational security measures"),
)
"""The Art. 30 fields a register entry keeps in its ``details`` (key, label)."""


@dataclass(frozen=True, slots=True)
class Art30Row(Record):
    system_id: str
    values: Mapping[str, str]
    missing: tuple[str, ...]
    _json = True


NO_PERSONAL_DATA = "no personal data found by the PII scan"


def scan_categories(options: Mapping[str, Any]) -> str | None:
    """The categories of personal data a dataset's PII scan found, from its manifest's options
    (the ``privacy`` ingest transform's classification of the events and cases tables), as the
    Art. 30 record shows them: ``person_name (citizen); nl_bsn (bsn)``. ``None`` when the
    dataset was stored without a scan; :data:`NO_PERSONAL_DATA` when the scan found none."""
    reports = [
        t.get("report") or {}
        for t in options.get("transforms", [])
        if isinstance(t, Mapping) and t.get("name") == "privacy"
    ]
    if not reports:
        return None
    found: dict[str, list[str]] = {}
    for report in reports:
        for table in (report.get("classification") or {}).values():
            for column in table.get("columns", []):
                category = str(column.get("category", "none"))
                if category != "none":
                    found.setdefault(category, []).append(str(column.get("column")))
    if not found:
        return NO_PERSONAL_DATA
    return "; ".join(f"{cat} ({', '.join(cols)})" for cat, cols in sorted(found.items()))


def article_30_record(
    entries: Sequence[RegisterEntry],
    *,
    controller: str,
    data_categories: Mapping[str, str] | None = None,
) -> tuple[Art30Row, ...]:
    """The record of processing activities: one row per registered system that is not retired.
    Purposes, legal basis, data subjects and datasets come from the entry; recipients, transfers,
    retention, security (and data categories, unless ``data_categories`` gives them per dataset,
    e.g. from its PII scan) from the entry's ``details`` under those keys. What is missing is
    listed, never invented."""
    per_dataset = dict(data_categories or {})
    rows = []
    for entry in entries:
        if entry.status.value == "retired":
            continue
        from_scans = "; ".join(
            f"{name}: {per_dataset[name]}" for name in entry.datasets if name in per_dataset
        )
        values = {
            "name": entry.name,
            "controller": controller,
            "purposes": entry.purpose,
            "legal_basis": entry.legal_basis,
            "data_subjects": entry.affected_people,
            "data_categories": entry.details.get("data_categories", "") or from_scans,
            "recipients": entry.details.get("recipients", ""),
            "transfers": entry.details.get("transfers", ""),
            "retention": entry.details.get("retention", ""),
            "security": entry.details.get("security", ""),
            "automated_decision": f"human oversight: {entry.oversight.value}",
            "datasets": ", ".join(entry.datasets),
        }
        missing = tuple(k for k, v in values.items() if not v.strip())
        rows.append(Art30Row(entry.id, {k: v or NOT_RECORDED for k, v in values.items()}, missing))
    return tuple(rows)
