"""The web workbench (FastAPI, Jinja2, HTMX): ``create_app`` and the route-permission registry."""

from civicflow.web._app import create_app
from civicflow.web._config import OidcConfig, WebConfig
from civicflow.web._permissions import (
    PUBLIC,
    Declaration,
    declared_permission,
    iter_routes,
    public,
    requires,
    signed_in,
)

__all__ = [
    "PUBLIC",
    "Declaration",
    "OidcConfig",
    "WebConfig",
    "create_app",
    "declared_permission",
    "iter_routes",
    "public",
    "requires",
    "signed_in",
]
