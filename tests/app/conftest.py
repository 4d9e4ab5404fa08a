"""Application tests run on SQLite and on a throwaway PostgreSQL database (one per module)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from civicflow.app import SYSTEM, Actor, AppContext, Role, accounts, open_app, workspaces
from civicflow.core import Settings
from ledger.pgdb import temporary_database

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A uniquely named PostgreSQL database for this module, dropped afterwards."""
    with temporary_database("cf_app") as url:
        yield url


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


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    # Production parameters cost ~0.1-0.3 s per hash on a busy machine; tests hash dozens of
    # times. The algorithm (argon2id) and code path stay the same.
    from argon2 import PasswordHasher

    from civicflow.app import _accounts

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(_accounts, "_hasher", cheap)
    monkeypatch.setattr(_accounts, "_DUMMY_HASH", cheap.hash("dummy"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite database, copied for each test (migrating costs ~0.5 s)."""
    home = tmp_path_factory.mktemp("template")
    context = open_app(settings=Settings(home=home))
    context.upgrade()
    context.close()
    return home / "civicflow.db"


def _sqlite_ctx(template: Path, home: Path) -> AppContext:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, home / "civicflow.db")
    context = open_app(settings=Settings(home=home), checkpoint_every=4, require_migrated=True)

    # A throwaway test database need not survive a power cut: skip the fsync per commit, which
    # dominates these tests' wall time on a shared disk. Production keeps SQLite's default.
    @sa.event.listens_for(context.engine, "connect")
    def _no_fsync(dbapi_conn: object, _record: object) -> None:
        dbapi_conn.execute("PRAGMA synchronous = OFF")  # type: ignore[attr-defined]

    context.engine.dispose()
    return context


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppContext]:
    if request.param == "sqlite":
        context = _sqlite_ctx(request.getfixturevalue("sqlite_template"), tmp_path / "home")
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
def sqlite_ctx(sqlite_template: Path, tmp_path: Path) -> Iterator[AppContext]:
    context = _sqlite_ctx(sqlite_template, tmp_path / "home")
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
