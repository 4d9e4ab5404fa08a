"""Decision sources in the application: an audit of a PostgreSQL table is stored and ledgered like
an audit of a file, with the digest of the rows read; a stream over a DuckDB table is re-read at
each run (a changed table changes the digest); a URL holding a password is never stored; any
object with the DecisionSource shape (the seam for the decisions civicflow records) is audited."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from civicflow.app import Actor, AppContext, Role, accounts, workspaces
from civicflow.app import fairness as af
from civicflow.core import ConfigurationError, InputError
from civicflow.fairness import AuditConfig, DecisionTable, frame_digest, read_decisions
from conftest import shared_file
from ledger.pgdb import temporary_database

CONFIG = AuditConfig(
    outcome="score", label="label_value", groups=("race",), positive_is_favourable=False,
    bootstrap=50,
)  # fmt: skip


@pytest.fixture
def setup(sqlite_ctx: AppContext, tmp_path: Path) -> tuple[AppContext, str, Actor]:
    user = accounts.create_admin(sqlite_ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(sqlite_ctx, user.id)
    ws = workspaces.create_workspace(sqlite_ctx, actor=admin, name="p", path=tmp_path / "ws")
    u = accounts.create_user(
        sqlite_ctx, actor=admin, email="a@agency.example", display_name="A", password=None
    )
    accounts.grant_role(
        sqlite_ctx, actor=admin, workspace_id=ws.id, user_id=u.id, role=Role.AUDITOR
    )
    return sqlite_ctx, ws.id, accounts.get_actor(sqlite_ctx, u.id)


@pytest.fixture(scope="module")
def compas() -> pd.DataFrame:
    return read_decisions(shared_file("fairness", "compas_for_aequitas.csv"))


@pytest.fixture(scope="module")
def pg_url(compas: pd.DataFrame) -> Iterator[str]:
    with temporary_database("cf_fair_app") as url:
        engine = sa.create_engine(url)
        compas.to_sql("compas", engine, index=False)
        engine.dispose()
        yield url


@pytest.mark.postgres
def test_an_audit_of_a_postgresql_table_is_stored_like_a_file_audit(
    setup: tuple[AppContext, str, Actor], compas: pd.DataFrame, pg_url: str, tmp_path: Path
) -> None:
    ctx, ws, auditor = setup
    source = af.TableSource(DecisionTable(connection=pg_url, table="public.compas"))
    stored, result = af.audit_source(
        ctx, actor=auditor, workspace_id=ws, source=source, config=CONFIG
    )
    assert (stored.name, stored.version, stored.kind) == ("compas", 1, "decisions")
    assert stored.source.startswith("postgresql://postgres@127.0.0.1:5432/")
    assert stored.source.endswith("#public.compas")
    assert round(100 * result.value("race", "African-American", "fpr"), 2) == 44.85
    read = source.read(CONFIG.columns)
    assert stored.source_sha256 == read.sha256 == frame_digest(read.frame)
    csv = tmp_path / "compas.csv"
    compas.to_csv(csv, index=False)
    from_file, _ = af.audit_file(
        ctx, actor=auditor, workspace_id=ws, path=csv, config=CONFIG, name="compas"
    )
    assert from_file.version == 2
    assert from_file.result["metrics"] == stored.result["metrics"]


def test_a_stream_over_a_duckdb_table_rereads_it(
    setup: tuple[AppContext, str, Actor], compas: pd.DataFrame, tmp_path: Path
) -> None:
    ctx, ws, auditor = setup
    db = tmp_path / "decisions.duckdb"
    first = compas.iloc[:3000]  # noqa: F841 - read by DuckDB by name
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE decisions AS SELECT * FROM first")
    source = af.TableSource(DecisionTable(connection=str(db), table="decisions"))
    stream = af.add_stream(
        ctx, actor=auditor, workspace_id=ws, name="nightly", source=source, config=CONFIG
    )
    assert stream.source_kind == "table"
    assert stream.to_dict()["source_label"] == "duckdb:decisions.duckdb#decisions"
    again = af.get_stream(ctx, actor=auditor, workspace_id=ws, name="nightly").decision_source
    assert again == source
    one = af.run_stream(ctx, actor=auditor, workspace_id=ws, name="nightly")
    rest = compas.iloc[3000:]  # noqa: F841
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO decisions SELECT * FROM rest")
    two = af.run_stream(ctx, actor=auditor, workspace_id=ws, name="nightly")
    assert (one.audit.result["rows"], two.audit.result["rows"]) == (3000, len(compas))
    assert two.previous_version == 1 and one.audit.source_sha256 != two.audit.source_sha256
    with pytest.raises(ConfigurationError):
        af.add_stream(
            ctx, actor=auditor, workspace_id=ws, name="both", config=CONFIG, source=source,
            path=tmp_path / "x.csv",
        )  # fmt: skip


def test_a_password_in_the_url_is_never_stored(setup: tuple[AppContext, str, Actor]) -> None:
    ctx, ws, auditor = setup
    secret = DecisionTable(connection="postgresql://u:hunter2@127.0.0.1:1/db", table="t")
    with pytest.raises(InputError) as refused:
        af.add_stream(
            ctx, actor=auditor, workspace_id=ws, name="s", source=af.TableSource(secret),
            config=CONFIG,
        )  # fmt: skip
    assert "hunter2" not in str(refused.value) and "PGPASSWORD" in str(refused.value.fix)
    assert af.list_streams(ctx, actor=auditor, workspace_id=ws) == []


@dataclass(frozen=True)
class RecordedDecisions:
    """What the decisions domain will provide: rows of outcome, label and group attributes."""

    rows: tuple[dict[str, Any], ...]

    @property
    def kind(self) -> str:
        return "recorded"

    @property
    def label(self) -> str:
        return "decisions recorded by civicflow"

    @property
    def default_name(self) -> str:
        return "recorded"

    def reference(self) -> dict[str, Any]:
        return {}

    def check(self) -> None:
        return None

    def read(self, columns: tuple[str, ...]) -> af.DecisionRows:
        frame = pd.DataFrame(list(self.rows))[list(columns)]
        return af.DecisionRows(frame=frame, sha256=frame_digest(frame))


def test_any_decision_source_plugs_in(setup: tuple[AppContext, str, Actor]) -> None:
    ctx, ws, auditor = setup
    rows = tuple(
        {"score": int(i % 3 == 0 if g == "a" else i % 2 == 0), "label_value": i % 2, "race": g}
        for g in ("a", "b")
        for i in range(60)
    )
    source = RecordedDecisions(rows)
    assert isinstance(source, af.DecisionSource)
    stored, result = af.audit_source(
        ctx, actor=auditor, workspace_id=ws, source=source, config=CONFIG
    )
    assert stored.source == "decisions recorded by civicflow" and result.rows == 120
    assert result.value("race", "a", "selection_rate") == pytest.approx(20 / 60)
