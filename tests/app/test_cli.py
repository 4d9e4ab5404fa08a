"""``civicflow db``, ``users`` and ``ledger`` commands, end to end on a SQLite home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from civicflow.cli import _db, _ledger, _users

PASSWORD = "a-long-enough-password"


@pytest.fixture
def cli() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(_db.app, name="db")
    root.add_typer(_users.app, name="users")
    root.add_typer(_ledger.app, name="ledger")
    return root


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"CIVICFLOW_HOME": str(tmp_path / "home"), "CIVICFLOW_DATABASE_URL": ""}


def run(cli: typer.Typer, env: dict[str, str], *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env, input=stdin)


def test_commands_are_registered() -> None:
    from civicflow.cli import app

    root = typer.main.get_command(app)  # the lazy root group: names without importing them
    names = set(root.list_commands(typer.Context(root)))  # type: ignore[attr-defined]
    assert {"db", "users", "ledger"} <= names


def test_db_upgrade_and_status(cli: typer.Typer, env: dict[str, str]) -> None:
    behind = run(cli, env, "db", "status", "--json")
    assert behind.exit_code == 1
    assert json.loads(behind.stdout)["current"] is None
    up = run(cli, env, "db", "upgrade")
    assert up.exit_code == 0, up.output
    assert "upgraded empty" in up.stdout
    status = run(cli, env, "db", "status", "--json")
    assert status.exit_code == 0
    data = json.loads(status.stdout)
    assert data["up_to_date"] and data["current"] == data["head"]


def test_users_need_a_migrated_database(cli: typer.Typer, env: dict[str, str]) -> None:
    from civicflow.core import ConfigurationError

    result = run(cli, env, "users", "list")
    assert isinstance(result.exception, ConfigurationError)
    assert "civicflow db upgrade" in str(result.exception)


def test_create_admin_list_and_verify(
    cli: typer.Typer, env: dict[str, str], tmp_path: Path
) -> None:
    assert run(cli, env, "db", "upgrade").exit_code == 0
    created = run(
        cli, env, "users", "create-admin", "--email", "Boss@Agency.example",
        "--password-stdin", "--json", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    user = json.loads(created.stdout)
    assert user["email"] == "boss@agency.example" and user["is_admin"]
    listed = json.loads(run(cli, env, "users", "list", "--json").stdout)
    assert [u["email"] for u in listed] == ["boss@agency.example"]

    key = tmp_path / "keys" / "ledger.pem"
    gen = run(cli, env, "ledger", "keygen", "--out", str(key))
    assert gen.exit_code == 0 and key.exists() and key.with_name("ledger.pem.pub").exists()
    signed_env = env | {"CIVICFLOW_LEDGER_SIGNING_KEY_FILE": str(key)}
    cp = run(cli, signed_env, "ledger", "checkpoint", "--json")
    assert cp.exit_code == 0 and json.loads(cp.stdout)["signed"]

    ok = run(cli, signed_env, "ledger", "verify", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"]

    shown = json.loads(run(cli, env, "ledger", "show", "--json").stdout)
    # newest first: the checkpoint is recorded too, and covers its own entry
    assert [e["action"] for e in shown] == ["ledger.checkpoint", "user.create"]
    assert shown[1]["object_id"] == user["pseudonym"]
    one = json.loads(run(cli, env, "ledger", "show", "--index", "0", "--json").stdout)
    assert one["inclusion_proof"]["tree_size"] == 2

    # tamper with the stored entry: verify fails and names it
    engine = sa.create_engine(f"sqlite:///{Path(env['CIVICFLOW_HOME']) / 'civicflow.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE ledger_entries SET action = 'user.delete' WHERE idx = 0"))
    engine.dispose()
    bad = run(cli, signed_env, "ledger", "verify")
    assert bad.exit_code == 1
    assert "FAILED" in bad.stdout and "implicated entries: 0" in bad.stdout
    bad_json = json.loads(run(cli, signed_env, "ledger", "verify", "--json").stdout)
    assert bad_json["implicated_entries"] == [0]
    # verifying against the public key file alone works too
    pub = run(
        cli, env, "ledger", "verify", "--json", "--public-key", str(key.with_name("ledger.pem.pub"))
    )
    assert json.loads(pub.stdout)["trusted_key_fingerprint"] == bad_json["trusted_key_fingerprint"]
