"""``civicflow privacy requests``: the register of data-subject requests (GDPR Arts. 12, 15-22):
add, list, show, verify, extend, search, export, erase, verify-erasure, close, and legal
holds."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from civicflow.core import InputError, Location

from ._operator import acting, print_receipt
from ._where import DEFAULT_WORKSPACE

app = typer.Typer(
    help="Data-subject requests: the register with deadlines, identity verification, search "
    "for the subject, access export, erasure (legal holds respected) and closing.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
WorkspaceOpt = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="Workspace folder.", envvar="CIVICFLOW_WORKSPACE"),
]
RequestArg = Annotated[str, typer.Argument(help="The request's id (from `requests list`)")]
IdentifierOpt = Annotated[
    str, typer.Option("--identifier", help="One of the identifiers the subject gave")
]


def _run(workspace: Path, command: str, call: Any, *, action: str, object_id: Any = None) -> Any:
    from civicflow.app import Permission

    with acting(workspace, Permission.PRIVACY_REQUESTS, command=command) as act:
        result = call(act.ctx, act.operator.actor, act.operator.workspace_id)
        receipt = None
        if action:
            oid = object_id(result) if callable(object_id) else object_id
            receipt = act.receipt(action=action, object_type="privacy_request", object_id=oid)
    return result, receipt


def _show(request: Any, receipt: dict[str, Any] | None, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({**request.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    flags = " (overdue)" if request.overdue else " (due soon)" if request.due_soon else ""
    console.print(
        f"{request.id}  {request.kind}  {request.status}  received {request.received_on}  "
        f"due {request.due_on}{flags}",
        highlight=False,
    )
    if request.verified_by:
        console.print(f"verified by {request.verified_by}: {request.verified_how}", highlight=False)
    if request.extension_reason:
        console.print(
            f"extended by {request.extended_months} month(s): {request.extension_reason}",
            highlight=False,
        )
    if request.outcome:
        console.print(f"outcome: {request.outcome}", highlight=False)
    if receipt is not None:
        print_receipt(receipt, out=err_console)


@app.command("add")
def add(
    kind: Annotated[
        str, typer.Argument(help="access, rectification, erasure, restriction, objection")
    ],
    identifier: Annotated[
        list[str], typer.Option("--identifier", help="An identifier the subject gave (repeatable)")
    ],
    received: Annotated[
        str | None, typer.Option("--received", help="Date received, YYYY-MM-DD (default: today)")
    ] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Register a request: due one calendar month after it was received (GDPR Art. 12(3)).
    The identifiers are stored only as pseudonyms or salted hashes."""
    from civicflow.app import privacy as pv

    received_on = None
    if received is not None:
        try:
            received_on = date.fromisoformat(received)
        except ValueError:
            raise InputError(
                "the date received is not a date",
                where=Location(field="received"),
                found=received,
                expected="YYYY-MM-DD",
                fix="e.g. --received 2026-01-31",
            ) from None
    request, receipt = _run(
        workspace, "civicflow privacy requests add",
        lambda ctx, actor, ws: pv.add_request(
            ctx, actor=actor, workspace_id=ws, kind=kind, identifiers=identifier,
            received_on=received_on,
        ),
        action="privacy.request.add", object_id=lambda r: r.id,
    )  # fmt: skip
    _show(request, receipt, as_json)


@app.command("list")
def list_(workspace: WorkspaceOpt = DEFAULT_WORKSPACE, as_json: JsonOpt = False) -> None:
    """The requests, soonest deadline first, with due-soon and overdue flags."""
    from civicflow.app import privacy as pv

    requests, _ = _run(
        workspace, "civicflow privacy requests list",
        lambda ctx, actor, ws: pv.list_requests(ctx, actor=actor, workspace_id=ws), action="",
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in requests], indent=2))
        return
    table = Table(title=f"{len(requests)} data-subject requests")
    for header in ("id", "kind", "status", "received", "due", "flag"):
        table.add_column(header)
    for r in requests:
        flag = "overdue" if r.overdue else "due soon" if r.due_soon else ""
        table.add_row(r.id, r.kind, r.status, str(r.received_on), str(r.due_on), flag)
    console.print(table)


@app.command("show")
def show(
    request_id: RequestArg, workspace: WorkspaceOpt = DEFAULT_WORKSPACE, as_json: JsonOpt = False
) -> None:
    """One request with its verification, extension, outcome and results."""
    from civicflow.app import privacy as pv

    request, _ = _run(
        workspace, "civicflow privacy requests show",
        lambda ctx, actor, ws: pv.get_request(ctx, actor=actor, workspace_id=ws, request_id=request_id),
        action="",
    )  # fmt: skip
    _show(request, None, as_json)


@app.command("verify")
def verify(
    request_id: RequestArg,
    how: Annotated[str, typer.Option("--how", help="How the subject's identity was verified")],
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Record the identity verification (how; by whom: the operator)."""
    from civicflow.app import privacy as pv

    request, receipt = _run(
        workspace, "civicflow privacy requests verify",
        lambda ctx, actor, ws: pv.verify_request(
            ctx, actor=actor, workspace_id=ws, request_id=request_id, how=how
        ),
        action="privacy.request.verify", object_id=request_id,
    )  # fmt: skip
    _show(request, receipt, as_json)


@app.command("extend")
def extend(
    request_id: RequestArg,
    reason: Annotated[str, typer.Option("--reason", help="The reason given in the notice")],
    months: Annotated[
        int, typer.Option("--months", help="Further months (two at most in all)")
    ] = 1,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Extend the deadline by up to two further months (Art. 12(3)), with the notice's reason."""
    from civicflow.app import privacy as pv

    request, receipt = _run(
        workspace, "civicflow privacy requests extend",
        lambda ctx, actor, ws: pv.extend_request(
            ctx, actor=actor, workspace_id=ws, request_id=request_id, months=months, reason=reason
        ),
        action="privacy.request.extend", object_id=request_id,
    )  # fmt: skip
    _show(request, receipt, as_json)


@app.command("search")
def search(
    request_id: RequestArg,
    identifier: IdentifierOpt,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Where the subject appears: dataset columns (events, cases) and application records."""
    from civicflow.app import privacy as pv

    result, receipt = _run(
        workspace, "civicflow privacy requests search",
        lambda ctx, actor, ws: pv.search_subject(
            ctx, actor=actor, workspace_id=ws, request_id=request_id, identifier=identifier
        ),
        action="privacy.request.search", object_id=request_id,
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    table = Table(title=f"the subject in {result.datasets_searched} datasets and the application")
    for header in ("source", "name", "column", "events", "cases", "records"):
        table.add_column(header)
    for h in result.hits:
        table.add_row(h.source, h.name, h.column, str(h.events), str(h.cases), str(h.records))
    console.print(table)
    print_receipt(receipt, out=err_console)


@app.command("export")
def export(
    request_id: RequestArg,
    identifier: IdentifierOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for subject.json and the CSV files")],
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """The subject's events, cases and records as readable JSON and CSV (Art. 15)."""
    from civicflow.app import privacy as pv

    files, receipt = _run(
        workspace, "civicflow privacy requests export",
        lambda ctx, actor, ws: pv.export_subject(
            ctx, actor=actor, workspace_id=ws, request_id=request_id, identifier=identifier,
            folder=out,
        ),
        action="privacy.request.export", object_id=request_id,
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps({"files": [str(f) for f in files], "ledger_entry": receipt}))
        return
    for f in files:
        typer.echo(str(f))
    print_receipt(receipt, out=err_console)


@app.command("rectify")
def rectify(
    request_id: RequestArg,
    identifier: IdentifierOpt,
    corrections: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="A correction COLUMN=VALUE (case attributes as case:NAME; name=VALUE renames a "
            "stakeholder). Repeatable.",
        ),
    ],
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Correct the subject's inaccurate data (Art. 16): a new version of each dataset holding the
    subject with the corrected columns (pseudonymised columns get the value's pseudonym), datasets
    on legal hold untouched. The ledger names the columns, never the values."""
    from civicflow.app import privacy as pv
    from civicflow.core import InputError, Location

    fixes: dict[str, str] = {}
    for pair in corrections:
        column, sep, value = pair.partition("=")
        if not sep:
            raise InputError(
                "a correction is COLUMN=VALUE",
                where=Location(field="--set"),
                found=pair,
                expected="e.g. --set citizen='Anna de Vries' or --set case:postcode='1011 AB'",
                fix="write the column, '=' and the corrected value",
            )
        fixes[column.strip()] = value.strip()
    result, receipt = _run(
        workspace, "civicflow privacy requests rectify",
        lambda ctx, actor, ws: pv.rectify_subject(
            ctx, actor=actor, workspace_id=ws, request_id=request_id, identifier=identifier,
            corrections=fixes,
        ),
        action="privacy.request.rectify", object_id=request_id,
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    table = Table(title="rectification")
    for header in ("dataset", "status", "columns", "events changed", "cases changed", "baselines"):
        table.add_column(header)
    for d in result.datasets:
        table.add_row(
            d.dataset, d.status, ", ".join(d.columns), str(d.events_changed),
            str(d.cases_changed), ", ".join(d.baselines) or "—",
        )  # fmt: skip
    console.print(table)
    if result.stakeholders_renamed:
        console.print(f"stakeholders renamed: {result.stakeholders_renamed}", highlight=False)
    print_receipt(receipt, out=err_console)


@app.command("erase")
def erase(
    request_id: RequestArg,
    identifier: IdentifierOpt,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Erase the subject (Art. 17): a new version of each affected dataset without the
    subject's cases and events, datasets on legal hold untouched; then a verification scan."""
    from civicflow.app import privacy as pv

    result, receipt = _run(
        workspace, "civicflow privacy requests erase",
        lambda ctx, actor, ws: pv.erase_subject(
            ctx, actor=actor, workspace_id=ws, request_id=request_id, identifier=identifier
        ),
        action="privacy.request.erase", object_id=request_id,
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    table = Table(title="erasure")
    for header in ("dataset", "status", "events removed", "cases removed", "baselines", "note"):
        table.add_column(header)
    for d in result.datasets:
        table.add_row(
            d.dataset, d.status, str(d.events_removed), str(d.cases_removed),
            ", ".join(d.baselines), d.note,
        )  # fmt: skip
    console.print(table)
    console.print(
        "verification scan: "
        + ("the identifier is gone" if result.verified_absent else "STILL FOUND"),
        highlight=False,
    )
    print_receipt(receipt, out=err_console)


@app.command("verify-erasure")
def verify_erasure(
    request_id: RequestArg,
    identifier: IdentifierOpt,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """After an erasure, search every store for the identifier and its pseudonyms — the event
    store's files, the other files under home, the application database (ledger included) and
    the logs — and list each place one remains (exit code 1 when any does, legal holds apart)."""
    from civicflow.app import privacy as pv

    scan, receipt = _run(
        workspace, "civicflow privacy requests verify-erasure",
        lambda ctx, actor, ws: pv.verify_erasure(
            ctx, actor=actor, workspace_id=ws, request_id=request_id, identifier=identifier
        ),
        action="privacy.request.verify_erasure", object_id=request_id,
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**scan.to_dict(), "ledger_entry": receipt}, indent=2))
    else:
        searched = ", ".join(f"{k}: {v}" for k, v in scan.searched.items())
        console.print(f"searched ({searched})", highlight=False)
        if scan.remnants:
            table = Table(title="still found")
            for header in ("store", "where", "field", "row", "form", "expected"):
                table.add_column(header)
            for r in scan.remnants:
                table.add_row(r.store, r.where, r.field, r.row, r.form, r.expected)
            console.print(table)
        console.print(
            "the identifier is gone from every store" if scan.clean else "STILL FOUND",
            highlight=False,
        )
        print_receipt(receipt, out=err_console)
    if not scan.clean:
        raise typer.Exit(1)


@app.command("close")
def close(
    request_id: RequestArg,
    outcome: Annotated[str, typer.Argument(help="completed or refused")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required to refuse)")] = "",
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Close a request as completed, or refused with its reason (Art. 12(4))."""
    from civicflow.app import privacy as pv

    request, receipt = _run(
        workspace, "civicflow privacy requests close",
        lambda ctx, actor, ws: pv.close_request(
            ctx, actor=actor, workspace_id=ws, request_id=request_id, outcome=outcome,
            reason=reason,
        ),
        action="privacy.request.close", object_id=request_id,
    )  # fmt: skip
    _show(request, receipt, as_json)


@app.command("hold")
def hold(
    dataset: Annotated[str, typer.Argument(help="Dataset of the workspace")],
    reason: Annotated[str, typer.Option("--reason", help="The legal ground (Art. 17(3))")] = "",
    lift: Annotated[bool, typer.Option("--lift", help="Lift the hold")] = False,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Put a dataset on legal hold (erasure leaves it unchanged and says so), or lift it."""
    from civicflow.app import Permission
    from civicflow.app import privacy as pv

    with acting(
        workspace, Permission.PRIVACY_REQUESTS, command="civicflow privacy requests hold"
    ) as act:
        pv.set_legal_hold(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            dataset_name=dataset, reason=reason, hold=not lift,
        )  # fmt: skip
        receipt = act.receipt(action="privacy.legal_hold", object_type="dataset", object_id=dataset)
    print_receipt(receipt, out=err_console)
