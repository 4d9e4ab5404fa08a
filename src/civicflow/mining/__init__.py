"""Process assessment: maps, variants, performance, bottlenecks, rework, SLA, conformance, KPIs and
baselines, written once as Ibis expressions and run on any engine."""

from civicflow.mining._performance import (
    DurationSummary,
    HistogramBin,
    PeriodCounts,
    ThroughputTimes,
    WorkInProgress,
    arrivals,
    throughput_times,
    work_in_progress,
)
from civicflow.mining._process_map import (
    ActivityNode,
    Edge,
    ProcessMap,
    ProcessMapConfig,
    process_map,
)
from civicflow.mining._variants import Variant, VariantsConfig, VariantsResult, variants
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
    "ActivityNode",
    "DurationSummary",
    "Edge",
    "EventLogFilter",
    "HistogramBin",
    "LogView",
    "PeriodCounts",
    "ProcessMap",
    "ProcessMapConfig",
    "ThroughputTimes",
    "Variant",
    "VariantsConfig",
    "VariantsResult",
    "WorkInProgress",
    "arrivals",
    "case_spans",
    "case_variants",
    "process_map",
    "throughput_times",
    "variant_id",
    "variants",
    "work_in_progress",
]
