"""Every public analysis, for the engine contract (tests/contract/test_engines.py): a list of
``(name, callable(view) -> JSON-able result)``. Add one entry per public analysis.

An analysis that cannot yet run identically on Spark stays listed, with a documented ``notyet``
marker and the reason, never left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from civicflow.mining import (
    LogView,
    SlaConfig,
    WorkingCalendar,
    activity_stats,
    bottlenecks,
    breakdown,
    compute_kpis,
    handover_network,
    resource_workload,
    rework,
    sla_compliance,
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


ANALYSES: list[tuple[str, Callable[[LogView], Any]]] = [
    ("compute_kpis", _kpis),
    ("activity_stats", lambda v: activity_stats(v).to_dict()),
    ("bottlenecks", lambda v: bottlenecks(v).to_dict()),
    ("rework", lambda v: rework(v).to_dict()),
    ("resource_workload", lambda v: resource_workload(v).to_dict()),
    ("handover_network", lambda v: handover_network(v).to_dict()),
    ("sla_compliance", _sla_working_time),
    ("breakdown", _breakdown),
]
