"""``civicflow baseline``: freeze a KPI snapshot, show and list baselines, compare them."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from civicflow.core import InputError, Location, get_settings
from civicflow.eventlog import EventStore, make_engine
from civicflow.mining import (
    KPI_DEFINITIONS,
    Baseline,
    BaselineComparison,
    ChangeThresholds,
    SlaOptions,
    compare_baselines,
    compare_to_baseline,
    format_kpi_value,
    list_baselines,
    load_baseline,
)

from ._filters import EngineOpt, ViewOptions, WorkspaceOpt, view_command, with_sla
from ._operator import acting, print_receipt

app = typer.Typer(
    help="Freeze KPI baselines of a dataset and compare later data with them.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


@app.command("freeze")
@view_command
@with_sla
def freeze(
    *,
    options: ViewOptions,
    sla: SlaOptions,
    name: Annotated[str, typer.Option("--name", "-n", help="Name of the new baseline.")],
    kpi: Annotated[
        list[str] | None,
        typer.Option(
            "--kpi",
            help="KPI to include (repeatable; default: all). Known: " + ", ".join(KPI_DEFINITIONS),
        ),
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="What this baseline stands for.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compute the KPIs of a dataset (through the filters) and freeze them as a named baseline;
    recorded in the audit ledger."""
    from civicflow.app import Permission, assessment

    sla.to_config()  # a malformed option is named before anything is registered
    workspace = EventStore.open(options.workspace)
    workspace.dataset(options.dataset)  # a missing dataset is named before anything is registered
    with acting(
        options.workspace, Permission.BASELINE_WRITE, command="civicflow baseline freeze"
    ) as act:
        engine = make_engine(options.engine, spark_master=act.ctx.settings.spark_master)
        try:
            with err_console.status("computing KPIs…"):
                baseline = assessment.freeze_baseline(
                    act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                    dataset_name=options.dataset, baseline_name=name, filter=options.filter,
                    kpis=kpi, description=description, sla=sla, engine=engine,
                    reason="civicflow baseline freeze (command line)",
                )  # fmt: skip
        finally:
            engine.close()
        receipt = act.receipt(action="baseline.freeze", object_type="baseline", object_id=name)
    if as_json:
        typer.echo(json.dumps({**baseline.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    _show(baseline)
    console.print(f"frozen as [bold]{name}[/] in {workspace.baselines_dir}", highlight=False)
    print_receipt(receipt, out=console)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Baseline name.")],
    workspace: WorkspaceOpt,
    as_json: JsonOpt = False,
) -> None:
    """Show one baseline: its KPI values, their definitions, and the data they came from."""
    baseline = load_baseline(EventStore.open(workspace), name)
    if as_json:
        typer.echo(json.dumps(baseline.to_dict(), indent=2))
        return
    _show(baseline, definitions=True)


@app.command("list")
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List the workspace's baselines, oldest first."""
    baselines = list_baselines(EventStore.open(workspace))
    if as_json:
        typer.echo(json.dumps([_summary(b) for b in baselines], indent=2))
        return
    if not baselines:
        console.print("no baselines yet: freeze one with `civicflow baseline freeze`")
        return
    table = Table(title="Baselines")
    for col in ("name", "created", "dataset", "cases", "filter", "KPIs", "description"):
        table.add_column(col)
    for b in baselines:
        s = _summary(b)
        table.add_row(
            b.name,
            b.created_at[:19],
            b.dataset,
            f"{b.cases:,}",
            "yes" if s["filtered"] else "no",
            str(len(b.kpis)),
            b.description or "",
        )
    console.print(table)


@app.command("compare")
def compare(
    baseline: Annotated[str, typer.Argument(help="The baseline to compare with.")],
    other: Annotated[
        str | None, typer.Argument(help="A second baseline (omit and give --dataset instead).")
    ] = None,
    *,
    workspace: WorkspaceOpt,
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset", "-d", help="Recompute the baseline's KPIs on this dataset's current data."
        ),
    ] = None,
    engine: EngineOpt = None,
    min_change: Annotated[
        float,
        typer.Option(
            "--min-change",
            help="A change is material from this share of the baseline value (0.05 = 5 %).",
        ),
    ] = 0.05,
    min_points: Annotated[
        float,
        typer.Option(
            "--min-points",
            help="...and, for shares, from this many percentage points (1 = 0.01).",
        ),
    ] = 1.0,
    min_days: Annotated[
        float,
        typer.Option("--min-days", help="...and, for durations in days, from this many days."),
    ] = 0.5,
    alpha: Annotated[
        float, typer.Option("--alpha", help="Significance level of the tests of a change.")
    ] = 0.05,
    as_json: JsonOpt = False,
) -> None:
    """Compare two baselines, or a baseline with a dataset's current data (same filter, same SLA).

    A change below the thresholds is "no material change"; a material change is tested
    (Mann-Whitney U on per-case durations, a two-proportion z-test on rates) when both sides
    keep what the test needs, otherwise it says "not tested"."""
    thresholds = ChangeThresholds(
        relative=min_change, absolute_share=min_points / 100, absolute_days=min_days, alpha=alpha
    )
    ws = EventStore.open(workspace)
    base = load_baseline(ws, baseline)
    if (other is not None and dataset is not None) or (other is None and dataset is None):
        raise InputError(
            "compare needs exactly one of a second baseline and --dataset",
            where=Location(field="OTHER / --dataset"),
            found=f"other={other}, --dataset={dataset}",
            expected="`compare A B` or `compare A --dataset D`",
            fix=f"run `civicflow baseline compare {baseline} --dataset {base.dataset}`",
        )
    if other is not None:
        result = compare_baselines(base, load_baseline(ws, other), thresholds=thresholds)
    else:
        assert dataset is not None
        from civicflow.app.assessment import read_view

        settings = get_settings()
        eng = make_engine(engine or settings.engine, spark_master=settings.spark_master)
        try:
            view = read_view(ws, dataset_name=dataset, engine=eng)
            with err_console.status("recomputing KPIs…"):
                result = compare_to_baseline(view, base, thresholds=thresholds)
        finally:
            eng.close()
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    print_comparison(result)


def _summary(b: Baseline) -> dict[str, Any]:
    return {
        "name": b.name,
        "created_at": b.created_at,
        "description": b.description,
        "dataset": b.dataset,
        "fingerprint": b.fingerprint,
        "cases": b.cases,
        "events": b.events,
        "filtered": not b.filter.is_empty,
        "kpis": list(b.kpi_names),
    }


def _show(b: Baseline, *, definitions: bool = False) -> None:
    table = Table(title=f"Baseline {b.name}" + (f" — {b.description}" if b.description else ""))
    table.add_column("KPI")
    table.add_column("value", justify="right")
    if definitions:
        table.add_column("definition", overflow="fold")
    for v in b.kpis:
        shown = v.formatted() if v.value is not None else f"– ({v.note})"
        row = [v.label, shown]
        if definitions:
            row.append(v.definition)
        table.add_row(*row)
    console.print(table)
    console.print(
        f"dataset {b.dataset} ({b.dataset_cases:,} cases, {b.dataset_events:,} events; "
        f"fingerprint {b.fingerprint[:12]}…), view {b.cases:,} cases, engine {b.engine}, "
        f"frozen {b.created_at[:19]} by civicflow {b.civicflow_version}",
        highlight=False,
    )
    if not b.filter.is_empty:
        active = {k: v for k, v in b.filter.to_dict().items() if v not in (None, [], {})}
        console.print(f"filter: {json.dumps(active, default=str)}", highlight=False)


_COLOUR = {"better": "green", "worse": "red", "no material change": "dim", "changed": "yellow"}


def print_comparison(result: BaselineComparison, *, out: Console | None = None) -> None:
    """The comparison as a Rich table (also used by ``civicflow demo``)."""
    c = out or console
    table = Table(title=f"{result.current} compared with baseline {result.baseline}")
    for col, justify in (
        ("KPI", "left"),
        ("baseline", "right"),
        ("current", "right"),
        ("change", "right"),
        ("relative", "right"),
        ("verdict", "left"),
        ("significance", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for ch in result.changes:
        rel = "–" if ch.relative_change is None else f"{ch.relative_change * 100:+.1f} %"
        if ch.absolute_change is None:
            abs_text = "–"
        elif ch.unit == "share":
            abs_text = f"{ch.absolute_change * 100:+.1f} pp"
        else:
            abs_text = f"{ch.absolute_change:+,.2f}"
        colour = _COLOUR.get(ch.assessment, "")
        table.add_row(
            ch.label,
            format_kpi_value(ch.baseline, ch.unit),
            format_kpi_value(ch.current, ch.unit),
            abs_text,
            rel,
            f"[{colour}]{ch.assessment}[/]" if colour else ch.assessment,
            ch.test_note or "",
        )
    c.print(table)
    t = result.thresholds
    c.print(
        f"material change: at least {t.relative * 100:g} % of the baseline value and "
        f"{t.absolute_share * 100:g} percentage points (shares) or {t.absolute_days:g} days "
        f"(durations); tests at significance level {t.alpha:g}",
        highlight=False,
    )
    if result.fingerprint_changed:
        c.print(
            "[yellow]the data changed[/] since the baseline (fingerprint "
            f"{result.baseline_fingerprint[:12]}… → {result.current_fingerprint[:12]}…)",
            highlight=False,
        )
    else:
        c.print("same data as the baseline (equal fingerprints)")
    if result.filter_changed:
        c.print("[yellow]the filters differ[/]: the two sides look at different cases")
    redefined = [ch.label for ch in result.changes if ch.definition_changed]
    if redefined:
        c.print(f"[yellow]defined differently[/] on the two sides: {', '.join(redefined)}")
