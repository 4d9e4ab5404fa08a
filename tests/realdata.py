"""Real event logs from ../shared/data/eventlogs as civicflow datasets, ingested once per test session.

``real_dataset("Sepsis_Cases-Event_Log")`` returns a :class:`civicflow.eventlog.Dataset` in a temporary
workspace shared by the whole session (skips with a reason when the shared data is absent).
``pm4py_frame(name)`` returns PM4Py's own reading of the same file (for oracle tests), also cached.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import EVENTLOGS, shared_file

if TYPE_CHECKING:
    import pandas as pd

    from civicflow.eventlog import Dataset, EventStore

REAL_LOGS: tuple[str, ...] = (
    "Receipt_phase_environmental_permit_WABO",
    "Sepsis_Cases-Event_Log",
    "BPIC15_1",
    "BPIC15_2",
    "BPIC15_3",
    "CoSeLoG_WABO_1",
    "Road_Traffic_Fine_Management_Process",
)
"""Every XES log in ../shared/data/eventlogs (Road Traffic is the large one: 561k events)."""

LARGE_LOGS: frozenset[str] = frozenset({"Road_Traffic_Fine_Management_Process"})

_lock = threading.Lock()


def log_path(name: str) -> Path:
    return shared_file("eventlogs", f"{name}.xes.gz")


def real_log_params() -> list[object]:
    """``pytest.param`` per real log, the large ones marked ``slow``."""
    return [
        pytest.param(n, id=n, marks=[pytest.mark.slow] if n in LARGE_LOGS else [])
        for n in REAL_LOGS
    ]


@cache
def _workspace() -> EventStore:
    from civicflow.eventlog import EventStore

    folder = Path(tempfile.mkdtemp(prefix="civicflow-realdata-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return EventStore.create(folder / "ws")


def real_dataset(name: str) -> Dataset:
    """The real log ``name`` (file name without ``.xes.gz``) as a dataset, ingested once."""
    path = log_path(name)
    with _lock:
        return _ingest_once(name, str(path))


@cache
def _ingest_once(name: str, path: str) -> Dataset:
    from civicflow.eventlog import IngestOptions, ingest

    # skip, not fail: one CoSeLoG event has no concept:name; the manifest counts what was set aside
    # and the oracle tests check that count against PM4Py's reading
    options = IngestOptions(on_error="skip")
    return ingest(
        workspace=_workspace(), source=Path(path), name=name.replace(".", "_"), options=options
    )


@cache
def pm4py_frame(name: str) -> pd.DataFrame:
    """PM4Py's DataFrame of the log, rows in file order (``pm4py.read_xes`` does not sort)."""
    import pm4py

    path = log_path(name)
    return pm4py.read_xes(str(path), variant="iterparse", show_progress_bar=False)


def make_dataset(
    workspace: EventStore,
    name: str,
    events: list[tuple[str, str, datetime]],
    *,
    case_attributes: dict[str, dict[str, str]] | None = None,
) -> Dataset:
    """A small hand-written log: ``(case, activity, timestamp)`` in file order (position = index)."""
    import pyarrow as pa

    from civicflow.eventlog import CORE_EVENT_SCHEMA, ColumnMapping

    rows: dict[str, list[object]] = {c: [] for c in CORE_EVENT_SCHEMA.names}
    for position, (case, activity, ts) in enumerate(events):
        rows["case_id"].append(case)
        rows["activity"].append(activity)
        rows["timestamp"].append(ts)
        rows["position"].append(position)
        for c in ("start_timestamp", "resource", "lifecycle", "cost"):
            rows[c].append(None)
    mapping = ColumnMapping(case_id="case", activity="activity", timestamp="timestamp")
    with workspace.writer(name, source="hand-written", format="test", mapping=mapping) as w:
        w.write_events(pa.Table.from_pydict(rows, schema=CORE_EVENT_SCHEMA))
        if case_attributes:
            keys = sorted({k for attrs in case_attributes.values() for k in attrs})
            cols: dict[str, list[object]] = {"case_id": list(case_attributes)}
            for k in keys:
                cols[k] = [attrs.get(k) for attrs in case_attributes.values()]
            w.write_cases(pa.table(cols))
    return workspace.dataset(name)


__all__ = [
    "EVENTLOGS",
    "LARGE_LOGS",
    "REAL_LOGS",
    "make_dataset",
    "pm4py_frame",
    "real_dataset",
    "real_log_params",
]
