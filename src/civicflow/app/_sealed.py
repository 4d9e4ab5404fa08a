"""Personal fields sealed in the ledger's digests, and crypto-shredding them.

The ledger keeps SHA-256 digests of each object's before/after state, never the state. A digest
over a stakeholder's name would still let anyone holding the ledger and a guess confirm the guess,
after the person was erased too. So in the state that is digested, each field of
:data:`SEALED_FIELDS` is replaced by its seal: ``sealed:`` and HMAC-SHA-256 under a random key of
that record alone (:class:`PrivacySealKeyRow`, the key itself encrypted at rest). ``record``
digests sealed states and ``verify`` computes the current rows' digests the same way, so the
ledger verifies as before. Erasing or deleting the record deletes its key (:func:`shred`): the
entries stay, every hash and the chain unchanged, but no one — the key ring's holder included —
can link them to a value any more. A record written before sealing existed has no key: its
digests are taken over the clear state, as its entries were.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from sqlalchemy.orm import Session

from civicflow.app._models import PrivacySealKeyRow
from civicflow.core import utcnow

SEALED_FIELDS: dict[str, tuple[str, ...]] = {
    "stakeholder": ("name", "organisation", "notes"),
    "consultation": ("summary", "outcome"),
    "rule_decision": ("inputs",),
}
"""Object types (ledger ``object_type``) and the fields of their state that are sealed."""


def _key(session: Session, object_type: str, object_id: str, *, create: bool) -> bytes | None:
    row = session.get(PrivacySealKeyRow, (object_type, object_id))
    if row is None:
        if not create:
            return None
        key = secrets.token_bytes(32)
        session.add(
            PrivacySealKeyRow(
                object_type=object_type, object_id=object_id,
                key=base64.b64encode(key).decode(), created_at=utcnow(),
            )
        )  # fmt: skip
        session.flush()
        return key
    return base64.b64decode(row.key)


def seal(key: bytes, field: str, value: Any) -> str:
    """``value``'s seal under ``key`` (a document sealed as its canonical JSON)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    digest = hmac.new(key, f"{field}\0{text}".encode(), hashlib.sha256).digest()
    return "sealed:" + base64.b32encode(digest).decode()[:32].lower()


def sealed_state(
    session: Session, object_type: str, object_id: str, state: Any, *, create: bool = True
) -> Any:
    """``state`` as the ledger digests it: its personal fields sealed under the record's key
    (made now when ``create``; without a key and ``create`` false, the clear state: a record
    last written before sealing)."""
    fields = SEALED_FIELDS.get(object_type)
    if not fields or not isinstance(state, dict):
        return state
    key = _key(session, object_type, object_id, create=create)
    if key is None:
        return state
    return {k: seal(key, k, v) if k in fields and v not in (None, "", {}) else v
            for k, v in state.items()}  # fmt: skip


def shred(session: Session, object_type: str, object_id: str) -> bool:
    """Delete the record's sealing key (its past entries become unlinkable); True if it had one."""
    row = session.get(PrivacySealKeyRow, (object_type, object_id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
