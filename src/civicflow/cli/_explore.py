"""``civicflow cases``: the cases behind a number and one case's timeline; ``civicflow filters``:
the filter funnel and the workspace's saved filter sets."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from civicflow.mining import (
    CASE_SORTS,
    CaseQuery,
    SlaOptions,
    case_list,
    case_timeline,
    filter_funnel,
    format_duration,
    list_filter_sets,
    load_filter_set,
    parse_pair,
)

from ._filters import ViewOptions, WorkspaceOpt, view_command, with_sla
from ._operator import acting, print_receipt
from ._output import echo_result, emit_json, table

cases_app = typer.Typer(
    help="The cases behind a number (a map edge, a variant, a bottleneck, an SLA breach) and "
    "one case's timeline.",
    no_args_is_help=True,
)
filters_app = typer.Typer(
    help="Filter stacks: what each step keeps, and the workspace's saved filter sets.",
    no_args_is_help=True,
)
console = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


@cases_app.command("list")
@view_command
@with_sla
def list_command(
    *,
    options: ViewOptions,
    sla: SlaOptions,
    edge: Annotated[
        tuple[str, str] | None,
        typer.Option("--edge", help="Cases where A is directly followed by B: --edge A B."),
    ] = None,
    edge_pair: Annotated[
        str | None, typer.Option("--path", help="The same as one text: --path 'A->B'.")
    ] = None,
    variant_of: Annotated[
        str | None,
        typer.Option(
            "--of-variant", help="Cases of this variant: its id, or #N for the N-th most frequent."
        ),
    ] = None,
    waiting_at: Annotated[
        str | None,
        typer.Option("--waiting-at", help="Cases that wait before this activity (a bottleneck)."),
    ] = None,
    sla_status: Annotated[
        str | None,
        typer.Option(
            "--sla-status",
            help="With an SLA option: cases with this outcome (breached, compliant, open, "
            "no_deadline).",
        ),
    ] = None,
    sort: Annotated[
        str, typer.Option("--sort", help="Order by: " + ", ".join(CASE_SORTS) + ".")
    ] = "case_id",
    descending: Annotated[bool, typer.Option("--desc", help="Largest first.")] = False,
    page: Annotated[int, typer.Option("--page", help="Page number, from 1.")] = 1,
    page_size: Annotated[int, typer.Option("--page-size", help="Cases per page.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List the cases behind a number, one page at a time; `civicflow cases show ID` opens one."""
    if edge is None and edge_pair:
        edge = parse_pair(edge_pair, option="--path")
    sla_config = sla.to_config(required=sla_status is not None)
    query = CaseQuery(
        edge=edge,
        variant=variant_of,
        activity=waiting_at,
        sla=sla_config,
        sla_status=sla_status or "breached",
        sort=sort,  # type: ignore[arg-type]
        descending=descending,
        page=page,
        page_size=page_size,
    )
    with options.open() as view:
        result = case_list(view, query=query)
    if as_json:
        emit_json(result.to_dict() | {"filter": view.filter.stack.to_dict()})
        return
    table(
        console,
        f"{result.description}: {result.total:,} cases (page {query.page} of {result.pages})",
        ["case", "start", "end", "duration", "events", "variant", "wait"],
        (
            [
                r.case_id,
                r.case_start.strftime("%Y-%m-%d %H:%M"),
                r.case_end.strftime("%Y-%m-%d %H:%M"),
                format_duration(r.throughput_seconds),
                r.events,
                r.variant_id,
                format_duration(r.wait_seconds),
            ]
            for r in result.rows
        ),
        numeric=(3, 4, 6),
    )


@cases_app.command("show")
@view_command
def show_command(
    *,
    options: ViewOptions,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    as_json: JsonOpt = False,
) -> None:
    """One case's timeline: its events in order with the waits between them, and its attributes."""
    with options.open() as view:
        timeline = case_timeline(view, case_id)
    if as_json:
        emit_json(timeline.to_dict())
        return
    console.print(
        f"case [bold]{timeline.case_id}[/]: {len(timeline.events)} events, "
        f"{format_duration(timeline.throughput_seconds)}, variant {timeline.variant_id}",
        highlight=False,
    )
    for key, value in timeline.attributes.items():
        console.print(f"  {key}: {value}", highlight=False, markup=False)
    table(
        console,
        "Events",
        ["#", "activity", "timestamp", "resource", "wait"],
        (
            [
                i,
                e.activity,
                e.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
                e.resource or "",
                format_duration(e.wait_seconds),
            ]
            for i, e in enumerate(timeline.events, start=1)
        ),
        numeric=(0, 4),
    )


@filters_app.command("funnel")
@view_command
def funnel_command(*, options: ViewOptions, as_json: JsonOpt = False) -> None:
    """The cases and events left after each step of the filter stack the options describe."""
    with options.open() as view:
        result = filter_funnel(view)
    if as_json:
        emit_json(result.to_dict())
        return
    table(
        console,
        "Filter steps",
        ["step", "cases", "events"],
        ([r.label, r.cases, r.events] for r in result.rows),
        numeric=(1, 2),
    )


@filters_app.command("save")
@view_command
def save_command(
    *,
    options: ViewOptions,
    name: Annotated[str, typer.Option("--name", "-n", help="Name of the filter set.")],
    description: Annotated[
        str | None, typer.Option("--description", help="What the set selects.")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a saved set of that name.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Save the filter stack the options describe as a named set of the workspace; recorded in
    the audit ledger. `--filter-set NAME` applies it on any command, the workbench offers it."""
    from civicflow.app import Permission, assessment

    with options.open() as view:  # a missing dataset or a step that cannot run is named now
        filter_funnel(view)
    stack = options.filter.stack
    with acting(
        options.workspace, Permission.BASELINE_WRITE, command="civicflow filters save"
    ) as act:
        saved = assessment.save_filter_set(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            name=name, stack=stack, description=description, replace=replace,
            reason="civicflow filters save (command line)",
        )  # fmt: skip
        receipt = act.receipt(action="filter_set.save", object_type="filter_set", object_id=name)
    if as_json:
        echo_result(saved.to_dict() | {"ledger_entry": receipt}, as_json=True, text="")
        return
    console.print(f"saved filter set [bold]{name}[/] ({len(stack.steps)} steps)", highlight=False)
    print_receipt(receipt, out=console)


@filters_app.command("list")
def list_sets(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List the workspace's saved filter sets."""
    from civicflow.eventlog import EventStore

    sets = list_filter_sets(EventStore.open(workspace))
    if as_json:
        emit_json([s.to_dict() for s in sets])
        return
    if not sets:
        console.print("no saved filter sets yet: save one with `civicflow filters save`")
        return
    table(
        console,
        "Filter sets",
        ["name", "steps", "description"],
        ([s.name, "; ".join(s.stack.labels()), s.description or ""] for s in sets),
    )


@filters_app.command("show")
def show_set(
    name: Annotated[str, typer.Argument(help="Filter set name.")],
    workspace: WorkspaceOpt,
    as_json: JsonOpt = False,
) -> None:
    """Show one saved filter set (with --json: a file `--filters` reads)."""
    from civicflow.eventlog import EventStore

    saved = load_filter_set(EventStore.open(workspace), name)
    if as_json:
        emit_json(saved.to_dict())
        return
    console.print(f"[bold]{saved.name}[/] {saved.description or ''}", highlight=False)
    for i, label in enumerate(saved.stack.labels(), start=1):
        console.print(f"  {i}. {label}", highlight=False, markup=False)


@filters_app.command("delete")
def delete_set(
    name: Annotated[str, typer.Argument(help="Filter set name.")],
    workspace: WorkspaceOpt,
    as_json: JsonOpt = False,
) -> None:
    """Delete a saved filter set; recorded in the audit ledger."""
    from civicflow.app import Permission, assessment

    with acting(workspace, Permission.BASELINE_WRITE, command="civicflow filters delete") as act:
        assessment.delete_filter_set(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            name=name, reason="civicflow filters delete (command line)",
        )  # fmt: skip
        receipt = act.receipt(action="filter_set.delete", object_type="filter_set", object_id=name)
    echo_result(receipt, as_json=as_json, text=f"deleted filter set {name}")


__all__ = ["cases_app", "filters_app"]
