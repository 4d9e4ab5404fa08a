"""Privacy with roles and the ledger: scanning datasets for personal data, the data steward's
column decisions (PRIVACY_DECIDE, ``privacy.decision``), pseudonymisation at ingest
(``assessment.ingest_dataset(..., protect=...)``: on by default when the key ring is configured;
``privacy.pseudonymise``), and re-identification through the vault (PRIVACY_REIDENTIFY,
``privacy.reidentify``).
"""

from civicflow.app._privacy import (
    ACTIONS,
    StoredDecision,
    decide_column,
    key_ring,
    list_decisions,
    protecting_transform,
    reidentify,
    scan_dataset,
    scan_file,
    scan_stored,
    store_vault,
)

__all__ = [
    "ACTIONS",
    "StoredDecision",
    "decide_column",
    "key_ring",
    "list_decisions",
    "protecting_transform",
    "reidentify",
    "scan_dataset",
    "scan_file",
    "scan_stored",
    "store_vault",
]
