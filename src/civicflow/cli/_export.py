"""``civicflow export log|map|report|table``: data and pictures out of the workbench.

``log`` carries case data out, so it acts as the local operator through ``civicflow.app`` (role
check, ledger entry ``dataset.export``); the others read the folder like ``civicflow analyze``.
Maps as SVG/PNG and reports as PDF are drawn by a headless Chromium (``CIVICFLOW_BROWSER``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.console import Console

from civicflow.cli._filters import (
    MaxActivitiesOpt,
    PathShareOpt,
    ViewOptions,
    view_command,
    with_sla,
)
from civicflow.cli._operator import acting, print_receipt
from civicflow.core import InputError, Location, get_settings
from civicflow.mining import SlaOptions

app = typer.Typer(
    help="Export the filtered event log (CSV, Parquet, XES), a process map (SVG, PNG, DOT), the "
    "report as PDF, or an analysis table as CSV.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

OutOpt = Annotated[Path, typer.Option("--out", "-o", help="File to write.")]
TABLES = (
    "map", "variants", "activities", "bottlenecks", "rework", "resources", "handovers", "sla",
    "breakdown", "throughput",
)  # fmt: skip


def _format(value: str | None, out: Path, allowed: tuple[str, ...], option: str) -> str:
    """The format asked for, or the one the file's suffix names."""
    fmt = (value or out.suffix.lstrip(".")).lower()
    if fmt not in allowed:
        raise InputError(
            f"cannot tell which format to write: '{fmt or out.name}'",
            where=Location(field=option),
            found=value or out.name,
            expected=", ".join(allowed),
            fix=f"pass {option} {allowed[0]}, or name the file with that suffix",
        )
    return fmt


@app.command("log")
@view_command
def export_log_command(
    *,
    options: ViewOptions,
    out: OutOpt,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="csv, parquet or xes (default: the file's suffix)."),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why the log leaves the workbench (ledger).")
    ] = None,
) -> None:
    """Write the (filtered) event log as CSV, Parquet or XES; recorded in the audit ledger."""
    from civicflow.app import Permission, assessment
    from civicflow.eventlog import EventStore, LogFormat, make_engine

    kind = cast(LogFormat, _format(fmt, out, ("csv", "parquet", "xes"), "--format"))
    EventStore.open(options.workspace).dataset(options.dataset)  # named before registering
    with acting(
        options.workspace, Permission.WORKSPACE_READ, command="civicflow export log"
    ) as act:
        engine = make_engine(options.engine, spark_master=act.ctx.settings.spark_master)
        try:
            with err_console.status(f"writing {out}…"):
                assessment.export_event_log(
                    act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                    dataset_name=options.dataset, filter=options.filter, fmt=kind, out=out,
                    engine=engine, reason=reason or "civicflow export log (command line)",
                )  # fmt: skip
        finally:
            engine.close()
        receipt = act.receipt(
            action="dataset.export", object_type="export", object_id=options.dataset
        )
    console.print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)", highlight=False)
    print_receipt(receipt, out=console)


@app.command("map")
@view_command
def export_map_command(
    *,
    options: ViewOptions,
    out: OutOpt,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="svg, png or dot (default: the file's suffix)."),
    ] = None,
    metric: Annotated[
        str, typer.Option("--metric", help="Edge labels: frequency or performance.")
    ] = "frequency",
    max_activities: MaxActivitiesOpt = None,
    path_share: PathShareOpt = 1.0,
) -> None:
    """Write the process map as SVG or PNG (laid out by Graphviz in a headless Chromium) or DOT."""
    from civicflow.mining import ProcessMapConfig, process_map
    from civicflow.report import dot_to_svg, svg_to_png

    kind = _format(fmt, out, ("svg", "png", "dot"), "--format")
    config = ProcessMapConfig(max_activities=max_activities, path_share=path_share)
    with options.open() as view:
        dot = process_map(view, config).to_dot(metric)  # type: ignore[arg-type]
    browser = get_settings().browser
    if kind == "dot":
        _write(out, dot.encode("utf-8"))
    else:
        with err_console.status("drawing the map…"):
            svg = dot_to_svg(dot, browser=browser)
            data = svg.encode("utf-8") if kind == "svg" else svg_to_png(svg, browser=browser)
        _write(out, data)
    console.print(f"wrote {out}", highlight=False)


@app.command("report")
@view_command
@with_sla
def export_report_command(
    *,
    options: ViewOptions,
    sla: SlaOptions,
    out: OutOpt,
    title: Annotated[str, typer.Option("--title", help="Title of the report.")] = (
        "Process assessment"
    ),
) -> None:
    """Write the assessment report as PDF (printed by a headless Chromium, map and charts drawn)."""
    from civicflow.report import ReportConfig, build_report, html_to_pdf

    config = ReportConfig(title=title, sla=sla.to_config())
    with tempfile.TemporaryDirectory(prefix="civicflow-report-") as folder:
        with options.open() as view, err_console.status("computing the report…"):
            html = build_report(view=view, out=Path(folder) / "report.html", config=config)
        with err_console.status("printing the PDF…"):
            html_to_pdf(html, out, browser=get_settings().browser)
    console.print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)", highlight=False)


@app.command("table")
@view_command
@with_sla
def export_table_command(
    *,
    options: ViewOptions,
    sla: SlaOptions,
    name: Annotated[str, typer.Argument(help="The analysis: " + ", ".join(TABLES) + ".")],
    out: OutOpt,
    by: Annotated[
        str | None, typer.Option("--by", help="breakdown: the case attribute to group by.")
    ] = None,
    kpi: Annotated[
        str, typer.Option("--kpi", help="breakdown: the KPI per group.")
    ] = "throughput_median_days",
) -> None:
    """Write an analysis's table as CSV (formula-safe: no cell opens as a spreadsheet formula)."""
    from civicflow import mining

    if name not in TABLES:
        raise InputError(
            f"no table called '{name}'",
            where=Location(field="NAME"),
            found=name,
            expected=", ".join(TABLES),
            fix="pick one of the analyses listed",
        )
    if name == "breakdown" and not by:
        raise InputError(
            "a breakdown needs a case attribute",
            where=Location(field="--by"),
            expected="a case attribute of the dataset",
            fix="pass --by district (see `civicflow datasets show`)",
        )
    result: Any
    with options.open() as view:
        if name == "sla":
            result = mining.sla_compliance(view, config=sla.to_config(required=True))  # type: ignore[arg-type]
        elif name == "breakdown":
            result = mining.breakdown(view, kpi=kpi, by=str(by))
        else:
            result = mining.analysis(name).function(view)
    frame = mining.result_frame(result)
    if frame is None:
        raise InputError(f"the analysis '{name}' has no table", found=name, expected="a table")
    tmp = out.with_name(f".{out.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        mining.write_frame_csv(frame, fh)
    tmp.replace(out)
    console.print(f"wrote {out} ({len(frame):,} rows)", highlight=False)


def _write(out: Path, data: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
