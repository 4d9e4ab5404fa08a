"""From an importer's source columns to the canonical event table: one set of mapping rules for
every format.

An importer hands :class:`EventSink` Arrow tables whose columns are the source's fields (typed or
text); the sink applies the :class:`ColumnMapping`, parses timestamps, sets bad rows aside or stops
on them, splits ``case:*`` fields into case attributes, and writes into the store's
:class:`DatasetWriter` (which counts, and on request drops, duplicate events once they are sorted).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from civicflow.core import InputError, Location, RejectedRow, check_timezone
from civicflow.eventlog._schema import (
    ACTIVITY,
    CASE_ID,
    CORE_COLUMNS,
    COST,
    LIFECYCLE,
    POSITION,
    RESOURCE,
    START_TIMESTAMP,
    TIMESTAMP,
    TIMESTAMP_TYPE,
    ColumnMapping,
)
from civicflow.eventlog._timestamps import (
    MixedTimezoneError,
    TimestampFormat,
    detect_format,
    to_utc,
)
from civicflow.eventlog._transforms import EventTransform, TransformContext, apply_transforms

CASE_PREFIX = "case:"
"""Source fields named ``case:<name>`` are case attributes (the XES convention, also in CSV exports)."""

_SAMPLE = 1000


@dataclass(frozen=True, slots=True)
class IngestProgress:
    """How far an ingest is: ``done`` of ``total`` ``unit`` (bytes or events; total may be unknown)."""

    done: int
    total: int | None
    unit: str


ProgressCallback = Callable[[IngestProgress], None]


@dataclass(slots=True)
class SinkSettings:
    on_error: str = "fail"
    timestamp_format: str | None = None
    timezone: str = "UTC"


@dataclass(slots=True)
class SinkStats:
    """What the sink saw: written into the manifest's options."""

    events_in: int = 0
    events_written: int = 0
    rejected: int = 0
    timestamp_formats: dict[str, str] = field(default_factory=dict)


def missing_field_error(
    name: str, role: str, columns: Sequence[str], file: str, flag: str
) -> InputError:
    close = difflib.get_close_matches(name, list(columns), n=1, cutoff=0.5)
    if not close:
        lowered = {c.lower(): c for c in columns}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    hint = f"did you mean '{close[0]}'? " if close else ""
    shown = ", ".join(repr(c) for c in list(columns)[:40])
    more = f" … ({len(columns)} in all)" if len(columns) > 40 else ""
    return InputError(
        f"the {role} column '{name}' is not in the source",
        where=Location(file=file, field=name),
        found=f"columns: {shown}{more}",
        expected=f"a column named '{name}'",
        fix=f"{hint}pass {flag} with one of the existing columns",
    )


_FLAGS = {
    CASE_ID: "--case-id",
    ACTIVITY: "--activity",
    TIMESTAMP: "--timestamp",
    START_TIMESTAMP: "--start-timestamp",
    RESOURCE: "--resource",
    LIFECYCLE: "--lifecycle",
    COST: "--cost",
}


def check_mapping(mapping: ColumnMapping, columns: Sequence[str], file: str) -> None:
    """Raise a clear error if a mapped field is not among ``columns``."""
    present = set(columns)
    for role, name in mapping.mapped_fields().items():
        if name not in present:
            raise missing_field_error(name, role.replace("_", " "), columns, file, _FLAGS[role])
    for name in mapping.activity_fields:
        if name not in present:
            raise missing_field_error(name, "activity", columns, file, "--activity")


@dataclass
class _Batch:
    """One source batch while it is mapped: its rows, each row's number in the source, and the
    rows set aside so far (an ordered set)."""

    table: pa.Table
    rows: np.ndarray
    bad: dict[int, None] = field(default_factory=dict)


class EventSink:
    """Where importers put source rows; see the module docstring."""

    def __init__(
        self,
        writer: Any,
        *,
        mapping: ColumnMapping,
        settings: SinkSettings,
        file: str,
        progress: ProgressCallback | None = None,
        transforms: Sequence[EventTransform] = (),
        context: TransformContext | None = None,
    ) -> None:
        self._writer = writer
        self._transforms = tuple(transforms)
        self._context = context or TransformContext(dataset="", source=file, mapping=mapping)
        self.mapping = mapping
        self.settings = settings
        self.file = file
        self._progress = progress
        self.stats = SinkStats()
        self._next_position = 0
        self._formats: dict[str, TimestampFormat] = {}
        self._columns: list[str] | None = None
        check_timezone(settings.timezone)

    # -- importer API ------------------------------------------------------------------------
    @property
    def scratch(self) -> Path | None:
        """A folder for an importer's temporary files (removed with the ingest), if the writer has one."""
        folder = getattr(self._writer, "folder", None)
        return Path(folder) if folder is not None else None

    def progress(self, done: int, total: int | None, unit: str = "bytes") -> None:
        if self._progress is not None:
            self._progress(IngestProgress(done, total, unit))

    def reject(
        self, *, row: int | None, reason: str, raw: dict[str, str], line: int | None = None
    ) -> None:
        """Set aside a row the importer could not even split into fields (or stop, on 'fail')."""
        where = Location(file=self.file, row=row, line=line)
        if self.settings.on_error != "skip":
            raise InputError(
                f"a malformed row: {reason}",
                where=where,
                found=_clip(" | ".join(raw.values())),
                expected="a well-formed row",
                fix="repair the row, or pass --on-error skip to set malformed rows aside",
            )
        self.stats.rejected += 1
        self._writer.reject(RejectedRow(location=where, reason=reason, raw=raw))

    def write(
        self,
        table: pa.Table,
        *,
        rows: np.ndarray | None = None,
        positions: np.ndarray | None = None,
    ) -> None:
        """Map, check and store one batch of source rows (in source order).

        ``rows`` are the 1-based row numbers shown in messages (default: position + 1);
        ``positions`` the 0-based order in the source (default: running count).
        """
        n = table.num_rows
        if positions is None:
            positions = np.arange(self._next_position, self._next_position + n, dtype=np.int64)
            self._next_position += n
        if rows is None:
            rows = positions + 1
        if n == 0:
            return
        if self._columns is None:
            check_mapping(self.mapping, table.column_names, self.file)
            self._columns = list(table.column_names)
        self.stats.events_in += n
        table = table.combine_chunks() if any(c.num_chunks > 1 for c in table.columns) else table
        events, bad = self._canonical(table, positions, rows)
        if bad:
            keep = np.ones(n, dtype=bool)
            keep[list(bad)] = False
            events = events.filter(pa.array(keep))
            table = table.filter(pa.array(keep))
        if events.num_rows == 0:
            return
        cases = self._cases(table, events)
        if self._transforms:
            # the domain's transforms (app plugs them in) see the canonical batches last
            events = apply_transforms(
                self._transforms, events, table="events", context=self._context
            )
            if cases is not None:
                cases = apply_transforms(
                    self._transforms, cases, table="cases", context=self._context
                )
        if cases is not None:
            self._writer.write_cases(cases)
        if events.num_rows:
            self._writer.write_events(events)
        self.stats.events_written += events.num_rows

    def finish(self) -> SinkStats:
        return self.stats

    # -- mapping -----------------------------------------------------------------------------
    def _canonical(
        self, table: pa.Table, positions: np.ndarray, rows: np.ndarray
    ) -> tuple[pa.Table, dict[int, None]]:
        m = self.mapping
        batch = _Batch(table, rows)
        columns: dict[str, pa.Array] = {}

        case = _as_string(table.column(m.case_id))
        self._require(case, m.case_id, "case id", batch)
        columns[CASE_ID] = case

        if isinstance(m.activity, str):
            activity = _as_string(table.column(m.activity))
        else:
            parts = [_as_string(table.column(f)) for f in m.activity]
            activity = pc.binary_join_element_wise(
                *parts, m.activity_separator, null_handling="replace", null_replacement=""
            )
            # a classifier whose every part is empty has no label
            empty = pc.equal(activity, m.activity_separator * (len(parts) - 1))
            activity = pc.if_else(empty, pa.scalar(None, pa.string()), activity)
        self._require(activity, "+".join(m.activity_fields), "activity", batch)
        columns[ACTIVITY] = activity

        columns[TIMESTAMP] = self._timestamps(m.timestamp, batch, required=True)
        columns[START_TIMESTAMP] = (
            self._timestamps(m.start_timestamp, batch, required=False)
            if m.start_timestamp
            else pa.nulls(table.num_rows, TIMESTAMP_TYPE)
        )
        columns[RESOURCE] = (
            _as_string(table.column(m.resource))
            if m.resource
            else pa.nulls(table.num_rows, pa.string())
        )
        columns[LIFECYCLE] = (
            _as_string(table.column(m.lifecycle))
            if m.lifecycle
            else pa.nulls(table.num_rows, pa.string())
        )
        columns[COST] = (
            self._numbers(m.cost, batch) if m.cost else pa.nulls(table.num_rows, pa.float64())
        )
        columns[POSITION] = pa.array(positions, pa.int64())

        mapped = set(m.mapped_fields().values())
        for name in table.column_names:
            if name in mapped or name.startswith(CASE_PREFIX):
                continue
            col = table.column(name)
            if pa.types.is_null(col.type):
                col = col.cast(pa.string())
            target = f"attribute:{name}" if name in CORE_COLUMNS else name
            columns[target] = col
        out = pa.table(columns)
        return out, batch.bad

    def _require(self, arr: pa.Array, fieldname: str, role: str, batch: _Batch) -> None:
        if arr.null_count == 0 and (len(arr) == 0 or pc.min(pc.binary_length(arr)).as_py() > 0):
            return  # the common case, checked without a string comparison per row
        missing = pc.or_kleene(pc.is_null(arr), pc.equal(arr, ""))
        if not pc.any(missing).as_py():
            return
        idx = pc.indices_nonzero(pc.fill_null(missing, True)).to_pylist()
        self._missing(idx, batch, fieldname=fieldname, role=role, expected=f"a non-empty {role}")

    def _missing(
        self, indices: list[int], batch: _Batch, *, fieldname: str, role: str, expected: str
    ) -> None:
        """Reject (or stop at) rows whose required ``role`` field is empty."""
        self._bad(
            indices,
            batch,
            fieldname=fieldname,
            what=f"an event without {'an' if role[0] in 'aeiou' else 'a'} {role}",
            found=lambda _i: "(empty)",
            expected=expected,
            fix=f"fill it in, map another column with {_FLAGS.get(role.replace(' ', '_'), '--' + role)}, "
            "or pass --on-error skip to set such rows aside",
        )

    def _timestamps(
        self,
        fieldname: str | None,
        batch: _Batch,
        *,
        required: bool,
    ) -> pa.Array:
        assert fieldname is not None
        col = batch.table.column(fieldname)
        arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        fmt = self._formats.get(fieldname)
        try:
            if fmt is None:
                sample: list[str] = []
                if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
                    sample = pc.drop_null(arr.slice(0, 50 * _SAMPLE)).slice(0, _SAMPLE).to_pylist()
                fmt = detect_format(sample, self.settings.timestamp_format)
                self._formats[fieldname] = fmt
                is_text = pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
                self.stats.timestamp_formats[fieldname] = (
                    fmt.describe() if is_text else f"typed in the source ({arr.type})"
                )
            parsed, failed = to_utc(arr, fmt, self.settings.timezone)
        except MixedTimezoneError as exc:
            row = int(batch.rows[exc.index]) if exc.index < len(batch.rows) else None
            raise InputError(
                "timestamps mix values with and without a UTC offset",
                where=Location(file=self.file, row=row, field=fieldname),
                found=exc.value,
                expected=(
                    "every value with an offset (such as +02:00 or Z)"
                    if not exc.aware
                    else "every value without an offset (interpreted in --timezone)"
                ),
                fix="make the column consistent: add offsets to every value, or remove them all and "
                "pass --timezone with the zone they were recorded in",
            ) from None
        if failed:
            fmt_text = fmt.describe() if fmt is not None else "a timestamp"
            self._bad(
                failed,
                batch,
                fieldname=fieldname,
                what="an unparseable timestamp",
                found=lambda i: str(arr[i].as_py()),
                expected=f"a timestamp in the format {fmt_text}",
                fix="pass --timestamp-format with a strptime format (e.g. '%d-%m-%Y %H:%M:%S'), "
                "or --on-error skip to set such rows aside",
            )
        if required:
            missing = pc.is_null(parsed)
            if pc.any(missing).as_py():
                idx = [i for i in pc.indices_nonzero(missing).to_pylist() if i not in batch.bad]
                if idx:
                    self._missing(
                        idx, batch, fieldname=fieldname, role="timestamp", expected="a timestamp"
                    )
        return parsed

    def _numbers(self, fieldname: str, batch: _Batch) -> pa.Array:
        col = batch.table.column(fieldname).combine_chunks()
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            return col.cast(pa.float64())
        text = pc.utf8_trim_whitespace(col.cast(pa.string()))
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        ok = pc.match_substring_regex(text, r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
        failed = pc.and_(pc.is_valid(text), pc.invert(pc.fill_null(ok, False)))
        if pc.any(failed).as_py():
            idx = pc.indices_nonzero(failed).to_pylist()
            self._bad(
                idx,
                batch,
                fieldname=fieldname,
                what="a cost that is not a number",
                found=lambda i: str(text[i].as_py()),
                expected="a decimal number such as 12.50",
                fix="fix the value, or pass --on-error skip to set such rows aside",
            )
            text = pc.if_else(failed, pa.scalar(None, pa.string()), text)
        return text.cast(pa.float64())

    def _bad(
        self,
        indices: list[int],
        batch: _Batch,
        *,
        fieldname: str,
        what: str,
        found: Callable[[int], str],
        expected: str,
        fix: str,
    ) -> None:
        if self.settings.on_error != "skip":
            i = indices[0]
            raise InputError(
                what,
                where=Location(file=self.file, row=int(batch.rows[i]), field=fieldname),
                found=found(i),
                expected=expected,
                fix=fix,
            )
        for i in indices:
            if i in batch.bad:
                continue
            batch.bad[i] = None
            self.stats.rejected += 1
            raw = {k: _clip(str(v)) for k, v in batch.table.slice(i, 1).to_pylist()[0].items()}
            self._writer.reject(
                RejectedRow(
                    location=Location(file=self.file, row=int(batch.rows[i]), field=fieldname),
                    reason=f"{what}: {_clip(found(i), 200)}",
                    raw=raw,
                )
            )

    # -- cases ------------------------------------------------------------------------------
    def _cases(self, table: pa.Table, events: pa.Table) -> pa.Table | None:
        """The batch's case attributes (one row per case, its first event's values), or None."""
        case_cols = [
            c for c in table.column_names if c.startswith(CASE_PREFIX) and c != self.mapping.case_id
        ]
        if not case_cols:
            return None
        ids = events.column(CASE_ID).combine_chunks().dictionary_encode()
        _, first = np.unique(ids.indices.to_numpy(zero_copy_only=False), return_index=True)
        take = pa.array(first, pa.int64())
        cases: dict[str, Any] = {CASE_ID: events.column(CASE_ID).take(take)}
        for c in case_cols:
            col = table.column(c)
            if pa.types.is_null(col.type):
                col = col.cast(pa.string())
            cases[c] = col.take(take)
        return pa.table(cases)


def _as_string(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_string(arr.type):
        return arr
    if pa.types.is_floating(arr.type):
        # 12.0 -> "12": ids stored as floats by spreadsheets
        as_int = pc.cast(arr, pa.int64(), safe=False)
        whole = pc.equal(pc.cast(as_int, pa.float64()), arr)
        return pc.if_else(whole, as_int.cast(pa.string()), arr.cast(pa.string()))
    if pa.types.is_timestamp(arr.type):
        return pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S")
    return arr.cast(pa.string())


def _clip(text: str, limit: int = 1000) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


_CANDIDATES: dict[str, tuple[str, ...]] = {
    CASE_ID: (
        "case:concept:name",
        "case_id",
        "case id",
        "caseid",
        "case",
        "case_key",
        "case number",
    ),
    ACTIVITY: (
        "concept:name",
        "activity",
        "activity name",
        "activity_name",
        "event",
        "task",
        "action",
    ),
    TIMESTAMP: (
        "time:timestamp",
        "timestamp",
        "complete timestamp",
        "end timestamp",
        "end_time",
        "time",
        "date",
        "datetime",
    ),
    START_TIMESTAMP: ("start_timestamp", "start timestamp", "start_time", "start time"),
    RESOURCE: ("org:resource", "resource", "user", "employee", "agent"),
    LIFECYCLE: ("lifecycle:transition", "lifecycle", "transition"),
    COST: ("cost:total", "cost", "costs"),
}


def guess_mapping_from_columns(
    columns: Sequence[str], *, file: str, timezone: str = "UTC"
) -> ColumnMapping:
    """A mapping from common column names (case-insensitive); optional roles only when present."""
    lowered: dict[str, str] = {}
    for c in columns:
        lowered.setdefault(c.strip().lower(), c)
    found: dict[str, str] = {}
    for role, names in _CANDIDATES.items():
        for n in names:
            if n in lowered and lowered[n] not in found.values():
                found[role] = lowered[n]
                break
    for role in (CASE_ID, ACTIVITY, TIMESTAMP):
        if role not in found:
            shown = ", ".join(repr(c) for c in list(columns)[:40])
            raise InputError(
                f"cannot tell which column holds the {role.replace('_', ' ')}",
                where=Location(file=file),
                found=f"columns: {shown}",
                expected="a column named like " + ", ".join(repr(n) for n in _CANDIDATES[role][:4]),
                fix=f"pass {_FLAGS[role]} with the right column",
            )
    return ColumnMapping(
        case_id=found[CASE_ID],
        activity=found[ACTIVITY],
        timestamp=found[TIMESTAMP],
        start_timestamp=found.get(START_TIMESTAMP),
        resource=found.get(RESOURCE),
        lifecycle=found.get(LIFECYCLE),
        cost=found.get(COST),
        timezone=timezone,
    )
