"""Stored retention policies and the scheduled retention run.

A policy gives a dataset's retention period (or, for ``*``, that of every dataset without its
own): cases whose last event is more than ``older_than_days`` days old are dropped. Policies are
versioned (a change is a new version, removing one is a version marked inactive) and each
version is ledgered (``privacy.retention_policy``, before and after). ``retention_run`` applies
the policies to every dataset: a dry run by default; applied, it writes a new version of each
dataset with cases to drop (``retention_apply``: ``dataset.ingest`` and ``privacy.retention``)
and leaves the others — and datasets on legal hold — alone, so a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from civicflow.app._context import AppContext
from civicflow.app._models import PrivacyRetentionPolicyRow
from civicflow.app._privacy_requests import RetentionPlan, retention_apply, retention_plan
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import InputError, Location, NotFoundError, Record, new_id, utcnow

EVERY_DATASET = "*"
RETENTION_ACTIONS = ("drop",)
"""What a policy does with the cases past their period: drop them (a new dataset version)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionPolicy(Record):
    _json = True

    id: str
    dataset: str
    """A dataset's name, or ``*`` for every dataset without its own policy."""
    version: int
    older_than_days: int
    action: str
    active: bool
    reason: str
    created_by: str
    created_at: datetime


def _out(row: PrivacyRetentionPolicyRow) -> RetentionPolicy:
    return RetentionPolicy(
        id=row.id, dataset=row.dataset, version=row.version, older_than_days=row.older_than_days,
        action=row.action, active=row.active, reason=row.reason, created_by=row.created_by,
        created_at=row.created_at,
    )  # fmt: skip


def _state(row: PrivacyRetentionPolicyRow) -> dict[str, Any]:
    return {
        "dataset": row.dataset, "version": row.version, "older_than_days": row.older_than_days,
        "action": row.action, "active": row.active, "reason": row.reason,
    }  # fmt: skip


def _dataset_name(dataset: str) -> str:
    name = dataset.strip()
    if not name or len(name) > 64:
        raise InputError(
            "a retention policy names a dataset, or * for every dataset",
            where=Location(field="dataset"),
            found=repr(name[:70]),
            expected="a dataset's name (1 to 64 characters) or *",
            fix="list the datasets with `civicflow datasets list`",
        )
    return name


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < 5:
        raise InputError(
            "a retention policy needs its reason",
            where=Location(field="reason"),
            found=repr(reason),
            expected="the retention schedule or legal basis (at least 5 characters)",
            fix="give it, e.g. 'archive law: case files kept seven years after closure'",
        )
    return reason


def _write(
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    dataset: str,
    *,
    days: int,
    action: str,
    active: bool,
    reason: str,
) -> RetentionPolicy:
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        latest = s.scalars(
            select(PrivacyRetentionPolicyRow)
            .where(
                PrivacyRetentionPolicyRow.workspace_id == workspace_id,
                PrivacyRetentionPolicyRow.dataset == dataset,
            )
            .order_by(PrivacyRetentionPolicyRow.version.desc())
            .limit(1)
        ).one_or_none()
        if not active and (latest is None or not latest.active):
            raise NotFoundError(
                f"there is no retention policy for '{dataset}'",
                where=Location(field="dataset"),
                found=dataset,
                expected="a dataset (or *) with a policy",
                fix="list the policies with `civicflow privacy retention policies`",
            )
        row = PrivacyRetentionPolicyRow(
            id=new_id("ret_"), workspace_id=workspace_id, dataset=dataset,
            version=(latest.version if latest else 0) + 1, older_than_days=days, action=action,
            active=active, reason=reason, created_by=actor.pseudonym, created_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action="privacy.retention_policy",
            object_type="retention_policy", object_id=f"{workspace_id}:{dataset}",
            workspace_id=workspace_id, before=_state(latest) if latest else None,
            after=_state(row), reason=reason,
        )  # fmt: skip
        return _out(row)


def set_retention_policy(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset: str,
    older_than_days: int,
    reason: str,
    action: str = "drop",
) -> RetentionPolicy:
    """Store a new version of ``dataset``'s retention policy (``*``: every dataset without its
    own) — PRIVACY_REQUESTS; ledger ``privacy.retention_policy`` with both versions."""
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    dataset = _dataset_name(dataset)
    if action not in RETENTION_ACTIONS:
        raise InputError(
            "a retention policy's action is not one civicflow knows",
            where=Location(field="action"),
            found=action,
            expected=" or ".join(RETENTION_ACTIONS),
            fix="use drop: the cases past their period are removed in a new dataset version",
        )
    if older_than_days < 1:
        raise InputError(
            "a retention period is at least one day",
            where=Location(field="older_than_days"),
            found=str(older_than_days),
            expected="a whole number of days, e.g. 2557 for seven years",
            fix="give the period the retention schedule sets",
        )
    return _write(
        ctx, actor, workspace_id, dataset, days=older_than_days, action=action, active=True,
        reason=_reason(reason),
    )  # fmt: skip


def remove_retention_policy(
    ctx: AppContext, *, actor: Actor, workspace_id: str, dataset: str, reason: str
) -> RetentionPolicy:
    """End ``dataset``'s policy: a new version marked inactive (the history stays)."""
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    dataset = _dataset_name(dataset)
    return _write(
        ctx, actor, workspace_id, dataset, days=0, action="drop", active=False,
        reason=_reason(reason),
    )  # fmt: skip


def list_retention_policies(
    ctx: AppContext, *, actor: Actor, workspace_id: str, history: bool = False
) -> list[RetentionPolicy]:
    """The policies in force (the latest active version per dataset), or every version."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        query = select(PrivacyRetentionPolicyRow).where(
            PrivacyRetentionPolicyRow.workspace_id == workspace_id
        )
        if not history:
            latest = (
                select(
                    PrivacyRetentionPolicyRow.dataset,
                    func.max(PrivacyRetentionPolicyRow.version).label("v"),
                )
                .where(PrivacyRetentionPolicyRow.workspace_id == workspace_id)
                .group_by(PrivacyRetentionPolicyRow.dataset)
                .subquery()
            )
            query = query.join(
                latest,
                (PrivacyRetentionPolicyRow.dataset == latest.c.dataset)
                & (PrivacyRetentionPolicyRow.version == latest.c.v),
            ).where(PrivacyRetentionPolicyRow.active.is_(True))
        rows = s.scalars(
            query.order_by(PrivacyRetentionPolicyRow.dataset, PrivacyRetentionPolicyRow.version)
        )
        return [_out(r) for r in rows]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionStep(Record):
    """One dataset in a retention run: the policy that applies and its plan."""

    _json = True

    dataset: str
    policy_version: int
    policy_dataset: str
    plan: RetentionPlan


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionRun(Record):
    _json = True

    applied: bool
    """False for a dry run."""
    steps: tuple[RetentionStep, ...]
    without_policy: tuple[str, ...]
    """Datasets no policy covers (left alone)."""

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(s.dataset for s in self.steps if s.plan.applied)

    _extra = ("changed",)


def retention_run(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    apply: bool = False,
    dataset: str | None = None,
    today: date | None = None,
) -> RetentionRun:
    """Apply the stored policies to every dataset (or one) — PRIVACY_REQUESTS. A dry run unless
    ``apply``; applied, only datasets with cases past their period and not on legal hold get a
    new version, so running it again (on a schedule) changes nothing more."""
    from civicflow.app._assessment import list_datasets

    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    policies = {
        p.dataset: p for p in list_retention_policies(ctx, actor=actor, workspace_id=workspace_id)
    }
    names = [d.name for d in list_datasets(ctx, actor=actor, workspace_id=workspace_id)]
    if dataset is not None:
        if dataset not in names:
            raise NotFoundError(
                f"there is no dataset '{dataset}' in this workspace",
                where=Location(field="dataset"),
                found=dataset,
                expected="one of: " + (", ".join(sorted(names)) or "(no datasets yet)"),
                fix="list the datasets with `civicflow datasets list`",
            )
        names = [dataset]
    steps: list[RetentionStep] = []
    uncovered: list[str] = []
    for name in names:
        policy = policies.get(name) or policies.get(EVERY_DATASET)
        if policy is None:
            uncovered.append(name)
            continue
        plan = retention_plan(
            ctx, actor=actor, workspace_id=workspace_id, dataset_name=name,
            older_than_days=policy.older_than_days, today=today,
        )  # fmt: skip
        if apply and plan.cases and not plan.held:
            plan = retention_apply(
                ctx, actor=actor, workspace_id=workspace_id, dataset_name=name,
                older_than_days=policy.older_than_days, today=today,
            )  # fmt: skip
        steps.append(
            RetentionStep(
                dataset=name, policy_version=policy.version, policy_dataset=policy.dataset,
                plan=plan,
            )
        )  # fmt: skip
    return RetentionRun(applied=apply, steps=tuple(steps), without_policy=tuple(uncovered))
