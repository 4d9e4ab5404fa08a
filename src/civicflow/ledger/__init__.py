"""The tamper-evident audit ledger.

A Merkle tree log in the spirit of RFC 9162 (leaf hash = SHA-256(0x00 || entry bytes), node hash =
SHA-256(0x01 || left || right)) whose entries are canonical JSON rows in the application database,
with checkpoints (tree size, root hash, time) signed with Ed25519 and the latest signed tree
head published to a file outside the database (:func:`publish_tree_head`). Entries name people by
pseudonym only. :class:`Ledger` appends within the caller's transaction, verifies everything, and
proves an entry's inclusion; :func:`verify_inclusion_proof` checks a proof with hashes alone.
"""

from civicflow.ledger import _tables as tables
from civicflow.ledger._canonical import canonical_json, state_digest
from civicflow.ledger._ledger import (
    Checkpoint,
    InclusionProof,
    Ledger,
    LedgerEntry,
    Problem,
    VerificationReport,
    create_tables,
    verify_inclusion_proof,
)
from civicflow.ledger._merkle import (
    EMPTY_ROOT,
    Frontier,
    TreeCache,
    consistency_proof,
    inclusion_path,
    leaf_hash,
    node_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)
from civicflow.ledger._signing import (
    Signer,
    key_fingerprint,
    load_public_key,
    verify_signature,
    write_new_key,
)
from civicflow.ledger._treehead import (
    TREE_HEAD_FORMAT,
    TreeHead,
    check_tree_head_file,
    checkpoint_statement,
    publish_tree_head,
    read_tree_head,
    tree_head_from_json,
)

__all__ = [
    "EMPTY_ROOT",
    "TREE_HEAD_FORMAT",
    "Checkpoint",
    "Frontier",
    "InclusionProof",
    "Ledger",
    "LedgerEntry",
    "Problem",
    "Signer",
    "TreeCache",
    "TreeHead",
    "VerificationReport",
    "canonical_json",
    "check_tree_head_file",
    "checkpoint_statement",
    "consistency_proof",
    "create_tables",
    "inclusion_path",
    "key_fingerprint",
    "leaf_hash",
    "load_public_key",
    "node_hash",
    "publish_tree_head",
    "read_tree_head",
    "root_from_leaves",
    "state_digest",
    "tables",
    "tree_head_from_json",
    "verify_consistency",
    "verify_inclusion",
    "verify_inclusion_proof",
    "verify_signature",
    "write_new_key",
]
