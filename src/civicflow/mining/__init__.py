"""Process assessment: maps, variants, performance, bottlenecks, rework, SLA, conformance, KPIs and
baselines, written once as Ibis expressions and run on any engine."""

from civicflow.mining._activities import ActivityStat, ActivityStats, activity_stats
from civicflow.mining._baseline import (
    Baseline,
    BaselineComparison,
    KpiChange,
    compare_baselines,
    compare_to_baseline,
    freeze_baseline,
    list_baselines,
    load_baseline,
)
from civicflow.mining._bottlenecks import Bottleneck, BottleneckResult, bottlenecks
from civicflow.mining._bpmn import BpmnFlow, BpmnModel, BpmnNode, read_bpmn
from civicflow.mining._breakdown import Breakdown, BreakdownGroup, breakdown
from civicflow.mining._calendar import WorkingCalendar
from civicflow.mining._conformance import (
    ConformanceConfig,
    ConformanceResult,
    Deviation,
    VariantConformance,
    conformance,
)
from civicflow.mining._kpis import (
    DEFAULT_KPIS,
    KPI_DEFINITIONS,
    KpiContext,
    KpiDefinition,
    KpiSnapshot,
    KpiValue,
    compute_kpis,
    kpi_definition,
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
from civicflow.mining._resources import (
    Handover,
    HandoverNetwork,
    ResourceLoad,
    ResourceWorkload,
    handover_network,
    resource_workload,
)
from civicflow.mining._rework import ActivityRework, ReworkResult, rework
from civicflow.mining._sla import SlaBreach, SlaConfig, SlaPeriod, SlaResult, sla_compliance
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
    "DEFAULT_KPIS",
    "KPI_DEFINITIONS",
    "VARIANT_SEPARATOR",
    "ActivityNode",
    "ActivityRework",
    "ActivityStat",
    "ActivityStats",
    "Baseline",
    "BaselineComparison",
    "Bottleneck",
    "BottleneckResult",
    "BpmnFlow",
    "BpmnModel",
    "BpmnNode",
    "Breakdown",
    "BreakdownGroup",
    "ConformanceConfig",
    "ConformanceResult",
    "Deviation",
    "DurationSummary",
    "Edge",
    "EventLogFilter",
    "Handover",
    "HandoverNetwork",
    "HistogramBin",
    "KpiChange",
    "KpiContext",
    "KpiDefinition",
    "KpiSnapshot",
    "KpiValue",
    "LogView",
    "PeriodCounts",
    "ProcessMap",
    "ProcessMapConfig",
    "ResourceLoad",
    "ResourceWorkload",
    "ReworkResult",
    "SlaBreach",
    "SlaConfig",
    "SlaPeriod",
    "SlaResult",
    "ThroughputTimes",
    "Variant",
    "VariantConformance",
    "VariantsConfig",
    "VariantsResult",
    "WorkInProgress",
    "WorkflowNet",
    "WorkingCalendar",
    "activity_stats",
    "arrivals",
    "bottlenecks",
    "breakdown",
    "case_spans",
    "case_variants",
    "compare_baselines",
    "compare_to_baseline",
    "compute_kpis",
    "conformance",
    "freeze_baseline",
    "handover_network",
    "kpi_definition",
    "list_baselines",
    "load_baseline",
    "process_map",
    "read_bpmn",
    "resource_workload",
    "rework",
    "sla_compliance",
    "throughput_times",
    "variant_id",
    "variants",
    "work_in_progress",
    "workflow_net",
]
