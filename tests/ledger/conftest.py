"""A fresh database per test for the ledger: SQLite file, or a throwaway PostgreSQL database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get(
    "CIVICFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


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
def pg_database() -> Iterator[str]:
    """A uniquely named PostgreSQL database for this module, dropped afterwards."""
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    name = f"cf_ledger_{os.getpid()}_{os.urandom(4).hex()}"
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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    from civicflow.ledger import create_tables, tables

    if request.param == "sqlite":
        engine = sa.create_engine(
            f"sqlite:///{tmp_path / 'ledger.db'}", connect_args={"timeout": 30}
        )
    else:
        engine = sa.create_engine(request.getfixturevalue("pg_database"))
        with engine.begin() as conn:
            tables.metadata.drop_all(conn)
    with engine.begin() as conn:
        create_tables(conn)
    try:
        yield engine
    finally:
        engine.dispose()
