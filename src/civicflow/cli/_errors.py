"""Turn civicflow's errors into clear messages and exit codes instead of tracebacks."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from civicflow.core import CivicflowError

err_console = Console(stderr=True)


def run_with_clear_errors(app: typer.Typer) -> None:
    try:
        # standalone_mode=False hands typer.Exit's code back as the return value instead of exiting
        result = app(standalone_mode=False)
        if isinstance(result, int) and not isinstance(result, bool):
            sys.exit(result)
    except CivicflowError as exc:
        err_console.print(f"[bold red]error:[/] {type(exc).__name__}", highlight=False)
        err_console.print(exc.describe(), highlight=False, markup=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except Exception as exc:
        # Typer's usage errors (it vendors click) know how to show themselves
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show()
            sys.exit(int(exc.exit_code))
        raise
