"""State-changing commands act as the local operator through the application layer: each writes
its ledger entry, and an operator without the role is refused before any work is done.

Expected values come from outside the code under test: the log is written by hand, the
database is read with plain SQL (sqlite3), the files are looked at on disk.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

LOG = (
    "case,activity,timestamp\n"
    "c1,Submit,2024-03-01 09:00\n"
    "c1,Decide,2024-03-04 09:00\n"
    "c2,Submit,2024-03-02 10:00\n"
    "c2,Decide,2024-03-03 10:00\n"
)


class _Run:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr

    def json(self):  # type: ignore[no-untyped-def]
        assert self.returncode == 0, self.stderr
        return json.loads(self.stdout)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("CIVICFLOW_HOME", str(path))
    monkeypatch.setenv("CIVICFLOW_DATABASE_URL", "")
    monkeypatch.delenv("CIVICFLOW_LEDGER_SIGNING_KEY_FILE", raising=False)
    return path


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "permits.csv"
    path.write_text(LOG)
    return path


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """``civicflow`` in-process through its real entry point, as the OS login ``as_login``."""
    from civicflow.cli import main

    def run(*args: str, as_login: str = "alice") -> _Run:
        # getpass.getuser() reads these first: the operating system's login, as far as we care
        for var in ("LOGNAME", "USER", "LNAME", "USERNAME"):
            monkeypatch.setenv(var, as_login)
        monkeypatch.setattr(sys, "argv", ["civicflow", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return _Run(code, out.out, out.err)

    return run


def _rows(home: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(home / "civicflow.db") as db:
        return db.execute(sql, params).fetchall()


def test_ingest_freeze_delete_are_in_the_verified_ledger(
    cli, home: Path, log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ws = tmp_path / "ws"
    ingested = cli("ingest", str(log), "-w", str(ws), "--json").json()
    assert (ingested["events"], ingested["cases"]) == (4, 2)
    frozen = cli("baseline", "freeze", "-w", str(ws), "-d", "permits", "-n", "before", "--json")
    frozen_data = frozen.json()
    # the baseline's own values are still those of the hand-written log: 2 cases, 2 events each
    kpis = {k["name"]: k["value"] for k in frozen_data["kpis"]}
    assert kpis["case_count"] == 2 and kpis["events_per_case"] == 2
    deleted = cli("datasets", "delete", "permits", "-w", str(ws), "--yes", "--json").json()
    assert deleted["deleted"] == "permits"
    assert not (ws / "datasets" / "permits").exists()
    assert (ws / "baselines" / "before.json").exists()

    # the operator's account, read with plain SQL: one row for the login, no password
    [(user_id, pseudonym, email, password_hash, is_admin)] = _rows(
        home,
        "select id, pseudonym, email, password_hash, is_admin from users where oidc_subject = ?",
        "alice",
    )
    assert pseudonym.startswith("u-") and "alice" not in pseudonym
    assert (email, password_hash, bool(is_admin)) == (None, None, False)
    [(ws_id, ws_path)] = _rows(home, "select id, path from workspaces")
    assert Path(ws_path) == ws.resolve()
    assert _rows(home, "select role from memberships where user_id = ?", user_id) == [("admin",)]

    verified = cli("ledger", "verify", "--json").json()
    assert verified["ok"] is True and verified["problems"] == []
    entries = sorted(cli("ledger", "show", "--json").json(), key=lambda e: e["index"])
    assert verified["entries"] == len(entries) == 6
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("user.create", "system"),
        ("workspace.create", "system"),
        ("role.grant", "system"),
        ("dataset.ingest", pseudonym),
        ("baseline.freeze", pseudonym),
        ("dataset.delete", pseudonym),
    ]
    ingest_e, freeze_e, delete_e = entries[3:]
    assert {e["workspace_id"] for e in entries[1:]} == {ws_id}
    assert {e["role"] for e in entries[3:]} == {"admin"}
    assert (ingest_e["object_id"], freeze_e["object_id"], delete_e["object_id"]) == (
        "permits",
        "before",
        "permits",
    )
    # the dataset the ledger says was ingested is the one the ledger says was deleted
    assert ingest_e["after_digest"] == ingested["fingerprint"] == delete_e["before_digest"]
    assert entries[2]["object_id"] == pseudonym  # the role was granted to the operator
    # each command printed the index of its own entry
    assert ingested["ledger_entry"]["index"] == ingest_e["index"]
    assert frozen_data["ledger_entry"]["index"] == freeze_e["index"]
    assert deleted["ledger_entry"]["index"] == delete_e["index"]
    assert ingested["ledger_entry"]["actor"] == pseudonym


def test_an_operator_without_the_role_is_refused(
    cli, home: Path, log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from civicflow.app import accounts, local_operator, open_local_app, workspaces

    ws = tmp_path / "shared-ws"
    # an agency admin registers the folder in the workbench; the command line did not
    ctx = open_local_app()
    try:
        admin_user = accounts.create_admin(
            ctx, email="admin@agency.example", password="a-long-enough-password"
        )
        admin = accounts.get_actor(ctx, admin_user.id)
        registered = workspaces.create_workspace(ctx, actor=admin, name="permits", path=ws)
    finally:
        ctx.close()
    assert cli("ingest", str(log), "-w", str(ws), "--name", "by-admin", as_login="bob").returncode
    # bob has an account now (so an admin can name him), and no role
    [(bob_id,)] = _rows(home, "select id from users where oidc_subject = ?", "bob")
    ctx = open_local_app()
    try:
        admin = accounts.get_actor(ctx, admin_user.id)
        accounts.grant_role(
            ctx, actor=admin, workspace_id=registered.id, user_id=bob_id, role="viewer"
        )
        op = local_operator(ctx, workspace_path=ws, login="carol")  # carol: no role at all
        assert op.role is None and not op.workspace_registered
    finally:
        ctx.close()

    size = len(cli("ledger", "show", "--json", "--limit", "1000").json())
    refused = [
        cli("ingest", str(log), "-w", str(ws), "--json", as_login="bob"),
        cli("ingest", str(log), "-w", str(ws), "--json", as_login="carol"),
    ]
    for run, found in zip(refused, ("role viewer", "no role in this workspace"), strict=True):
        assert run.returncode == 2 and run.stdout == ""
        assert "PermissionDeniedError" in run.stderr and found in run.stderr
        assert "dataset:write" in run.stderr and "analyst" in run.stderr  # what would allow it
    assert bob_id in refused[0].stderr  # the fix names the account to grant a role to
    assert not (ws / "datasets" / "permits").exists()
    # nothing was written to the ledger by the refusals
    assert len(cli("ledger", "show", "--json", "--limit", "1000").json()) == size

    # the same command passes once bob holds a role that allows it: the refusal was the role
    ctx = open_local_app()
    try:
        admin = accounts.get_actor(ctx, admin_user.id)
        accounts.grant_role(
            ctx, actor=admin, workspace_id=registered.id, user_id=bob_id, role="analyst"
        )
    finally:
        ctx.close()
    ok = cli("ingest", str(log), "-w", str(ws), "--json", as_login="bob").json()
    assert ok["ledger_entry"]["role"] == "analyst"
    # an analyst may freeze but not delete (admins and data-protection officers do)
    assert (
        cli(
            "baseline",
            "freeze",
            "-w",
            str(ws),
            "-d",
            "permits",
            "-n",
            "b",
            "--json",
            as_login="bob",
        ).returncode
        == 0
    )
    no_delete = cli("datasets", "delete", "permits", "-w", str(ws), "--yes", as_login="bob")
    assert no_delete.returncode == 2 and "role analyst" in no_delete.stderr
    assert (ws / "datasets" / "permits" / "manifest.json").exists()
    entries = cli("ledger", "show", "--json").json()
    by_bob = {e["action"] for e in entries if e["actor"] != "system" and e["role"] == "analyst"}
    assert by_bob == {"dataset.ingest", "baseline.freeze"}


def test_a_foreign_or_older_database_is_not_migrated_behind_the_operators_back(
    cli, home: Path, log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    home.mkdir()
    with sqlite3.connect(home / "civicflow.db") as db:
        db.execute("create table something_else (x integer)")
    run = cli("ingest", str(log), "-w", str(tmp_path / "ws"))
    assert run.returncode == 2 and "civicflow db upgrade" in run.stderr
    assert _rows(home, "select name from sqlite_master where type = 'table'") == [
        ("something_else",)
    ]
    assert not (tmp_path / "ws").exists()


def test_read_only_commands_do_not_touch_the_application_database(
    cli, home: Path, log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from civicflow.eventlog import EventStore, ingest

    ws = EventStore.create(tmp_path / "ws")
    ingest(workspace=ws, source=log, name="permits")
    assert [d["name"] for d in cli("datasets", "list", "-w", str(ws.path), "--json").json()] == [
        "permits"
    ]
    assert cli("datasets", "show", "permits", "-w", str(ws.path), "--json").json()["cases"] == 2
    assert not (home / "civicflow.db").exists()


def test_a_deactivated_operator_account_is_refused(
    cli, home: Path, log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from civicflow.app import SYSTEM, accounts, open_local_app

    ws = tmp_path / "ws"
    assert cli("ingest", str(log), "-w", str(ws), "--name", "first").returncode == 0
    [(user_id,)] = _rows(home, "select id from users where oidc_subject = ?", "alice")
    ctx = open_local_app()
    try:
        accounts.set_user_active(ctx, actor=SYSTEM, user_id=user_id, active=False)
    finally:
        ctx.close()
    run = cli("ingest", str(log), "-w", str(ws), "--name", "second")
    assert run.returncode == 2 and "deactivated" in run.stderr
    assert not (ws / "datasets" / "second").exists()
    # still one account for the login: deactivation is not answered with a fresh account
    assert len(_rows(home, "select id from users where oidc_subject = ?", "alice")) == 1


@pytest.mark.postgres
def test_first_use_of_an_empty_postgresql_database(
    cli, home: Path, log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from ledger.pgdb import temporary_database

    with temporary_database("cf_cli") as url:
        monkeypatch.setenv("CIVICFLOW_DATABASE_URL", url)
        # two folders with the same name: two workspaces, the second name made unique
        one = cli("ingest", str(log), "-w", str(tmp_path / "one" / "ws"), "--json").json()
        two = cli("ingest", str(log), "-w", str(tmp_path / "two" / "ws"), "--json").json()
        assert cli("db", "status", "--json").json()["up_to_date"] is True
        verified = cli("ledger", "verify", "--json").json()
        entries = sorted(cli("ledger", "show", "--json").json(), key=lambda e: e["index"])
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                rows = set(conn.execute(sa.text("select name, path from workspaces")).all())
                users = conn.execute(sa.text("select oidc_subject from users")).scalars().all()
        finally:
            engine.dispose()
    assert rows == {
        ("ws", str((tmp_path / "one" / "ws").resolve())),
        ("ws-2", str((tmp_path / "two" / "ws").resolve())),
    }
    assert users == ["alice"]  # one account for the login, however many workspaces
    assert verified["ok"] is True and verified["entries"] == 7
    assert [e["action"] for e in entries] == [
        "user.create",
        *["workspace.create", "role.grant", "dataset.ingest"] * 2,
    ]
    assert one["ledger_entry"]["workspace_id"] != two["ledger_entry"]["workspace_id"]
    assert not (home / "civicflow.db").exists()  # CIVICFLOW_DATABASE_URL, not the SQLite default


def test_a_command_first_cleans_up_after_a_killed_one(
    cli, home: Path, log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ws = tmp_path / "ws"
    assert cli("ingest", str(log), "-w", str(ws), "--json").returncode == 0
    killed = ws / "datasets" / ".incoming-killed"  # an ingest killed while writing
    killed.mkdir()
    (killed / "unsorted.parquet").write_bytes(b"x" * 2048)
    deleted = cli("datasets", "delete", "permits", "-w", str(ws), "--yes", "--json")
    assert deleted.json()["deleted"] == "permits"
    assert "recovery: removed datasets/.incoming-killed (2,048 bytes)" in deleted.stderr
    assert sorted(p.name for p in (ws / "datasets").iterdir()) == []


# -- issue 7: the ledger must catch every rewrite ----------------------------------------------


def _rewrite_history(home: Path, idx: int, **changes: object) -> None:
    """The attack that passed before (exit 0, "0 checkpoints"): delete the checkpoints, rewrite
    an entry, and make leaf hashes and the head's frontier consistent again — plain sqlite3."""
    import hashlib

    def leaf(data: bytes) -> bytes:
        return hashlib.sha256(b"\x00" + data).digest()

    with sqlite3.connect(home / "civicflow.db") as db:
        db.execute("delete from ledger_checkpoints")
        query = "select entry_bytes from ledger_entries where idx = ?"
        (data,) = db.execute(query, (idx,)).fetchone()
        record = json.loads(data) | changes
        new = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        db.execute(
            "update ledger_entries set entry_bytes = ?, leaf_hash = ?, reason = ? where idx = ?",
            (new, leaf(new).hex(), record.get("reason"), idx),
        )
        # the frontier of the rewritten tree (the perfect subtrees' roots, largest first)
        rows = db.execute("select entry_bytes from ledger_entries order by idx")
        leaves = [leaf(r[0]) for r in rows]
        stack: list[tuple[int, bytes]] = []
        for h in leaves:
            size, digest = 1, h
            while stack and stack[-1][0] == size:
                digest = hashlib.sha256(b"\x01" + stack.pop()[1] + digest).digest()
                size *= 2
            stack.append((size, digest))
        frontier = [[s, d.hex()] for s, d in stack]
        db.execute("update ledger_head set frontier = ?", (json.dumps(frontier),))


def test_deleted_checkpoints_and_a_consistent_rewrite_fail_verify(
    cli, home: Path, log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    cli("ingest", str(log), "-w", str(tmp_path / "ws"), "--json").json()
    assert cli("ledger", "verify").returncode == 0
    published = cli("ledger", "head", "--json").json()
    assert published["tree_size"] == 4 and published["root_hash"]
    witness = tmp_path / "witness.json"  # a copy kept where the database's admins cannot write
    witness.write_text(json.dumps(published))
    text = cli("ledger", "head")
    assert text.returncode == 0 and published["root_hash"] in text.stdout

    _rewrite_history(home, 0, reason="nothing to see here")
    # the frontier trick is right: the database is consistent with itself again
    with sqlite3.connect(home / "civicflow.db") as db:
        assert db.execute("select count(*) from ledger_checkpoints").fetchone() == (0,)
    result = cli("ledger", "verify", "--json")
    assert result.returncode == 1, result.stdout
    report = json.loads(result.stdout)
    assert "tree-head" in {p["kind"] for p in report["problems"]}
    assert 0 in report["implicated_entries"]
    # and against the witness's copy
    result = cli("ledger", "verify", "--tree-head", str(witness))
    assert result.returncode == 1 and "published tree head" in result.stdout


def test_text_entry_bytes_are_a_finding_with_the_index(
    cli, home: Path, log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    cli("ingest", str(log), "-w", str(tmp_path / "ws"), "--json").json()
    with sqlite3.connect(home / "civicflow.db") as db:
        db.execute(
            "update ledger_entries set entry_bytes = replace(entry_bytes, 'system', 'evil')"
            " where idx = 1"
        )
        kind = db.execute("select typeof(entry_bytes) from ledger_entries where idx = 1")
        assert kind.fetchone() == ("text",)
    result = cli("ledger", "verify")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "entry 1's bytes are stored as str" in result.stdout


def test_an_objective_changed_with_sql_fails_verify_naming_the_row(
    cli, home: Path, log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    cli("ingest", str(log), "-w", str(tmp_path / "ws"), "--json").json()
    with sqlite3.connect(home / "civicflow.db") as db:
        db.execute("update workspaces set path = '/elsewhere'")
        (ws_id,) = db.execute("select id from workspaces").fetchone()
    result = cli("ledger", "verify")
    assert result.returncode == 1
    assert f"workspace {ws_id} (table workspaces) differs" in result.stdout


@pytest.mark.parametrize("value", ["", "."])
def test_an_empty_signing_key_setting_is_a_clear_error(
    cli, home: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CIVICFLOW_LEDGER_SIGNING_KEY_FILE", value)
    result = cli("ledger", "verify")
    assert result.returncode == 2
    assert "IsADirectoryError" not in result.stderr
    assert "ConfigurationError" in result.stderr and "keygen" in result.stderr


def test_turning_signing_on_later_then_sign_once(
    cli, home: Path, log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The user guide's procedure: entries and checkpoints exist unsigned, then a key."""
    cli("ingest", str(log), "-w", str(tmp_path / "ws"), "--json").json()
    assert cli("ledger", "sign").returncode == 2  # no key configured: refused, clearly
    key = tmp_path / "keys" / "ledger.pem"
    assert cli("ledger", "keygen", "--out", str(key)).returncode == 0
    monkeypatch.setenv("CIVICFLOW_LEDGER_SIGNING_KEY_FILE", str(key))
    first = cli("ledger", "verify")
    assert first.returncode == 1 and "civicflow ledger sign" in first.stdout
    signed = cli("ledger", "sign", "--json").json()
    assert signed["signed"] is True
    assert cli("ledger", "verify").returncode == 0
    assert cli("ledger", "head", "--json").json()["signature"]
    # new changes are signed, and verify still holds (against the new public key too)
    cli("baseline", "freeze", "-w", str(tmp_path / "ws"), "-d", "permits", "-n", "b", "--json")
    assert cli("ledger", "verify", "--public-key", str(key) + ".pub").returncode == 0
