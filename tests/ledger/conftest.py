"""A fresh database per test for the ledger: SQLite file, or a throwaway PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from .pgdb import temporary_database


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A uniquely named PostgreSQL database for this module, dropped afterwards."""
    with temporary_database("cf_ledger") as url:
        yield url


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
