"""OCEL 2.0 SQLite table names come from the file's own type maps: they reach SQLite quoted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from civicflow.eventlog import EventStore, IngestOptions, ingest
from contract.test_importers import EVENTS, write_ocel_sqlite


def test_an_event_type_table_named_with_a_quote(tmp_path: Path) -> None:
    path = write_ocel_sqlite(tmp_path / "log", EVENTS)
    with sqlite3.connect(path) as con:  # the type 'Check' is stored in the table event_Ch"eck
        con.execute('ALTER TABLE "event_Check" RENAME TO "event_Ch""eck"')
        con.execute("UPDATE event_map_type SET ocel_type_map = 'Ch\"eck' WHERE ocel_type = 'Check'")
    store = EventStore.create(tmp_path / "ws")
    dataset = ingest(
        workspace=store, source=path, name="d",
        options=IngestOptions(format="ocel-sqlite", ocel_object_type="application"),
    )  # fmt: skip
    assert (dataset.manifest.events, dataset.manifest.cases) == (len(EVENTS), 3)
