"""CLI tests: the application database (which state-changing commands now write, with the
ledger) lives in a throwaway home, never in ``.civicflow`` under the working directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _app_home(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("CIVICFLOW_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.setenv("CIVICFLOW_DATABASE_URL", "")
