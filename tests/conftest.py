"""Shared fixtures. Real data lives in ../shared/data beside the checkout (never copied here)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
EVENTLOGS = SHARED_DATA / "eventlogs"


def shared_file(*parts: str) -> Path:
    """A file from ../shared/data, or skip the test with a clear reason if it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data file {path} is not present (../shared/data beside the checkout)")
    return path


@pytest.fixture
def workspace(tmp_path: Path):
    from civicflow.eventlog import EventStore

    return EventStore.create(tmp_path / "ws")
