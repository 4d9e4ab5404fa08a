"""The calls every request makes to the application layer: who is this, may they do that.

Routes call ``civicflow.app`` use cases directly for domain work; identity and permission checks go
through here so the request path has one shape to test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from civicflow.app import Actor, AppContext, Permission, accounts
from civicflow.web._config import WebConfig

AUTHENTICATED = "authenticated"
"""Pseudo-permission: any signed-in actor (e.g. the list of one's own workspaces)."""


def session_policy(web: WebConfig) -> accounts.SessionPolicy:
    return accounts.SessionPolicy(
        idle=timedelta(seconds=web.session_idle_seconds),
        lifetime=timedelta(seconds=web.session_max_age_seconds),
    )


def start_session(ctx: AppContext, actor: Actor, web: WebConfig) -> str:
    return accounts.start_session(ctx, actor=actor, policy=session_policy(web))


def actor_by_session(ctx: AppContext, session_id: str, web: WebConfig) -> Actor | None:
    return accounts.resume_session(ctx, session_id, policy=session_policy(web))


def end_session(ctx: AppContext, session_id: str) -> None:
    accounts.end_session(ctx, session_id)


def actor_from_token(ctx: AppContext, token: str) -> Actor | None:
    return accounts.authenticate_token(ctx, token)


def allows(actor: Actor, permission: str, workspace_id: str | None) -> bool:
    """``permission`` is ``AUTHENTICATED`` or a ``Permission`` value (``requires`` checked it when
    the route was defined, so an unknown name cannot get here)."""
    if permission == AUTHENTICATED:
        return True
    return actor.can(Permission(permission), workspace_id)


@dataclass(frozen=True, slots=True)
class SignIn:
    """The outcome of a password sign-in."""

    actor: Actor | None
    throttled: bool = False
    message: str = ""


def authenticate(ctx: AppContext, email: str, password: str, ip: str) -> SignIn:
    if accounts.is_throttled(ctx, email=email):
        return SignIn(None, throttled=True, message="Too many failed sign-in attempts")
    actor = accounts.authenticate(ctx, email=email, password=password, ip=ip)
    if actor is None:
        return SignIn(None, message="Email or password is not right")
    return SignIn(actor)


def oidc_actor(
    ctx: AppContext, issuer: str, subject: str, email: str, display_name: str, verified: bool
) -> Actor:
    return accounts.upsert_oidc_user(
        ctx,
        issuer=issuer,
        subject=subject,
        email=email,
        display_name=display_name,
        email_verified=verified,
    )


def describe(actor: Any) -> str:
    return str(getattr(actor, "display_name", "") or getattr(actor, "pseudonym", "") or "you")
