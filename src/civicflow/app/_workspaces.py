"""Workspaces in the application database, each pointing at an event-store folder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from civicflow.app._context import AppContext
from civicflow.app._models import MembershipRow, UserRow, WorkspaceRow, get_row
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission, Role
from civicflow.core import (
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    Record,
    check_name,
    new_id,
    utcnow,
)
from civicflow.eventlog import EventStore


@dataclass(frozen=True, slots=True, kw_only=True)
class Workspace(Record):
    """A workspace: a name, its event-store folder, and the asking actor's role in it."""

    _json = True

    id: str
    name: str
    path: Path
    created_at: datetime
    created_by: str
    role: Role | None = None

    def store(self) -> EventStore:
        """The event store (datasets and baselines) in the workspace folder."""
        return EventStore.open(self.path)


def _public(row: WorkspaceRow, actor: Actor) -> Workspace:
    return Workspace(
        id=row.id,
        name=row.name,
        path=Path(row.path),
        created_at=row.created_at,
        created_by=row.created_by,
        role=actor.roles.get(row.id),
    )


def _state(row: WorkspaceRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "path": row.path}


def create_workspace(
    ctx: AppContext,
    *,
    actor: Actor,
    name: str,
    path: Path | str | None = None,
    reason: str | None = None,
) -> Workspace:
    """Create a workspace and its event-store folder (default ``<home>/workspaces/<name>``).

    Only global admins create workspaces; the creator becomes the workspace's admin.
    """
    actor.require(Permission.USER_ADMIN)
    try:
        check_name(name, kind="workspace name")
    except InputError as exc:
        raise InputError(
            exc.what,
            where=Location(field="name"),
            found=exc.found,
            expected=exc.expected,
            fix=exc.fix,
        ) from exc
    folder = Path(path) if path is not None else ctx.settings.home / "workspaces" / name
    folder = folder.resolve()
    with ctx.session() as s:
        if s.scalar(select(WorkspaceRow.id).where(WorkspaceRow.name == name)) is not None:
            raise ConflictError(
                f"a workspace named '{name}' already exists",
                where=Location(field="name"),
                found=name,
                fix="choose another name",
            )
        if s.scalar(select(WorkspaceRow.id).where(WorkspaceRow.path == str(folder))) is not None:
            raise ConflictError(
                f"another workspace already uses the folder {folder}",
                where=Location(field="path"),
                found=str(folder),
                fix="choose another folder",
            )
        row = WorkspaceRow(
            id=new_id("ws_"),
            name=name,
            path=str(folder),
            created_at=utcnow(),
            created_by=actor.pseudonym,
        )
        s.add(row)
        s.flush()
        if s.get(UserRow, actor.user_id) is not None:
            s.add(
                MembershipRow(
                    workspace_id=row.id,
                    user_id=actor.user_id,
                    role=Role.ADMIN.value,
                    granted_at=utcnow(),
                )
            )
        record(
            ctx,
            s,
            actor=actor,
            action="workspace.create",
            object_type="workspace",
            object_id=row.id,
            workspace_id=row.id,
            after=_state(row),
            reason=reason,
        )
        # Last, so a failed database write leaves no folder; an existing store is adopted.
        EventStore.create(folder, name=name)
        roles = dict(actor.roles)
        if s.get(UserRow, actor.user_id) is not None:
            roles[row.id] = Role.ADMIN
        return Workspace(
            id=row.id,
            name=row.name,
            path=folder,
            created_at=row.created_at,
            created_by=row.created_by,
            role=roles.get(row.id),
        )


def list_workspaces(ctx: AppContext, *, actor: Actor) -> list[Workspace]:
    """The workspaces the actor can read (all of them for global admins)."""
    with ctx.read_session() as s:
        rows = s.scalars(select(WorkspaceRow).order_by(WorkspaceRow.name)).all()
        return [_public(r, actor) for r in rows if actor.can(Permission.WORKSPACE_READ, r.id)]


def get_workspace(ctx: AppContext, *, actor: Actor, workspace_id: str) -> Workspace:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        return _public(require_workspace_row(s, workspace_id), actor)


def find_workspace(ctx: AppContext, *, actor: Actor, ref: str) -> Workspace:
    """The workspace whose id or name is ``ref``, among those the actor can read."""
    with ctx.read_session() as s:
        row = s.get(WorkspaceRow, ref) or s.scalar(
            select(WorkspaceRow).where(WorkspaceRow.name == ref)
        )
        if row is None or not actor.can(Permission.WORKSPACE_READ, row.id):
            raise NotFoundError(
                f"no workspace '{ref}' that you can see",
                where=Location(field="workspace"),
                found=ref,
                expected="a workspace id (ws_...) or name",
                fix="the workbench's home page lists the workspaces you can see; "
                "`civicflow ingest` registers a folder as a workspace",
            )
        return _public(row, actor)


def require_workspace_row(session: Any, workspace_id: str) -> WorkspaceRow:
    return get_row(
        session, WorkspaceRow, workspace_id, what=f"no workspace {workspace_id}",
        field="workspace_id",
        fix="list the workspaces you can see with civicflow.app.workspaces.list_workspaces",
    )  # fmt: skip
