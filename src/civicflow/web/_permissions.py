"""Every route declares who may call it; a route that declares nothing refuses to be mounted.

A route declares with one of two FastAPI dependencies:

- ``requires(Permission.X)``: a signed-in actor (session or API token) whose role in the route's
  workspace grants that permission. Routes take it through the typed aliases below
  (``actor: WorkspaceReader``); a name that is not a ``Permission`` fails at import, never at
  request time;
- ``public()``: anyone, signed in or not (sign-in page, static files, the OpenAPI document).

``AppCtx`` is the opened application context (``civicflow.app.AppContext``) of the running app.

``declared_permission(route)`` reads the declaration back: ``create_app`` refuses an undeclared
route, and the route × role meta-test walks them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount

from civicflow.app import Actor, AppContext, Permission
from civicflow.core import ConfigurationError
from civicflow.web._appport import AUTHENTICATED

PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Declaration:
    """What a route requires: ``PUBLIC`` or a permission name."""

    permission: str

    @property
    def is_public(self) -> bool:
        return self.permission == PUBLIC


_MARK = "__civicflow_permission__"


def _permission_name(permission: Permission | str) -> str:
    if isinstance(permission, Permission) or permission == AUTHENTICATED:
        return str(permission)
    try:
        return Permission(permission).value
    except ValueError:
        # a typo must not become a route nobody may call: refuse when the route is defined
        raise ConfigurationError(
            "a web route requires a permission that does not exist",
            found=repr(permission),
            expected=", ".join(p.value for p in Permission),
            fix="use a member of civicflow.app.Permission (or the typed aliases of web/_permissions)",
        ) from None


def requires(permission: Permission | str) -> Any:
    """Dependency: the request's actor must hold ``permission`` (in the path's workspace, if any).

    Resolves to the :class:`~civicflow.app.Actor`, so a route can take it as a parameter. A string
    must be a ``Permission`` value; anything else raises :class:`ConfigurationError` at once.
    """
    from civicflow.web._deps import authorise

    name = _permission_name(permission)

    async def _require(request: Request) -> Any:
        return await authorise(request, name)

    setattr(_require, _MARK, Declaration(name))
    return Depends(_require)


def signed_in() -> Any:
    """Dependency: any signed-in actor, whatever their roles (e.g. their own list of workspaces)."""
    return requires(AUTHENTICATED)


def public() -> Any:
    """Dependency: no sign-in needed. Resolves to the actor if one is signed in, else ``None``."""
    from civicflow.web._deps import optional_actor

    async def _public(request: Request) -> Any:
        return await optional_actor(request)

    setattr(_public, _MARK, Declaration(PUBLIC))
    return Depends(_public)


def declared_permission(route: BaseRoute) -> Declaration | None:
    """The declaration of a route (searching its dependency tree), or ``None`` if it has none."""
    if isinstance(route, Mount):
        return getattr(route.app, _MARK, None)
    if not isinstance(route, APIRoute):
        return None
    stack = list(route.dependant.dependencies)
    found: list[Declaration] = []
    while stack:
        dep = stack.pop()
        call: Callable[..., Any] | None = dep.call
        mark = getattr(call, _MARK, None)
        if isinstance(mark, Declaration):
            found.append(mark)
        stack.extend(dep.dependencies)
    if not found:
        return None
    # the strictest wins if a route stacks several
    non_public = [d for d in found if not d.is_public]
    return non_public[0] if non_public else found[0]


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """One mounted route with its full path, methods and declaration."""

    path: str
    methods: frozenset[str]
    route: BaseRoute
    declaration: Declaration | None


def iter_routes(routes: Sequence[BaseRoute]) -> Iterator[RouteInfo]:
    """Every route of an app, with included routers flattened (their prefixes applied)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before the included-router contexts
        for route in routes:
            yield RouteInfo(
                path=str(getattr(route, "path", "")),
                methods=frozenset(getattr(route, "methods", None) or ()),
                route=route,
                declaration=declared_permission(route),
            )
        return
    for rc in iter_route_contexts(routes):
        route = rc.original_route
        yield RouteInfo(
            path=str(rc.path),
            methods=frozenset(rc.methods or ()),
            route=route,
            declaration=declared_permission(route),
        )


def mark_public(app: Any) -> Any:
    """Declare a mounted ASGI app (static files) public."""
    setattr(app, _MARK, Declaration(PUBLIC))
    return app


def _app_context(request: Request) -> AppContext:
    return request.app.state.ctx  # type: ignore[no-any-return]


AppCtx = Annotated[AppContext, Depends(_app_context)]
"""The running app's :class:`~civicflow.app.AppContext` (what every use case takes first)."""

# One typed actor per permission: ``actor: LedgerReader`` both declares the route's permission and
# hands the route the signed-in actor who holds it.
SignedIn = Annotated[Actor, signed_in()]
WorkspaceReader = Annotated[Actor, requires(Permission.WORKSPACE_READ)]
WorkspaceAdmin = Annotated[Actor, requires(Permission.WORKSPACE_ADMIN)]
DatasetWriter = Annotated[Actor, requires(Permission.DATASET_WRITE)]
DatasetDeleter = Annotated[Actor, requires(Permission.DATASET_DELETE)]
BaselineWriter = Annotated[Actor, requires(Permission.BASELINE_WRITE)]
ProgrammeWriter = Annotated[Actor, requires(Permission.PROGRAMME_WRITE)]
SimulationWriter = Annotated[Actor, requires(Permission.SIMULATION_WRITE)]
BusinessCaseWriter = Annotated[Actor, requires(Permission.BUSINESS_CASE_WRITE)]
GovernanceWriter = Annotated[Actor, requires(Permission.GOVERNANCE_WRITE)]
FairnessWriter = Annotated[Actor, requires(Permission.FAIRNESS_WRITE)]
ForecastWriter = Annotated[Actor, requires(Permission.FORECAST_WRITE)]
AssistantWriter = Annotated[Actor, requires(Permission.ASSISTANT_WRITE)]
LedgerReader = Annotated[Actor, requires(Permission.LEDGER_READ)]
LedgerVerifier = Annotated[Actor, requires(Permission.LEDGER_VERIFY)]
ReviewWriter = Annotated[Actor, requires(Permission.REVIEW_WRITE)]
PrivacySteward = Annotated[Actor, requires(Permission.PRIVACY_DECIDE)]
PrivacyReidentifier = Annotated[Actor, requires(Permission.PRIVACY_REIDENTIFY)]
PrivacyPublisher = Annotated[Actor, requires(Permission.PRIVACY_RELEASE)]
PrivacyRequestHandler = Annotated[Actor, requires(Permission.PRIVACY_REQUESTS)]
UserAdmin = Annotated[Actor, requires(Permission.USER_ADMIN)]

ACTOR_WITH: dict[Permission, Any] = {
    Permission.WORKSPACE_READ: WorkspaceReader,
    Permission.WORKSPACE_ADMIN: WorkspaceAdmin,
    Permission.DATASET_WRITE: DatasetWriter,
    Permission.DATASET_DELETE: DatasetDeleter,
    Permission.BASELINE_WRITE: BaselineWriter,
    Permission.PROGRAMME_WRITE: ProgrammeWriter,
    Permission.SIMULATION_WRITE: SimulationWriter,
    Permission.BUSINESS_CASE_WRITE: BusinessCaseWriter,
    Permission.GOVERNANCE_WRITE: GovernanceWriter,
    Permission.FAIRNESS_WRITE: FairnessWriter,
    Permission.FORECAST_WRITE: ForecastWriter,
    Permission.ASSISTANT_WRITE: AssistantWriter,
    Permission.LEDGER_READ: LedgerReader,
    Permission.LEDGER_VERIFY: LedgerVerifier,
    Permission.REVIEW_WRITE: ReviewWriter,
    Permission.PRIVACY_DECIDE: PrivacySteward,
    Permission.PRIVACY_REIDENTIFY: PrivacyReidentifier,
    Permission.PRIVACY_RELEASE: PrivacyPublisher,
    Permission.PRIVACY_REQUESTS: PrivacyRequestHandler,
    Permission.USER_ADMIN: UserAdmin,
}
"""The alias of each permission (a test checks every ``Permission`` member has one)."""
