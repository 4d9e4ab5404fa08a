"""Passwords (argon2), sign-in, throttling, OIDC users, API tokens, and pseudonyms in the ledger."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from civicflow.app import SYSTEM, Actor, AppContext, Permission, Role, accounts, workspaces
from civicflow.app._models import ApiTokenRow, SessionRow, UserRow
from civicflow.core import ConflictError, InputError, PermissionDeniedError, set_clock, utcnow
from civicflow.ledger import tables

from .conftest import PASSWORD


def test_password_is_stored_as_argon2id_and_verifies(ctx: AppContext, admin: Actor) -> None:
    with ctx.engine.connect() as conn:
        stored = conn.execute(
            sa.select(UserRow.password_hash).where(UserRow.id == admin.user_id)
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    # an independent argon2 verifier accepts it
    assert PasswordHasher().verify(stored, PASSWORD)


def test_authenticate(ctx: AppContext, admin: Actor) -> None:
    actor = accounts.authenticate(ctx, email="ADMIN@agency.example ", password=PASSWORD)
    assert actor is not None and actor.user_id == admin.user_id and actor.is_admin
    assert accounts.authenticate(ctx, email="admin@agency.example", password="wrong") is None
    assert accounts.authenticate(ctx, email="nobody@agency.example", password=PASSWORD) is None
    accounts.set_user_active(ctx, actor=SYSTEM, user_id=admin.user_id, active=False)
    assert accounts.authenticate(ctx, email="admin@agency.example", password=PASSWORD) is None
    with pytest.raises(PermissionDeniedError, match="deactivated"):
        accounts.get_actor(ctx, admin.user_id)


def test_password_rules(ctx: AppContext, admin: Actor) -> None:
    with pytest.raises(InputError) as err:
        accounts.create_user(
            ctx, actor=admin, email="b@agency.example", display_name="B", password="short"
        )
    assert err.value.where is not None and err.value.where.field == "password"
    assert "12" in (err.value.expected or "")
    with pytest.raises(InputError) as err:
        accounts.create_user(
            ctx, actor=admin, email="not-an-address", display_name="B", password=PASSWORD
        )
    assert err.value.where is not None and err.value.where.field == "email"
    with pytest.raises(ConflictError) as conflict:
        accounts.create_user(
            ctx, actor=admin, email="Admin@Agency.example", display_name="B", password=PASSWORD
        )
    assert conflict.value.where is not None and conflict.value.where.field == "email"


def test_throttling_after_repeated_failures(ctx: AppContext, admin: Actor) -> None:
    email, ip = "admin@agency.example", "192.0.2.7"
    for _ in range(4):
        accounts.authenticate(ctx, email=email, password="wrong", ip=ip)
    assert not accounts.is_throttled(ctx, email=email)
    accounts.authenticate(ctx, email=email, password="wrong", ip=ip)
    assert accounts.is_throttled(ctx, email=email)
    assert accounts.is_throttled(ctx, email=email.upper())  # the account, however it is spelt
    assert not accounts.is_throttled(ctx, email="other@agency.example")
    # the window passes
    later = utcnow() + timedelta(minutes=16)
    set_clock(lambda: later)
    try:
        assert not accounts.is_throttled(ctx, email=email)
    finally:
        set_clock(None)
    # a success resets the count
    accounts.authenticate(ctx, email=email, password=PASSWORD, ip=ip)
    assert not accounts.is_throttled(ctx, email=email)


def test_throttling_is_per_account_whatever_the_address(ctx: AppContext, admin: Actor) -> None:
    """The attack: guesses spread over many client addresses (or forged X-Forwarded-For
    values), each address failing only once. Keyed on e-mail plus address, none was throttled."""
    email = "admin@agency.example"
    for i in range(20):
        accounts.authenticate(ctx, email=email, password=f"guess {i}", ip=f"198.51.100.{i}")
    assert accounts.is_throttled(ctx, email=email)


def test_api_token_is_stored_hashed_and_revocable(ctx: AppContext, admin: Actor) -> None:
    expires = utcnow() + timedelta(days=30)
    plaintext, token = accounts.create_api_token(
        ctx, actor=admin, name="ci", scopes=["ledger:read"], expires_at=expires
    )
    assert plaintext.startswith("cf_") and len(plaintext) > 40
    with ctx.engine.connect() as conn:
        row = conn.execute(sa.select(ApiTokenRow)).one()
        dumped = " ".join(str(v) for v in row)
    assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in dumped
    assert token.scopes == frozenset({Permission.LEDGER_READ})

    actor = accounts.authenticate_token(ctx, plaintext)
    assert actor is not None and actor.user_id == admin.user_id
    assert actor.permissions("any") == frozenset({Permission.LEDGER_READ})
    used = accounts.list_api_tokens(ctx, actor=admin)[0]
    assert used.last_used_at is not None

    assert accounts.authenticate_token(ctx, plaintext[:-1] + "x") is None
    accounts.revoke_api_token(ctx, actor=admin, token_id=token.id)
    assert accounts.authenticate_token(ctx, plaintext) is None
    assert not accounts.list_api_tokens(ctx, actor=admin)[0].active


def test_api_token_expires(ctx: AppContext, admin: Actor) -> None:
    plaintext, _ = accounts.create_api_token(
        ctx, actor=admin, name="short", scopes=["workspace:read"],
        expires_at=utcnow() + timedelta(hours=1),
    )  # fmt: skip
    assert accounts.authenticate_token(ctx, plaintext) is not None
    later = utcnow() + timedelta(hours=2)
    set_clock(lambda: later)
    try:
        assert accounts.authenticate_token(ctx, plaintext) is None
    finally:
        set_clock(None)
    with pytest.raises(InputError) as err:
        accounts.create_api_token(
            ctx, actor=admin, name="past", scopes=["workspace:read"],
            expires_at=datetime(2000, 1, 1, tzinfo=UTC),
        )  # fmt: skip
    assert err.value.where is not None and err.value.where.field == "expires_at"


def test_someone_elses_token_cannot_be_revoked(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, make_member
) -> None:
    _, token = accounts.create_api_token(
        ctx, actor=admin, name="ci", scopes=["workspace:read"],
        expires_at=utcnow() + timedelta(days=1),
    )  # fmt: skip
    viewer = make_member(ws.id, Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        accounts.revoke_api_token(ctx, actor=viewer, token_id=token.id)


def test_oidc_users_are_created_and_linked_safely(ctx: AppContext, admin: Actor) -> None:
    first = accounts.upsert_oidc_user(
        ctx, issuer="https://idp.example", subject="abc", email="jo@agency.example",
        display_name="Jo",
    )  # fmt: skip
    again = accounts.upsert_oidc_user(
        ctx, issuer="https://idp.example", subject="abc", email="jo@agency.example",
        display_name="Jo Q.",
    )  # fmt: skip
    assert again.user_id == first.user_id and again.display_name == "Jo Q."
    # an unverified e-mail claim never takes over a local account
    with pytest.raises(ConflictError):
        accounts.upsert_oidc_user(
            ctx, issuer="https://idp.example", subject="evil", email="admin@agency.example",
            display_name="Mallory",
        )  # fmt: skip
    linked = accounts.upsert_oidc_user(
        ctx, issuer="https://idp.example", subject="adm", email="admin@agency.example",
        display_name="Admin", email_verified=True,
    )  # fmt: skip
    assert linked.user_id == admin.user_id


def test_ledger_names_people_by_pseudonym_only(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    user = accounts.create_user(
        ctx, actor=admin, email="erin.example@agency.example", display_name="Erin Example",
        password=PASSWORD,
    )  # fmt: skip
    accounts.grant_role(ctx, actor=admin, workspace_id=ws.id, user_id=user.id, role=Role.ANALYST)
    with ctx.engine.connect() as conn:
        blobs = [bytes(b) for b in conn.execute(sa.select(tables.entries.c.entry_bytes)).scalars()]
        actors = set(conn.execute(sa.select(tables.entries.c.actor)).scalars())
    assert blobs
    for blob in blobs:
        assert b"erin" not in blob.lower() and b"@" not in blob
    assert user.pseudonym.startswith("u-") and "erin" not in user.pseudonym
    assert any(b'"object_id":"' + user.pseudonym.encode() + b'"' in b for b in blobs)
    assert actors <= {"system", admin.pseudonym}


def test_grant_role_validates(ctx: AppContext, admin: Actor, ws: workspaces.Workspace) -> None:
    with pytest.raises(InputError) as err:
        accounts.grant_role(
            ctx, actor=admin, workspace_id=ws.id, user_id=admin.user_id, role="boss"
        )
    assert err.value.where is not None and err.value.where.field == "role"
    user = accounts.grant_role(
        ctx, actor=admin, workspace_id=ws.id, user_id=admin.user_id, role="auditor"
    )
    assert user.roles[ws.id] is Role.AUDITOR


def test_erasure_keeps_the_ledger_intact_and_anonymous(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    from civicflow.app import audit

    user = accounts.create_user(
        ctx, actor=admin, email="dana@agency.example", display_name="Dana", password=PASSWORD
    )
    accounts.grant_role(ctx, actor=admin, workspace_id=ws.id, user_id=user.id, role=Role.ANALYST)
    accounts.create_api_token(
        ctx, actor=accounts.get_actor(ctx, user.id), name="t", scopes=["workspace:read"],
        expires_at=utcnow() + timedelta(days=1),
    )  # fmt: skip
    erased = accounts.erase_user(ctx, actor=admin, user_id=user.id, reason="erasure request")
    assert erased.email is None and erased.roles == {} and not erased.is_active
    assert erased.pseudonym == user.pseudonym
    assert accounts.authenticate(ctx, email="dana@agency.example", password=PASSWORD) is None
    with ctx.engine.connect() as conn:
        row = conn.execute(sa.select(UserRow).where(UserRow.id == user.id)).one()
        tokens = conn.execute(sa.select(sa.func.count()).select_from(ApiTokenRow)).scalar_one()
    assert "dana" not in " ".join(str(v) for v in row).lower()
    assert tokens == 0
    report = audit.verify(ctx, actor=admin)
    assert report.ok, report.summary()
    actions = [e.action for e in audit.list_entries(ctx, actor=admin, limit=3)]
    assert actions[0] == "user.erase"


def test_an_admin_may_give_someone_a_token_and_the_ledger_names_the_admin(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, make_member
) -> None:
    from civicflow.app import audit

    viewer = make_member(ws.id, Role.VIEWER)
    expires = utcnow() + timedelta(days=1)
    plaintext, token = accounts.create_api_token(
        ctx, actor=admin, owner=viewer.user_id, name="export", scopes=["workspace:read"],
        expires_at=expires,
    )  # fmt: skip
    by_token = accounts.authenticate_token(ctx, plaintext)
    assert by_token is not None and by_token.user_id == viewer.user_id
    entry = audit.list_entries(ctx, actor=admin, limit=1)[0]
    assert entry.action == "token.create" and entry.actor == admin.pseudonym != viewer.pseudonym
    assert [t.id for t in accounts.list_api_tokens(ctx, actor=viewer)] == [token.id]

    # nobody else may, and a deactivated account gets none
    with pytest.raises(PermissionDeniedError):
        accounts.create_api_token(
            ctx, actor=viewer, owner=admin.user_id, name="x", scopes=["workspace:read"],
            expires_at=expires,
        )  # fmt: skip
    accounts.set_user_active(ctx, actor=admin, user_id=viewer.user_id, active=False)
    with pytest.raises(ConflictError, match="deactivated"):
        accounts.create_api_token(
            ctx, actor=admin, owner=viewer.user_id, name="y", scopes=["workspace:read"],
            expires_at=expires,
        )  # fmt: skip


# -- sessions ----------------------------------------------------------------------------------


def _session_rows(ctx: AppContext) -> list[tuple[str, str]]:
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(SessionRow.id_hash, SessionRow.user_id))]


def test_a_session_is_stored_as_a_hash_and_ends_at_sign_out(ctx: AppContext, admin: Actor) -> None:
    sid = accounts.start_session(ctx, actor=admin)
    assert len(sid) >= 43  # 256 random bits
    rows = _session_rows(ctx)
    assert rows == [(hashlib.sha256(sid.encode()).hexdigest(), admin.user_id)]
    assert sid not in " ".join(rows[0])
    again = accounts.resume_session(ctx, sid)
    assert again is not None and again.user_id == admin.user_id and again.is_admin
    assert accounts.resume_session(ctx, sid[:-1] + ("A" if sid[-1] != "A" else "B")) is None
    accounts.end_session(ctx, sid)
    assert accounts.resume_session(ctx, sid) is None
    assert _session_rows(ctx) == []
    accounts.end_session(ctx, sid)  # twice: nothing happens


def _change_password(ctx, admin, user_id, ws_id):  # type: ignore[no-untyped-def]
    accounts.set_password(ctx, actor=admin, user_id=user_id, password="another long passphrase")


def _grant(ctx, admin, user_id, ws_id):  # type: ignore[no-untyped-def]
    accounts.grant_role(ctx, actor=admin, workspace_id=ws_id, user_id=user_id, role=Role.ANALYST)


def _revoke(ctx, admin, user_id, ws_id):  # type: ignore[no-untyped-def]
    accounts.revoke_role(ctx, actor=admin, workspace_id=ws_id, user_id=user_id)


def _erase(ctx, admin, user_id, ws_id):  # type: ignore[no-untyped-def]
    accounts.erase_user(ctx, actor=admin, user_id=user_id)


def _deactivate(ctx, admin, user_id, ws_id):  # type: ignore[no-untyped-def]
    accounts.set_user_active(ctx, actor=admin, user_id=user_id, active=False)


def _everywhere(ctx, admin, user_id, ws_id):  # type: ignore[no-untyped-def]
    assert accounts.sign_out_everywhere(ctx, actor=admin, user_id=user_id) == 2


@pytest.mark.parametrize(
    "change",
    [_change_password, _grant, _revoke, _erase, _deactivate, _everywhere],
    ids=lambda f: f.__name__.strip("_"),
)
def test_account_changes_end_every_session_of_that_person(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, make_member, change
) -> None:
    person = make_member(ws.id, Role.VIEWER)
    laptop = accounts.start_session(ctx, actor=person)
    phone = accounts.start_session(ctx, actor=person)
    bystander = accounts.start_session(ctx, actor=admin)
    change(ctx, admin, person.user_id, ws.id)
    assert accounts.resume_session(ctx, laptop) is None
    assert accounts.resume_session(ctx, phone) is None
    assert accounts.resume_session(ctx, bystander) is not None  # nobody else's


def test_sign_out_everywhere_is_for_admins_and_oneself(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, make_member
) -> None:
    from civicflow.app import audit

    viewer = make_member(ws.id, Role.VIEWER)
    workspace_admin = make_member(ws.id, Role.ADMIN)
    sid = accounts.start_session(ctx, actor=viewer)
    with pytest.raises(PermissionDeniedError):
        accounts.sign_out_everywhere(ctx, actor=workspace_admin, user_id=viewer.user_id)
    assert accounts.resume_session(ctx, sid) is not None
    assert accounts.sign_out_everywhere(ctx, actor=viewer, user_id=viewer.user_id) == 1
    assert (
        accounts.sign_out_everywhere(ctx, actor=admin, user_id=viewer.user_id, reason="lost") == 0
    )
    entry = audit.list_entries(ctx, actor=admin, limit=1)[0]
    assert (entry.action, entry.actor, entry.object_id) == (
        "user.sign_out_everywhere",
        admin.pseudonym,
        viewer.pseudonym,
    )


def test_sessions_end_when_idle_and_at_their_lifetime(ctx: AppContext, admin: Actor) -> None:
    policy = accounts.SessionPolicy(idle=timedelta(minutes=30), lifetime=timedelta(hours=8))
    start = utcnow()
    now = [start]
    set_clock(lambda: now[0])
    try:
        idle = accounts.start_session(ctx, actor=admin, policy=policy)
        busy = accounts.start_session(ctx, actor=admin, policy=policy)
        # one request every 20 minutes keeps a session alive; 31 minutes without one ends it
        for step in range(1, 24):
            now[0] = start + timedelta(minutes=20 * step)
            assert accounts.resume_session(ctx, busy, policy=policy) is not None, step
            if step == 1:
                assert accounts.resume_session(ctx, idle, policy=policy) is not None
            if step == 3:  # 40 minutes after its last request
                assert accounts.resume_session(ctx, idle, policy=policy) is None
        # 8 hours after sign-in, however busy
        now[0] = start + timedelta(hours=8)
        assert accounts.resume_session(ctx, busy, policy=policy) is None
    finally:
        set_clock(None)


def test_expired_sessions_are_pruned(ctx: AppContext, admin: Actor) -> None:
    policy = accounts.SessionPolicy(idle=timedelta(minutes=30), lifetime=timedelta(hours=8))
    old = accounts.start_session(ctx, actor=admin, policy=policy)
    later = utcnow() + timedelta(hours=1)
    set_clock(lambda: later)
    try:
        # nobody replays the old cookie: its row goes when anyone signs in, or on a prune
        fresh = accounts.start_session(ctx, actor=admin, policy=policy)
        assert [h for h, _ in _session_rows(ctx)] == [hashlib.sha256(fresh.encode()).hexdigest()]
        accounts.start_session(ctx, actor=admin, policy=policy)
        set_clock(lambda: later + timedelta(hours=9))
        assert accounts.prune_sessions(ctx, policy=policy) == 2
    finally:
        set_clock(None)
    assert _session_rows(ctx) == [] and accounts.resume_session(ctx, old) is None


def test_a_deactivated_account_gets_no_session(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, make_member
) -> None:
    viewer = make_member(ws.id, Role.VIEWER)
    accounts.set_user_active(ctx, actor=admin, user_id=viewer.user_id, active=False)
    with pytest.raises(PermissionDeniedError, match="deactivated"):
        accounts.start_session(ctx, actor=viewer)


def test_importing_the_application_layer_hashes_nothing() -> None:
    """The dummy hash (for unknown e-mails) costs a quarter of a second: made on first use."""
    import subprocess
    import sys

    code = (
        "import civicflow.app\n"
        "from civicflow.app import _accounts\n"
        "assert _accounts._DUMMY_HASH is None\n"
        "h = _accounts._dummy_hash()\n"
        "assert h.startswith('$argon2id$') and _accounts._dummy_hash() is h\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
