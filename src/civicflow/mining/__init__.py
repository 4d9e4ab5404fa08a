"""Process assessment: maps, variants, performance, bottlenecks, rework, SLA, conformance, KPIs and
baselines, written once as Ibis expressions and run on any engine."""

from civicflow.mining._bpmn import BpmnFlow, BpmnModel, BpmnNode, read_bpmn
from civicflow.mining._conformance import (
    ConformanceConfig,
    ConformanceResult,
    Deviation,
    VariantConformance,
    conformance,
)
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
from civicflow.mining._petri import WorkflowNet, workflow_net
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
    "BpmnFlow",
    "BpmnModel",
    "BpmnNode",
    "ConformanceConfig",
    "ConformanceResult",
    "Deviation",
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
    "VariantConformance",
    "VariantsConfig",
    "VariantsResult",
    "WorkInProgress",
    "WorkflowNet",
    "arrivals",
    "case_spans",
    "case_variants",
    "conformance",
    "process_map",
    "read_bpmn",
    "throughput_times",
    "variant_id",
    "variants",
    "work_in_progress",
    "workflow_net",
]
