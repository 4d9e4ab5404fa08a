"""``civicflow tokens create|list|revoke``: API tokens for the REST API, managed on the server.

The plaintext of a new token is printed once and never stored (only its SHA-256 is). The
application layer creates a token for the actor who asks, so ``create`` acts as the token's
owner: the ledger's ``token.create`` entry names that owner's pseudonym. Listing and revoking run
as the server operator (see :mod:`civicflow.cli._users`).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from civicflow.cli._output import echo_result
from civicflow.cli._users import ReasonOpt, command_reason, server_operator

if TYPE_CHECKING:
    from civicflow.app.accounts import ApiToken

app = typer.Typer(help="API tokens: create one for a user (shown once), list, revoke.")


@app.command("create")
def create(
    email: Annotated[str, typer.Option("--email", help="The token's owner (their e-mail)")],
    name: Annotated[str, typer.Option("--name", help="What the token is for")],
    scope: Annotated[
        list[str],
        typer.Option(
            "--scope",
            help="A permission the token may use (repeat for several), e.g. workspace:read; "
            "it never exceeds the owner's roles",
        ),
    ],
    expires_days: Annotated[
        int, typer.Option("--expires-days", min=1, max=3650, help="Days until the token expires")
    ] = 90,
    as_json: Annotated[bool, typer.Option("--json", help="Print token and record as JSON")] = False,
) -> None:
    """Create an API token for a user and print it once: it cannot be shown again."""
    from civicflow.app import accounts
    from civicflow.core import utcnow

    with server_operator() as op:
        owner = op.user_by_email(email)
        plaintext, token = accounts.create_api_token(
            op.ctx,
            actor=op.actor,
            owner=owner.id,
            name=name,
            scopes=scope,
            expires_at=utcnow() + timedelta(days=expires_days),
        )
    if as_json:
        typer.echo(json.dumps({"token": plaintext, **token.to_dict()}))
        return
    typer.echo(plaintext)
    Console(stderr=True).print(
        f"token {token.id} for {owner.email}, scopes {', '.join(sorted(token.scopes))}, "
        f"expires {token.expires_at:%Y-%m-%d}. Store it now: it is not shown again.",
        highlight=False,
    )


@app.command("list")
def list_tokens(
    email: Annotated[
        str | None, typer.Option("--email", help="Only this user's tokens (default: everyone's)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print tokens as JSON")] = False,
) -> None:
    """List API tokens (never their plaintext) with owner, scopes, expiry and state."""
    from civicflow.app import accounts

    with server_operator() as op:
        owners = [op.user_by_email(email)] if email else accounts.list_users(op.ctx, actor=op.actor)
        rows: list[tuple[str, ApiToken]] = [
            (u.contact, t)
            for u in owners
            for t in accounts.list_api_tokens(op.ctx, actor=op.actor, user_id=u.id)
        ]
    if as_json:
        typer.echo(json.dumps([{"owner": who, **t.to_dict()} for who, t in rows]))
        return
    table = Table(title=f"{len(rows)} token(s)")
    for col in ("id", "owner", "name", "scopes", "expires", "last used", "state"):
        table.add_column(col)
    for who, t in rows:
        state = "revoked" if t.revoked_at else ("active" if t.active else "expired")
        table.add_row(
            t.id,
            who,
            t.name,
            ", ".join(sorted(t.scopes)),
            f"{t.expires_at:%Y-%m-%d}",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "",
            state,
        )
    Console().print(table)


@app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (tok_..., from `tokens list`)")],
    reason: ReasonOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the token as JSON")] = False,
) -> None:
    """Revoke an API token: it stops working at once. Revoking twice changes nothing."""
    from civicflow.app import accounts

    with server_operator() as op:
        token = accounts.revoke_api_token(
            op.ctx, actor=op.actor, token_id=token_id,
            reason=command_reason("tokens revoke", reason),
        )  # fmt: skip
    echo_result(token.to_dict(), as_json=as_json, text=f"revoked {token.id} ({token.name})")
