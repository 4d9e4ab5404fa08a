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
    from civicflow.decisions import Decision, DmnSource, RuleSet

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
) -> RuleSet | DmnSource | None:
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
        typer.Option("--cases", help="A CSV of cases (one column per input): decided as a batch."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="With --cases: write the outputs CSV here.")
    ] = None,
    case_ref: Annotated[str, typer.Option("--case", help="The case's reference (stored).")] = "",
    dmn_decision: DmnDecisionOpt = None,
    positive: DmnPositiveOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide a case for a date. From a rule set FILE (YAML, or a DMN model with --decision)
    nothing is stored; from a workspace's published rule set the decision is stored with its
    trace, routed by the rule set's automation level and ledgered (decision.decide). --cases
    decides a CSV as one batch."""
    from civicflow.decisions import RuleSet

    day = _date(on)
    rules = _local(source, decision=dmn_decision, positive=positive)
    if cases is not None:
        if rules is None:
            rules = _published(source, _need_workspace(source, workspace))
        if not isinstance(rules, RuleSet):
            from civicflow.core import InputError, Location

            raise InputError(
                "--cases decides a YAML rule set's batch; a DMN model decides one case here",
                where=Location(file=source, field="--cases"),
                found=source,
                expected="a rule set YAML file or a published rule set's name",
                fix="decide the DMN model's cases one at a time with --input, or batch them in "
                "Python with DmnModel.evaluate_batch",
            )
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


def _published(name: str, workspace: Path) -> RuleSet:
    from civicflow.app import Permission
    from civicflow.app import decisions as rd

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow rules") as act:
        version = rd.published_version(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id, name=name
        )
    return version.ruleset()


def _decide_batch(
    rules: RuleSet, cases: Path, day: dt.date, out: Path | None, *, as_json: bool
) -> None:
    import time

    from civicflow.core import InputError, Location

    try:
        with cases.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise InputError(
            f"cannot read {cases}", where=Location(file=str(cases)), found=str(exc),
            expected="a CSV file with a header row", fix="check the path",
        ) from None  # fmt: skip
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
        with out.open("w", newline="", encoding="utf-8") as handle:
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
    rules: RuleSet | DmnSource | None = _local(source, decision=dmn_decision, positive=positive)
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
    ruleset: Annotated[Path, typer.Argument(help="The rule set (YAML).")],
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
    as_json: JsonOpt = False,
) -> None:
    """Store the rule set and its tests as a new version and submit it for review (ledgered
    rules.draft and rules.submit). Another policy officer approves it, then it is published."""
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
