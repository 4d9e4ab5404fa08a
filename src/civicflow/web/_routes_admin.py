"""People and API tokens in the workbench.

``/admin/users`` (global admins): list accounts, create one, grant and revoke workspace roles,
sign a person out everywhere.
``/account/tokens`` (anyone signed in): one's own API tokens; a new token's plaintext is shown on
the response to its creation only. Every change goes through ``civicflow.app.accounts``, which
checks the permission again and writes the ledger entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from civicflow.app import AppContext, Permission, Role, accounts, workspaces
from civicflow.core import CivicflowError, Location, PermissionDeniedError, utcnow
from civicflow.web._pages import flash, page
from civicflow.web._permissions import AppCtx, SignedIn, UserAdmin

router = APIRouter(include_in_schema=False)

TOKEN_DAYS = (7, 30, 90, 180, 365)


def _users_page(request: Request, actor: Any, *, status: int = 200, **context: Any) -> Response:
    ctx = request.app.state.ctx
    data: dict[str, Any] = {
        "users": accounts.list_users(ctx, actor=actor),
        "workspaces": workspaces.list_workspaces(ctx, actor=actor),
    }
    names = {ws.id: ws.name for ws in data["workspaces"]}
    context.setdefault("values", {})
    return page(
        request,
        "admin/users.html",
        actor,
        status=status,
        nav="admin",
        roles=list(Role),
        workspace_names=names,
        **data,
        **context,
    )


@router.get("/admin/users")
def users_page(request: Request, actor: UserAdmin) -> Response:
    return _users_page(request, actor)


@router.post("/admin/users")
def create_user(
    request: Request,
    ctx: AppCtx,
    actor: UserAdmin,
    email: Annotated[str, Form(max_length=320)],
    display_name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        user = accounts.create_user(
            ctx,
            actor=actor,
            email=email,
            display_name=display_name,
            # an empty password makes an account that signs in through the identity provider
            password=password or None,
        )
    except CivicflowError as exc:
        return _users_page(
            request,
            actor,
            status=422,
            error=exc.to_dict(),
            values={"email": email, "display_name": display_name},
        )
    flash(request, f"Account for {user.display_name} ({user.email}) created.")
    return RedirectResponse("/admin/users", status_code=303)


def _change_user(
    request: Request,
    ctx: AppContext,
    actor: Any,
    user_id: str,
    use_case: Callable[..., object],
    done: str,
    **arguments: Any,
) -> Response:
    """Run an account use case on one user and go back to their row with ``done`` (``{name}``:
    the person's name) as the notice, or show what went wrong."""
    try:
        use_case(ctx, actor=actor, user_id=user_id, **arguments)
        name = accounts.get_user(ctx, actor=actor, user_id=user_id).display_name
    except CivicflowError as exc:
        return _users_page(request, actor, status=_status(exc), error=exc.to_dict())
    flash(request, done.format(name=name))
    return RedirectResponse(f"/admin/users#user-{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/roles")
def grant_role(
    request: Request,
    ctx: AppCtx,
    user_id: str,
    actor: UserAdmin,
    workspace_id: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form(max_length=32)],
) -> Response:
    label = Role(role).label if role in set(Role) else role
    return _change_user(
        request, ctx, actor, user_id, accounts.grant_role,
        f"{{name}} is now {label} in {_workspace_name(ctx, actor, workspace_id)}.",
        workspace_id=workspace_id, role=role,
    )  # fmt: skip


@router.post("/admin/users/{user_id}/roles/revoke")
def revoke_role(
    request: Request,
    ctx: AppCtx,
    user_id: str,
    actor: UserAdmin,
    workspace_id: Annotated[str, Form(max_length=64)],
) -> Response:
    return _change_user(
        request, ctx, actor, user_id, accounts.revoke_role,
        f"{{name}} no longer has a role in {_workspace_name(ctx, actor, workspace_id)}.",
        workspace_id=workspace_id,
    )  # fmt: skip


def _workspace_name(ctx: AppContext, actor: Any, workspace_id: str) -> str:
    try:
        return f"'{workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id).name}'"
    except CivicflowError:  # the use case names the problem; the notice is not shown then
        return f"workspace {workspace_id}"


@router.post("/admin/users/{user_id}/sign-out")
def sign_out_everywhere(request: Request, ctx: AppCtx, user_id: str, actor: UserAdmin) -> Response:
    """End every session of the person (a lost laptop, a cookie that may have leaked)."""
    return _change_user(
        request, ctx, actor, user_id, accounts.sign_out_everywhere,
        "{name} is signed out everywhere.",
    )  # fmt: skip


def _status(exc: CivicflowError) -> int:
    from civicflow.core import NotFoundError

    return 404 if isinstance(exc, NotFoundError) else 422


# -- one's own API tokens --------------------------------------------------------------------


def _session_only(request: Request) -> None:
    # a token must not mint tokens: its scopes would no longer bound what its holder can do
    if request.scope.get("civicflow.auth") != "session":
        raise PermissionDeniedError(
            "API tokens are managed from a signed-in session, not with an API token",
            where=Location(field="authorization"),
            found="a bearer token",
            fix="sign in to the workbench and open 'API tokens'",
        )


def _tokens_page(
    request: Request,
    actor: Any,
    *,
    status: int = 200,
    new_token: str | None = None,
    **context: Any,
) -> Response:
    tokens = accounts.list_api_tokens(request.app.state.ctx, actor=actor)
    context.setdefault("values", {})
    response = page(
        request,
        "admin/tokens.html",
        actor,
        status=status,
        nav="tokens",
        tokens=sorted(tokens, key=lambda t: t.created_at, reverse=True),
        scopes=[p.value for p in Permission],
        days=TOKEN_DAYS,
        new_token=new_token,
        **context,
    )
    # the page may carry a token's only plaintext: keep it out of every cache
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/account/tokens")
def tokens_page(request: Request, actor: SignedIn) -> Response:
    _session_only(request)
    return _tokens_page(request, actor)


@router.post("/account/tokens")
def create_token(
    request: Request,
    ctx: AppCtx,
    actor: SignedIn,
    name: Annotated[str, Form(max_length=1000)] = "",
    scope: Annotated[list[str] | None, Form()] = None,
    expires_days: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    _session_only(request)
    scopes = list(scope or [])
    expires = expires_days
    values: dict[str, Any] = {"name": name, "scopes": scopes, "expires_days": expires}
    try:
        days = int(expires or 90)
        if days not in TOKEN_DAYS:
            raise ValueError(days)
    except ValueError:
        from civicflow.core import InputError

        exc: CivicflowError = InputError(
            "choose how long the token lasts",
            where=Location(field="expires_days"),
            found=expires,
            expected=", ".join(f"{d} days" for d in TOKEN_DAYS),
        )
        return _tokens_page(request, actor, status=422, error=exc.to_dict(), values=values)
    try:
        plaintext, _token = accounts.create_api_token(
            ctx,
            actor=actor,
            name=name,
            scopes=scopes,
            expires_at=utcnow() + timedelta(days=days),
        )
    except CivicflowError as exc:
        return _tokens_page(request, actor, status=422, error=exc.to_dict(), values=values)
    flash(request, f"API token '{_token.name}' created: copy it now, it is shown only once.")
    return _tokens_page(request, actor, status=201, new_token=plaintext)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, ctx: AppCtx, token_id: str, actor: SignedIn) -> Response:
    _session_only(request)
    token = accounts.revoke_api_token(ctx, actor=actor, token_id=token_id)
    flash(request, f"API token '{token.name}' revoked.")
    return RedirectResponse("/account/tokens", status_code=303)
