"""The calls every request makes to the application layer: who is this, may they do that.

Routes call ``civicflow.app`` use cases directly for domain work; identity and permission checks go
through here so the request path has one shape to test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civicflow.app import Actor, AppContext, Permission, accounts
from civicflow.core import CivicflowError

AUTHENTICATED = "authenticated"
"""Pseudo-permission: any signed-in actor (e.g. the list of one's own workspaces)."""


def actor_by_id(ctx: AppContext, user_id: str) -> Actor | None:
    try:
        return accounts.get_actor(ctx, user_id)
    except CivicflowError:
        return None


def actor_from_token(ctx: AppContext, token: str) -> Actor | None:
    return accounts.authenticate_token(ctx, token)


def allows(actor: Actor, permission: str, workspace_id: str | None) -> bool:
    """``permission`` is ``AUTHENTICATED`` or a ``Permission`` value (``requires`` checked it when
    the route was defined, so an unknown name cannot get here)."""
    if permission == AUTHENTICATED:
        return True
    return actor.can(Permission(permission), workspace_id)


def actor_id(actor: Actor) -> str:
    return actor.user_id


@dataclass(frozen=True, slots=True)
class SignIn:
    """The outcome of a password sign-in."""

    actor: Actor | None
    throttled: bool = False
    message: str = ""


def authenticate(ctx: AppContext, email: str, password: str, ip: str) -> SignIn:
    if accounts.is_throttled(ctx, email=email, ip=ip):
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
