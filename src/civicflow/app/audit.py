"""The audit ledger for people: browse entries, verify, prove an entry's inclusion."""

from civicflow.app._audit import (
    count_entries,
    get_entry,
    history,
    inclusion_proof,
    list_checkpoints,
    list_entries,
    verify,
    write_checkpoint,
)
from civicflow.ledger import (
    Checkpoint,
    InclusionProof,
    LedgerEntry,
    Problem,
    VerificationReport,
    verify_inclusion_proof,
)

__all__ = [
    "Checkpoint",
    "InclusionProof",
    "LedgerEntry",
    "Problem",
    "VerificationReport",
    "count_entries",
    "get_entry",
    "history",
    "inclusion_proof",
    "list_checkpoints",
    "list_entries",
    "verify",
    "verify_inclusion_proof",
    "write_checkpoint",
]
