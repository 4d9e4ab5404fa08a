"""``civicflow users`` and ``civicflow tokens`` end to end on a throwaway SQLite home: each
command's effect is checked through the application layer (sign-in, token authentication, roles)
and in the audit ledger, which must name the operator who ran the command and still verify."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from civicflow.cli import app as cli

PASSWORD = "a-long-enough-password"
LOGIN = "ops-alice"


@pytest.fixture
def home(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        "CIVICFLOW_HOME": str(tmp_path / "home"),
        "CIVICFLOW_DATABASE_URL": "",
        # getpass.getuser() reads these first: the operator's login, fixed for the test
        "LOGNAME": LOGIN,
        "USER": LOGIN,
    }
    assert run(env, "db", "upgrade").exit_code == 0
    yield env


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), env=env, input=stdin)


def ok(env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    result = run(env, *args, stdin=stdin)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def _ctx(env: dict[str, str]) -> Any:
    from civicflow.app import open_app
    from civicflow.core import Settings

    return open_app(settings=Settings(home=Path(env["CIVICFLOW_HOME"]), database_url=None))


def _workspace(env: dict[str, str], name: str) -> str:
    from civicflow.app import SYSTEM, workspaces

    ctx = _ctx(env)
    try:
        return workspaces.create_workspace(ctx, actor=SYSTEM, name=name).id
    finally:
        ctx.close()


def _users(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    listed = json.loads(ok(env, "users", "list", "--json").stdout)
    return {u["id"]: u for u in listed}


def test_people_and_tokens_through_the_command_line(home: dict[str, str]) -> None:
    from civicflow.app import Permission, accounts, audit

    ws = _workspace(home, "permits")
    other = _workspace(home, "licences")

    created = json.loads(
        ok(
            home, "users", "create", "--email", "Ana@Agency.example", "--display-name", "Ana",
            "--password-stdin", "--json", stdin=PASSWORD + "\n",
        ).stdout
    )  # fmt: skip
    ana = created["id"]
    assert created["email"] == "ana@agency.example" and not created["is_admin"]

    ok(home, "users", "grant", "--email", "ana@agency.example", "--workspace", "permits",
       "--role", "analyst")  # fmt: skip
    ok(home, "users", "grant", "--email", "ana@agency.example", "--workspace", other,
       "--role", "viewer", "--reason", "covers for Bo")  # fmt: skip
    assert _users(home)[ana]["roles"] == {ws: "analyst", other: "viewer"}

    issued = json.loads(
        ok(
            home, "tokens", "create", "--email", "ana@agency.example", "--name", "nightly export",
            "--scope", "workspace:read", "--scope", "ledger:read", "--expires-days", "7", "--json",
        ).stdout
    )  # fmt: skip
    plaintext = issued["token"]
    assert plaintext.startswith("cf_") and issued["scopes"] == ["ledger:read", "workspace:read"]

    ctx = _ctx(home)
    try:
        signed_in = accounts.authenticate(ctx, email="ana@agency.example", password=PASSWORD)
        assert signed_in is not None and signed_in.user_id == ana
        by_token = accounts.authenticate_token(ctx, plaintext)
        assert by_token is not None and by_token.user_id == ana
        assert by_token.can(Permission.WORKSPACE_READ, ws)
        # an analyst may write datasets, but this token's scopes do not include it
        assert signed_in.can(Permission.DATASET_WRITE, ws)
        assert not by_token.can(Permission.DATASET_WRITE, ws)
    finally:
        ctx.close()

    tokens = json.loads(ok(home, "tokens", "list", "--json").stdout)
    assert [(t["id"], t["owner"], t["active"]) for t in tokens] == [
        (issued["id"], "ana@agency.example", True)
    ]
    assert "token" not in tokens[0] and plaintext not in ok(home, "tokens", "list").stdout

    ok(home, "tokens", "revoke", issued["id"], "--reason", "laptop lost")
    again = json.loads(ok(home, "tokens", "revoke", issued["id"], "--json").stdout)
    assert again["revoked_at"] is not None and not again["active"]

    ok(home, "users", "revoke-role", "--email", "ana@agency.example", "--workspace", other)
    assert _users(home)[ana]["roles"] == {ws: "analyst"}

    ctx = _ctx(home)
    try:
        assert accounts.authenticate_token(ctx, plaintext) is None
    finally:
        ctx.close()

    erased = json.loads(
        ok(home, "users", "erase", "--email", "ana@agency.example", "--yes", "--json").stdout
    )
    assert erased["email"] is None and erased["display_name"] == "(erased)"
    after = _users(home)[ana]
    assert after["email"] is None and after["roles"] == {} and not after["is_active"]

    ctx = _ctx(home)
    try:
        assert accounts.authenticate(ctx, email="ana@agency.example", password=PASSWORD) is None
        from civicflow.app import SYSTEM

        entries = audit.list_entries(ctx, actor=SYSTEM, limit=100)
        report = audit.verify(ctx, actor=SYSTEM)
    finally:
        ctx.close()
    assert report.ok, report.problems

    operator = next(u for u in _users(home).values() if u["oidc_issuer"] == "civicflow:os-login")
    assert operator["display_name"] == f"{LOGIN} (command line)" and not operator["is_admin"]
    mine = [
        (e.action, e.actor, e.role, e.workspace_id)
        for e in sorted(entries, key=lambda e: e.index)
        if e.action.split(".")[0] in {"user", "role", "token"}
        and e.object_id != operator["pseudonym"]
    ]
    op = operator["pseudonym"]
    assert mine == [
        ("user.create", op, "global_admin", None),
        ("role.grant", op, "global_admin", ws),
        ("role.grant", op, "global_admin", other),
        # the operator gives Ana a token: the ledger names the operator, not Ana
        ("token.create", op, "global_admin", None),
        ("token.revoke", op, "global_admin", None),
        ("role.revoke", op, "global_admin", other),
        ("user.erase", op, "global_admin", None),
    ]
    reasons = {e.action: e.reason or "" for e in entries if e.actor == op}
    assert "civicflow users grant" in reasons["role.grant"]
    assert reasons["token.revoke"].endswith("laptop lost")
    # people appear by pseudonym only, never by e-mail
    assert not any("ana@" in json.dumps(e.to_dict()) for e in entries)


def test_refusals_change_nothing(home: dict[str, str]) -> None:
    from civicflow.core import InputError, NotFoundError

    _workspace(home, "permits")
    short = run(home, "users", "create", "--email", "bo@agency.example", "--display-name", "Bo",
                "--password-stdin", stdin="short\n")  # fmt: skip
    assert isinstance(short.exception, InputError) and "too short" in str(short.exception)
    assert [u for u in _users(home).values() if u["email"] == "bo@agency.example"] == []

    ok(home, "users", "create", "--email", "bo@agency.example", "--display-name", "Bo",
       "--no-password")  # fmt: skip
    nobody = run(home, "users", "grant", "--email", "nobody@agency.example",
                 "--workspace", "permits", "--role", "viewer")  # fmt: skip
    assert isinstance(nobody.exception, NotFoundError)
    assert "civicflow users list" in (nobody.exception.fix or "")
    nowhere = run(home, "users", "grant", "--email", "bo@agency.example",
                  "--workspace", "elsewhere", "--role", "viewer")  # fmt: skip
    assert isinstance(nowhere.exception, NotFoundError) and "elsewhere" in str(nowhere.exception)
    bad_role = run(home, "users", "grant", "--email", "bo@agency.example",
                   "--workspace", "permits", "--role", "boss")  # fmt: skip
    assert isinstance(bad_role.exception, InputError) and "viewer" in (
        bad_role.exception.expected or ""
    )
    bad_scope = run(home, "tokens", "create", "--email", "bo@agency.example", "--name", "x",
                    "--scope", "everything")  # fmt: skip
    assert isinstance(bad_scope.exception, InputError)
    no_role = run(home, "users", "revoke-role", "--email", "bo@agency.example",
                  "--workspace", "permits")  # fmt: skip
    assert isinstance(no_role.exception, NotFoundError)
    # erase asks first; answering no keeps the account
    kept = run(home, "users", "erase", "--email", "bo@agency.example", stdin="n\n")
    assert kept.exit_code == 1
    assert [u["roles"] for u in _users(home).values() if u["email"] == "bo@agency.example"] == [{}]
    bo = next(u for u in _users(home).values() if u["email"] == "bo@agency.example")
    assert bo["is_active"]
    unknown = run(home, "tokens", "revoke", "tok_missing")
    assert isinstance(unknown.exception, NotFoundError)


def test_errors_exit_with_code_2_and_a_fix(home: dict[str, str]) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, **home}
    proc = subprocess.run(
        [sys.executable, "-c", "from civicflow.cli._main import main; main()", "users", "erase", "--email", "x@agency.example",
         "--yes"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "no user with the e-mail address x@agency.example" in proc.stderr
    assert "civicflow users list" in proc.stderr


def test_sign_out_everywhere_from_the_command_line(home: dict[str, str]) -> None:
    from civicflow.app import SYSTEM, accounts, audit

    ok(home, "users", "create", "--email", "cy@agency.example", "--display-name", "Cy",
       "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    ctx = _ctx(home)
    try:
        cy = accounts.authenticate(ctx, email="cy@agency.example", password=PASSWORD)
        assert cy is not None
        sessions = [accounts.start_session(ctx, actor=cy) for _ in range(2)]
    finally:
        ctx.close()

    done = json.loads(
        ok(home, "users", "sign-out", "--email", "Cy@agency.example", "--reason", "laptop stolen",
           "--json").stdout
    )  # fmt: skip
    assert done == {"user_id": cy.user_id, "sessions_ended": 2}
    assert (
        "0 session(s) ended" in ok(home, "users", "sign-out", "--email", "cy@agency.example").stdout
    )
    ctx = _ctx(home)
    try:
        assert [accounts.resume_session(ctx, s) for s in sessions] == [None, None]
        entry, again = sorted(
            (
                e
                for e in audit.list_entries(ctx, actor=SYSTEM, limit=10)
                if e.action == "user.sign_out_everywhere"
            ),
            key=lambda e: e.index,
        )
    finally:
        ctx.close()
    operator = next(u for u in _users(home).values() if u["oidc_issuer"] == "civicflow:os-login")
    assert entry.actor == operator["pseudonym"] and entry.object_id != operator["pseudonym"]
    assert (entry.reason or "").endswith("laptop stolen")
    assert again.reason == "`civicflow users sign-out` by the server operator"
    missing = run(home, "users", "sign-out", "--email", "nobody@agency.example")
    from civicflow.core import NotFoundError

    assert isinstance(missing.exception, NotFoundError)
