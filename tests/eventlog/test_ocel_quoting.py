"""OCEL 2.0 SQLite table names come from the file's own type maps: they reach SQLite quoted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from civicflow.eventlog import EventStore, IngestOptions, ingest


def test_an_event_type_table_named_with_a_quote(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
        CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
        CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT);
        CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT);
        CREATE TABLE event_map_type (ocel_type TEXT, ocel_type_map TEXT);
        CREATE TABLE object_map_type (ocel_type TEXT, ocel_type_map TEXT);
        CREATE TABLE "event_Say""Hi" (ocel_id TEXT, ocel_time TEXT);
        INSERT INTO event_map_type VALUES ('say "hi"', 'Say"Hi');
        INSERT INTO object_map_type VALUES ('application', 'Application');
        INSERT INTO object VALUES ('c1', 'application');
        INSERT INTO event VALUES ('e1', 'say "hi"'), ('e2', 'say "hi"');
        INSERT INTO "event_Say""Hi" VALUES ('e1', '2024-01-01T10:00:00Z'),
                                          ('e2', '2024-01-02T10:00:00Z');
        INSERT INTO event_object VALUES ('e1', 'c1', 'concerns'), ('e2', 'c1', 'concerns');
        """
    )
    con.commit()
    con.close()
    store = EventStore.create(tmp_path / "ws")
    dataset = ingest(
        workspace=store, source=path, name="d",
        options=IngestOptions(format="ocel-sqlite", ocel_object_type="application"),
    )  # fmt: skip
    assert (dataset.manifest.events, dataset.manifest.cases) == (2, 1)
    assert dataset.manifest.first_timestamp is not None
