"""Every public analysis, for the engine contract (tests/contract/test_engines.py): a list of
``(name, callable(view) -> JSON-able result)``. Add one entry per public analysis.

An analysis that cannot yet run identically on Spark stays listed, with a documented ``notyet``
marker and the reason, never left out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from civicflow.mining import (
    BetweenStep,
    CaseQuery,
    DottedChartConfig,
    DurationStep,
    EndpointStep,
    EventLogFilter,
    FollowsStep,
    LogView,
    PerformanceSpectrumConfig,
    ProcessMapConfig,
    ReplayConfig,
    SlaConfig,
    TimeFrameStep,
    VariantStep,
    WorkingCalendar,
    activity_stats,
    arrivals,
    bottlenecks,
    breakdown,
    case_list,
    case_replay,
    case_timeline,
    compute_kpis,
    conformance,
    dotted_chart,
    filter_funnel,
    handover_network,
    performance_spectrum,
    process_map,
    read_bpmn,
    resource_workload,
    rework,
    sla_compliance,
    throughput_times,
    variants,
    work_in_progress,
)


def _kpis(view: LogView) -> dict[str, Any]:
    # computed_at and engine differ between runs by design; the values and their definitions must not
    snap = compute_kpis(view, sla=SlaConfig(target_seconds=30 * 86400))
    return {v.name: {"value": v.value, "definition": v.definition} for v in snap}


def _sla_working_time(view: LogView) -> dict[str, Any]:
    calendar = WorkingCalendar.office_hours(timezone="Europe/Amsterdam", country="NL")
    return sla_compliance(
        view, config=SlaConfig(target_seconds=5 * 8.5 * 3600, calendar=calendar)
    ).to_dict()


def _breakdown(view: LogView) -> dict[str, Any]:
    # real logs differ in their case attributes: break down by the first one there is
    attributes = sorted(c for c in view.cases.columns if c != "case_id")
    if not attributes:
        return {"skipped": "the log has no case attribute"}
    return {
        kpi: breakdown(view, kpi=kpi, by=attributes[0]).to_dict()
        for kpi in ("throughput_median_days", "throughput_mean_days", "rework_share")
    }


def _throughput(view: LogView) -> dict[str, Any]:
    tt = throughput_times(view, bins=20)
    assert tt.cases is not None
    result = tt.to_dict()
    result["cases"] = [
        [str(c), float(s)]
        for c, s in zip(tt.cases["case_id"], tt.cases["throughput_seconds"], strict=True)
    ]
    return result


def _report(view: LogView) -> dict[str, Any]:
    # the report's own queries (the evidence header) and its map levels and DOT, as the reader
    # sees them; its other sections only format analyses listed here already (all sections on
    # Spark take ~2.5 min per log on 2 busy cores: too long for the suite)
    from civicflow.report import ReportConfig, report_data

    config = ReportConfig(sections=("process-map",), map_levels=(5,), max_activities=10)
    return report_data(view, config=config)


_RECEIPT_BPMN = Path(__file__).resolve().parents[1] / "data" / "bpmn" / "receipt.bpmn"


def _conformance(view: LogView) -> dict[str, Any]:
    # one reference model for every log: on the other logs every event is an insertion, which
    # still checks that cases, variants and their order agree between the engines
    result = conformance(view, model=read_bpmn(_RECEIPT_BPMN))
    data = result.to_dict()
    data["case_fitness"] = [
        [str(c), float(f)]
        for c, f in zip(result.case_fitness["case_id"], result.case_fitness["fitness"], strict=True)
    ]
    return data


def _spectrum(view: LogView) -> dict[str, Any]:
    # the two most frequent activities, in the order of their names: a pair every log has
    top = sorted(a.activity for a in activity_stats(view).activities[:2])
    config = PerformanceSpectrumConfig(activities=tuple(top), max_lines=300)
    return performance_spectrum(view, config).to_dict()


def _filter_stack(view: LogView) -> dict[str, Any]:
    """Every kind of filter step on the log's own activities, the funnel they make, and the case
    list behind the busiest edge with the first case's timeline."""
    pm = process_map(view)
    top = max(pm.edges, key=lambda e: (e.frequency, e.source, e.target))
    spans = view.execute(view.spans.aggregate(lo=view.spans.case_start.min(),
                                              hi=view.spans.case_end.max()))  # fmt: skip
    lo, hi = spans["lo"].iloc[0], spans["hi"].iloc[0]
    mid = (lo + (hi - lo) / 2).to_pydatetime()
    stack = (
        TimeFrameStep(end=mid, mode="started"),
        FollowsStep(source=top.source, target=top.target),
        FollowsStep(source=top.target, target=top.source, directly=True, exclude=True),
        EndpointStep(at="start", activities=tuple(sorted(pm.start_activities))[:2]),
        BetweenStep(source=top.source, target=top.target, max_seconds=30 * 86400.0),
        DurationStep(min_seconds=60.0),
        VariantStep(top=10),
    )
    filtered = view.with_filter(EventLogFilter(steps=stack))
    cases = case_list(
        filtered, query=CaseQuery(edge=(top.source, top.target), sort="wait", descending=True)
    )
    first = case_timeline(filtered, cases.rows[0].case_id).to_dict() if cases.rows else None
    return {"funnel": filter_funnel(filtered).to_dict(), "cases": cases.to_dict(), "first": first}


ANALYSES: list[tuple[str, Callable[[LogView], Any]]] = [
    ("compute_kpis", _kpis),
    ("activity_stats", lambda v: activity_stats(v).to_dict()),
    ("bottlenecks", lambda v: bottlenecks(v).to_dict()),
    ("rework", lambda v: rework(v).to_dict()),
    ("resource_workload", lambda v: resource_workload(v).to_dict()),
    ("handover_network", lambda v: handover_network(v).to_dict()),
    ("sla_compliance", _sla_working_time),
    ("breakdown", _breakdown),
    ("process_map", lambda v: process_map(v).to_dict()),
    (
        "process_map_readable",
        lambda v: process_map(v, ProcessMapConfig(max_activities=12, path_share=0.8)).to_dict(),
    ),
    ("variants", lambda v: variants(v, top=None).to_dict()),
    ("throughput_times", _throughput),
    ("arrivals_week", lambda v: arrivals(v, freq="week").to_dict()),
    ("arrivals_month", lambda v: arrivals(v, freq="month").to_dict()),
    ("work_in_progress_day", lambda v: work_in_progress(v, freq="day").to_dict()),
    ("conformance", _conformance),
    ("dotted_chart", lambda v: dotted_chart(v, DottedChartConfig(max_cases=200)).to_dict()),
    ("performance_spectrum", _spectrum),
    ("case_replay", lambda v: case_replay(v, ReplayConfig(max_cases=100)).to_dict()),
    ("report_data", _report),
    ("filter_stack_and_cases", _filter_stack),
]

NOTYET: dict[str, str] = {}
"""analysis name -> why it cannot yet give identical results on Spark (the contract marks it xfail
with that reason)"""
