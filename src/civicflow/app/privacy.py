"""Privacy with roles and the ledger: scanning datasets for personal data, the data steward's
column decisions (PRIVACY_DECIDE, ``privacy.decision``), pseudonymisation at ingest
(``assessment.ingest_dataset(..., protect=...)``: on by default when the key ring is configured;
``privacy.pseudonymise``), and re-identification through the vault (PRIVACY_REIDENTIFY,
``privacy.reidentify``), and differentially private releases of a process map within a privacy
budget per dataset (PRIVACY_RELEASE, ``privacy.release``).
"""

from civicflow.app._privacy import (
    ACTIONS,
    DEFAULT_BUDGET,
    StoredDecision,
    StoredRelease,
    decide_column,
    key_ring,
    list_decisions,
    list_releases,
    protecting_transform,
    publish_process_map,
    publish_variants,
    reidentify,
    scan_dataset,
    scan_file,
    scan_stored,
    store_vault,
)

__all__ = [
    "ACTIONS",
    "DEFAULT_BUDGET",
    "StoredDecision",
    "StoredRelease",
    "decide_column",
    "key_ring",
    "list_decisions",
    "list_releases",
    "protecting_transform",
    "publish_process_map",
    "publish_variants",
    "reidentify",
    "scan_dataset",
    "scan_file",
    "scan_stored",
    "store_vault",
]
