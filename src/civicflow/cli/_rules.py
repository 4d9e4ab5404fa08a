"""``civicflow rules``: test a rule set against its YAML cases, move a version through review to
publication (four eyes: the approver is not the author), decide and explain cases — a rule set
file directly (nothing stored), or a workspace's published rule set (decisions stored, reviewed
and ledgered through ``civicflow.app.decisions``). Every command has ``--json``."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ._operator import acting, print_receipt
from ._output import emit_json

if TYPE_CHECKING:
    from civicflow.decisions import Decision, RuleModel

app = typer.Typer(
    help="Rules-as-code: test rule sets against their YAML cases, move versions through review "
    "to publication, decide and explain cases with their legal references.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
OptionalWorkspace = Annotated[
    Path | None,
    typer.Option(
        "--workspace", "-w", help="Workspace folder (for its published rule sets).",
        envvar="CIVICFLOW_WORKSPACE",
    ),
]  # fmt: skip
WorkspaceReq = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="Workspace folder.", envvar="CIVICFLOW_WORKSPACE"),
]
DateOpt = Annotated[
    str | None,
    typer.Option("--date", "-d", help="The date decided for (YYYY-MM-DD; default today)."),
]
InputOpt = Annotated[
    list[str] | None,
    typer.Option("--input", "-i", help="An input as name=value. Repeatable."),
]
InputsFileOpt = Annotated[
    Path | None,
    typer.Option("--inputs", help="A JSON file with the inputs (name: value)."),
]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why (ledgered).")]
DmnDecisionOpt = Annotated[
    str | None,
    typer.Option(
        "--decision",
        help="With a DMN model (.dmn): the decision whose result is the outcome "
        "(default: the last one in dependency order).",
    ),
]
DmnPositiveOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--positive",
        help="With a DMN model: an outcome value that counts as positive (repeatable; default: "
        "any truthy value).",
    ),
]


def _tests_beside(path: Path) -> Path:
    return path.with_name(f"{path.stem}.tests.yaml")


def _date(text: str | None) -> dt.date:
    from civicflow.core import InputError, Location

    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            "--date is not a date",
            where=Location(field="--date"),
            found=text,
            expected="YYYY-MM-DD, e.g. 2026-03-01",
            fix="write the date as year-month-day",
        ) from None


def _inputs(pairs: list[str] | None, file: Path | None) -> dict[str, Any]:
    from civicflow.core import InputError, Location

    values: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(
                f"cannot read the inputs from {file}",
                where=Location(file=str(file)),
                found=str(exc),
                expected='a JSON object such as {"household_income": 2310}',
                fix="check the file",
            ) from None
        if not isinstance(loaded, dict):
            raise InputError(
                "the inputs file must hold one JSON object",
                where=Location(file=str(file)),
                found=type(loaded).__name__,
                expected='{"name": value, ...}',
                fix="write the inputs as one object",
            )
        values.update(loaded)
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(
                "an --input must be name=value",
                where=Location(field="--input"),
                found=pair,
                expected="name=value, e.g. household_income=2310",
                fix="write the input's name, '=' and its value",
            )
        values[name.strip()] = value.strip()
    return values


def _local(
    source: str, *, decision: str | None = None, positive: list[str] | None = None
) -> RuleModel | None:
    from civicflow.decisions import DmnSource, load_dmn, load_ruleset

    path = Path(source)
    if path.suffix.lower() == ".dmn":
        model = load_dmn(path)
        return DmnSource(
            model=model,
            outcome=decision or model.decisions[-1],
            positive_values=tuple(positive or ()),
        )
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return load_ruleset(path)
    return None


def _need_workspace(source: str, workspace: Path | None) -> Path:
    from civicflow.core import InputError, Location

    if workspace is None:
        raise InputError(
            f"'{source}' is not a rule set file, and no workspace is given",
            where=Location(field="SOURCE"),
            found=source,
            expected="a rule set YAML file, or a published rule set's name with --workspace",
            fix="give the file's path, or add -w <workspace folder>",
        )
    return workspace


@app.command("test")
def test(
    ruleset: Annotated[Path, typer.Argument(help="The rule set (YAML).")],
    tests: Annotated[
        Path | None,
        typer.Option(
            "--tests", "-t", help="The test cases (default: <name>.tests.yaml beside it)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a rule set's YAML test cases; every failure names the case, its line, the output,
    the value expected and the value found. Exit code 1 when any case fails."""
    from civicflow.decisions import load_ruleset, load_tests, run_tests

    rules = load_ruleset(ruleset)
    report = run_tests(rules, load_tests(tests or _tests_beside(ruleset)))
    if as_json:
        emit_json(report.to_dict())
    else:
        for result in report.results:
            if result.passed:
                console.print(f"[green]pass[/] {result.case.name}", highlight=False)
        console.print(report.describe(), highlight=False, markup=False)
    if not report.passed:
        raise typer.Exit(1)


def _show_decision(decision: Decision, *, trace: bool) -> None:
    from civicflow.decisions import format_value

    flag = " (uncertain: near a threshold)" if decision.uncertain else ""
    console.print(
        f"[bold]{decision.ruleset}[/] on {decision.on.isoformat()}: [bold]{decision.outcome}[/]{flag}",
        highlight=False,
    )
    for name, value in decision.outputs.items():
        console.print(f"  {name}: {format_value(value)}", highlight=False)
    console.print(decision.explanation, highlight=False, markup=False)
    if not trace:
        return
    t = Table(title="trace", title_justify="left")
    for column in ("step", "value", "formula", "legal reference", "parameters used"):
        t.add_column(column, overflow="fold")
    for step in decision.steps:
        used = "; ".join(
            f"{p.name}{'[' + format_value(p.key) + ']' if p.key is not None else ''} = "
            f"{format_value(p.value)} (since {p.since.isoformat()})"
            for p in step.parameters
        )
        t.add_row(
            step.name + ("" if step.in_force else " (not in force)"),
            format_value(step.value),
            step.formula,
            step.reference.text() if step.reference else "",
            used,
        )
    console.print(t)


@app.command("decide")
def decide(
    source: Annotated[
        str, typer.Argument(help="A rule set file, or a published rule set's name with -w.")
    ],
    workspace: OptionalWorkspace = None,
    on: DateOpt = None,
    inputs: InputOpt = None,
    inputs_file: InputsFileOpt = None,
    cases: Annotated[
        Path | None,
        typer.Option(
            "--cases",
            help="A CSV or Parquet table of cases (one column per input; a case_ref column names "
            "each case): decided as a batch, and stored when SOURCE is a published rule set.",
        ),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset",
            help="Decide the cases of this dataset of the workspace as a stored batch (each "
            "case's attributes are the inputs; its id the case reference).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="With --cases or --dataset: write the results here (CSV, or Parquet by suffix).",
        ),
    ] = None,
    case_ref: Annotated[str, typer.Option("--case", help="The case's reference (stored).")] = "",
    dmn_decision: DmnDecisionOpt = None,
    positive: DmnPositiveOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide a case for a date. From a rule set FILE (YAML, or a DMN model with --decision)
    nothing is stored; from a workspace's published rule set the decision is stored with its
    trace, routed by the rule set's automation level and ledgered (decision.decide). --cases
    decides a table as one batch: from a file nothing is stored; under a published rule set
    every decision is stored and routed, with ONE ledger entry for the batch
    (decision.decide_batch) and a progress bar."""
    day = _date(on)
    rules = _local(source, decision=dmn_decision, positive=positive)
    if dataset is not None:
        if cases is not None or rules is not None:
            from civicflow.core import InputError, Location

            raise InputError(
                "--dataset decides a workspace's dataset under a published rule set",
                where=Location(field="--dataset"),
                found=f"--dataset with {'--cases' if cases is not None else 'a rule set file'}",
                expected="a published rule set's name with -w, and --dataset without --cases",
                fix=f"civicflow rules decide NAME -w WORKSPACE --dataset {dataset}",
            )
        _store_batch(source, _need_workspace(source, workspace), None, day, out,
                     as_json=as_json, dataset=dataset)  # fmt: skip
        return
    if cases is not None:
        if rules is None:
            _store_batch(
                source, _need_workspace(source, workspace), cases, day, out, as_json=as_json
            )
        else:
            _decide_batch(rules, cases, day, out, as_json=as_json)
        return
    values = _inputs(inputs, inputs_file)
    if rules is not None:
        decision = rules.decide(values, on=day)
        if as_json:
            emit_json({**decision.to_dict(), "stored": False})
        else:
            _show_decision(decision, trace=False)
            err_console.print("(a rule set file: nothing stored)", highlight=False)
        return
    from civicflow.app import Permission
    from civicflow.app import decisions as rd

    ws = _need_workspace(source, workspace)
    with acting(ws, Permission.REVIEW_WRITE, command="civicflow rules decide") as act:
        stored = rd.decide_case(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            ruleset=source, inputs=values, on=day, case_ref=case_ref,
        )  # fmt: skip
        receipt = act.receipt(
            action="decision.decide", object_type="rule_decision", object_id=stored.id
        )
    if as_json:
        emit_json({**stored.to_dict(), "stored": True, "ledger_entry": receipt})
        return
    console.print(
        f"decision {stored.id}: {stored.outcome} ({stored.status.replace('_', ' ')})",
        highlight=False,
    )
    console.print(stored.explanation, highlight=False, markup=False)
    print_receipt(receipt, out=console)


def _published(name: str, workspace: Path) -> RuleModel:
    from civicflow.app import Permission
    from civicflow.app import decisions as rd

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow rules") as act:
        version = rd.published_version(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id, name=name
        )
    return version.model()


def _read_cases(cases: Path) -> list[dict[str, Any]]:
    from civicflow.app import decisions as rd
    from civicflow.core import InputError, Location

    try:
        data = cases.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read {cases}", where=Location(file=str(cases)), found=str(exc),
            expected="a CSV file with a header row, or a Parquet file", fix="check the path",
        ) from None  # fmt: skip
    return rd.read_cases(data, name=str(cases))


def _write_table(frame: Any, out: Path) -> None:
    """Write a results table (Parquet by suffix, else CSV) through a temporary file, so a failed
    write leaves no half-written file."""
    tmp = out.with_name(f".{out.name}.tmp")
    if out.suffix.lower() in (".parquet", ".pq"):
        frame.to_parquet(tmp, index=False)
    else:
        frame.to_csv(tmp, index=False)
    tmp.replace(out)


def _store_batch(
    name: str,
    workspace: Path,
    cases: Path | None,
    day: dt.date,
    out: Path | None,
    *,
    as_json: bool,
    dataset: str | None = None,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from civicflow.app import Permission
    from civicflow.app import decisions as rd

    rows = _read_cases(cases) if cases is not None else []
    with acting(workspace, Permission.REVIEW_WRITE, command="civicflow rules decide") as act:
        wid, actor = act.operator.workspace_id, act.operator.actor
        if dataset is not None:
            model = rd.published_version(act.ctx, actor=actor, workspace_id=wid, name=name).model()
            rows = rd.dataset_cases(
                act.ctx, actor=actor, workspace_id=wid, dataset=dataset,
                inputs=model.input_names,
            )  # fmt: skip
        with Progress(
            TextColumn("deciding and storing"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err_console, transient=True, disable=as_json,
        ) as bar:  # fmt: skip
            task = bar.add_task("batch", total=len(rows))
            batch = rd.decide_batch_cases(
                act.ctx, actor=actor, workspace_id=wid, ruleset=name, rows=rows, on=day,
                source=cases.name if cases is not None else f"dataset {dataset}",
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )  # fmt: skip
        receipt = act.receipt(
            action="decision.decide_batch", object_type="rule_decision_batch", object_id=batch.id
        )
        if out is not None:
            _write_table(rd.batch_results(act.ctx, actor=actor, workspace_id=wid,
                                          batch_id=batch.id), out)  # fmt: skip
    if as_json:
        emit_json({**batch.to_dict(), "stored": True, "out": str(out) if out else None,
                   "ledger_entry": receipt})  # fmt: skip
        return
    _print_batch(batch, out)
    print_receipt(receipt, out=console)


def _print_batch(batch: Any, out: Path | None) -> None:
    console.print(
        f"batch {batch.id}: {batch.cases:,} cases of {batch.ruleset} decided for "
        f"{batch.decided_on.isoformat()} and stored: {batch.positive:,} positive, "
        f"{batch.negative:,} negative, {batch.uncertain:,} uncertain; "
        + ", ".join(
            f"{n:,} {status.replace('_', ' ')}" for status, n in sorted(batch.statuses.items())
        )
        + f"; {batch.in_review:,} in the review queue"
        + (f"; results in {out}" if out else ""),
        highlight=False,
    )


def _decide_batch(
    rules: RuleModel, cases: Path, day: dt.date, out: Path | None, *, as_json: bool
) -> None:
    import time

    from civicflow.decisions import RuleSet

    rows = _read_cases(cases)
    if not isinstance(rules, RuleSet):
        _decide_rows(rules, rows, day, out, as_json=as_json)
        return
    columns = {
        spec.name: [row.get(spec.name) or spec.default for row in rows]
        for spec in rules.inputs
        if rows and spec.name in rows[0]
    }
    started = time.perf_counter()
    batch = rules.decide_batch(columns, on=day)
    seconds = time.perf_counter() - started
    positive = int(batch.positive.sum())
    summary = {
        "ruleset": rules.name, "date": day.isoformat(), "cases": batch.n, "positive": positive,
        "negative": batch.n - positive, "uncertain": int(batch.uncertain.sum()),
        "seconds": round(seconds, 3), "out": str(out) if out else None,
    }  # fmt: skip
    if out is not None:
        with _atomic(out) as handle:
            writer = csv.writer(handle)
            writer.writerow(["row", *rules.outputs, "uncertain", "explanation"])
            for i in range(batch.n):
                decision = batch.decision(i)
                writer.writerow(
                    [i + 1, *decision.outputs.values(), decision.uncertain, decision.explanation]
                )
    if as_json:
        emit_json(summary)
        return
    console.print(
        f"{batch.n:,} cases decided for {day.isoformat()} in {seconds:.2f} s: {positive:,} "
        f"{rules.outcome_labels[0]}, {batch.n - positive:,} {rules.outcome_labels[1]}, "
        f"{int(batch.uncertain.sum()):,} uncertain" + (f"; outputs in {out}" if out else ""),
        highlight=False,
    )


def _atomic(out: Path) -> Any:
    """A text file written through a temporary one and renamed into place when complete."""
    from contextlib import contextmanager

    @contextmanager
    def opened() -> Any:
        tmp = out.with_name(f".{out.name}.tmp")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            yield handle
        tmp.replace(out)

    return opened()


def _decide_rows(
    rules: RuleModel, rows: list[dict[str, Any]], day: dt.date, out: Path | None, *, as_json: bool
) -> None:
    """A file model's batch decided one case at a time (a DMN model): nothing stored."""
    import time

    from civicflow.decisions import format_value

    started = time.perf_counter()
    decisions = list(rules.decide_many(rows, on=day))
    seconds = time.perf_counter() - started
    positive = sum(d.positive for d in decisions)
    uncertain = sum(d.uncertain for d in decisions)
    if out is not None:
        outputs = list(decisions[0].outputs) if decisions else []
        with _atomic(out) as handle:
            writer = csv.writer(handle)
            writer.writerow(["row", "outcome", *outputs, "uncertain", "explanation"])
            for i, d in enumerate(decisions):
                writer.writerow([i + 1, d.outcome, *(format_value(d.outputs.get(k)) for k in outputs),
                                 d.uncertain, d.explanation])  # fmt: skip
    summary = {
        "ruleset": rules.name, "date": day.isoformat(), "cases": len(decisions),
        "positive": positive, "negative": len(decisions) - positive, "uncertain": uncertain,
        "seconds": round(seconds, 3), "out": str(out) if out else None,
    }  # fmt: skip
    if as_json:
        emit_json(summary)
        return
    console.print(
        f"{len(decisions):,} cases decided for {day.isoformat()} in {seconds:.2f} s: "
        f"{positive:,} positive, {len(decisions) - positive:,} negative, {uncertain:,} uncertain"
        + (f"; outputs in {out}" if out else ""),
        highlight=False,
    )


@app.command("explain")
def explain(
    source: Annotated[
        str,
        typer.Argument(help="A rule set file, a published rule set's name, or a decision id (-w)."),
    ],
    workspace: OptionalWorkspace = None,
    on: DateOpt = None,
    inputs: InputOpt = None,
    inputs_file: InputsFileOpt = None,
    dmn_decision: DmnDecisionOpt = None,
    positive: DmnPositiveOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The full trace of a case — every input, rule and parameter with its value, formula,
    legal reference and effective date — and the citizen's explanation. SOURCE may be a DMN
    model (.dmn: the matched rules of each decision), or a stored decision's id (with -w): its
    stored trace is shown. Nothing is stored."""
    rules: RuleModel | None = _local(source, decision=dmn_decision, positive=positive)
    if rules is None and source.startswith("dec_"):
        _explain_stored(source, _need_workspace(source, workspace), as_json=as_json)
        return
    if rules is None:
        rules = _published(source, _need_workspace(source, workspace))
    decision = rules.decide(_inputs(inputs, inputs_file), on=_date(on))
    if as_json:
        emit_json(decision.to_dict())
        return
    _show_decision(decision, trace=True)


def _explain_stored(decision_id: str, workspace: Path, *, as_json: bool) -> None:
    from civicflow.app import Permission
    from civicflow.app import decisions as rd

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow rules explain") as act:
        wid, actor = act.operator.workspace_id, act.operator.actor
        stored = rd.get_decision(act.ctx, actor=actor, workspace_id=wid, decision_id=decision_id)
        reviews = rd.list_reviews(act.ctx, actor=actor, workspace_id=wid, decision_id=decision_id)
        appeals = rd.list_appeals(act.ctx, actor=actor, workspace_id=wid, decision_id=decision_id)
    doc = {
        **stored.to_dict(),
        "reviews": [r.to_dict() for r in reviews],
        "appeals": [a.to_dict() for a in appeals],
    }
    if as_json:
        emit_json(doc)
        return
    console.print(
        f"decision {stored.id} ({stored.ruleset}, {stored.decided_on.isoformat()}): "
        f"{stored.outcome}, {stored.status.replace('_', ' ')}",
        highlight=False,
    )
    console.print(stored.explanation, highlight=False, markup=False)
    t = Table(title="trace", title_justify="left")
    for column in ("step", "value", "legal reference"):
        t.add_column(column, overflow="fold")
    for step in doc["trace"]:
        ref = step.get("reference") or {}
        t.add_row(
            step["name"],
            str(step["value"]),
            f"{ref.get('act', '')} {ref.get('article', '')}".strip(),
        )
    console.print(t)
    for r in reviews:
        console.print(
            f"review: {r.action} by {r.reviewed_by}: {r.reason}", highlight=False, markup=False
        )
    for a in appeals:
        console.print(
            f"appeal: {'changed' if a.changed else 'upheld'} by {a.decided_by}: {a.reason}",
            highlight=False, markup=False,
        )  # fmt: skip


@app.command("submit")
def submit(
    ruleset: Annotated[
        Path, typer.Argument(help="The rule set (YAML), or a DMN model (.dmn) with --decision.")
    ],
    workspace: WorkspaceReq,
    tests: Annotated[
        Path | None,
        typer.Option(
            "--tests", "-t", help="Its test cases (default: <name>.tests.yaml beside it)."
        ),
    ] = None,
    automation: Annotated[
        str,
        typer.Option(
            "--automation", help="automatic, recommend (to a caseworker) or review (all)."
        ),
    ] = "recommend",
    review_negative: Annotated[
        bool, typer.Option("--review-negative", help="Route every negative outcome to review.")
    ] = False,
    review_uncertain: Annotated[
        bool,
        typer.Option(
            "--review-uncertain/--no-review-uncertain", help="Route uncertain outcomes to review."
        ),
    ] = True,
    reason: ReasonOpt = None,
    dmn_decision: DmnDecisionOpt = None,
    positive: DmnPositiveOpt = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="With a DMN model: the rule set's name (default: the model's name)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Store the rule set (or DMN model) and its YAML tests as a new version and submit it for
    review (ledgered rules.draft and rules.submit). Another policy officer approves it, then it
    is published."""
    from civicflow.app import Permission
    from civicflow.app import decisions as rd

    text = ruleset.read_text(encoding="utf-8")
    tests_text = (tests or _tests_beside(ruleset)).read_text(encoding="utf-8")
    with acting(workspace, Permission.RULES_WRITE, command="civicflow rules submit") as act:
        wid, actor = act.operator.workspace_id, act.operator.actor
        draft = rd.draft_ruleset(
            act.ctx, actor=actor, workspace_id=wid, text=text, tests_text=tests_text,
            automation=automation, review_negative=review_negative,
            review_uncertain=review_uncertain, reason=reason,
            kind="dmn" if ruleset.suffix.lower() == ".dmn" else None, decision=dmn_decision,
            positive=tuple(positive or ()), name=name,
        )  # fmt: skip
        version = rd.submit_ruleset(
            act.ctx, actor=actor, workspace_id=wid, version_id=draft.id, reason=reason
        )
        receipt = act.receipt(
            action="rules.submit", object_type="ruleset_version", object_id=version.id
        )
    _print_version(version, receipt, as_json=as_json)


def _print_version(version: Any, receipt: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        emit_json({**version.to_dict(), "ledger_entry": receipt})
        return
    passed = version.test_result.get("passed") if version.test_result else None
    console.print(
        f"{version.name} v{version.version} ({version.id}): {version.status.replace('_', ' ')}; "
        f"tests {'pass' if passed else 'FAIL'}",
        highlight=False,
    )
    print_receipt(receipt, out=console)


@app.command("approve")
def approve(
    version_id: Annotated[str, typer.Argument(help="The version's id (rsv_…).")],
    workspace: WorkspaceReq,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve a version in review (a different person than its author; rules.approve)."""
    from civicflow.app import Permission
    from civicflow.app import decisions as rd

    with acting(workspace, Permission.RULES_WRITE, command="civicflow rules approve") as act:
        version = rd.approve_ruleset(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            version_id=version_id, reason=reason,
        )  # fmt: skip
        receipt = act.receipt(
            action="rules.approve", object_type="ruleset_version", object_id=version.id
        )
    _print_version(version, receipt, as_json=as_json)


@app.command("publish")
def publish(
    version_id: Annotated[str, typer.Argument(help="The approved version's id (rsv_…).")],
    workspace: WorkspaceReq,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish an approved version: its tests run first and every one must pass; published, it
    never changes (rules.publish)."""
    from civicflow.app import Permission
    from civicflow.app import decisions as rd

    with acting(workspace, Permission.RULES_WRITE, command="civicflow rules publish") as act:
        version = rd.publish_ruleset(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            version_id=version_id, reason=reason,
        )  # fmt: skip
        receipt = act.receipt(
            action="rules.publish", object_type="ruleset_version", object_id=version.id
        )
    _print_version(version, receipt, as_json=as_json)


@app.command("list")
def list_(
    workspace: WorkspaceReq,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Only this rule set.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The rule set versions of a workspace (the history), newest first."""
    from civicflow.app import Permission
    from civicflow.app import decisions as rd

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow rules list") as act:
        versions = rd.list_versions(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id, name=name
        )
    if as_json:
        emit_json([v.to_dict() for v in versions])
        return
    t = Table(title="rule set versions", title_justify="left")
    for column in ("id", "name", "version", "status", "automation", "author", "approved by"):
        t.add_column(column)
    for v in versions:
        t.add_row(
            v.id, v.name, str(v.version), v.status, v.automation, v.created_by, v.approved_by or ""
        )
    console.print(t)


@app.command("example")
def example(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The folder to write the example into.")
    ] = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Write the example rule set (a fictional social-support benefit with dated parameters) and
    its YAML tests into a folder, to start from."""
    import shutil

    from civicflow.core import ConflictError, Location
    from civicflow.decisions import EXAMPLES

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("social_support.yaml", "social_support.tests.yaml"):
        target = out / name
        if target.exists():
            raise ConflictError(
                f"{target} exists already",
                where=Location(file=str(target)),
                found="a file of that name",
                expected="a folder without the example's files",
                fix="remove it, or write the example elsewhere with --out",
            )
        shutil.copyfile(EXAMPLES / name, target)
        written.append(str(target))
    if as_json:
        emit_json({"written": written})
        return
    for path in written:
        console.print(f"wrote {path}", highlight=False)


@app.command("decisions")
def decisions(
    workspace: WorkspaceReq,
    ruleset: Annotated[
        str | None, typer.Option("--ruleset", "-r", help="Only this rule set's decisions.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the decision stream as CSV (inputs, outcome, final outcome after review): "
            "the table `civicflow fairness audit` reads.",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many, newest first.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The stored decisions of a workspace, newest first: the decision stream that fairness audits
    and the governance register read."""
    from civicflow.app import Permission
    from civicflow.app import decisions as rd

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow rules decisions") as act:
        items = rd.list_decisions(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            ruleset=ruleset, limit=limit,
        )  # fmt: skip
    if out is not None:
        rd.decision_stream(items).to_csv(out, index=False)
    if as_json:
        emit_json({"decisions": [d.to_dict() for d in items], "out": str(out) if out else None})
        return
    t = Table(title="decisions", title_justify="left")
    for column in ("id", "rule set", "case", "date", "outcome", "status"):
        t.add_column(column)
    for d in items:
        t.add_row(d.id, d.ruleset, d.case_ref, d.decided_on.isoformat(), d.outcome, d.status)
    console.print(t)
    if out is not None:
        console.print(f"wrote {len(items):,} decisions to {out}", highlight=False)


@app.command("batch")
def batch(
    batch_id: Annotated[str, typer.Argument(help="The batch's id (dbt_…).")],
    workspace: WorkspaceReq,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write its results here (CSV, or Parquet by suffix)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A stored batch of decisions: its counts by outcome and routing, its review items, and
    whether its decisions still match the digest its one ledger entry carries."""
    from civicflow.app import Permission
    from civicflow.app import decisions as rd

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow rules batch") as act:
        wid, actor = act.operator.workspace_id, act.operator.actor
        found = rd.get_batch(act.ctx, actor=actor, workspace_id=wid, batch_id=batch_id)
        verified = rd.verify_batch(act.ctx, actor=actor, workspace_id=wid, batch_id=batch_id)
        review = rd.batch_decisions(act.ctx, actor=actor, workspace_id=wid, batch_id=batch_id,
                                    statuses=("recommended", "pending_review"), limit=50)  # fmt: skip
        if out is not None:
            _write_table(rd.batch_results(act.ctx, actor=actor, workspace_id=wid,
                                          batch_id=batch_id), out)  # fmt: skip
    if as_json:
        emit_json({**found.to_dict(), "verified": verified, "out": str(out) if out else None,
                   "review": [d.id for d in review]})  # fmt: skip
        return
    _print_batch(found, out)
    console.print(
        "digest verified: the stored decisions are those ledgered" if verified
        else "DIGEST MISMATCH: stored decisions differ from those ledgered",
        highlight=False,
    )  # fmt: skip
    if not verified:
        raise typer.Exit(1)
