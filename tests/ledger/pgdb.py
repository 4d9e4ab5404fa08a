"""Throwaway PostgreSQL databases for tests (the server at 127.0.0.1:5432, or
``CIVICFLOW_TEST_PG_URL``): one uniquely named database per use, dropped afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get(
    "CIVICFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pg_unreachable() -> str | None:
    """Why the server cannot be used, or None when it can."""
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {type(exc).__name__}"
    return None


@contextmanager
def temporary_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty database; skips the test when the server is unreachable."""
    reason = pg_unreachable()
    if reason:
        pytest.skip(reason)
    name = f"{prefix}_{os.getpid()}_{os.urandom(4).hex()}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            sa.engine.make_url(PG_ADMIN_URL)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
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
