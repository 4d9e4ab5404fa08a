"""At start the workbench resolves interrupted changes and removes what stopped processes left:
ingest folders and partial uploads, but never those of an ingest or upload still running."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from civicflow.core import OwnerLock
from civicflow.web._upload import forget_partial_uploads

from .conftest import World, make_app


def _workspace_path(world: World) -> Path:
    from civicflow.app._models import WorkspaceRow

    with world.ctx.read_session() as s:
        return Path(s.get(WorkspaceRow, world.workspace_id).path)


def test_start_removes_abandoned_ingests_and_uploads_only(
    sqlite_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world = sqlite_world
    datasets = _workspace_path(world) / "datasets"
    datasets.mkdir(parents=True, exist_ok=True)
    dead = datasets / ".incoming-killed"
    dead.mkdir()
    (dead / "unsorted.parquet").write_bytes(b"x" * 4096)
    live = datasets / ".incoming-running"
    live_lock = OwnerLock(live)
    live.mkdir()
    uploads = world.settings.home / "uploads" / world.workspace_id
    uploads.mkdir(parents=True, exist_ok=True)
    cut = uploads / ("up" + "a" * 32)
    cut.mkdir()
    (cut / "body.partial").write_bytes(b"y" * 100)
    arriving = uploads / ("up" + "b" * 32)
    arriving_lock = OwnerLock(arriving)
    arriving.mkdir()
    (arriving / "body.partial").write_bytes(b"z")
    done = uploads / ("up" + "c" * 32)  # complete, awaiting its mapping: not ours to remove
    done.mkdir()
    (done / "log.csv").write_text("a,b\n")
    try:
        with caplog.at_level(logging.WARNING):
            make_app(world)
        assert not dead.exists() and not cut.exists()
        assert live.is_dir() and arriving.is_dir() and done.is_dir()
        logged = caplog.text
        assert "removed datasets/.incoming-killed (4,096 bytes)" in logged
        assert f"removed the partial upload {cut}" in logged
        assert "running" not in logged and "b" * 32 not in logged
    finally:
        live_lock.release()
        arriving_lock.release()
    assert forget_partial_uploads(world.settings.home / "uploads") == [(arriving, 1)]
