"""The workspace dashboard: KPI trends against baselines and targets, what changed since the
actor's last visit, and what needs attention (see :mod:`civicflow.app._dashboard`)."""

from civicflow.app._dashboard import (
    HIGH_RISK_SCORE,
    OFF_TRACK_RULE,
    SCHEDULE_TOLERANCE,
    AttentionItem,
    Changes,
    KpiTrend,
    LedgerStatus,
    Overview,
    TrendPoint,
    last_visit,
    objective_status,
    overview,
    record_visit,
)

__all__ = [
    "HIGH_RISK_SCORE",
    "OFF_TRACK_RULE",
    "SCHEDULE_TOLERANCE",
    "AttentionItem",
    "Changes",
    "KpiTrend",
    "LedgerStatus",
    "Overview",
    "TrendPoint",
    "last_visit",
    "objective_status",
    "overview",
    "record_visit",
]
