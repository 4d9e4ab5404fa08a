"""Fairness audits: of automated decisions (group metrics, disparities, the four-fifths rule,
bootstrap intervals, findings in plain language), of processes (do groups of cases wait longer,
loop more, miss the deadline more?), and explanations of single decisions.

A domain package: it may read ``mining`` views but imports no web or database framework; the
``app`` layer stores, versions and ledgers its results.
"""

from civicflow.fairness._audit import (
    JOIN,
    Calibration,
    Disparity,
    FairnessAudit,
    Finding,
    FourFifths,
    GroupMetric,
    Summary,
    audit_decisions,
)
from civicflow.fairness._config import AuditConfig, read_decisions
from civicflow.fairness._explain import (
    Counterfactual,
    DecisionExplanation,
    ExplainConfig,
    Factor,
    GlobalFactor,
    ModelExplanation,
    explain_model,
)
from civicflow.fairness._metrics import METRIC_NAMES, benjamini_hochberg, holm
from civicflow.fairness._monitor import Alert, Drift, MonitorCheck, compare_audits, metric_history
from civicflow.fairness._process import (
    ProcessDifference,
    ProcessFairness,
    ProcessFairnessConfig,
    ProcessFinding,
    process_fairness,
)
from civicflow.fairness._sources import DecisionTable, frame_digest, read_decisions_table

__all__ = [
    "JOIN",
    "METRIC_NAMES",
    "Alert",
    "AuditConfig",
    "Calibration",
    "Counterfactual",
    "DecisionExplanation",
    "DecisionTable",
    "Disparity",
    "Drift",
    "ExplainConfig",
    "Factor",
    "FairnessAudit",
    "Finding",
    "FourFifths",
    "GlobalFactor",
    "GroupMetric",
    "ModelExplanation",
    "MonitorCheck",
    "ProcessDifference",
    "ProcessFairness",
    "ProcessFairnessConfig",
    "ProcessFinding",
    "Summary",
    "audit_decisions",
    "benjamini_hochberg",
    "compare_audits",
    "explain_model",
    "frame_digest",
    "holm",
    "metric_history",
    "process_fairness",
    "read_decisions",
    "read_decisions_table",
]
