"""Accounts: local users (argon2), OIDC users, per-workspace roles, API tokens, login throttling."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from civicflow.app._context import AppContext
from civicflow.app._models import (
    ApiTokenRow,
    LoginAttemptRow,
    MembershipRow,
    SessionRow,
    UserRow,
    get_row,
)
from civicflow.app._record import record
from civicflow.app._roles import SYSTEM, Actor, Permission, Role
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import (
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    PermissionDeniedError,
    Record,
    new_id,
    sha256_hex,
    utcnow,
)

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "cf_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
# Verifying against a real hash when the e-mail is unknown makes both failure paths cost the same.
# Made on first use: hashing costs a quarter of a second, too much for every `import`.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
    return _DUMMY_HASH


OS_LOGIN_ISSUER = "civicflow:os-login"
"""The issuer of the command line's operator identities: the account's external identity is
(this, login name). OpenID Connect issuers are https URLs, so the two kinds can never collide."""
ERASED_NAME = "(erased)"
"""The display name an erased account keeps (:func:`erase_user`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class User(Record):
    """A person's account as shown to admins (the ledger only ever sees ``pseudonym``)."""

    _json = True
    _extra = ("contact",)

    id: str
    pseudonym: str
    email: str | None
    display_name: str
    is_admin: bool
    is_active: bool
    created_at: datetime
    oidc_issuer: str | None
    roles: dict[str, Role]

    @property
    def is_operator(self) -> bool:
        """The account of an operating-system login, for the command line's attribution."""
        return self.oidc_issuer == OS_LOGIN_ISSUER

    @property
    def is_erased(self) -> bool:
        return self.email is None and self.oidc_issuer is None and self.display_name == ERASED_NAME

    @property
    def contact(self) -> str:
        """How the account is reached, in words: its e-mail address, else why it has none (an
        erased person, the command line's operator, a single-sign-on account without one)."""
        if self.email:
            return self.email
        if self.is_erased:
            return ERASED_NAME
        if self.is_operator:
            return "(command-line operator, no e-mail)"
        return "(no e-mail)"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiToken(Record):
    """An API token's record. The plaintext is returned once by :func:`create_api_token`."""

    _json = True
    _extra = ("active",)

    id: str
    user_id: str
    name: str
    scopes: frozenset[Permission]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()


def pseudonym_for(user_id: str) -> str:
    """The pseudonymous id written to the ledger: reveals nothing once the account is erased."""
    return "u-" + sha256_hex(f"civicflow-user:{user_id}".encode())[:24]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- helpers ---------------------------------------------------------------------------------


def _email_key(email: str | None) -> str:
    """The form e-mail addresses are stored and compared in."""
    return (email or "").strip().lower()


def _norm_email(email: str) -> str:
    value = _email_key(email)
    if not _EMAIL.match(value) or len(value) > 320:
        raise InputError(
            "the e-mail address is not valid",
            where=Location(field="email"),
            found=email,
            expected="an address such as name@agency.example",
            fix="enter the person's work e-mail address",
        )
    return value


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InputError(
            "the password is too short",
            where=Location(field="password"),
            found=f"{len(password or '')} characters",
            expected=f"at least {MIN_PASSWORD_LENGTH} characters",
            fix="choose a longer passphrase (several words work well)",
        )


def _short_text(value: str | None, *, field: str, limit: int, what: str, expected: str) -> str:
    """``value`` stripped, refused when empty or longer than ``limit`` characters."""
    text = (value or "").strip()
    if not text or len(text) > limit:
        raise InputError(what, where=Location(field=field), found=repr(value), expected=expected)
    return text


def _check_display_name(name: str) -> str:
    return _short_text(
        name, field="display_name", limit=200, what="the display name must not be empty",
        expected="1-200 characters",
    )  # fmt: skip


def _roles_of(session: Session, user_id: str) -> dict[str, Role]:
    rows = session.execute(
        select(MembershipRow.workspace_id, MembershipRow.role).where(
            MembershipRow.user_id == user_id
        )
    ).all()
    return {ws: Role(role) for ws, role in rows}


def _actor(session: Session, row: UserRow, scopes: frozenset[Permission] | None = None) -> Actor:
    return Actor(
        user_id=row.id,
        pseudonym=row.pseudonym,
        roles=_roles_of(session, row.id),
        is_admin=row.is_admin,
        display_name=row.display_name,
        scopes=scopes,
    )


def _user(session: Session, row: UserRow) -> User:
    return User(
        id=row.id,
        pseudonym=row.pseudonym,
        email=row.email,
        display_name=row.display_name,
        is_admin=row.is_admin,
        is_active=row.is_active,
        created_at=row.created_at,
        oidc_issuer=row.oidc_issuer,
        roles=_roles_of(session, row.id),
    )


def _state(row: UserRow) -> dict[str, Any]:
    """The user's state as digested into the ledger. E-mail and name are left out: a digest over
    them would let anyone holding a guess confirm it even after the person was erased."""
    return {
        "id": row.id,
        "pseudonym": row.pseudonym,
        "is_admin": row.is_admin,
        "is_active": row.is_active,
        "has_password": row.password_hash is not None,
        "oidc_issuer": row.oidc_issuer,
        "has_oidc_subject": row.oidc_subject is not None,
    }


def _membership_state(pseudonym: str, role: str) -> dict[str, Any]:
    """A role in a workspace as digested into the ledger."""
    return {"user": pseudonym, "role": role}


def _record_user(
    ctx: AppContext,
    s: Session,
    row: UserRow,
    *,
    actor: Actor,
    action: str,
    before: dict[str, Any] | None = None,
    changed: bool = True,
    reason: str | None = None,
) -> None:
    """The ledger entry for a change to a user (``changed=False``: no state digest after it)."""
    record(
        ctx, s, actor=actor, action=action, object_type="user", object_id=row.pseudonym,
        workspace_id=None, before=before, after=_state(row) if changed else None, reason=reason,
    )  # fmt: skip


def _require_active(row: UserRow, *, field: str) -> None:
    if not row.is_active:
        raise PermissionDeniedError(
            "this account is deactivated",
            where=Location(field=field),
            found=row.pseudonym,
            fix="ask an admin to reactivate it",
        )


def _end_sessions(s: Session, user_id: str) -> int:
    """End every browser session of a user (their next request must sign in again)."""
    result = s.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def _new_user_row(
    session: Session,
    *,
    email: str | None,
    display_name: str,
    password: str | None,
    is_admin: bool,
    oidc_issuer: str | None = None,
    oidc_subject: str | None = None,
) -> UserRow:
    """A new active user (``email=None``: an account nobody signs in to by e-mail)."""
    taken = select(UserRow.id).where(UserRow.email == email)
    if email is not None and session.scalar(taken) is not None:
        raise ConflictError(
            f"a user with the e-mail address {email} already exists",
            where=Location(field="email"),
            found=email,
            fix="use another address, or grant the existing user a role",
        )
    user_id = new_id("usr_")
    row = UserRow(
        id=user_id,
        pseudonym=pseudonym_for(user_id),
        email=email,
        display_name=display_name,
        password_hash=_hasher.hash(password) if password is not None else None,
        is_admin=is_admin,
        is_active=True,
        oidc_issuer=oidc_issuer,
        oidc_subject=oidc_subject,
        created_at=utcnow(),
    )
    session.add(row)
    return row


def _get_user_row(session: Session, user_id: str) -> UserRow:
    return get_row(
        session, UserRow, user_id, what=f"no user {user_id}", field="user_id",
        fix="list users with `civicflow users list`",
    )  # fmt: skip


# -- users -----------------------------------------------------------------------------------


def create_user(
    ctx: AppContext,
    *,
    actor: Actor,
    email: str,
    display_name: str,
    password: str | None,
    is_admin: bool = False,
    reason: str | None = None,
) -> User:
    """Create a local user (``password=None``: an account that signs in through OIDC only)."""
    actor.require(Permission.USER_ADMIN)
    email = _norm_email(email)
    display_name = _check_display_name(display_name)
    if password is not None:
        _check_password(password)
    with ctx.session() as s:
        row = _new_user_row(
            s, email=email, display_name=display_name, password=password, is_admin=is_admin
        )
        _record_user(ctx, s, row, actor=actor, action="user.create", reason=reason)
        return _user(s, row)


def create_admin(
    ctx: AppContext, *, email: str, password: str, display_name: str = "Administrator"
) -> User:
    """The first (or another) global admin, created by an operator on the server itself."""
    return create_user(
        ctx,
        actor=SYSTEM,
        email=email,
        display_name=display_name,
        password=password,
        is_admin=True,
        reason="created from the command line",
    )


def get_actor(ctx: AppContext, user_id: str) -> Actor:
    """The actor for a user id (e.g. from a session cookie); inactive users are refused."""
    with ctx.read_session() as s:
        row = _get_user_row(s, user_id)
        _require_active(row, field="user_id")
        return _actor(s, row)


def get_user(ctx: AppContext, *, actor: Actor, user_id: str) -> User:
    if actor.user_id != user_id:
        actor.require(Permission.USER_ADMIN)
    with ctx.read_session() as s:
        return _user(s, _get_user_row(s, user_id))


def find_user(ctx: AppContext, *, actor: Actor, email: str) -> User:
    """The account with this e-mail address (compared as stored: trimmed, lower case)."""
    actor.require(Permission.USER_ADMIN)
    key = _email_key(email)
    with ctx.read_session() as s:
        row = s.scalar(select(UserRow).where(UserRow.email == key))
        if row is None:
            raise NotFoundError(
                f"no user with the e-mail address {key}",
                where=Location(field="email"),
                found=email,
                fix="check the address with `civicflow users list`, or create the account with "
                "`civicflow users create`",
            )
        return _user(s, row)


def list_users(ctx: AppContext, *, actor: Actor, workspace_id: str | None = None) -> list[User]:
    """All users (global admins), or the members of one workspace (its admins)."""
    if workspace_id is None:
        actor.require(Permission.USER_ADMIN)
    else:
        actor.require(Permission.WORKSPACE_ADMIN, workspace_id)
    with ctx.read_session() as s:
        query = select(UserRow).order_by(UserRow.created_at, UserRow.id)
        if workspace_id is not None:
            query = query.join(MembershipRow, MembershipRow.user_id == UserRow.id).where(
                MembershipRow.workspace_id == workspace_id
            )
        return [_user(s, row) for row in s.scalars(query)]


def set_user_active(
    ctx: AppContext, *, actor: Actor, user_id: str, active: bool, reason: str | None = None
) -> User:
    actor.require(Permission.USER_ADMIN)
    with ctx.session() as s:
        row = _get_user_row(s, user_id)
        before = _state(row)
        row.is_active = active
        if not active:
            _end_sessions(s, user_id)
        action = "user.activate" if active else "user.deactivate"
        _record_user(ctx, s, row, actor=actor, action=action, before=before, reason=reason)
        return _user(s, row)


def set_password(
    ctx: AppContext, *, actor: Actor, user_id: str, password: str, reason: str | None = None
) -> None:
    if actor.user_id != user_id:
        actor.require(Permission.USER_ADMIN)
    _check_password(password)
    with ctx.session() as s:
        row = _get_user_row(s, user_id)
        before = _state(row)
        row.password_hash = _hasher.hash(password)
        # whoever held a session (perhaps the reason for the change) holds it no longer
        _end_sessions(s, user_id)
        _record_user(ctx, s, row, actor=actor, action="user.password", before=before, reason=reason)


def erase_user(ctx: AppContext, *, actor: Actor, user_id: str, reason: str | None = None) -> User:
    """Erase a person's identifying data (a data-subject request): e-mail, name, password, OIDC
    link and tokens go; roles are revoked; the pseudonym stays, so the ledger keeps its history
    without naming anyone and needs no rewriting."""
    actor.require(Permission.USER_ADMIN)
    with ctx.session() as s:
        row = _get_user_row(s, user_id)
        erase_user_row(ctx, s, row, actor=actor, reason=reason)
        return _user(s, row)


def erase_user_row(
    ctx: AppContext, s: Session, row: UserRow, *, actor: Actor, reason: str | None
) -> None:
    """Anonymise the account ``row`` in ``s``'s transaction (:func:`erase_user`, and a
    data-subject erasure that names the account): e-mail, name, password and OIDC link replaced,
    tokens, roles and sessions ended, disabled; ledgered ``user.erase``. The caller checks who
    may."""
    before = _state(row)
    row.email = None
    row.display_name = ERASED_NAME
    row.password_hash = None
    row.oidc_issuer = row.oidc_subject = None
    row.is_active = False
    row.is_admin = False
    s.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == row.id))
    s.execute(delete(MembershipRow).where(MembershipRow.user_id == row.id))
    _end_sessions(s, row.id)
    _record_user(ctx, s, row, actor=actor, action="user.erase", before=before, reason=reason)


def sign_out_everywhere(
    ctx: AppContext, *, actor: Actor, user_id: str, reason: str | None = None
) -> int:
    """End every browser session of a user (a lost laptop, a stolen cookie): each of them must
    sign in again. The person themself or a global admin; returns how many sessions ended.
    API tokens are not sessions: revoke them one by one."""
    if actor.user_id != user_id:
        actor.require(Permission.USER_ADMIN)
    with ctx.session() as s:
        row = _get_user_row(s, user_id)
        ended = _end_sessions(s, user_id)
        _record_user(
            ctx, s, row, actor=actor, action="user.sign_out_everywhere", changed=False,
            reason=reason,
        )  # fmt: skip
        return ended


# -- sign-in ---------------------------------------------------------------------------------


def _attempt(email: str, ip: str, success: bool) -> LoginAttemptRow:
    return LoginAttemptRow(email=email[:320], ip=ip[:64], at=utcnow(), success=success)


def authenticate(
    ctx: AppContext, *, email: str, password: str, ip: str | None = None
) -> Actor | None:
    """The actor for a correct e-mail and password, else ``None``.

    Unknown e-mail, no local password, wrong password and deactivated account all do the same
    argon2 work and return ``None``, so timing does not reveal which accounts exist. With ``ip``,
    the attempt is recorded for :func:`is_throttled`.
    """
    key = _email_key(email)
    with ctx.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.email == key))
        stored = row.password_hash if row is not None and row.password_hash else None
        try:
            ok = _hasher.verify(stored or _dummy_hash(), password or "") and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        ok = ok and row is not None and row.is_active
        if ip is not None:
            s.add(_attempt(key, ip, ok))
        if not ok or row is None:
            return None
        if stored is not None and _hasher.check_needs_rehash(stored):
            row.password_hash = _hasher.hash(password)
        return _actor(s, row)


def record_login_attempt(ctx: AppContext, *, email: str, ip: str, success: bool) -> None:
    """Record an attempt made outside :func:`authenticate` (e.g. an OIDC failure)."""
    with ctx.session() as s:
        s.add(_attempt(_email_key(email), ip, success))


def is_throttled(
    ctx: AppContext,
    *,
    email: str,
    max_failures: int = 5,
    window: timedelta = timedelta(minutes=15),
) -> bool:
    """True when this account (its e-mail address) failed ``max_failures`` times within
    ``window`` since its last success, from whatever client addresses: spreading guesses over
    many addresses (or forged ``X-Forwarded-For`` headers) does not buy more of them. The web
    refuses to check a password while throttled, and limits each client address as well."""
    key = _email_key(email)
    since = utcnow() - window
    attempts = select(func.max(LoginAttemptRow.at)).where(LoginAttemptRow.email == key)
    with ctx.read_session() as s:
        last_ok = s.scalar(attempts.where(LoginAttemptRow.success))
        start = max(since, last_ok) if last_ok is not None else since
        failures = s.scalar(
            select(func.count())
            .select_from(LoginAttemptRow)
            .where(
                LoginAttemptRow.email == key,
                LoginAttemptRow.success.is_(False),
                LoginAttemptRow.at > start,
            )
        )
        return int(failures or 0) >= max_failures


def upsert_oidc_user(
    ctx: AppContext,
    *,
    issuer: str,
    subject: str,
    email: str,
    display_name: str,
    email_verified: bool = False,
) -> Actor:
    """The actor for an identity-provider sign-in, creating or linking the account.

    An existing local account with the same e-mail is linked only when the provider says the
    address is verified; otherwise anyone who could register that address at the provider could
    take the account over.
    """
    if not issuer or not subject:
        raise InputError(
            "an OIDC identity needs an issuer and a subject",
            where=Location(field="issuer" if not issuer else "subject"),
            found=f"issuer={issuer!r}, subject={subject!r}",
            expected="the 'iss' and 'sub' claims of the ID token",
        )
    email = _norm_email(email)
    display_name = _check_display_name(display_name or email)
    oidc = Actor(user_id="system:oidc", pseudonym="system:oidc", is_admin=True)
    with ctx.session() as s:
        row = s.scalar(
            select(UserRow).where(UserRow.oidc_issuer == issuer, UserRow.oidc_subject == subject)
        )
        if row is None:
            existing = s.scalar(select(UserRow).where(UserRow.email == email))
            if existing is not None:
                if not email_verified or existing.oidc_subject is not None:
                    raise ConflictError(
                        f"an account with the e-mail address {email} already exists",
                        where=Location(field="email"),
                        found=email,
                        expected="a verified e-mail claim to link the identity to that account",
                        fix="ask an admin to link the accounts, or sign in with the password",
                    )
                before = _state(existing)
                existing.oidc_issuer, existing.oidc_subject = issuer, subject
                row = existing
                _record_user(ctx, s, row, actor=oidc, action="user.link_oidc", before=before)
            else:
                row = _new_user_row(
                    s,
                    email=email,
                    display_name=display_name,
                    password=None,
                    is_admin=False,
                    oidc_issuer=issuer,
                    oidc_subject=subject,
                )
                _record_user(
                    ctx, s, row, actor=oidc, action="user.create",
                    reason="first sign-in through the identity provider",
                )  # fmt: skip
        elif row.email != email or row.display_name != display_name:
            if email != row.email and s.scalar(
                select(UserRow.id).where(UserRow.email == email, UserRow.id != row.id)
            ):
                raise ConflictError(
                    f"the identity provider's e-mail {email} belongs to another account",
                    where=Location(field="email"),
                    found=email,
                    fix="ask an admin to merge or rename the accounts",
                )
            before = _state(row)
            row.email, row.display_name = email, display_name
            _record_user(
                ctx, s, row, actor=oidc, action="user.update", before=before,
                reason="profile updated by the identity provider",
            )  # fmt: skip
        _require_active(row, field="email")
        return _actor(s, row)


# -- roles -----------------------------------------------------------------------------------


def grant_role(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    user_id: str,
    role: Role | str,
    reason: str | None = None,
) -> User:
    """Give a user a role in a workspace (replacing the one they had there)."""
    actor.require(Permission.WORKSPACE_ADMIN, workspace_id)
    try:
        role = Role(role)
    except ValueError as exc:
        raise InputError(
            f"'{role}' is not a role",
            where=Location(field="role"),
            found=str(role),
            expected=", ".join(r.value for r in Role),
        ) from exc
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        user = _get_user_row(s, user_id)
        member = s.get(MembershipRow, (workspace_id, user_id))
        before = None if member is None else _membership_state(user.pseudonym, member.role)
        if member is None:
            s.add(
                MembershipRow(
                    workspace_id=workspace_id, user_id=user_id, role=role.value, granted_at=utcnow()
                )
            )
        else:
            member.role, member.granted_at = role.value, utcnow()
        _end_sessions(s, user_id)  # a role change takes effect with a fresh sign-in
        record(
            ctx, s, actor=actor, action="role.grant", object_type="membership",
            object_id=user.pseudonym, workspace_id=workspace_id, before=before,
            after=_membership_state(user.pseudonym, role.value), reason=reason,
        )  # fmt: skip
        return _user(s, user)


def revoke_role(
    ctx: AppContext, *, actor: Actor, workspace_id: str, user_id: str, reason: str | None = None
) -> None:
    actor.require(Permission.WORKSPACE_ADMIN, workspace_id)
    with ctx.session() as s:
        member = s.get(MembershipRow, (workspace_id, user_id))
        if member is None:
            raise NotFoundError(
                f"user {user_id} has no role in workspace {workspace_id}",
                where=Location(field="user_id"),
                found=user_id,
            )
        user = _get_user_row(s, user_id)
        before = _membership_state(user.pseudonym, member.role)
        s.delete(member)
        _end_sessions(s, user_id)
        record(
            ctx, s, actor=actor, action="role.revoke", object_type="membership",
            object_id=user.pseudonym, workspace_id=workspace_id, before=before, reason=reason,
        )  # fmt: skip


# -- API tokens ------------------------------------------------------------------------------


def _token_state(row: ApiTokenRow) -> dict[str, Any]:
    """A token's record as digested into the ledger (``active`` depends on the clock)."""
    return {k: v for k, v in _token(row).to_dict().items() if k != "active"} | {
        "last_used_at": None  # using a token is not a change the ledger records
    }


def _record_token(
    ctx: AppContext,
    s: Session,
    row: ApiTokenRow,
    *,
    actor: Actor,
    action: str,
    before: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    record(
        ctx, s, actor=actor, action=action, object_type="api_token", object_id=row.id,
        workspace_id=None, before=before, after=_token_state(row), reason=reason,
    )  # fmt: skip


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        scopes=frozenset(Permission(s) for s in row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def create_api_token(
    ctx: AppContext,
    *,
    actor: Actor,
    name: str,
    scopes: Iterable[Permission | str],
    expires_at: datetime,
    owner: str | None = None,
) -> tuple[str, ApiToken]:
    """A new token for the actor, or for the user ``owner`` (a user id; only a global admin may
    create a token for someone else, and the ledger then names the admin, not the owner).
    Returns the plaintext (shown once, never stored) and its record.

    The token acts as its owner, narrowed to ``scopes``.
    """
    owner_id = owner or actor.user_id
    if owner_id != actor.user_id:
        actor.require(Permission.USER_ADMIN)
    name = _short_text(
        name, field="name", limit=100, what="an API token needs a name",
        expected="1-100 characters saying what the token is for",
    )  # fmt: skip
    try:
        scope_set = frozenset(Permission(s) for s in scopes)
    except ValueError as exc:
        raise InputError(
            "unknown token scope",
            where=Location(field="scopes"),
            found=str(exc),
            expected=", ".join(p.value for p in Permission),
        ) from exc
    if not scope_set:
        raise InputError(
            "an API token needs at least one scope",
            where=Location(field="scopes"),
            expected=", ".join(p.value for p in Permission),
        )
    if expires_at.tzinfo is None or expires_at <= utcnow():
        raise InputError(
            "an API token must expire in the future",
            where=Location(field="expires_at"),
            found=expires_at.isoformat(),
            expected="a timezone-aware time after now",
            fix="choose an expiry such as 90 days from today",
        )
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with ctx.session() as s:
        row = ApiTokenRow(
            id=new_id("tok_"),
            user_id=owner_id,
            name=name,
            token_hash=hash_token(plaintext),
            scopes=sorted(p.value for p in scope_set),
            created_at=utcnow(),
            expires_at=expires_at,
        )
        owner_row = _get_user_row(s, owner_id)
        if not owner_row.is_active:
            raise ConflictError(
                "the account is deactivated",
                where=Location(field="owner"),
                found=owner_row.email or owner_id,
                fix="reactivate the account before giving it a token",
            )
        s.add(row)
        _record_token(ctx, s, row, actor=actor, action="token.create")
        return plaintext, _token(row)


def authenticate_token(ctx: AppContext, token: str) -> Actor | None:
    """The actor for a valid, unrevoked, unexpired token (narrowed to its scopes), else ``None``."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    now = utcnow()
    with ctx.read_session() as s:
        row = s.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_token(token)))
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        user = s.get(UserRow, row.user_id)
        if user is None or not user.is_active:
            return None
        actor = _actor(s, user, scopes=frozenset(Permission(p) for p in row.scopes))
        stale = row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1)
    # a write per API request would queue every request behind the writer: minute precision
    if stale:
        with ctx.session() as s:
            s.execute(update(ApiTokenRow).where(ApiTokenRow.id == row.id).values(last_used_at=now))
    return actor


def list_api_tokens(ctx: AppContext, *, actor: Actor, user_id: str | None = None) -> list[ApiToken]:
    owner = user_id or actor.user_id
    if owner != actor.user_id:
        actor.require(Permission.USER_ADMIN)
    with ctx.read_session() as s:
        rows = s.scalars(
            select(ApiTokenRow).where(ApiTokenRow.user_id == owner).order_by(ApiTokenRow.created_at)
        )
        return [_token(r) for r in rows]


def revoke_api_token(
    ctx: AppContext, *, actor: Actor, token_id: str, reason: str | None = None
) -> ApiToken:
    """Revoke a token (its owner or a global admin). Revoking twice is a no-op."""
    with ctx.session() as s:
        row = get_row(s, ApiTokenRow, token_id, what=f"no API token {token_id}", field="token_id")
        if row.user_id != actor.user_id:
            actor.require(Permission.USER_ADMIN)
        if row.revoked_at is None:
            before = _token_state(row)
            row.revoked_at = utcnow()
            _record_token(
                ctx, s, row, actor=actor, action="token.revoke", before=before, reason=reason
            )
        return _token(row)


def purge_login_attempts(ctx: AppContext, *, older_than: timedelta = timedelta(days=30)) -> int:
    """Delete old login attempts (they hold e-mail and IP addresses: keep them briefly)."""
    with ctx.session() as s:
        result = s.execute(
            delete(LoginAttemptRow).where(LoginAttemptRow.at < utcnow() - older_than)
        )
        return int(getattr(result, "rowcount", 0) or 0)
