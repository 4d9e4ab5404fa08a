"""Reading and verifying the audit ledger, with role checks."""

from __future__ import annotations

from civicflow.app._context import AppContext
from civicflow.app._roles import Actor, Permission
from civicflow.core import Location, PermissionDeniedError
from civicflow.ledger import (
    Checkpoint,
    InclusionProof,
    LedgerEntry,
    VerificationReport,
)


def _readable(actor: Actor) -> list[str] | None:
    """Workspaces whose entries the actor may read; ``None`` means all (global admins)."""
    if actor.can(Permission.LEDGER_READ):
        return None
    return [ws for ws in actor.roles if actor.can(Permission.LEDGER_READ, ws)]


def list_entries(
    ctx: AppContext,
    *,
    actor: Actor,
    limit: int = 50,
    offset: int = 0,
    workspace_id: str | None = None,
) -> list[LedgerEntry]:
    """Entries newest first: all for global admins, else those of the workspaces where the actor
    holds LEDGER_READ (or of ``workspace_id`` only)."""
    if workspace_id is not None:
        actor.require(Permission.LEDGER_READ, workspace_id)
        scope: list[str] | None = [workspace_id]
    else:
        scope = _readable(actor)
        if scope is not None and not scope:
            actor.require(Permission.LEDGER_READ)
    limit = max(1, min(int(limit), 1000))
    with ctx.engine.connect() as conn:
        return ctx.ledger.entries(
            conn, limit=limit, offset=max(0, int(offset)), workspace_ids=scope
        )


def history(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    object_type: str,
    object_id: str,
    limit: int = 200,
) -> list[LedgerEntry]:
    """An object's history (e.g. an objective's create/update/measure entries), oldest first.

    Anyone who may read the workspace may see who changed its items and when: the entries carry
    pseudonyms and digests only.
    """
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.engine.connect() as conn:
        return ctx.ledger.entries(
            conn,
            limit=max(1, min(int(limit), 1000)),
            workspace_ids=[workspace_id],
            object_type=object_type,
            object_id=object_id,
            newest_first=False,
        )


def count_entries(ctx: AppContext, *, actor: Actor) -> int:
    if not actor.can_anywhere(Permission.LEDGER_READ):
        actor.require(Permission.LEDGER_READ)
    with ctx.engine.connect() as conn:
        return ctx.ledger.size(conn)


def get_entry(ctx: AppContext, *, actor: Actor, entry_index: int) -> LedgerEntry:
    with ctx.engine.connect() as conn:
        entry = ctx.ledger.entry(conn, entry_index)
    _require_entry_access(actor, entry)
    return entry


def _require_entry_access(actor: Actor, entry: LedgerEntry) -> None:
    if actor.can(Permission.LEDGER_READ):
        return
    if entry.workspace_id is None or not actor.can(Permission.LEDGER_READ, entry.workspace_id):
        raise PermissionDeniedError(
            f"{actor.pseudonym} may not read ledger entry {entry.index}",
            where=Location(field="entry_index"),
            found=f"entry of workspace {entry.workspace_id or '(global)'}",
            expected="LEDGER_READ in the entry's workspace (auditor, DPO, service owner, admin)",
            fix="ask a workspace admin for the auditor role",
        )


def verify(
    ctx: AppContext, *, actor: Actor, trusted_public_key: bytes | None = None
) -> VerificationReport:
    """Verify the whole ledger (any actor holding LEDGER_VERIFY in some workspace)."""
    if not actor.can_anywhere(Permission.LEDGER_VERIFY):
        actor.require(Permission.LEDGER_VERIFY)
    with ctx.engine.connect() as conn:
        return ctx.ledger.verify(conn, trusted_public_key=trusted_public_key)


def inclusion_proof(
    ctx: AppContext, *, actor: Actor, entry_index: int, checkpoint_id: int | None = None
) -> InclusionProof:
    """The audit path of an entry against the latest checkpoint covering it."""
    entry = get_entry(ctx, actor=actor, entry_index=entry_index)
    with ctx.engine.connect() as conn:
        return ctx.ledger.inclusion_proof(conn, entry.index, checkpoint_id=checkpoint_id)


def list_checkpoints(ctx: AppContext, *, actor: Actor) -> list[Checkpoint]:
    if not actor.can_anywhere(Permission.LEDGER_READ):
        actor.require(Permission.LEDGER_READ)
    with ctx.engine.connect() as conn:
        return ctx.ledger.checkpoints(conn)


def write_checkpoint(ctx: AppContext, *, actor: Actor) -> Checkpoint:
    """Checkpoint the ledger now (global admins and the operator's command line)."""
    actor.require(Permission.USER_ADMIN)
    with ctx.engine.begin() as conn:
        return ctx.ledger.checkpoint(conn)
