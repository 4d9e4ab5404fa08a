"""The importer contract: every registered importer, fed the same tiny log in its own format,
stores the same events; names the row of a bad value; leaves nothing behind when it fails.

A new importer must add a writer to ``WRITERS`` (the meta-test fails otherwise).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from civicflow.core import InputError
from civicflow.eventlog import ColumnMapping, EventStore, IngestOptions, importers, ingest

# (case, activity, timestamp, resource, note); file order = position. Case c1 has a tie at 10:00
# broken by position; c2's events are out of time order in the file.
EVENTS: list[tuple[str, str, str, str, str]] = [
    ("c1", "Submit", "2024-03-01T09:00:00+01:00", "ann", "online"),
    ("c2", "Submit", "2024-03-02T12:00:00+00:00", "bob", "paper"),
    ("c1", "Check", "2024-03-01T10:00:00+01:00", "cem", "first"),
    ("c1", "Approve", "2024-03-01T10:00:00+01:00", "cem", "same minute"),
    ("c3", "Submit", "2024-03-03T08:30:00+00:00", "ann", "online"),
    ("c2", "Reject", "2024-03-02T11:00:00+00:00", "dan", "early"),
    ("c3", "Check", "2024-03-04T16:45:30+00:00", "bob", "é ü ß"),
]
DISTRICT = {"c1": "North", "c2": "South", "c3": "North"}
MAPPING = ColumnMapping(
    case_id="case:concept:name",
    activity="concept:name",
    timestamp="time:timestamp",
    resource="org:resource",
)

Events = list[tuple[str, str, str, str, str]]


def write_csv(path: Path, events: Events) -> Path:
    path = path.with_suffix(".csv")
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "case:concept:name",
                "concept:name",
                "time:timestamp",
                "org:resource",
                "note",
                "case:district",
            ]
        )
        for case, act, ts, res, note in events:
            w.writerow([case, act, ts, res, note, DISTRICT[case]])
    return path


def write_parquet(path: Path, events: Events) -> Path:
    path = path.with_suffix(".parquet")
    table = pa.table(
        {
            "case:concept:name": [e[0] for e in events],
            "concept:name": [e[1] for e in events],
            "time:timestamp": [e[2] for e in events],
            "org:resource": [e[3] for e in events],
            "note": [e[4] for e in events],
            "case:district": [DISTRICT[e[0]] for e in events],
        }
    )
    pq.write_table(table, path, row_group_size=3)  # several row groups
    return path


def write_xes(path: Path, events: Events) -> Path:
    path = path.with_suffix(".xes")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<log xes.version="2.0" xmlns="http://www.xes-standard.org/">',
    ]
    # XES groups events by trace; to keep the file order of events equal to EVENTS, each event
    # sits in its own <trace> element with the case's id (a case may span several elements).
    for case, act, ts, res, note in events:
        lines += [
            "<trace>",
            f'<string key="concept:name" value={quoteattr(case)}/>',
            f'<string key="district" value={quoteattr(DISTRICT[case])}/>',
            "<event>",
            f'<string key="concept:name" value={quoteattr(act)}/>',
            f'<date key="time:timestamp" value={quoteattr(ts)}/>',
            f'<string key="org:resource" value={quoteattr(res)}/>',
            f'<string key="note" value={quoteattr(note)}/>',
            "</event>",
            "</trace>",
        ]
    lines.append("</log>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _ocel(events: Events) -> dict[str, object]:
    return {
        "objectTypes": [
            {"name": "application", "attributes": [{"name": "district", "type": "string"}]}
        ],
        "eventTypes": [
            {
                "name": a,
                "attributes": [
                    {"name": "org:resource", "type": "string"},
                    {"name": "note", "type": "string"},
                ],
            }
            for a in sorted({e[1] for e in events})
        ],
        "objects": [
            {
                "id": c,
                "type": "application",
                "attributes": [{"name": "district", "time": "1970-01-01T00:00:00Z", "value": d}],
            }
            for c, d in DISTRICT.items()
        ],
        "events": [
            {
                "id": f"e{i}",
                "type": act,
                "time": ts,
                "attributes": [
                    {"name": "org:resource", "value": res},
                    {"name": "note", "value": note},
                ],
                "relationships": [{"objectId": case, "qualifier": "concerns"}],
            }
            for i, (case, act, ts, res, note) in enumerate(events)
        ],
    }


def write_ocel_json(path: Path, events: Events) -> Path:
    path = path.with_suffix(".jsonocel")
    path.write_text(json.dumps(_ocel(events)), encoding="utf-8")
    return path


def write_ocel_sqlite(path: Path, events: Events) -> Path:
    path = path.with_suffix(".sqlite")
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
        CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
        CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT);
        CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT);
        CREATE TABLE event_map_type (ocel_type TEXT, ocel_type_map TEXT);
        CREATE TABLE object_map_type (ocel_type TEXT, ocel_type_map TEXT);
        CREATE TABLE object_Application (ocel_id TEXT, ocel_time TEXT, ocel_changed_field TEXT, district TEXT);
        """
    )
    activities = sorted({e[1] for e in events})
    for a in activities:
        con.execute("INSERT INTO event_map_type VALUES (?, ?)", (a, a.replace(" ", "")))
        con.execute(
            f'CREATE TABLE "event_{a.replace(" ", "")}" (ocel_id TEXT, ocel_time TEXT, "org:resource" TEXT, note TEXT)'
        )
    con.execute("INSERT INTO object_map_type VALUES ('application', 'Application')")
    for c, d in DISTRICT.items():
        con.execute("INSERT INTO object VALUES (?, 'application')", (c,))
        con.execute(
            "INSERT INTO object_Application VALUES (?, '1970-01-01T00:00:00Z', NULL, ?)", (c, d)
        )
    for i, (case, act, ts, res, note) in enumerate(events):
        con.execute("INSERT INTO event VALUES (?, ?)", (f"e{i}", act))
        con.execute(
            f'INSERT INTO "event_{act.replace(" ", "")}" VALUES (?, ?, ?, ?)',
            (f"e{i}", ts, res, note),
        )
        con.execute("INSERT INTO event_object VALUES (?, ?, 'concerns')", (f"e{i}", case))
    con.commit()
    con.close()
    return path


WRITERS: dict[str, Callable[[Path, Events], Path]] = {
    "csv": write_csv,
    "parquet": write_parquet,
    "xes": write_xes,
    "ocel-json": write_ocel_json,
    "ocel-sqlite": write_ocel_sqlite,
}


def test_every_registered_importer_has_a_contract_writer() -> None:
    assert set(importers()) == set(WRITERS), "add a writer for each new importer to WRITERS"


@pytest.fixture(params=sorted(WRITERS))
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _expected() -> list[dict[str, object]]:
    """By hand: UTC times, order by case, then time, then position in the file."""
    rows = []
    for pos, (case, act, ts, res, note) in enumerate(EVENTS):
        utc = datetime.fromisoformat(ts).astimezone(UTC)
        rows.append(
            {
                "case_id": case,
                "activity": act,
                "timestamp": utc,
                "resource": res,
                "position": pos,
                "note": note,
            }
        )
    return sorted(rows, key=lambda r: (r["case_id"], r["timestamp"], r["position"]))


def test_same_log_gives_the_same_stored_events(
    fmt: str, tmp_path: Path, workspace: EventStore
) -> None:
    src = WRITERS[fmt](tmp_path / "log", EVENTS)
    ds = ingest(workspace=workspace, source=src, name="d", mapping=MAPPING)
    assert ds.manifest.format == fmt  # detected from the file, not told
    got = pq.read_table(
        ds.events_path, columns=["case_id", "activity", "timestamp", "resource", "position", "note"]
    )
    assert got.to_pylist() == _expected()
    cases = pq.read_table(ds.cases_path, columns=["case_id", "case:district"]).to_pylist()
    assert cases == [{"case_id": c, "case:district": d} for c, d in sorted(DISTRICT.items())]
    assert (ds.manifest.events, ds.manifest.cases, ds.manifest.activities) == (7, 3, 4)


def test_a_bad_timestamp_names_its_row_and_field(
    fmt: str, tmp_path: Path, workspace: EventStore
) -> None:
    bad = list(EVENTS)
    bad[4] = ("c3", "Submit", "yesterday", "ann", "online")
    src = WRITERS[fmt](tmp_path / "log", bad)
    with pytest.raises(InputError) as err:
        ingest(workspace=workspace, source=src, name="d", mapping=MAPPING)
    assert err.value.where is not None
    assert err.value.where.row == 5  # the 5th event of the file
    assert err.value.where.field == "time:timestamp"
    assert err.value.found == "yesterday"
    assert "--timestamp-format" in (err.value.fix or "")


def test_skip_sets_the_bad_row_aside(fmt: str, tmp_path: Path, workspace: EventStore) -> None:
    bad = list(EVENTS)
    bad[4] = ("c3", "Submit", "yesterday", "ann", "online")
    src = WRITERS[fmt](tmp_path / "log", bad)
    ds = ingest(
        workspace=workspace,
        source=src,
        name="d",
        mapping=MAPPING,
        options=IngestOptions(on_error="skip"),
    )
    assert ds.manifest.events == 6
    assert ds.manifest.rejected == 1
    rejects = ds.rejects_path.read_text(encoding="utf-8")
    assert "yesterday" in rejects


def test_a_failed_ingest_leaves_nothing_and_keeps_the_old_dataset(
    fmt: str, tmp_path: Path, workspace: EventStore
) -> None:
    good = WRITERS[fmt](tmp_path / "good", EVENTS)
    before = ingest(workspace=workspace, source=good, name="d", mapping=MAPPING)
    bad = list(EVENTS)
    bad[6] = ("c3", "Check", "31-31-2024", "bob", "x")
    src = WRITERS[fmt](tmp_path / "bad", bad)
    with pytest.raises(InputError):
        ingest(
            workspace=workspace,
            source=src,
            name="d",
            mapping=MAPPING,
            options=IngestOptions(replace=True),
        )
    with pytest.raises(InputError):
        ingest(workspace=workspace, source=src, name="other", mapping=MAPPING)
    assert workspace.dataset_names() == ["d"]
    assert workspace.dataset("d").manifest.fingerprint == before.manifest.fingerprint
    assert [p.name for p in workspace.datasets_dir.iterdir()] == ["d"]  # no staging folder left


def test_each_importer_recognises_only_its_own_files(tmp_path: Path) -> None:
    files = {name: write(tmp_path / name, EVENTS) for name, write in WRITERS.items()}
    for name, imp in importers().items():
        claims = {other for other, path in files.items() if imp.sniff(path)}
        assert claims == {name}, f"{name} sniffed {claims}"
