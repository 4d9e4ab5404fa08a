"""Schemathesis against the served OpenAPI document: no generated request makes the server fail
(5xx), signed in with a token that holds every permission, and anonymously."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from .conftest import World, make_app


@pytest.fixture(scope="module")
def api(sqlite_world: World) -> Any:
    from civicflow.app import SYSTEM, Permission, accounts
    from civicflow.core import utcnow

    app = make_app(sqlite_world)
    root = next(
        u
        for u in accounts.list_users(sqlite_world.ctx, actor=SYSTEM)
        if u.email == sqlite_world.emails["global_admin"]
    )
    token, _ = accounts.create_api_token(
        sqlite_world.ctx,
        actor=accounts.get_actor(sqlite_world.ctx, root.id),
        name="fuzz",
        scopes=[p.value for p in Permission],
        expires_at=utcnow() + timedelta(days=1),
    )
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    return schema, token, sqlite_world.workspace_id


def test_the_document_is_served_and_lists_the_api(api: Any) -> None:
    schema, _, _ = api
    paths = set(schema.raw_schema["paths"])
    assert "/api/v1/workspaces/{workspace_id}/objectives" in paths
    assert all(p.startswith("/api/v1/") for p in paths)


def test_no_server_errors(api: Any) -> None:
    schema, token, workspace_id = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
        def probe(case: Any) -> None:
            # half of the requests aim at the real workspace, so they get past "no such workspace"
            if (
                case.path_parameters
                and "workspace_id" in case.path_parameters
                and len(case.path_parameters["workspace_id"]) % 2
            ):
                case.path_parameters["workspace_id"] = workspace_id
            for headers in ({"Authorization": f"Bearer {token}"}, {}):
                response = case.call(headers=headers)
                assert response.status_code < 500, (
                    case.method,
                    case.formatted_path,
                    response.status_code,
                    response.text[:500],
                )

        probe()
