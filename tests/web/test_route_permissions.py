"""Every route × every role (and anonymous): access is exactly what the route's permission grants.

Two independent statements are checked against each other: the table below (written by hand, one
line per route, reviewed like any security change) and what the running app actually does when
each kind of actor calls each route. A new route fails here until it is added to the table.
"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient

from civicflow.web import PUBLIC, OidcConfig, iter_routes

from .conftest import ROLES, World, csrf_of, make_app, sign_in
from .test_oidc import ISSUER, Provider

AUTH = "authenticated"

# (method, path) -> the permission a caller needs. Hand-written on purpose.
EXPECTED: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/login/oidc"): PUBLIC,
    ("GET", "/auth/oidc/callback"): PUBLIC,
    ("GET", "/register"): PUBLIC,
    ("GET", "/register/{system_id}"): PUBLIC,
    ("GET", "/register/{system_id}/record.{fmt}"): PUBLIC,
    ("GET", "/w/{workspace_id}/rules"): "workspace:read",
    ("POST", "/w/{workspace_id}/rules/decide"): "review:write",
    ("POST", "/w/{workspace_id}/rules/what-if"): "rules:write",
    ("GET", "/w/{workspace_id}/rules/decisions/{decision_id}"): "workspace:read",
    ("POST", "/w/{workspace_id}/rules/decisions/{decision_id}/review"): "review:write",
    ("POST", "/w/{workspace_id}/rules/decisions/{decision_id}/appeal"): "review:write",
    ("GET", "/w/{workspace_id}/rules/versions/new"): "rules:write",
    ("POST", "/w/{workspace_id}/rules/versions"): "rules:write",
    ("GET", "/w/{workspace_id}/rules/versions/{version_id}"): "workspace:read",
    ("POST", "/w/{workspace_id}/rules/versions/{version_id}/submit"): "rules:write",
    ("POST", "/w/{workspace_id}/rules/versions/{version_id}/return"): "rules:write",
    ("GET", "/w/{workspace_id}/rules/versions/{version_id}/approve"): "rules:write",
    ("POST", "/w/{workspace_id}/rules/versions/{version_id}/approve"): "rules:write",
    ("GET", "/w/{workspace_id}/rules/versions/{version_id}/publish"): "rules:write",
    ("POST", "/w/{workspace_id}/rules/versions/{version_id}/publish"): "rules:write",
    ("POST", "/w/{workspace_id}/rules/batches"): "review:write",
    ("GET", "/w/{workspace_id}/rules/batches/jobs/{job_id}"): "workspace:read",
    ("GET", "/w/{workspace_id}/rules/batches/{batch_id}"): "workspace:read",
    ("GET", "/w/{workspace_id}/rules/batches/{batch_id}/results.csv"): "workspace:read",
    ("GET", "/eligibility/{workspace_id}"): PUBLIC,
    ("GET", "/api/v1/workspaces/{workspace_id}/rules"): "workspace:read",
    ("POST", "/api/v1/workspaces/{workspace_id}/rules/{name}/decide"): "review:write",
    ("GET", "/api/v1/workspaces/{workspace_id}/rules/decisions/{decision_id}"): "workspace:read",
    ("POST", "/api/v1/workspaces/{workspace_id}/rules/{name}/batches"): "review:write",
    ("GET", "/api/v1/workspaces/{workspace_id}/rules/batches/{batch_id}"): "workspace:read",
    ("GET", "/ask/{workspace_id}"): PUBLIC,
    ("POST", "/ask/{workspace_id}"): PUBLIC,
    ("POST", "/ask/{workspace_id}/handoff"): PUBLIC,
    ("POST", "/ask/{workspace_id}/rate"): PUBLIC,
    ("POST", "/api/v1/assistant/{workspace_id}/ask"): PUBLIC,
    ("POST", "/api/v1/assistant/{workspace_id}/handoff"): PUBLIC,
    ("POST", "/api/v1/assistant/{workspace_id}/rate"): PUBLIC,
    ("GET", "/api/v1/assistant/{workspace_id}/conversations/{conversation_id}"): PUBLIC,
    ("GET", "/w/{workspace_id}/assistant"): "workspace:read",
    ("POST", "/w/{workspace_id}/assistant/settings"): "assistant:write",
    ("POST", "/w/{workspace_id}/assistant/knowledge/{handoff_id}"): "assistant:write",
    ("GET", "/w/{workspace_id}/assistant/handoffs"): "review:write",
    ("GET", "/w/{workspace_id}/assistant/handoffs/{handoff_id}"): "review:write",
    ("POST", "/w/{workspace_id}/assistant/handoffs/{handoff_id}"): "review:write",
    ("GET", "/w/{workspace_id}/governance"): "workspace:read",
    ("POST", "/w/{workspace_id}/governance/assessments"): "governance:write",
    ("GET", "/w/{workspace_id}/governance/readiness"): "workspace:read",
    ("GET", "/w/{workspace_id}/governance/assessments/{assessment_id}"): "workspace:read",
    ("POST", "/w/{workspace_id}/governance/assessments/{assessment_id}"): "governance:write",
    ("GET", "/w/{workspace_id}/governance/systems/new"): "governance:write",
    ("POST", "/w/{workspace_id}/governance/systems"): "governance:write",
    ("GET", "/w/{workspace_id}/governance/systems/{system_id}"): "workspace:read",
    ("POST", "/w/{workspace_id}/governance/systems/{system_id}"): "governance:write",
    ("POST", "/w/{workspace_id}/governance/systems/{system_id}/move"): "governance:write",
    ("GET", "/w/{workspace_id}/governance/controls"): "workspace:read",
    ("GET", "/w/{workspace_id}/governance/controls/{catalogue}/{control}"): "workspace:read",
    ("POST", "/w/{workspace_id}/governance/controls/{catalogue}/{control}"): "governance:write",
    ("GET", "/w/{workspace_id}/governance/inventory"): "workspace:read",
    ("POST", "/w/{workspace_id}/governance/inventory"): "governance:write",
    ("POST", "/w/{workspace_id}/governance/assessments/{assessment_id}/attachments"): (
        "governance:write"
    ),
    ("POST", "/w/{workspace_id}/governance/controls/{catalogue}/{control}/attachments"): (
        "governance:write"
    ),
    ("GET", "/w/{workspace_id}/governance/attachments/{attachment_id}"): "workspace:read",
    ("GET", "/"): AUTH,
    ("POST", "/workspaces"): "user:admin",
    ("GET", "/w/{workspace_id}"): "workspace:read",
    ("GET", "/w/{workspace_id}/programme/{kind}"): "workspace:read",
    ("GET", "/w/{workspace_id}/programme/{kind}/new"): "programme:write",
    ("POST", "/w/{workspace_id}/programme/{kind}"): "programme:write",
    ("GET", "/w/{workspace_id}/programme/{kind}/{item_id}"): "programme:write",
    ("POST", "/w/{workspace_id}/programme/{kind}/{item_id}"): "programme:write",
    ("GET", "/w/{workspace_id}/programme/{kind}/{item_id}/delete"): "programme:write",
    ("POST", "/w/{workspace_id}/programme/{kind}/{item_id}/delete"): "programme:write",
    ("GET", "/w/{workspace_id}/ledger"): "ledger:read",
    ("GET", "/w/{workspace_id}/ledger/verify"): "ledger:verify",
    ("POST", "/w/{workspace_id}/ledger/checkpoint"): "ledger:verify",
    ("GET", "/w/{workspace_id}/ledger/{entry_index}/proof"): "ledger:read",
    ("GET", "/w/{workspace_id}/datasets"): "workspace:read",
    ("POST", "/w/{workspace_id}/datasets/upload"): "dataset:write",
    ("POST", "/w/{workspace_id}/datasets"): "dataset:write",
    ("GET", "/w/{workspace_id}/datasets/{name}/delete"): "dataset:delete",
    ("POST", "/w/{workspace_id}/datasets/{name}/delete"): "dataset:delete",
    ("GET", "/w/{workspace_id}/assessment"): "workspace:read",
    ("GET", "/w/{workspace_id}/assessment/view/{tab}"): "workspace:read",
    ("POST", "/w/{workspace_id}/baselines"): "baseline:write",
    ("GET", "/w/{workspace_id}/assessment/export/{tab}.{fmt}"): "workspace:read",
    ("GET", "/w/{workspace_id}/assessment/report.html"): "workspace:read",
    # a reference model uploaded for the Conformance tab is analysis input, not workspace data
    ("POST", "/w/{workspace_id}/assessment/conformance/model"): "workspace:read",
    ("GET", "/w/{workspace_id}/assessment/discovered.bpmn"): "workspace:read",
    ("GET", "/w/{workspace_id}/assessment/report.pdf"): "workspace:read",
    ("GET", "/w/{workspace_id}/assessment/log.{fmt}"): "workspace:read",
    ("GET", "/w/{workspace_id}/compare"): "workspace:read",
    ("GET", "/w/{workspace_id}/compare/export/{table}.csv"): "workspace:read",
    ("GET", "/w/{workspace_id}/compare/report.{fmt}"): "workspace:read",
    ("GET", "/w/{workspace_id}/assessment/cases"): "workspace:read",
    ("GET", "/w/{workspace_id}/assessment/cases/{case_id}"): "workspace:read",
    ("GET", "/w/{workspace_id}/assessment/filters/add"): "workspace:read",
    ("GET", "/w/{workspace_id}/assessment/filters/remove"): "workspace:read",
    ("POST", "/w/{workspace_id}/filter-sets"): "baseline:write",
    ("POST", "/w/{workspace_id}/filter-sets/{name}/delete"): "baseline:write",
    ("GET", "/w/{workspace_id}/filter-sets/{name}.json"): "workspace:read",
    ("GET", "/w/{workspace_id}/programme/pilots/{item_id}/evaluation"): "workspace:read",
    ("POST", "/w/{workspace_id}/programme/pilots/{item_id}/evaluation"): "baseline:write",
    ("GET", "/w/{workspace_id}/opportunities"): "workspace:read",
    ("POST", "/w/{workspace_id}/opportunities/business-case"): "business_case:write",
    ("GET", "/w/{workspace_id}/people"): "workspace:read",
    ("POST", "/w/{workspace_id}/people/training-budget"): "programme:write",
    ("GET", "/w/{workspace_id}/business-cases"): "workspace:read",
    ("POST", "/w/{workspace_id}/business-cases"): "business_case:write",
    ("GET", "/w/{workspace_id}/business-cases/compare"): "workspace:read",
    ("GET", "/w/{workspace_id}/business-cases/{case_id}"): "workspace:read",
    ("POST", "/w/{workspace_id}/business-cases/{case_id}/versions"): "business_case:write",
    ("POST", "/w/{workspace_id}/business-cases/{case_id}/evaluate"): "business_case:write",
    ("POST", "/w/{workspace_id}/business-cases/{case_id}/from-scenario"): "business_case:write",
    ("GET", "/w/{workspace_id}/business-cases/{case_id}/delete"): "business_case:write",
    ("POST", "/w/{workspace_id}/business-cases/{case_id}/delete"): "business_case:write",
    ("GET", "/w/{workspace_id}/simulation"): "workspace:read",
    ("POST", "/w/{workspace_id}/simulation/models"): "simulation:write",
    ("GET", "/w/{workspace_id}/simulation/models/{model_id}"): "workspace:read",
    ("GET", "/w/{workspace_id}/simulation/models/{model_id}/model.json"): "workspace:read",
    ("POST", "/w/{workspace_id}/simulation/models/{model_id}"): "simulation:write",
    ("POST", "/w/{workspace_id}/simulation/models/{model_id}/scenarios"): "simulation:write",
    ("POST", "/w/{workspace_id}/simulation/models/{model_id}/runs"): "simulation:write",
    ("POST", "/w/{workspace_id}/simulation/validate"): "simulation:write",
    ("GET", "/w/{workspace_id}/simulation/jobs/{job_id}"): "workspace:read",
    ("GET", "/w/{workspace_id}/simulation/runs/{run_id}"): "workspace:read",
    ("GET", "/w/{workspace_id}/simulation/runs/{run_id}/report.html"): "workspace:read",
    ("GET", "/w/{workspace_id}/fairness"): "workspace:read",
    ("POST", "/w/{workspace_id}/fairness/process"): "fairness:write",
    ("GET", "/w/{workspace_id}/fairness/systems/{system_id}"): "workspace:read",
    ("GET", "/w/{workspace_id}/fairness/explanations/{explanation_id}"): "workspace:read",
    (
        "GET",
        "/w/{workspace_id}/fairness/explanations/{explanation_id}/decisions/{row}",
    ): "workspace:read",
    ("GET", "/w/{workspace_id}/fairness/{audit_id}"): "workspace:read",
    ("GET", "/w/{workspace_id}/allocation"): "workspace:read",
    ("GET", "/w/{workspace_id}/allocation/{allocation_id}"): "workspace:read",
    ("GET", "/w/{workspace_id}/allocation/compare"): "workspace:read",
    ("GET", "/w/{workspace_id}/allocation/jobs/{job_id}"): "workspace:read",
    ("POST", "/w/{workspace_id}/allocation"): "forecast:write",
    ("POST", "/w/{workspace_id}/allocation/{allocation_id}/simulate"): "simulation:write",
    ("GET", "/w/{workspace_id}/forecasts"): "workspace:read",
    ("GET", "/w/{workspace_id}/forecasts/{forecast_id}"): "workspace:read",
    ("GET", "/w/{workspace_id}/forecasts/jobs/{job_id}"): "workspace:read",
    ("POST", "/w/{workspace_id}/forecasts"): "forecast:write",
    ("GET", "/w/{workspace_id}/privacy"): "workspace:read",
    ("POST", "/w/{workspace_id}/privacy/decisions"): "privacy:decide",
    ("GET", "/w/{workspace_id}/privacy/retention/new"): "privacy:requests",
    ("POST", "/w/{workspace_id}/privacy/retention"): "privacy:requests",
    ("POST", "/w/{workspace_id}/privacy/retention/apply"): "privacy:requests",
    ("POST", "/w/{workspace_id}/privacy/requests"): "privacy:requests",
    ("GET", "/w/{workspace_id}/privacy/requests/{request_id}"): "privacy:requests",
    ("POST", "/w/{workspace_id}/privacy/requests/{request_id}/{step}"): "privacy:requests",
    ("GET", "/admin/users"): "user:admin",
    ("POST", "/admin/users"): "user:admin",
    ("POST", "/admin/users/{user_id}/roles"): "user:admin",
    ("POST", "/admin/users/{user_id}/roles/revoke"): "user:admin",
    ("POST", "/admin/users/{user_id}/sign-out"): "user:admin",
    ("GET", "/account/tokens"): AUTH,
    ("POST", "/account/tokens"): AUTH,
    ("POST", "/account/tokens/{token_id}/revoke"): AUTH,
    ("GET", "/api/v1/me"): AUTH,
    ("GET", "/api/v1/workspaces"): AUTH,
    ("GET", "/api/v1/workspaces/{workspace_id}/objectives"): "workspace:read",
    ("POST", "/api/v1/workspaces/{workspace_id}/objectives"): "programme:write",
    ("GET", "/api/v1/workspaces/{workspace_id}/risks"): "workspace:read",
    ("GET", "/api/v1/workspaces/{workspace_id}/ledger"): "ledger:read",
    ("GET", "/api/v1/workspaces/{workspace_id}/ledger/verify"): "ledger:verify",
    ("GET", "/api/v1/workspaces/{workspace_id}/datasets"): "workspace:read",
    ("GET", "/api/v1/workspaces/{workspace_id}/baselines"): "workspace:read",
    ("GET", "/api/v1/workspaces/{workspace_id}/datasets/{name}/process-map"): "workspace:read",
    ("GET", "/api/v1/workspaces/{workspace_id}/datasets/{name}/variants"): "workspace:read",
}

# Who holds what, by hand from the issue's role list (not read from the code under test).
GRANTS: dict[str, set[str]] = {
    "global_admin": {"*"},
    "admin": {
        "workspace:read",
        "workspace:admin",
        "dataset:write",
        "dataset:delete",
        "baseline:write",
        "programme:write",
        "simulation:write",
        "business_case:write",
        "governance:write",
        "fairness:write",
        "forecast:write",
        "assistant:write",
        "ledger:read",
        "ledger:verify",
        "review:write",
        "privacy:decide",
        "privacy:reidentify",
        "privacy:release",
        "privacy:requests",
        "rules:write",
    },
    "service_owner": {
        "workspace:read",
        "programme:write",
        "ledger:read",
        "business_case:write",
        "governance:write",
        "assistant:write",
        "rules:write",
        "forecast:write",
    },
    "analyst": {
        "workspace:read",
        "dataset:write",
        "baseline:write",
        "simulation:write",
        "business_case:write",
        "fairness:write",
        "forecast:write",
    },
    "dpo": {
        "workspace:read",
        "dataset:delete",
        "ledger:read",
        "ledger:verify",
        "governance:write",
        "privacy:reidentify",
        "privacy:release",
        "privacy:requests",
        "fairness:write",
    },
    "auditor": {"workspace:read", "ledger:read", "ledger:verify", "fairness:write"},
    "caseworker": {"workspace:read", "review:write"},
    "viewer": {"workspace:read"},
    "data_steward": {"workspace:read", "privacy:decide", "ledger:read"},
    "outsider": set(),  # signed in, no role in the workspace
    "anonymous": set(),
}


def _allowed(who: str, permission: str) -> bool:
    if permission == PUBLIC:
        return True
    if who == "anonymous":
        return False
    if permission == AUTH:
        return True
    grants = GRANTS[who]
    return "*" in grants or permission in grants


def _concrete(path: str, world: World) -> str:
    values = {
        "workspace_id": world.workspace_id,
        "kind": "objectives",
        "item_id": "obj_missing",
        "tab": "map",
        "fmt": "csv",
        "name": "missing",
        "entry_index": "0",
    }
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "x"), path)


def _denied(response) -> bool:
    # the permission layer marks its refusals; any other 401/403 (e.g. a failed SSO callback)
    # is the route's own answer to a caller it let in
    return response.headers.get("x-civicflow-denied") in {"sign-in", "permission"}


def _app(world: World):
    # with single sign-on configured, so its routes are walked too
    oidc = OidcConfig(
        issuer=ISSUER,
        client_id="civicflow",
        client_secret="s",
        transport=httpx.MockTransport(Provider()),
    )
    return make_app(world, oidc=oidc)


def test_every_route_is_in_the_table(sqlite_world: World) -> None:
    app = _app(sqlite_world)
    declared = {}
    for info in iter_routes(app.routes):
        for method in info.methods - {"HEAD"}:
            assert info.declaration is not None, f"{method} {info.path} declares no permission"
            declared[(method, info.path)] = info.declaration.permission
    static = {k for k in declared if k[1].startswith("/static")}
    assert {k: v for k, v in declared.items() if k not in static} == EXPECTED


def test_undeclared_route_refuses_to_mount(sqlite_world: World) -> None:
    from civicflow.core import ConfigurationError
    from civicflow.web import _app

    app = make_app(sqlite_world)

    @app.get("/sneaky")
    async def sneaky() -> dict[str, str]:
        return {}

    with pytest.raises(ConfigurationError, match="without a declared permission") as info:
        _app._refuse_undeclared_routes(app)
    assert "/sneaky" in (info.value.found or "")


def test_a_permission_that_does_not_exist_is_a_startup_error() -> None:
    """A misspelt permission used to give a route that silently refused everyone."""
    from civicflow.core import ConfigurationError
    from civicflow.web import requires

    with pytest.raises(ConfigurationError, match="does not exist") as info:
        requires("workspace:raed")
    assert "workspace:read" in (info.value.expected or "")


def test_every_permission_has_a_typed_actor_alias() -> None:
    import typing

    from civicflow.app import Permission
    from civicflow.web import _permissions

    assert set(_permissions.ACTOR_WITH) == set(Permission)
    for permission, alias in _permissions.ACTOR_WITH.items():
        depends = typing.get_args(alias)[1]
        declaration = getattr(depends.dependency, _permissions._MARK)
        assert declaration.permission == permission.value


@pytest.mark.parametrize("who", ["anonymous", "outsider", "global_admin", *ROLES])
def test_route_by_role(world: World, who: str) -> None:
    app = _app(world)
    client = TestClient(app, raise_server_exceptions=False)
    # every caller, even anonymous, sends its session's CSRF token: only permissions are tested here
    token = csrf_of(client) if who == "anonymous" else sign_in(client, world.emails[who])
    headers = {"X-CSRF-Token": token}
    routes = sorted(
        (
            (method, info.path)
            for info in iter_routes(app.routes)
            for method in info.methods - {"HEAD"}
            if not info.path.startswith("/static")
        ),
        # signing out last keeps the session for every other route
        key=lambda mp: mp[1] == "/logout",
    )
    problems = []
    for method, path in routes:
        url = _concrete(path, world)
        response = client.request(method, url, headers=headers, follow_redirects=False)
        assert response.status_code < 500, f"{method} {url} as {who}: {response.status_code}"
        expected = _allowed(who, EXPECTED[(method, path)])
        denied = _denied(response)
        if expected == denied:
            problems.append(
                f"{method} {path} as {who}: got {response.status_code}, "
                f"expected {'access' if expected else 'refusal'}"
            )
    assert not problems, "\n".join(problems)
