"""The event store writes datasets atomically and in the stable event order."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from civicflow.core import ConflictError, InputError
from civicflow.eventlog import CORE_EVENT_SCHEMA, ColumnMapping, Workspace

MAPPING = ColumnMapping(case_id="case", activity="act", timestamp="ts")


def _events(rows: list[tuple[str, str, datetime, int]]) -> pa.Table:
    n = len(rows)
    return pa.Table.from_pydict(
        {
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "timestamp": [r[2] for r in rows],
            "start_timestamp": [None] * n,
            "resource": [None] * n,
            "lifecycle": [None] * n,
            "cost": [None] * n,
            "position": [r[3] for r in rows],
        },
        schema=CORE_EVENT_SCHEMA,
    )


def test_events_are_sorted_by_case_timestamp_then_position(workspace: Workspace) -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    later = datetime(2024, 1, 2, tzinfo=UTC)
    with workspace.writer("d", source="mem", format="test", mapping=MAPPING) as w:
        w.write_events(
            _events(
                [
                    ("b", "x", t, 0),
                    ("a", "late", later, 1),
                    ("a", "tie2", t, 3),
                    ("a", "tie1", t, 2),
                ]
            )
        )
    ds = workspace.dataset("d")
    got = pq.read_table(ds.events_path).to_pydict()
    assert got["activity"] == ["tie1", "tie2", "late", "x"]
    assert ds.manifest.events == 4 and ds.manifest.cases == 2 and ds.manifest.activities == 4
    assert len(ds.manifest.fingerprint) == 64


def test_failed_ingest_leaves_nothing_behind(workspace: Workspace) -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    with (
        pytest.raises(RuntimeError),
        workspace.writer("d", source="mem", format="test", mapping=MAPPING) as w,
    ):
        w.write_events(_events([("a", "x", t, 0)]))
        raise RuntimeError("importer failed half-way")
    assert workspace.dataset_names() == []
    assert list(workspace.datasets_dir.iterdir()) == []


def test_empty_log_is_an_error_and_leaves_nothing(workspace: Workspace) -> None:
    with (
        pytest.raises(InputError, match="no events"),
        workspace.writer("d", source="empty.csv", format="csv", mapping=MAPPING),
    ):
        pass
    assert list(workspace.datasets_dir.iterdir()) == []


def test_existing_dataset_is_not_overwritten_without_replace(workspace: Workspace) -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    with workspace.writer("d", source="mem", format="test", mapping=MAPPING) as w:
        w.write_events(_events([("a", "x", t, 0)]))
    with pytest.raises(ConflictError):
        with workspace.writer("d", source="mem", format="test", mapping=MAPPING) as w:
            pass
    with workspace.writer("d", source="mem2", format="test", mapping=MAPPING, replace=True) as w:
        w.write_events(_events([("a", "y", t, 0), ("b", "y", t, 1)]))
    assert workspace.dataset("d").manifest.events == 2
