"""Fairness audits with roles and the ledger: decision audits of a CSV/Parquet file and process
audits of a dataset, each stored as the next version of a named audit.

Read (WORKSPACE_READ): ``list_audits``, ``get_audit``. Run (FAIRNESS_WRITE, one ledger entry
each): ``audit_file`` (``fairness.audit``), ``audit_process`` (``fairness.process``),
``explain_file`` (``fairness.explain``: a model's decisions explained).
"""

from civicflow.app._fairness import (
    AuditKind,
    StoredAudit,
    audit_file,
    audit_process,
    explain_file,
    get_audit,
    list_audits,
)

__all__ = [
    "AuditKind",
    "StoredAudit",
    "audit_file",
    "audit_process",
    "explain_file",
    "get_audit",
    "list_audits",
]
