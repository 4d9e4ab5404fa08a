"""``civicflow privacy``: find personal data, pseudonymise at ingest, the data steward's
decisions, the key ring, re-identification through the vault, re-identification risk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from civicflow.core import ConfigurationError, InputError, Location, get_settings
from civicflow.eventlog import EventStore, IngestOptions, detect_importer

from ._ingest import _default_name, _mapping, _show
from ._operator import acting, print_receipt
from ._where import DEFAULT_WORKSPACE

app = typer.Typer(
    help="Privacy: find personal data in datasets and files, pseudonymise it at ingest, "
    "record the data steward's decisions, re-identify through the vault, measure the risk.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
WorkspaceOpt = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="Workspace folder.", envvar="CIVICFLOW_WORKSPACE"),
]


@app.command("scan")
def scan(
    target: Annotated[
        str, typer.Argument(help="A dataset of the workspace, or a .csv/.parquet file")
    ],
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    sample_rows: Annotated[
        int, typer.Option("--sample-rows", help="Rows sampled (evenly, seeded)")
    ] = 5_000,
    as_json: JsonOpt = False,
) -> None:
    """Classify each column (names, national identifiers by checksum, e-mail, phone, address,
    postcode, date of birth, free text) from a sample, with confidence and masked examples."""
    from civicflow.app import privacy as app_privacy
    from civicflow.privacy import ClassifyConfig

    config = ClassifyConfig(sample_rows=sample_rows)
    path = Path(target)
    if path.is_file():
        result = app_privacy.scan_file(path, config=config)
    else:
        store = EventStore.open(workspace)
        if target not in store.dataset_names():
            raise InputError(
                f"'{target}' is neither a file nor a dataset of the workspace",
                where=Location(field="target"),
                found=target,
                expected="a .csv/.parquet file or one of: "
                + (", ".join(store.dataset_names()) or "(no datasets yet)"),
                fix="check the path, or the dataset name with `civicflow datasets list`",
            )
        stored = store.dataset(target)
        result = app_privacy.scan_stored(stored.events_path, stored.cases_path, config=config)
    if as_json:
        typer.echo(json.dumps({"target": target, **result.to_dict()}, indent=2))
        return
    table = Table(
        title=f"personal data in {target} ({result.rows_sampled:,} of {result.rows:,} rows sampled)"
    )
    for header in ("column", "category", "confidence", "identifier", "examples"):
        table.add_column(header)
    for c in result.columns:
        kind = "direct" if c.direct_identifier else "quasi" if c.quasi_identifier else ""
        table.add_row(
            c.column, c.category.value, f"{c.confidence:.2f}" if c.sampled else "–", kind,
            ", ".join(c.examples),
        )  # fmt: skip
    console.print(table)


@app.command("pseudonymise")
def pseudonymise(
    source: Annotated[Path, typer.Argument(help="Event log: .csv, .parquet, .xes(.gz), OCEL")],
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    name: Annotated[str | None, typer.Option(help="Dataset name (default: from the file)")] = None,
    case_id: Annotated[str | None, typer.Option("--case-id", help="Case id column")] = None,
    activity: Annotated[str | None, typer.Option("--activity", help="Activity column")] = None,
    timestamp: Annotated[str | None, typer.Option("--timestamp", help="Timestamp column")] = None,
    resource: Annotated[str | None, typer.Option("--resource", help="Resource column")] = None,
    replace_existing: Annotated[
        bool, typer.Option("--replace", help="Overwrite a dataset of that name")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Ingest an event log with its direct identifiers pseudonymised (keyed HMAC-SHA-256, the key
    ring of CIVICFLOW_PRIVACY_KEY_FILE); the originals are sealed in the vault. Plain
    `civicflow ingest` does the same whenever the key ring is configured."""
    from civicflow.app import Permission, assessment

    if not source.exists():
        raise InputError(f"no file at {source}", fix="check the path")
    options = IngestOptions(replace=replace_existing)
    mapping = _mapping(
        detect_importer(source), source, options, case_id=case_id,
        activity=(activity,) if activity else (), timestamp=timestamp, resource=resource,
    )  # fmt: skip
    dataset_name = name or _default_name(source)
    with acting(
        workspace, Permission.DATASET_WRITE, command="civicflow privacy pseudonymise"
    ) as act:
        dataset = assessment.ingest_dataset(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            source=source, name=dataset_name, mapping=mapping, options=options, protect=True,
            reason="civicflow privacy pseudonymise (command line)",
        )  # fmt: skip
        receipt = act.receipt(
            action="privacy.pseudonymise", object_type="dataset_privacy", object_id=dataset_name
        )
    report = dataset.manifest.options["transforms"][-1]["report"]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "dataset": dataset_name,
                    "path": str(dataset.path),
                    "privacy": report,
                    "ledger_entry": receipt,
                },
                indent=2,
                default=str,
            )
        )
        return
    _show(dataset, False)
    columns = report["pseudonymised"]
    console.print(
        f"pseudonymised (key {report['key_id']}): "
        + "; ".join(f"{t}: {', '.join(c) or 'none'}" for t, c in columns.items()),
        highlight=False,
    )
    for column, why in report["kept_clear"].items():
        console.print(f"kept clear by decision: {column} ({why})", highlight=False)
    print_receipt(receipt, out=err_console)


@app.command("keygen")
def keygen(
    path: Annotated[Path, typer.Argument(help="Key ring file to create (outside the workspace)")],
    key_id: Annotated[str, typer.Option("--key-id", help="Id of the first key")] = "k1",
) -> None:
    """Create a pseudonymisation key ring (32 random bytes, readable by its owner only)."""
    from civicflow.privacy import KeyRing

    if path.exists():
        raise ConfigurationError(
            "the key ring file exists already",
            where=Location(file=str(path)),
            expected="a new file",
            fix="rotate the existing ring with `civicflow privacy rotate`; never overwrite a key",
        )
    KeyRing.generate(key_id).write(path)
    typer.echo(
        f"created key ring {path} (current key {key_id}); set CIVICFLOW_PRIVACY_KEY_FILE={path}"
    )


@app.command("rotate")
def rotate(
    key_id: Annotated[str, typer.Argument(help="Id of the new key, e.g. k2")],
    path: Annotated[
        Path | None, typer.Option("--key-file", help="Key ring (default: the setting)")
    ] = None,
) -> None:
    """Add a new key to the ring and make it current; old pseudonyms keep their key id (and the
    vault still opens them)."""
    from civicflow.privacy import KeyRing

    target = path or get_settings().privacy_key_file
    if target is None:
        raise ConfigurationError(
            "no key ring to rotate",
            where=Location(field="privacy_key_file"),
            fix="pass --key-file or set CIVICFLOW_PRIVACY_KEY_FILE",
        )
    KeyRing.read(target).rotated(key_id).write(target)
    typer.echo(f"rotated {target}: current key {key_id}")


@app.command("encrypt-fields")
def encrypt_fields(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Encrypt the application's sensitive fields still stored clear (written before a key ring
    was configured) and re-encrypt those under an older key after `privacy rotate`; run as the
    server operator (a global admin). Ledgered."""
    from civicflow.app import privacy as pv

    from ._users import server_operator

    with server_operator() as op:
        changed = pv.encrypt_fields(op.ctx, actor=op.actor)
    if as_json:
        typer.echo(json.dumps({"values_encrypted": changed}))
    else:
        typer.echo(f"encrypted {changed} value(s)")


@app.command("decide")
def decide(
    column: Annotated[str, typer.Argument(help="Column name (case attributes as case:<name>)")],
    reason: Annotated[str, typer.Option("--reason", help="Why (ledgered)")],
    keep: Annotated[
        bool, typer.Option("--keep/--pseudonymise", help="Keep clear, or pseudonymise")
    ] = True,
    redact: Annotated[
        bool,
        typer.Option("--redact", help="Redact it as free text (placeholders such as <PERSON>)"),
    ] = False,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """The data steward's decision on a column for later ingests; ledgered with the reason.
    For a free-text column, --keep means it is not redacted."""
    from civicflow.app import Permission
    from civicflow.app import privacy as app_privacy

    with acting(workspace, Permission.PRIVACY_DECIDE, command="civicflow privacy decide") as act:
        stored = app_privacy.decide_column(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            column=column, action="redact" if redact else "keep" if keep else "pseudonymise",
            reason=reason,
        )  # fmt: skip
        receipt = act.receipt(
            action="privacy.decision", object_type="privacy_decision", object_id=stored.id
        )
    if as_json:
        typer.echo(json.dumps({**stored.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    console.print(f"{stored.column}: {stored.action} ({stored.reason})", highlight=False)
    print_receipt(receipt, out=err_console)


@app.command("decisions")
def decisions(workspace: WorkspaceOpt = DEFAULT_WORKSPACE, as_json: JsonOpt = False) -> None:
    """The data steward's decisions of the workspace."""
    from civicflow.app import Permission
    from civicflow.app import privacy as app_privacy

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow privacy decisions") as act:
        rows = app_privacy.list_decisions(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id
        )
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in rows], indent=2))
        return
    table = Table(title="privacy decisions")
    for header in ("column", "action", "reason", "by", "when"):
        table.add_column(header)
    for r in rows:
        table.add_row(r.column, r.action, r.reason, r.decided_by, r.decided_at.isoformat())
    console.print(table)


@app.command("reidentify")
def reidentify(
    pseudonym: Annotated[str, typer.Argument(help="A pseudonym from a pseudonymised dataset")],
    reason: Annotated[str, typer.Option("--reason", help="The request or legal basis (ledgered)")],
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Open the vault for one pseudonym (the DPO's right); ledgered by pseudonym and reason."""
    from civicflow.app import Permission
    from civicflow.app import privacy as app_privacy

    with acting(
        workspace, Permission.PRIVACY_REIDENTIFY, command="civicflow privacy reidentify"
    ) as act:
        value = app_privacy.reidentify(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            pseudonym=pseudonym, reason=reason,
        )  # fmt: skip
        receipt = act.receipt(
            action="privacy.reidentify", object_type="pseudonym", object_id=pseudonym
        )
    if as_json:
        typer.echo(json.dumps({"pseudonym": pseudonym, "value": value, "ledger_entry": receipt}))
        return
    typer.echo(value)
    print_receipt(receipt, out=err_console)


@app.command("publish")
def publish(
    dataset: Annotated[str, typer.Argument(help="Dataset of the workspace")],
    epsilon: Annotated[float, typer.Option("--epsilon", help="Privacy loss of this release")] = 0.5,
    max_pairs: Annotated[
        int, typer.Option("--max-pairs", help="Directly-follows pairs counted per case at most")
    ] = 20,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", help="Drop noisy counts below (default: automatic)"),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget", help="The dataset's total epsilon (first release only; default 1)"
        ),
    ] = None,
    variants: Annotated[
        bool, typer.Option("--variants", help="Release the noisy variant prefix tree instead")
    ] = False,
    depth: Annotated[
        int, typer.Option("--depth", help="Variants: activities per case at most")
    ] = 8,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Publish a differentially private process map (Laplace noise on directly-follows counts
    through OpenDP, each case counted for at most --max-pairs pairs), within the dataset's privacy
    budget; ledgered. Prints the release and its utility report (error against the true counts)."""
    from civicflow.app import Permission
    from civicflow.app import privacy as app_privacy
    from civicflow.privacy import DpConfig

    config = DpConfig(epsilon=epsilon, max_pairs=max_pairs, threshold=threshold)
    with acting(workspace, Permission.PRIVACY_RELEASE, command="civicflow privacy publish") as act:
        if variants:
            stored = app_privacy.publish_variants(
                act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                dataset_name=dataset, epsilon=epsilon, depth=depth, threshold=threshold,
                budget=budget, reason="civicflow privacy publish --variants (command line)",
            )  # fmt: skip
        else:
            stored = app_privacy.publish_process_map(
                act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                dataset_name=dataset, config=config, budget=budget,
                reason="civicflow privacy publish (command line)",
            )  # fmt: skip
        receipt = act.receipt(
            action="privacy.release", object_type="privacy_release", object_id=stored.id
        )
    if as_json:
        typer.echo(json.dumps({**stored.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    r: dict[str, Any] = stored.release
    if variants:
        table = Table(title=f"released variants of {dataset} (epsilon {epsilon})")
        table.add_column("variant")
        table.add_column("noisy count")
        for v in r["variants"]:
            table.add_row(" → ".join(v["activities"]), f"{v['count']:,}")
        console.print(table)
        console.print(
            f"budget: {stored.spent:g} of {stored.budget:g} spent; noise scale {r['scale']:g}, "
            f"threshold {r['threshold']:.1f}; {r['variants_recovered']} of {r['true_variants']} "
            f"variants (up to {depth} activities) recovered, {r['variants_spurious']} spurious; "
            f"mean absolute error {r['mean_absolute_error']:.1f}",
            highlight=False,
        )
        print_receipt(receipt, out=err_console)
        return
    table = Table(title=f"released directly-follows graph of {dataset} (epsilon {epsilon})")
    for header in ("from", "to", "noisy count"):
        table.add_column(header)
    for edge in r["edges"]:
        table.add_row(edge["source"], edge["target"], f"{edge['count']:,}")
    console.print(table)
    console.print(
        f"budget: {stored.spent:g} of {stored.budget:g} spent; noise scale {r['scale']:g}, "
        f"threshold {r['threshold']:.1f}; mean absolute error {r['mean_absolute_error']:.1f}; "
        f"{r['edges_kept']} of {r['true_edges']} true edges kept, {r['edges_spurious']} spurious; "
        f"{r['cases_truncated']:,} of {r['cases']:,} cases truncated",
        highlight=False,
    )
    print_receipt(receipt, out=err_console)


@app.command("releases")
def releases(
    dataset: Annotated[str | None, typer.Argument(help="Only this dataset's releases")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """The differentially private releases of the workspace and the budget each dataset spent."""
    from civicflow.app import Permission
    from civicflow.app import privacy as app_privacy

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow privacy releases") as act:
        rows = app_privacy.list_releases(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            dataset_name=dataset,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in rows], indent=2))
        return
    table = Table(title="privacy releases")
    for header in ("id", "dataset", "epsilon", "spent / budget", "when"):
        table.add_column(header)
    for r in rows:
        table.add_row(
            r.id, r.dataset, f"{r.epsilon:g}", f"{r.spent:g} / {r.budget:g}",
            r.created_at.isoformat(timespec="seconds"),
        )  # fmt: skip
    console.print(table)


@app.command("risk")
def risk(
    dataset: Annotated[str, typer.Argument(help="Dataset of the workspace")],
    quasi: Annotated[
        list[str] | None,
        typer.Option("--quasi", "-q", help="Quasi-identifier column (repeatable) for k-anonymity"),
    ] = None,
    prefix: Annotated[int, typer.Option("--prefix", help="First n activities for uniqueness")] = 3,
    time_resolution: Annotated[
        str, typer.Option("--time", help="Times in the prefix: none, day, hour or exact")
    ] = "day",
    threshold: Annotated[int, typer.Option("--k", help="Smallest acceptable group")] = 5,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Re-identification risk before an export: k-anonymity over the quasi-identifiers, and the
    share of cases unique given their first n activities and times."""
    import pyarrow.parquet as pq

    from civicflow.privacy import k_anonymity, prefix_uniqueness

    stored = EventStore.open(workspace).dataset(dataset)
    events = pq.read_table(stored.events_path)
    out: dict[str, Any] = {
        "prefix": prefix_uniqueness(events, n=prefix, time_resolution=time_resolution).to_dict()
    }
    if quasi:
        # case attributes are counted per case, event attributes per event
        cases = pq.read_table(stored.cases_path) if stored.cases_path.exists() else None
        bare = [q.removeprefix("case:") for q in quasi]
        if cases is not None and all(q in cases.column_names for q in bare):
            out["k_anonymity"] = {
                "unit": "cases",
                **k_anonymity(cases, bare, threshold=threshold).to_dict(),
            }
        else:
            out["k_anonymity"] = {
                "unit": "events",
                **k_anonymity(events, quasi, threshold=threshold).to_dict(),
            }
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    p = out["prefix"]
    console.print(
        f"{p['unique_cases']:,} of {p['cases']:,} cases ({p['share_unique']:.1%}) are unique given "
        f"their first {prefix} activities (times: {time_resolution})",
        highlight=False,
    )
    if quasi:
        k = out["k_anonymity"]
        console.print(
            f"k = {k['k']} over {', '.join(quasi)}; {k['rows_below']:,} {k['unit']} "
            f"({k['share_below']:.1%}) in groups smaller than {threshold}",
            highlight=False,
        )


def _add_requests() -> None:
    from ._privacy_requests import app as requests_app
    from ._privacy_retention import retention_app

    app.add_typer(requests_app, name="requests")
    app.add_typer(retention_app, name="retention")


_add_requests()
