"""``civicflow users create-admin|list``: accounts managed by the operator on the server."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from civicflow.core import InputError, Location, get_settings

app = typer.Typer(help="Accounts: create the first admin, list users.")


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="The admin's e-mail address (their sign-in name)")],
    display_name: Annotated[
        str, typer.Option(help="Name shown in the workbench")
    ] = "Administrator",
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input"),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the new user as JSON")] = False,
) -> None:
    """Create a global admin. The password is read from stdin or prompted for, never an option
    (options end up in shell history and process lists)."""
    from civicflow.app import accounts, open_app

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise InputError(
            "no password given",
            where=Location(field="password"),
            expected=f"at least {accounts.MIN_PASSWORD_LENGTH} characters",
            fix="echo the password into `--password-stdin`, or leave it out to be prompted",
        )
    ctx = open_app(settings=get_settings(), require_migrated=True)
    try:
        user = accounts.create_admin(ctx, email=email, password=password, display_name=display_name)
    finally:
        ctx.close()
    if as_json:
        typer.echo(json.dumps(user.to_dict()))
    else:
        typer.echo(f"created admin {user.email} (id {user.id}, pseudonym {user.pseudonym})")


@app.command("list")
def list_users(
    as_json: Annotated[bool, typer.Option("--json", help="Print users as JSON lines")] = False,
) -> None:
    """List every account with its roles."""
    from civicflow.app import SYSTEM, accounts, open_app

    ctx = open_app(settings=get_settings(), require_migrated=True)
    try:
        users = accounts.list_users(ctx, actor=SYSTEM)
    finally:
        ctx.close()
    if as_json:
        typer.echo(json.dumps([u.to_dict() for u in users]))
        return
    table = Table(title=f"{len(users)} user(s)")
    for col in ("e-mail", "name", "admin", "active", "roles", "pseudonym"):
        table.add_column(col)
    for u in users:
        table.add_row(
            u.email or "(erased)",
            u.display_name,
            "yes" if u.is_admin else "",
            "yes" if u.is_active else "no",
            ", ".join(f"{ws}: {r.value}" for ws, r in u.roles.items()),
            u.pseudonym,
        )
    Console().print(table)
