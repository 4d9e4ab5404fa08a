"""OCEL 2.0 importers (JSON and SQLite), flattened per chosen object type.

Each object of the chosen type becomes a case (``case:concept:name`` = object id); each event
related to it becomes an event of that case (an event related to two such objects appears in both
cases, with the same position). Object attributes become case attributes ``case:<name>`` holding
the object's latest recorded value. Events related to no object of the type are left out (their
count is in the manifest).
"""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from civicflow.core import ConfigurationError, InputError, Location
from civicflow.eventlog._canonical import EventSink
from civicflow.eventlog._limits import IngestLimits, UnreadableSourceError, unreadable
from civicflow.eventlog._schema import ColumnMapping

if TYPE_CHECKING:
    from civicflow.eventlog._importer import IngestOptions

_RESERVED = {"case:concept:name", "concept:name", "time:timestamp", "ocel:eid", "ocel:qualifier"}


@dataclass(slots=True)
class _Ocel:
    event_ids: list[str] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    event_times: list[Any] = field(default_factory=list)
    event_attrs: list[dict[str, Any]] = field(default_factory=list)
    relations: list[tuple[int, str, str | None]] = field(default_factory=list)
    object_types: dict[str, str] = field(default_factory=dict)
    object_attrs: dict[str, dict[str, tuple[str, Any]]] = field(default_factory=dict)
    """object id -> attribute -> (time, value); the latest time wins."""

    def set_object_attr(self, oid: str, name: str, time: Any, value: Any) -> None:
        slot = self.object_attrs.setdefault(oid, {})
        t = "" if time is None else str(time)
        if name not in slot or t >= slot[name][0]:
            slot[name] = (t, value)


def _mapping(options: IngestOptions) -> ColumnMapping:
    return ColumnMapping(
        case_id="case:concept:name",
        activity="concept:name",
        timestamp="time:timestamp",
        timezone=options.timezone or "UTC",
    )


def _column(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _flatten(log: _Ocel, object_type: str | None, file: str, sink: EventSink) -> dict[str, object]:
    per_type = Counter(log.object_types.get(oid, "?") for _e, oid, _q in log.relations)
    available = Counter(log.object_types.values())
    if object_type is None:
        if len(available) != 1:
            listing = ", ".join(f"'{t}' ({n} objects)" for t, n in available.most_common())
            raise ConfigurationError(
                "the OCEL log has several object types: choose the one whose objects are the cases",
                where=Location(file=file),
                found=listing or "no objects",
                expected="one object type",
                fix="pass --object-type with one of them (ocel_object_type in IngestOptions)",
            )
        object_type = next(iter(available))
    elif object_type not in available:
        listing = ", ".join(f"'{t}'" for t in available) or "none"
        raise ConfigurationError(
            f"the OCEL log has no object type '{object_type}'",
            where=Location(file=file),
            found=f"object types: {listing}",
            expected="one of the log's object types",
            fix="pass --object-type with one of them",
        )
    rows = [(e, oid, q) for e, oid, q in log.relations if log.object_types.get(oid) == object_type]
    rows.sort(key=lambda r: r[0])  # source order of the events
    related = {e for e, _o, _q in rows}
    idx = [e for e, _o, _q in rows]
    cols: dict[str, Any] = {
        "case:concept:name": pa.array([o for _e, o, _q in rows], pa.string()),
        "concept:name": pa.array([log.event_types[e] for e in idx], pa.string()),
        "time:timestamp": _column([log.event_times[e] for e in idx]),
        "ocel:eid": pa.array([log.event_ids[e] for e in idx], pa.string()),
        "ocel:qualifier": pa.array([q for _e, _o, q in rows], pa.string()),
    }
    names = sorted({k for e in set(idx) for k in log.event_attrs[e]})
    for name in names:
        target = f"ocel:{name}" if name in _RESERVED else name
        cols[target] = _column([log.event_attrs[e].get(name) for e in idx])
    obj_names = sorted({k for _e, o, _q in rows for k in log.object_attrs.get(o, {})})
    for name in obj_names:
        cols[f"case:{name}"] = _column(
            [log.object_attrs.get(o, {}).get(name, (None, None))[1] for _e, o, _q in rows]
        )
    cols["case:ocel:type"] = pa.array([object_type] * len(rows), pa.string())
    table = pa.table(cols)
    if table.num_rows:
        positions = np.array(idx, dtype=np.int64)
        sink.write(table, positions=positions, rows=positions + 1)
    return {
        "ocel_object_type": object_type,
        "ocel_object_types": dict(available),
        "ocel_relations_per_type": dict(per_type),
        "ocel_events": len(log.event_ids),
        "ocel_events_without_object_of_type": len(log.event_ids) - len(related),
    }


class _OcelImporter(ABC):
    """What the OCEL importers share: the mapping OCEL fixes, and a read that loads the log into
    :class:`_Ocel` (the subclass's ``_load``) and flattens it for the sink."""

    def guess_mapping(self, path: Path, options: IngestOptions) -> ColumnMapping:
        return _mapping(options)

    def read(
        self, path: Path, *, mapping: ColumnMapping, options: IngestOptions, sink: EventSink
    ) -> dict[str, object]:
        total = path.stat().st_size
        log = self._load(path, options=options, sink=sink, total=total)
        facts = _flatten(log, options.ocel_object_type, path.name, sink)
        sink.progress(total, total)
        return facts

    @abstractmethod
    def _load(self, path: Path, *, options: IngestOptions, sink: EventSink, total: int) -> _Ocel:
        """Read the whole log at ``path`` into :class:`_Ocel` (each format its own way)."""


class OcelJsonImporter(_OcelImporter):
    """OCEL 2.0 JSON (``.jsonocel``, ``.json``)."""

    name = "ocel-json"
    suffixes: tuple[str, ...] = (".jsonocel", ".ocel.json", ".json")

    def sniff(self, path: Path) -> bool:
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
        return head.lstrip().startswith(b"{") and (
            b'"objectTypes"' in head or b'"eventTypes"' in head or b'"events"' in head
        )

    def _load(self, path: Path, *, options: IngestOptions, sink: EventSink, total: int) -> _Ocel:
        limits = options.limits or IngestLimits()
        if total * _JSON_OBJECT_FACTOR > limits.memory_budget:
            raise _too_large(
                path.name,
                f"{total:,} bytes of JSON (about {total * _JSON_OBJECT_FACTOR:,} bytes once read)",
                limits,
            )
        try:
            data = json.loads(path.read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise unreadable(
                path.name, exc, "ocel-json", line=getattr(exc, "lineno", None)
            ) from None
        if not isinstance(data, dict) or "events" not in data or "objects" not in data:
            raise InputError(
                "the JSON file is not an OCEL 2.0 log",
                where=Location(file=path.name),
                found="keys: "
                + (", ".join(data) if isinstance(data, dict) else type(data).__name__),
                expected="an object with 'objectTypes', 'eventTypes', 'objects' and 'events'",
                fix="pass --format with the file's real format",
            )
        sink.progress(total // 2, total)
        log = _Ocel()
        for i, obj in enumerate(data["objects"]):
            try:
                oid = str(obj["id"])
                log.object_types[oid] = str(obj["type"])
            except (KeyError, TypeError):
                raise _malformed(
                    "an OCEL object without id or type",
                    path.name,
                    "objects",
                    i,
                    obj,
                    expected='{"id": ..., "type": ...}',
                ) from None
            for attr in obj.get("attributes") or []:
                log.set_object_attr(oid, str(attr.get("name")), attr.get("time"), attr.get("value"))
        for i, ev in enumerate(data["events"]):
            if not isinstance(ev, dict) or "type" not in ev:
                raise _malformed(
                    "an OCEL event without a type",
                    path.name,
                    "events",
                    i,
                    ev,
                    expected='{"id": ..., "type": ..., "time": ...}',
                )
            log.event_ids.append(str(ev.get("id", i)))
            log.event_types.append(str(ev["type"]))
            log.event_times.append(ev.get("time"))
            log.event_attrs.append(
                {str(a.get("name")): a.get("value") for a in ev.get("attributes") or []}
            )
            for rel in ev.get("relationships") or []:
                log.relations.append((i, str(rel.get("objectId")), rel.get("qualifier")))
        return log


class OcelSqliteImporter(_OcelImporter):
    """OCEL 2.0 SQLite (``.sqlite``, ``.sqlite3``, ``.db``)."""

    name = "ocel-sqlite"
    suffixes: tuple[str, ...] = (".sqlite", ".sqlite3", ".db", ".ocel")

    def sniff(self, path: Path) -> bool:
        with path.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return False
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
                names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        except sqlite3.Error:
            return False
        return {"event", "object", "event_object"} <= names

    def _load(self, path: Path, *, options: IngestOptions, sink: EventSink, total: int) -> _Ocel:
        if not self.sniff(path):
            raise InputError(
                "the file is not an OCEL 2.0 SQLite database",
                where=Location(file=path.name),
                expected="an SQLite file with tables event, object, event_object",
                fix="pass --format with the file's real format",
            )
        log = _Ocel()
        limits = options.limits or IngestLimits()
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            counts = [
                con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("event", "object", "event_object")
            ]
            needed = sum(n * cost for n, cost in zip(counts, _ROW_BYTES, strict=True))
            if needed > limits.memory_budget:
                raise _too_large(
                    path.name,
                    f"{counts[0]:,} events, {counts[1]:,} objects, {counts[2]:,} relations "
                    f"(about {needed:,} bytes once read)",
                    limits,
                )
            event_maps = _type_maps(con, "event_map_type", tables)
            object_maps = _type_maps(con, "object_map_type", tables)
            index: dict[str, int] = {}
            for eid, etype in con.execute("SELECT ocel_id, ocel_type FROM event ORDER BY rowid"):
                index[str(eid)] = len(log.event_ids)
                log.event_ids.append(str(eid))
                log.event_types.append(str(etype))
                log.event_times.append(None)
                log.event_attrs.append({})
            for row in _type_rows(con, "event", log.event_types, event_maps, tables):
                i = index.get(str(row.pop("ocel_id")))
                if i is None:
                    continue
                log.event_times[i] = row.pop("ocel_time", None)
                log.event_attrs[i].update(row)
            for oid, otype in con.execute("SELECT ocel_id, ocel_type FROM object"):
                log.object_types[str(oid)] = str(otype)
            for row in _type_rows(con, "object", log.object_types.values(), object_maps, tables):
                oid = str(row.pop("ocel_id"))
                time = row.pop("ocel_time", None)
                changed = row.pop("ocel_changed_field", None)
                for name, value in row.items():
                    if changed and name != changed:
                        continue
                    if value is not None:
                        log.set_object_attr(oid, name, time, value)
            for eid, oid, qualifier in con.execute(
                "SELECT ocel_event_id, ocel_object_id, ocel_qualifier FROM event_object"
            ):
                i = index.get(str(eid))
                if i is not None:
                    log.relations.append((i, str(oid), qualifier))
        except sqlite3.Error as exc:
            raise unreadable(path.name, exc, "ocel-sqlite") from None
        finally:
            con.close()
        return log


_JSON_OBJECT_FACTOR = 16
"""Bytes of memory per byte of OCEL JSON, parsed into Python objects and flattened (measured:
a peak 14 times the file for a 20 MB log of 100,000 events)."""
_ROW_BYTES = (600, 300, 150)
"""Bytes of memory per event, object and event-object relation read from OCEL SQLite."""


def _too_large(file: str, found: str, limits: IngestLimits) -> InputError:
    """OCEL logs are flattened in memory: one larger than the ingest's budget is refused."""
    return UnreadableSourceError(
        "the OCEL log is too large to flatten within the ingest's memory budget",
        where=Location(file=file),
        found=found,
        expected=f"at most {limits.memory_budget:,} bytes (CIVICFLOW_INGEST_MEMORY_BUDGET)",
        fix="flatten the log to CSV or Parquet per object type with your OCEL tool and import "
        "that, or ask IT to raise the budget on a machine with the memory",
    )


def _malformed(
    what: str, file: str, field: str, index: int, item: object, *, expected: str
) -> InputError:
    """The error for item ``index`` (0-based) of the JSON list ``field`` ("objects", "events")."""
    return InputError(
        what,
        where=Location(file=file, row=index + 1, field=field),
        found=json.dumps(item)[:200],
        expected=expected,
        fix=f"repair the {field.removesuffix('s')}",
    )


def _type_maps(con: sqlite3.Connection, table: str, tables: set[str]) -> dict[str, str]:
    if table not in tables:
        return {}
    query = f"SELECT ocel_type, ocel_type_map FROM {_ident(table)}"
    return {str(a): str(b) for a, b in con.execute(query)}


def _type_rows(
    con: sqlite3.Connection,
    prefix: str,
    types: Iterable[str],
    maps: dict[str, str],
    tables: set[str],
) -> Iterator[dict[str, Any]]:
    """The rows, as dicts, of each type's own table (``event_<type>``, ``object_<type>``, named
    through the type map), for the types that have one."""
    for name in set(types):
        table = f"{prefix}_{maps.get(name, name)}"
        if table not in tables:
            continue
        cur = con.execute(f"SELECT * FROM {_ident(table)}")
        cols = [d[0] for d in cur.description]
        for rec in cur:
            yield dict(zip(cols, rec, strict=True))


def _ident(name: str) -> str:
    """An SQLite identifier, quoted (table names come from the file's own type maps)."""
    return '"' + name.replace('"', '""') + '"'
