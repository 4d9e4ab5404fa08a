"""Stored retention policies and the retention run.

A policy is a named, versioned ``RetentionRule`` (``civicflow.privacy``): a scope (a dataset or
``*`` for every dataset; whole cases, a data category or named columns), an age rule (cases that
ended more than N days, months or years ago, from their last event or a date column) and an
action (delete, anonymise, pseudonymise, generalise). A change is a new version, removing one is
a version marked inactive; each version is ledgered (``privacy.retention_policy``, before and
after). The policies before names and rules (``dataset``, ``older_than_days``) are delete rules
named after their dataset.

``retention_run`` applies the policies to every dataset (or one): per dataset its own policies
and the ``*`` ones it does not override (an own policy with the same action and scope), in order
(``position``, then name), chained in memory — the dry run is exactly what applying writes. Applied,
a dataset with changes and not on legal hold gets one new version (``dataset.ingest`` through the
erasure's writer, atomic) and the run one ``privacy.retention`` entry per dataset with what each
policy changed (counts, never values); a second run changes nothing. ``run_due`` does it for every
workspace (the scheduled command).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select

from civicflow.app._context import AppContext
from civicflow.app._models import PrivacyRetentionPolicyRow
from civicflow.app._privacy_requests import RetentionPlan, legal_holds
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import (
    CivicflowError,
    InputError,
    Location,
    NotFoundError,
    Record,
    new_id,
    utcnow,
)
from civicflow.eventlog import Dataset
from civicflow.privacy import (
    KeyRing,
    RetentionEffect,
    RetentionRule,
    TextDetector,
    classify_table,
    enforce,
)
from civicflow.privacy._retention import ACTIONS, CASES, DELETE, EVERY_DATASET

RETENTION_ACTIONS = ("drop", *ACTIONS)
"""What a policy does with the cases past their period (``drop``: the older name of delete)."""
DEFAULT_POSITION = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionPolicy(Record):
    _json = True

    id: str
    name: str
    dataset: str
    """A dataset's name, or ``*`` for every dataset (without an own policy of the same kind)."""
    version: int
    older_than_days: int
    """The period in days (months and years counted as 30 and 365 days: for display)."""
    action: str
    active: bool
    reason: str
    created_by: str
    created_at: datetime
    rule: RetentionRule | None = None
    position: int = DEFAULT_POSITION

    @property
    def scope(self) -> str:
        return self.rule.scope if self.rule is not None else CASES

    @property
    def period(self) -> str:
        if self.rule is None:
            return f"{self.older_than_days} days"
        return f"{self.rule.older_than} {self.rule.unit}"

    _extra = ("scope", "period")


def _rule(row: PrivacyRetentionPolicyRow) -> RetentionRule | None:
    if not row.active:
        return None
    if row.rule:
        return RetentionRule.from_dict(row.rule)
    return RetentionRule(older_than=row.older_than_days, dataset=row.dataset)


def _out(row: PrivacyRetentionPolicyRow) -> RetentionPolicy:
    return RetentionPolicy(
        id=row.id, name=row.name, dataset=row.dataset, version=row.version,
        older_than_days=row.older_than_days, action=row.action, active=row.active,
        reason=row.reason, created_by=row.created_by, created_at=row.created_at, rule=_rule(row),
        position=row.position,
    )  # fmt: skip


def _state(row: PrivacyRetentionPolicyRow) -> dict[str, Any]:
    return {
        "name": row.name, "dataset": row.dataset, "version": row.version,
        "older_than_days": row.older_than_days, "action": row.action, "active": row.active,
        "reason": row.reason, "rule": row.rule, "position": row.position,
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


def _policy_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64:
        raise InputError(
            "a retention policy's name is 1 to 64 characters",
            where=Location(field="name"),
            found=repr(name[:70]),
            expected="a short name, e.g. anonymise-after-7-years",
            fix="give the policy a name of its own",
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


def _days(rule: RetentionRule) -> int:
    return rule.older_than * {"days": 1, "months": 30, "years": 365}[rule.unit]


def _check_columns(ctx: AppContext, workspace_id: str, rule: RetentionRule) -> None:
    """A rule for one stored dataset may only name that dataset's columns."""
    if rule.dataset == EVERY_DATASET:
        return
    store = _store(ctx, workspace_id)
    try:
        dataset = store.dataset(rule.dataset)
    except NotFoundError:
        return  # a policy may be set before the dataset is ingested
    names = set(pq.read_schema(dataset.events_path).names)
    if Path(dataset.cases_path).exists():
        names |= set(pq.read_schema(dataset.cases_path).names)
    bare = {n.removeprefix("case:") for n in names}
    for field, wanted in (("columns", rule.columns), ("measured_from", ())):
        unknown = [c for c in wanted if c not in names and c not in bare]
        if field == "measured_from" and rule.measured_from != "last_event":
            unknown = [rule.measured_from] if rule.measured_from not in names | bare else []
        if unknown:
            raise InputError(
                f"the dataset '{rule.dataset}' has no column " + ", ".join(unknown),
                where=Location(field=field),
                found=", ".join(unknown),
                expected="one of: " + ", ".join(sorted(bare)),
                fix="name columns as ingest stored them (`civicflow privacy scan DATASET`)",
            )


def _store(ctx: AppContext, workspace_id: str) -> Any:
    from civicflow.app._privacy_requests import _store as store

    return store(ctx, workspace_id)


def _write(
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    name: str,
    *,
    rule: RetentionRule | None,
    dataset: str,
    active: bool,
    reason: str,
    position: int,
) -> RetentionPolicy:
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        latest = s.scalars(
            select(PrivacyRetentionPolicyRow)
            .where(
                PrivacyRetentionPolicyRow.workspace_id == workspace_id,
                PrivacyRetentionPolicyRow.name == name,
            )
            .order_by(PrivacyRetentionPolicyRow.version.desc())
            .limit(1)
        ).one_or_none()
        if not active and (latest is None or not latest.active):
            raise NotFoundError(
                f"there is no retention policy '{name}'",
                where=Location(field="name"),
                found=name,
                expected="a policy's name (a dataset's, or * for the older policies)",
                fix="list the policies with `civicflow privacy retention policies`",
            )
        if not active and latest is not None:
            dataset = latest.dataset
        row = PrivacyRetentionPolicyRow(
            id=new_id("ret_"), workspace_id=workspace_id, name=name, dataset=dataset,
            version=(latest.version if latest else 0) + 1,
            older_than_days=_days(rule) if rule else 0,
            action=rule.action if rule else DELETE, active=active, reason=reason,
            created_by=actor.pseudonym, created_at=utcnow(),
            rule=rule.to_dict() if rule else None, position=position,
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action="privacy.retention_policy",
            object_type="retention_policy", object_id=f"{workspace_id}:{name}",
            workspace_id=workspace_id, before=_state(latest) if latest else None,
            after=_state(row), reason=reason,
        )  # fmt: skip
        return _out(row)


def set_retention_policy(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    reason: str,
    dataset: str | None = None,
    older_than_days: int | None = None,
    action: str = DELETE,
    rule: RetentionRule | None = None,
    name: str | None = None,
    position: int = DEFAULT_POSITION,
) -> RetentionPolicy:
    """Store a new version of the policy ``name`` (PRIVACY_REQUESTS; ledger
    ``privacy.retention_policy`` with both versions). Either a ``rule``, or — the short form —
    ``dataset`` and ``older_than_days`` (delete the cases older than that). ``name`` defaults to
    the dataset's name for a delete rule and to ``<dataset>-<action>-<scope>`` otherwise. A rule
    for a stored dataset may only name its columns."""
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    if rule is None:
        if older_than_days is None or dataset is None:
            raise InputError(
                "a retention policy needs a rule, or a dataset and a period in days",
                where=Location(field="older_than_days"),
                found="nothing",
                expected="rule=RetentionRule(...), or dataset and older_than_days",
                fix="give the period the retention schedule sets, e.g. 2557 days",
            )
        if older_than_days < 1:
            raise InputError(
                "a retention period is at least one day",
                where=Location(field="older_than_days"),
                found=str(older_than_days),
                expected="a whole number of days, e.g. 2557 for seven years",
                fix="give the period the retention schedule sets",
            )
        rule = RetentionRule(
            older_than=older_than_days, action=action, dataset=_dataset_name(dataset)
        )
    else:
        _dataset_name(rule.dataset)
    reason = _reason(reason)
    if name is None:
        name = (
            rule.dataset
            if rule.action == DELETE
            else f"{'all' if rule.dataset == EVERY_DATASET else rule.dataset}-{rule.action}-"
            + (rule.category if not rule.columns else "columns")
        )[:64]
    _check_columns(ctx, workspace_id, rule)
    return _write(
        ctx, actor, workspace_id, _policy_name(name), rule=rule, dataset=rule.dataset,
        active=True, reason=reason, position=position,
    )  # fmt: skip


def remove_retention_policy(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    reason: str,
    dataset: str | None = None,
    name: str | None = None,
) -> RetentionPolicy:
    """End the policy ``name`` (``dataset``: the older policies are named after their dataset):
    a new version marked inactive (the history stays)."""
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    key = _policy_name(name if name is not None else _dataset_name(dataset or ""))
    return _write(
        ctx, actor, workspace_id, key, rule=None, dataset=dataset or key, active=False,
        reason=_reason(reason), position=DEFAULT_POSITION,
    )  # fmt: skip


def list_retention_policies(
    ctx: AppContext, *, actor: Actor, workspace_id: str, history: bool = False
) -> list[RetentionPolicy]:
    """The policies in force (the latest active version per name), or every version."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    table = PrivacyRetentionPolicyRow
    with ctx.read_session() as s:
        query = select(table).where(table.workspace_id == workspace_id)
        if not history:
            latest = (
                select(table.name, func.max(table.version).label("v"))
                .where(table.workspace_id == workspace_id)
                .group_by(table.name)
                .subquery()
            )
            query = query.join(
                latest, (table.name == latest.c.name) & (table.version == latest.c.v)
            ).where(table.active.is_(True))
        rows = s.scalars(query.order_by(table.dataset, table.position, table.name, table.version))
        return [_out(r) for r in rows]


# -- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionStep(Record):
    """One policy on one dataset in a retention run: the cases past its period (``plan``) and
    what it changes in them (``effect``)."""

    _json = True

    dataset: str
    policy_name: str
    policy_version: int
    policy_dataset: str
    action: str
    scope: str
    plan: RetentionPlan
    effect: RetentionEffect | None = None
    error: str = ""
    """Why the policy could not be applied to this dataset (then nothing of it changes)."""


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
        return tuple(dict.fromkeys(s.dataset for s in self.steps if s.plan.applied))

    @property
    def due(self) -> tuple[str, ...]:
        """Datasets a policy would change (applied or not: on legal hold, a dry run)."""
        return tuple(
            dict.fromkeys(
                s.dataset for s in self.steps if s.effect is not None and s.effect.changed
            )
        )

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.dataset for s in self.steps if s.error))

    _extra = ("changed", "due", "failed")


def _applicable(policies: Sequence[RetentionPolicy], dataset: str) -> list[RetentionPolicy]:
    own = [p for p in policies if p.dataset == dataset and p.rule is not None]
    kinds = {(p.action, p.scope) for p in own}
    every = [
        p for p in policies
        if p.dataset == EVERY_DATASET and p.rule is not None and (p.action, p.scope) not in kinds
    ]  # fmt: skip
    return sorted(own + every, key=lambda p: (p.position, p.name))


def _classification(
    dataset: Dataset, events: pa.Table, cases: pa.Table | None
) -> dict[str, dict[str, str]]:
    """Column → category per table, from the manifest's ingest classification or, for a dataset
    ingested without it, classified now from a sample."""
    from civicflow.app._privacy_overview import _privacy_report
    from civicflow.privacy import NOT_CLASSIFIED

    report = _privacy_report(dataset.manifest.options)
    if report is not None and report.get("classification"):
        return {
            str(table): {
                str(c["column"]): str(c.get("category", "none")) for c in r.get("columns", [])
            }
            for table, r in report["classification"].items()
        }
    out = {
        "events": {
            c.column: c.category.value for c in classify_table(events, skip=NOT_CLASSIFIED).columns
        }
    }
    if cases is not None:
        out["cases"] = {
            c.column: c.category.value for c in classify_table(cases, skip=NOT_CLASSIFIED).columns
        }
    return out


def _ring(ctx: AppContext) -> KeyRing | None:
    from civicflow.app._privacy_requests import _ring as ring

    return ring(ctx)


def _plan(
    dataset: str, rule: RetentionRule, effect: RetentionEffect | None, today: date, held: bool
) -> RetentionPlan:
    return RetentionPlan(
        dataset=dataset, older_than_days=(today - rule.cutoff(today)).days,
        cutoff=rule.cutoff(today), cases=effect.cases if effect else 0,
        events=effect.events if effect else 0,
        cases_kept=(effect.cases_total - effect.cases_removed) if effect else 0, held=held,
    )  # fmt: skip


def _dataset_run(
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    dataset: Dataset,
    policies: Sequence[RetentionPolicy],
    *,
    apply: bool,
    today: date,
    held: bool,
    ring: KeyRing | None,
    detector: TextDetector,
) -> list[RetentionStep]:
    from civicflow.app._assessment import delete_dataset
    from civicflow.app._privacy_requests import _new_version

    events = pq.read_table(dataset.events_path)
    cases = pq.read_table(dataset.cases_path) if Path(dataset.cases_path).exists() else None
    classification = _classification(dataset, events, cases)
    pseudonym: Callable[[str], str] | None = ring.pseudonym if ring is not None else None

    def is_pseudonym(value: str) -> bool:
        key, _, rest = value.partition("_")
        return ring is not None and key in ring.keys and len(rest) == 26

    done: list[tuple[RetentionPolicy, RetentionEffect | None, str]] = []
    for policy in policies:
        assert policy.rule is not None
        try:
            result = enforce(
                events, cases, policy.rule, today=today, classification=classification,
                pseudonym=pseudonym, is_pseudonym=is_pseudonym, detector=detector,
            )  # fmt: skip
        except CivicflowError as exc:
            done.append((policy, None, exc.what))
            continue
        events, cases = result.events, result.cases
        done.append((policy, result.effect, ""))
    changed = any(e is not None and e.changed for _, e, _ in done)
    after: str | None = None
    write = apply and changed and not held
    if write:
        reason = "retention: " + "; ".join(
            f"{p.name} v{p.version} ({p.rule.describe()})"
            for p, e, _ in done
            if e is not None and e.changed and p.rule is not None
        )
        if events.num_rows == 0:
            delete_dataset(ctx, actor=actor, workspace_id=workspace_id, name=dataset.name,
                           reason=reason)  # fmt: skip
        else:
            options = _options(dataset, done)
            new = _new_version(ctx, actor, workspace_id, dataset, events, cases, options, reason)
            after = new.manifest.fingerprint
    steps = []
    for policy, effect, error in done:
        assert policy.rule is not None
        plan = _plan(dataset.name, policy.rule, effect, today, held)
        if write and effect is not None and effect.changed:
            plan = RetentionPlan(
                **{**{f: getattr(plan, f) for f in plan.__dataclass_fields__}, "applied": True,
                   "after_fingerprint": after}
            )  # fmt: skip
        steps.append(
            RetentionStep(
                dataset=dataset.name, policy_name=policy.name, policy_version=policy.version,
                policy_dataset=policy.dataset, action=policy.action, scope=policy.scope,
                plan=plan, effect=effect, error=error,
            )
        )  # fmt: skip
    if write:
        with ctx.session() as s:
            record(
                # about the run: the dataset's new version has its own entry (dataset.ingest)
                ctx, s, actor=actor, action="privacy.retention", object_type="retention",
                object_id=dataset.name, workspace_id=workspace_id,
                before_digest=dataset.manifest.fingerprint, after_digest=after,
                reason="; ".join(_summary(st) for st in steps),
            )  # fmt: skip
    return steps


def _summary(step: RetentionStep) -> str:
    """One policy's part of the run in the ledger entry's reason: counts, never values."""
    effect = step.effect
    head = f"{step.policy_name} v{step.policy_version} {step.action} {step.scope}"
    if step.error:
        return f"{head}: not applied ({step.error})"
    if effect is None or not effect.changed:
        return f"{head}: nothing to change"
    if effect.cases_removed:
        return f"{head}: {effect.cases_removed} cases before {effect.cutoff} deleted"
    cells = ", ".join(f"{c.column} {c.operation} {c.values}" for c in effect.columns if c.values)
    return f"{head}: {effect.cases} cases before {effect.cutoff} ({cells})"


def _options(
    dataset: Dataset, done: Sequence[tuple[RetentionPolicy, RetentionEffect | None, str]]
) -> dict[str, Any]:
    """The new version's manifest options: the ingest's (its privacy report kept for the next
    runs and the Data protection page) and what the retention changed."""
    m = dataset.manifest
    transforms = (
        m.options.get("transforms")
        or (m.options.get("erasure") or {}).get("transforms")
        or (m.options.get("retention") or {}).get("transforms")
        or []
    )
    options = {
        k: v for k, v in m.options.items()
        if k not in ("transforms", "duplicates", "duplicates_dropped", "erasure", "retention")
    }  # fmt: skip
    options["retention"] = {
        "previous_fingerprint": m.fingerprint, "transforms": transforms,
        "policies": [
            {"policy": p.name, "version": p.version, "action": p.action,
             "columns": [c.to_dict() for c in e.columns if c.values],
             "cases_removed": e.cases_removed}
            for p, e, _ in done if e is not None and e.changed
        ],
    }  # fmt: skip
    return options


def retention_run(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    apply: bool = False,
    dataset: str | None = None,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> RetentionRun:
    """Apply the stored policies to every dataset (or one) — PRIVACY_REQUESTS. A dry run unless
    ``apply``; applied, only datasets with something to change and not on legal hold get a
    new version, so running it again (on a schedule) changes nothing more. ``progress`` is
    called with each dataset's name before it is worked on."""
    from civicflow.app._assessment import list_datasets

    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    today = today or utcnow().date()
    policies = list_retention_policies(ctx, actor=actor, workspace_id=workspace_id)
    stored = {d.name: d for d in list_datasets(ctx, actor=actor, workspace_id=workspace_id)}
    names = list(stored)
    if dataset is not None:
        if dataset not in stored:
            raise NotFoundError(
                f"there is no dataset '{dataset}' in this workspace",
                where=Location(field="dataset"),
                found=dataset,
                expected="one of: " + (", ".join(sorted(names)) or "(no datasets yet)"),
                fix="list the datasets with `civicflow datasets list`",
            )
        names = [dataset]
    holds = legal_holds(ctx, actor=actor, workspace_id=workspace_id)
    ring = _ring(ctx)
    detector = TextDetector()
    store = _store(ctx, workspace_id)
    steps: list[RetentionStep] = []
    uncovered: list[str] = []
    for name in names:
        applicable = _applicable(policies, name)
        if not applicable:
            uncovered.append(name)
            continue
        if progress is not None:
            progress(name)
        steps.extend(
            _dataset_run(
                ctx, actor, workspace_id, store.dataset(name), applicable, apply=apply,
                today=today, held=name in holds, ring=ring, detector=detector,
            )
        )  # fmt: skip
    return RetentionRun(applied=apply, steps=tuple(steps), without_policy=tuple(uncovered))


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkspaceRetention(Record):
    """One workspace in a scheduled run: its run, or why it failed."""

    _json = True

    workspace_id: str
    workspace: str
    run: RetentionRun | None
    error: str = ""


def run_due(
    ctx: AppContext,
    *,
    actor: Actor,
    apply: bool = True,
    today: date | None = None,
    progress: Callable[[int, int, str, str], None] | None = None,
) -> list[WorkspaceRetention]:
    """Every workspace's retention policies, applied (the scheduled command; a dry run with
    ``apply`` False): each workspace with a policy that ``actor`` may run (PRIVACY_REQUESTS) in
    turn; a workspace that fails is reported and the others still run. ``progress`` is called
    with the workspaces done, their number, and the workspace's and the dataset's names."""
    from civicflow.app._workspaces import list_workspaces

    due = [
        ws
        for ws in list_workspaces(ctx, actor=actor)
        if actor.can(Permission.PRIVACY_REQUESTS, ws.id)
        and list_retention_policies(ctx, actor=actor, workspace_id=ws.id)
    ]
    out: list[WorkspaceRetention] = []
    for index, ws in enumerate(due):

        def step(name: str, ws_name: str = ws.name, done: int = index) -> None:
            if progress is not None:
                progress(done, len(due), ws_name, name)

        try:
            run = retention_run(
                ctx, actor=actor, workspace_id=ws.id, apply=apply, today=today, progress=step
            )
        except CivicflowError as exc:
            out.append(WorkspaceRetention(workspace_id=ws.id, workspace=ws.name, run=None,
                                          error=exc.what))  # fmt: skip
            continue
        out.append(WorkspaceRetention(workspace_id=ws.id, workspace=ws.name, run=run))
    if progress is not None and due:
        progress(len(due), len(due), "", "")
    return out
