"""Assessment use cases: ingest and delete datasets, freeze baselines — with roles and the ledger.

The event store is files, not rows, so these use cases cannot share one database transaction
with the change itself. Each prepares the new files under hidden names, writes its intent to the
workspace's journal, then appends its ledger entry and renames the files into place in one
transaction (see :mod:`civicflow.app._journal`); a process killed at any point is completed or
rolled back against the ledger at the next start, so the files and the ledger always agree.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicflow.app._context import AppContext
from civicflow.app._journal import Intent, RecoveryReport, recover_store, run_journaled
from civicflow.app._models import MeasurementRow, ObjectiveRow, WorkspaceRow
from civicflow.app._programme import OBJECTIVE, _read_objective
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import ConfigurationError, Location, NotFoundError, OwnerLock, new_id, utcnow
from civicflow.eventlog import (
    ColumnMapping,
    Dataset,
    Engine,
    EventStore,
    EventTransform,
    IngestLimits,
    IngestOptions,
    ProgressCallback,
    ingest,
    staged_datasets,
)
from civicflow.ledger import state_digest
from civicflow.mining import (
    Baseline,
    EventLogFilter,
    LogView,
    SlaConfig,
    SlaOptions,
    compare_baselines,
    ensure_derived,
    list_baselines,
    load_baseline,
    sla_or_default,
)
from civicflow.mining import freeze_baseline as _freeze

_recovered: weakref.WeakKeyDictionary[AppContext, set[str]] = weakref.WeakKeyDictionary()
_recovered_guard = threading.Lock()

log = logging.getLogger("civicflow.recovery")


def _store(ctx: AppContext, workspace_id: str, *, recover: bool = False) -> EventStore:
    """The workspace's event store; the first time a context opens it (and before every change,
    ``recover``) the changes of stopped processes are resolved and their leftovers removed."""
    with ctx.read_session() as s:
        row = require_workspace_row(s, workspace_id)
        store = EventStore.create(Path(row.path), name=row.name)
    with _recovered_guard:
        seen = _recovered.setdefault(ctx, set())
        first = workspace_id not in seen
        seen.add(workspace_id)
    if first or recover:
        for line in recover_store(ctx, store).lines():
            log.warning("%s: %s", store.path, line)
    return store


def recover_workspace(ctx: AppContext, *, workspace_id: str) -> RecoveryReport:
    """Resolve the interrupted changes of a workspace against the ledger (complete the recorded
    ones, roll back the others) and remove what stopped processes left behind (``.incoming-*``
    folders, trash). No role is needed: it only makes the files agree with the ledger."""
    with ctx.read_session() as s:
        row = require_workspace_row(s, workspace_id)
        store = EventStore.create(Path(row.path), name=row.name)
    with _recovered_guard:
        _recovered.setdefault(ctx, set()).add(workspace_id)
    return recover_store(ctx, store)


def recover_workspaces(ctx: AppContext) -> list[RecoveryReport]:
    """:func:`recover_workspace` for every registered workspace whose folder exists (at start)."""
    with ctx.read_session() as s:
        rows = [(r.id, Path(r.path)) for r in s.scalars(select(WorkspaceRow)).all()]
    reports = []
    for workspace_id, path in rows:
        if (path / "workspace.json").exists():
            try:
                reports.append(recover_workspace(ctx, workspace_id=workspace_id))
            except Exception:  # one unreadable workspace must not keep the others unrecovered
                log.exception("could not recover workspace %s at %s", workspace_id, path)
    return reports


def _rel(store: EventStore, path: Path) -> str:
    return str(path.relative_to(store.path))


def analytics_engine(ctx: AppContext) -> Engine:
    """The context's analytics engine; hold :func:`engine_lock` while running expressions."""
    return ctx.analytics_engine()


def engine_lock(ctx: AppContext) -> threading.RLock:
    """The lock that serialises use of :func:`analytics_engine` across threads."""
    return ctx.analytics_lock


def ingest_dataset(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    source: Path,
    name: str,
    mapping: ColumnMapping | None = None,
    options: IngestOptions | None = None,
    progress: ProgressCallback | None = None,
    reason: str | None = None,
    transforms: Sequence[EventTransform] = (),
    protect: bool | None = None,
) -> Dataset:
    """Import an event log into the workspace (DATASET_WRITE); ledger action ``dataset.ingest``
    with the dataset's fingerprint as the after-digest (and the replaced one's as before).

    ``transforms`` rewrite the canonical events before anything is stored (the extension point a
    domain such as privacy plugs in here; see ``civicflow.eventlog.EventTransform``).

    ``protect``: privacy's transform classifies the columns and pseudonymises the direct
    identifiers (unless the data steward kept a column clear); the sealed originals go to the
    vault and the ledger gets ``privacy.pseudonymise``. By default (``None``) it runs when a key
    ring is configured (setting ``privacy_key_file``); ``True`` requires one."""
    from civicflow.app._privacy import store_vault, transforms_for_ingest

    actor.require(Permission.DATASET_WRITE, workspace_id)
    protecting = transforms_for_ingest(ctx, workspace_id=workspace_id, protect=protect)
    if protecting is not None:
        transforms = (*transforms, protecting)

    # the ingest limits come from this context's settings, not from whatever the environment says
    opts = options if options is not None else IngestOptions()
    if opts.limits is None:
        opts = dataclasses.replace(opts, limits=IngestLimits.from_settings(ctx.settings))

    def write(store: EventStore) -> Dataset:
        return ingest(
            workspace=store, source=Path(source), name=name, mapping=mapping, options=opts,
            progress=progress, transforms=transforms,
        )  # fmt: skip

    dataset = store_dataset(
        ctx, actor=actor, workspace_id=workspace_id, name=name, write=write,
        replace=options is not None and options.replace, reason=reason, transforms=transforms,
    )  # fmt: skip
    if protecting is not None:
        store_vault(
            ctx, actor=actor, workspace_id=workspace_id, dataset_name=name, transform=protecting
        )
    return dataset


def store_dataset(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    name: str,
    write: Callable[[EventStore], Dataset],
    replace: bool = False,
    reason: str | None = None,
    transforms: Sequence[EventTransform] = (),
    permission: Permission = Permission.DATASET_WRITE,
) -> Dataset:
    """Store a dataset that ``write`` produces in the workspace's event store (DATASET_WRITE):
    an import, a generator or a simulation. Ledger action ``dataset.ingest`` with the new
    dataset's fingerprint as the after-digest (and a replaced one's as the before-digest).

    ``write`` receives the event store and must write the dataset ``name`` through
    ``EventStore.writer`` in the calling thread (as ``civicflow.eventlog.ingest`` does) and return
    it: the writer leaves it staged, and it is renamed into place in the transaction of its
    ledger entry (see ``civicflow.app._journal``). With ``transforms``, ``write`` must run them
    (``ingest(..., transforms=...)``): the dataset is refused, and removed, unless its manifest
    records each of them, in order. ``permission``: the erasure of a data subject
    (PRIVACY_REQUESTS) writes its new version of a dataset through here too.
    """
    actor.require(permission, workspace_id)
    store = _store(ctx, workspace_id, recover=True)
    final = store.datasets_dir / name
    before = store.dataset(name).manifest.fingerprint if replace and final.exists() else None
    with staged_datasets() as staging:
        dataset = write(store)
        if dataset.name != name:
            raise ConfigurationError(
                f"the dataset writer stored '{dataset.name}' where '{name}' was asked for",
                found=dataset.name,
                expected=name,
                fix="write the dataset under the name given to store_dataset",
            )
        staged = staging.find(final)
        if staged is None:
            raise ConfigurationError(
                f"the dataset writer did not write '{name}' through EventStore.writer",
                expected="a writer that calls EventStore.writer in the calling thread",
                fix="write the dataset through EventStore.writer (as civicflow.eventlog.ingest does)",
            )
        _check_transforms_ran(staged.dataset, transforms)
        # ingest pays for the per-dataset successor and case tables, not the first page view
        ensure_derived(staged.dataset)
        fingerprint = staged.dataset.manifest.fingerprint
        intent = Intent(
            action="dataset.ingest", object_type="dataset", object_id=name,
            workspace_id=workspace_id, actor=actor.pseudonym, after_digest=fingerprint,
            discard=[_rel(store, staged.folder)],
        )  # fmt: skip
        if before is not None:
            intent.before_digest = before
            aside = store.datasets_dir / f".replaced-{new_id()}"
            intent.moves.append((_rel(store, final), _rel(store, aside)))
            intent.cleanup.append(_rel(store, aside))
        intent.moves.append((_rel(store, staged.folder), _rel(store, final)))

        def entry(s: Session) -> None:
            record(
                ctx, s, actor=actor, action="dataset.ingest", object_type="dataset",
                object_id=name, workspace_id=workspace_id, before_digest=intent.before_digest,
                after_digest=fingerprint, reason=reason,
            )  # fmt: skip

        # the entry and the rename are one unit: see civicflow.app._journal
        run_journaled(ctx, store, intent, entry)
    return store.dataset(name)


def _check_transforms_ran(dataset: Dataset, transforms: Sequence[EventTransform]) -> None:
    asked = [t.name for t in transforms]
    ran = [str(t.get("name")) for t in dataset.manifest.options.get("transforms", [])]
    if ran != asked:
        raise ConfigurationError(
            f"the dataset '{dataset.name}' was written without the transforms asked for",
            found=", ".join(ran) or "none",
            expected=", ".join(asked),
            fix="pass the transforms to ingest(..., transforms=...) in the write function",
        )


def delete_dataset(
    ctx: AppContext, *, actor: Actor, workspace_id: str, name: str, reason: str | None = None
) -> None:
    """Delete a dataset (DATASET_DELETE: admins and data-protection officers)."""
    actor.require(Permission.DATASET_DELETE, workspace_id)
    store = _store(ctx, workspace_id, recover=True)
    dataset = store.dataset(name)  # NotFoundError names the known datasets
    trash = store.datasets_dir / f".deleting-{new_id()}"
    intent = Intent(
        action="dataset.delete", object_type="dataset", object_id=name,
        workspace_id=workspace_id, actor=actor.pseudonym,
        before_digest=dataset.manifest.fingerprint,
        moves=[(_rel(store, dataset.path), _rel(store, trash))], cleanup=[_rel(store, trash)],
    )  # fmt: skip

    def entry(s: Session) -> None:
        record(
            ctx, s, actor=actor, action="dataset.delete", object_type="dataset",
            object_id=name, workspace_id=workspace_id,
            before_digest=dataset.manifest.fingerprint, reason=reason,
        )  # fmt: skip

    # the dataset is set aside inside the entry's transaction: if it cannot be, no entry
    run_journaled(ctx, store, intent, entry)


def list_datasets(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[Dataset]:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    return _store(ctx, workspace_id).datasets()


def open_view(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    filter: EventLogFilter | None = None,
    engine: Engine | None = None,
) -> LogView:
    """A dataset seen through a filter: the input of every analysis. ``engine`` defaults to
    :func:`analytics_engine` (then run analyses under :func:`engine_lock`)."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    return read_view(
        _store(ctx, workspace_id),
        dataset_name=dataset_name,
        filter=filter,
        engine=engine or analytics_engine(ctx),
    )


def read_view(
    store: EventStore, *, dataset_name: str, engine: Engine, filter: EventLogFilter | None = None
) -> LogView:
    """A dataset of an event-store folder seen through a filter, without a role check: for the
    command line's read-only commands, which read the folder they are given. The interfaces'
    one way to open a view (:func:`open_view` checks the role, then calls this)."""
    names = store.dataset_names()
    if dataset_name not in names:
        raise NotFoundError(
            f"there is no dataset '{dataset_name}' in this workspace",
            where=Location(field="dataset"),
            found=dataset_name,
            expected="one of: " + (", ".join(names) or "(no datasets yet)"),
            fix="list them with `civicflow datasets list`, or upload an event log on the "
            "Datasets page",
        )
    return LogView(
        engine=engine, dataset=store.dataset(dataset_name), filter=filter or EventLogFilter()
    )


def freeze_baseline(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    baseline_name: str,
    filter: EventLogFilter | None = None,
    kpis: Sequence[str] | None = None,
    description: str | None = None,
    sla: SlaConfig | SlaOptions | None = None,
    measure_objectives: bool = True,
    reason: str | None = None,
    engine: Engine | None = None,
) -> Baseline:
    """Freeze a named KPI snapshot (BASELINE_WRITE); ledger action ``baseline.freeze``.

    With ``measure_objectives``, every objective of the workspace whose KPI the baseline holds,
    whose reference baseline has the same scope (dataset, filter and SLA: ``Baseline.same_scope``)
    and that is not measured against this very baseline gets the value as a new measurement, so
    its progress follows the data (ledger action ``objective.measure``); a baseline of another
    dataset or filter (an exploration) measures no objective. Pass ``engine`` to
    compute on an engine of your own (and hold its lock); the default is serialised here.

    ``sla`` is the SLA as the door read it (``SlaOptions``) or a typed ``SlaConfig``; without
    a target or a deadline attribute it is the dataset's default SLA (``mining.default_sla``:
    each case's deadline attribute), as on every other door.
    """
    actor.require(Permission.BASELINE_WRITE, workspace_id)
    view = open_view(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name, filter=filter,
        engine=engine,
    )  # fmt: skip
    sla = sla.for_view(view) if isinstance(sla, SlaOptions) else sla_or_default(view, sla)
    store = _store(ctx, workspace_id, recover=True)
    lock = engine_lock(ctx) if engine is None else contextlib.nullcontext()
    staged = store.baselines_dir / f".incoming-{new_id()}.json"
    owner = OwnerLock(staged)
    try:
        with lock:
            baseline = _freeze(
                workspace=store, view=view, name=baseline_name, kpis=kpis,
                description=description, sla=sla, write_to=staged,
            )  # fmt: skip
        after = state_digest(baseline.to_dict())
        final = store.baselines_dir / f"{baseline_name}.json"
        intent = Intent(
            action="baseline.freeze", object_type="baseline", object_id=baseline_name,
            workspace_id=workspace_id, actor=actor.pseudonym, after_digest=after,
            moves=[(_rel(store, staged), _rel(store, final))], discard=[_rel(store, staged)],
        )  # fmt: skip

        def entries(s: Session) -> None:
            require_workspace_row(s, workspace_id)
            record(
                ctx, s, actor=actor, action="baseline.freeze", object_type="baseline",
                object_id=baseline_name, workspace_id=workspace_id, after_digest=after,
                reason=reason,
            )  # fmt: skip
            if measure_objectives:
                _measure_objectives(ctx, s, actor, workspace_id, baseline, store)

        # the file is linked into place inside the entry's transaction (never over another)
        run_journaled(ctx, store, intent, entries)
    finally:
        staged.unlink(missing_ok=True)
        owner.release()
    return baseline


def _measure_objectives(
    ctx: AppContext,
    session: Any,
    actor: Actor,
    workspace_id: str,
    baseline: Baseline,
    store: EventStore,
) -> None:
    values = {v.name: v.value for v in baseline.kpis if v.value is not None}
    rows = session.scalars(
        select(ObjectiveRow).where(
            ObjectiveRow.workspace_id == workspace_id,
            ObjectiveRow.kpi.in_(list(values)),
            ObjectiveRow.baseline_name != baseline.name,
        )
    ).all()
    references: dict[str, Baseline | None] = {}
    for row in rows:
        # only a baseline of the objective's own scope (dataset, filter, SLA) measures it: an
        # exploratory baseline of another dataset or filter says nothing about its progress
        if row.baseline_name not in references:
            references[row.baseline_name] = _reference(store, row.baseline_name)
        reference = references[row.baseline_name]
        if reference is None or not reference.same_scope(baseline):
            continue
        before = _read_objective(session, row)
        now = utcnow()
        session.add(
            MeasurementRow(
                id=new_id("mea_"), objective_id=row.id, value=float(values[row.kpi]),
                measured_at=now, source=f"baseline:{baseline.name}", created_at=now,
                change=progress_change(reference, baseline, row.kpi),
            )
        )  # fmt: skip
        session.flush()
        record(
            ctx, session, actor=actor, action="objective.measure", object_type=OBJECTIVE.name,
            object_id=row.id, workspace_id=workspace_id, before=before.to_dict(),
            after=_read_objective(session, row).to_dict(),
            reason=f"measured by baseline '{baseline.name}'",
        )  # fmt: skip


def progress_change(reference: Baseline, later: Baseline, kpi: str) -> dict[str, Any] | None:
    """How a KPI changed from an objective's reference baseline to a later one of the same
    scope, with the same thresholds and test as ``baseline compare`` (``ProgressChange``)."""
    changes = {c.name: c for c in compare_baselines(reference, later).changes}
    change = changes.get(kpi)
    if change is None:
        return None
    material = change.assessment in ("better", "worse", "changed")
    return {
        "assessment": change.assessment,
        "material": material,
        "test": change.test,
        "p_value": change.p_value,
        "significant": change.significant,
        "note": change.test_note or "",
    }


def _reference(store: EventStore, name: str) -> Baseline | None:
    """The objective's reference baseline, or None when it is not (or no longer) in the workspace
    (then no later baseline can be said to measure the same thing)."""
    try:
        return load_baseline(store, name)
    except NotFoundError:
        return None


def list_workspace_baselines(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[Baseline]:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    return list_baselines(_store(ctx, workspace_id))


def get_baseline(ctx: AppContext, *, actor: Actor, workspace_id: str, name: str) -> Baseline:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    return load_baseline(_store(ctx, workspace_id), name)


def delete_baseline(
    ctx: AppContext, *, actor: Actor, workspace_id: str, name: str, reason: str | None = None
) -> None:
    """Remove a frozen baseline (workspace admins only: baselines are evidence)."""
    actor.require(Permission.WORKSPACE_ADMIN, workspace_id)
    store = _store(ctx, workspace_id, recover=True)
    baseline = load_baseline(store, name)
    path = store.baselines_dir / f"{name}.json"
    trash = path.with_name(f".deleting-{new_id()}.json")
    intent = Intent(
        action="baseline.delete", object_type="baseline", object_id=name,
        workspace_id=workspace_id, actor=actor.pseudonym,
        before_digest=state_digest(baseline.to_dict()),
        moves=[(_rel(store, path), _rel(store, trash))], cleanup=[_rel(store, trash)],
    )  # fmt: skip

    def entry(s: Session) -> None:
        record(
            ctx, s, actor=actor, action="baseline.delete", object_type="baseline",
            object_id=name, workspace_id=workspace_id,
            before=baseline.to_dict(), reason=reason,
        )  # fmt: skip

    run_journaled(ctx, store, intent, entry)
