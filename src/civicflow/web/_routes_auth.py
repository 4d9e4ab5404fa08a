"""Sign in and out: local accounts and OpenID Connect (Authlib's Starlette client)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from civicflow.web import _appport as port
from civicflow.web._config import WebConfig
from civicflow.web._deps import SESSION_ID, check_csrf
from civicflow.web._pages import page
from civicflow.web._permissions import public
from civicflow.web._security import client_address, csrf_token, proxy_networks

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # only same-site paths: an open redirect after sign-in would hand phishers a trusted link
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return "/"
    return target


async def _end_session(request: Request) -> None:
    session_id = request.session.get(SESSION_ID)
    if isinstance(session_id, str):
        await run_in_threadpool(port.end_session, request.app.state.ctx, session_id)
    request.session.clear()


async def _start_session(request: Request, actor: Any) -> None:
    # a fresh session on every sign-in: no session fixation, a new CSRF token; the one the
    # browser held before ends on the server too
    await _end_session(request)
    app = request.app.state
    request.session[SESSION_ID] = await run_in_threadpool(
        port.start_session, app.ctx, actor, app.web
    )
    csrf_token(request.session)


def _client_key(request: Request) -> str:
    # X-Forwarded-For and Forwarded count only from the configured proxies
    peer = request.client.host if request.client else None
    trusted = proxy_networks(request.app.state.web.trusted_proxies)
    return client_address(peer, request.scope["headers"], trusted)


@router.get("/login", dependencies=[public()])
def login_form(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", None, next=_safe_next(next))


@router.post("/login", dependencies=[public()])
async def login(
    request: Request,
    email: str = Form(..., max_length=320),
    password: str = Form(..., max_length=1024),
    next: str = Form("/"),
) -> Response:
    await check_csrf(request)
    throttle = request.app.state.throttle
    key = _client_key(request)
    target = _safe_next(next)
    if throttle.is_blocked(key):
        return page(
            request,
            "login.html",
            None,
            status=429,
            next=target,
            email=email,
            error={
                "what": "Too many failed sign-in attempts",
                "fix": "wait a few minutes and try again, or ask an admin to reset your password",
            },
        )
    result = await run_in_threadpool(port.authenticate, request.app.state.ctx, email, password, key)
    if result.actor is None:
        throttle.record_failure(key)
        return page(
            request,
            "login.html",
            None,
            status=429 if result.throttled else 401,
            next=target,
            email=email,
            error={
                "what": result.message,
                "fix": "check your email and password"
                if not result.throttled
                else "wait a few minutes and try again",
            },
        )
    throttle.reset(key)
    await _start_session(request, result.actor)
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[public()])
async def logout(request: Request) -> Response:
    await check_csrf(request)
    await _end_session(request)
    return RedirectResponse("/login", status_code=303)


def install(app: FastAPI, web: WebConfig) -> None:
    """Add the sign-in routes, and the OpenID Connect ones when a provider is configured."""
    app.include_router(router)
    if web.oidc is None:
        return
    from authlib.integrations.starlette_client import OAuth

    oidc = web.oidc
    client_kwargs: dict[str, Any] = {"scope": oidc.scope}
    if oidc.transport is not None:
        client_kwargs["transport"] = oidc.transport
    oauth = OAuth()
    oauth.register(
        name="agency",
        client_id=oidc.client_id,
        client_secret=oidc.client_secret,
        server_metadata_url=oidc.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )
    client: Any = oauth.create_client("agency")
    sso = APIRouter(include_in_schema=False)

    @sso.get("/login/oidc", dependencies=[public()])
    async def oidc_start(request: Request, next: str = "/") -> Response:
        request.session["oidc_next"] = _safe_next(next)
        redirect_uri = str(request.url_for("oidc_callback"))
        response: Response = await client.authorize_redirect(request, redirect_uri)
        return response

    @sso.get("/auth/oidc/callback", name="oidc_callback", dependencies=[public()])
    async def oidc_callback(request: Request) -> Response:
        from authlib.integrations.base_client.errors import OAuthError
        from joserfc.errors import JoseError

        try:
            token = await client.authorize_access_token(request)
        except (OAuthError, JoseError) as exc:
            # a bad state, a refused code, or an id_token with the wrong signature, issuer,
            # audience or nonce: all end here, none signs anyone in
            detail = getattr(exc, "description", None) or getattr(exc, "error", None) or str(exc)
            return page(
                request,
                "login.html",
                None,
                status=401,
                next="/",
                error={
                    "what": "Single sign-on did not complete",
                    "found": str(detail)[:200],
                    "fix": "try again; if it keeps failing, ask IT to check the identity provider",
                },
            )
        claims = token.get("userinfo") or {}
        actor = await run_in_threadpool(
            port.oidc_actor,
            request.app.state.ctx,
            str(claims.get("iss", oidc.issuer)),
            str(claims["sub"]),
            str(claims.get("email", "")),
            str(claims.get("name") or claims.get("email") or claims["sub"]),
            bool(claims.get("email_verified", False)),
        )
        target = request.session.get("oidc_next", "/")
        await _start_session(request, actor)
        return RedirectResponse(_safe_next(target), status_code=303)

    app.include_router(sso)
