"""Web fixtures: a migrated database (SQLite or a throwaway PostgreSQL database), one user per
role in one workspace, and signed-in test clients."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

PG_ADMIN_URL = os.environ.get(
    "CIVICFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "correct horse battery staple"
ROLES = (
    "admin", "service_owner", "analyst", "dpo", "auditor", "caseworker", "viewer", "data_steward",
)  # fmt: skip


def _pg_reachable() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {type(exc).__name__}"
    return None


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A uniquely named PostgreSQL database for this module, dropped afterwards."""
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    name = f"cf_web_{os.getpid()}_{os.urandom(4).hex()}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@dataclass
class World:
    """A migrated database with a workspace and one user per role (plus a global admin)."""

    ctx: Any
    settings: Any
    workspace_id: str
    emails: dict[str, str]
    home: Path


def make_world(tmp: Path, database_url: str | None) -> World:
    from civicflow.app import SYSTEM, accounts, open_app, workspaces
    from civicflow.core import Settings

    settings = Settings(home=tmp / "home", database_url=database_url, secret_key="k" * 48)
    ctx = open_app(settings=settings)
    ctx.upgrade()
    root = accounts.create_admin(ctx, email="root@example.org", password=PASSWORD)
    admin_actor = accounts.get_actor(ctx, root.id)
    ws = workspaces.create_workspace(ctx, actor=admin_actor, name="permits")
    emails = {"global_admin": "root@example.org"}
    for role in ROLES:
        email = f"{role}@example.org"
        user = accounts.create_user(
            ctx,
            actor=SYSTEM,
            email=email,
            display_name=role.replace("_", " ").title(),
            password=PASSWORD,
        )
        accounts.grant_role(ctx, actor=SYSTEM, workspace_id=ws.id, user_id=user.id, role=role)
        emails[role] = email
    emails["outsider"] = "outsider@example.org"
    accounts.create_user(
        ctx, actor=SYSTEM, email=emails["outsider"], display_name="Outsider", password=PASSWORD
    )
    return World(ctx=ctx, settings=settings, workspace_id=ws.id, emails=emails, home=tmp)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One world per module and database (argon2 hashing of nine users is the slow part);
    tests add what they need and never count on other tests' absence."""
    url = None if request.param == "sqlite" else request.getfixturevalue("pg_url")
    w = make_world(tmp_path_factory.mktemp("web"), url)
    try:
        yield w
    finally:
        w.ctx.close()


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("web"), None)
    try:
        yield w
    finally:
        w.ctx.close()


def make_app(world: World, **web: Any) -> Any:
    from civicflow.web import WebConfig, create_app

    return create_app(
        settings=world.settings,
        app_context=world.ctx,
        web=WebConfig(secure_cookies=False, **web),
    )


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_of(client: TestClient, path: str = "/login") -> str:
    match = CSRF_META.search(client.get(path).text)
    assert match, f"no CSRF meta tag on {path}"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    token = csrf_of(client)
    r = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]
    return csrf_of(client, "/")


def page_paths(app: Any) -> list[str]:
    """Every page of the web app as its route path (``/w/{workspace_id}/...``): the GET routes that
    answer HTML, not the JSON API, static files, sign-in redirects, downloads (CSV, JSON, PDF,
    a chart's SVG) or HTMX fragments of the assessment page. A page added later is in it."""
    from civicflow.web import iter_routes

    return sorted(
        info.path
        for info in iter_routes(app.routes)
        if "GET" in info.methods
        and not info.path.startswith(("/api", "/static", "/login", "/auth", "/healthz"))
        and "{name}" not in info.path and "{fmt}" not in info.path
        and not info.path.endswith(("/view/{tab}", "report.html"))
        and "." not in info.path.rsplit("/", 1)[-1]  # downloads (CSV, JSON, PDF), not pages
    )  # fmt: skip
