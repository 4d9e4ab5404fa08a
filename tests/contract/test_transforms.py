"""The ingest-transform contract: every transform, run inside a real ingest, keeps the rows unless it
declares otherwise, keeps the core schema, is recorded in the manifest, and, when it fails, leaves
nothing written. The sink enforces the rules, so a transform that breaks one is refused.

A new transform (privacy's ``PseudonymiseTransform`` is one) must be added to ``TRANSFORMS``.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from civicflow.core import ConfigurationError
from civicflow.eventlog import (
    CASE_ID,
    CORE_EVENT_SCHEMA,
    ColumnMapping,
    EventStore,
    EventTransform,
    IdentityTransform,
    IngestOptions,
    TransformContext,
    ingest,
)
from civicflow.privacy import KeyRing, PseudonymiseTransform

ROWS = [
    ("c1", "Submit", "2024-03-01T09:00:00Z", "ann", "online", "North"),
    ("c1", "Check", "2024-03-01T10:00:00Z", "cem", "first", "North"),
    ("c2", "Submit", "2024-03-02T12:00:00Z", "bob", "paper", "South"),
    ("c2", "Reject", "2024-03-02T13:00:00Z", "dan", "late", "South"),
    ("c3", "Submit", "2024-03-03T08:30:00Z", "ann", "online", "North"),
    ("c3", "Check", "2024-03-04T16:45:30Z", "bob", "ok", "North"),
    ("c4", "Submit", "2024-03-05T08:00:00Z", "eve", "paper", "East"),
]
MAPPING = ColumnMapping(case_id="case", activity="activity", timestamp="time", resource="who")


class DropColumn:
    """Test-local: removes one event attribute (what privacy does with a column it must not keep)."""

    name = "drop-column"
    drops_rows = False

    def __init__(self, column: str = "note") -> None:
        self.column = column
        self.dropped = 0

    def apply(self, batch: pa.Table, *, table: str, context: TransformContext) -> pa.Table:
        if table == "events" and self.column in batch.column_names:
            self.dropped += 1
            return batch.drop_columns([self.column])
        return batch

    def finish(self) -> Mapping[str, object]:
        return {"dropped": [self.column] if self.dropped else []}


class PseudonymiseCases:
    """Test-local: replaces case ids by a keyed hash in both tables (values change, types do not)."""

    name = "pseudonymise-cases"
    drops_rows = False

    def apply(self, batch: pa.Table, *, table: str, context: TransformContext) -> pa.Table:
        ids = [
            hashlib.sha256(b"k" + v.encode()).hexdigest()[:10] for v in batch[CASE_ID].to_pylist()
        ]
        return batch.set_column(0, CASE_ID, pa.array(ids, pa.string()))

    def finish(self) -> Mapping[str, object]:
        return {"columns": [CASE_ID]}


class DropActivity:
    """Test-local: declares ``drops_rows`` and removes the events of one activity."""

    name = "drop-activity"
    drops_rows = True

    def __init__(self, activity: str = "Check") -> None:
        self.activity = activity
        self.removed = 0

    def apply(self, batch: pa.Table, *, table: str, context: TransformContext) -> pa.Table:
        if table != "events":
            return batch
        keep = pc.not_equal(batch["activity"], self.activity)
        out = batch.filter(keep)
        self.removed += batch.num_rows - out.num_rows
        return out

    def finish(self) -> Mapping[str, object]:
        return {"removed": self.removed}


TRANSFORMS: dict[str, Callable[[], EventTransform]] = {
    "identity": IdentityTransform,
    "drop-column": DropColumn,
    "pseudonymise-cases": PseudonymiseCases,
    "drop-activity": DropActivity,
    "privacy": lambda: PseudonymiseTransform(KeyRing.generate()),
}


COLUMNS = ["case", "activity", "time", "who", "note", "case:district"]


def _source(tmp_path: Path, *, parquet: bool = False) -> Path:
    """The log as CSV, or as Parquet (which the importer reads in batches of ``batch_size``)."""
    if parquet:
        path = tmp_path / "log.parquet"
        pq.write_table(pa.table({c: [r[i] for r in ROWS] for i, c in enumerate(COLUMNS)}), path)
        return path
    path = tmp_path / "log.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerows(ROWS)
    return path


def _ingest(tmp_path: Path, *transforms: EventTransform, batch_size: int = 3):  # type: ignore[no-untyped-def]
    """Ingest in batches of ``batch_size`` rows (the transforms see several batches)."""
    store = EventStore.create(tmp_path / "ws")
    dataset = ingest(
        workspace=store,
        source=_source(tmp_path, parquet=True),
        name="d",
        mapping=MAPPING,
        options=IngestOptions(batch_size=batch_size),
        transforms=transforms,
    )
    return store, dataset


def _left_behind(store: EventStore) -> list[str]:
    return (
        sorted(p.name for p in (store.path / "datasets").iterdir())
        if (store.path / "datasets").exists()
        else []
    )


def test_every_transform_is_an_event_transform() -> None:
    for make in TRANSFORMS.values():
        assert isinstance(make(), EventTransform)


@pytest.mark.parametrize("name", TRANSFORMS)
def test_rows_are_kept_unless_the_transform_declares_otherwise(tmp_path: Path, name: str) -> None:
    transform = TRANSFORMS[name]()
    _, dataset = _ingest(tmp_path, transform)
    events = pq.read_table(dataset.events_path)
    if transform.drops_rows:
        assert events.num_rows <= len(ROWS)
    else:
        assert events.num_rows == len(ROWS)
        assert sorted(events["position"].to_pylist()) == list(range(len(ROWS)))


@pytest.mark.parametrize("name", TRANSFORMS)
def test_the_stored_schema_begins_with_the_core_columns(tmp_path: Path, name: str) -> None:
    _, dataset = _ingest(tmp_path, TRANSFORMS[name]())
    schema = pq.read_table(dataset.events_path).schema
    assert [(f.name, f.type) for f in schema][: len(CORE_EVENT_SCHEMA)] == [
        (f.name, f.type) for f in CORE_EVENT_SCHEMA
    ]
    assert pq.read_table(dataset.cases_path).schema.names[0] == CASE_ID


@pytest.mark.parametrize("name", TRANSFORMS)
def test_the_manifest_records_what_ran(tmp_path: Path, name: str) -> None:
    transform = TRANSFORMS[name]()
    _, dataset = _ingest(tmp_path, transform, IdentityTransform())
    recorded = dataset.manifest.options["transforms"]
    assert [t["name"] for t in recorded] == [transform.name, "identity"]
    assert recorded[0]["report"] == dict(transform.finish())
    # and it survives reopening the store (the manifest on disk)
    reopened = EventStore.open(tmp_path / "ws").dataset("d")
    assert reopened.manifest.options["transforms"] == recorded


class _FailsOnSecondBatch:
    def __init__(self, inner: EventTransform) -> None:
        self.inner = inner
        self.drops_rows = inner.drops_rows
        self.name = f"failing-{inner.name}"
        self.seen = 0

    def apply(self, batch: pa.Table, *, table: str, context: TransformContext) -> pa.Table:
        if table == "events":
            self.seen += 1
            if self.seen == 2:
                raise RuntimeError("the classifier's service is down")
        return self.inner.apply(batch, table=table, context=context)  # type: ignore[arg-type]

    def finish(self) -> Mapping[str, object]:
        return self.inner.finish()


@pytest.mark.parametrize("name", TRANSFORMS)
def test_a_failing_transform_leaves_nothing_written(tmp_path: Path, name: str) -> None:
    failing = _FailsOnSecondBatch(TRANSFORMS[name]())
    store = EventStore.create(tmp_path / "ws")
    with pytest.raises(RuntimeError, match="service is down"):
        ingest(
            workspace=store,
            source=_source(tmp_path, parquet=True),
            name="d",
            mapping=MAPPING,
            options=IngestOptions(batch_size=2),
            transforms=[failing],
        )
    assert failing.seen == 2  # it did fail mid-way, after a batch had gone through
    assert store.dataset_names() == []
    assert _left_behind(store) == []


# -- the sink refuses a transform that breaks a rule ------------------------------------------


class _Breaks:
    drops_rows = False

    def __init__(self, name: str, change: Callable[[pa.Table], pa.Table], drops: bool = False):
        self.name = name
        self.change = change
        self.drops_rows = drops

    def apply(self, batch: pa.Table, *, table: str, context: TransformContext) -> pa.Table:
        return self.change(batch) if table == "events" else batch

    def finish(self) -> Mapping[str, object]:
        return {}


BROKEN = [
    _Breaks("adds-rows", lambda t: pa.concat_tables([t, t.slice(0, 1)])),
    _Breaks("drops-undeclared", lambda t: t.slice(1)),
    _Breaks("drops-case-id", lambda t: t.drop_columns([CASE_ID])),
    _Breaks("retypes-cost", lambda t: t.set_column(6, "cost", t["cost"].cast(pa.string()))),
    _Breaks(
        "empties-activity", lambda t: t.set_column(1, "activity", pa.nulls(t.num_rows, pa.string()))
    ),
    _Breaks("reorders", lambda t: t.take(list(range(t.num_rows - 1, -1, -1))), drops=True),
    _Breaks("not-a-table", lambda t: t.to_pylist()),  # type: ignore[arg-type, return-value]
]


@pytest.mark.parametrize("broken", BROKEN, ids=lambda b: b.name)
def test_a_transform_breaking_a_rule_is_refused_and_nothing_written(
    tmp_path: Path, broken: _Breaks
) -> None:
    store = EventStore.create(tmp_path / "ws")
    with pytest.raises(ConfigurationError, match=f"transform '{broken.name}' broke a rule"):
        ingest(
            workspace=store,
            source=_source(tmp_path),
            name="d",
            mapping=MAPPING,
            transforms=[broken],
        )
    assert store.dataset_names() == []
    assert _left_behind(store) == []


def test_without_transforms_the_manifest_has_no_transforms_entry(tmp_path: Path) -> None:
    _, dataset = _ingest(tmp_path)
    assert "transforms" not in dataset.manifest.options
