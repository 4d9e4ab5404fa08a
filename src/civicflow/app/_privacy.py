"""Privacy use cases: scan a dataset for personal data, the data steward's column decisions, the
pseudonymising ingest, and re-identification through the vault — role-checked and ledgered.

- ``scan_dataset`` (WORKSPACE_READ): classify a stored dataset's columns from a sample.
- ``decide_column`` (PRIVACY_DECIDE, the data steward): keep a column clear at ingest (a reason is
  required) or pseudonymise it; ledger ``privacy.decision`` with both states.
- ``protecting_transform``: the ingest transform with the workspace's decisions and the key ring
  (setting ``privacy_key_file``); ``ingest_dataset`` adds it by default when the key ring is set.
- ``store_vault``: after a pseudonymising ingest, the sealed originals go to ``privacy_vault`` and
  the ledger gets ``privacy.pseudonymise`` (columns, key id, counts — no values).
- ``publish_process_map`` (PRIVACY_RELEASE, the DPO): a differentially private directly-follows
  graph; refused when the dataset's privacy budget would be exceeded; ledger ``privacy.release``.
- ``reidentify`` (PRIVACY_REIDENTIFY, the data-protection officer): a pseudonym's original, with a
  reason; ledger ``privacy.reidentify`` names the pseudonym only.
- ``preview_protection`` (WORKSPACE_READ): the upload page's view of an upload's sample — each
  field's detected kind, confidence, masked examples and the protection ingest will apply;
  ``decide_columns`` records the data steward's changes made there (all checked before any is
  recorded).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from civicflow.app._context import AppContext
from civicflow.app._models import PrivacyDecisionRow, PrivacyReleaseRow, PrivacyVaultRow
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import (
    ConfigurationError,
    InputError,
    Location,
    NotFoundError,
    Record,
    check_choice,
    new_id,
    utcnow,
)
from civicflow.privacy import (
    KEEP,
    NOT_CLASSIFIED,
    PSEUDONYMISE,
    REDACT,
    Category,
    Classification,
    ClassifyConfig,
    ColumnDecision,
    DpConfig,
    DpRelease,
    KeyRing,
    PseudonymiseTransform,
    classify_table,
    dp_directly_follows,
    dp_variants,
    read_table,
)

DECISION = "privacy_decision"
ACTIONS = (KEEP, PSEUDONYMISE, REDACT)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredDecision(Record):
    _json = True

    id: str
    column: str
    action: str
    reason: str
    decided_by: str
    decided_at: datetime


def _decision_out(row: PrivacyDecisionRow) -> StoredDecision:
    return StoredDecision(
        id=row.id, column=row.column, action=row.action, reason=row.reason,
        decided_by=row.decided_by, decided_at=row.decided_at,
    )  # fmt: skip


def key_ring(ctx: AppContext) -> KeyRing:
    """The pseudonymisation key ring of the setting ``privacy_key_file``."""
    path = ctx.settings.privacy_key_file
    if path is None:
        raise ConfigurationError(
            "no pseudonymisation key ring is configured",
            where=Location(field="privacy_key_file"),
            expected="CIVICFLOW_PRIVACY_KEY_FILE naming a key ring outside the workspace",
            fix="create one with `civicflow privacy keygen PATH` and set CIVICFLOW_PRIVACY_KEY_FILE",
        )
    return KeyRing.read(path)


def scan_dataset(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    config: ClassifyConfig | None = None,
) -> Classification:
    """Classify the columns of a stored dataset's events from a sample (WORKSPACE_READ)."""
    from civicflow.app._assessment import list_datasets

    datasets = {d.name: d for d in list_datasets(ctx, actor=actor, workspace_id=workspace_id)}
    dataset = datasets.get(dataset_name)
    if dataset is None:
        raise NotFoundError(
            f"there is no dataset '{dataset_name}' in this workspace",
            where=Location(field="dataset"),
            found=dataset_name,
            expected="one of: " + (", ".join(sorted(datasets)) or "(no datasets yet)"),
            fix="list the datasets with `civicflow datasets list`",
        )
    return scan_stored(dataset.events_path, dataset.cases_path, config=config)


def scan_stored(
    events: Path, cases: Path, *, config: ClassifyConfig | None = None
) -> Classification:
    """Classify a stored dataset's event attributes and case attributes (as ``case:<name>``)."""
    config = config or ClassifyConfig()
    result = scan_file(events, config=config)
    columns = list(result.columns)
    if Path(cases).exists():
        per_case = classify_table(read_table(Path(cases)), config=config, skip=("case_id",))
        columns += [dataclasses.replace(c, column=f"case:{c.column}") for c in per_case.columns]
    return Classification(
        columns=tuple(columns), rows=result.rows, rows_sampled=result.rows_sampled, config=config
    )


def scan_file(path: Path, *, config: ClassifyConfig | None = None) -> Classification:
    """Classify the columns of a CSV or Parquet file (a dataset's events file, or any table)
    from a sample of its rows; no role (the caller reads the file itself)."""
    config = config or ClassifyConfig()
    return classify_table(
        read_table(Path(path)), config=config, skip=("timestamp", "start_timestamp", "position")
    )


def list_decisions(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[StoredDecision]:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        rows = s.scalars(
            select(PrivacyDecisionRow)
            .where(PrivacyDecisionRow.workspace_id == workspace_id)
            .order_by(PrivacyDecisionRow.column)
        )
        return [_decision_out(r) for r in rows]


def decide_column(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    column: str,
    action: str,
    reason: str,
) -> StoredDecision:
    """The data steward's decision on ``column`` (PRIVACY_DECIDE); ledger ``privacy.decision``.
    A later decision on the same column replaces the earlier one (both states ledgered)."""
    actor.require(Permission.PRIVACY_DECIDE, workspace_id)
    check_choice(action, ACTIONS, what="privacy decision", field="action", error=InputError)
    column = column.strip()
    reason = reason.strip()
    if not column or len(column) > 200:
        raise InputError(
            "a decision needs the column's name (1 to 200 characters)",
            where=Location(field="column"),
            found=repr(column[:50]),
            expected="a column name as ingest sees it (case attributes as case:<name>)",
            fix="name the column",
        )
    if len(reason) < 5:
        raise InputError(
            "a privacy decision needs its reason",
            where=Location(field="reason"),
            found=repr(reason),
            expected="why the column is kept clear or pseudonymised (at least 5 characters)",
            fix="give the legal or operational reason, e.g. 'staff names: needed for workload'",
        )
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        row = s.scalars(
            select(PrivacyDecisionRow).where(
                PrivacyDecisionRow.workspace_id == workspace_id, PrivacyDecisionRow.column == column
            )
        ).one_or_none()
        before = None
        if row is None:
            row = PrivacyDecisionRow(
                id=new_id("pdc_"), workspace_id=workspace_id, column=column, action=action,
                reason=reason, decided_by=actor.pseudonym, decided_at=utcnow(),
            )  # fmt: skip
            s.add(row)
        else:
            before = {"column": row.column, "action": row.action, "reason": row.reason}
            row.action, row.reason = action, reason
            row.decided_by, row.decided_at = actor.pseudonym, utcnow()
        record(
            ctx, s, actor=actor, action="privacy.decision", object_type=DECISION,
            object_id=row.id, workspace_id=workspace_id, before=before,
            after={"column": column, "action": action, "reason": reason}, reason=reason,
        )  # fmt: skip
        return _decision_out(row)


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnProtection(Record):
    """One source field of an upload as the mapping preview shows it."""

    _json = True

    field: str
    """The field's name in the uploaded file."""
    column: str
    """The column's name after ingest (the name a decision is kept under)."""
    category: str
    confidence: float
    examples: tuple[str, ...]
    """Masked sample values (``J** J*****``), never the values themselves."""
    direct_identifier: bool
    action: str
    """What ingest does with it: ``pseudonymise``, ``redact`` (free text: the personal data in it
    replaced by typed placeholders) or ``keep``."""
    basis: str
    """Why: ``default`` (classification) or ``decision`` (a data steward's, with ``reason``)."""
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectionPreview(Record):
    """The classification of an upload's sample and the protection ingest will apply."""

    _json = True

    columns: tuple[ColumnProtection, ...]
    rows_sampled: int
    active: bool
    """A key ring is configured: ingest pseudonymises (otherwise the data is stored as it is)."""
    can_decide: bool
    """The actor may change a column's protection (PRIVACY_DECIDE)."""

    @property
    def personal(self) -> tuple[ColumnProtection, ...]:
        return tuple(c for c in self.columns if c.category != "none")

    _extra = ("personal",)


def stored_column(field: str, mapping: Mapping[str, str]) -> str:
    """The column a source field becomes at ingest: the canonical name of a mapped field
    (``mapping`` is canonical column → source field), otherwise the field's own name."""
    for canonical, source in mapping.items():
        if source == field:
            return canonical
    return field


def preview_protection(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    fields: Sequence[str],
    rows: Sequence[Sequence[str]],
    mapping: Mapping[str, str],
    config: ClassifyConfig | None = None,
) -> ProtectionPreview:
    """Classify an upload's sample (``fields`` and the first ``rows``) and say per field what
    ingest will do: pseudonymise the direct identifiers unless a data steward decided otherwise
    for the column (WORKSPACE_READ). Fields mapped to the activity or the times are not
    classified (ingest does not classify them either)."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    decisions = {d.column: d for d in list_decisions(ctx, actor=actor, workspace_id=workspace_id)}
    columns = {f: stored_column(f, mapping) for f in dict.fromkeys(fields)}
    wanted = [f for f, c in columns.items() if c not in NOT_CLASSIFIED]
    index = {f: i for i, f in enumerate(fields)}
    table = pa.table(
        {
            f: pa.array(
                [(r[index[f]] or None) if index[f] < len(r) else None for r in rows], pa.string()
            )
            for f in wanted
        }
    )
    verdicts = classify_table(table, config=config or ClassifyConfig())
    out: list[ColumnProtection] = []
    for verdict in verdicts.columns:
        column = columns[verdict.column]
        decision = decisions.get(column) or decisions.get(column.removeprefix("case:"))
        if decision is not None:
            action, basis, reason = decision.action, "decision", decision.reason
        else:
            action = (
                PSEUDONYMISE
                if verdict.direct_identifier
                else REDACT
                if verdict.category is Category.FREE_TEXT
                else KEEP
            )
            basis, reason = "default", ""
        out.append(
            ColumnProtection(
                field=verdict.column, column=column, category=verdict.category.value,
                confidence=verdict.confidence, examples=verdict.examples,
                direct_identifier=verdict.direct_identifier, action=action, basis=basis,
                reason=reason,
            )
        )  # fmt: skip
    return ProtectionPreview(
        columns=tuple(out),
        rows_sampled=verdicts.rows_sampled,
        active=ctx.settings.privacy_key_file is not None,
        can_decide=actor.can(Permission.PRIVACY_DECIDE, workspace_id),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnChoice:
    """A protection chosen for a column on the upload page, with the one shown before."""

    column: str
    action: str
    shown: str
    reason: str = ""


def decide_columns(
    ctx: AppContext, *, actor: Actor, workspace_id: str, choices: Sequence[ColumnChoice]
) -> list[StoredDecision]:
    """Record the choices that differ from what was shown (PRIVACY_DECIDE for any change).
    Every change is checked (permission, action, reason) before the first is recorded."""
    changed = [c for c in choices if c.action != c.shown]
    if not changed:
        return []
    actor.require(Permission.PRIVACY_DECIDE, workspace_id)
    for choice in changed:
        check_choice(
            choice.action, ACTIONS, what="privacy decision", field="action", error=InputError
        )
        if len(choice.reason.strip()) < 5:
            raise InputError(
                f"changing the protection of '{choice.column}' needs its reason",
                where=Location(field="privacy_reason"),
                found=repr(choice.reason.strip()),
                expected="why the column is kept clear or pseudonymised (at least 5 characters)",
                fix="give the legal or operational reason, e.g. 'staff names: needed for workload'",
            )
    return [
        decide_column(
            ctx,
            actor=actor,
            workspace_id=workspace_id,
            column=c.column,
            action=c.action,
            reason=c.reason,
        )
        for c in changed
    ]


def protecting_transform(
    ctx: AppContext, *, workspace_id: str, config: ClassifyConfig | None = None
) -> PseudonymiseTransform:
    """The pseudonymising ingest transform with the workspace's decisions and the key ring."""
    ring = key_ring(ctx)
    with ctx.read_session() as s:
        rows = s.scalars(
            select(PrivacyDecisionRow).where(PrivacyDecisionRow.workspace_id == workspace_id)
        )
        decisions = {
            r.column: ColumnDecision(column=r.column, action=r.action, reason=r.reason)
            for r in rows
        }
    return PseudonymiseTransform(ring, decisions=decisions, config=config)


def store_vault(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    transform: PseudonymiseTransform,
) -> int:
    """Store the sealed originals of a pseudonymising ingest (those not in the vault yet) and
    ledger ``privacy.pseudonymise`` for the dataset. Returns how many entries were added."""
    entries = transform.vault_entries()
    report = dict(transform.finish())
    with ctx.session() as s:
        known = set(
            s.scalars(
                select(PrivacyVaultRow.pseudonym).where(
                    PrivacyVaultRow.workspace_id == workspace_id
                )
            )
        )
        now = utcnow()
        added = 0
        for pseudonym, sealed in entries.items():
            if pseudonym in known:
                continue
            s.add(
                PrivacyVaultRow(
                    id=new_id("pvt_"),
                    workspace_id=workspace_id,
                    pseudonym=pseudonym,
                    sealed=sealed,
                    dataset=dataset_name,
                    created_at=now,
                )
            )
            added += 1
        record(
            ctx, s, actor=actor, action="privacy.pseudonymise", object_type="dataset_privacy",
            object_id=dataset_name, workspace_id=workspace_id,
            after={
                "key_id": report["key_id"], "pseudonymised": report["pseudonymised"],
                "kept_clear": report["kept_clear"], "vault_added": added,
            },
        )  # fmt: skip
    return added


def reidentify(
    ctx: AppContext, *, actor: Actor, workspace_id: str, pseudonym: str, reason: str
) -> str:
    """The original value behind ``pseudonym`` (PRIVACY_REIDENTIFY); ledger
    ``privacy.reidentify`` with the pseudonym and the reason (never the value)."""
    actor.require(Permission.PRIVACY_REIDENTIFY, workspace_id)
    if len(reason.strip()) < 5:
        raise InputError(
            "re-identification needs its reason",
            where=Location(field="reason"),
            found=repr(reason),
            expected="the request or legal basis (at least 5 characters)",
            fix="give the reason, e.g. the data-subject request's number",
        )
    ring = key_ring(ctx)
    with ctx.session() as s:
        row = s.scalars(
            select(PrivacyVaultRow).where(
                PrivacyVaultRow.workspace_id == workspace_id,
                PrivacyVaultRow.pseudonym == pseudonym,
            )
        ).one_or_none()
        if row is None:
            raise NotFoundError(
                "the vault has no entry for this pseudonym",
                where=Location(field="pseudonym"),
                found=pseudonym,
                expected="a pseudonym made by a pseudonymising ingest of this workspace",
                fix="copy the pseudonym from the dataset",
            )
        value = ring.unseal(row.sealed, pseudonym)
        record(
            ctx, s, actor=actor, action="privacy.reidentify", object_type="pseudonym",
            object_id=pseudonym, workspace_id=workspace_id, reason=reason.strip(),
        )  # fmt: skip
    return value


def transforms_for_ingest(
    ctx: AppContext, *, workspace_id: str, protect: bool | None
) -> PseudonymiseTransform | None:
    """The protecting transform unless ``protect`` is False; by default (None) only when a key
    ring is configured."""
    if protect is False or (protect is None and ctx.settings.privacy_key_file is None):
        return None
    return protecting_transform(ctx, workspace_id=workspace_id)


DEFAULT_BUDGET = 1.0
"""A dataset's total epsilon when its first release does not set one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredRelease(Record):
    _json = True

    id: str
    dataset: str
    kind: str
    epsilon: float
    budget: float
    spent: float
    """Epsilon spent on the dataset including this release."""
    release: dict[str, object]
    created_by: str
    created_at: datetime


def _release_out(row: PrivacyReleaseRow, spent: float) -> StoredRelease:
    return StoredRelease(
        id=row.id, dataset=row.dataset, kind=row.kind, epsilon=row.epsilon, budget=row.budget,
        spent=spent, release=row.release, created_by=row.created_by, created_at=row.created_at,
    )  # fmt: skip


def list_releases(
    ctx: AppContext, *, actor: Actor, workspace_id: str, dataset_name: str | None = None
) -> list[StoredRelease]:
    """The releases of the workspace (of one dataset), oldest first, with the running total."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        query = select(PrivacyReleaseRow).where(PrivacyReleaseRow.workspace_id == workspace_id)
        if dataset_name is not None:
            query = query.where(PrivacyReleaseRow.dataset == dataset_name)
        out: list[StoredRelease] = []
        spent: dict[str, float] = {}
        for row in s.scalars(query.order_by(PrivacyReleaseRow.created_at, PrivacyReleaseRow.id)):
            spent[row.dataset] = spent.get(row.dataset, 0.0) + row.epsilon
            out.append(_release_out(row, spent[row.dataset]))
        return out


def publish_process_map(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    config: DpConfig | None = None,
    budget: float | None = None,
    reason: str | None = None,
) -> StoredRelease:
    """A differentially private directly-follows graph of the dataset (PRIVACY_RELEASE).
    ``budget`` sets the dataset's total epsilon at its first release (default
    :data:`DEFAULT_BUDGET`); later releases keep it. Refused, with nothing stored, when the
    release would spend more than is left. Ledger ``privacy.release`` with the published edges."""
    config = config or DpConfig()

    def compute(events: pa.Table) -> tuple[dict[str, Any], list[Any]]:
        release: DpRelease = dp_directly_follows(events, config=config)
        return release.to_dict(), [e.to_dict() for e in release.edges]

    return _release(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name,
        kind="directly_follows", epsilon=config.epsilon, budget=budget, reason=reason,
        compute=compute,
    )  # fmt: skip


def publish_variants(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    epsilon: float = 0.5,
    depth: int = 8,
    threshold: float | None = None,
    budget: float | None = None,
    reason: str | None = None,
) -> StoredRelease:
    """A noisy variant prefix tree of the dataset (PRIVACY_RELEASE), from the same budget as
    :func:`publish_process_map`; ledger ``privacy.release`` with the published variants."""

    def compute(events: pa.Table) -> tuple[dict[str, Any], list[Any]]:
        release = dp_variants(events, epsilon=epsilon, depth=depth, threshold=threshold)
        return release.to_dict(), [v.to_dict() for v in release.variants]

    return _release(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name,
        kind="variants", epsilon=epsilon, budget=budget, reason=reason, compute=compute,
    )  # fmt: skip


def _release(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    kind: str,
    epsilon: float,
    budget: float | None,
    reason: str | None,
    compute: Callable[[pa.Table], tuple[dict[str, Any], list[Any]]],
) -> StoredRelease:
    actor.require(Permission.PRIVACY_RELEASE, workspace_id)
    from civicflow.app._assessment import list_datasets

    datasets = {d.name: d for d in list_datasets(ctx, actor=actor, workspace_id=workspace_id)}
    if dataset_name not in datasets:
        raise NotFoundError(
            f"there is no dataset '{dataset_name}' in this workspace",
            where=Location(field="dataset"),
            found=dataset_name,
            expected="one of: " + (", ".join(sorted(datasets)) or "(no datasets yet)"),
            fix="list the datasets with `civicflow datasets list`",
        )
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        earlier = list(
            s.scalars(
                select(PrivacyReleaseRow).where(
                    PrivacyReleaseRow.workspace_id == workspace_id,
                    PrivacyReleaseRow.dataset == dataset_name,
                )
            )
        )
        total = earlier[0].budget if earlier else (budget or DEFAULT_BUDGET)
        spent = sum(r.epsilon for r in earlier)
        if budget is not None and earlier and budget != total:
            raise InputError(
                "the dataset's privacy budget was set by its first release",
                where=Location(field="budget"),
                found=str(budget),
                expected=f"{total} (or no budget)",
                fix="leave the budget out; a spent budget is never raised",
            )
        if spent + epsilon > total + 1e-12:
            raise InputError(
                "the dataset's privacy budget is spent",
                where=Location(field="epsilon"),
                found=f"epsilon {epsilon} asked, {spent:g} of {total:g} spent",
                expected=f"at most {max(0.0, total - spent):g}",
                fix="publish with a smaller epsilon, or not at all: the budget is never reset",
            )
        report, published = compute(pq.read_table(datasets[dataset_name].events_path))
        row = PrivacyReleaseRow(
            id=new_id("rel_"), workspace_id=workspace_id, dataset=dataset_name, kind=kind,
            epsilon=epsilon, budget=total, release=report, created_by=actor.pseudonym,
            created_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action="privacy.release", object_type="privacy_release",
            object_id=row.id, workspace_id=workspace_id,
            after={
                "dataset": dataset_name, "kind": kind, "epsilon": epsilon, "budget": total,
                "spent": spent + epsilon, "published": published,
            },
            reason=reason,
        )  # fmt: skip
        return _release_out(row, spent + epsilon)


def encrypt_fields(ctx: AppContext, *, actor: Actor) -> int:
    """Encrypt the application's sensitive fields (``app/_encrypted.py``) still stored clear —
    written before a key ring was configured — and re-encrypt those under an older key after a
    rotation (global admins: USER_ADMIN). One transaction; ledger ``privacy.encrypt_fields``
    with the count. Returns how many values changed."""
    from civicflow.app._encrypted import rewrite_fields

    actor.require(Permission.USER_ADMIN)
    key_ring(ctx)  # a clear error when none is configured
    with ctx.session() as s:
        changed = rewrite_fields(s.connection(), encrypt=True)
        record(
            ctx, s, actor=actor, action="privacy.encrypt_fields", object_type="encryption",
            object_id="fields", workspace_id=None, after={"values_encrypted": changed},
        )  # fmt: skip
    return changed
