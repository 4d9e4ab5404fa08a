"""Rendering helpers shared by the page routes: the layout's context, the workspace the
navigation keeps, and the one-time notices that confirm a save."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

FLASH_KEY = "flash"
"""Session key of the notices waiting for the next page (server-written text, escaped on output)."""
WORKSPACE_KEY = "workspace"
"""Session key of the workspace last shown: pages outside a workspace keep its navigation."""
_MAX_FLASHES = 5


def actor_label(actor: Any) -> str:
    if actor is None:
        return ""
    for attr in ("display_name", "pseudonym"):
        value = getattr(actor, attr, None)
        if value:
            return str(value)
    return "you"


def flash(request: Request, message: str) -> None:
    """Confirm a change on the next page the browser shows (after the redirect of a POST)."""
    waiting = request.session.get(FLASH_KEY)
    messages = [m for m in waiting if isinstance(m, str)] if isinstance(waiting, list) else []
    request.session[FLASH_KEY] = [*messages, message[:300]][-_MAX_FLASHES:]


def take_flashes(request: Request) -> list[str]:
    """The waiting notices, removed: each is shown once (the layout calls this)."""
    if "session" not in request.scope:
        return []
    waiting = request.session.pop(FLASH_KEY, None)
    return [m for m in waiting if isinstance(m, str)] if isinstance(waiting, list) else []


def _remembered_workspace(request: Request, actor: Any) -> Any:
    """The workspace last shown to this session, if the actor may still read it; else None."""
    if actor is None or "session" not in request.scope:
        return None
    workspace_id = request.session.get(WORKSPACE_KEY)
    if not isinstance(workspace_id, str):
        return None
    from civicflow.app import workspaces
    from civicflow.core import CivicflowError

    try:
        return workspaces.get_workspace(
            request.app.state.ctx, actor=actor, workspace_id=workspace_id
        )
    except CivicflowError:  # removed, or the role was revoked: the navigation forgets it
        request.session.pop(WORKSPACE_KEY, None)
        return None


def page(
    request: Request, name: str, actor: Any, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render a template with the layout's context (actor, workspace, CSRF token helper).

    A page of a workspace remembers it in the session; a page outside any (people, API tokens,
    an error) shows the remembered one's navigation, so the way back is always one click."""
    templates: Jinja2Templates = request.app.state.templates
    workspace = context.get("workspace")
    if workspace is not None and actor is not None and "session" in request.scope:
        request.session[WORKSPACE_KEY] = workspace.id
    elif workspace is None:
        context["workspace"] = _remembered_workspace(request, actor)
    context.setdefault("nav", None)
    context.setdefault("error", None)
    context.setdefault("status", status)
    context["actor"] = actor
    context["actor_label"] = actor_label(actor)
    return templates.TemplateResponse(request, name, context, status_code=status)


def confirm_delete(
    request: Request,
    actor: Any,
    *,
    workspace: Any,
    nav: str,
    thing: str,
    consequence: str,
    action: str,
    cancel: str,
    typed_name: str | None = None,
    error: dict[str, object] | None = None,
    status: int | None = None,
) -> HTMLResponse:
    """The question before a deletion, as a page with one form (no JavaScript needed): posts
    ``confirm=yes``, or with ``typed_name`` the name typed again (``confirm_name``)."""
    return page(
        request,
        "confirm_delete.html",
        actor,
        status=status or (200 if error is None else 422),
        workspace=workspace,
        nav=nav,
        error=error,
        thing=thing,
        consequence=consequence,
        action=action,
        cancel=cancel,
        typed_name=typed_name,
    )


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
