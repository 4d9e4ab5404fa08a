"""``civicflow serve``: run the web workbench with uvicorn."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from civicflow.core import Settings, get_settings, ip_networks

# The CLI and the web are sibling interfaces (neither imports the other): the server loads the
# workbench by its import string, and the CLI hands it the settings as objects, never through
# the environment.
APP_FACTORY = "civicflow.web:create_app"
WEB_CONFIG = "civicflow.web:WebConfig"
TRUSTED_PROXIES_ENV = "CIVICFLOW_WEB_TRUSTED_PROXIES"


def proxy_options(trusted_proxies: Sequence[str] | None = None) -> dict[str, Any]:
    """uvicorn's proxy settings: X-Forwarded-For is believed only from ``trusted_proxies``
    (default: CIVICFLOW_WEB_TRUSTED_PROXIES), and from no one when it is empty (uvicorn's own
    default would believe any local process, which could then claim to be any client)."""
    if trusted_proxies is None:
        raw = os.environ.get(TRUSTED_PROXIES_ENV, "")
        trusted_proxies = [p.strip() for p in raw.split(",") if p.strip()]
    proxies = list(trusted_proxies)
    ip_networks(proxies, field="--trusted-proxy")
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies) or None}


@dataclass(frozen=True, slots=True)
class Workbench:
    """What uvicorn calls to build the app, in this process or in each worker (it is pickled).

    ``settings`` are the application settings the command resolved (options over environment);
    ``insecure_cookies`` overrides ``WebConfig.secure_cookies`` and ``trusted_proxies`` (when
    given) ``WebConfig.trusted_proxies``, whose other fields come from ``CIVICFLOW_WEB_*`` and
    ``CIVICFLOW_OIDC_*`` as usual.
    """

    settings: Settings
    insecure_cookies: bool = False
    trusted_proxies: tuple[str, ...] | None = None

    def __call__(self) -> Any:
        from uvicorn.importer import import_from_string

        create_app = import_from_string(APP_FACTORY)
        web_config = import_from_string(WEB_CONFIG)
        overrides: dict[str, Any] = {}
        if self.insecure_cookies:
            overrides["secure_cookies"] = False
        if self.trusted_proxies is not None:
            overrides["trusted_proxies"] = self.trusted_proxies
        return create_app(settings=self.settings, web=web_config(**overrides))


def run_server(*, workbench: Workbench, host: str, port: int, workers: int = 1) -> None:
    """Check the database, then serve ``workbench`` until Ctrl+C (as ``uvicorn.run`` would)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from civicflow.app import open_app

    proxies = proxy_options(workbench.trusted_proxies)
    # check before uvicorn starts: an unmigrated database stops here, naming `civicflow db upgrade`
    open_app(settings=workbench.settings, require_migrated=True).close()
    typer.echo(f"civicflow workbench on http://{host}:{port}/  (Ctrl+C to stop)")
    config = uvicorn.Config(
        workbench,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        **proxies,
    )
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            # uvicorn.run only takes an import string for several workers; the supervisor it
            # would use takes the (picklable) factory as well
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        pass
    if workers == 1 and not server.started:
        raise typer.Exit(3)


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
    settings = get_settings()
    if workspace_root is not None:
        settings = settings.model_copy(update={"home": workspace_root.resolve()})
    trusted = tuple(trusted_proxy) if trusted_proxy else None
    proxy_options(trusted)  # a value that is no address stops here, before anything starts
    run_server(
        workbench=Workbench(
            settings=settings, insecure_cookies=insecure_cookies, trusted_proxies=trusted
        ),
        host=host,
        port=port,
        workers=workers,
    )
