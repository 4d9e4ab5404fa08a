"""A command imports what it runs: ``civicflow --help`` and ``version`` load no analytics, web or
database stack (timings are in bench/bench_startup.py and docs/benchmarks.md, never asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from civicflow.cli._main import COMMANDS, LazyGroup, load_command

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("duckdb", "ibis", "pyarrow", "pandas", "fastapi", "starlette", "sqlalchemy", "alembic")

_PROBE = """
import json, sys
sys.argv = ["civicflow", *json.loads(sys.argv[1])]
from civicflow.cli import main
try:
    main()
except SystemExit:
    pass
loaded = sorted({m.split(".")[0] for m in sys.modules})
print("\\n" + json.dumps(loaded), file=sys.stderr)
"""


def _loaded_after(argv: list[str]) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "100"}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [["--help"], ["version"], []])
def test_root_help_and_version_import_no_heavy_package(argv: list[str]) -> None:
    loaded = _loaded_after(argv)
    assert not loaded & set(HEAVY), f"civicflow {' '.join(argv)} imported {loaded & set(HEAVY)}"


def test_the_probe_sees_heavy_imports_when_a_command_loads_them() -> None:
    # the check above could pass vacuously if the probe saw nothing: `analyze --help` loads mining
    assert {"duckdb", "ibis"} <= _loaded_after(["analyze", "--help"])


def test_cli_import_alone_loads_nothing_heavy() -> None:
    code = "import sys, civicflow.cli; print(sorted({m.split('.')[0] for m in sys.modules}))"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert not set(eval(out)) & set(HEAVY)


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda s: s.name)
def test_the_central_help_line_is_the_commands_own(spec) -> None:
    """``civicflow --help`` shows the table's line without loading the command: it must not drift
    from the command's own help (the first sentence of it, at least)."""
    command = load_command(spec)
    own = " ".join((command.help or "").split())
    first = spec.help.split(". ")[0].rstrip(".")
    assert own.startswith(first[: min(len(first), 60)]), (
        f"COMMANDS['{spec.name}'].help in cli/_main.py says {spec.help!r}; the command says {own!r}"
    )


def test_every_command_is_reachable_and_listed() -> None:
    from civicflow.cli import app

    root = typer.main.get_command(app)
    assert isinstance(root, LazyGroup)
    names = root.list_commands(typer.Context(root))
    assert names == ["version", *(spec.name for spec in COMMANDS)]
    assert set(root.commands) == set(names)  # reading .commands loads every command


def test_python_dash_m_civicflow_is_the_same_command_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "100"}
    result = subprocess.run(
        [sys.executable, "-m", "civicflow", "--help"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "business-case" in result.stdout and "python -m civicflow" in result.stdout
