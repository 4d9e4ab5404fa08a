"""Settings come from ``CIVICFLOW_*`` variables with working defaults; core stays light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from civicflow.core import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_work_without_any_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("CIVICFLOW_"):
            monkeypatch.delenv(key)
    assert get_settings().home == Path(".civicflow")


def test_variables_with_the_prefix_override(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CIVICFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("HOME_UNRELATED", "ignored")
    assert get_settings().home == tmp_path
    assert Settings().home == tmp_path


def test_core_imports_no_analytics_web_or_database_stack() -> None:
    code = "import sys, json, civicflow.core; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    loaded = {m.split(".")[0] for m in json.loads(out)}
    heavy = {"duckdb", "ibis", "pyarrow", "pandas", "fastapi", "sqlalchemy", "typer", "rich"}
    assert not loaded & heavy
