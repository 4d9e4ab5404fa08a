"""A dataset stored through the app layer has its derived files before anyone asks for them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from civicflow.app import AppContext, accounts, assessment, workspaces
from civicflow.eventlog import CORE_EVENT_SCHEMA, ColumnMapping, Dataset, EventStore
from civicflow.mining import DERIVED_FORMAT, _derived

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _write(ws: EventStore, name: str) -> Dataset:
    n = 3
    rows: dict[str, list] = {c: [None] * n for c in CORE_EVENT_SCHEMA.names}
    rows.update(
        case_id=["c1", "c1", "c2"],
        activity=["a", "b", "a"],
        timestamp=[T0, T0 + timedelta(hours=1), T0],
        position=[0, 1, 2],
    )
    mapping = ColumnMapping(case_id="case", activity="act", timestamp="ts")
    with ws.writer(name, source="mem", format="test", mapping=mapping) as w:
        w.write_events(pa.Table.from_pydict(rows, schema=CORE_EVENT_SCHEMA))
        w.write_cases(pa.table({"case_id": ["c1", "c2"]}))
    return ws.dataset(name)


def _admin_workspace(ctx: AppContext, tmp_path: Path):  # type: ignore[no-untyped-def]
    user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="w", path=tmp_path / "ws")
    return admin, ws


def test_store_dataset_derives_at_ingest(sqlite_ctx: AppContext, tmp_path: Path) -> None:
    admin, ws = _admin_workspace(sqlite_ctx, tmp_path)
    dataset = assessment.store_dataset(
        sqlite_ctx, actor=admin, workspace_id=ws.id, name="d", write=lambda s: _write(s, "d")
    )
    info = dataset.path / "derived" / f"v{DERIVED_FORMAT}" / "derived.json"
    assert json.loads(info.read_text())["fingerprint"] == dataset.manifest.fingerprint


def test_a_failed_derive_leaves_no_dataset(
    sqlite_ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, ws = _admin_workspace(sqlite_ctx, tmp_path)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_derived, "_derive", broken)
    with pytest.raises(OSError, match="disk full"):
        assessment.store_dataset(
            sqlite_ctx, actor=admin, workspace_id=ws.id, name="d", write=lambda s: _write(s, "d")
        )
    assert EventStore.open(tmp_path / "ws").dataset_names() == []
