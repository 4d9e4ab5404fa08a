"""The application factory: settings, security middleware, templates, routes."""

from __future__ import annotations

import logging
import secrets
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

from civicflow.core import (
    CivicflowError,
    ConfigurationError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    Settings,
    get_settings,
)
from civicflow.web._config import WebConfig
from civicflow.web._deps import CsrfRejected, Forbidden, NotSignedIn
from civicflow.web._permissions import iter_routes, mark_public, public
from civicflow.web._security import LoginThrottle, SecurityHeadersMiddleware, csrf_token

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
    web = web or WebConfig.from_env()

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

    app.state.ctx = app_context
    app.state.settings = settings
    app.state.web = web
    app.state.templates = templates
    app.state.throttle = LoginThrottle(
        attempts=web.login_attempts, window_seconds=web.login_window_seconds
    )

    from civicflow.app.assessment import engine_lock
    from civicflow.web import (
        _routes_admin,
        _routes_api,
        _routes_assessment,
        _routes_auth,
        _routes_pages,
    )
    from civicflow.web._analysis import AnalysisCache
    from civicflow.web._assessment import Analyst

    app.state.analyst = Analyst(
        app_context,
        AnalysisCache(max_entries=web.analysis_cache_entries, engine_lock=engine_lock(app_context)),
    )
    _routes_auth.install(app, web)
    app.include_router(_routes_pages.router)
    app.include_router(_routes_assessment.router)
    app.include_router(_routes_api.router)
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

    # outermost first: headers wrap everything, sessions wrap the routes
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


def render_error(
    request: Request, status: int, title: str, error: dict[str, Any] | None = None
) -> Response:
    if wants_json(request):
        body = error or {"error": title}
        return JSONResponse(body, status_code=status)
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
        return render_error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return render_error(request, 500, "Something went wrong on our side")


def template(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)
