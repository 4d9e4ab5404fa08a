"""``civicflow analyze <analysis>``: one analysis of a dataset, as Rich tables or as JSON.

The subcommands are the analyses of ``civicflow.mining.ANALYSES`` whose command is
``analyze <name>`` (their help is the registry's summary). Every one takes the shared
workspace/dataset/engine and filter options (see ``_filters``); ``--json`` prints the analysis
result's ``to_dict()`` so scripts get exactly what the Python API returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from civicflow.cli._filters import (
    MaxActivitiesOpt,
    PathShareOpt,
    ViewOptions,
    view_command,
    with_sla,
)
from civicflow.cli._output import emit_json as _emit_json
from civicflow.cli._output import table
from civicflow.mining import (
    ANALYSES,
    BottleneckConfig,
    DottedChartConfig,
    Freq,
    LogView,
    PerformanceSpectrumConfig,
    ProcessMapConfig,
    ReplayConfig,
    SlaOptions,
    activity_stats,
    arrivals,
    bottlenecks,
    breakdown,
    case_replay,
    dotted_chart,
    format_duration,
    format_kpi_value,
    format_share,
    handover_network,
    performance_spectrum,
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
FreqOpt = Annotated[Freq, typer.Option("--freq", help="Period: day, week or month.")]
_secs = format_duration
_pct = format_share
F = TypeVar("F", bound=Callable[..., Any])


def _command(name: str) -> Callable[[F], F]:
    """Register the ``analyze`` subcommand of the registered analysis ``name`` (its help is the
    registry's summary), with the shared view options."""
    entry = next(a for a in ANALYSES if a.cli == ("analyze", name))

    def register(func: F) -> F:
        app.command(name, help=entry.summary)(view_command(func))
        return func

    return register


def _emit(
    options: ViewOptions,
    what: str,
    compute: Callable[[LogView], Any],
    *,
    as_json: bool,
    show: Callable[[Any], None],
) -> Any:
    """Compute on the view, then print the result's ``to_dict()`` as JSON or ``show`` it."""
    with options.open() as view, err_console.status(f"computing {what} on {options.dataset}…"):
        result = compute(view)
    if as_json:
        _emit_json(result.to_dict())
    else:
        show(result)
    return result


@_command("map")
def map_command(
    options: ViewOptions,
    max_activities: MaxActivitiesOpt = None,
    path_share: PathShareOpt = 1.0,
    dot: Annotated[
        str | None,
        typer.Option("--dot", help="Print Graphviz DOT instead: frequency or performance."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    config = ProcessMapConfig(max_activities=max_activities, path_share=path_share)
    if dot is not None:
        with options.open() as view:
            typer.echo(process_map(view, config).to_dot(dot), nl=False)  # type: ignore[arg-type]
        return
    _emit(options, "the process map", lambda v: process_map(v, config), as_json=json_out,
          show=_show_map)  # fmt: skip


def _show_map(pm: Any) -> None:
    console.print(
        f"{pm.cases:,} cases, {pm.events:,} events, {len(pm.activities)} of "
        f"{pm.total_activities} activities, {len(pm.edges)} of {pm.total_edges} paths shown"
    )
    table(console,
        "Paths (a directly followed by b)",
        ["from", "to", "times", "cases", "median", "mean", "p90"],
        [
            (e.source, e.target, e.frequency, e.cases,
             *(_secs(x) for x in (e.median_seconds, e.mean_seconds, e.p90_seconds)))
            for e in pm.edges
        ],
        numeric=range(2, 7),
    )  # fmt: skip
    table(
        console,
        "Start and end activities",
        ["activity", "cases starting", "cases ending"],
        [
            (a, pm.start_activities.get(a, 0), pm.end_activities.get(a, 0))
            for a in dict.fromkeys([*pm.start_activities, *pm.end_activities])
        ],
        numeric=(1, 2),
    )


@_command("variants")
def variants_command(
    options: ViewOptions,
    top: Annotated[int, typer.Option("--top", help="How many variants to list.")] = 20,
    json_out: JsonOpt = False,
) -> None:
    _emit(options, "variants", lambda v: variants(v, top=top), as_json=json_out,
          show=_show_variants)  # fmt: skip


def _show_variants(res: Any) -> None:
    table(console,
        f"{res.total_variants:,} variants over {res.total_cases:,} cases "
        f"({res.variants_for_coverage} cover {res.config.coverage:.0%} of cases)",
        ["#", "id", "cases", "share", "median", "mean", "activities"],
        [
            (i, x.id, x.cases, _pct(x.share), _secs(x.median_throughput_seconds),
             _secs(x.mean_throughput_seconds), " → ".join(x.activities))
            for i, x in enumerate(res.variants, start=1)
        ],
        numeric=range(0, 6),
    )  # fmt: skip
    if res.tail_variants:
        console.print(f"long tail: {res.tail_variants:,} more variants, {res.tail_cases:,} cases")


@_command("throughput")
def throughput_command(
    options: ViewOptions,
    bins: Annotated[int, typer.Option("--bins", help="Histogram bins.")] = 20,
    json_out: JsonOpt = False,
) -> None:
    _emit(options, "throughput times",
          lambda v: throughput_times(v, bins=bins, include_cases=False), as_json=json_out,
          show=_show_throughput)  # fmt: skip


def _show_throughput(res: Any) -> None:
    s = res.summary
    table(
        console,
        f"Throughput time of {s.count:,} cases",
        ["statistic", "value"],
        [
            (k, _secs(getattr(s, k)))
            for k in ("min", "p10", "p25", "median", "mean", "p75", "p90", "p95", "max")
        ],
        numeric=(1,),
    )
    table(
        console,
        "Histogram",
        ["from", "to", "cases"],
        [(_secs(b.low), _secs(b.high), b.cases) for b in res.histogram],
        numeric=(0, 1, 2),
    )


@_command("arrivals")
def arrivals_command(
    options: ViewOptions, freq: FreqOpt = "week", json_out: JsonOpt = False
) -> None:
    def show(res: Any) -> None:
        table(
            console,
            f"Cases started per {freq}",
            ["period", "cases"],
            [(p.date().isoformat(), n) for p, n in zip(res.periods, res.values, strict=True)],
            numeric=(1,),
        )

    _emit(options, "arrivals", lambda v: arrivals(v, freq=freq), as_json=json_out,
          show=show)  # fmt: skip


@_command("wip")
def wip_command(options: ViewOptions, freq: FreqOpt = "week", json_out: JsonOpt = False) -> None:
    def show(res: Any) -> None:
        table(
            console,
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

    _emit(options, "work in progress", lambda v: work_in_progress(v, freq=freq),
          as_json=json_out, show=show)  # fmt: skip


@_command("activities")
def activities_command(options: ViewOptions, json_out: JsonOpt = False) -> None:
    _emit(options, "activity statistics", activity_stats, as_json=json_out,
          show=_show_activities)  # fmt: skip


def _show_activities(res: Any) -> None:
    table(console,
        f"Activities ({res.case_count:,} cases)",
        ["activity", "events", "cases", "share", "wait median", "wait total", "service median"],
        [
            (a.activity, a.events, a.cases, _pct(a.case_share), _secs(a.wait_median_seconds),
             _secs(a.wait_total_seconds), _secs(a.service_median_seconds))
            for a in res.activities
        ],
        numeric=range(1, 7),
    )  # fmt: skip


@_command("bottlenecks")
def bottlenecks_command(
    options: ViewOptions,
    top: Annotated[int, typer.Option("--top", help="How many to rank.")] = 10,
    min_share: Annotated[
        float,
        typer.Option(
            "--min-share",
            help="Materiality: a finding needs at least this share of all waiting time "
            "(0.05 = 5 %).",
        ),
    ] = 0.05,
    json_out: JsonOpt = False,
) -> None:
    config = BottleneckConfig(top=top, min_share=min_share)
    _emit(options, "bottlenecks", lambda v: bottlenecks(v, config=config), as_json=json_out,
          show=_show_bottlenecks)  # fmt: skip


def _show_bottlenecks(res: Any) -> None:
    for finding in res.findings:
        console.print(f"• {finding}", highlight=False)
    if not res.findings:
        console.print(
            f"No activity holds {_pct(res.config.min_share)} or more of all waiting time.",
            highlight=False,
        )
    for title, items in (("Activities", res.activities), ("Transitions", res.transitions)):
        table(console,
            f"{title} by total waiting time",
            ["waiting before", "total", "median", "times", "cases", "of all waiting"],
            [
                (f"{b.source} → {b.target}" if b.source else b.target,
                 _secs(b.total_wait_seconds), _secs(b.median_wait_seconds), b.occurrences,
                 b.cases, _pct(b.share_of_waiting))
                for b in items
            ],
            numeric=range(1, 6),
        )  # fmt: skip


@_command("rework")
def rework_command(options: ViewOptions, json_out: JsonOpt = False) -> None:
    _emit(options, "rework", rework, as_json=json_out, show=_show_rework)


def _show_rework(res: Any) -> None:
    console.print(
        f"{res.cases_with_rework:,} of {res.case_count:,} cases ({_pct(res.rework_share)}) have "
        f"rework; {res.cases_with_self_loops:,} have self-loops; median throughput "
        f"{_secs(res.median_throughput_with_rework_seconds)} with rework vs "
        f"{_secs(res.median_throughput_without_rework_seconds)} without",
        highlight=False,
    )
    table(console,
        "Repeated activities",
        ["activity", "cases repeating", "extra occurrences", "self-loops", "median span"],
        [
            (a.activity, a.cases_with_repeats, a.extra_occurrences, a.self_loops,
             _secs(a.rework_span_median_seconds))
            for a in res.activities
        ],
        numeric=range(1, 5),
    )  # fmt: skip


@_command("resources")
def resources_command(options: ViewOptions, json_out: JsonOpt = False) -> None:
    _emit(options, "resource workload", resource_workload, as_json=json_out,
          show=_show_resources)  # fmt: skip


def _show_resources(res: Any) -> None:
    if res.reason:
        console.print(res.reason)
        return
    table(console,
        "Workload per resource",
        ["resource", "events", "cases", "activities", "active days", "events/active day"],
        [
            (r.resource, r.events, r.cases, r.activities, r.active_days,
             f"{r.events_per_active_day:.1f}")
            for r in res.resources
        ],
        numeric=range(1, 6),
    )  # fmt: skip


@_command("handovers")
def handovers_command(
    options: ViewOptions,
    include_self: Annotated[
        bool, typer.Option("--include-self", help="Also count a resource following itself.")
    ] = False,
    dot: Annotated[
        bool, typer.Option("--dot", help="Print the social network as Graphviz DOT instead.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    if dot:
        with options.open() as view:
            typer.echo(handover_network(view, include_self=include_self).to_dot(), nl=False)
        return
    _emit(options, "handovers", lambda v: handover_network(v, include_self=include_self),
          as_json=json_out, show=_show_handovers)  # fmt: skip


def _show_handovers(res: Any) -> None:
    if res.reason:
        console.print(res.reason)
        return
    table(
        console,
        "Handovers",
        ["from", "to", "count", "cases", "median time", "mean time"],
        [
            (h.source, h.target, h.count, h.cases, _secs(h.median_seconds), _secs(h.mean_seconds))
            for h in res.edges
        ],
        numeric=(2, 3, 4, 5),
    )


@_command("sla")
@with_sla
def sla_command(options: ViewOptions, sla: SlaOptions, json_out: JsonOpt = False) -> None:
    sla.to_config()  # a malformed option is named before the dataset is opened

    def compute(v: Any) -> Any:
        # the options given, or the dataset's default SLA: the definition of every door
        config = sla.for_view(v, required=True)
        assert config is not None
        return sla_compliance(v, config=config)

    _emit(options, "SLA compliance", compute, as_json=json_out, show=_show_sla)


def _show_sla(res: Any) -> None:
    console.print(res.definition, highlight=False)
    table(console,
        "SLA compliance",
        ["cases", "compliant", "breached", "open", "open and late", "no deadline", "on time"],
        [(res.cases, res.compliant, res.breached, res.open, res.open_late, res.no_deadline,
          _pct(res.share))],
        numeric=range(0, 7),
    )  # fmt: skip
    table(
        console,
        f"Trend per {res.config.period}",
        ["period", "cases", "compliant", "breached", "on time"],
        [(p.period, p.cases, p.compliant, p.breached, _pct(p.share)) for p in res.trend],
        numeric=range(1, 5),
    )


@_command("breakdown")
@with_sla
def breakdown_command(
    options: ViewOptions,
    sla: SlaOptions,
    by: Annotated[str, typer.Option("--by", help="Case attribute to group by.")],
    kpi: Annotated[
        str, typer.Option("--kpi", help="KPI to compute per group (see civicflow.mining).")
    ] = "throughput_median_days",
    json_out: JsonOpt = False,
) -> None:
    sla.to_config()  # a malformed option is named before the dataset is opened

    def show(res: Any) -> None:
        def fmt(value: float | None) -> str:
            if res.unit == "share":
                return _pct(value)
            if res.unit == "days":
                return _secs(None if value is None else value * 86400.0)
            return format_kpi_value(value, res.unit)

        console.print(res.definition, highlight=False)
        table(
            console,
            f"{kpi} by {by}",
            [by, "cases", kpi],
            [(g.value, g.cases, fmt(g.kpi_value)) for g in res.groups]
            + [("(all cases)", res.cases, fmt(res.overall))],
            numeric=(1, 2),
        )

    _emit(options, f"{kpi} by {by}",
          lambda v: breakdown(v, kpi=kpi, by=by, sla=sla.for_view(v)),
          as_json=json_out, show=show)  # fmt: skip


@_command("dotted")
def dotted_command(
    options: ViewOptions,
    max_cases: Annotated[
        int, typer.Option("--max-cases", help="Draw at most this many cases (a sample beyond).")
    ] = 500,
    json_out: JsonOpt = False,
) -> None:
    config = DottedChartConfig(max_cases=max_cases)

    def show(res: Any) -> None:
        console.print(res.note, highlight=False)
        counts: dict[str, int] = {}
        for d in res.dots:
            counts[d.activity] = counts.get(d.activity, 0) + 1
        table(console, "Dots per activity", ["activity", "dots"],
              [(a, counts[a]) for a in res.activities], numeric=(1,))  # fmt: skip

    _emit(options, "the dotted chart", lambda v: dotted_chart(v, config), as_json=json_out,
          show=show)  # fmt: skip


@_command("spectrum")
def spectrum_command(
    options: ViewOptions,
    activity: Annotated[
        list[str],
        typer.Option(
            "--activity",
            help="An activity of the sequence, in order; give it twice or more (A, then B).",
        ),
    ],
    max_lines: Annotated[
        int, typer.Option("--max-lines", help="Draw at most this many lines (a sample beyond).")
    ] = 2000,
    json_out: JsonOpt = False,
) -> None:
    config = PerformanceSpectrumConfig(activities=tuple(activity), max_lines=max_lines)

    def show(res: Any) -> None:
        console.print(res.note, highlight=False)
        q1, q2, q3 = res.quartiles
        table(console, "Duration quartiles (every occurrence)",
              ["occurrences", "25th percentile", "median", "75th percentile"],
              [(res.occurrences, _secs(q1), _secs(q2), _secs(q3))], numeric=range(0, 4))  # fmt: skip

    _emit(options, "the performance spectrum", lambda v: performance_spectrum(v, config),
          as_json=json_out, show=show)  # fmt: skip


@_command("replay")
def replay_command(
    options: ViewOptions,
    max_cases: Annotated[
        int, typer.Option("--max-cases", help="Replay at most this many cases (a sample beyond).")
    ] = 300,
    json_out: JsonOpt = False,
) -> None:
    config = ReplayConfig(max_cases=max_cases)

    def show(res: Any) -> None:
        console.print(res.note + " Open the workbench's Replay tab to watch it.", highlight=False)
        table(console, "Case paths (first 20)", ["case", "events", "from start", "path"],
              [(c.case_id, len(c.activities), _secs(c.offsets[0]), " → ".join(c.activities))
               for c in res.cases[:20]], numeric=(1, 2))  # fmt: skip

    _emit(options, "case paths", lambda v: case_replay(v, config), as_json=json_out, show=show)
