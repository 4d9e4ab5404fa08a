"""``civicflow demo``: generate the demo workspace, assess it, freeze a baseline, write the report."""

from __future__ import annotations

import json
import os
import sys
import webbrowser
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from civicflow.core import ConfigurationError, get_settings
from civicflow.demo import DEMO_DATASET, DemoConfig, build_demo_workspace
from civicflow.eventlog import make_engine
from civicflow.mining import (
    LogView,
    SlaConfig,
    bottlenecks,
    compare_to_baseline,
    compute_kpis,
    freeze_baseline,
    load_baseline,
)
from civicflow.report import ReportConfig, build_report

from ._baseline import print_comparison

DEMO_BASELINE = "demo-baseline"
console = Console()
err_console = Console(stderr=True)


def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder of the demo workspace and report.")
    ] = Path("civicflow-demo"),
    cases: Annotated[int, typer.Option("--cases", help="Number of permit applications.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same log).")] = 42,
    no_open: Annotated[
        bool, typer.Option("--no-open", help="Do not open the report in a browser.")
    ] = False,
    engine: Annotated[
        str | None, typer.Option("--engine", help="Analytics engine: duckdb or spark.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Build a demo workspace from civicflow's own seeded permit-application generator, assess it,
    freeze the baseline "demo-baseline" and write the offline HTML report."""
    config = DemoConfig(cases=cases, seed=seed)  # validates the numbers with a clear error
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / "workspace.json").exists():
        raise ConfigurationError(
            f"{out} exists and is not a civicflow workspace",
            found=str(out),
            expected="a new or empty folder, or an earlier demo's folder",
            fix="choose another folder with --out",
        )
    sla = SlaConfig(deadline_attribute="deadline")
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=not err_console.is_terminal,
    ) as bar:
        sim = bar.add_task("simulating permit applications", total=cases)

        def on_sim(done: int, total: int) -> None:
            bar.update(sim, completed=done, total=total)

        workspace, dataset = build_demo_workspace(
            path=out,
            config=config,
            replace=(out / "datasets" / DEMO_DATASET).exists(),
            progress=on_sim,
        )
        step = bar.add_task("assessing", total=4)
        eng = make_engine(engine or get_settings().engine)
        try:
            view = LogView(engine=eng, dataset=dataset)
            snapshot = compute_kpis(view, sla=sla)
            bar.advance(step)
            top = bottlenecks(view, top=3)
            bar.advance(step)
            baseline_file = workspace.baselines_dir / f"{DEMO_BASELINE}.json"
            comparison = None
            if baseline_file.exists():
                # baselines are frozen: an earlier demo's baseline stays and the new data is compared
                comparison = compare_to_baseline(view, load_baseline(workspace, DEMO_BASELINE))
            else:
                freeze_baseline(
                    workspace=workspace,
                    view=view,
                    name=DEMO_BASELINE,
                    description="The demo permit process as generated, before any change",
                    sla=sla,
                )
            bar.advance(step)
            report_task = bar.add_task("writing the report", total=None)

            def on_report(label: str, done: int, total: int) -> None:
                bar.update(report_task, description=f"report: {label}", completed=done, total=total)

            report = build_report(
                view=view,
                out=out / "report.html",
                config=ReportConfig(
                    title="Permit applications — demo assessment",
                    sla=sla,
                    breakdown_attributes=("channel", "district", "permit_type"),
                ),
                progress=on_report,
            )
            bar.advance(step)
        finally:
            eng.close()

    summary: dict[str, Any] = {
        "workspace": str(out),
        "dataset": dataset.name,
        "cases": dataset.manifest.cases,
        "events": dataset.manifest.events,
        "median_throughput_days": snapshot.value("throughput_median_days"),
        "rework_share": snapshot.value("rework_share"),
        "sla_compliance_share": snapshot.value("sla_compliance_share"),
        "top_bottleneck": top.activities[0].finding if top.activities else None,
        "baseline": DEMO_BASELINE,
        "report": str(report),
        "kpis": snapshot.to_dict(),
        "bottlenecks": top.to_dict(),
        "comparison": comparison.to_dict() if comparison is not None else None,
    }
    (out / "assessment.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
    else:
        _print_summary(summary, snapshot)
        if comparison is not None:
            print_comparison(comparison)
    if not no_open:
        _open(report)


def _print_summary(summary: dict[str, Any], snapshot: Any) -> None:
    table = Table(title="civicflow demo — permit applications", show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    median = summary["median_throughput_days"]
    rows = [
        ("cases", f"{summary['cases']:,}"),
        ("events", f"{summary['events']:,}"),
        ("median throughput", "–" if median is None else f"{median:.1f} days"),
        ("top bottleneck", summary["top_bottleneck"] or "–"),
        ("cases with rework", snapshot["rework_share"].formatted()),
        ("SLA compliance (statutory 8 weeks)", snapshot["sla_compliance_share"].formatted()),
        ("baseline", summary["baseline"]),
        ("report", summary["report"]),
    ]
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)


def _open(report: Path) -> None:
    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless:
        err_console.print(f"no display: open {report} in a browser", highlight=False)
        return
    try:
        opened = webbrowser.open(report.as_uri())
    except Exception:  # a missing or broken browser must never fail the demo
        opened = False
    if not opened:
        err_console.print(f"open {report} in a browser", highlight=False)
