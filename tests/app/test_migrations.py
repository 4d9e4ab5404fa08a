"""Migrations: upgrade from an empty database on SQLite and PostgreSQL, and agree with the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from civicflow.app import downgrade_database, migration_status, open_app, upgrade_database
from civicflow.app._models import Base
from civicflow.core import ConfigurationError, Settings
from civicflow.ledger import tables


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield Settings(home=tmp_path / "home")
    else:
        yield Settings(home=tmp_path / "home", database_url=request.getfixturevalue("pg_url"))


def test_upgrade_from_empty(empty_settings: Settings) -> None:
    with pytest.raises(ConfigurationError) as err:
        open_app(settings=empty_settings, require_migrated=True)
    assert "database is not migrated: run `civicflow db upgrade`" in str(err.value)
    assert err.value.fix is not None and "civicflow db upgrade" in err.value.fix

    ctx = open_app(settings=empty_settings)
    try:
        before = migration_status(ctx.engine)
        assert before.current is None and not before.up_to_date
        after = upgrade_database(ctx.engine)
        assert after.up_to_date and after.current == after.head
        # idempotent
        assert upgrade_database(ctx.engine).current == after.head
        names = set(sa.inspect(ctx.engine).get_table_names())
        expected = {t.name for t in Base.metadata.sorted_tables} | {
            "ledger_entries", "ledger_checkpoints", "ledger_head", "alembic_version",
        }  # fmt: skip
        assert expected <= names
        # the schema the migrations made is the one the models describe
        with ctx.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": False}),
                _combined_metadata(),
            )
        assert diff == []
        # the lock row the ledger needs is seeded
        with ctx.engine.connect() as conn:
            assert conn.execute(sa.select(tables.head.c.size)).scalar_one() == 0
        # the downgrade path works too, and the upgrade after it
        downgrade_database(ctx.engine, "base")
        assert migration_status(ctx.engine).current is None
        assert "objectives" not in sa.inspect(ctx.engine).get_table_names()
        assert upgrade_database(ctx.engine).up_to_date
    finally:
        ctx.close()
    open_app(settings=empty_settings, require_migrated=True).close()


def test_postgres_url_gets_the_psycopg_driver() -> None:
    from civicflow.app import database_url

    url = database_url(Settings(database_url="postgresql://u@db.example:5432/cf"))
    assert url == "postgresql+psycopg://u@db.example:5432/cf"
    assert database_url(Settings(database_url="sqlite:///x.db")) == "sqlite:///x.db"


def _combined_metadata() -> sa.MetaData:
    combined = sa.MetaData()
    for md in (Base.metadata, tables.metadata):
        for table in md.tables.values():
            table.to_metadata(combined)
    return combined
