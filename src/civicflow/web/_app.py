"""The application factory: settings, security middleware, templates, routes."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import compile_path

from civicflow.core import (
    CivicflowError,
    ConfigurationError,
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    PermissionDeniedError,
    Settings,
    get_settings,
)
from civicflow.web._config import WebConfig
from civicflow.web._deps import CsrfRejected, Forbidden, NotSignedIn
from civicflow.web._format import install as install_filters
from civicflow.web._pages import take_flashes
from civicflow.web._permissions import iter_routes, mark_public, public
from civicflow.web._security import (
    ASGIApp,
    LoginThrottle,
    Message,
    RateLimit,
    Receive,
    Scope,
    SecurityHeadersMiddleware,
    Send,
    csrf_token,
)

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "civicflow_session"
DENIED_HEADER = "X-Civicflow-Denied"

_STATUS: dict[type[CivicflowError], int] = {
    NotFoundError: 404,
    PermissionDeniedError: 403,
    ConflictError: 409,
    InputError: 422,
    ConfigurationError: 422,
}


def _status_of(exc: CivicflowError) -> int:
    for kind, status in _STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _recover(ctx: Any, home: Path) -> None:
    """At start: interrupted dataset and baseline changes resolved against the ledger, and what
    stopped processes left behind (ingest folders, partial uploads) removed; each logged."""
    from civicflow.app.assessment import recover_workspaces
    from civicflow.web._upload import forget_partial_uploads

    for report in recover_workspaces(ctx):
        for line in report.lines():
            log.warning("recovery: %s: %s", report.workspace, line)
    for folder, size in forget_partial_uploads(home / "uploads"):
        log.warning("recovery: removed the partial upload %s (%s bytes)", folder, f"{size:,}")


def where_of(error: Any) -> str:
    """The where-parts of an error (a ``CivicflowError.to_dict()`` or a page's own dict) that
    exist, in words; empty when none does (so no "where: row , line" for an error without one)."""
    if not isinstance(error, Mapping):
        return ""
    return ", ".join(Location.from_dict(error).parts())


def create_app(
    *,
    settings: Settings | None = None,
    app_context: Any = None,
    web: WebConfig | None = None,
) -> FastAPI:
    """Build the workbench.

    ``app_context`` is an opened :class:`civicflow.app.AppContext`; when omitted it is opened from
    ``settings`` and must be migrated (``civicflow db upgrade``).
    """
    if app_context is None:
        from civicflow.app import open_app

        app_context = open_app(settings=settings or get_settings(), require_migrated=True)
    settings = settings or app_context.settings
    assert settings is not None
    web = web or WebConfig()

    secret = settings.secret_key
    if not secret:
        # sessions then last only as long as this process; fine for one laptop, logged for servers
        log.warning("CIVICFLOW_SECRET_KEY is not set: sessions end when the server restarts")
        secret = secrets.token_urlsafe(48)

    app = FastAPI(
        title="civicflow",
        description="The civicflow workbench REST API. Authenticate with `Authorization: Bearer <token>`.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["csrf_token"] = lambda request: csrf_token(request.session)
    templates.env.globals["oidc"] = web.oidc
    install_filters(templates.env)
    templates.env.globals["where_of"] = where_of
    templates.env.globals["flashes"] = take_flashes

    _recover(app_context, Path(settings.home))
    app.state.ctx = app_context
    app.state.settings = settings
    app.state.web = web
    app.state.templates = templates
    app.state.throttle = LoginThrottle(
        attempts=web.login_attempts, window_seconds=web.login_window_seconds
    )

    app.state.assistant_limit = RateLimit(
        attempts=web.assistant_requests, window_seconds=web.assistant_window_seconds
    )

    from civicflow.app.assessment import engine_lock
    from civicflow.web import (
        _routes_admin,
        _routes_allocation,
        _routes_api,
        _routes_assessment,
        _routes_assistant,
        _routes_auth,
        _routes_business_case,
        _routes_compare,
        _routes_explore,
        _routes_fairness,
        _routes_forecast,
        _routes_governance,
        _routes_governance_edit,
        _routes_opportunities,
        _routes_pages,
        _routes_people,
        _routes_privacy,
        _routes_privacy_retention,
        _routes_rules,
        _routes_rules_edit,
        _routes_simulation,
    )
    from civicflow.web._analysis import AnalysisCache
    from civicflow.web._assessment import Analyst

    app.state.analyst = Analyst(
        app_context,
        AnalysisCache(max_entries=web.analysis_cache_entries, engine_lock=engine_lock(app_context)),
    )
    _routes_auth.install(app, web)
    app.include_router(_routes_pages.router)
    app.include_router(_routes_compare.router)
    app.include_router(_routes_simulation.router)
    app.include_router(_routes_business_case.router)
    app.include_router(_routes_governance.router)
    app.include_router(_routes_governance_edit.router)
    app.include_router(_routes_opportunities.router)
    app.include_router(_routes_people.router)
    app.include_router(_routes_fairness.router)
    app.include_router(_routes_rules.router)
    app.include_router(_routes_rules_edit.router)
    app.include_router(_routes_allocation.router)
    app.include_router(_routes_forecast.router)
    app.include_router(_routes_privacy.router)
    app.include_router(_routes_privacy_retention.router)
    app.include_router(_routes_assessment.router)
    app.include_router(_routes_explore.router)
    app.include_router(_routes_assistant.router)
    app.include_router(_routes_assistant.api)
    app.include_router(_routes_api.router)
    app.include_router(_routes_rules.api)
    app.include_router(_routes_admin.router)

    @app.get("/api/openapi.json", include_in_schema=False, dependencies=[public()])
    async def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/healthz", include_in_schema=False, dependencies=[public()])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from civicflow.report import asset_path

    # the report's vendored Graphviz and Vega builds, served as the same bytes the report inlines
    app.mount(
        "/static/report",
        mark_public(StaticFiles(directory=str(asset_path("vega").parent))),
        name="report-assets",
    )
    app.mount("/static", mark_public(StaticFiles(directory=str(HERE / "static"))), name="static")

    _install_error_handlers(app)
    _refuse_undeclared_routes(app)

    # added innermost first: the catch-all renders crashes inside the session (the error page
    # carries the CSRF meta tag) and inside the security headers, so a 500 has them too
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=web.session_max_age_seconds,
        same_site="lax",
        https_only=web.secure_cookies,
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=web.secure_cookies)
    return app


def _refuse_undeclared_routes(app: FastAPI) -> None:
    missing = [r.path for r in iter_routes(app.routes) if r.declaration is None]
    if missing:
        raise ConfigurationError(
            "web routes without a declared permission",
            found=", ".join(missing),
            expected="every route depends on requires('<permission>') or public()",
            fix="add dependencies=[requires(...)] (or public()) to each route listed",
        )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the request's path takes (for the Allow header of a 405)."""
    methods: set[str] = set()
    for info in iter_routes(request.app.routes):
        if info.methods and compile_path(info.path)[0].fullmatch(request.url.path):
            methods |= info.methods
    return sorted(methods)


def render_error(
    request: Request, status: int, title: str, error: dict[str, Any] | None = None
) -> Response:
    if wants_json(request):
        body = error or {"error": title}
        return JSONResponse(body, status_code=status)
    actor = request.scope.get("civicflow.actor")
    if actor is not None and status < 500:
        # the signed-in layout with its navigation (a 500 keeps to the plain page: whatever
        # broke may break again on the way)
        from civicflow.web._pages import page

        return page(request, "error.html", actor, status=status, title=title, error=error)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"title": title, "error": error, "status": status},
        status_code=status,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        # the header tells clients (and the route x role test) why: no one is signed in
        denied = {DENIED_HEADER: "sign-in"}
        if wants_json(request):
            return JSONResponse(
                {"error": "NotSignedIn", "what": "sign in or send an API token"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer", **denied},
            )
        if request.method == "GET":
            return RedirectResponse(
                f"/login?next={quote(request.url.path)}", status_code=303, headers=denied
            )
        response = render_error(request, 401, "Please sign in")
        response.headers.update(denied)
        return response

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        response = render_error(
            request,
            403,
            "You do not have permission for this",
            {
                "error": "Forbidden",
                "what": "your role does not allow this",
                "expected": f"a role with the permission '{exc.permission}'",
                "fix": "ask a workspace admin to grant you a role that includes it",
            },
        )
        response.headers[DENIED_HEADER] = "permission"
        return response

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, exc: CsrfRejected) -> Response:
        return render_error(
            request,
            403,
            "The form has expired",
            {
                "error": "CsrfRejected",
                "what": "the request did not carry this session's CSRF token",
                "fix": "reload the page and submit again",
            },
        )

    @app.exception_handler(CivicflowError)
    async def _civicflow(request: Request, exc: CivicflowError) -> Response:
        return render_error(request, _status_of(exc), exc.what, exc.to_dict())

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "found": str(e.get("input"))[:200],
                "expected": e.get("msg"),
            }
            for e in exc.errors()
        ]
        return render_error(
            request,
            422,
            "Some fields are not valid",
            {"error": "InputError", "what": "some fields are not valid", "problems": problems},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        response = render_error(request, exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route of the path only
            response.headers["Allow"] = ", ".join(_allowed_methods(request))
        return response


class CatchAllMiddleware:
    """Turns an unhandled exception into the 500 error page.

    Starlette runs ``exception_handler(Exception)`` in its outermost middleware, outside every
    middleware the app adds, so that page would miss the security headers; this one runs inside
    them. A response that has already started (streaming) cannot be replaced: the error goes on up.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if started:
                raise
            request = Request(scope)
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            response = render_error(request, 500, "Something went wrong on our side")
            await response(scope, receive, send)


def template(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)
