"""``civicflow users ...``: accounts and workspace roles, managed on the server.

Who acts: the create-admin command runs as ``system`` (there is no admin yet). Every other change
runs as the *server operator*: the account of the operating-system login running the command (the
same account ``civicflow ingest`` acts as), with a global admin's authority. The authority is what
the command line has anyway (whoever runs it can reach the database directly); the account is the
honest attribution, so the ledger names the person at the terminal, never an admin who did not act.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from civicflow.cli._output import echo_result, table
from civicflow.core import InputError, Location, get_settings

if TYPE_CHECKING:
    from civicflow.app import Actor, AppContext
    from civicflow.app.accounts import User

app = typer.Typer(
    help="Accounts: create users and admins, grant and revoke roles, sign out, erase a person."
)

EmailOpt = Annotated[str, typer.Option("--email", help="The person's e-mail address")]
ReasonOpt = Annotated[
    str | None, typer.Option("--reason", help="Why, written to the audit ledger entry")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON")]
WorkspaceOpt = Annotated[str, typer.Option("--workspace", help="Workspace id or name")]
PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input")
]
DisplayNameOpt = Annotated[str, typer.Option(help="Name shown in the workbench")]


@dataclass(frozen=True, slots=True)
class Operator:
    """An open application context and the server operator acting in it."""

    ctx: AppContext
    actor: Actor

    def user_by_email(self, email: str) -> User:
        from civicflow.app import accounts

        return accounts.find_user(self.ctx, actor=self.actor, email=email)

    def user_in(self, email: str, workspace: str) -> tuple[User, str]:
        """The user with this e-mail and the id of the workspace named (or id'd) ``workspace``."""
        return self.user_by_email(email), self.workspace_id(workspace)

    def workspace_id(self, ref: str) -> str:
        """A workspace id from its id or its name."""
        from civicflow.app import workspaces

        return workspaces.find_workspace(self.ctx, actor=self.actor, ref=ref).id


@contextmanager
def migrated_app() -> Iterator[AppContext]:
    """The application database, which must be migrated (`civicflow db upgrade`)."""
    from civicflow.app import open_app

    ctx = open_app(settings=get_settings(), require_migrated=True)
    try:
        yield ctx
    finally:
        ctx.close()


@contextmanager
def server_operator() -> Iterator[Operator]:
    """The application database (migrated) and the operator's account as a global admin."""
    import dataclasses

    from civicflow.app import operator_actor

    with migrated_app() as ctx:
        actor, _created = operator_actor(ctx)
        yield Operator(ctx, dataclasses.replace(actor, is_admin=True))


def command_reason(command: str, reason: str | None) -> str:
    base = f"`civicflow {command}` by the server operator"
    return f"{base}: {reason}" if reason else base


def read_password(*, stdin: bool, field: str = "password") -> str:
    """The password from standard input or a hidden prompt, never an option (options end up in
    shell history and process lists)."""
    from civicflow.app import accounts

    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise InputError(
            "no password given",
            where=Location(field=field),
            expected=f"at least {accounts.MIN_PASSWORD_LENGTH} characters",
            fix="echo the password into `--password-stdin`, or leave it out to be prompted",
        )
    return password


def _echo_user(user: User, as_json: bool, verb: str) -> None:
    text = f"{verb} {user.contact} (id {user.id}, pseudonym {user.pseudonym})"
    echo_result(user.to_dict(), as_json=as_json, text=text)


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="The admin's e-mail address (their sign-in name)")],
    display_name: DisplayNameOpt = "Administrator",
    password_stdin: PasswordStdinOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the new user as JSON")] = False,
) -> None:
    """Create a global admin. The password is read from stdin or prompted for, never an option
    (options end up in shell history and process lists)."""
    from civicflow.app import accounts

    password = read_password(stdin=password_stdin)
    with migrated_app() as ctx:
        user = accounts.create_admin(ctx, email=email, password=password, display_name=display_name)
    _echo_user(user, as_json, "created admin")


@app.command("create")
def create_user(
    email: EmailOpt,
    display_name: DisplayNameOpt,
    password_stdin: PasswordStdinOpt = False,
    no_password: Annotated[
        bool,
        typer.Option(
            "--no-password", help="No local password: the person signs in through OpenID Connect"
        ),
    ] = False,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user (no role yet: grant one with `civicflow users grant`). The password is read
    from stdin or prompted for."""
    from civicflow.app import accounts

    password = None if no_password else read_password(stdin=password_stdin)
    with server_operator() as op:
        user = accounts.create_user(
            op.ctx, actor=op.actor, email=email, display_name=display_name, password=password,
            reason=command_reason("users create", reason),
        )  # fmt: skip
    _echo_user(user, as_json, "created")


@app.command("grant")
def grant(
    email: EmailOpt,
    workspace: WorkspaceOpt,
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="admin, service_owner, analyst, dpo, auditor, caseworker, viewer or data_steward",
        ),
    ],
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a user a role in a workspace (replacing the role they had there)."""
    from civicflow.app import accounts

    with server_operator() as op:
        user, ws = op.user_in(email, workspace)
        updated = accounts.grant_role(
            op.ctx, actor=op.actor, workspace_id=ws, user_id=user.id, role=role,
            reason=command_reason("users grant", reason),
        )  # fmt: skip
    text = f"{updated.email} is now {updated.roles[ws].value} in workspace {ws}"
    echo_result(updated.to_dict(), as_json=as_json, text=text)


@app.command("revoke-role")
def revoke_role(
    email: EmailOpt,
    workspace: WorkspaceOpt,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take away a user's role in a workspace."""
    from civicflow.app import accounts

    with server_operator() as op:
        user, ws = op.user_in(email, workspace)
        accounts.revoke_role(
            op.ctx, actor=op.actor, workspace_id=ws, user_id=user.id,
            reason=command_reason("users revoke-role", reason),
        )  # fmt: skip
    data = {"user_id": user.id, "workspace_id": ws, "role": None}
    echo_result(data, as_json=as_json, text=f"{user.email} has no role in workspace {ws} any more")


@app.command("erase")
def erase(
    email: EmailOpt,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Erase a person's identifying data (a data-subject request): e-mail, name, password, sign-in
    links, API tokens and roles go; the pseudonym stays, so the ledger keeps its history without
    naming anyone."""
    from civicflow.app import accounts

    with server_operator() as op:
        user = op.user_by_email(email)
        if not yes:
            typer.confirm(
                f"Erase {user.email} ({user.display_name})? This cannot be undone", abort=True
            )
        erased = accounts.erase_user(
            op.ctx, actor=op.actor, user_id=user.id, reason=command_reason("users erase", reason)
        )
    _echo_user(erased, as_json, "erased")


@app.command("sign-out")
def sign_out(email: EmailOpt, reason: ReasonOpt = None, as_json: JsonOpt = False) -> None:
    """End every workbench session of a user at once (a lost laptop, a cookie that may have
    leaked): each browser must sign in again. API tokens stay: revoke them with `tokens revoke`."""
    from civicflow.app import accounts

    with server_operator() as op:
        user = op.user_by_email(email)
        ended = accounts.sign_out_everywhere(
            op.ctx, actor=op.actor, user_id=user.id,
            reason=command_reason("users sign-out", reason),
        )  # fmt: skip
    text = f"signed {user.email} out everywhere ({ended} session(s) ended)"
    echo_result({"user_id": user.id, "sessions_ended": ended}, as_json=as_json, text=text)


@app.command("list")
def list_users(
    as_json: Annotated[bool, typer.Option("--json", help="Print users as JSON lines")] = False,
) -> None:
    """List every account with its roles."""
    from civicflow.app import SYSTEM, accounts

    with migrated_app() as ctx:
        users = accounts.list_users(ctx, actor=SYSTEM)
    if as_json:
        typer.echo(json.dumps([u.to_dict() for u in users]))
        return
    table(
        Console(),
        f"{len(users)} user(s)",
        ("e-mail", "name", "admin", "active", "roles", "pseudonym"),
        (
            (
                u.contact,
                u.display_name,
                "yes" if u.is_admin else "",
                "yes" if u.is_active else "no",
                ", ".join(f"{ws}: {r.value}" for ws, r in u.roles.items()),
                u.pseudonym,
            )
            for u in users
        ),
    )
