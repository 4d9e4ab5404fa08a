"""`civicflow serve` refuses an unmigrated database and says what to run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("civicflow")
    env = {**os.environ, "CIVICFLOW_HOME": str(tmp_path / "home")}
    env.pop("CIVICFLOW_DATABASE_URL", None)
    done = subprocess.run(
        [str(exe), "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "civicflow db upgrade" in done.stderr
    assert "database is not migrated" in done.stderr


def test_serve_is_registered() -> None:
    from typer.testing import CliRunner

    from civicflow.cli import app

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workspace-root", "--insecure-cookies", "--workers"):
        assert option in result.output
