"""Facts derived once per dataset, so that the core analyses are a scan instead of a re-sort.

Every filter selects whole cases and a stored dataset never changes (a replaced dataset is a new
folder with a new fingerprint). So what follows from one case alone — each event's successor and
the time to it, a case's span and its variant — can be computed once, in one streaming pass over
the events (already stored in case, timestamp, position order), and stays valid for any filter:
a filtered view semi-joins these tables on the selected case ids.

Layout, under ``datasets/<name>/derived/v<DERIVED_FORMAT>/`` (a new format version gets a new
folder, so readers of an older one are never disturbed)::

    activities.parquet    code (int32), activity — codes in byte order of the labels
    transitions.parquet   one row per event, in event order: case_id, activity (code),
                          next_activity (code; null on a case's last event), duration_us (exact
                          microseconds to the next event; null on the last), is_start,
                          first_activity (the activity's first event in its case),
                          first_edge (the (activity, next activity) pair's first step in its case)
    case_summary.parquet  one row per case, by case_id: case_start, case_end, throughput_us,
                          events, variant (code), case_no (the row's rank in case-id order)
    variants.parquet      variant (code), variant_key (labels joined by VARIANT_SEPARATOR),
                          variant_id (see ``variant_id``), length
    derived.json          format version, the dataset's fingerprint, counts

The "first" flags turn "in how many cases" (a count of distinct cases) into a sum.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from civicflow.core import InputError, Location, OwnerLock, SubPath, new_id
from civicflow.eventlog import ACTIVITY, CASE_ID, TIMESTAMP, Dataset

DERIVED_FORMAT = 2
"""Bump when the derived files change shape or meaning: datasets then derive them again."""

_BATCH_ROWS = 1_000_000
_ROW_GROUP = 1_000_000
VARIANT_SEPARATOR = "\x1f"
"""Joins a case's activities into its variant key (a character no real activity label contains)."""


def variant_id(activities: list[str] | tuple[str, ...] | str) -> str:
    """Short stable id of a variant (its activity sequence), usable in URLs and filters."""
    key = activities if isinstance(activities, str) else VARIANT_SEPARATOR.join(activities)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass(frozen=True, slots=True)
class DerivedPaths:
    """Where a dataset's derived files are (see the module documentation for their columns)."""

    folder: Path

    activities = SubPath("activities.parquet", base="folder")
    transitions = SubPath("transitions.parquet", base="folder")
    case_summary = SubPath("case_summary.parquet", base="folder")
    variants = SubPath("variants.parquet", base="folder")
    info = SubPath("derived.json", base="folder")


def derived_folder(dataset: Dataset) -> Path:
    """The folder a dataset's derived files live in (they may not exist yet)."""
    return dataset.path / "derived" / f"v{DERIVED_FORMAT}"


def ensure_derived(dataset: Dataset) -> DerivedPaths:
    """The dataset's derived files, computed now if they are missing (once; safe under races).

    Files are written into a temporary folder that is renamed into place whole, so a reader sees
    all of them or none; when two processes race, the first rename wins and the other's copy is
    dropped. A dataset folder that cannot be written (read-only media) gets its derived files in
    the system's temporary folder instead, keyed by the dataset's fingerprint.
    """
    for folder in (derived_folder(dataset), _fallback_folder(dataset)):
        if _valid(folder, dataset):
            return DerivedPaths(folder)
    with _lock_for(str(dataset.path)):
        folder = derived_folder(dataset)
        if _valid(folder, dataset):
            return DerivedPaths(folder)
        lock: OwnerLock | None = None
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            staging = folder.parent / f".incoming-{new_id()}"
            # locked first: clean-up at start never removes another process's live derivation
            lock = OwnerLock(staging)
            staging.mkdir()
        except OSError:
            if lock is not None:
                lock.release()
                lock = None
            folder = _fallback_folder(dataset)
            if _valid(folder, dataset):
                return DerivedPaths(folder)
            folder.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=folder.parent))
        try:
            _derive(dataset, DerivedPaths(staging))
            if folder.exists():
                if _valid(folder, dataset):  # another process finished first
                    return DerivedPaths(folder)
                # damaged (no or another derived.json): set aside, never trusted
                _discard(folder)
            try:
                os.replace(staging, folder)
            except OSError:
                # another process renamed its complete copy into place first: use that one
                if not _valid(folder, dataset):
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            if lock is not None:
                lock.release()
        return DerivedPaths(folder)


def _discard(folder: Path) -> None:
    aside = folder.parent / f".stale-{new_id()}"
    try:
        os.replace(folder, aside)
    except OSError:
        return  # another process moved or replaced it first
    shutil.rmtree(aside, ignore_errors=True)


def _fallback_folder(dataset: Dataset) -> Path:
    return (
        Path(tempfile.gettempdir())
        / "civicflow-derived"
        / dataset.manifest.fingerprint
        / f"v{DERIVED_FORMAT}"
    )


def _valid(folder: Path, dataset: Dataset) -> bool:
    try:
        info = json.loads((folder / "derived.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(
        info.get("format") == DERIVED_FORMAT
        and info.get("fingerprint") == dataset.manifest.fingerprint
    )


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _derive(dataset: Dataset, out: DerivedPaths) -> None:
    """One pass over the sorted events, a batch of whole cases at a time (memory stays bounded:
    a case cut by a batch boundary is carried over to the next batch)."""
    source = pq.ParquetFile(dataset.events_path)
    labels = _activity_labels(source)
    label_array = pa.array(labels, type=pa.string())
    pq.write_table(
        pa.table({"code": pa.array(range(len(labels)), type=pa.int32()), ACTIVITY: label_array}),
        out.activities,
        compression="zstd",
    )
    variant_codes: dict[bytes, int] = {}
    t_writer = pq.ParquetWriter(out.transitions, _TRANSITIONS_SCHEMA, compression="zstd")
    c_writer = pq.ParquetWriter(out.case_summary, _CASES_SCHEMA, compression="zstd")
    events = cases = 0
    try:
        for batch in _whole_case_batches(source):
            t_table, c_table = _derive_batch(
                batch,
                label_array,
                variant_codes,
                first_case_no=cases,
                where=str(dataset.events_path.name),
            )
            t_writer.write_table(t_table, row_group_size=_ROW_GROUP)
            c_writer.write_table(c_table, row_group_size=_ROW_GROUP)
            events += t_table.num_rows
            cases += c_table.num_rows
    finally:
        t_writer.close()
        c_writer.close()
    keys = sorted(variant_codes.items(), key=lambda kv: kv[1])
    variant_labels = [
        VARIANT_SEPARATOR.join(labels[c] for c in np.frombuffer(k, dtype=np.int32)) for k, _ in keys
    ]
    pq.write_table(
        pa.table(
            {
                "variant": pa.array([v for _, v in keys], type=pa.int32()),
                "variant_key": pa.array(variant_labels, type=pa.string()),
                "variant_id": pa.array([variant_id(k) for k in variant_labels], type=pa.string()),
                "length": pa.array([len(k) // 4 for k, _ in keys], type=pa.int64()),
            }
        ),
        out.variants,
        compression="zstd",
    )
    out.info.write_text(
        json.dumps(
            {
                "format": DERIVED_FORMAT,
                "fingerprint": dataset.manifest.fingerprint,
                "events": events,
                "cases": cases,
                "activities": len(labels),
                "variants": len(keys),
            },
            indent=2,
        ),
        encoding="utf-8",
    )


_TRANSITIONS_SCHEMA = pa.schema(
    [
        pa.field(CASE_ID, pa.string(), nullable=False),
        pa.field(ACTIVITY, pa.int32(), nullable=False),
        pa.field("next_activity", pa.int32()),
        pa.field("duration_us", pa.int64()),
        pa.field("is_start", pa.bool_(), nullable=False),
        pa.field("first_activity", pa.bool_(), nullable=False),
        pa.field("first_edge", pa.bool_(), nullable=False),
    ]
)
_CASES_SCHEMA = pa.schema(
    [
        pa.field(CASE_ID, pa.string(), nullable=False),
        pa.field("case_start", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("case_end", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("throughput_us", pa.int64(), nullable=False),
        pa.field("events", pa.int64(), nullable=False),
        pa.field("variant", pa.int32(), nullable=False),
        # rank in case-id order: ordering by it is cheaper than comparing the ids again
        pa.field("case_no", pa.int64(), nullable=False),
    ]
)


def _activity_labels(source: pq.ParquetFile) -> list[str]:
    seen: set[str] = set()
    for batch in source.iter_batches(batch_size=_BATCH_ROWS, columns=[ACTIVITY]):
        seen.update(pc.unique(batch.column(0)).to_pylist())
    seen.discard(None)  # type: ignore[arg-type]
    # byte order (as engines compare strings), so codes are the same whoever derives them
    return sorted(seen, key=lambda s: s.encode("utf-8"))


def _whole_case_batches(source: pq.ParquetFile) -> Iterator[pa.Table]:
    carry: pa.Table | None = None
    for batch in source.iter_batches(
        batch_size=_BATCH_ROWS, columns=[CASE_ID, ACTIVITY, TIMESTAMP]
    ):
        table = pa.Table.from_batches([batch])
        if carry is not None:
            table = pa.concat_tables([carry, table])
        ids = table.column(CASE_ID)
        last = ids[len(ids) - 1]
        # rows of the last case may continue in the next batch: hold them back
        tail = int(pc.sum(pc.equal(ids, last)).as_py())
        if tail == table.num_rows:
            carry = table
            continue
        carry = table.slice(table.num_rows - tail)
        yield table.slice(0, table.num_rows - tail).combine_chunks()
    if carry is not None and carry.num_rows:
        yield carry.combine_chunks()


def _derive_batch(
    batch: pa.Table,
    labels: pa.Array,
    variant_codes: dict[bytes, int],
    *,
    first_case_no: int,
    where: str,
) -> tuple[pa.Table, pa.Table]:
    n = batch.num_rows
    ids = batch.column(CASE_ID).combine_chunks()
    codes_arrow = pc.index_in(batch.column(ACTIVITY), value_set=labels)
    if codes_arrow.null_count:
        raise InputError(
            "an event has no activity: the stored dataset is damaged",
            where=Location(file=where, field=ACTIVITY),
            expected="every stored event with an activity (the importers refuse empty ones)",
            fix="ingest the source again",
        )
    codes = codes_arrow.to_numpy().astype(np.int32)
    ts = batch.column(TIMESTAMP).combine_chunks().cast(pa.int64()).to_numpy()
    same_next = np.zeros(n, dtype=bool)
    if n > 1:
        same_next[:-1] = pc.equal(ids.slice(0, n - 1), ids.slice(1)).to_numpy(zero_copy_only=False)
    is_start = np.ones(n, dtype=bool)
    is_start[1:] = ~same_next[:-1]
    starts = np.flatnonzero(is_start)
    ends = np.append(starts[1:], n)
    case_no = np.cumsum(is_start) - 1

    nxt = np.full(n, -1, dtype=np.int32)
    nxt[:-1] = np.where(same_next[:-1], codes[1:], -1)
    dur = np.zeros(n, dtype=np.int64)
    dur[:-1] = ts[1:] - ts[:-1]
    is_last = ~same_next

    width = len(labels) + 1
    if (case_no[-1] + 1) * width * width < 2**62:
        act_key = pd.Series(case_no.astype(np.int64) * width + codes)
        edge_key = pd.Series((act_key.to_numpy() * width) + (nxt + 1))
        first_activity = ~act_key.duplicated().to_numpy()
        first_edge = ~edge_key.duplicated().to_numpy()
    else:  # too many activities for one integer key: pandas hashes the columns together
        frame = pd.DataFrame({"c": case_no, "a": codes, "n": nxt})
        first_activity = ~frame.duplicated(["c", "a"]).to_numpy()
        first_edge = ~frame.duplicated(["c", "a", "n"]).to_numpy()

    transitions = pa.table(
        {
            CASE_ID: ids,
            ACTIVITY: pa.array(codes, type=pa.int32()),
            "next_activity": pa.array(nxt, type=pa.int32(), mask=is_last),
            "duration_us": pa.array(dur, type=pa.int64(), mask=is_last),
            "is_start": pa.array(is_start),
            "first_activity": pa.array(first_activity),
            "first_edge": pa.array(first_edge),
        },
        schema=_TRANSITIONS_SCHEMA,
    )

    # a case's variant: its activity codes as bytes, in event order (a zero-copy binary array)
    offsets = pa.py_buffer((np.append(starts, n) * 4).astype(np.int32).tobytes())
    sequences = pa.Array.from_buffers(
        pa.binary(), len(starts), [None, offsets, pa.py_buffer(codes.tobytes())]
    )
    encoded = pc.dictionary_encode(sequences)
    local = encoded.dictionary.to_pylist()
    mapping = np.empty(len(local), dtype=np.int32)
    for i, key in enumerate(local):
        mapping[i] = variant_codes.setdefault(key, len(variant_codes))
    variant = mapping[encoded.indices.to_numpy()]

    first_ts, last_ts = ts[starts], ts[ends - 1]
    case_table = pa.table(
        {
            CASE_ID: ids.take(pa.array(starts)),
            "case_start": pa.array(first_ts, type=pa.timestamp("us", tz="UTC")),
            "case_end": pa.array(last_ts, type=pa.timestamp("us", tz="UTC")),
            "throughput_us": pa.array(last_ts - first_ts, type=pa.int64()),
            "events": pa.array(ends - starts, type=pa.int64()),
            "variant": pa.array(variant, type=pa.int32()),
            "case_no": pa.array(
                np.arange(first_case_no, first_case_no + len(starts), dtype=np.int64)
            ),
        },
        schema=_CASES_SCHEMA,
    )
    return transitions, case_table
