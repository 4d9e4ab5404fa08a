"""The app layer is where a domain plugs its ingest transforms in: they run inside the use case,
the manifest records them, and a write that skips them is refused and leaves no dataset."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicflow.app import AppContext, accounts, assessment, workspaces
from civicflow.core import ConfigurationError
from civicflow.eventlog import ColumnMapping, EventStore, IdentityTransform, ingest

MAPPING = ColumnMapping(case_id="case", activity="activity", timestamp="time")


def _source(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(
        "case,activity,time\nc1,Submit,2024-03-01T09:00:00Z\nc1,Check,2024-03-01T10:00:00Z\n"
    )
    return path


def _admin_workspace(ctx: AppContext, tmp_path: Path):  # type: ignore[no-untyped-def]
    user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="w", path=tmp_path / "ws")
    return admin, ws


def test_ingest_dataset_runs_the_transforms_and_records_them(
    sqlite_ctx: AppContext, tmp_path: Path
) -> None:
    admin, ws = _admin_workspace(sqlite_ctx, tmp_path)
    dataset = assessment.ingest_dataset(
        sqlite_ctx,
        actor=admin,
        workspace_id=ws.id,
        source=_source(tmp_path),
        name="d",
        mapping=MAPPING,
        transforms=[IdentityTransform()],
    )
    assert dataset.manifest.options["transforms"] == [
        {"name": "identity", "report": {"events": 2, "cases": 0}}
    ]


def test_store_dataset_refuses_a_write_that_skipped_the_transforms(
    sqlite_ctx: AppContext, tmp_path: Path
) -> None:
    admin, ws = _admin_workspace(sqlite_ctx, tmp_path)
    source = _source(tmp_path)

    def write_without(store: EventStore):  # type: ignore[no-untyped-def]
        return ingest(workspace=store, source=source, name="d", mapping=MAPPING)

    with pytest.raises(ConfigurationError, match="without the transforms asked for"):
        assessment.store_dataset(
            sqlite_ctx,
            actor=admin,
            workspace_id=ws.id,
            name="d",
            write=write_without,
            transforms=[IdentityTransform()],
        )
    assert EventStore.open(tmp_path / "ws").dataset_names() == []
