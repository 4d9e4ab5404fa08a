"""Turn civicflow's errors into clear messages and exit codes instead of tracebacks."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console


def _err_console() -> Console:
    # rich and civicflow.core load only when there is an error to show: `--help` stays fast
    from rich.console import Console

    return Console(stderr=True)


def run_with_clear_errors(app: typer.Typer) -> None:
    try:
        # standalone_mode=False hands typer.Exit's code back as the return value instead of exiting
        result = app(standalone_mode=False)
        if isinstance(result, int) and not isinstance(result, bool):
            sys.exit(result)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _err_console().print("aborted")
        sys.exit(1)
    except Exception as exc:
        from civicflow.core import CivicflowError

        if isinstance(exc, CivicflowError):
            err_console = _err_console()
            err_console.print(f"[bold red]error:[/] {type(exc).__name__}", highlight=False)
            err_console.print(exc.describe(), highlight=False, markup=False)
            sys.exit(2)
        # Typer's usage errors (it vendors click) know how to show themselves
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show()
            sys.exit(int(exc.exit_code))
        raise
