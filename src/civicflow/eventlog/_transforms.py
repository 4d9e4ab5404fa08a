"""The ingest extension point: transforms of the canonical batches before a dataset is committed.

An :class:`EventTransform` sees every batch the :class:`~civicflow.eventlog.EventSink` is about to
store: the canonical events (core columns, then event attributes) and the case attributes, each
with a :class:`TransformContext` (dataset, source file, mapping). It returns the batch to store
instead, and at the end a small report for the dataset's manifest. A domain plugs its transforms in
through ``app`` (``app.assessment.store_dataset(..., transforms=...)``): privacy will classify and
pseudonymise columns here. Nothing here knows any domain.

The sink holds every transform to the same rules (``tests/contract/test_transforms.py`` runs them
against each implementation):

- the core columns stay first, in order, with their types, and the required ones without nulls;
  the case table keeps ``case_id`` first;
- rows are kept (same count, same ``position`` values) unless the transform declares
  ``drops_rows``; then it may only remove rows, never add or reorder them;
- a transform that raises, or breaks a rule, stops the ingest: nothing is written.

The manifest's ``options["transforms"]`` lists, in order, each transform's name and report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import pyarrow as pa
import pyarrow.compute as pc

from civicflow.core import ConfigurationError
from civicflow.eventlog._schema import CASE_ID, CORE_EVENT_SCHEMA, POSITION, ColumnMapping

TableKind = Literal["events", "cases"]
"""``events``: canonical events (core columns, then attributes); ``cases``: ``case_id`` then the
case attributes (``case:<name>``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TransformContext:
    """What a transform knows about the ingest it runs in."""

    dataset: str
    source: str
    """The source file's name."""
    mapping: ColumnMapping


@runtime_checkable
class EventTransform(Protocol):
    """Rewrites canonical batches before they are stored; see the module docstring."""

    name: str
    """Short stable name, recorded in the manifest."""
    drops_rows: bool
    """True if :meth:`apply` may remove rows (it may never add or reorder them)."""

    def apply(self, batch: pa.Table, *, table: TableKind, context: TransformContext) -> pa.Table:
        """The batch to store instead of ``batch``."""
        ...

    def finish(self) -> Mapping[str, object]:
        """After the last batch: a JSON-serialisable report for the manifest."""
        ...


class IdentityTransform:
    """Stores every batch unchanged and reports how many rows it saw (the reference transform)."""

    name = "identity"
    drops_rows = False

    def __init__(self) -> None:
        self._rows: dict[str, int] = {"events": 0, "cases": 0}

    def apply(self, batch: pa.Table, *, table: TableKind, context: TransformContext) -> pa.Table:
        self._rows[table] += batch.num_rows
        return batch

    def finish(self) -> Mapping[str, object]:
        return dict(self._rows)


_REQUIRED = [f for f in CORE_EVENT_SCHEMA if not f.nullable]


def apply_transforms(
    transforms: Sequence[EventTransform],
    batch: pa.Table,
    *,
    table: TableKind,
    context: TransformContext,
) -> pa.Table:
    """Run ``batch`` through each transform in turn, checking each result against the rules."""
    for transform in transforms:
        out = transform.apply(batch, table=table, context=context)
        _check(transform, batch, out, table)
        batch = out
    return batch


def transform_reports(transforms: Sequence[EventTransform]) -> list[dict[str, object]]:
    """Each transform's name and report, in the order they ran (for the manifest)."""
    return [{"name": t.name, "report": dict(t.finish())} for t in transforms]


def _broken(transform: EventTransform, table: TableKind, what: str, expected: str) -> None:
    raise ConfigurationError(
        f"the ingest transform '{transform.name}' broke a rule on the {table} table: {what}",
        found=what,
        expected=expected,
        fix=f"fix the transform '{transform.name}' (see civicflow.eventlog.EventTransform)",
    )


def _check(transform: EventTransform, before: pa.Table, after: object, table: TableKind) -> None:
    if not isinstance(after, pa.Table):
        _broken(transform, table, f"returned {type(after).__name__}", "a pyarrow.Table")
        return
    if table == "events":
        head = list(zip(after.schema.names, after.schema.types, strict=False))
        core = [(f.name, f.type) for f in CORE_EVENT_SCHEMA]
        if head[: len(core)] != core:
            _broken(
                transform,
                table,
                f"columns begin {[f'{n}: {t}' for n, t in head[: len(core)]]}",
                f"the core columns first, unchanged: {[f'{n}: {t}' for n, t in core]}",
            )
        for field in _REQUIRED:
            if after.column(field.name).null_count:
                _broken(transform, table, f"empty {field.name} values", f"a {field.name} per event")
    elif after.num_columns == 0 or after.schema.names[0] != CASE_ID:
        _broken(transform, table, f"columns {after.schema.names}", f"'{CASE_ID}' first")
    if after.num_rows > before.num_rows or (
        not transform.drops_rows and after.num_rows != before.num_rows
    ):
        _broken(
            transform,
            table,
            f"{before.num_rows} rows in, {after.num_rows} out",
            "as many rows" if not transform.drops_rows else "at most as many rows",
        )
    if table == "events":
        kept, given = after.column(POSITION), before.column(POSITION)
        same = kept.equals(given) if not transform.drops_rows else _subsequence(kept, given)
        if not same:
            _broken(
                transform,
                table,
                "event positions changed",
                "the events kept, in their order" if transform.drops_rows else "every event kept",
            )


def _subsequence(kept: pa.ChunkedArray, given: pa.ChunkedArray) -> bool:
    """Every kept position is one of the given ones, in the given order."""
    where = pc.index_in(kept, value_set=given.combine_chunks())
    if where.null_count:
        return False
    index = where.to_numpy(zero_copy_only=False)
    return bool((index[1:] > index[:-1]).all())
