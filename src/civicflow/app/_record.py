"""Write the ledger entry for a change inside the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from civicflow.app._context import AppContext
from civicflow.app._roles import Actor
from civicflow.ledger import LedgerEntry, state_digest


def record(
    ctx: AppContext,
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    workspace_id: str | None,
    before: Any = None,
    after: Any = None,
    after_digest: str | None = None,
    reason: str | None = None,
) -> LedgerEntry:
    # flush first so a constraint violation surfaces before the entry is written
    session.flush()
    return ctx.ledger.append(
        session.connection(),
        actor=actor.pseudonym,
        role=actor.role_in(workspace_id),
        action=action,
        object_type=object_type,
        object_id=object_id,
        workspace_id=workspace_id,
        before_digest=state_digest(before),
        after_digest=after_digest if after_digest is not None else state_digest(after),
        reason=reason,
    )
