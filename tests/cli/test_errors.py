"""The CLI turns civicflow errors into a clear message and exit code 2, and keeps typer.Exit codes."""

from __future__ import annotations

import sys

import pytest
import typer

from civicflow.cli._errors import run_with_clear_errors
from civicflow.core import InputError, Location


def _app(action) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None: ...

    @app.command()
    def go() -> None:
        action()

    return app


def test_exit_code_of_typer_exit_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    def leave() -> None:
        raise typer.Exit(3)

    monkeypatch.setattr(sys, "argv", ["civicflow", "go"])
    with pytest.raises(SystemExit) as exit_info:
        run_with_clear_errors(_app(leave))
    assert exit_info.value.code == 3


def test_civicflow_error_prints_where_and_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail() -> None:
        raise InputError(
            "bad timestamp",
            where=Location(file="log.csv", row=7, field="time"),
            found="31/02/2024",
            expected="a real date",
            fix="correct the row",
        )

    monkeypatch.setattr(sys, "argv", ["civicflow", "go"])
    with pytest.raises(SystemExit) as exit_info:
        run_with_clear_errors(_app(fail))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "log.csv, row 7, field 'time'" in err
    assert "31/02/2024" in err and "correct the row" in err
