"""``civicflow ingest`` and ``civicflow datasets``: import event logs, list/show/delete datasets."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from civicflow.core import ConfigurationError, InputError
from civicflow.eventlog import (
    ColumnMapping,
    Dataset,
    EventStore,
    IngestOptions,
    IngestProgress,
    OnError,
    detect_importer,
    get_importer,
    xes_classifiers,
)

from ._operator import acting, print_receipt
from ._where import DEFAULT_WORKSPACE

console = Console()
datasets_app = typer.Typer(
    help="List, show and delete the datasets of a workspace.", no_args_is_help=True
)

WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", "-w", help="Workspace folder (created if absent by ingest)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
    app.add_typer(datasets_app, name="datasets")


def _default_name(source: Path) -> str:
    stem = source.name
    for suffix in (".gz", ".xes", ".csv", ".parquet", ".jsonocel", ".json", ".sqlite", ".tsv"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")[:64]
    return name or "dataset"


def ingest_command(
    source: Annotated[
        Path, typer.Argument(help="Event log: .csv, .parquet, .xes(.gz), OCEL 2.0 .json/.sqlite")
    ],
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    name: Annotated[
        str | None, typer.Option(help="Dataset name (default: from the file name)")
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format", help="csv, parquet, xes, ocel-json, ocel-sqlite (default: detect)"
        ),
    ] = None,
    case_id: Annotated[str | None, typer.Option("--case-id", help="Case id column")] = None,
    activity: Annotated[
        list[str] | None,
        typer.Option("--activity", help="Activity column; repeat to join several (a classifier)"),
    ] = None,
    classifier: Annotated[
        str | None,
        typer.Option("--classifier", help="XES: use a classifier the log declares, by name"),
    ] = None,
    timestamp: Annotated[
        str | None, typer.Option("--timestamp", help="(Completion) timestamp column")
    ] = None,
    start_timestamp: Annotated[
        str | None, typer.Option("--start-timestamp", help="Start timestamp column")
    ] = None,
    resource: Annotated[str | None, typer.Option("--resource", help="Resource column")] = None,
    lifecycle: Annotated[
        str | None, typer.Option("--lifecycle", help="Lifecycle transition column")
    ] = None,
    cost: Annotated[str | None, typer.Option("--cost", help="Cost column")] = None,
    currency: Annotated[
        str | None,
        typer.Option("--currency", help="ISO 4217 code of the cost column, e.g. EUR"),
    ] = None,
    timestamp_format: Annotated[
        str | None,
        typer.Option("--timestamp-format", help="strptime format, e.g. '%d-%m-%Y %H:%M'"),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="Zone of naive timestamps (IANA)")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option("--delimiter", help="CSV separator (default: detect)")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Text encoding (default: detect)")
    ] = None,
    on_error: Annotated[
        OnError, typer.Option("--on-error", help="fail (default) or skip bad rows")
    ] = "fail",
    object_type: Annotated[
        str | None,
        typer.Option("--object-type", help="OCEL: object type whose objects are the cases"),
    ] = None,
    dedupe: Annotated[bool, typer.Option("--dedupe", help="Drop exactly repeated events")] = False,
    replace_existing: Annotated[
        bool, typer.Option("--replace", help="Overwrite a dataset of that name")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import an event log into a workspace as a dataset (atomic: all or nothing)."""
    options = IngestOptions(
        format=format,
        on_error=on_error,
        delimiter=delimiter,
        encoding=encoding,
        timestamp_format=timestamp_format,
        timezone=timezone,
        replace=replace_existing,
        ocel_object_type=object_type,
        dedupe=dedupe,
        currency=currency,
    )
    if not source.exists():
        raise InputError(f"no file at {source}", fix="check the path")
    importer = get_importer(format) if format else detect_importer(source)
    activity_fields: tuple[str, ...] = tuple(activity or ())
    if classifier:
        known = xes_classifiers(source) if importer.name == "xes" else {}
        if classifier not in known:
            raise ConfigurationError(
                f"the log declares no classifier named '{classifier}'",
                found=", ".join(f"'{k}' ({' + '.join(v)})" for k, v in known.items())
                or "no classifiers",
                expected="one of the log's classifiers",
                fix="pass --classifier with one of them, or --activity (repeatable)",
            )
        activity_fields = known[classifier]
    mapping = _mapping(
        importer,
        source,
        options,
        case_id=case_id,
        activity=activity_fields,
        timestamp=timestamp,
        start_timestamp=start_timestamp,
        resource=resource,
        lifecycle=lifecycle,
        cost=cost,
    )
    from civicflow.app import Permission, assessment

    dataset_name = name or _default_name(source)
    with (
        acting(workspace, Permission.DATASET_WRITE, command="civicflow ingest") as act,
        Progress(
            TextColumn("[bold]ingest[/] {task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            disable=as_json,
        ) as bar,
    ):
        task = bar.add_task(source.name, total=None)

        def on_progress(p: IngestProgress) -> None:
            bar.update(task, completed=p.done, total=p.total)

        dataset = assessment.ingest_dataset(
            act.ctx,
            actor=act.operator.actor,
            workspace_id=act.operator.workspace_id,
            source=source,
            name=dataset_name,
            mapping=mapping,
            options=options,
            progress=on_progress,
            reason="civicflow ingest (command line)",
        )
        receipt = act.receipt(
            action="dataset.ingest", object_type="dataset", object_id=dataset_name
        )
    _show(dataset, as_json, receipt=receipt)


def _mapping(
    importer: Any,
    source: Path,
    options: IngestOptions,
    *,
    case_id: str | None,
    activity: tuple[str, ...],
    timestamp: str | None,
    **optional: str | None,
) -> ColumnMapping:
    try:
        base: ColumnMapping | None = importer.guess_mapping(source, options)
    except InputError:
        if not (case_id and activity and timestamp):
            raise
        base = None
    changes: dict[str, Any] = {k: v for k, v in optional.items() if v}
    if case_id:
        changes["case_id"] = case_id
    if activity:
        changes["activity"] = activity[0] if len(activity) == 1 else activity
    if timestamp:
        changes["timestamp"] = timestamp
    if options.timezone:
        changes["timezone"] = options.timezone
    if base is None:
        return ColumnMapping(**changes)
    return replace(base, **changes)


def _show(dataset: Dataset, as_json: bool, *, receipt: dict[str, Any] | None = None) -> None:
    m = dataset.manifest
    if as_json:
        payload = {"path": str(dataset.path), **m.to_dict()}
        if receipt is not None:
            payload["ledger_entry"] = receipt
        typer.echo(json.dumps(payload, indent=2, default=str))
        return
    table = Table(title=f"dataset {m.name}", show_header=False)
    table.add_row("source", f"{m.source} ({m.format})")
    table.add_row("events", f"{m.events:,}")
    table.add_row("cases", f"{m.cases:,}")
    table.add_row("activities", f"{m.activities:,}")
    table.add_row("period", f"{m.first_timestamp} → {m.last_timestamp}")
    table.add_row("rejected rows", f"{m.rejected:,}" + (" (see rejects.csv)" if m.rejected else ""))
    if m.options.get("currency"):
        table.add_row("currency", str(m.options["currency"]))
    dup = m.options.get("duplicates", 0)
    dropped = m.options.get("duplicates_dropped", 0)
    table.add_row("duplicate events", f"{dup:,}" + (" dropped" if dropped else " kept"))
    table.add_row("mapping", ", ".join(f"{k}={v}" for k, v in m.mapping.items() if v))
    table.add_row("fingerprint", m.fingerprint[:16])
    table.add_row("path", str(dataset.path))
    if receipt is not None:
        table.add_row("ledger entry", f"#{receipt['index']} by {receipt['actor']}")
    console.print(table)


@datasets_app.command("list")
def list_datasets(workspace: WorkspaceOpt = DEFAULT_WORKSPACE, as_json: JsonOpt = False) -> None:
    """List the datasets of a workspace."""
    ws = EventStore.open(workspace)
    found = ws.datasets()
    if as_json:
        typer.echo(json.dumps([d.manifest.to_dict() for d in found], indent=2, default=str))
        return
    table = Table(title=f"datasets in {ws.path}")
    for col in ("name", "source", "format", "events", "cases", "created"):
        table.add_column(col)
    for d in found:
        m = d.manifest
        table.add_row(
            m.name, m.source, m.format, f"{m.events:,}", f"{m.cases:,}", m.created_at[:19]
        )
    console.print(table)


@datasets_app.command("show")
def show_dataset(
    name: Annotated[str, typer.Argument(help="Dataset name")],
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Show one dataset's manifest: source, mapping, counts, fingerprint."""
    _show(EventStore.open(workspace).dataset(name), as_json)


@datasets_app.command("delete")
def delete_dataset(
    name: Annotated[str, typer.Argument(help="Dataset name")],
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete a dataset (its events, cases, rejects and manifest); recorded in the audit ledger."""
    from civicflow.app import Permission, assessment

    ws = EventStore.open(workspace)
    ws.dataset(name)  # a clear error if it does not exist
    with acting(workspace, Permission.DATASET_DELETE, command="civicflow datasets delete") as act:
        # asked only once the operator may delete: a refusal should not follow a "yes"
        if not yes and not typer.confirm(f"delete dataset '{name}' from {ws.path}?"):
            raise typer.Abort()
        assessment.delete_dataset(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id, name=name,
            reason="civicflow datasets delete (command line)",
        )  # fmt: skip
        receipt = act.receipt(action="dataset.delete", object_type="dataset", object_id=name)
    if as_json:
        typer.echo(json.dumps({"deleted": name, "ledger_entry": receipt}))
    else:
        console.print(f"deleted dataset [bold]{name}[/]")
        print_receipt(receipt, out=console)
