"""The data-protection overview of a workspace, for the data-protection officer's page: each
dataset's classification and protection (read from its manifest: what ingest classified, which
columns it pseudonymised and which a data steward kept clear), legal holds, the data steward's
decisions, the differentially private releases with the budget spent, and — for those who keep
the register (PRIVACY_REQUESTS) — the data-subject requests with their deadlines.

Read only: every change is made by the use cases of ``app._privacy`` and ``app._privacy_requests``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from civicflow.app._context import AppContext
from civicflow.app._privacy import StoredDecision, StoredRelease, list_decisions, list_releases
from civicflow.app._privacy_requests import StoredRequest, legal_holds, list_requests
from civicflow.app._privacy_retention import (
    RetentionPolicy,
    RetentionRun,
    list_retention_policies,
    retention_run,
)
from civicflow.app._roles import Actor, Permission
from civicflow.core import Record
from civicflow.eventlog import Dataset
from civicflow.report import Section, privacy_section


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonalColumn(Record):
    """A column ingest classified as holding personal data."""

    _json = True

    table: str
    column: str
    category: str
    confidence: float
    direct_identifier: bool
    pseudonymised: bool
    redacted: dict[str, int] | None = None
    """Free text redacted at ingest: spans replaced per entity type (None: not redacted)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetProtection(Record):
    """One dataset's classification and protection as its manifest records them."""

    _json = True

    dataset: str
    events: int
    cases: int
    classified: bool
    """Ingest ran privacy's transform (a key ring was configured)."""
    key_id: str
    columns: tuple[PersonalColumn, ...]
    kept_clear: dict[str, str]
    """Columns a data steward kept clear, with the reason."""
    legal_hold: str
    """The legal hold's reason, or empty."""
    erased_for: str
    """The request whose erasure wrote this version, or empty."""

    @property
    def unprotected_identifiers(self) -> tuple[str, ...]:
        """Direct identifiers stored in clear (kept clear by decision, or never classified)."""
        return tuple(c.column for c in self.columns if c.direct_identifier and not c.pseudonymised)

    _extra = ("unprotected_identifiers",)


@dataclass(frozen=True, slots=True, kw_only=True)
class PrivacyOverview(Record):
    _json = True

    datasets: tuple[DatasetProtection, ...]
    decisions: tuple[StoredDecision, ...]
    releases: tuple[StoredRelease, ...]
    requests: tuple[StoredRequest, ...] | None
    """None when the actor does not keep the register (PRIVACY_REQUESTS)."""
    retention: tuple[RetentionPolicy, ...]
    retention_plan: RetentionRun | None
    """The dry run of the retention policies (with PRIVACY_REQUESTS, else None)."""

    @property
    def open_requests(self) -> int:
        return sum(1 for r in self.requests or () if r.status not in ("completed", "refused"))

    @property
    def overdue_requests(self) -> int:
        return sum(1 for r in self.requests or () if r.overdue)

    _extra = ("open_requests", "overdue_requests")


def _privacy_report(options: dict[str, Any]) -> dict[str, Any] | None:
    transforms = list(options.get("transforms") or [])
    transforms += list((options.get("erasure") or {}).get("transforms") or [])
    transforms += list((options.get("retention") or {}).get("transforms") or [])
    for t in transforms:
        if isinstance(t, dict) and t.get("name") == "privacy":
            report = t.get("report")
            return report if isinstance(report, dict) else None
    return None


def dataset_protection(dataset: Dataset, *, hold: str = "") -> DatasetProtection:
    """What the manifest of ``dataset`` records of its classification and protection."""
    m = dataset.manifest
    report = _privacy_report(m.options)
    columns: list[PersonalColumn] = []
    if report is not None:
        replaced = report.get("pseudonymised") or {}
        redacted = report.get("redacted") or {}
        for table, result in (report.get("classification") or {}).items():
            done = set(replaced.get(table) or [])
            texts = redacted.get(table) or {}
            for c in result.get("columns", []):
                if c.get("category", "none") == "none":
                    continue
                columns.append(
                    PersonalColumn(
                        table=str(table), column=str(c["column"]), category=str(c["category"]),
                        confidence=float(c.get("confidence", 0.0)),
                        direct_identifier=bool(c.get("direct_identifier")),
                        pseudonymised=c["column"] in done,
                        redacted=(
                            {str(k): int(v) for k, v in texts[c["column"]].items()}
                            if c["column"] in texts
                            else None
                        ),
                    )
                )  # fmt: skip
    erasure = m.options.get("erasure") or {}
    return DatasetProtection(
        dataset=m.name, events=m.events, cases=m.cases, classified=report is not None,
        key_id=str((report or {}).get("key_id") or ""), columns=tuple(columns),
        kept_clear={str(k): str(v) for k, v in ((report or {}).get("kept_clear") or {}).items()},
        legal_hold=hold, erased_for=str(erasure.get("request") or ""),
    )  # fmt: skip


def privacy_overview(
    ctx: AppContext, *, actor: Actor, workspace_id: str, today: date | None = None
) -> PrivacyOverview:
    """The workspace's data-protection overview (WORKSPACE_READ; the requests only with
    PRIVACY_REQUESTS)."""
    from civicflow.app._assessment import list_datasets

    holds = legal_holds(ctx, actor=actor, workspace_id=workspace_id)
    datasets = tuple(
        dataset_protection(d, hold=holds.get(d.name, ""))
        for d in list_datasets(ctx, actor=actor, workspace_id=workspace_id)
    )
    keeper = actor.can(Permission.PRIVACY_REQUESTS, workspace_id)
    requests = (
        tuple(list_requests(ctx, actor=actor, workspace_id=workspace_id, today=today))
        if keeper
        else None
    )
    policies = tuple(list_retention_policies(ctx, actor=actor, workspace_id=workspace_id))
    plan = (
        retention_run(ctx, actor=actor, workspace_id=workspace_id, today=today)
        if keeper and policies
        else None
    )
    return PrivacyOverview(
        datasets=datasets,
        decisions=tuple(list_decisions(ctx, actor=actor, workspace_id=workspace_id)),
        releases=tuple(list_releases(ctx, actor=actor, workspace_id=workspace_id)),
        requests=requests,
        retention=policies,
        retention_plan=plan,
    )


def report_section(ctx: AppContext, *, actor: Actor, workspace_id: str) -> Section | None:
    """The report's "Data protection" section (None when there is nothing to say)."""
    overview = privacy_overview(ctx, actor=actor, workspace_id=workspace_id)
    return privacy_section(overview.to_dict())


def local_report_section(workspace_path: Path | str) -> Section | None:
    """The "Data protection" section for a report written on the command line, read only (None
    when the command line's database does not know the workspace or its operator; see
    :func:`civicflow.app.business_case.local_report_section`)."""
    from civicflow.app._business_case import local_section

    return local_section(workspace_path, report_section)
