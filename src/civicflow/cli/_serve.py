"""``civicflow serve``: run the web workbench with uvicorn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from civicflow.core import get_settings

# The CLI and the web are sibling interfaces (neither imports the other): uvicorn loads the app
# by its import string and the factory reads the same CIVICFLOW_* environment.
APP_FACTORY = "civicflow.web:create_app"


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workspace_root: Annotated[
        Path | None,
        typer.Option(
            help="Folder for workspaces and state (default: CIVICFLOW_HOME)", file_okay=False
        ),
    ] = None,
    insecure_cookies: Annotated[
        bool,
        typer.Option(
            "--insecure-cookies",
            help="Send the session cookie over plain http (local use only; never in production)",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Server processes (each keeps its own analysis cache)"),
    ] = 1,
) -> None:
    """Start the web workbench. The database must be migrated first (`civicflow db upgrade`)."""
    import uvicorn

    from civicflow.app import open_app

    if workspace_root is not None:
        os.environ["CIVICFLOW_HOME"] = str(workspace_root.resolve())
    if insecure_cookies:
        os.environ["CIVICFLOW_WEB_INSECURE_COOKIES"] = "1"
    # check before uvicorn starts: an unmigrated database stops here, naming `civicflow db upgrade`
    open_app(settings=get_settings(), require_migrated=True).close()
    typer.echo(f"civicflow workbench on http://{host}:{port}/  (Ctrl+C to stop)")
    uvicorn.run(
        APP_FACTORY, factory=True, host=host, port=port, workers=workers, log_level="warning"
    )
