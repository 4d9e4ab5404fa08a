"""``civicflow serve``: run the web workbench with uvicorn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from civicflow.core import get_settings, ip_networks

# The CLI and the web are sibling interfaces (neither imports the other): uvicorn loads the app
# by its import string and the factory reads the same CIVICFLOW_* environment.
APP_FACTORY = "civicflow.web:create_app"
TRUSTED_PROXIES_ENV = "CIVICFLOW_WEB_TRUSTED_PROXIES"


def proxy_options() -> dict[str, Any]:
    """uvicorn's proxy settings: X-Forwarded-For is believed only from the proxies in
    CIVICFLOW_WEB_TRUSTED_PROXIES, and from no one when it is empty (uvicorn's own default
    would believe any local process, which could then claim to be any client)."""
    proxies = [p.strip() for p in os.environ.get(TRUSTED_PROXIES_ENV, "").split(",") if p.strip()]
    ip_networks(proxies, field="--trusted-proxy")
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies) or None}


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
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="A reverse proxy (address or network) whose X-Forwarded-For is believed; "
            "repeat for several (default: CIVICFLOW_WEB_TRUSTED_PROXIES, else none)",
        ),
    ] = None,
) -> None:
    """Start the web workbench. The database must be migrated first (`civicflow db upgrade`)."""
    import uvicorn

    from civicflow.app import open_app

    if workspace_root is not None:
        os.environ["CIVICFLOW_HOME"] = str(workspace_root.resolve())
    if insecure_cookies:
        os.environ["CIVICFLOW_WEB_INSECURE_COOKIES"] = "1"
    if trusted_proxy:
        os.environ[TRUSTED_PROXIES_ENV] = ",".join(trusted_proxy)
    proxies = proxy_options()
    # check before uvicorn starts: an unmigrated database stops here, naming `civicflow db upgrade`
    open_app(settings=get_settings(), require_migrated=True).close()
    typer.echo(f"civicflow workbench on http://{host}:{port}/  (Ctrl+C to stop)")
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        **proxies,
    )
