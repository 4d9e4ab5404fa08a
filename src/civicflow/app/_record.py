"""Write the ledger entry for a change inside the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from civicflow.app._context import LEDGER_HEAD, AppContext
from civicflow.app._roles import Actor
from civicflow.app._sealed import SEALED_FIELDS, sealed_state, shred
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
    before_digest: str | None = None,
    after_digest: str | None = None,
    reason: str | None = None,
    shred_before: bool = False,
) -> LedgerEntry:
    """The one way the application writes a ledger entry: in ``session``'s transaction, with
    the states digested (or digests given, for file-backed objects), and the signed tree head
    handed to the session so :meth:`AppContext.session` publishes it once committed.

    The personal fields of a sealed object type (``app/_sealed.py``) are digested sealed under
    the record's key; ``shred_before`` (an erasure) deletes that key once the before-state is
    digested, so the record's earlier entries become unlinkable, and a removal (``after`` None)
    always does."""
    # flush first so a constraint violation surfaces before the entry is written
    session.flush()
    if object_type in SEALED_FIELDS:
        before = sealed_state(session, object_type, object_id, before)
        if shred_before or (after is None and after_digest is None):
            shred(session, object_type, object_id)
        if after is not None:
            after = sealed_state(session, object_type, object_id, after)
    conn = session.connection()
    entry = ctx.ledger.append(
        conn,
        actor=actor.pseudonym,
        role=actor.role_in(workspace_id),
        action=action,
        object_type=object_type,
        object_id=object_id,
        workspace_id=workspace_id,
        before_digest=before_digest if before_digest is not None else state_digest(before),
        after_digest=after_digest if after_digest is not None else state_digest(after),
        reason=reason,
    )
    session.info[LEDGER_HEAD] = ctx.ledger.take_head(conn)
    return entry
