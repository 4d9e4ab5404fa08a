"""Assessment use cases: ingest and delete datasets, freeze baselines — with roles and the ledger.

The event store is files, not rows, so these use cases cannot share one database transaction
with the change itself. Each does the file work first (atomically, in ``civicflow.eventlog`` and
``civicflow.mining``) and then writes its ledger entry; if the entry cannot be written, the new
dataset or baseline is removed again, so nothing exists that the ledger does not record.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from civicflow.app._context import AppContext
from civicflow.app._models import MeasurementRow, ObjectiveRow
from civicflow.app._programme import OBJECTIVE, _read_objective
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import ConfigurationError, new_id, utcnow
from civicflow.eventlog import (
    ColumnMapping,
    Dataset,
    Engine,
    EventStore,
    EventTransform,
    IngestOptions,
    ProgressCallback,
    ingest,
)
from civicflow.ledger import state_digest
from civicflow.mining import (
    Baseline,
    EventLogFilter,
    LogView,
    ensure_derived,
    list_baselines,
    load_baseline,
)
from civicflow.mining import freeze_baseline as _freeze


def _store(ctx: AppContext, workspace_id: str) -> EventStore:
    with ctx.read_session() as s:
        row = require_workspace_row(s, workspace_id)
        return EventStore.create(Path(row.path), name=row.name)


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
) -> Dataset:
    """Import an event log into the workspace (DATASET_WRITE); ledger action ``dataset.ingest``
    with the dataset's fingerprint as the after-digest (and the replaced one's as before).

    ``transforms`` rewrite the canonical events before anything is stored (the extension point a
    domain such as privacy plugs in here; see ``civicflow.eventlog.EventTransform``)."""

    def write(store: EventStore) -> Dataset:
        return ingest(
            workspace=store, source=Path(source), name=name, mapping=mapping, options=options,
            progress=progress, transforms=transforms,
        )  # fmt: skip

    return store_dataset(
        ctx, actor=actor, workspace_id=workspace_id, name=name, write=write,
        replace=options is not None and options.replace, reason=reason, transforms=transforms,
    )  # fmt: skip


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
) -> Dataset:
    """Store a dataset that ``write`` produces in the workspace's event store (DATASET_WRITE):
    an import, a generator or a simulation. Ledger action ``dataset.ingest`` with the new
    dataset's fingerprint as the after-digest (and a replaced one's as the before-digest).

    ``write`` receives the event store and must write the dataset ``name`` atomically (through
    ``EventStore.writer``, as ``civicflow.eventlog.ingest`` does) and return it. With
    ``transforms``, ``write`` must run them (``ingest(..., transforms=...)``): the dataset is
    refused, and removed, unless its manifest records each of them, in order.
    """
    actor.require(Permission.DATASET_WRITE, workspace_id)
    store = _store(ctx, workspace_id)
    before = None
    if replace and name in store.dataset_names():
        before = store.dataset(name).manifest.fingerprint
    dataset = write(store)
    if dataset.name != name:
        raise ConfigurationError(
            f"the dataset writer stored '{dataset.name}' where '{name}' was asked for",
            found=dataset.name,
            expected=name,
            fix="write the dataset under the name given to store_dataset",
        )
    try:
        _check_transforms_ran(dataset, transforms)
        # ingest pays for the per-dataset successor and case tables, not the first page view
        ensure_derived(dataset)
        with ctx.session() as s:
            ctx.ledger.append(
                s.connection(),
                actor=actor.pseudonym,
                role=actor.role_in(workspace_id),
                action="dataset.ingest",
                object_type="dataset",
                object_id=name,
                workspace_id=workspace_id,
                before_digest=before,
                after_digest=dataset.manifest.fingerprint,
                reason=reason,
            )
    except BaseException:
        # no unrecorded data: the dataset goes if its entry cannot be written
        store.delete_dataset(name)
        raise
    return dataset


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
    store = _store(ctx, workspace_id)
    dataset = store.dataset(name)  # NotFoundError names the known datasets
    with ctx.session() as s:
        ctx.ledger.append(
            s.connection(),
            actor=actor.pseudonym,
            role=actor.role_in(workspace_id),
            action="dataset.delete",
            object_type="dataset",
            object_id=name,
            workspace_id=workspace_id,
            before_digest=dataset.manifest.fingerprint,
            reason=reason,
        )
        # inside the transaction: if the files cannot be removed, the entry is rolled back
        store.delete_dataset(name)


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
    dataset = _store(ctx, workspace_id).dataset(dataset_name)
    return LogView(
        engine=engine or analytics_engine(ctx), dataset=dataset, filter=filter or EventLogFilter()
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
    sla: Any = None,
    measure_objectives: bool = True,
    reason: str | None = None,
    engine: Engine | None = None,
) -> Baseline:
    """Freeze a named KPI snapshot (BASELINE_WRITE); ledger action ``baseline.freeze``.

    With ``measure_objectives``, every objective of the workspace whose KPI the baseline holds
    (and that is not measured against this very baseline) gets the value as a new measurement,
    so its progress follows the data (ledger action ``objective.measure``). Pass ``engine`` to
    compute on an engine of your own (and hold its lock); the default is serialised here.
    """
    actor.require(Permission.BASELINE_WRITE, workspace_id)
    view = open_view(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name, filter=filter,
        engine=engine,
    )  # fmt: skip
    store = _store(ctx, workspace_id)
    lock = engine_lock(ctx) if engine is None else contextlib.nullcontext()
    with lock:
        baseline = _freeze(
            workspace=store, view=view, name=baseline_name, kpis=kpis, description=description,
            sla=sla,
        )  # fmt: skip
    try:
        with ctx.session() as s:
            require_workspace_row(s, workspace_id)
            record(
                ctx, s, actor=actor, action="baseline.freeze", object_type="baseline",
                object_id=baseline_name, workspace_id=workspace_id,
                after_digest=state_digest(baseline.to_dict()), reason=reason,
            )  # fmt: skip
            if measure_objectives:
                _measure_objectives(ctx, s, actor, workspace_id, baseline)
    except BaseException:
        (store.baselines_dir / f"{baseline_name}.json").unlink(missing_ok=True)
        raise
    return baseline


def _measure_objectives(
    ctx: AppContext, session: Any, actor: Actor, workspace_id: str, baseline: Baseline
) -> None:
    values = {v.name: v.value for v in baseline.kpis if v.value is not None}
    rows = session.scalars(
        select(ObjectiveRow).where(
            ObjectiveRow.workspace_id == workspace_id,
            ObjectiveRow.kpi.in_(list(values)),
            ObjectiveRow.baseline_name != baseline.name,
        )
    ).all()
    for row in rows:
        before = _read_objective(session, row)
        now = utcnow()
        session.add(
            MeasurementRow(
                id=new_id("mea_"), objective_id=row.id, value=float(values[row.kpi]),
                measured_at=now, source=f"baseline:{baseline.name}", created_at=now,
            )
        )  # fmt: skip
        session.flush()
        record(
            ctx, session, actor=actor, action="objective.measure", object_type=OBJECTIVE.name,
            object_id=row.id, workspace_id=workspace_id, before=before.to_dict(),
            after=_read_objective(session, row).to_dict(),
            reason=f"measured by baseline '{baseline.name}'",
        )  # fmt: skip


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
    store = _store(ctx, workspace_id)
    baseline = load_baseline(store, name)
    path = store.baselines_dir / f"{name}.json"
    with ctx.session() as s:
        record(
            ctx, s, actor=actor, action="baseline.delete", object_type="baseline",
            object_id=name, workspace_id=workspace_id,
            before=baseline.to_dict(), reason=reason,
        )  # fmt: skip
        trash = path.with_name(f".deleting-{new_id()}.json")
        path.rename(trash)
    trash.unlink(missing_ok=True)
