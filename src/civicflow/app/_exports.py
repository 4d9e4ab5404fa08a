"""Comparing two views and exporting data, with the role check (and, for the event log, a ledger
entry: it carries the agency's case data out of the workbench)."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from civicflow.app._assessment import analytics_engine, engine_lock, open_view
from civicflow.app._context import AppContext
from civicflow.app._record import record
from civicflow.app._roles import Actor
from civicflow.core import new_id
from civicflow.eventlog import Engine, LogFormat
from civicflow.ledger import state_digest
from civicflow.mining import CompareConfig, Comparison, EventLogFilter, compare_views, export_log

if TYPE_CHECKING:
    from civicflow.mining import LogView


@contextlib.contextmanager
def _engine(ctx: AppContext, engine: Engine | None) -> Iterator[Engine]:
    """The given engine, or the application's one under its lock."""
    if engine is not None:
        yield engine
        return
    with engine_lock(ctx):
        yield analytics_engine(ctx)


def compare(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    a: EventLogFilter,
    b: EventLogFilter,
    config: CompareConfig | None = None,
    engine: Engine | None = None,
) -> Comparison:
    """Two filters on one dataset side by side (WORKSPACE_READ): see ``mining.compare_views``."""
    with _engine(ctx, engine) as eng:
        view_a = open_view(
            ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name, filter=a,
            engine=eng,
        )  # fmt: skip
        return compare_views(view_a, view_a.with_filter(b), config=config)


def export_event_log(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    filter: EventLogFilter | None = None,
    fmt: LogFormat,
    out: Path,
    engine: Engine | None = None,
    reason: str | None = None,
) -> Path:
    """Write the (filtered) event log to ``out`` as CSV, Parquet or XES (WORKSPACE_READ); ledger
    action ``dataset.export`` with the dataset's fingerprint, the filter and the format as the
    before-state and the written file's sha256 as the after-digest. The file is renamed into
    place inside the entry's transaction: no entry, no file."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{new_id()}.part")
    try:
        with _engine(ctx, engine) as eng:
            view: LogView = open_view(
                ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name,
                filter=filter, engine=eng,
            )  # fmt: skip
            export_log(view, out=tmp, fmt=fmt)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        before = {
            "dataset": dataset_name,
            "fingerprint": view.dataset.manifest.fingerprint,
            "filter": view.filter.to_dict(),
            "format": fmt,
        }
        with ctx.session() as s:
            record(
                # the object is the export, not the dataset: reading leaves the dataset's state as
                # it was, and ledger verify compares a dataset's latest entry with that state
                ctx, s, actor=actor, action="dataset.export", object_type="export",
                object_id=dataset_name, workspace_id=workspace_id,
                before_digest=state_digest(before), after_digest=digest, reason=reason,
            )  # fmt: skip
            os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
