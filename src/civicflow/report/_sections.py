"""The report's sections, one builder each: ``builder(view, config) -> Section | None``.

A builder returns None when its analysis has nothing to say on this view (no case attributes for a
breakdown, no resources for a workload), so the report never shows an empty placeholder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from civicflow.core import NotFoundError
from civicflow.eventlog import ACTIVITY, CASE_ID, TIMESTAMP
from civicflow.mining import (
    BREAKDOWN_MAX_GROUPS,
    MISSING,
    QUARTILE_CLASSES,
    DottedChartConfig,
    LogView,
    PerformanceSpectrumConfig,
    ProcessMapConfig,
    activity_stats,
    arrivals,
    bottlenecks,
    breakdown,
    breakdown_attributes,
    compute_kpis,
    conformance,
    dotted_chart,
    format_duration,
    format_number,
    format_share,
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
from civicflow.report._charts import bar_chart, binned_bars, time_series
from civicflow.report._charts import dotted_chart as dotted_spec
from civicflow.report._charts import spectrum as spectrum_spec
from civicflow.report._model import Chart, Figure, Graph, MapBlock, Section, Table

if TYPE_CHECKING:
    from civicflow.report._report import ReportConfig

SectionBuilder = Callable[[LogView, "ReportConfig"], Section | None]


def evidence(view: LogView, config: ReportConfig) -> Section:
    """The header's evidence: what data every number below was computed from."""
    e = view.events
    row = view.execute(
        e.aggregate(
            events=e.count(),
            cases=e[CASE_ID].nunique(),
            activities=e[ACTIVITY].nunique(),
            first=e[TIMESTAMP].min(),
            last=e[TIMESTAMP].max(),
        )
    ).iloc[0]
    m = view.dataset.manifest
    filtered = not view.filter.is_empty
    scope = "in the filtered view" if filtered else "in the dataset"
    figures = (
        Figure(
            label="Cases",
            value=format_number(int(row["cases"])),
            definition=f"Distinct case ids {scope}"
            + (f" (of {m.cases:,} in the dataset)" if filtered else ""),
        ),
        Figure(
            label="Events",
            value=format_number(int(row["events"])),
            definition=f"Recorded events {scope}"
            + (f" (of {m.events:,} in the dataset)" if filtered else ""),
        ),
        Figure(
            label="Activities",
            value=format_number(int(row["activities"])),
            definition=f"Distinct activity labels {scope}",
        ),
        Figure(
            label="Period",
            value=f"{_day(row['first'])} – {_day(row['last'])}",
            definition="Timestamp of the first and of the last event " + scope,
        ),
    )
    return Section(id="evidence", title="Data", figures=figures)


def _day(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10]


def _unit_for(seconds: float | None) -> tuple[float, str]:
    """The unit a chart axis of durations reads best in, judged by a typical value."""
    if seconds is not None and seconds >= 2 * 86400:
        return 86400.0, "days"
    if seconds is not None and seconds >= 2 * 3600:
        return 3600.0, "hours"
    return 60.0, "minutes"


def _clip(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _path(activities: tuple[str, ...], limit: int = 12) -> str:
    if len(activities) <= limit:
        return " → ".join(activities)
    head = " → ".join(activities[: limit - 2])
    return f"{head} → … ({len(activities) - limit + 1} more) → {activities[-1]}"


def key_figures_section(view: LogView, config: ReportConfig) -> Section | None:

    snapshot = compute_kpis(view, sla=config.sla)
    figures = tuple(
        Figure(
            label=v.label,
            # "0.03 days" reads better as "43 min"; the definition still states the unit
            value=format_duration(v.value * 86400.0) if v.unit == "days" else v.formatted(),
            definition=v.definition,
        )
        for v in snapshot
        if v.value is not None
    )
    if not figures:
        return None
    missing = [f"{v.label}: {v.note}" for v in snapshot if v.value is None and v.note]
    return Section(
        id="key-figures",
        title="Key figures",
        intro="The assessment's headline KPIs, each with its definition (hover over a figure or "
        "read the line under it). A baseline frozen from the same view stores these values.",
        figures=figures,
        notes=tuple(f"Not shown — {m}." for m in missing),
    )


DEFAULT_MAP_ACTIVITIES = 20
"""The report's map shows every activity up to this many by default (the slider offers fewer)."""


def process_map_section(view: LogView, config: ReportConfig) -> Section | None:

    full = process_map(
        view, ProcessMapConfig(max_activities=config.max_activities, path_share=config.path_share)
    )
    if not full.activities:
        return None
    top = min(full.total_activities, config.max_activities)
    levels = tuple(sorted({lv for lv in config.map_levels if 2 <= lv < top} | {top}))
    maps = {top: full}
    for lv in levels:
        if lv not in maps:
            maps[lv] = process_map(
                view, ProcessMapConfig(max_activities=lv, path_share=config.path_share)
            )
    # the map fits its frame (and the printed page) at any size, so the default hides no
    # activity up to twenty (the workbench's default); a larger log starts at the largest
    # level up to twenty, one slider step from the rest
    default = max([lv for lv in levels if lv <= DEFAULT_MAP_ACTIVITIES] or [levels[0]])
    block = MapBlock(
        levels=levels,
        default_level=default,
        dots={
            m: {lv: pm.to_dot(m) for lv, pm in maps.items()} for m in ("frequency", "performance")
        },
        nodes={lv: len(pm.activities) for lv, pm in maps.items()},
        total_activities=full.total_activities,
    )
    edges = sorted(full.edges, key=lambda e: (-e.frequency, e.source, e.target))[:20]
    edge_table = Table(
        caption="Most frequent paths (activity directly followed by activity)"
        + (f" among the {top} most frequent activities" if full.hidden_activities else ""),
        columns=("From", "To", "Times", "Cases", "Median time", "Mean time", "90th percentile"),
        rows=tuple(
            (
                e.source,
                e.target,
                format_number(e.frequency),
                format_number(e.cases),
                format_duration(e.median_seconds),
                format_duration(e.mean_seconds),
                format_duration(e.p90_seconds),
            )
            for e in edges
        ),
        numeric=frozenset({2, 3, 4, 5, 6}),
    )
    ends = Table(
        caption="How cases start and end",
        columns=("Activity", "Cases starting with it", "Cases ending with it"),
        rows=tuple(
            (
                a,
                format_number(full.start_activities.get(a, 0)),
                format_number(full.end_activities.get(a, 0)),
            )
            for a in sorted(
                set(full.start_activities) | set(full.end_activities),
                # ties by name: a set's order changes from one process to the next
                key=lambda a: (
                    -(full.start_activities.get(a, 0) + full.end_activities.get(a, 0)),
                    a,
                ),
            )[:15]
        ),
        numeric=frozenset({1, 2}),
    )
    notes = []
    if full.hidden_edges:
        notes.append(
            f"To keep the map readable it draws the most frequent paths covering "
            f"{config.path_share:.0%} of all transitions, the slowest paths covering "
            f"{config.path_share:.0%} of all waiting time, every loop (rework) holding at least "
            f"{full.config.loop_wait_share or 0:.0%} of the waiting time, and the few paths needed to connect every activity to a "
            f"start and an end: {full.hidden_edges:,} of {full.total_edges:,} rarer paths are "
            f"not drawn ({1 - full.covered_share:.0%} of transitions, "
            f"{1 - full.covered_wait_share:.0%} of waiting time; the table lists paths by "
            "frequency)."
        )
    if full.hidden_activities:
        notes.append(
            f"The map draws at most the {config.max_activities} most frequent of "
            f"{full.total_activities} activities; the others ({len(full.hidden_activities)}) are "
            "left out of every case before the arrows are drawn, so an arrow a → b then means "
            "“b was the next shown activity after a”; cases that go on to hidden activities "
            "are drawn into a dashed “hidden activities” box, not as ending early."
        )
    return Section(
        id="process-map",
        title="Process map",
        intro=(
            "How cases actually flow: each box is an activity with the number of times it was "
            "recorded; each arrow means one activity directly followed another in a case. "
            "Switch the arrows between frequency and the median time between the two activities, "
            "and use the slider to show fewer or more activities."
        ),
        map=block,
        tables=(edge_table, ends),
        notes=tuple(notes),
    )


def variants_section(view: LogView, config: ReportConfig) -> Section | None:

    res = variants(view, top=config.top_variants)
    if not res.variants:
        return None
    tp = [v.median_throughput_seconds for v in res.variants]
    scale, unit = _unit_for(sorted(tp)[len(tp) // 2])
    values = [
        {
            "variant": f"#{i} ({len(v.activities)} steps)",
            "cases": v.cases,
            "share": round(100 * v.share, 2),
            f"median throughput ({unit})": round(v.median_throughput_seconds / scale, 2),
        }
        for i, v in enumerate(res.variants, start=1)
    ]
    table = Table(
        caption=f"The {len(res.variants)} most frequent variants",
        columns=("#", "Activities", "Cases", "Share", "Median throughput", "Mean throughput", "Id"),
        rows=tuple(
            (
                f"#{i}",
                _path(v.activities),
                format_number(v.cases),
                format_share(v.share),
                format_duration(v.median_throughput_seconds),
                format_duration(v.mean_throughput_seconds),
                v.id,
            )
            for i, v in enumerate(res.variants, start=1)
        ),
        numeric=frozenset({2, 3, 4, 5}),
        note=(
            f"The other {res.tail_variants:,} variants (the long tail) hold {res.tail_cases:,} "
            f"cases ({format_share(res.tail_cases / res.total_cases if res.total_cases else 0)})."
            if res.tail_variants
            else "Every variant is listed."
        ),
    )
    chart = Chart(
        id="chart-variants",
        label=f"Cases per variant for the {len(res.variants)} most frequent variants; "
        f"variant #1 covers {format_share(res.variants[0].share)} of cases.",
        spec=bar_chart(
            title="Cases per variant",
            values=values,
            category="variant",
            measure="cases",
            category_title="variant",
            measure_title="cases",
        ),
    )
    return Section(
        id="variants",
        title="Variants",
        intro="A variant is the sequence of activities a case went through; cases with the same "
        "sequence share a variant. Few variants covering most cases means a standardised process.",
        figures=(
            Figure(
                label="Variants",
                value=format_number(res.total_variants),
                definition="Distinct activity sequences among the cases",
            ),
            Figure(
                label=f"Variants covering {res.config.coverage:.0%} of cases",
                value=format_number(res.variants_for_coverage),
                definition="The fewest variants, most frequent first, that together hold "
                f"{res.config.coverage:.0%} of the cases",
            ),
            Figure(
                label="Most frequent variant",
                value=format_share(res.variants[0].share),
                definition="Share of cases that follow the most frequent variant",
            ),
        ),
        charts=(chart,),
        tables=(table,),
    )


def throughput_section(view: LogView, config: ReportConfig) -> Section | None:

    res = throughput_times(view, bins=30, include_cases=False)
    s = res.summary
    if not s.count:
        return None
    scale, unit = _unit_for(s.median)
    values = [
        {"from": round(b.low / scale, 3), "to": round(b.high / scale, 3), "cases": b.cases}
        for b in res.histogram
    ]
    spec = binned_bars(
        title="Throughput time of cases",
        values=values,
        low="from",
        high="to",
        measure="cases",
        axis_title=f"throughput time ({unit})",
    )
    figures = tuple(
        Figure(label=label, value=format_duration(value), definition=definition)
        for label, value, definition in (
            (
                "Median throughput time",
                s.median,
                "Half of the cases take longer than this, from their first to their last event",
            ),
            ("Mean throughput time", s.mean, "Average of first-to-last-event time over cases"),
            ("90th percentile", s.p90, "One case in ten takes longer than this"),
            ("Longest case", s.max, "Largest first-to-last-event time"),
        )
    )
    table = Table(
        caption="Cases per throughput-time band",
        columns=("From", "To", "Cases"),
        rows=tuple(
            (format_duration(b.low), format_duration(b.high), format_number(b.cases))
            for b in res.histogram
        ),
        numeric=frozenset({1, 2}),
    )
    return Section(
        id="throughput",
        title="Throughput time",
        intro="How long cases take from their first to their last recorded event.",
        figures=figures,
        charts=(
            Chart(
                id="chart-throughput",
                label=f"Histogram of the throughput time of {s.count:,} cases in {unit}; "
                f"median {format_duration(s.median)}, 90th percentile {format_duration(s.p90)}.",
                spec=spec,
                table=table,
            ),
        ),
    )


def _period_chart(
    *,
    id: str,
    label: str,
    title: str,
    values: list[dict[str, Any]],
    measure: str,
    measure_title: str,
    caption: str,
    columns: tuple[str, ...],
    rows: Iterable[tuple[str, ...]],
    mark: str = "line",
) -> Chart:
    """A chart of one measure per period (``values`` keyed by ``"period"``) with its table: the
    period in the first column, numbers (right-aligned) in the others."""
    return Chart(
        id=id,
        label=label,
        spec=time_series(
            title=title,
            values=values,
            time="period",
            measure=measure,
            measure_title=measure_title,
            mark=mark,
        ),
        table=Table(
            caption=caption,
            columns=columns,
            rows=tuple(rows),
            numeric=frozenset(range(1, len(columns))),
        ),
    )


def arrivals_wip_section(view: LogView, config: ReportConfig) -> Section | None:

    freq = cast(Any, config.time_freq)
    arr = arrivals(view, freq=freq)
    wip = work_in_progress(view, freq=freq)
    if not arr.periods:
        return None
    arr_values = [
        {"period": p.date().isoformat(), "cases": v}
        for p, v in zip(arr.periods, arr.values, strict=True)
    ]
    wip_values = [
        {"period": p.date().isoformat(), "open cases": o}
        for p, o in zip(wip.periods, wip.open, strict=True)
    ]
    busiest = max(range(len(arr.values)), key=lambda i: arr.values[i])
    peak = max(range(len(wip.open)), key=lambda i: wip.open[i]) if wip.open else None
    charts = [
        _period_chart(
            id="chart-arrivals",
            label=f"New cases per {config.time_freq} over {len(arr.periods)} periods; the busiest "
            f"{config.time_freq} began {arr.periods[busiest].date()} with {arr.values[busiest]:,} cases.",
            title=f"New cases per {config.time_freq}",
            values=arr_values,
            measure="cases",
            measure_title="cases started",
            mark="bar" if len(arr_values) <= 60 else "line",
            caption=f"New cases per {config.time_freq}",
            columns=("Period starting", "Cases started"),
            rows=(
                (p.date().isoformat(), format_number(v))
                for p, v in zip(arr.periods, arr.values, strict=True)
            ),
        )
    ]
    if peak is not None:
        charts.append(
            _period_chart(
                id="chart-wip",
                label=f"Open cases per {config.time_freq}; the most, {wip.open[peak]:,}, in the "
                f"{config.time_freq} starting {wip.periods[peak].date()}.",
                title=f"Work in progress (open cases per {config.time_freq})",
                values=wip_values,
                measure="open cases",
                measure_title="open cases",
                caption=f"Open, started and completed cases per {config.time_freq}",
                columns=("Period starting", "Open", "Started", "Completed"),
                rows=(
                    (p.date().isoformat(), format_number(o), format_number(st), format_number(c))
                    for p, o, st, c in zip(
                        wip.periods, wip.open, wip.started, wip.completed, strict=True
                    )
                ),
            )
        )
    return Section(
        id="arrivals",
        title="Arrivals and work in progress",
        intro="When cases arrive (their first event) and how many are open at once: a case is "
        "open in every period from the one holding its first event to the one holding its last.",
        charts=tuple(charts),
    )


def _events_chart(*, id: str, label: str, category: str, events: list[tuple[str, int]]) -> Chart:
    """Bars of the number of events per ``category`` (activity, resource), in the given order."""
    return Chart(
        id=id,
        label=label,
        spec=bar_chart(
            title=f"Events per {category}",
            values=[{category: name, "events": n} for name, n in events],
            category=category,
            measure="events",
            category_title=category,
            measure_title="events",
        ),
    )


def activities_section(view: LogView, config: ReportConfig) -> Section | None:

    res = activity_stats(view)
    if not res.activities:
        return None
    columns = ["Activity", "Events", "Cases", "Share of cases", "Median wait before", "Total wait"]
    if res.has_service_times:
        columns += ["Median service time", "90th pct service time"]
    rows = []
    for a in res.activities[:40]:
        row = [
            a.activity,
            format_number(a.events),
            format_number(a.cases),
            format_share(a.case_share),
            format_duration(a.wait_median_seconds),
            format_duration(a.wait_total_seconds),
        ]
        if res.has_service_times:
            row += [
                format_duration(a.service_median_seconds),
                format_duration(a.service_p90_seconds),
            ]
        rows.append(tuple(row))
    top = res.activities[:20]
    chart = _events_chart(
        id="chart-activities",
        label=f"Events per activity for the {len(top)} most frequent activities; the most "
        f"frequent, {top[0].activity}, has {top[0].events:,} events.",
        category="activity",
        events=[(_clip(a.activity, 60), a.events) for a in top],
    )
    notes = [res.waiting_definition]
    if res.has_service_times:
        notes.append(res.service_definition)
    else:
        notes.append(
            "Service times need start and complete times per activity; this log records one "
            "timestamp per event, so only waiting times are shown."
        )
    return Section(
        id="activities",
        title="Activities",
        intro="How often each activity happens, in how many cases, and how long cases wait "
        "before it.",
        charts=(chart,),
        tables=(
            Table(
                caption="Activity statistics, most frequent first"
                + (f" (first 40 of {len(res.activities)})" if len(res.activities) > 40 else ""),
                columns=tuple(columns),
                rows=tuple(rows),
                numeric=frozenset(range(1, len(columns))),
            ),
        ),
        notes=tuple(notes),
    )


def bottlenecks_section(view: LogView, config: ReportConfig) -> Section | None:

    res = bottlenecks(view, top=10)
    if not res.activities:
        return None

    def rows(items: Any, with_source: bool) -> tuple[tuple[str, ...], ...]:
        out = []
        for b in items:
            name = f"{b.source} → {b.target}" if with_source else b.target
            out.append(
                (
                    name,
                    format_duration(b.total_wait_seconds),
                    format_duration(b.median_wait_seconds),
                    format_number(b.occurrences),
                    format_number(b.cases),
                    format_share(b.share_of_waiting),
                )
            )
        return tuple(out)

    columns = (
        "Waiting before",
        "Total waiting",
        "Median wait",
        "Times",
        "Cases",
        "Of all waiting",
    )
    tables = [
        Table(
            caption="Activities that add the most waiting time",
            columns=columns,
            rows=rows(res.activities, False),
            numeric=frozenset({1, 2, 3, 4, 5}),
        )
    ]
    if res.transitions:
        tables.append(
            Table(
                caption="Transitions that add the most waiting time",
                columns=("Transition", *columns[1:]),
                rows=rows(res.transitions, True),
                numeric=frozenset({1, 2, 3, 4, 5}),
            )
        )
    return Section(
        id="bottlenecks",
        title="Bottlenecks",
        intro="Where cases wait longest, ranked by the waiting time added across all cases. "
        f"A finding is an activity holding at least {format_share(res.config.min_share)} of "
        "all waiting time.",
        findings=tuple(res.findings[:5]),
        tables=tuple(tables),
        notes=(res.definition,),
    )


def rework_section(view: LogView, config: ReportConfig) -> Section | None:

    res = rework(view)
    if not res.case_count:
        return None
    figures = (
        Figure(
            label="Cases with rework",
            value=f"{format_share(res.rework_share)} ({res.cases_with_rework:,})",
            definition="Cases in which some activity was done more than once",
        ),
        Figure(
            label="Cases with self-loops",
            value=format_number(res.cases_with_self_loops),
            definition="Cases where an activity was directly repeated",
        ),
        Figure(
            label="Extra time with rework",
            value=format_duration(res.extra_time_seconds),
            definition="Median throughput of cases with rework minus that of cases without "
            "(an association, not a proven cause)",
        ),
    )
    findings = []
    if res.cases_with_rework and res.extra_time_seconds is not None:
        findings.append(
            f"{format_share(res.rework_share)} of cases repeat at least one activity; their median "
            f"throughput time is {format_duration(res.median_throughput_with_rework_seconds)} "
            f"against {format_duration(res.median_throughput_without_rework_seconds)} for cases "
            "without rework."
        )
    tables: tuple[Table, ...] = ()
    if res.activities:
        tables = (
            Table(
                caption="Repeated activities, most cases first",
                columns=(
                    "Activity",
                    "Cases repeating it",
                    "Extra occurrences",
                    "Self-loops",
                    "Median rework span",
                ),
                rows=tuple(
                    (
                        a.activity,
                        format_number(a.cases_with_repeats),
                        format_number(a.extra_occurrences),
                        format_number(a.self_loops),
                        format_duration(a.rework_span_median_seconds),
                    )
                    for a in res.activities[:20]
                ),
                numeric=frozenset({1, 2, 3, 4}),
            ),
        )
    return Section(
        id="rework",
        title="Rework",
        intro="Activities done again in the same case.",
        figures=figures,
        findings=tuple(findings),
        tables=tables,
        notes=(res.definition,),
    )


def resources_section(view: LogView, config: ReportConfig) -> Section | None:

    load = resource_workload(view)
    if not load.resources:
        return None
    top = load.resources[: config.top_resources]
    hand = handover_network(view)
    tables = [
        Table(
            caption=f"Workload per resource (busiest {len(top)} of {len(load.resources)})",
            columns=(
                "Resource",
                "Events",
                "Cases",
                "Activities",
                "Active days",
                "Events per active day",
            ),
            rows=tuple(
                (
                    r.resource,
                    format_number(r.events),
                    format_number(r.cases),
                    format_number(r.activities),
                    format_number(r.active_days),
                    f"{r.events_per_active_day:.1f}",
                )
                for r in top
            ),
            numeric=frozenset({1, 2, 3, 4, 5}),
            note=(
                f"{load.events_without_resource:,} events name no resource."
                if load.events_without_resource
                else ""
            ),
        )
    ]
    graphs: tuple[Graph, ...] = ()
    if hand.edges:
        handovers = Table(
            caption="Most frequent handovers of work between resources",
            columns=("From", "To", "Handovers", "Cases", "Median handover time", "Mean time"),
            rows=tuple(
                (
                    h.source,
                    h.target,
                    format_number(h.count),
                    format_number(h.cases),
                    format_duration(h.median_seconds),
                    format_duration(h.mean_seconds),
                )
                for h in hand.edges[:20]
            ),
            numeric=frozenset({2, 3, 4, 5}),
        )
        first = hand.edges[0]
        graphs = (
            Graph(
                id="graph-handovers",
                label=f"Social network of handovers between {len({h.source for h in hand.edges} | {h.target for h in hand.edges}):,} "
                f"resources: an arrow from one resource to another for each handover, thicker "
                f"when more frequent, redder when slower; the most frequent, {first.source} to "
                f"{first.target}, happened {first.count:,} times (median "
                f"{format_duration(first.median_seconds)}).",
                dot=hand.to_dot(),
                table=handovers,
            ),
        )
    chart = _events_chart(
        id="chart-resources",
        label=f"Events per resource for the {len(top)} busiest resources; the busiest, "
        f"{top[0].resource}, recorded {top[0].events:,} events.",
        category="resource",
        events=[(_clip(r.resource, 50), r.events) for r in top],
    )
    return Section(
        id="resources",
        title="Resources and handovers",
        intro="Who does the work and who passes it to whom.",
        charts=(chart,),
        tables=tuple(tables),
        graphs=graphs,
        notes=(hand.definition,) if hand.edges else (),
    )


def dotted_chart_section(view: LogView, config: ReportConfig) -> Section | None:

    res = dotted_chart(view, DottedChartConfig(max_cases=config.dotted_max_cases))
    if not res.dots:
        return None
    values = [d.to_dict() for d in res.dots]
    return Section(
        id="dotted-chart",
        title="Dotted chart",
        intro="Every event as a dot: across, its time; down, its case (the earliest-starting "
        "case on top); the colour is the activity. Arrival waves, batches (dots in a vertical "
        "line), pauses and cases that stall show at a glance.",
        charts=(
            Chart(
                id="chart-dotted",
                label=f"Dotted chart of {res.events:,} events in {res.cases:,} cases, coloured "
                f"by {len(res.activities)} activities. {res.note}",
                spec=dotted_spec(
                    title="Events over time, one row per case",
                    values=values,
                    activities=list(res.activities),
                ),
            ),
        ),
        notes=(res.note,),
    )


def _spectrum_activities(view: LogView, config: ReportConfig) -> tuple[str, ...] | None:
    """The chosen sequence, or the transition with the largest total waiting."""
    if config.spectrum_activities:
        return config.spectrum_activities
    slow = bottlenecks(view, top=1).transitions
    if not slow or not slow[0].source:
        return None
    return (str(slow[0].source), slow[0].target)


def performance_spectrum_section(view: LogView, config: ReportConfig) -> Section | None:

    chosen = _spectrum_activities(view, config)
    if chosen is None:
        return None
    res = performance_spectrum(
        view, PerformanceSpectrumConfig(activities=chosen, max_lines=config.spectrum_max_lines)
    )
    if not res.lines:
        return None
    values = []
    for line in res.lines:
        label = QUARTILE_CLASSES[line.quartile - 1]
        for i in range(len(line.timestamps) - 1):
            values.append(
                {
                    "case_id": line.case_id,
                    "start": line.timestamps[i],
                    "end": line.timestamps[i + 1],
                    "lane": i,
                    "next_lane": i + 1,
                    "class": label,
                    "duration": format_duration(line.seconds),
                }
            )
    what = " → ".join(res.activities)
    q1, q2, q3 = res.quartiles
    return Section(
        id="performance-spectrum",
        title=f"Performance spectrum: {what}",
        intro="Each line is one case going from one activity to the next: it starts at the "
        "time of the first and ends at the time of the second. Steep lines are fast, flat ones "
        "slow; lines meeting in one point are handled in a batch, crossing lines overtake each "
        "other."
        + (
            ""
            if config.spectrum_activities
            else " The pair shown is the transition with the largest total waiting time."
        ),
        figures=(
            Figure(
                label="Occurrences",
                value=format_number(res.occurrences),
                definition=f"Times {what} happened one after the other in a case (other "
                "activities may lie between)",
            ),
            Figure(
                label="Median duration",
                value=format_duration(q2),
                definition=f"Half of the occurrences take longer from {res.activities[0]} to "
                f"{res.activities[-1]}",
            ),
            Figure(
                label="Fastest / slowest quarter",
                value=f"≤ {format_duration(q1)} / > {format_duration(q3)}",
                definition="The 25th and 75th percentiles: the colour classes of the lines",
            ),
        ),
        charts=(
            Chart(
                id="chart-spectrum",
                label=f"Performance spectrum of {what}: {len(res.lines):,} lines coloured by "
                f"duration quartile, median {format_duration(q2)}. {res.note}",
                spec=spectrum_spec(
                    title=f"From {res.activities[0]} to {res.activities[-1]}",
                    values=values,
                    activities=list(res.activities),
                    classes=list(QUARTILE_CLASSES),
                ),
            ),
        ),
        notes=(res.note,),
    )


def sla_section(view: LogView, config: ReportConfig) -> Section | None:
    if config.sla is None:
        return None

    res = sla_compliance(view, config=config.sla)
    figures = (
        Figure(
            label="On time",
            value=format_share(res.share),
            definition="Compliant cases / (compliant + breached); open cases and cases without "
            "a deadline are left out",
        ),
        Figure(label="Compliant", value=format_number(res.compliant), definition=res.definition),
        Figure(label="Breached", value=format_number(res.breached), definition=res.definition),
        Figure(
            label="Open (late already)",
            value=f"{res.open:,} ({res.open_late:,})",
            definition="Cases not finished yet, and those already past their due time",
        ),
    )
    charts: tuple[Chart, ...] = ()
    if res.trend:
        values = [
            {"period": p.period, "share on time (%)": round(100 * p.share, 2)}
            for p in res.trend
            if p.share is not None
        ]
        charts = (
            _period_chart(
                id="chart-sla",
                label=f"Share of cases on time per {res.config.period}, by the period the case "
                f"ended, over {len(values)} periods.",
                title=f"Share on time per {res.config.period}",
                values=values,
                measure="share on time (%)",
                measure_title="% on time",
                caption=f"Cases on time per {res.config.period}",
                columns=("Period", "Cases", "Compliant", "Breached", "Share on time"),
                rows=(
                    (
                        p.period,
                        format_number(p.cases),
                        format_number(p.compliant),
                        format_number(p.breached),
                        format_share(p.share),
                    )
                    for p in res.trend
                ),
            ),
        )
    tables: tuple[Table, ...] = ()
    if res.worst_breaches:
        tables = (
            Table(
                caption="Largest breaches",
                columns=("Case", "Started", "Ended", "Duration", "Due", "Late by"),
                rows=tuple(
                    (
                        b.case_id,
                        b.start[:16],
                        b.end[:16],
                        format_duration(b.duration_seconds),
                        (b.due or MISSING)[:16],
                        format_duration(b.overshoot_seconds),
                    )
                    for b in res.worst_breaches
                ),
                numeric=frozenset({3, 5}),
            ),
        )
    return Section(
        id="sla",
        title="Service level (SLA)",
        intro=res.definition[:1].upper() + res.definition[1:] + ".",
        figures=figures,
        charts=charts,
        tables=tables,
    )


def _days(value: float | None) -> float | None:
    # the KPI registry states throughput in days; the report formats seconds
    return None if value is None else value * 86400.0


def breakdown_section(view: LogView, config: ReportConfig) -> Section | None:

    # the rule of every door (mining.breakdown_attributes): 2 to 25 groups, not near-unique
    offered = {a.name: a for a in breakdown_attributes(view)}
    if config.breakdown_attributes:
        # asked for by name: any attribute with 2 to 25 groups
        chosen = [
            a
            for a in config.breakdown_attributes
            if a in offered and 2 <= offered[a].groups <= BREAKDOWN_MAX_GROUPS
        ]
    else:
        chosen = [a.name for a in offered.values() if a.suitable][:3]
    if not chosen:
        return None
    charts = []
    for attribute in chosen:
        med = breakdown(view, kpi="throughput_median_days", by=attribute)
        rew = breakdown(view, kpi="rework_share", by=attribute)
        sla = (
            breakdown(view, kpi="sla_compliance_share", by=attribute, sla=config.sla)
            if config.sla is not None
            else None
        )
        columns = [attribute, "Cases", "Median throughput", "Rework share"]
        if sla is not None:
            columns.append("On time")
        rows = []
        for g in med.groups:
            row = [
                g.value,
                format_number(g.cases),
                format_duration(_days(g.kpi_value)),
                format_share(rew.group(g.value).kpi_value),
            ]
            if sla is not None:
                row.append(format_share(sla.group(g.value).kpi_value))
            rows.append(tuple(row))
        overall = [
            "All cases",
            format_number(med.cases),
            format_duration(_days(med.overall)),
            format_share(rew.overall),
        ]
        if sla is not None:
            overall.append(format_share(sla.overall))
        rows.append(tuple(overall))
        figures_table = Table(
            caption=f"Key figures by {attribute}",
            columns=tuple(columns),
            rows=tuple(rows),
            numeric=frozenset(range(1, len(columns))),
        )
        scale, unit = _unit_for(_days(med.overall))
        safe = "".join(ch if ch.isalnum() else "-" for ch in attribute)
        charts.append(
            Chart(
                id=f"chart-breakdown-{safe}",
                label=f"Median throughput time in {unit} by {attribute}, for "
                f"{len(med.groups)} groups; overall {format_duration(_days(med.overall))}.",
                spec=bar_chart(
                    title=f"Median throughput time by {attribute}",
                    values=[
                        {
                            attribute: _clip(g.value, 50),
                            "median": round((_days(g.kpi_value) or 0.0) / scale, 2),
                        }
                        for g in med.groups
                    ],
                    category=attribute,
                    measure="median",
                    category_title=attribute,
                    measure_title=f"median throughput ({unit})",
                    measure_format=",.1f",
                ),
                table=figures_table,
                table_open=True,
            )
        )
    return Section(
        id="breakdown",
        title="Breakdown by case attribute",
        intro="The same key figures for each group of cases, to see where the process differs.",
        charts=tuple(charts),
    )


def conformance_section(view: LogView, config: ReportConfig) -> Section | None:
    if config.model is None:
        return None

    res = conformance(view, model=read_bpmn(config.model))
    figures = (
        Figure(
            label="Fitness",
            value=f"{res.fitness:.3f}",
            definition="How well the cases fit the reference model: 1 means every case follows it",
        ),
        Figure(
            label="Cases that fit",
            value=f"{format_share(res.fitting_share)} ({res.fitting_cases:,})",
            definition="Cases whose activities the model allows in that order",
        ),
    )
    tables: tuple[Table, ...] = ()
    if res.top_deviations:
        tables = (
            Table(
                caption="Most common deviations from the model",
                columns=("Deviation", "Kind", "Cases", "Share of cases"),
                rows=tuple(
                    (
                        d.description,
                        d.kind.replace("_", " "),
                        format_number(d.cases),
                        format_share(d.share),
                    )
                    for d in res.top_deviations
                ),
                numeric=frozenset({2, 3}),
            ),
        )
    notes = list(res.notes)
    if res.unknown_activities:
        notes.append(
            "Activities of the log that no task of the model stands for: "
            + ", ".join(res.unknown_activities[:20])
        )
    return Section(
        id="conformance",
        title=f"Conformance to {res.model}",
        intro="How cases compare with the reference flow: skipped, inserted and out-of-order steps.",
        figures=figures,
        findings=tuple(d.description for d in res.top_deviations[:5]),
        tables=tables,
        notes=tuple(notes),
    )


SECTION_BUILDERS: list[tuple[str, SectionBuilder]] = [
    ("key-figures", key_figures_section),
    ("process-map", process_map_section),
    ("variants", variants_section),
    ("throughput", throughput_section),
    ("arrivals", arrivals_wip_section),
    ("activities", activities_section),
    ("bottlenecks", bottlenecks_section),
    ("rework", rework_section),
    ("resources", resources_section),
    ("dotted-chart", dotted_chart_section),
    ("performance-spectrum", performance_spectrum_section),
    ("sla", sla_section),
    ("breakdown", breakdown_section),
    ("conformance", conformance_section),
]
"""(section id, builder) in the order the sections appear; the id is also the HTML anchor."""

REPORT_SECTIONS: tuple[str, ...] = tuple(name for name, _ in SECTION_BUILDERS)
"""The ids of the sections a report can hold (``ReportConfig.sections`` picks among them)."""


def build_section(view: LogView, section_id: str, config: ReportConfig) -> Section | None:
    """One section of the report on ``view`` (the workbench shows the same sections as tabs)."""
    for name, builder in SECTION_BUILDERS:
        if name == section_id:
            return builder(view, config)
    raise NotFoundError(
        f"there is no report section '{section_id}'",
        found=section_id,
        expected=", ".join(REPORT_SECTIONS),
    )
