"""Browser sessions kept on the server, so that they can end: at sign-out, when the password or a
role changes, when the account is erased or deactivated, when an admin signs the person out
everywhere, after ``idle`` without a request, and ``lifetime`` after sign-in whatever happens.

The cookie carries a random session id (256 bits); the database keeps only its SHA-256, so a copy
of the ``sessions`` table signs no one in. Ending a session deletes its row: a replayed cookie then
finds nothing. Ending all of a user's sessions is :func:`civicflow.app.accounts.sign_out_everywhere`
(and the account changes listed above, in the same transaction as the change).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Delete, delete, or_, update

from civicflow.app._accounts import _actor, _get_user_row, _require_active, hash_token
from civicflow.app._context import AppContext
from civicflow.app._models import SessionRow, UserRow
from civicflow.app._roles import Actor
from civicflow.core import utcnow

# last_seen_at is written at most this often: a write per request would queue every page behind
# the database writer. An idle session may therefore end up to this much early.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionPolicy:
    """How long a browser session lasts: ``idle`` without a request, ``lifetime`` in all."""

    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=8)


DEFAULT_POLICY = SessionPolicy()


def start_session(ctx: AppContext, *, actor: Actor, policy: SessionPolicy = DEFAULT_POLICY) -> str:
    """A new session for a signed-in actor; returns the id for the cookie (never stored).

    Expired sessions of anyone are pruned on the way (sign-ins are rare enough to carry it).
    """
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    with ctx.session() as s:
        _require_active(_get_user_row(s, actor.user_id), field="user_id")
        s.execute(_expired(policy, now))
        s.add(
            SessionRow(
                id_hash=hash_token(session_id),
                user_id=actor.user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + policy.lifetime,
            )
        )
    return session_id


def resume_session(
    ctx: AppContext, session_id: str, *, policy: SessionPolicy = DEFAULT_POLICY
) -> Actor | None:
    """The actor of a live session, else ``None`` (unknown, ended, idle too long, past its
    lifetime, or its account deactivated). An expired session's row is deleted."""
    if not session_id:
        return None
    key = hash_token(session_id)
    now = utcnow()
    with ctx.read_session() as s:
        row = s.get(SessionRow, key)
        if row is None:
            return None
        user = s.get(UserRow, row.user_id)
        live = (
            row.expires_at > now
            and row.last_seen_at + policy.idle > now
            and user is not None
            and user.is_active
        )
        actor = _actor(s, user) if live and user is not None else None
        stale = now - row.last_seen_at >= TOUCH_EVERY
    if actor is None:
        end_session(ctx, session_id)
    elif stale:
        with ctx.session() as s:
            s.execute(update(SessionRow).where(SessionRow.id_hash == key).values(last_seen_at=now))
    return actor


def end_session(ctx: AppContext, session_id: str) -> None:
    """Sign-out: the session's cookie no longer signs anyone in. Ending it twice is a no-op."""
    if not session_id:
        return
    with ctx.session() as s:
        s.execute(delete(SessionRow).where(SessionRow.id_hash == hash_token(session_id)))


def prune_sessions(ctx: AppContext, *, policy: SessionPolicy = DEFAULT_POLICY) -> int:
    """Delete the rows of sessions past their lifetime or idle too long; returns how many."""
    with ctx.session() as s:
        result = s.execute(_expired(policy, utcnow()))
        return int(getattr(result, "rowcount", 0) or 0)


def _expired(policy: SessionPolicy, now: datetime) -> Delete:
    return delete(SessionRow).where(
        or_(SessionRow.expires_at <= now, SessionRow.last_seen_at <= now - policy.idle)
    )
