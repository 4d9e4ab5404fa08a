"""Fairness use cases: decision audits of a file and process audits of a dataset, each stored as
a new version of a named audit and ledgered.

Reading needs WORKSPACE_READ; running an audit needs FAIRNESS_WRITE (admins, analysts,
data-protection officers and auditors: those who assess) and writes one ledger entry in the
transaction that stores it: ``fairness.audit`` (decisions) or ``fairness.process`` (a process),
on the object ``fairness_audit`` with the stored row's id; its after-state is the configuration,
the source's SHA-256 and the result. Explaining a model's decisions (``explain_file``) is recorded
as ``fairness.explain`` on the object ``model`` (the model file's SHA-256).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select

from civicflow.app._assessment import open_view
from civicflow.app._context import AppContext
from civicflow.app._decision_sources import DecisionSource, FileSource, RecordedDecisionsSource
from civicflow.app._models import FairnessAuditRow, FairnessExplanationRow, GovernanceSystemRow
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import InputError, Location, NotFoundError, check_name, new_id, utcnow
from civicflow.eventlog import DuckDBEngine, Engine
from civicflow.fairness import (
    AuditConfig,
    ExplainConfig,
    FairnessAudit,
    ModelExplanation,
    ProcessFairness,
    ProcessFairnessConfig,
    audit_decisions,
    explain_model,
    process_fairness,
    read_decisions,
)
from civicflow.mining import EventLogFilter

AuditKind = Literal["decisions", "process"]
OBJECT = "fairness_audit"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredAudit:
    """A stored version of a named audit. ``result`` is the JSON of a
    :class:`civicflow.fairness.FairnessAudit` (decisions) or
    :class:`civicflow.fairness.ProcessFairness` (process)."""

    id: str
    workspace_id: str
    name: str
    version: int
    kind: AuditKind
    source: str
    source_sha256: str | None
    config: dict[str, Any]
    result: dict[str, Any]
    seconds: float
    created_by: str
    created_at: datetime
    system_id: str | None = None
    """The audited automated system (a governance register entry), if named."""
    system_name: str | None = None
    system_version: str | None = None

    @property
    def system(self) -> dict[str, Any] | None:
        if self.system_id is None:
            return None
        return {"id": self.system_id, "name": self.system_name, "version": self.system_version}

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "system": self.system,
            "source": self.source,
            "source_sha256": self.source_sha256,
            "config": self.config,
            "seconds": round(self.seconds, 3),
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "result": self.result,
        }


def _default_name(text: str) -> str:
    """A valid audit name made from a file stem or a dataset and attribute."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_.-")[:64]
    return cleaned or "audit"


def audit_state(row: FairnessAuditRow) -> dict[str, Any]:
    """A stored audit's state as its ledger entry records it (``civicflow ledger verify``
    recomputes it from the row: a result altered in the database is a finding)."""
    return {
        "name": row.name,
        "version": row.version,
        "kind": row.kind,
        "source": row.source,
        "source_sha256": row.source_sha256,
        "config": row.config,
        "result": row.result,
        "system": _system_doc(row),
    }


def _system_doc(row: FairnessAuditRow) -> dict[str, Any] | None:
    if row.system_id is None:
        return None
    return {"id": row.system_id, "name": row.system_name, "version": row.system_version}


def legacy_audit_state(row: FairnessAuditRow) -> dict[str, Any]:
    """The state entries written before ``kind`` and ``source`` were recorded."""
    state = audit_state(row)
    return {k: state[k] for k in ("name", "version", "source_sha256", "config", "result")}


def _out(row: FairnessAuditRow) -> StoredAudit:
    return StoredAudit(
        id=row.id, workspace_id=row.workspace_id, name=row.name, version=row.version,
        kind=row.kind,  # type: ignore[arg-type]
        source=row.source, source_sha256=row.source_sha256, config=row.config, result=row.result,
        seconds=row.seconds, created_by=row.created_by, created_at=row.created_at,
        system_id=row.system_id, system_name=row.system_name, system_version=row.system_version,
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditedSystem:
    """The automated system an audit names: a governance register entry and the model version
    audited (given, or the entry's ``model_version`` when the audit ran)."""

    id: str
    name: str
    version: str | None


def resolve_system(
    ctx: AppContext, *, actor: Actor, workspace_id: str, system: str, version: str | None = None
) -> AuditedSystem:
    """The register entry ``system`` (id or name) with the version to record; raises
    ``NotFoundError`` naming the registered systems when there is no such entry."""
    from civicflow.app._governance import get_system

    entry = get_system(ctx, actor=actor, workspace_id=workspace_id, ref=system)
    chosen = (version or "").strip() or entry.model_version.strip() or None
    if chosen is not None and len(chosen) > 100:
        raise InputError(
            "the system's version is too long",
            where=Location(field="system_version"),
            found=chosen[:40] + "…",
            expected="at most 100 characters",
            fix="give a short version label, e.g. 2.3 or 2026-11",
        )
    return AuditedSystem(id=entry.id, name=entry.name, version=chosen)


def list_audits(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    name: str | None = None,
    system_id: str | None = None,
) -> list[StoredAudit]:
    """The workspace's audits (every version), newest first; only ``name``'s, or only those of
    the system ``system_id``, when given."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        q = select(FairnessAuditRow).where(FairnessAuditRow.workspace_id == workspace_id)
        if name is not None:
            q = q.where(FairnessAuditRow.name == name)
        if system_id is not None:
            q = q.where(FairnessAuditRow.system_id == system_id)
        rows = s.scalars(
            q.order_by(FairnessAuditRow.created_at.desc(), FairnessAuditRow.version.desc())
        ).all()
        return [_out(r) for r in rows]


def get_audit(ctx: AppContext, *, actor: Actor, workspace_id: str, audit_id: str) -> StoredAudit:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        row = s.get(FairnessAuditRow, audit_id)
        if row is None or row.workspace_id != workspace_id:
            raise NotFoundError(
                f"there is no fairness audit '{audit_id}' in this workspace",
                where=Location(field="audit_id"),
                found=audit_id,
                fix="list the audits with `civicflow fairness list`",
            )
        return _out(row)


def _store(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    name: str,
    kind: AuditKind,
    source: str,
    source_sha256: str | None,
    config: dict[str, Any],
    result: dict[str, Any],
    seconds: float,
    reason: str | None,
    system: AuditedSystem | None = None,
) -> StoredAudit:
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        latest = s.scalar(
            select(func.max(FairnessAuditRow.version)).where(
                FairnessAuditRow.workspace_id == workspace_id, FairnessAuditRow.name == name
            )
        )
        row = FairnessAuditRow(
            id=new_id("fair_"), workspace_id=workspace_id, name=name,
            version=(latest or 0) + 1, kind=kind, source=source[:500],
            source_sha256=source_sha256, config=config, result=result, seconds=seconds,
            created_by=actor.pseudonym, created_at=utcnow(),
            system_id=system.id if system else None, system_name=system.name if system else None,
            system_version=system.version if system else None,
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action="fairness.audit" if kind == "decisions" else "fairness.process",
            object_type=OBJECT, object_id=row.id, workspace_id=workspace_id,
            after=audit_state(row), reason=reason,
        )  # fmt: skip
        return _out(row)


def audit_source(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    source: DecisionSource,
    config: AuditConfig,
    name: str | None = None,
    system: str | None = None,
    system_version: str | None = None,
    reason: str | None = None,
) -> tuple[StoredAudit, FairnessAudit]:
    """Audit the decisions a :class:`DecisionSource` yields (a file, a database table…) and
    store the result as the next version of the audit ``name`` (default: the source's
    ``default_name``), with the digest of what was read. ``system`` names the automated system
    audited — a governance register entry, by id or name — and ``system_version`` its model
    version (default: the entry's ``model_version``); :func:`system_history` lists and compares
    a system's audits. FAIRNESS_WRITE; ledger ``fairness.audit``. Bad input raises before
    anything is stored."""
    actor.require(Permission.FAIRNESS_WRITE, workspace_id)
    audit_name = name or _default_name(source.default_name)
    check_name(audit_name, kind="audit name")
    if isinstance(source, RecordedDecisionsSource):
        if source.workspace_id != workspace_id:
            raise InputError(
                "an audit reads the decisions recorded in its own workspace",
                where=Location(field="workspace_id"),
                found=source.workspace_id,
                expected=workspace_id,
                fix="audit the other workspace's decisions from that workspace",
            )
        source = source.bind(ctx)
        if system is None and source.ruleset is not None:
            # a rule set's decisions are audited as the system its publication registered
            from civicflow.app._decisions import register_name

            with ctx.read_session() as s:
                system = s.scalars(
                    select(GovernanceSystemRow.id).where(
                        GovernanceSystemRow.workspace_id == workspace_id,
                        GovernanceSystemRow.name == register_name(source.ruleset),
                    )
                ).first()
    audited = (
        resolve_system(
            ctx, actor=actor, workspace_id=workspace_id, system=system, version=system_version
        )
        if system is not None
        else None
    )
    started = time.perf_counter()
    rows = source.read(config.columns)
    result = audit_decisions(rows.frame, config, source=source.label)
    seconds = time.perf_counter() - started
    stored = _store(
        ctx, actor=actor, workspace_id=workspace_id, name=audit_name, kind="decisions",
        source=source.label, source_sha256=rows.sha256, config=config.to_dict(),
        result=result.to_dict(), seconds=seconds, reason=reason, system=audited,
    )  # fmt: skip
    return stored, result


def audit_file(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    path: Path,
    config: AuditConfig,
    name: str | None = None,
    system: str | None = None,
    system_version: str | None = None,
    reason: str | None = None,
) -> tuple[StoredAudit, FairnessAudit]:
    """Audit the decisions in a CSV or Parquet file (:func:`audit_source` of a
    :class:`FileSource`; default name: the file's stem)."""
    return audit_source(
        ctx, actor=actor, workspace_id=workspace_id, source=FileSource(path), config=config,
        name=name, system=system, system_version=system_version, reason=reason,
    )  # fmt: skip


def audit_process(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    config: ProcessFairnessConfig,
    filter: EventLogFilter | None = None,
    name: str | None = None,
    engine: Engine | None = None,
    reason: str | None = None,
) -> tuple[StoredAudit, ProcessFairness]:
    """Audit a dataset's process for the groups of ``config.group`` and store the result as the
    next version of the audit ``name`` (default ``<dataset>-<group>``). FAIRNESS_WRITE; ledger
    ``fairness.process``. Runs on ``engine`` (the caller's, e.g. Spark, which the caller closes),
    else on a DuckDB engine of its own, closed afterwards (no shared lock held)."""
    actor.require(Permission.FAIRNESS_WRITE, workspace_id)
    audit_name = name or _default_name(f"{dataset_name}-{config.group}")
    check_name(audit_name, kind="audit name")
    own = engine is None
    runner: Engine = DuckDBEngine() if engine is None else engine
    try:
        view = open_view(
            ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name,
            filter=filter, engine=runner,
        )  # fmt: skip
        started = time.perf_counter()
        result = process_fairness(view, config)
        seconds = time.perf_counter() - started
    finally:
        if own:
            runner.close()
    doc = {**config.to_dict(), "dataset": dataset_name, "filter": view.filter.to_dict()}
    stored = _store(
        ctx, actor=actor, workspace_id=workspace_id, name=audit_name, kind="process",
        source=dataset_name, source_sha256=view.dataset.manifest.fingerprint[:64], config=doc,
        result=result.to_dict(), seconds=seconds, reason=reason,
    )  # fmt: skip
    return stored, result


EXPLANATION = "fairness_explanation"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredExplanation:
    """Stored explanations of a model's decisions (``result``: ``ModelExplanation.to_dict()``)."""

    id: str
    workspace_id: str
    model_name: str
    model_sha256: str
    data_name: str
    data_sha256: str
    rows: list[int]
    config: dict[str, Any]
    result: dict[str, Any]
    system_id: str | None
    created_by: str
    created_at: datetime

    def decision(self, row: int) -> dict[str, Any] | None:
        """The explanation of the decision on ``row`` (0 is the table's first row)."""
        return next((d for d in self.result.get("decisions", []) if d["row"] == row), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model": self.model_name,
            "model_sha256": self.model_sha256,
            "data": self.data_name,
            "data_sha256": self.data_sha256,
            "rows": self.rows,
            "config": self.config,
            "system_id": self.system_id,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "explanation": self.result,
        }


def explanation_state(row: FairnessExplanationRow) -> dict[str, Any]:
    """A stored explanation's state as its ``fairness.explain`` entry records it."""
    return {
        "model": row.model_name,
        "model_sha256": row.model_sha256,
        "data": row.data_name,
        "data_sha256": row.data_sha256,
        "rows": row.rows,
        "config": row.config,
        "explanation": row.result,
        "system_id": row.system_id,
    }


def _explanation_out(row: FairnessExplanationRow) -> StoredExplanation:
    return StoredExplanation(
        id=row.id, workspace_id=row.workspace_id, model_name=row.model_name,
        model_sha256=row.model_sha256, data_name=row.data_name, data_sha256=row.data_sha256,
        rows=list(row.rows), config=row.config, result=row.result, system_id=row.system_id,
        created_by=row.created_by, created_at=row.created_at,
    )  # fmt: skip


def _json_value(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _explain_config_doc(config: ExplainConfig) -> dict[str, Any]:
    return {
        "features": list(config.features),
        "changeable": list(config.changeable),
        "positive_class": _json_value(config.positive_class),
        "threshold": config.threshold,
        "output": config.output,
        "positive_words": config.positive_words,
        "negative_words": config.negative_words,
        "labels": dict(config.labels),
        "background": config.background,
        "top_factors": config.top_factors,
        "grid": config.grid,
        "seed": config.seed,
    }


def list_explanations(
    ctx: AppContext, *, actor: Actor, workspace_id: str
) -> list[StoredExplanation]:
    """The workspace's stored explanations, newest first (WORKSPACE_READ)."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        rows = s.scalars(
            select(FairnessExplanationRow)
            .where(FairnessExplanationRow.workspace_id == workspace_id)
            .order_by(FairnessExplanationRow.created_at.desc())
        ).all()
        return [_explanation_out(r) for r in rows]


def get_explanation(
    ctx: AppContext, *, actor: Actor, workspace_id: str, explanation_id: str
) -> StoredExplanation:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        row = s.get(FairnessExplanationRow, explanation_id)
        if row is None or row.workspace_id != workspace_id:
            raise NotFoundError(
                f"there is no stored explanation '{explanation_id}' in this workspace",
                where=Location(field="explanation_id"),
                found=explanation_id,
                fix="run `civicflow fairness explain` to explain a model's decisions",
            )
        return _explanation_out(row)


def explain_file(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    model_path: Path,
    data_path: Path,
    config: ExplainConfig,
    rows: list[int],
    system: str | None = None,
    reason: str | None = None,
) -> tuple[StoredExplanation, ModelExplanation]:
    """Explain a fitted scikit-learn model's decisions on rows of a CSV or Parquet file (the
    model a joblib or pickle file: load only a file you trust, as loading runs its code), and
    store the explanations (each decision's page on the workbench is written for the person it
    concerns). ``system`` names the governance register entry the model belongs to.
    FAIRNESS_WRITE; ledger ``fairness.explain`` on the object ``fairness_explanation``, with the
    model's and the data's SHA-256, the rows and the explanation."""
    import joblib

    actor.require(Permission.FAIRNESS_WRITE, workspace_id)
    for path, what in ((model_path, "model"), (data_path, "data")):
        if not path.is_file():
            raise InputError(
                f"the {what} file does not exist",
                where=Location(file=str(path)),
                expected="a joblib/pickle model" if what == "model" else "a CSV or Parquet file",
                fix="check the path",
            )
    audited = (
        resolve_system(ctx, actor=actor, workspace_id=workspace_id, system=system)
        if system is not None
        else None
    )
    model_sha = hashlib.sha256(model_path.read_bytes()).hexdigest()
    data_sha = hashlib.sha256(data_path.read_bytes()).hexdigest()
    try:
        model = joblib.load(model_path)
    except Exception as exc:  # a pickle fails in many ways; none is the caller's bug
        raise InputError(
            "the model file cannot be loaded",
            where=Location(file=str(model_path)),
            found=f"{type(exc).__name__}: {exc}"[:300],
            expected="a fitted scikit-learn estimator or pipeline saved with joblib.dump",
            fix="save the model with joblib.dump(model, path) in the same library versions",
        ) from exc
    frame = read_decisions(data_path)
    result = explain_model(model, frame, rows=rows, config=config)
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        row = FairnessExplanationRow(
            id=new_id("fexp_"), workspace_id=workspace_id, model_name=model_path.name[:500],
            model_sha256=model_sha, data_name=data_path.name[:500], data_sha256=data_sha,
            rows=list(rows), config=_explain_config_doc(config), result=result.to_dict(),
            system_id=audited.id if audited else None, created_by=actor.pseudonym,
            created_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action="fairness.explain", object_type=EXPLANATION,
            object_id=row.id, workspace_id=workspace_id, after=explanation_state(row),
            reason=reason,
        )  # fmt: skip
        stored = _explanation_out(row)
    return stored, result
