"""``civicflow fairness``: audit decisions in a file, audit a dataset's process for groups of
cases, list the stored audits — each audit stored as a version of a named audit and ledgered
through ``civicflow.app.fairness``, each with ``--json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ._filters import ViewOptions, WorkspaceOpt, view_command
from ._operator import acting, print_receipt

if TYPE_CHECKING:
    from civicflow.app.fairness import DecisionSource
    from civicflow.fairness import FairnessAudit, ProcessFairness

app = typer.Typer(
    help="Fairness: audit automated decisions by group (metrics, disparities, the four-fifths "
    "rule, intervals, findings) and audit a process (do groups of cases wait longer?).",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
NameOpt = Annotated[
    str | None,
    typer.Option("--name", "-n", help="The audit's name: a new version of it is stored."),
]
GroupOpt = Annotated[
    list[str],
    typer.Option("--group", "-g", help="A protected attribute (column). Repeatable."),
]

FileArg = Annotated[
    Path | None, typer.Argument(help="Decisions: a CSV or Parquet file (or use --table).")
]
TableOpt = Annotated[
    str | None,
    typer.Option("--table", help="Decisions in a database table (name or schema.name)."),
]
ConnectionOpt = Annotated[
    str | None,
    typer.Option(
        "--connection",
        help="The --table's database: a PostgreSQL URL (postgresql://user@host:5432/db; the "
        "password through PGPASSWORD or ~/.pgpass) or a DuckDB file.",
    ),
]

RecordedOpt = Annotated[
    str | None,
    typer.Option(
        "--recorded",
        help="The decisions civicflow recorded under this published rule set ('all': every rule "
        "set's), instead of FILE or --table.",
    ),
]

SystemOpt = Annotated[
    str | None,
    typer.Option(
        "--system",
        help="The automated system audited: a governance register entry (name or id).",
    ),
]

SHOWN = ("count", "selection_rate", "tpr", "fpr", "fnr", "ppv", "accuracy", "auc")
HEADINGS = {"selection_rate": "selected", "accuracy": "acc."}


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


@app.command("audit")
def audit(
    workspace: WorkspaceOpt,
    group: GroupOpt,
    file: FileArg = None,
    table: TableOpt = None,
    connection: ConnectionOpt = None,
    recorded: RecordedOpt = None,
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="The decision column (0/1, yes/no).")
    ] = None,
    score: Annotated[
        str | None, typer.Option("--score", help="A score column (decision = score ≥ threshold).")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="The score's threshold.")
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="The true outcome column (0/1, yes/no).")
    ] = None,
    control: Annotated[
        list[str] | None,
        typer.Option("--control", help="A legitimate attribute to stratify by. Repeatable."),
    ] = None,
    reference: Annotated[
        str,
        typer.Option("--reference", help="Reference group: largest, favoured, or a group value."),
    ] = "largest",
    unfavourable: Annotated[
        bool,
        typer.Option(
            "--unfavourable",
            help="The positive decision harms the person (a high risk score, a refusal).",
        ),
    ] = False,
    min_group_size: Annotated[
        int, typer.Option("--min-group-size", help="Smaller groups get a warning.")
    ] = 30,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Bootstrap replicates of the intervals.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the bootstrap.")] = 0,
    name: NameOpt = None,
    system: SystemOpt = None,
    system_version: Annotated[
        str | None,
        typer.Option(
            "--system-version",
            help="The system's model version audited (default: the register's model version).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Audit the decisions in FILE (or in a database --table) by group: every group metric with
    bootstrap intervals, disparities against the reference, the four-fifths rule, Fairlearn's
    summary differences and findings in plain language; stored as the next version of the audit
    and ledgered."""
    from civicflow.app import Permission
    from civicflow.app import fairness as af
    from civicflow.fairness import AuditConfig

    config = AuditConfig(
        outcome=outcome, score=score, threshold=threshold, label=label, groups=tuple(group),
        controls=tuple(control or ()), reference=reference,
        positive_is_favourable=not unfavourable, min_group_size=min_group_size,
        bootstrap=bootstrap, seed=seed,
    )  # fmt: skip
    with acting(workspace, Permission.FAIRNESS_WRITE, command="civicflow fairness audit") as act:
        source = _source(file, table, connection, recorded, act.operator.workspace_id)
        with err_console.status("auditing the decisions…"):
            stored, result = af.audit_source(
                act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                source=source, config=config, name=name, system=system,
                system_version=system_version,
                reason=f"civicflow fairness audit {source.label} (command line)",
            )  # fmt: skip
        receipt = act.receipt(
            action="fairness.audit", object_type="fairness_audit", object_id=stored.id
        )
    if as_json:
        doc = {k: v for k, v in stored.to_dict().items() if k != "result"}
        typer.echo(json.dumps({**doc, **result.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    of = ""
    if stored.system_name is not None:
        of = f" of {stored.system_name}" + (
            f" {stored.system_version}" if stored.system_version else ""
        )
    console.print(
        f"audit '{stored.name}' version {stored.version}{of}: {result.rows:,} decisions",
        highlight=False,
    )
    _show_audit(result)
    print_receipt(receipt, out=console)


def _source(
    file: Path | None,
    table: str | None,
    connection: str | None,
    recorded: str | None = None,
    workspace_id: str | None = None,
) -> DecisionSource:
    """The decisions the command reads: FILE, --table in --connection, or --recorded."""
    from civicflow.app.fairness import FileSource, RecordedDecisionsSource, TableSource
    from civicflow.fairness import DecisionTable

    if sum(x is not None for x in (file, table, recorded)) != 1:
        raise typer.BadParameter("give the decisions once: a FILE, --table or --recorded")
    if recorded is not None:
        if connection is not None:
            raise typer.BadParameter("--connection goes with --table, not with --recorded")
        assert workspace_id is not None
        return RecordedDecisionsSource(workspace_id, None if recorded == "all" else recorded)
    if file is not None:
        if connection is not None:
            raise typer.BadParameter("--connection goes with --table, not with a FILE")
        return FileSource(file)
    if connection is None:
        raise typer.BadParameter("--table needs --connection (a PostgreSQL URL or a DuckDB file)")
    assert table is not None
    return TableSource(DecisionTable(connection=connection, table=table))


def _show_audit(result: FairnessAudit) -> None:
    level = f"{100 * result.config.confidence:g} %"
    by_attr: dict[str, list[str]] = {}
    for m in result.metrics:
        groups = by_attr.setdefault(m.attribute, [])
        if m.group not in groups:
            groups.append(m.group)
    present = {m.metric for m in result.metrics}
    shown = [m for m in SHOWN if m in present]
    for attribute, groups in by_attr.items():
        t = Table(
            title=f"{attribute} (reference: {result.references[attribute]}; ⚠ too few to "
            f"conclude; {level} intervals with --json)"
        )
        t.add_column("group")
        for key in shown:
            t.add_column(HEADINGS.get(key, key), justify="right")
        for g in groups:
            cells = []
            for name in shown:
                m = result.metric(attribute, g, name)
                if name == "count":
                    cells.append(f"{int(m.value or 0):,}" + (" ⚠" if m.small else ""))
                elif name == "auc":
                    cells.append("—" if m.value is None else f"{m.value:.3f}")
                else:
                    cells.append(_pct(m.value))
            t.add_row(g, *cells)
        console.print(t)
    if result.findings:
        console.print("[bold]Findings[/bold] (most severe first)")
        for f in result.findings[:15]:
            console.print(f"{f.rank}. [{f.severity}] {f.text}", highlight=False, markup=False)
        if len(result.findings) > 15:
            console.print(f"… and {len(result.findings) - 15} more (--json shows every one)")
    else:
        console.print("No disparity outside the parity band, and no group too small.")


@app.command("process")
@view_command
def process(
    *,
    options: ViewOptions,
    group: Annotated[
        str, typer.Option("--group", "-g", help="The case attribute that marks the groups.")
    ],
    control: Annotated[
        str | None,
        typer.Option("--control", help="A legitimate difference to account for (case type)."),
    ] = None,
    stratified: Annotated[
        bool,
        typer.Option("--stratified", help="Stratify by the control instead of regression."),
    ] = False,
    correction: Annotated[
        str, typer.Option("--correction", help="Multiple testing: holm or bh.")
    ] = "holm",
    name: NameOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Do cases of one group take longer, wait longer before an activity, loop more, miss the
    deadline or end differently? Each group against all other cases, with intervals, effect
    sizes and a multiple-testing correction; stored and ledgered."""
    from civicflow.app import Permission
    from civicflow.app import fairness as af
    from civicflow.core import get_settings
    from civicflow.eventlog import make_engine
    from civicflow.fairness import ProcessFairnessConfig

    config = ProcessFairnessConfig(
        group=group, control=control, adjustment="stratified" if stratified else "regression",
        correction=correction,  # type: ignore[arg-type]
    )  # fmt: skip
    with acting(
        options.workspace, Permission.FAIRNESS_WRITE, command="civicflow fairness process"
    ) as act:
        engine = make_engine(options.engine, spark_master=get_settings().spark_master)
        try:
            with err_console.status(f"auditing the process on {engine.name}…"):
                stored, result = af.audit_process(
                    act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                    dataset_name=options.dataset, config=config, filter=options.filter,
                    name=name, engine=engine, reason="civicflow fairness process (command line)",
                )  # fmt: skip
        finally:
            engine.close()
        receipt = act.receipt(
            action="fairness.process", object_type="fairness_audit", object_id=stored.id
        )
    if as_json:
        doc = {k: v for k, v in stored.to_dict().items() if k != "result"}
        typer.echo(json.dumps({**doc, **result.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    _show_process(result)
    print_receipt(receipt, out=console)


def _show_process(result: ProcessFairness) -> None:
    groups = ", ".join(f"{k} ({v:,})" for k, v in result.groups.items())
    console.print(
        f"{result.dataset}: {result.cases:,} cases by {result.config.group}: {groups}",
        highlight=False,
    )
    if result.sla:
        console.print(f"SLA: {result.sla}", highlight=False)
    if not result.findings:
        console.print("No material and significant difference between the groups.")
    for f in result.findings[:15]:
        console.print(f"{f.rank}. [{f.severity}] {f.text}", highlight=False, markup=False)


@app.command("explain")
def explain(
    model: Annotated[Path, typer.Argument(help="A fitted scikit-learn model (joblib file).")],
    data: Annotated[Path, typer.Argument(help="The people's data: a CSV or Parquet file.")],
    workspace: WorkspaceOpt,
    row: Annotated[
        list[int] | None,
        typer.Option("--row", "-r", help="Explain this row (0 is the first). Repeatable."),
    ] = None,
    feature: Annotated[
        list[str] | None,
        typer.Option("--feature", help="A model input column (default: every column). Repeatable."),
    ] = None,
    changeable: Annotated[
        list[str] | None,
        typer.Option("--changeable", help="A feature a person can change. Repeatable."),
    ] = None,
    positive_class: Annotated[
        str, typer.Option("--positive-class", help="The model's positive class.")
    ] = "1",
    threshold: Annotated[
        float, typer.Option("--threshold", help="Positive from this probability.")
    ] = 0.5,
    positive_words: Annotated[
        str, typer.Option("--positive-words", help="The positive decision in words.")
    ] = "positive",
    negative_words: Annotated[
        str, typer.Option("--negative-words", help="The negative decision in words.")
    ] = "negative",
    system: SystemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Explain a model's decisions for rows of DATA: the main factors (SHAP values), what change
    to a changeable feature would have changed the outcome, and the model's global picture.
    Load only a model file you trust. Recorded in the audit ledger."""
    from civicflow.app import Permission
    from civicflow.app import fairness as af
    from civicflow.fairness import ExplainConfig

    positive: object = (
        int(positive_class) if positive_class.lstrip("-").isdigit() else positive_class
    )
    config = ExplainConfig(
        features=tuple(feature or ()), changeable=tuple(changeable or ()),
        positive_class=positive, threshold=threshold, positive_words=positive_words,
        negative_words=negative_words,
    )  # fmt: skip
    with acting(workspace, Permission.FAIRNESS_WRITE, command="civicflow fairness explain") as act:
        with err_console.status("explaining the decisions…"):
            stored, result = af.explain_file(
                act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                model_path=model, data_path=data, config=config, rows=list(row or [0]),
                system=system,
                reason=f"civicflow fairness explain {model.name} {data.name} (command line)",
            )  # fmt: skip
        receipt = act.receipt(
            action="fairness.explain", object_type="fairness_explanation", object_id=stored.id
        )
    if as_json:
        doc = {"id": stored.id, "model_sha256": stored.model_sha256, **result.to_dict()}
        typer.echo(json.dumps({**doc, "ledger_entry": receipt}, indent=2))
        return
    console.print(result.text, highlight=False, markup=False)
    for d in result.decisions:
        console.print(f"row {d.row}: {d.text}", highlight=False, markup=False)
    console.print(f"method: {result.method}", highlight=False, markup=False)
    console.print(
        f"stored as {stored.id}: each decision's page for the person it concerns is on the "
        "workbench's Fairness page",
        highlight=False,
        markup=False,
    )
    print_receipt(receipt, out=console)


@app.command("list")
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List the stored audits, every version, newest first."""
    from civicflow.app import Permission
    from civicflow.app import fairness as af

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow fairness list") as act:
        audits = af.list_audits(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id
        )
    if as_json:
        typer.echo(
            json.dumps(
                [{k: v for k, v in a.to_dict().items() if k != "result"} for a in audits], indent=2
            )
        )
        return
    t = Table(title="fairness audits")
    for c in ("name", "version", "kind", "system", "high/medium findings", "created", "id"):
        t.add_column(c, overflow="fold")
    for a in audits:
        severe = sum(1 for f in a.result.get("findings", []) if f["severity"] in ("high", "medium"))
        system = " ".join(x for x in (a.system_name, a.system_version) if x) or "—"
        t.add_row(
            a.name, str(a.version), a.kind, system, str(severe),
            a.created_at.strftime("%Y-%m-%d %H:%M"), a.id,
        )  # fmt: skip
    console.print(t)


@app.command("system")
def system_(
    system: Annotated[str, typer.Argument(help="A governance register entry (name or id).")],
    workspace: WorkspaceOpt,
    as_json: JsonOpt = False,
) -> None:
    """The decision audits of an automated system over time (those run with --system), oldest
    first, each compared with the one before: model version, findings, disparities outside the
    band, alerts and significant changes."""
    from civicflow.app import Permission
    from civicflow.app import fairness as af

    command = "civicflow fairness system"
    with acting(workspace, Permission.WORKSPACE_READ, command=command) as act:
        history = af.system_history(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            system=system,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(history.to_dict(), indent=2))
        return
    now = f", version {history.model_version} in the register" if history.model_version else ""
    console.print(f"{history.name} ({history.status}{now})", highlight=False)
    if not history.audits:
        console.print(
            "No audit names this system yet: run `civicflow fairness audit … --system "
            f"{history.name}`.",
            highlight=False,
            markup=False,
        )
        return
    t = Table(title=f"audits of {history.name}, oldest first")
    for c in ("when", "audit", "model version", "rows", "high/medium", "outside band",
              "alerts", "changes"):  # fmt: skip
        t.add_column(c, overflow="fold")
    for item in history.audits:
        d = item.to_dict()
        version = str(d["system_version"] or "—") + (" (new)" if item.version_changed else "")
        t.add_row(
            item.audit.created_at.strftime("%Y-%m-%d %H:%M"),
            f"{item.audit.name} v{item.audit.version}", version, f"{d['rows']:,}",
            f"{d['findings']['high']}/{d['findings']['medium']}", str(d["out_of_band"]),
            str(len(d["alerts"])), str(len(d["significant"])),
        )  # fmt: skip
    console.print(t)
    latest = history.latest
    if latest is not None:
        for a in latest.check.alerts:
            console.print(f"ALERT {a.text}", highlight=False, markup=False)


monitor_app = typer.Typer(
    help="Monitoring: register a decision stream (a file re-exported regularly), re-audit it on "
    "demand or from cron, and see drift and alerts against the previous audit.",
    no_args_is_help=True,
)
app.add_typer(monitor_app, name="monitor")


@monitor_app.command("add")
def monitor_add(
    name: Annotated[str, typer.Argument(help="The stream's name (its audits carry it).")],
    workspace: WorkspaceOpt,
    group: GroupOpt,
    file: FileArg = None,
    table: TableOpt = None,
    connection: ConnectionOpt = None,
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="The decision column (0/1, yes/no).")
    ] = None,
    score: Annotated[
        str | None, typer.Option("--score", help="A score column (decision = score ≥ threshold).")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="The score's threshold.")
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="The true outcome column (0/1, yes/no).")
    ] = None,
    reference: Annotated[
        str,
        typer.Option("--reference", help="Reference group: largest, favoured, or a group value."),
    ] = "largest",
    unfavourable: Annotated[
        bool,
        typer.Option("--unfavourable", help="The positive decision harms the person."),
    ] = False,
    band_low: Annotated[
        float, typer.Option("--band-low", help="Lower end of the parity band (ratio).")
    ] = 0.8,
    band_high: Annotated[
        float, typer.Option("--band-high", help="Upper end of the parity band (ratio).")
    ] = 1.25,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Bootstrap replicates of the intervals.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the bootstrap.")] = 0,
    system: SystemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register FILE (or a database --table) as the decision stream NAME with its audit
    configuration and parity band; ledgered (``fairness.stream.add``). Nothing is audited until
    `monitor run`."""
    from civicflow.app import Permission
    from civicflow.app import fairness as af
    from civicflow.fairness import AuditConfig

    config = AuditConfig(
        outcome=outcome, score=score, threshold=threshold, label=label, groups=tuple(group),
        reference=reference, positive_is_favourable=not unfavourable,
        band=(band_low, band_high), bootstrap=bootstrap, seed=seed,
    )  # fmt: skip
    command = "civicflow fairness monitor add"
    with acting(workspace, Permission.FAIRNESS_WRITE, command=command) as act:
        stream = af.add_stream(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            name=name, source=_source(file, table, connection), config=config, system=system,
            reason=f"{command} (command line)",
        )  # fmt: skip
        receipt = act.receipt(
            action="fairness.stream.add", object_type="fairness_stream", object_id=stream.id
        )
    if as_json:
        typer.echo(json.dumps({**stream.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    console.print(
        f"stream '{stream.name}' registered: {stream.decision_source.label} (band {band_low:g}–{band_high:g})",
        highlight=False,
    )
    print_receipt(receipt, out=console)


@monitor_app.command("list")
def monitor_list(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List the streams with their last run and alerts."""
    from civicflow.app import Permission
    from civicflow.app import fairness as af

    command = "civicflow fairness monitor list"
    with acting(workspace, Permission.WORKSPACE_READ, command=command) as act:
        streams = af.list_streams(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id
        )
    if as_json:
        typer.echo(json.dumps([s.to_dict() for s in streams], indent=2))
        return
    t = Table(title="fairness streams")
    for c in ("name", "source", "band", "last run", "version", "alerts"):
        t.add_column(c, overflow="fold")
    for s in streams:
        last = s.last_check or {}
        t.add_row(
            s.name, s.decision_source.label, f"{s.config.band[0]:g}–{s.config.band[1]:g}",
            s.last_run_at.strftime("%Y-%m-%d %H:%M") if s.last_run_at else "never",
            str(last.get("version", "—")), str(len(s.alerts)),
        )  # fmt: skip
    console.print(t)


@monitor_app.command("run")
def monitor_run(
    workspace: WorkspaceOpt,
    name: Annotated[str | None, typer.Argument(help="The stream to run.")] = None,
    run_all: Annotated[bool, typer.Option("--all", help="Run every stream (for cron).")] = False,
    fail_on_alert: Annotated[
        bool, typer.Option("--fail-on-alert", help="Exit with status 3 when any alert is raised.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-audit a stream (or every stream with --all) and compare it with its previous audit:
    drift of accuracy and of every disparity with intervals, alerts when a disparity leaves the
    parity band. Each run is stored and ledgered (``fairness.audit``, ``fairness.monitor``)."""
    from civicflow.app import Permission
    from civicflow.app import fairness as af

    if (name is None) == (not run_all):
        raise typer.BadParameter("give a stream name or --all (not both)")
    command = "civicflow fairness monitor run"
    with acting(workspace, Permission.FAIRNESS_WRITE, command=command) as act:
        kw = {"actor": act.operator.actor, "workspace_id": act.operator.workspace_id}
        reason = f"{command} (command line)"
        with err_console.status("auditing…"):
            if run_all:
                runs = af.run_all(act.ctx, reason=reason, **kw)  # type: ignore[arg-type]
            else:
                assert name is not None
                runs = [af.run_stream(act.ctx, name=name, reason=reason, **kw)]  # type: ignore[arg-type]
    alerts = sum(len(r.check.alerts) for r in runs)
    if as_json:
        doc = [{**r.to_dict(), "drift": [d.to_dict() for d in r.check.significant]} for r in runs]
        typer.echo(json.dumps(doc, indent=2))
    else:
        for r in runs:
            before = (
                f"against version {r.previous_version}" if r.previous_version else "first audit"
            )
            console.print(
                f"stream '{r.stream.name}': version {r.audit.version} ({before}); "
                f"{len(r.check.alerts)} alert(s), {len(r.check.significant)} significant "
                f"change(s), {r.check.out_of_band} disparity(ies) outside the band",
                highlight=False,
            )
            for a in r.check.alerts:
                console.print(f"  ALERT {a.text}", highlight=False, markup=False)
            for d in r.check.significant[:10]:
                console.print(
                    f"  drift {d.attribute} = {d.group}, {d.metric} ({d.kind}): "
                    f"{d.change:+.3f} [{d.low:+.3f}, {d.high:+.3f}]",
                    highlight=False, markup=False,
                )  # fmt: skip
    if fail_on_alert and alerts:
        raise typer.Exit(3)


@monitor_app.command("history")
def monitor_history(
    name: Annotated[str, typer.Argument(help="The stream.")],
    workspace: WorkspaceOpt,
    attribute: Annotated[
        str | None, typer.Option("--attribute", help="The protected attribute (default: first).")
    ] = None,
    metric: Annotated[
        str, typer.Option("--metric", help="The group metric, e.g. selection_rate, fpr, accuracy.")
    ] = "selection_rate",
    as_json: JsonOpt = False,
) -> None:
    """A group metric over the stream's audits, oldest first."""
    from civicflow.app import Permission
    from civicflow.app import fairness as af

    command = "civicflow fairness monitor history"
    with acting(workspace, Permission.WORKSPACE_READ, command=command) as act:
        history = af.stream_history(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            name=name, attribute=attribute, metric=metric,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(history, indent=2))
        return
    t = Table(title=f"{name}: {history['metric']} by {history['attribute']}")
    t.add_column("group")
    for v in history["versions"]:
        t.add_column(f"v{v}", justify="right")
    for group, values in history["groups"].items():
        t.add_row(group, *(_pct(x) for x in values))
    console.print(t)
