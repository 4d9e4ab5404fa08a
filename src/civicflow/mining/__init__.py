"""Process assessment: maps, variants, performance, bottlenecks, rework, SLA, conformance, KPIs and
baselines, written once as Ibis expressions and run on any engine."""

from civicflow.mining._view import (
    VARIANT_SEPARATOR,
    EventLogFilter,
    LogView,
    case_spans,
    case_variants,
    variant_id,
)

__all__ = [
    "VARIANT_SEPARATOR",
    "EventLogFilter",
    "LogView",
    "case_spans",
    "case_variants",
    "variant_id",
]
