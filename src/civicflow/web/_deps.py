"""Who is asking: the actor behind a request (session cookie or API token), and the checks on it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from civicflow.web import _appport as port
from civicflow.web._security import (
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    csrf_matches,
)

# the signed session cookie names no one: it carries a random id whose hash the server keeps
SESSION_ID = "sid"


class NotSignedIn(Exception):
    """The route needs a signed-in actor and there is none (401 for the API, sign-in page for HTML)."""


class Forbidden(Exception):
    """The actor is signed in but their role does not grant the route's permission."""

    def __init__(self, permission: str) -> None:
        super().__init__(permission)
        self.permission = permission


class CsrfRejected(Exception):
    """A state-changing request without the session's CSRF token."""


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def optional_actor(request: Request) -> Any:
    """The signed-in actor or ``None``. A bearer token, when present, wins over the session."""
    cached = request.scope.get("civicflow.actor", ...)
    if cached is not ...:
        return cached
    ctx = request.app.state.ctx
    actor: Any = None
    token = bearer_token(request)
    if token is not None:
        actor = await run_in_threadpool(port.actor_from_token, ctx, token)
        request.scope["civicflow.auth"] = "token" if actor is not None else "bad-token"
    else:
        session_id = request.session.get(SESSION_ID)
        if isinstance(session_id, str):
            web = request.app.state.web
            actor = await run_in_threadpool(port.actor_by_session, ctx, session_id, web)
            if actor is None:
                # ended (sign-out, password or role change, erasure), idle or too old
                request.session.clear()
            else:
                request.scope["civicflow.auth"] = "session"
    request.scope["civicflow.actor"] = actor
    return actor


async def check_csrf(request: Request) -> None:
    """Session-authenticated state changes must carry the synchroniser token (header or form field).

    Bearer-token requests are exempt: a browser never attaches a bearer token on its own.
    """
    if request.method in SAFE_METHODS or request.scope.get("civicflow.auth") == "token":
        return
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FORM_FIELD)
            presented = value if isinstance(value, str) else None
    if not csrf_matches(request.session, presented):
        raise CsrfRejected()


async def authorise(request: Request, permission: str) -> Any:
    actor = await optional_actor(request)
    if actor is None:
        raise NotSignedIn()
    await check_csrf(request)
    workspace_id = request.path_params.get("workspace_id")
    if not port.allows(actor, permission, workspace_id):
        raise Forbidden(permission)
    return actor


async def _posted_form(request: Request) -> FormData:
    # a form whose fields vary (a programme kind, a questionnaire, a column table): the route
    # takes the parsed form as a whole
    return await request.form()


PostedForm = Annotated[FormData, Depends(_posted_form)]
"""The posted form as a route parameter (the CSRF check reads the same parsed form)."""


def form_text(form: FormData | Any, name: str) -> str:
    """A posted text field, stripped ("" when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def form_number(form: FormData | Any, name: str, *, kind: type = float, default: Any = None) -> Any:
    """A posted number (``kind`` float or int), ``default`` when the field is empty; an
    :class:`InputError` naming the field when it is not a number."""
    from civicflow.core import InputError, Location

    text = form_text(form, name)
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        raise InputError(
            f"'{text}' is not a number",
            where=Location(field=name),
            found=text,
            expected="a whole number" if kind is int else "a number such as 1.5",
            fix=f"correct the field '{name}'",
        ) from None
