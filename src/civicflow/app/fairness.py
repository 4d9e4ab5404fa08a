"""Fairness audits with roles and the ledger: decision audits of a CSV/Parquet file and process
audits of a dataset, each stored as the next version of a named audit.

Read (WORKSPACE_READ): ``list_audits``, ``get_audit``. Run (FAIRNESS_WRITE, one ledger entry
each): ``audit_source`` (``fairness.audit``: the decisions of any :class:`DecisionSource` — a
:class:`FileSource`, a :class:`TableSource` in PostgreSQL or DuckDB, later the decisions civicflow
records), ``audit_file`` (the same for a file), ``audit_process`` (``fairness.process``),
``explain_file`` (``fairness.explain``: a model's decisions explained and stored; read them with
``list_explanations``, ``get_explanation``).

Systems: an audit or a stream may name the automated system it audits — a governance register
entry — and the model version (``system``, ``system_version``; default the entry's
``model_version``); ``system_history`` (WORKSPACE_READ) lists a system's decision audits over time,
each compared with the previous one (drift, alerts).

Monitoring: ``add_stream`` (FAIRNESS_WRITE, ``fairness.stream.add``), ``run_stream`` /
``run_all`` (FAIRNESS_WRITE, ``fairness.audit`` then ``fairness.monitor``), ``list_streams``,
``get_stream``, ``stream_history``, ``report_section`` (the report's "Fairness" section),
``local_report_section`` (WORKSPACE_READ).
"""

from civicflow.app._decision_sources import (
    SOURCE_KINDS,
    DecisionRows,
    DecisionSource,
    FileSource,
    RecordedDecisionsSource,
    TableSource,
    source_from_dict,
)
from civicflow.app._fairness import (
    AuditedSystem,
    AuditKind,
    StoredAudit,
    StoredExplanation,
    audit_file,
    audit_process,
    audit_source,
    explain_file,
    get_audit,
    get_explanation,
    list_audits,
    list_explanations,
    resolve_system,
)
from civicflow.app._fairness_monitor import (
    MonitorRun,
    Stream,
    add_stream,
    get_stream,
    list_streams,
    local_report_section,
    report_section,
    run_all,
    run_stream,
    stream_history,
)
from civicflow.app._fairness_systems import SystemAudit, SystemHistory, system_history

__all__ = [
    "SOURCE_KINDS",
    "AuditKind",
    "AuditedSystem",
    "DecisionRows",
    "DecisionSource",
    "FileSource",
    "MonitorRun",
    "RecordedDecisionsSource",
    "StoredAudit",
    "StoredExplanation",
    "Stream",
    "SystemAudit",
    "SystemHistory",
    "TableSource",
    "add_stream",
    "audit_file",
    "audit_process",
    "audit_source",
    "explain_file",
    "get_audit",
    "get_explanation",
    "get_stream",
    "list_audits",
    "list_explanations",
    "list_streams",
    "local_report_section",
    "report_section",
    "resolve_system",
    "run_all",
    "run_stream",
    "source_from_dict",
    "stream_history",
    "system_history",
]
