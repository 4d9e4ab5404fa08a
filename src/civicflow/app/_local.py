"""The command line's actor: the operating-system user, as an account of the application database.

The command line changes state through the same use cases as the web, so it needs an actor with
a role. ``local_operator`` finds (or creates) one account per operating-system login, and
registers a workspace folder the first time a command acts on it, with that operator as its
admin. The account is attribution, not authentication: whoever can run the command line can
reach the database directly anyway. What it buys is that every change made from a terminal is in
the ledger under a pseudonym, and that a folder registered by someone else is governed by the
roles its admins granted.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from civicflow.app._accounts import (
    OS_LOGIN_ISSUER,
    _new_user_row,
    _record_user,
    get_actor,
    grant_role,
)
from civicflow.app._context import AppContext, migration_status, open_app, upgrade_database
from civicflow.app._models import UserRow, WorkspaceRow
from civicflow.app._record import record
from civicflow.app._roles import ROLE_PERMISSIONS, SYSTEM, Actor, Permission, Role
from civicflow.app._workspaces import create_workspace
from civicflow.core import (
    ConfigurationError,
    ConflictError,
    InputError,
    Location,
    PermissionDeniedError,
    Settings,
    check_name,
    get_settings,
)
from civicflow.ledger import LedgerEntry

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalOperator:
    """Who the command line acts as, and in which registered workspace."""

    actor: Actor
    workspace_id: str
    workspace_name: str
    workspace_path: Path
    login: str
    account_created: bool
    workspace_registered: bool
    """True when this call registered the folder (and made the operator its admin)."""

    @property
    def role(self) -> Role | None:
        return self.actor.roles.get(self.workspace_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor.pseudonym,
            "user_id": self.actor.user_id,
            "login": self.login,
            "role": self.actor.role_in(self.workspace_id),
            "workspace_id": self.workspace_id,
            "workspace_name": self.workspace_name,
            "workspace_path": str(self.workspace_path),
            "account_created": self.account_created,
            "workspace_registered": self.workspace_registered,
        }


def os_login() -> str:
    """The operating system's name for the user running this process."""
    try:
        login = getpass.getuser()
    except (OSError, KeyError):  # a container user with no passwd entry and no LOGNAME
        login = ""
    if not login and hasattr(os, "getuid"):
        login = f"uid-{os.getuid()}"
    return login[:255] or "unknown"


def open_local_app(*, settings: Settings | None = None) -> AppContext:
    """The application database named by the settings, migrated on first use.

    An empty database (no tables at all) is migrated here, with the same code as
    ``civicflow db upgrade``: there is nothing to lose, and a first ``civicflow ingest`` should
    just work. A database at an older revision is refused: upgrading a schema other servers may
    be running against is the operator's decision (``civicflow db upgrade``), not a side effect.
    """
    ctx = open_app(settings=settings or get_settings())
    try:
        status = migration_status(ctx.engine)
        if status.current is None and not inspect(ctx.engine).get_table_names():
            upgrade_database(ctx.engine)
            ctx.created_database = True
        elif not status.up_to_date:
            raise ConfigurationError(
                "the application database is not at this version's schema",
                where=Location(field="database_url"),
                found=f"schema revision {status.current or 'none (foreign tables)'} at "
                f"{status.url}",
                expected=f"revision {status.head}",
                fix="run `civicflow db upgrade` (with the same CIVICFLOW_HOME / "
                "CIVICFLOW_DATABASE_URL), then run the command again",
            )
    except BaseException:
        ctx.close()
        raise
    return ctx


def _find_operator(ctx: AppContext, login: str) -> UserRow | None:
    with ctx.read_session() as s:
        return s.scalar(
            select(UserRow).where(
                UserRow.oidc_issuer == OS_LOGIN_ISSUER, UserRow.oidc_subject == login
            )
        )


def _create_operator(ctx: AppContext, login: str) -> None:
    with ctx.session() as s:
        # no password: it cannot sign in to the web, it exists for attribution
        row = _new_user_row(
            s, email=None, display_name=f"{login} (command line)"[:200], password=None,
            is_admin=False, oidc_issuer=OS_LOGIN_ISSUER, oidc_subject=login,
        )  # fmt: skip
        _record_user(
            ctx, s, row, actor=SYSTEM, action="user.create",
            reason="operator account for the command line",
        )  # fmt: skip


def operator_actor(ctx: AppContext, *, login: str | None = None) -> tuple[Actor, bool]:
    """The actor for an operating-system login (default: this process's), creating its account
    on first use. Returns the actor and whether the account was created now."""
    login = login or os_login()
    row = _find_operator(ctx, login)
    created = False
    if row is None:
        try:
            _create_operator(ctx, login)
            created = True
        except IntegrityError:  # another process created it between our read and our write
            pass
        row = _find_operator(ctx, login)
        assert row is not None
    return get_actor(ctx, row.id), created  # refuses a deactivated account


def _registered(ctx: AppContext, folder: Path) -> WorkspaceRow | None:
    with ctx.read_session() as s:
        return s.scalar(select(WorkspaceRow).where(WorkspaceRow.path == str(folder)))


def _free_name(ctx: AppContext, folder: Path) -> str:
    """The folder's workspace name (from ``workspace.json``, else the folder name), made valid
    and unique: ``permits``, then ``permits-2``, ``permits-3``…"""
    wanted = folder.name
    meta = folder / "workspace.json"
    if meta.exists():
        with contextlib.suppress(OSError, ValueError):  # an unreadable file: the folder name
            wanted = str(json.loads(meta.read_text()).get("name") or wanted)
    base = _UNSAFE.sub("-", wanted).strip("-.")[:56] or "workspace"
    try:
        check_name(base, kind="workspace name")
    except InputError:
        base = f"ws-{base}"[:56]
    with ctx.read_session() as s:
        taken = set(s.scalars(select(WorkspaceRow.name)))
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def _register_contents(ctx: AppContext, workspace_id: str, folder: Path, *, reason: str) -> None:
    """A folder registered with datasets and baselines already in it (made by another database's
    command line, or the demo's workbench): each is recorded as found (``dataset.register``,
    ``baseline.register``), with the state the ledger checks it against from now on; one that
    cannot be read is left for verification to name."""
    from civicflow.app._audit import folder_states

    found = [obj for obj in folder_states(workspace_id, folder) if obj.digest is not None]
    if not found:
        return
    with ctx.session() as s:
        for obj in found:
            record(
                ctx, s, actor=SYSTEM, action=f"{obj.object_type}.register",
                object_type=obj.object_type, object_id=obj.object_id, workspace_id=workspace_id,
                after_digest=obj.digest, reason=f"{reason}: found in the folder",
            )  # fmt: skip


def local_operator(
    ctx: AppContext,
    *,
    workspace_path: Path | str,
    permission: Permission | None = None,
    login: str | None = None,
    command: str = "the command line",
) -> LocalOperator:
    """The command line's actor and the registered workspace of ``workspace_path``.

    (1) The account of the operating-system login (``login``, default this process's) is found
    or created (ledger ``user.create`` by ``system``). (2) A folder no workspace points at is
    registered through :func:`~civicflow.app.workspaces.create_workspace` (ledger
    ``workspace.create``) and the operator is made its admin (``role.grant``). (3) With
    ``permission``, the operator must hold it there: :class:`PermissionDeniedError` otherwise,
    naming the account to grant a role to.
    """
    folder = Path(workspace_path).resolve()
    actor, account_created = operator_actor(ctx, login=login)
    login = login or os_login()
    row = _registered(ctx, folder)
    registered_now = False
    if row is None:
        reason = f"registered by {command} for {actor.pseudonym}"
        try:
            ws = create_workspace(
                ctx, actor=SYSTEM, name=_free_name(ctx, folder), path=folder, reason=reason
            )
            grant_role(
                ctx, actor=SYSTEM, workspace_id=ws.id, user_id=actor.user_id, role=Role.ADMIN,
                reason=reason,
            )  # fmt: skip
            _register_contents(ctx, ws.id, folder, reason=reason)
            registered_now = True
        except ConflictError:  # another process registered the folder (or took the name) first
            if _registered(ctx, folder) is None:
                raise
        row = _registered(ctx, folder)
        assert row is not None
        actor = get_actor(ctx, actor.user_id)  # now with its role in the workspace
    operator = LocalOperator(
        actor=actor,
        workspace_id=row.id,
        workspace_name=row.name,
        workspace_path=folder,
        login=login,
        account_created=account_created,
        workspace_registered=registered_now,
    )
    if permission is not None and not actor.can(permission, row.id):
        _refuse(operator, permission)
    return operator


def _refuse(operator: LocalOperator, permission: Permission) -> None:
    holders = sorted(r.value for r, perms in ROLE_PERMISSIONS.items() if permission in perms)
    role = operator.role
    raise PermissionDeniedError(
        f"the command-line operator '{operator.login}' ({operator.actor.pseudonym}) may not do "
        f"'{permission.value}' in workspace '{operator.workspace_name}'",
        where=Location(file=str(operator.workspace_path), field="actor"),
        found=f"role {role.value}" if role else "no role in this workspace",
        expected=f"one of the roles: {', '.join(holders)}",
        fix=f"ask an admin of workspace '{operator.workspace_name}' ({operator.workspace_id}) to "
        f"grant user {operator.actor.user_id} one of those roles "
        "(civicflow.app.accounts.grant_role)",
    )


def latest_entry(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    action: str,
    object_type: str,
    object_id: str,
) -> LedgerEntry | None:
    """The newest entry ``actor`` wrote for ``action`` on one object: the receipt a command
    prints after a use case (which returns the changed object, not its entry). An actor may
    always see its own receipt, so no ledger-reading role is needed."""
    with ctx.engine.connect() as conn:
        entries = ctx.ledger.entries(
            conn, limit=50, workspace_ids=[workspace_id], object_type=object_type,
            object_id=object_id,
        )  # fmt: skip
    return next((e for e in entries if e.action == action and e.actor == actor.pseudonym), None)
