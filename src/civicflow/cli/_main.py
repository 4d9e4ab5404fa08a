"""The root Typer app. Each command group lives in its own module and is registered here."""

from __future__ import annotations

import typer

from civicflow import __version__

app = typer.Typer(
    name="civicflow",
    help="civicflow: assess processes from event logs, freeze baselines, run the workbench.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """civicflow: assess processes from event logs, freeze baselines, run the workbench."""


@app.command()
def version() -> None:
    """Print civicflow's version."""
    typer.echo(__version__)


def _register() -> None:
    # Command groups register themselves here, one import each (keep sorted).
    from civicflow.cli import _errors, _ingest  # noqa: F401

    _ingest.register(app)  # `ingest` and the `datasets` group
    from civicflow.cli import _baseline, _demo

    app.add_typer(_baseline.app, name="baseline")
    app.command("demo")(_demo.demo)
    from civicflow.cli import _conformance

    app.command("conformance")(_conformance.conformance_command)
    from civicflow.cli import _serve

    app.command("serve")(_serve.serve)
    from civicflow.cli import _db, _ledger, _tokens, _users

    app.add_typer(_db.app, name="db")
    app.add_typer(_ledger.app, name="ledger")
    app.add_typer(_tokens.app, name="tokens")
    app.add_typer(_users.app, name="users")
    from civicflow.cli import _analyze, _report

    app.add_typer(_analyze.app, name="analyze")
    app.command("report")(_report.report)


_register()


def main() -> None:
    from civicflow.cli._errors import run_with_clear_errors

    run_with_clear_errors(app)
