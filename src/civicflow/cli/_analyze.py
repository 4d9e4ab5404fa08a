"""``civicflow analyze <analysis>``: one analysis of a dataset, as Rich tables or as JSON.

Every subcommand takes the shared workspace/dataset/engine and filter options (see ``_filters``);
``--json`` prints the analysis result's ``to_dict()`` so scripts get exactly what the Python API
returns.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table

from civicflow.cli._filters import ViewOptions, parse_duration, view_command
from civicflow.core import InputError, Location
from civicflow.mining import (
    LogView,
    ProcessMapConfig,
    SlaConfig,
    WorkingCalendar,
    activity_stats,
    arrivals,
    bottlenecks,
    breakdown,
    handover_network,
    process_map,
    resource_workload,
    rework,
    sla_compliance,
    throughput_times,
    variants,
    work_in_progress,
)

app = typer.Typer(
    help="Run one analysis on a dataset: process map, variants, performance, bottlenecks, "
    "rework, resources, SLA, breakdowns. Rich tables, or --json.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Freq = Literal["day", "week", "month"]
FreqOpt = Annotated[str, typer.Option("--freq", help="Period: day, week or month.")]


def _run(options: ViewOptions, what: str, compute: Callable[[LogView], Any]) -> Any:
    with options.open() as view, err_console.status(f"computing {what} on {options.dataset}…"):
        return compute(view)


def _json_safe(value: Any) -> Any:
    # NaN and infinity are not JSON; an unmeasurable value is reported as null
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _emit_json(data: Any) -> None:
    # plain stdout (no Rich markup or wrapping) so the output is valid JSON for any reader
    text = json.dumps(_json_safe(data), indent=2, ensure_ascii=False, default=str, allow_nan=False)
    typer.echo(text)


def _secs(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    s = abs(value)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if s >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:.0f} s"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Iterable[int] = ()
) -> Table:
    right = set(numeric)
    t = Table(title=title, title_justify="left", show_lines=False)
    for i, c in enumerate(columns):
        t.add_column(c, justify="right" if i in right else "left", overflow="fold")
    for r in rows:
        t.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in r])
    return t


def _freq(freq: str) -> Freq:
    if freq not in ("day", "week", "month"):
        raise InputError(
            f"unknown period '{freq}'",
            where=Location(field="--freq"),
            found=freq,
            expected="day, week or month",
            fix="pass --freq week",
        )
    return freq  # type: ignore[return-value]


@app.command("map")
@view_command
def map_command(
    options: ViewOptions,
    max_activities: Annotated[
        int | None,
        typer.Option("--max-activities", help="Show only the N most frequent activities."),
    ] = None,
    path_share: Annotated[
        float,
        typer.Option("--path-share", help="Keep the most frequent paths covering this share."),
    ] = 1.0,
    dot: Annotated[
        str | None,
        typer.Option("--dot", help="Print Graphviz DOT instead: frequency or performance."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Process map: directly-follows graph with frequency and performance per edge."""
    config = ProcessMapConfig(max_activities=max_activities, path_share=path_share)
    pm = _run(options, "the process map", lambda v: process_map(v, config))
    if dot is not None:
        typer.echo(pm.to_dot(dot), nl=False)
        return
    if json_out:
        _emit_json(pm.to_dict())
        return
    console.print(
        f"{pm.cases:,} cases, {pm.events:,} events, {len(pm.activities)} of "
        f"{pm.total_activities} activities, {len(pm.edges)} of {pm.total_edges} paths shown"
    )
    console.print(
        _table(
            "Paths (a directly followed by b)",
            ["from", "to", "times", "cases", "median", "mean", "p90"],
            [
                (
                    e.source,
                    e.target,
                    e.frequency,
                    e.cases,
                    *(_secs(x) for x in (e.median_seconds, e.mean_seconds, e.p90_seconds)),
                )
                for e in pm.edges
            ],
            numeric=range(2, 7),
        )
    )
    console.print(
        _table(
            "Start and end activities",
            ["activity", "cases starting", "cases ending"],
            [
                (a, pm.start_activities.get(a, 0), pm.end_activities.get(a, 0))
                for a in dict.fromkeys([*pm.start_activities, *pm.end_activities])
            ],
            numeric=(1, 2),
        )
    )


@app.command("variants")
@view_command
def variants_command(
    options: ViewOptions,
    top: Annotated[int, typer.Option("--top", help="How many variants to list.")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """Variants: distinct activity sequences with their cases, share and throughput time."""
    res = _run(options, "variants", lambda v: variants(v, top=top))
    if json_out:
        _emit_json(res.to_dict())
        return
    console.print(
        _table(
            f"{res.total_variants:,} variants over {res.total_cases:,} cases "
            f"({res.variants_for_coverage} cover {res.config.coverage:.0%} of cases)",
            ["#", "id", "cases", "share", "median", "mean", "activities"],
            [
                (
                    i,
                    x.id,
                    x.cases,
                    _pct(x.share),
                    _secs(x.median_throughput_seconds),
                    _secs(x.mean_throughput_seconds),
                    " → ".join(x.activities),
                )
                for i, x in enumerate(res.variants, start=1)
            ],
            numeric=range(0, 6),
        )
    )
    if res.tail_variants:
        console.print(f"long tail: {res.tail_variants:,} more variants, {res.tail_cases:,} cases")


@app.command("throughput")
@view_command
def throughput_command(
    options: ViewOptions,
    bins: Annotated[int, typer.Option("--bins", help="Histogram bins.")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """Throughput time of cases (first to last event): summary and histogram."""
    res = _run(
        options, "throughput times", lambda v: throughput_times(v, bins=bins, include_cases=False)
    )
    if json_out:
        _emit_json(res.to_dict())
        return
    s = res.summary
    console.print(
        _table(
            f"Throughput time of {s.count:,} cases",
            ["statistic", "value"],
            [
                (k, _secs(getattr(s, k)))
                for k in ("min", "p10", "p25", "median", "mean", "p75", "p90", "p95", "max")
            ],
            numeric=(1,),
        )
    )
    console.print(
        _table(
            "Histogram",
            ["from", "to", "cases"],
            [(_secs(b.low), _secs(b.high), b.cases) for b in res.histogram],
            numeric=(0, 1, 2),
        )
    )


@app.command("arrivals")
@view_command
def arrivals_command(
    options: ViewOptions, freq: FreqOpt = "week", json_out: JsonOpt = False
) -> None:
    """New cases per day, week or month (by the time of their first event)."""
    res = _run(options, "arrivals", lambda v: arrivals(v, freq=_freq(freq)))
    if json_out:
        _emit_json(res.to_dict())
        return
    console.print(
        _table(
            f"Cases started per {freq}",
            ["period", "cases"],
            [(p.date().isoformat(), n) for p, n in zip(res.periods, res.values, strict=True)],
            numeric=(1,),
        )
    )


@app.command("wip")
@view_command
def wip_command(options: ViewOptions, freq: FreqOpt = "week", json_out: JsonOpt = False) -> None:
    """Work in progress: cases open in each period, with those started and completed."""
    res = _run(options, "work in progress", lambda v: work_in_progress(v, freq=_freq(freq)))
    if json_out:
        _emit_json(res.to_dict())
        return
    console.print(
        _table(
            f"Open cases per {freq}",
            ["period", "open", "started", "completed"],
            [
                (p.date().isoformat(), o, s, c)
                for p, o, s, c in zip(
                    res.periods, res.open, res.started, res.completed, strict=True
                )
            ],
            numeric=(1, 2, 3),
        )
    )


@app.command("activities")
@view_command
def activities_command(options: ViewOptions, json_out: JsonOpt = False) -> None:
    """Per activity: events, cases, waiting time before it, service time when known."""
    res = _run(options, "activity statistics", activity_stats)
    if json_out:
        _emit_json(res.to_dict())
        return
    console.print(
        _table(
            f"Activities ({res.case_count:,} cases)",
            ["activity", "events", "cases", "share", "wait median", "wait total", "service median"],
            [
                (
                    a.activity,
                    a.events,
                    a.cases,
                    _pct(a.case_share),
                    _secs(a.wait_median_seconds),
                    _secs(a.wait_total_seconds),
                    _secs(a.service_median_seconds),
                )
                for a in res.activities
            ],
            numeric=range(1, 7),
        )
    )


@app.command("bottlenecks")
@view_command
def bottlenecks_command(
    options: ViewOptions,
    top: Annotated[int, typer.Option("--top", help="How many to rank.")] = 10,
    json_out: JsonOpt = False,
) -> None:
    """Where cases wait: activities and transitions by total waiting time, with findings."""
    res = _run(options, "bottlenecks", lambda v: bottlenecks(v, top=top))
    if json_out:
        _emit_json(res.to_dict())
        return
    for finding in res.findings:
        console.print(f"• {finding}", highlight=False)
    for title, items in (("Activities", res.activities), ("Transitions", res.transitions)):
        console.print(
            _table(
                f"{title} by total waiting time",
                ["waiting before", "total", "median", "times", "cases", "of median throughput"],
                [
                    (
                        f"{b.source} → {b.target}" if b.source else b.target,
                        _secs(b.total_wait_seconds),
                        _secs(b.median_wait_seconds),
                        b.occurrences,
                        b.cases,
                        _pct(b.share_of_median_throughput),
                    )
                    for b in items
                ],
                numeric=range(1, 6),
            )
        )


@app.command("rework")
@view_command
def rework_command(options: ViewOptions, json_out: JsonOpt = False) -> None:
    """Rework: repeated activities and self-loops, the share of cases and the time it costs."""
    res = _run(options, "rework", rework)
    if json_out:
        _emit_json(res.to_dict())
        return
    console.print(
        f"{res.cases_with_rework:,} of {res.case_count:,} cases ({_pct(res.rework_share)}) have "
        f"rework; {res.cases_with_self_loops:,} have self-loops; median throughput "
        f"{_secs(res.median_throughput_with_rework_seconds)} with rework vs "
        f"{_secs(res.median_throughput_without_rework_seconds)} without",
        highlight=False,
    )
    console.print(
        _table(
            "Repeated activities",
            ["activity", "cases repeating", "extra occurrences", "self-loops", "median span"],
            [
                (
                    a.activity,
                    a.cases_with_repeats,
                    a.extra_occurrences,
                    a.self_loops,
                    _secs(a.rework_span_median_seconds),
                )
                for a in res.activities
            ],
            numeric=range(1, 5),
        )
    )


@app.command("resources")
@view_command
def resources_command(options: ViewOptions, json_out: JsonOpt = False) -> None:
    """Workload per resource: events, cases, activities, active days."""
    res = _run(options, "resource workload", resource_workload)
    if json_out:
        _emit_json(res.to_dict())
        return
    if res.reason:
        console.print(res.reason)
        return
    console.print(
        _table(
            "Workload per resource",
            ["resource", "events", "cases", "activities", "active days", "events/active day"],
            [
                (
                    r.resource,
                    r.events,
                    r.cases,
                    r.activities,
                    r.active_days,
                    f"{r.events_per_active_day:.1f}",
                )
                for r in res.resources
            ],
            numeric=range(1, 6),
        )
    )


@app.command("handovers")
@view_command
def handovers_command(
    options: ViewOptions,
    include_self: Annotated[
        bool, typer.Option("--include-self", help="Also count a resource following itself.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Handover network: who passes work to whom, and how often."""
    res = _run(options, "handovers", lambda v: handover_network(v, include_self=include_self))
    if json_out:
        _emit_json(res.to_dict())
        return
    if res.reason:
        console.print(res.reason)
        return
    console.print(
        _table(
            "Handovers",
            ["from", "to", "count", "cases", "mean time"],
            [(h.source, h.target, h.count, h.cases, _secs(h.mean_seconds)) for h in res.edges],
            numeric=(2, 3, 4),
        )
    )


SlaTargetOpt = Annotated[
    str | None,
    typer.Option("--target", help="SLA: a case complies within this duration (e.g. 30d)."),
]
SlaDaysOpt = Annotated[
    float | None, typer.Option("--sla-days", help="SLA: a case complies within N days.")
]
DeadlineOpt = Annotated[
    str | None,
    typer.Option("--deadline-attribute", help="SLA: case attribute holding each case's deadline."),
]
WorkingHoursOpt = Annotated[
    str | None,
    typer.Option(
        "--working-hours",
        help="SLA: count only working time, Mon-Fri between these hours (e.g. 08:30-17:00).",
    ),
]
TimezoneOpt = Annotated[
    str, typer.Option("--timezone", help="SLA working hours: the office's time zone.")
]
HolidaysOpt = Annotated[
    str | None,
    typer.Option("--holidays", help="SLA working hours: skip this country's public holidays (NL)."),
]
EndActivityOpt = Annotated[
    list[str] | None,
    typer.Option("--end-activity", help="A case is finished only when it ends with this one."),
]


def sla_config(
    *,
    target: str | None = None,
    sla_days: float | None = None,
    deadline_attribute: str | None = None,
    end_activities: list[str] | None = None,
    working_hours: str | None = None,
    timezone: str = "UTC",
    holidays: str | None = None,
    required: bool = True,
) -> SlaConfig | None:
    """The ``SlaConfig`` of the SLA options; None when none is given and ``required`` is False."""
    given = [x for x in (target, sla_days, deadline_attribute) if x is not None]
    if not given:
        if not required:
            return None
        raise InputError(
            "an SLA needs a target or a deadline attribute",
            where=Location(field="--target / --sla-days / --deadline-attribute"),
            expected="one of --target 30d, --sla-days 30, --deadline-attribute <case attribute>",
            fix="add --sla-days 30 (or the agency's target)",
        )
    if len(given) > 1:
        raise InputError(
            "give one SLA only",
            where=Location(field="--target / --sla-days / --deadline-attribute"),
            found=", ".join(str(g) for g in given),
            expected="exactly one of --target, --sla-days, --deadline-attribute",
            fix="drop all but one of them",
        )
    seconds = None
    if target is not None:
        seconds = parse_duration(target, option="--target")
    elif sla_days is not None:
        seconds = sla_days * 86400.0
    calendar = None
    if working_hours is not None:
        opening, sep, closing = working_hours.partition("-")
        if not sep:
            raise InputError(
                f"cannot read the working hours '{working_hours}'",
                where=Location(field="--working-hours"),
                found=working_hours,
                expected="opening-closing, for example 08:30-17:00",
                fix="write --working-hours 08:30-17:00",
            )
        calendar = WorkingCalendar.office_hours(
            start=opening.strip(), end=closing.strip(), timezone=timezone, country=holidays
        )
    return SlaConfig(
        target_seconds=seconds,
        deadline_attribute=deadline_attribute,
        end_activities=tuple(end_activities or ()),
        calendar=calendar,
    )


@app.command("sla")
@view_command
def sla_command(
    options: ViewOptions,
    target: SlaTargetOpt = None,
    sla_days: SlaDaysOpt = None,
    deadline_attribute: DeadlineOpt = None,
    end_activity: EndActivityOpt = None,
    working_hours: WorkingHoursOpt = None,
    timezone: TimezoneOpt = "UTC",
    holidays: HolidaysOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """SLA compliance: the share of cases finished within the target or their deadline."""
    config = sla_config(
        target=target,
        sla_days=sla_days,
        deadline_attribute=deadline_attribute,
        end_activities=end_activity,
        working_hours=working_hours,
        timezone=timezone,
        holidays=holidays,
    )
    assert config is not None
    res = _run(options, "SLA compliance", lambda v: sla_compliance(v, config=config))
    if json_out:
        _emit_json(res.to_dict())
        return
    console.print(res.definition, highlight=False)
    console.print(
        _table(
            "SLA compliance",
            ["cases", "compliant", "breached", "open", "open and late", "no deadline", "on time"],
            [
                (
                    res.cases,
                    res.compliant,
                    res.breached,
                    res.open,
                    res.open_late,
                    res.no_deadline,
                    _pct(res.share),
                )
            ],
            numeric=range(0, 7),
        )
    )
    console.print(
        _table(
            f"Trend per {res.config.period}",
            ["period", "cases", "compliant", "breached", "on time"],
            [(p.period, p.cases, p.compliant, p.breached, _pct(p.share)) for p in res.trend],
            numeric=range(1, 5),
        )
    )


@app.command("breakdown")
@view_command
def breakdown_command(
    options: ViewOptions,
    by: Annotated[str, typer.Option("--by", help="Case attribute to group by.")],
    kpi: Annotated[
        str, typer.Option("--kpi", help="KPI to compute per group (see civicflow.mining).")
    ] = "throughput_median_days",
    target: SlaTargetOpt = None,
    sla_days: SlaDaysOpt = None,
    deadline_attribute: DeadlineOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """A KPI per value of a case attribute (district, channel, case type), beside its overall."""
    sla = sla_config(
        target=target, sla_days=sla_days, deadline_attribute=deadline_attribute, required=False
    )
    res = _run(options, f"{kpi} by {by}", lambda v: breakdown(v, kpi=kpi, by=by, sla=sla))
    if json_out:
        _emit_json(res.to_dict())
        return

    def fmt(value: float | None) -> str:
        if value is None:
            return "–"
        if res.unit == "share":
            return _pct(value)
        if res.unit == "days":
            return _secs(value * 86400.0)
        return f"{value:,.2f} {res.unit}"

    console.print(res.definition, highlight=False)
    console.print(
        _table(
            f"{kpi} by {by}",
            [by, "cases", kpi],
            [(g.value, g.cases, fmt(g.kpi_value)) for g in res.groups]
            + [("(all cases)", res.cases, fmt(res.overall))],
            numeric=(1, 2),
        )
    )
