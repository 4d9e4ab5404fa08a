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


def test_0020_encrypts_the_rows_already_stored_and_its_downgrade_decrypts_them(
    empty_settings: Settings, tmp_path: Path
) -> None:
    """Existing personal fields (a stakeholder's name in a String(200), a decision's inputs in a
    JSON column) are widened and encrypted by ``0020_privrest`` under the configured key ring,
    read back through the models, and decrypted again by the downgrade."""
    import json
    from datetime import date, datetime

    from civicflow.app._models import RuleDecisionRow, StakeholderRow
    from civicflow.privacy import KeyRing

    keys = tmp_path / "keys.json"
    KeyRing.generate().write(keys)
    settings = empty_settings.model_copy(update={"privacy_key_file": keys})
    name, inputs = "Planted Migratia", {"citizen": "Planted Migratia", "income": 1200}
    ctx = open_app(settings=settings)
    try:
        if migration_status(ctx.engine).current is not None:
            downgrade_database(ctx.engine, "base")
        upgrade_database(ctx.engine, "0019_privret")
        now = datetime(2026, 1, 1, 12, 0)
        with ctx.engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO workspaces (id, name, path, created_at, created_by) "
                        "VALUES ('ws_1', 'w', '/tmp/w', :t, 'u')"), {"t": now},
            )  # fmt: skip
            conn.execute(
                sa.text("INSERT INTO stakeholders (id, workspace_id, created_at, updated_at, name, "
                        "kind, organisation, interest, influence, notes) VALUES ('sta_1', 'ws_1', "
                        ":t, :t, :n, 'citizen', '', 3, 2, 'note')"), {"t": now, "n": name},
            )  # fmt: skip
            conn.execute(
                sa.text("INSERT INTO ruleset_versions (id, workspace_id, name, version, title, "
                        "status, text, tests_text, digest, automation, review_negative, "
                        "review_uncertain, created_by, created_at) VALUES ('rsv_1', 'ws_1', 'r', "
                        "1, 't', 'published', 'x', 'x', 'd', 'advisory', false, false, 'u', :t)"),
                {"t": now},
            )  # fmt: skip
            conn.execute(
                sa.text("INSERT INTO rule_decisions (id, workspace_id, ruleset_version_id, ruleset, "
                        "case_ref, decided_on, inputs, outputs, outcome, positive, uncertain, trace, "
                        "automation, status, created_by, created_at) VALUES ('rdc_1', 'ws_1', "
                        "'rsv_1', 'r', 'c1', :d, :i, :o, 'yes', true, false, :tr, 'advisory', "
                        "'final', 'u', :t)").bindparams(
                    sa.bindparam("i", type_=sa.JSON), sa.bindparam("o", type_=sa.JSON),
                    sa.bindparam("tr", type_=sa.JSON),
                ),
                {"t": now, "d": date(2026, 1, 1), "i": inputs, "o": {}, "tr": {"trace": []}},
            )  # fmt: skip
        assert upgrade_database(ctx.engine).up_to_date
        with ctx.engine.connect() as conn:
            raw_name = conn.execute(sa.text("SELECT name FROM stakeholders")).scalar_one()
            raw_inputs = conn.execute(sa.text("SELECT inputs FROM rule_decisions")).scalar_one()
        assert raw_name.startswith("enc1:k1:") and name not in raw_name
        assert str(raw_inputs).startswith("enc1:k1:") and "Planted" not in str(raw_inputs)
        with ctx.read_session() as s:
            assert s.get(StakeholderRow, "sta_1").name == name  # type: ignore[union-attr]
            assert s.get(RuleDecisionRow, "rdc_1").inputs == inputs  # type: ignore[union-attr]
        downgrade_database(ctx.engine, "0019_privret")
        with ctx.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM stakeholders")).scalar_one() == name
            back = conn.execute(sa.text("SELECT inputs FROM rule_decisions")).scalar_one()
        assert (back if isinstance(back, dict) else json.loads(back)) == inputs
        assert upgrade_database(ctx.engine).up_to_date
        with ctx.engine.begin() as conn:  # leave the module's database as the next test expects
            for table in ("rule_decisions", "ruleset_versions", "stakeholders", "workspaces"):
                conn.execute(sa.text(f"DELETE FROM {table}"))
    finally:
        ctx.close()
