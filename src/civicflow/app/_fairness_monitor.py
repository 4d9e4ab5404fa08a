"""Fairness monitoring use cases: registered decision streams, re-audited on demand or by a
scheduled command, each run compared with the stream's previous audit.

A stream is a name, a decisions file and an audit configuration (its parity band included). Each
run stores the file's audit as the next version of the audit named after the stream (ledger
``fairness.audit``), compares it with the previous version (:func:`civicflow.fairness.
compare_audits`: drift with intervals, alerts when a disparity leaves the band), keeps that check
on the stream and writes ``fairness.monitor`` on the object ``fairness_stream`` with the alerts.
Registering a stream needs FAIRNESS_WRITE and writes ``fairness.stream.add``; reading needs
WORKSPACE_READ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from civicflow.app._context import AppContext
from civicflow.app._decision_sources import DecisionSource, FileSource, source_from_dict
from civicflow.app._fairness import StoredAudit, audit_source, list_audits, resolve_system
from civicflow.app._models import FairnessStreamRow
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import (
    ConfigurationError,
    ConflictError,
    Location,
    NotFoundError,
    check_name,
    new_id,
    utcnow,
)
from civicflow.fairness import (
    AuditConfig,
    MonitorCheck,
    compare_audits,
    metric_history,
)
from civicflow.report import Section, fairness_section

OBJECT = "fairness_stream"


@dataclass(frozen=True, slots=True, kw_only=True)
class Stream:
    id: str
    workspace_id: str
    name: str
    source_kind: str
    source: str
    config: AuditConfig
    last_check: dict[str, Any] | None
    last_run_at: datetime | None
    created_by: str
    created_at: datetime
    system_id: str | None = None
    """The automated system (governance register entry) whose decisions the stream carries:
    each run's audit names it, with the register's model version at the time of the run."""

    @property
    def decision_source(self) -> DecisionSource:
        """The source the stream re-reads at each run."""
        if self.source_kind == "file":  # a file stream keeps the bare path
            return FileSource(Path(self.source))
        return source_from_dict(self.source_kind, json.loads(self.source))

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return list((self.last_check or {}).get("alerts", []))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "source_kind": self.source_kind,
            "source": self.source,
            "source_label": self.decision_source.label,
            "system_id": self.system_id,
            "band": list(self.config.band),
            "config": self.config.to_dict(),
            "last_run_at": self.last_run_at.isoformat() if self.last_run_at else None,
            "last_check": self.last_check,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorRun:
    """One run of a stream: the audit it stored, the previous version's number and the check."""

    stream: Stream
    audit: StoredAudit
    previous_version: int | None
    check: MonitorCheck

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream.name,
            "audit_id": self.audit.id,
            "version": self.audit.version,
            "previous_version": self.previous_version,
            "rows": self.audit.result.get("rows"),
            **self.check.to_dict(),
        }


def _source_text(kind: str, reference: dict[str, Any]) -> str:
    """How a stream keeps its source: a file's path, else the reference as JSON."""
    if kind == "file":
        return str(reference["path"])
    return json.dumps(reference, sort_keys=True)


def stream_state(row: FairnessStreamRow) -> dict[str, Any]:
    """A stream's state as its ledger entries (``fairness.stream.add``, ``fairness.monitor``)
    record it; ``civicflow ledger verify`` recomputes it from the row."""
    return {
        "name": row.name,
        "source_kind": row.source_kind,
        "source": row.source,
        "config": row.config,
        "last_check": row.last_check,
        "system_id": row.system_id,
    }


def legacy_stream_state(row: FairnessStreamRow) -> dict[str, Any]:
    """What entries recorded before :func:`stream_state`: the registration, or the last check."""
    if row.last_check is not None:
        return row.last_check
    return {"name": row.name, "source": row.source, "config": row.config}


def _out(row: FairnessStreamRow) -> Stream:
    return Stream(
        id=row.id, workspace_id=row.workspace_id, name=row.name, source_kind=row.source_kind,
        source=row.source, config=AuditConfig.from_dict(row.config), last_check=row.last_check,
        last_run_at=row.last_run_at, created_by=row.created_by, created_at=row.created_at,
        system_id=row.system_id,
    )  # fmt: skip


def add_stream(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    name: str,
    config: AuditConfig,
    path: Path | None = None,
    source: DecisionSource | None = None,
    system: str | None = None,
    reason: str | None = None,
) -> Stream:
    """Register a decision stream ``name`` audited with ``config`` (its ``band`` is the stream's
    parity band): the file ``path``, or any :class:`DecisionSource` (a database table…). The
    source must be readable with the configured columns now; nothing is audited until the first
    run. ``system`` names the governance register entry (id or name) whose decisions these are.
    FAIRNESS_WRITE; ledger ``fairness.stream.add``."""
    actor.require(Permission.FAIRNESS_WRITE, workspace_id)
    check_name(name, kind="stream name")
    if (path is None) == (source is None):
        raise ConfigurationError(
            "a stream reads either a file or another decision source",
            where=Location(field="source"),
            expected="path or source, not both",
            fix="pass the decisions file, or a table with its connection",
        )
    src = source if source is not None else FileSource(Path(str(path)).resolve())
    src.check()
    src.read(config.columns)  # raises InputError before anything is stored
    audited = (
        resolve_system(ctx, actor=actor, workspace_id=workspace_id, system=system)
        if system is not None
        else None
    )
    reference = src.reference()
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        taken = s.scalar(
            select(FairnessStreamRow.id).where(
                FairnessStreamRow.workspace_id == workspace_id, FairnessStreamRow.name == name
            )
        )
        if taken is not None:
            raise ConflictError(
                f"a fairness stream named '{name}' already exists",
                where=Location(field="name"),
                found=name,
                fix="choose another name, or run the stream with `civicflow fairness monitor run`",
            )
        row = FairnessStreamRow(
            id=new_id("fstr_"), workspace_id=workspace_id, name=name, source_kind=src.kind,
            source=_source_text(src.kind, reference), config=config.to_dict(), last_check=None,
            last_run_at=None, system_id=audited.id if audited else None,
            created_by=actor.pseudonym, created_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action="fairness.stream.add", object_type=OBJECT,
            object_id=row.id, workspace_id=workspace_id,
            after=stream_state(row), reason=reason,
        )  # fmt: skip
        return _out(row)


def list_streams(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[Stream]:
    """The workspace's streams by name."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        rows = s.scalars(
            select(FairnessStreamRow)
            .where(FairnessStreamRow.workspace_id == workspace_id)
            .order_by(FairnessStreamRow.name)
        ).all()
        return [_out(r) for r in rows]


def get_stream(ctx: AppContext, *, actor: Actor, workspace_id: str, name: str) -> Stream:
    for stream in list_streams(ctx, actor=actor, workspace_id=workspace_id):
        if stream.name == name:
            return stream
    raise NotFoundError(
        f"there is no fairness stream '{name}' in this workspace",
        where=Location(field="name"),
        found=name,
        fix="list the streams with `civicflow fairness monitor list`",
    )


def run_stream(
    ctx: AppContext, *, actor: Actor, workspace_id: str, name: str, reason: str | None = None
) -> MonitorRun:
    """Audit the stream's file now, store it as the next version of the audit ``name``, compare
    it with the previous version and keep the check on the stream. FAIRNESS_WRITE; ledger
    ``fairness.audit`` then ``fairness.monitor``."""
    actor.require(Permission.FAIRNESS_WRITE, workspace_id)
    stream = get_stream(ctx, actor=actor, workspace_id=workspace_id, name=name)
    previous = next(iter(list_audits(ctx, actor=actor, workspace_id=workspace_id, name=name)), None)
    stored, _ = audit_source(
        ctx, actor=actor, workspace_id=workspace_id, source=stream.decision_source,
        config=stream.config, name=name, system=stream.system_id, reason=reason,
    )  # fmt: skip
    check = compare_audits(
        previous.result if previous is not None else None, stored.result, band=stream.config.band
    )
    doc = {
        "audit_id": stored.id,
        "version": stored.version,
        "previous_version": previous.version if previous is not None else None,
        **{k: v for k, v in check.to_dict().items() if k != "drift"},
        "drift": [d.to_dict() for d in check.significant],
    }
    with ctx.session() as s:
        row = s.get(FairnessStreamRow, stream.id)
        assert row is not None
        row.last_check = doc
        row.last_run_at = utcnow()
        record(
            ctx, s, actor=actor, action="fairness.monitor", object_type=OBJECT,
            object_id=row.id, workspace_id=workspace_id, after=stream_state(row), reason=reason,
        )  # fmt: skip
        updated = _out(row)
    return MonitorRun(
        stream=updated, audit=stored,
        previous_version=previous.version if previous is not None else None, check=check,
    )  # fmt: skip


def run_all(
    ctx: AppContext, *, actor: Actor, workspace_id: str, reason: str | None = None
) -> list[MonitorRun]:
    """Run every stream of the workspace (the scheduled command)."""
    return [
        run_stream(ctx, actor=actor, workspace_id=workspace_id, name=s.name, reason=reason)
        for s in list_streams(ctx, actor=actor, workspace_id=workspace_id)
    ]


def stream_history(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    name: str,
    attribute: str | None = None,
    metric: str = "selection_rate",
) -> dict[str, Any]:
    """A metric of each group of ``attribute`` (default the stream's first) over the stream's
    audits, oldest first: ``{"versions", "dates", "attribute", "metric", "groups": {group:
    [value…]}``."""
    stream = get_stream(ctx, actor=actor, workspace_id=workspace_id, name=name)
    audits = list(reversed(list_audits(ctx, actor=actor, workspace_id=workspace_id, name=name)))
    attr = attribute or stream.config.groups[0]
    return {
        "stream": name,
        "attribute": attr,
        "metric": metric,
        "versions": [a.version for a in audits],
        "dates": [a.created_at.isoformat() for a in audits],
        "groups": metric_history([a.result for a in audits], attribute=attr, metric=metric),
    }


def report_section(ctx: AppContext, *, actor: Actor, workspace_id: str) -> Section | None:
    """The report's "Fairness" section: the latest version of each audit, their top findings
    and the streams' alerts (None without audits or streams)."""
    latest: dict[str, StoredAudit] = {}
    for a in list_audits(ctx, actor=actor, workspace_id=workspace_id):
        latest.setdefault(a.name, a)  # newest first
    streams = list_streams(ctx, actor=actor, workspace_id=workspace_id)
    return fairness_section([a.to_dict() for a in latest.values()], [s.to_dict() for s in streams])


def local_report_section(workspace_path: Path | str) -> Section | None:
    """The "Fairness" section for a report written on the command line, read only (None when
    the command line's database does not know the workspace or its operator; see
    :func:`civicflow.app.business_case.local_report_section`)."""
    from civicflow.app._business_case import local_section

    return local_section(workspace_path, report_section)
