"""``civicflow report``: the offline HTML assessment report of a dataset."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from civicflow.cli._filters import ViewOptions, view_command, with_sla
from civicflow.mining import Freq, SlaOptions
from civicflow.report import REPORT_SECTIONS, ReportConfig, build_report

err_console = Console(stderr=True)


@view_command
@with_sla
def report(
    options: ViewOptions,
    sla: SlaOptions,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path(
        "report.html"
    ),
    title: Annotated[str, typer.Option("--title", help="Title of the report.")] = (
        "Process assessment"
    ),
    model: Annotated[
        Path | None,
        typer.Option("--model", help="BPMN 2.0 reference model for the conformance section."),
    ] = None,
    top_variants: Annotated[int, typer.Option("--top-variants", help="Variants listed.")] = 10,
    max_activities: Annotated[
        int, typer.Option("--max-activities", help="Most activities the process map draws.")
    ] = 30,
    path_share: Annotated[
        float,
        typer.Option("--path-share", help="Map draws the paths covering this share (1 = all)."),
    ] = 0.9,
    freq: Annotated[
        Freq,
        typer.Option("--freq", help="Period of the arrivals and WIP charts: day, week, month."),
    ] = "week",
    breakdown_by: Annotated[
        list[str] | None,
        typer.Option("--breakdown-by", help="Case attribute to break key figures down by."),
    ] = None,
    section: Annotated[
        list[str] | None,
        typer.Option(
            "--section",
            help="Include only this section (repeatable): " + ", ".join(REPORT_SECTIONS) + ".",
        ),
    ] = None,
) -> None:
    """Write one self-contained HTML report (opens offline) with the assessment of a dataset."""
    config = ReportConfig(
        title=title,
        top_variants=top_variants,
        max_activities=max_activities,
        path_share=path_share,
        time_freq=freq,
        breakdown_attributes=tuple(breakdown_by or ()),
        sla=sla.to_config(),
        model=model,
        sections=tuple(section) if section else None,
    )
    config.check()
    with (
        options.open() as view,
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
        ) as bar,
    ):
        task = bar.add_task("report", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        # the options given, or the dataset's default SLA, with the working calendar given
        config = dataclasses.replace(config, sla=sla.for_view(view))
        # the workspace's business cases, fairness audits and governance, when the command line's database
        # knows it; the whole report (no --section) also has the view's automation opportunities
        # and its people and pilots (analyses of the view, like the sections --section picks)
        from civicflow.app.allocation import local_report_section as local_allocation_section
        from civicflow.app.business_case import local_report_section, opportunities_report_section
        from civicflow.app.fairness import local_report_section as local_fairness_section
        from civicflow.app.forecasts import local_report_section as local_forecast_section
        from civicflow.app.governance import local_report_section as governance_report_section
        from civicflow.app.people import local_report_section as people_report_section
        from civicflow.app.privacy import local_report_section as local_privacy_section
        from civicflow.planning import automation_opportunities

        whole = not section
        extra = (
            opportunities_report_section(automation_opportunities(view)) if whole else None,
            local_report_section(options.workspace),
            local_fairness_section(options.workspace),
            local_forecast_section(options.workspace),
            local_allocation_section(options.workspace),
            local_privacy_section(options.workspace),
            governance_report_section(options.workspace),
            people_report_section(options.workspace, view) if whole else None,
        )
        config = dataclasses.replace(
            config, extra_sections=tuple(s for s in extra if s is not None)
        )
        path = build_report(view=view, out=out, config=config, progress=progress)
    size = path.stat().st_size
    typer.echo(f"wrote {path} ({size / 1e6:.1f} MB)")
