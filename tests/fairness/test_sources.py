"""Decisions read from a database table through Ibis — a DuckDB file and a PostgreSQL table — are
audited exactly like the same decisions read from the CSV file; the digest of what was read does
not depend on row order but changes with one changed decision; bad tables and columns are
named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from civicflow.core import ConfigurationError, InputError
from civicflow.fairness import (
    AuditConfig,
    DecisionTable,
    audit_decisions,
    frame_digest,
    read_decisions,
    read_decisions_table,
)
from conftest import shared_file
from ledger.pgdb import temporary_database

CONFIG = AuditConfig(
    outcome="score", label="label_value", groups=("race", "sex"), positive_is_favourable=False,
    bootstrap=50,
)  # fmt: skip


@pytest.fixture(scope="module")
def compas() -> pd.DataFrame:
    return read_decisions(shared_file("fairness", "compas_for_aequitas.csv"))


def _same_audit(frame: pd.DataFrame, read: pd.DataFrame) -> None:
    expected = audit_decisions(frame[list(CONFIG.columns)], CONFIG).to_dict()
    got = audit_decisions(read, CONFIG).to_dict()
    assert got["metrics"] == expected["metrics"]
    assert got["findings"] == expected["findings"]
    assert got["rows"] == len(frame)


def test_a_duckdb_table_is_audited_like_the_file(compas: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "decisions.duckdb"
    con = duckdb.connect(str(path))
    shuffled = compas.sample(frac=1, random_state=3)  # noqa: F841 - read by DuckDB by name
    con.execute("CREATE SCHEMA audit")
    con.execute("CREATE TABLE audit.compas AS SELECT * FROM shuffled")
    con.close()
    source = DecisionTable(connection=str(path), table="audit.compas")
    assert source.kind == "duckdb" and source.label == "duckdb:decisions.duckdb#audit.compas"
    read = read_decisions_table(source, columns=CONFIG.columns)
    assert list(read.columns) == list(CONFIG.columns)
    _same_audit(compas, read)
    with pytest.raises(InputError) as missing:
        read_decisions_table(source, columns=("score", "ethnicity"))
    assert missing.value.where is not None and missing.value.where.field == "ethnicity"
    with pytest.raises(InputError) as no_table:
        read_decisions_table(DecisionTable(connection=str(path), table="audit.nope"))
    assert "compas" in str(no_table.value.found)
    with pytest.raises(InputError):
        read_decisions_table(DecisionTable(connection=str(tmp_path / "x.duckdb"), table="t"))


def test_the_digest_ignores_row_order_but_not_a_changed_decision(compas: pd.DataFrame) -> None:
    frame = compas[list(CONFIG.columns)]
    shuffled = frame.sample(frac=1, random_state=1).reset_index(drop=True)
    assert frame_digest(frame) == frame_digest(shuffled)
    changed = frame.copy()
    changed.loc[changed.index[10], "score"] = 1 - changed.loc[changed.index[10], "score"]
    assert frame_digest(changed) != frame_digest(frame)
    assert frame_digest(frame.rename(columns={"sex": "gender"})) != frame_digest(frame)


def test_connections_and_labels_never_show_a_password() -> None:
    pg = DecisionTable(
        connection="postgresql+psycopg://auditor:secret@db.example:5433/decisions",
        table="public.benefits",
    )
    assert pg.kind == "postgres" and pg.has_password
    assert pg.url == "postgresql://auditor:secret@db.example:5433/decisions"
    assert pg.label == "postgresql://auditor@db.example:5433/decisions#public.benefits"
    assert "secret" not in pg.label
    assert not DecisionTable(connection="postgres://a@h/db", table="t").has_password
    assert DecisionTable(connection="duckdb:///x/y.duckdb", table="t").path == Path("/x/y.duckdb")
    for table in ("", "a.b.c", "a."):
        with pytest.raises(ConfigurationError):
            DecisionTable(connection="x.duckdb", table=table)


@pytest.fixture(scope="module")
def pg_compas(compas: pd.DataFrame) -> Iterator[str]:
    with temporary_database("cf_fair_src") as url:
        engine = sa.create_engine(url)
        compas.sample(frac=1, random_state=5).to_sql("compas", engine, index=False)
        engine.dispose()
        yield url


@pytest.mark.postgres
def test_a_postgresql_table_is_audited_like_the_file(compas: pd.DataFrame, pg_compas: str) -> None:
    source = DecisionTable(connection=pg_compas, table="compas")
    assert source.kind == "postgres"
    read = read_decisions_table(source, columns=CONFIG.columns)
    _same_audit(compas, read)
    with pytest.raises(InputError) as no_table:
        read_decisions_table(DecisionTable(connection=pg_compas, table="public.decisions"))
    assert "compas" in str(no_table.value.found)
    down = DecisionTable(connection="postgresql://nobody@127.0.0.1:1/none", table="t")
    with pytest.raises(InputError) as unreachable:
        read_decisions_table(down)
    assert unreachable.value.fix is not None and "PGPASSWORD" in unreachable.value.fix
