"""The audit ledger for people: browse entries, verify, prove an entry's inclusion.

The types these return (``LedgerEntry``, ``VerificationReport``, ...) are :mod:`civicflow.ledger`'s."""

from civicflow.app._audit import (
    check_states,
    count_entries,
    get_entry,
    history,
    inclusion_proof,
    latest_checkpoint,
    list_checkpoints,
    list_entries,
    published_head,
    verify,
    write_checkpoint,
)

__all__ = [
    "check_states",
    "count_entries",
    "get_entry",
    "history",
    "inclusion_proof",
    "latest_checkpoint",
    "list_checkpoints",
    "list_entries",
    "published_head",
    "verify",
    "write_checkpoint",
]
