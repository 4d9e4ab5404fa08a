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


_XES_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n'
_EVENT = (
    b'<event><string key="concept:name" value="a"/>'
    b'<date key="time:timestamp" value="2024-01-01T00:00:00"/></event>'
)


def _ingest_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    from civicflow.cli import main

    monkeypatch.setattr(sys, "argv", ["civicflow", "ingest", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return int(exit_info.value.code or 0), capsys.readouterr().err


def test_a_truncated_xes_gz_is_an_input_error_not_aborted(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gzip

    whole = gzip.compress(
        _XES_HEAD
        + b"".join(
            b'<trace><string key="concept:name" value="c%d"/>' % i + _EVENT * 50 + b"</trace>\n"
            for i in range(2000)
        )
        + b"</log>\n"
    )
    source = tmp_path / "cut.xes.gz"
    source.write_bytes(whole[: len(whole) // 2])
    ws = tmp_path / "ws"
    code, err = _ingest_cli(monkeypatch, capsys, str(source), "--workspace", str(ws))
    # before: click turned gzip's EOFError into "aborted", exit 1
    assert code == 2, err
    assert "aborted" not in err
    assert "UnreadableSourceError" in err and "truncated?" in err
    assert "cut.xes.gz" in err and "download or export the file again" in err
    assert [p.name for p in (ws / "datasets").iterdir()] == []


def test_malformed_xml_in_the_first_events_names_the_line(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.xes"
    source.write_bytes(
        _XES_HEAD
        + b'<trace><string key="concept:name" value="c1"/>\n'
        + b'<event><string key="concept:name" value="a"></event>\n</trace>\n</log>\n'
    )
    code, err = _ingest_cli(monkeypatch, capsys, str(source), "--workspace", str(tmp_path / "w"))
    assert code == 2, err
    assert "not well-formed XML" in err and "bad.xes, line 4" in err and "fix:" in err
