"""Passwords (argon2), sign-in, throttling, OIDC users, API tokens, and pseudonyms in the ledger."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from civicflow.app import SYSTEM, Actor, AppContext, Permission, Role, accounts, workspaces
from civicflow.app._models import ApiTokenRow, UserRow
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
    assert not accounts.is_throttled(ctx, email=email, ip=ip)
    accounts.authenticate(ctx, email=email, password="wrong", ip=ip)
    assert accounts.is_throttled(ctx, email=email, ip=ip)
    assert not accounts.is_throttled(ctx, email=email, ip="192.0.2.8")  # per e-mail + address
    # the window passes
    later = utcnow() + timedelta(minutes=16)
    set_clock(lambda: later)
    try:
        assert not accounts.is_throttled(ctx, email=email, ip=ip)
    finally:
        set_clock(None)
    # a success resets the count
    accounts.authenticate(ctx, email=email, password=PASSWORD, ip=ip)
    assert not accounts.is_throttled(ctx, email=email, ip=ip)


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
