"""Rendering helpers shared by the page routes."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates


def actor_label(actor: Any) -> str:
    if actor is None:
        return ""
    for attr in ("display_name", "pseudonym"):
        value = getattr(actor, attr, None)
        if value:
            return str(value)
    return "you"


def page(
    request: Request, name: str, actor: Any, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render a template with the layout's context (actor, workspace, CSRF token helper)."""
    templates: Jinja2Templates = request.app.state.templates
    context.setdefault("workspace", None)
    context.setdefault("nav", None)
    context.setdefault("error", None)
    context["actor"] = actor
    context["actor_label"] = actor_label(actor)
    return templates.TemplateResponse(request, name, context, status_code=status)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
