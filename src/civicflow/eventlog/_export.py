"""Writing events back out as CSV, Parquet or XES, so civicflow's own importers read them back as
the same events.

Every format uses the XES standard names (``case:concept:name``, ``concept:name``,
``time:timestamp``, ``org:resource``, ``lifecycle:transition``, ``cost:total``; a start time as
``start_timestamp``), event attributes under their own names and case attributes as
``case:<name>`` (CSV and Parquet: a column repeated on each of the case's events; XES: trace
attributes). Events are written in the stored order (case, timestamp, position in the source), so
positions read back in the same order. Timestamps are UTC: ISO 8601 with ``+00:00`` and
microseconds in CSV and XES, ``timestamp[us, tz=UTC]`` in Parquet.

CSV cells go through :func:`civicflow.core.csv_cell`: a text that a spreadsheet would run as a
formula (``=``, ``+``, ``-``, ``@`` first) gets a leading ``'``; Parquet and XES keep every value
as it is. The file appears whole or not at all (written beside, then renamed).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal
from xml.sax.saxutils import escape

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from civicflow.core import ConfigurationError, InputError, Location, new_id, write_csv
from civicflow.eventlog._canonical import CASE_PREFIX
from civicflow.eventlog._schema import (
    ACTIVITY,
    CASE_ID,
    COST,
    LIFECYCLE,
    POSITION,
    RESOURCE,
    START_TIMESTAMP,
    TIMESTAMP,
)

LogFormat = Literal["csv", "parquet", "xes"]
LOG_FORMATS: tuple[LogFormat, ...] = ("csv", "parquet", "xes")

STANDARD_NAMES: dict[str, str] = {
    CASE_ID: "case:concept:name",
    ACTIVITY: "concept:name",
    TIMESTAMP: "time:timestamp",
    START_TIMESTAMP: "start_timestamp",
    RESOURCE: "org:resource",
    LIFECYCLE: "lifecycle:transition",
    COST: "cost:total",
}
"""The exported name of each canonical column (the position is not written: file order is it)."""

_XML_ENTITIES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def export_events(
    events: pa.Table, *, cases: pa.Table | None = None, out: Path, fmt: LogFormat
) -> Path:
    """Write ``events`` (canonical columns, then event attributes; in event order) and their
    ``cases`` (``case_id`` and case attributes) to ``out`` as ``fmt``; return ``out``."""
    if fmt not in LOG_FORMATS:
        raise ConfigurationError(
            f"unknown event-log format '{fmt}'",
            where=Location(field="format"),
            found=str(fmt),
            expected=", ".join(LOG_FORMATS),
            fix="pass csv, parquet or xes",
        )
    out = Path(out)
    if out.is_dir():
        raise InputError(
            f"cannot write the event log to {out}: it is a folder",
            where=Location(file=str(out)),
            expected=f"a file path such as events.{fmt}",
            fix="pass --out with a file name",
        )
    table = _flat(events, cases)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{new_id()}.tmp")
    try:
        if fmt == "parquet":
            pq.write_table(table, tmp, compression="zstd")
        elif fmt == "csv":
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                write_csv(fh, header=table.column_names, rows=_csv_rows(table))
        else:
            case_cols = [
                c for c in (cases.column_names if cases is not None else []) if c != CASE_ID
            ]
            with tmp.open("w", encoding="utf-8") as fh:
                _write_xes(fh, table, [_case_key(c) for c in case_cols])
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _flat(events: pa.Table, cases: pa.Table | None) -> pa.Table:
    """Events under their exported names, case attributes joined on as ``case:<name>``; columns
    that are entirely empty among the canonical optional ones are left out."""
    cols: dict[str, pa.ChunkedArray] = {}
    for name in events.column_names:
        if name == POSITION:
            continue
        col = events.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        optional = name in STANDARD_NAMES and name not in (CASE_ID, ACTIVITY, TIMESTAMP)
        if optional and col.null_count == len(col):
            continue
        cols[STANDARD_NAMES.get(name, name)] = col
    if cases is not None and cases.num_columns > 1:
        ids = events.column(CASE_ID)
        index = pc.index_in(ids, value_set=cases.column(CASE_ID).combine_chunks())
        for name in cases.column_names:
            if name == CASE_ID:
                continue
            col = cases.column(name).combine_chunks()
            if pa.types.is_dictionary(col.type):
                col = col.cast(col.type.value_type)
            cols[_case_key(name)] = pa.chunked_array([col.take(index)])
    return pa.table(cols)


def _case_key(name: str) -> str:
    """``case:<name>``; an imported attribute already carries the prefix."""
    return name if name.startswith(CASE_PREFIX) else CASE_PREFIX + name


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _iso(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _csv_rows(table: pa.Table) -> Iterator[list[Any]]:
    for batch in table.to_batches(max_chunksize=50_000):
        columns = [c.to_pylist() for c in batch.columns]
        for row in zip(*columns, strict=True):
            yield [_cell(v) for v in row]


def _xes_attr(key: str, value: Any) -> str:
    k = escape(key, _XML_ENTITIES)
    if isinstance(value, bool):
        return f'<boolean key="{k}" value="{"true" if value else "false"}"/>'
    if isinstance(value, int):
        return f'<int key="{k}" value="{value}"/>'
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f'<float key="{k}" value="{value!r}"/>'
    if isinstance(value, dt.datetime):
        return f'<date key="{k}" value="{_iso(value)}"/>'
    return f'<string key="{k}" value="{escape(str(_cell(value)), _XML_ENTITIES)}"/>'


def _write_xes(fh: IO[str], table: pa.Table, case_cols: list[str]) -> None:
    fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    fh.write(
        '<log xes.version="1.0" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n'
    )
    for prefix, name, uri in (
        ("concept", "Concept", "concept.xesext"),
        ("time", "Time", "time.xesext"),
        ("org", "Organizational", "org.xesext"),
        ("lifecycle", "Lifecycle", "lifecycle.xesext"),
        ("cost", "Cost", "cost.xesext"),
    ):
        fh.write(
            f'  <extension name="{name}" prefix="{prefix}" '
            f'uri="http://www.xes-standard.org/{uri}"/>\n'
        )
    case_key = STANDARD_NAMES[CASE_ID]
    event_cols = [c for c in table.column_names if c != case_key and c not in case_cols]
    current: object = None
    for batch in table.to_batches(max_chunksize=50_000):
        data = {c: batch.column(c).to_pylist() for c in batch.column_names}
        for i in range(batch.num_rows):
            case = data[case_key][i]
            if case != current:
                if current is not None:
                    fh.write("  </trace>\n")
                current = case
                fh.write("  <trace>\n    " + _xes_attr("concept:name", case) + "\n")
                for c in case_cols:
                    value = data[c][i]
                    if value is not None:
                        fh.write("    " + _xes_attr(c[len(CASE_PREFIX) :], value) + "\n")
            parts = [_xes_attr(c, data[c][i]) for c in event_cols if data[c][i] is not None]
            fh.write("    <event>" + "".join(parts) + "</event>\n")
    if current is not None:
        fh.write("  </trace>\n")
    fh.write("</log>\n")
