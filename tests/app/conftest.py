"""Application tests run on SQLite and on a throwaway PostgreSQL database (one per module)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from civicflow.app import SYSTEM, Actor, AppContext, Role, accounts, open_app, workspaces
from civicflow.core import Settings

PG_ADMIN_URL = os.environ.get(
    "CIVICFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "correct horse battery staple"


def _pg_unreachable() -> str | None:
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
    reason = _pg_unreachable()
    if reason:
        pytest.skip(reason)
    name = f"cf_app_{os.getpid()}_{os.urandom(4).hex()}"
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


@pytest.fixture(scope="module")
def pg_migrated(pg_url: str) -> str:
    ctx = open_app(settings=Settings(database_url=pg_url))
    ctx.upgrade()
    ctx.close()
    return pg_url


def _empty_all_tables(engine: sa.Engine) -> None:
    from civicflow.app._models import Base
    from civicflow.ledger import tables

    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(tables.entries.delete())
        conn.execute(tables.checkpoints.delete())
        conn.execute(tables.head.update().values(size=0, frontier="[]"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppContext]:
    if request.param == "sqlite":
        context = open_app(settings=Settings(home=tmp_path / "home"), checkpoint_every=4)
        context.upgrade()
    else:
        url = request.getfixturevalue("pg_migrated")
        context = open_app(
            settings=Settings(home=tmp_path / "home", database_url=url), checkpoint_every=4
        )
        _empty_all_tables(context.engine)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def sqlite_ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = open_app(settings=Settings(home=tmp_path / "home"), checkpoint_every=4)
    context.upgrade()
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def admin(ctx: AppContext) -> Actor:
    user = accounts.create_admin(ctx, email="admin@agency.example", password=PASSWORD)
    return accounts.get_actor(ctx, user.id)


@pytest.fixture
def make_member(ctx: AppContext) -> Callable[[str, Role], Actor]:
    """make_member(workspace_id, role) -> a fresh user holding that role there."""

    def make(workspace_id: str, role: Role) -> Actor:
        user = accounts.create_user(
            ctx,
            actor=SYSTEM,
            email=f"{role.value}.{os.urandom(3).hex()}@agency.example",
            display_name=f"A {role.label}",
            password=None,
        )
        accounts.grant_role(
            ctx, actor=SYSTEM, workspace_id=workspace_id, user_id=user.id, role=role
        )
        return accounts.get_actor(ctx, user.id)

    return make


@pytest.fixture
def ws(ctx: AppContext, admin: Actor, tmp_path: Path) -> workspaces.Workspace:
    return workspaces.create_workspace(
        ctx, actor=admin, name="permits", path=tmp_path / "ws-permits"
    )


TODAY = date(2026, 1, 15)
