"""The analyses civicflow offers, each described once: its function and config type, and where a
person reaches it — the command line, the workbench's assessment tab, the report's section — or why
it cannot be reached there.

The command line registers ``civicflow analyze <name>`` from these entries, the workbench draws its
tabs from them and the report's sections are checked against them (``tests/test_registry.py``), so
a new analysis shows up in all three or says why not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from civicflow.core import NotFoundError
from civicflow.mining._activities import activity_stats
from civicflow.mining._animation import ReplayConfig, case_replay
from civicflow.mining._bottlenecks import BottleneckConfig, bottlenecks
from civicflow.mining._breakdown import breakdown
from civicflow.mining._conformance import ConformanceConfig, conformance
from civicflow.mining._dotted import DottedChartConfig, dotted_chart
from civicflow.mining._inductive import InductiveConfig, discover_process_tree
from civicflow.mining._kpis import compute_kpis
from civicflow.mining._performance import arrivals, throughput_times, work_in_progress
from civicflow.mining._process_map import ProcessMapConfig, process_map
from civicflow.mining._resources import handover_network, resource_workload
from civicflow.mining._rework import rework
from civicflow.mining._sla import SlaConfig, sla_compliance
from civicflow.mining._spectrum import PerformanceSpectrumConfig, performance_spectrum
from civicflow.mining._variants import VariantsConfig, variants


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """One analysis and its three doors. A door that is ``None`` carries the reason."""

    name: str
    summary: str
    """One line: what it answers (the command's help)."""
    function: Callable[..., Any]
    config: type | None = None
    """Its typed configuration, when it has one."""
    cli: tuple[str, ...]
    """The command that runs it, e.g. ``("analyze", "map")``."""
    web_tab: str | None = None
    web_reason: str | None = None
    report_section: str | None = None
    """The id of the report section that shows it (``civicflow.report.REPORT_SECTIONS``)."""
    report_reason: str | None = None


ANALYSES: tuple[Analysis, ...] = (
    Analysis(
        name="map", summary="Process map: directly-follows graph with frequency and performance "
        "per edge.", function=process_map, config=ProcessMapConfig, cli=("analyze", "map"),
        web_tab="map", report_section="process-map",
    ),
    Analysis(
        name="variants", summary="Variants: distinct activity sequences with their cases, share "
        "and throughput time.", function=variants, config=VariantsConfig,
        cli=("analyze", "variants"), web_tab="variants", report_section="variants",
    ),
    Analysis(
        name="throughput", summary="Throughput time of cases (first to last event): summary and "
        "histogram.", function=throughput_times, cli=("analyze", "throughput"),
        web_tab="throughput", report_section="throughput",
    ),
    Analysis(
        name="arrivals", summary="New cases per day, week or month (by the time of their first "
        "event).", function=arrivals, cli=("analyze", "arrivals"), web_tab="arrivals",
        report_section="arrivals",
    ),
    Analysis(
        name="wip", summary="Work in progress: cases open in each period, with those started and "
        "completed.", function=work_in_progress, cli=("analyze", "wip"), web_tab="arrivals",
        report_section="arrivals",
    ),
    Analysis(
        name="activities", summary="Per activity: events, cases, waiting time before it, service "
        "time when known.", function=activity_stats, cli=("analyze", "activities"),
        web_tab="activities", report_section="activities",
    ),
    Analysis(
        name="bottlenecks", summary="Where cases wait: activities and transitions by total "
        "waiting time, with findings.", function=bottlenecks, config=BottleneckConfig,
        cli=("analyze", "bottlenecks"),
        web_tab="bottlenecks", report_section="bottlenecks",
    ),
    Analysis(
        name="rework", summary="Rework: repeated activities and self-loops, the share of cases "
        "and the time it costs.", function=rework, cli=("analyze", "rework"), web_tab="rework",
        report_section="rework",
    ),
    Analysis(
        name="resources", summary="Workload per resource: events, cases, activities, active days.",
        function=resource_workload, cli=("analyze", "resources"), web_tab="resources",
        report_section="resources",
    ),
    Analysis(
        name="handovers", summary="Handover network (social network): who passes work to "
        "whom, how often and how fast, drawn as a graph.", function=handover_network,
        cli=("analyze", "handovers"), web_tab="resources", report_section="resources",
    ),
    Analysis(
        name="dotted", summary="Dotted chart: every event as a dot, time across, one row per "
        "case sorted by start, coloured by activity.", function=dotted_chart,
        config=DottedChartConfig, cli=("analyze", "dotted"), web_tab="dotted",
        report_section="dotted-chart",
    ),
    Analysis(
        name="spectrum", summary="Performance spectrum: one line per case from one activity to "
        "the next, classed by duration quartile.", function=performance_spectrum,
        config=PerformanceSpectrumConfig, cli=("analyze", "spectrum"), web_tab="spectrum",
        report_section="performance-spectrum",
    ),
    Analysis(
        name="replay", summary="Replay: the paths of (a sample of) cases with their times, "
        "animated as tokens on the process map.", function=case_replay, config=ReplayConfig,
        cli=("analyze", "replay"), web_tab="replay",
        report_reason="an animation needs the workbench: the report is read and printed as a "
        "still page, and its process map shows the same paths",
    ),
    Analysis(
        name="sla", summary="SLA compliance: the share of cases finished within the target or "
        "their deadline.", function=sla_compliance, config=SlaConfig, cli=("analyze", "sla"),
        web_tab="sla", report_section="sla",
    ),
    Analysis(
        name="breakdown", summary="A KPI per value of a case attribute (district, channel, case "
        "type), beside its overall.", function=breakdown, cli=("analyze", "breakdown"),
        web_tab="breakdown", report_section="breakdown",
    ),
    Analysis(
        name="kpis", summary="The key figures (KPIs) a baseline freezes.", function=compute_kpis,
        cli=("baseline", "freeze"),
        web_reason="shown above every assessment tab and frozen with 'Freeze baseline'",
        report_section="key-figures",
    ),
    Analysis(
        name="conformance", summary="Check the cases against a BPMN reference flow (or the "
        "discovered model): fitness, precision and the most common deviations.",
        function=conformance, config=ConformanceConfig, cli=("conformance",),
        web_tab="conformance", report_section="conformance",
    ),
    Analysis(
        name="discover", summary="Discover a process model (Inductive Miner): a sound, "
        "block-structured process tree.", function=discover_process_tree,
        config=InductiveConfig, cli=("discover",), web_tab="conformance",
        report_reason="the report's conformance section checks against a reference model; the "
        "discovered model is drawn, downloaded as BPMN and checked in the workbench's "
        "Conformance tab and by 'civicflow discover'",
    ),
)  # fmt: skip


def analysis(name: str) -> Analysis:
    """The registered analysis called ``name``."""
    for entry in ANALYSES:
        if entry.name == name:
            return entry
    raise NotFoundError(
        f"there is no analysis '{name}'",
        found=name,
        expected=", ".join(a.name for a in ANALYSES),
    )


WEB_TABS: tuple[str, ...] = tuple(dict.fromkeys(a.web_tab for a in ANALYSES if a.web_tab))
"""The workbench's assessment tabs, in order (one tab may show several analyses: arrivals and
work in progress, workload and handovers)."""
