"""The audit ledger for people: browse entries, verify, prove an entry's inclusion."""

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
from civicflow.ledger import (
    Checkpoint,
    InclusionProof,
    LedgerEntry,
    Problem,
    TreeHead,
    VerificationReport,
    read_tree_head,
    verify_inclusion_proof,
)

__all__ = [
    "Checkpoint",
    "InclusionProof",
    "LedgerEntry",
    "Problem",
    "TreeHead",
    "VerificationReport",
    "check_states",
    "count_entries",
    "get_entry",
    "history",
    "inclusion_proof",
    "latest_checkpoint",
    "list_checkpoints",
    "list_entries",
    "published_head",
    "read_tree_head",
    "verify",
    "verify_inclusion_proof",
    "write_checkpoint",
]
