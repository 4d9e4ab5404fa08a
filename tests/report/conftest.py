"""Fixtures of the report tests: the small permit log in a session workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicflow.eventlog import DuckDBEngine, EventStore
from civicflow.mining import LogView

from .smalllog import write_small_log


@pytest.fixture(scope="session")
def small_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = EventStore.create(tmp_path_factory.mktemp("report-ws") / "ws")
    write_small_log(ws)
    return ws.path


@pytest.fixture(scope="session")
def small_view(small_workspace: Path):
    engine = DuckDBEngine()
    yield LogView(engine=engine, dataset=EventStore.open(small_workspace).dataset("permits"))
    engine.close()
