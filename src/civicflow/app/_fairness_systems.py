"""The audits of one automated system over time: the register of automated systems
(``app._governance``) is the registry of what is audited; each decision audit may name a register
entry and the model version it audited (:func:`civicflow.app.fairness.audit_source`'s
``system``). :func:`system_history` lists a system's decision audits, oldest first, each compared
with the one before it — whatever their audit name or source — with the checks a monitored
stream gets (:func:`civicflow.fairness.compare_audits`: drift with intervals, alerts when a
disparity leaves the parity band). Reading needs WORKSPACE_READ; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civicflow.app._context import AppContext
from civicflow.app._fairness import StoredAudit, list_audits
from civicflow.app._roles import Actor
from civicflow.fairness import MonitorCheck, compare_audits, metric_history

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemAudit:
    """One decision audit of a system and its comparison with the system's previous audit."""

    audit: StoredAudit
    previous: StoredAudit | None
    check: MonitorCheck

    @property
    def version_changed(self) -> bool:
        """The model version differs from the previous audit's."""
        return self.previous is not None and self.previous.system_version != (
            self.audit.system_version
        )

    def to_dict(self) -> dict[str, Any]:
        findings = self.audit.result.get("findings", [])
        return {
            "audit_id": self.audit.id,
            "name": self.audit.name,
            "version": self.audit.version,
            "system_version": self.audit.system_version,
            "created_at": self.audit.created_at.isoformat(),
            "source": self.audit.source,
            "rows": self.audit.result.get("rows"),
            "findings": {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITIES},
            "previous_audit_id": self.previous.id if self.previous else None,
            "previous_system_version": self.previous.system_version if self.previous else None,
            "version_changed": self.version_changed,
            "out_of_band": self.check.out_of_band,
            "alerts": [a.to_dict() for a in self.check.alerts],
            "significant": [d.to_dict() for d in self.check.significant],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemHistory:
    """A registered system's decision audits, oldest first."""

    system_id: str
    name: str
    model_version: str
    """The version the register gives now."""
    status: str
    audits: tuple[SystemAudit, ...]

    @property
    def latest(self) -> SystemAudit | None:
        return self.audits[-1] if self.audits else None

    @property
    def versions(self) -> list[str | None]:
        """The model versions audited, in the order they were first audited."""
        return list(dict.fromkeys(a.audit.system_version for a in self.audits))

    def metric_history(
        self, *, attribute: str | None = None, metric: str = "selection_rate"
    ) -> dict[str, Any]:
        """A metric of each group of ``attribute`` (default: the latest audit's first) over the
        system's audits, oldest first, in the shape of a stream's history (labels: the audit's
        position, name and version and the model version)."""
        latest = self.latest
        groups = latest.audit.config.get("groups", []) if latest else []
        attr = attribute or (groups[0] if groups else "")
        return {
            "stream": self.name,
            "of": "system",
            "attribute": attr,
            "metric": metric,
            "versions": list(range(1, len(self.audits) + 1)),
            "labels": [
                f"{i}. {a.audit.name} v{a.audit.version}"
                + (f" ({a.audit.system_version})" if a.audit.system_version else "")
                for i, a in enumerate(self.audits, start=1)
            ],
            "dates": [a.audit.created_at.isoformat() for a in self.audits],
            "groups": metric_history(
                [a.audit.result for a in self.audits], attribute=attr, metric=metric
            ),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "system_id": self.system_id,
            "name": self.name,
            "model_version": self.model_version,
            "status": self.status,
            "versions": self.versions,
            "audits": [a.to_dict() for a in self.audits],
        }


def system_history(
    ctx: AppContext, *, actor: Actor, workspace_id: str, system: str
) -> SystemHistory:
    """The decision audits of the register entry ``system`` (id or name), oldest first, each
    compared with the one before it in the band of its own configuration."""
    from civicflow.app._governance import get_system

    entry = get_system(ctx, actor=actor, workspace_id=workspace_id, ref=system)
    audits = [
        a
        for a in list_audits(ctx, actor=actor, workspace_id=workspace_id, system_id=entry.id)
        if a.kind == "decisions"
    ]
    audits.sort(key=lambda a: (a.created_at, a.name, a.version))
    out: list[SystemAudit] = []
    previous: StoredAudit | None = None
    for audit in audits:
        band_list = audit.config.get("band") or [0.8, 1.25]
        band = (float(band_list[0]), float(band_list[1]))
        check = compare_audits(previous.result if previous else None, audit.result, band=band)
        out.append(SystemAudit(audit=audit, previous=previous, check=check))
        previous = audit
    return SystemHistory(
        system_id=entry.id, name=entry.name, model_version=entry.model_version,
        status=entry.status.value, audits=tuple(out),
    )  # fmt: skip
