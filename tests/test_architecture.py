"""The layers stay one-way: core <- domain <- app <- cli/web (import-linter contracts in pyproject)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "importlinter.cli", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 and "No module named importlinter.cli" in result.stderr:
        result = subprocess.run(["lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_pm4py_never_imported_from_src() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "src").rglob("*.py")
        if any(
            line.strip().startswith(("import pm4py", "from pm4py"))
            for line in p.read_text().splitlines()
        )
    ]
    assert offenders == []


def test_public_packages_declare_all() -> None:
    import importlib
    import pkgutil

    import civicflow

    for info in pkgutil.iter_modules(civicflow.__path__):
        if info.name.startswith("_") or not info.ispkg:
            continue
        module = importlib.import_module(f"civicflow.{info.name}")
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"civicflow.{info.name} has no __all__"
        for name in exported:
            assert hasattr(module, name), f"civicflow.{info.name}.__all__ names missing {name}"
