"""``civicflow governance``: the register of automated systems (add, list, show, move, publish),
impact assessments stored with every answer audited (``assess``), the Canada AIA scored as its
official tool scores it (``aia score``), EU AI Act classification (``aiact classify``) and
transparency records (``record export``) — each with ``--json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ._filters import WorkspaceOpt
from ._operator import acting, print_receipt

if TYPE_CHECKING:
    from civicflow.governance import AiActClassification, AiaScore, RegisterEntry

app = typer.Typer(
    help="Governance: the register of automated systems, impact assessments (Canada's AIA, the "
    "EU AI Act, a GDPR DPIA, a NIST AI RMF profile) and transparency records.",
    no_args_is_help=True,
)
register_app = typer.Typer(help="The register of automated and AI systems.", no_args_is_help=True)
assess_app = typer.Typer(
    help="Stored assessments of a registered system, every answer in the ledger.",
    no_args_is_help=True,
)
aia_app = typer.Typer(help="Canada's Algorithmic Impact Assessment.", no_args_is_help=True)
aiact_app = typer.Typer(help="EU AI Act risk classification.", no_args_is_help=True)
record_app = typer.Typer(help="Algorithmic transparency records (UK ATRS).", no_args_is_help=True)
controls_app = typer.Typer(
    help="Compliance controls (GDPR, HIPAA, EU AI Act, your own) with evidence, and the gaps.",
    no_args_is_help=True,
)
app.add_typer(register_app, name="register")
app.add_typer(assess_app, name="assess")
app.add_typer(aia_app, name="aia")
app.add_typer(aiact_app, name="aiact")
app.add_typer(record_app, name="record")
app.add_typer(controls_app, name="controls")
inventory_app = typer.Typer(
    help="The inventory of systems the automation depends on (readiness: infrastructure).",
    no_args_is_help=True,
)
app.add_typer(inventory_app, name="inventory")
console = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why (kept in the ledger).")]


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _read_json(path: Path, what: str) -> Any:
    from civicflow.core import InputError, Location

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"the {what} cannot be read",
            where=Location(file=str(path)),
            found=str(exc),
            expected="a JSON file",
            fix="check the path and that the file is JSON",
        ) from exc


# --------------------------------------------------------------------------------------------
# register


@register_app.command("add")
def register_add(
    workspace: WorkspaceOpt,
    name: Annotated[str | None, typer.Option("--name", help="The system's name.")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="What it is for.")] = None,
    legal_basis: Annotated[
        str | None, typer.Option("--legal-basis", help="The law that allows it.")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="The owning service.")] = None,
    sro: Annotated[str | None, typer.Option("--sro", help="The senior responsible owner.")] = None,
    affected: Annotated[
        str | None, typer.Option("--affected", help="Who is affected, how many.")
    ] = None,
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", help="A dataset it uses. Repeatable.")
    ] = None,
    model_type: Annotated[str | None, typer.Option("--model-type")] = None,
    model_version: Annotated[str | None, typer.Option("--model-version")] = None,
    oversight: Annotated[
        str | None,
        typer.Option("--oversight", help="in-the-loop, on-the-loop or out-of-the-loop."),
    ] = None,
    organisation: Annotated[str | None, typer.Option("--organisation")] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", help="A JSON object of the fields (options override it)."),
    ] = None,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an automated or AI system (it starts as proposed)."""
    from civicflow.app import Permission, governance

    fields: dict[str, Any] = dict(_read_json(from_file, "fields file")) if from_file else {}
    given = {
        "name": name, "purpose": purpose, "legal_basis": legal_basis, "owner": owner,
        "senior_responsible_owner": sro, "affected_people": affected, "datasets": dataset,
        "model_type": model_type, "model_version": model_version, "oversight": oversight,
        "organisation": organisation,
    }  # fmt: skip
    fields |= {k: v for k, v in given.items() if v is not None}
    with acting(
        workspace, Permission.GOVERNANCE_WRITE, command="civicflow governance register add"
    ) as act:
        entry = governance.add_system(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            fields=fields, reason=reason,
        )  # fmt: skip
        receipt = act.receipt(
            action="governance_system.create", object_type="governance_system", object_id=entry.id
        )
    _entry_out(entry, receipt, as_json)


def _entry_out(entry: RegisterEntry, receipt: dict[str, Any] | None, as_json: bool) -> None:
    if as_json:
        data = entry.to_dict()
        if receipt is not None:
            data["ledger_entry"] = receipt
        _echo_json(data)
        return
    console.print(f"[bold]{entry.name}[/] ({entry.id}): {entry.status.value}", highlight=False)
    for label, value in (
        ("purpose", entry.purpose), ("legal basis", entry.legal_basis), ("owner", entry.owner),
        ("senior responsible owner", entry.senior_responsible_owner),
        ("affected people", entry.affected_people), ("datasets", ", ".join(entry.datasets)),
        ("model", f"{entry.model_type} {entry.model_version}".strip()),
        ("human oversight", entry.oversight.value),
        ("published", "yes" if entry.published else "no"),
    ):  # fmt: skip
        if value:
            console.print(f"  {label}: {value}", highlight=False, markup=False)
    for move in entry.history:
        console.print(
            f"  {move.at:%Y-%m-%d %H:%M} {move.from_status or '-'} -> {move.to_status} by "
            f"{move.by}: {move.reason}",
            highlight=False,
            markup=False,
        )
    for link in entry.assessments:
        console.print(f"  {link.kind}: {link.summary}", highlight=False, markup=False)
    if receipt is not None:
        print_receipt(receipt, out=console)


@register_app.command("list")
def register_list(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List the registered systems."""
    from civicflow.app import Permission, governance

    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow governance register list"
    ) as act:
        entries = governance.list_systems(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id
        )
    if as_json:
        _echo_json([e.to_dict() for e in entries])
        return
    if not entries:
        console.print("no systems registered yet: `civicflow governance register add`")
        return
    table = Table(title="Register of automated systems")
    for col in ("name", "id", "status", "oversight", "owner", "published"):
        table.add_column(col)
    for e in entries:
        table.add_row(
            e.name, e.id, e.status.value, e.oversight.value, e.owner, "yes" if e.published else ""
        )
    console.print(table)


@register_app.command("show")
def register_show(
    system: Annotated[str, typer.Argument(help="The system's name or id.")],
    workspace: WorkspaceOpt,
    as_json: JsonOpt = False,
) -> None:
    """One registered system with its lifecycle history and linked assessments."""
    from civicflow.app import Permission, governance

    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow governance register show"
    ) as act:
        entry = governance.get_system(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id, ref=system
        )
    _entry_out(entry, None, as_json)


@register_app.command("move")
def register_move(
    system: Annotated[str, typer.Argument(help="The system's name or id.")],
    workspace: WorkspaceOpt,
    to: Annotated[str, typer.Option("--to", help="proposed, assessed, piloted, live or retired.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the ledger).")],
    as_json: JsonOpt = False,
) -> None:
    """Move a system along its lifecycle: proposed, assessed, piloted, live, retired."""
    from civicflow.app import Permission, governance

    with acting(
        workspace, Permission.GOVERNANCE_WRITE, command="civicflow governance register move"
    ) as act:
        entry = governance.move_system(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            ref=system, to=to, reason=reason,
        )  # fmt: skip
        receipt = act.receipt(
            action="governance_system.move", object_type="governance_system", object_id=entry.id
        )
    _entry_out(entry, receipt, as_json)


@register_app.command("publish")
def register_publish(
    system: Annotated[str, typer.Argument(help="The system's name or id.")],
    workspace: WorkspaceOpt,
    withdraw: Annotated[
        bool, typer.Option("--withdraw", help="Take the record off the public register.")
    ] = False,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish the system's transparency record on the public algorithm register (or withdraw it)."""
    from civicflow.app import Permission, governance

    with acting(
        workspace, Permission.GOVERNANCE_WRITE, command="civicflow governance register publish"
    ) as act:
        entry = governance.update_system(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            ref=system, fields={"published": not withdraw}, reason=reason,
        )  # fmt: skip
        receipt = act.receipt(
            action="governance_system.update", object_type="governance_system", object_id=entry.id
        )
    _entry_out(entry, receipt, as_json)


# --------------------------------------------------------------------------------------------
# stored assessments


@assess_app.command("start")
def assess_start(
    kind: Annotated[str, typer.Argument(help="canada-aia, eu-ai-act, gdpr-dpia or nist-ai-rmf.")],
    workspace: WorkspaceOpt,
    system: Annotated[
        str | None, typer.Option("--system", help="The registered system it assesses.")
    ] = None,
    questionnaire: Annotated[
        Path | None,
        typer.Option("--questionnaire", help="canada-aia: the published survey-enfr.json."),
    ] = None,
    answers: Annotated[
        Path | None, typer.Option("--answers", help="Answers to give at once (JSON).")
    ] = None,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start an assessment (and give answers at once with --answers)."""
    from civicflow.app import Permission, governance
    from civicflow.governance import read_answers

    given = read_answers(answers) if answers else None
    with acting(
        workspace, Permission.GOVERNANCE_WRITE, command="civicflow governance assess start"
    ) as act:
        actor, ws = act.operator.actor, act.operator.workspace_id
        run = governance.start_assessment(
            act.ctx, actor=actor, workspace_id=ws, kind=kind, system=system,
            questionnaire=questionnaire, reason=reason,
        )  # fmt: skip
        action = "assessment.create"
        if given:
            run = governance.answer_assessment(
                act.ctx, actor=actor, workspace_id=ws, assessment_id=run.id, answers=given,
                reason=reason,
            )  # fmt: skip
            action = "assessment.score"
        receipt = act.receipt(action=action, object_type="assessment", object_id=run.id)
    _assessment_out(run.to_dict(), receipt, as_json)


@assess_app.command("answer")
def assess_answer(
    assessment: Annotated[str, typer.Argument(help="The assessment's id.")],
    workspace: WorkspaceOpt,
    answers: Annotated[Path, typer.Option("--answers", help="Answers (JSON; null withdraws).")],
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give or change answers; each changed answer is its own ledger entry."""
    from civicflow.app import Permission, governance
    from civicflow.governance import read_answers

    given = read_answers(answers)
    with acting(
        workspace, Permission.GOVERNANCE_WRITE, command="civicflow governance assess answer"
    ) as act:
        run = governance.answer_assessment(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            assessment_id=assessment, answers=given, reason=reason,
        )  # fmt: skip
        receipt = act.receipt(action="assessment.score", object_type="assessment", object_id=run.id)
    _assessment_out(run.to_dict(), receipt, as_json)


@assess_app.command("list")
def assess_list(
    workspace: WorkspaceOpt,
    system: Annotated[str | None, typer.Option("--system", help="Only this system's.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the stored assessments."""
    from civicflow.app import Permission, governance

    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow governance assess list"
    ) as act:
        runs = governance.list_assessments(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            system=system,
        )  # fmt: skip
    if as_json:
        _echo_json([{k: v for k, v in r.to_dict().items() if k != "result"} for r in runs])
        return
    table = Table(title="Assessments")
    for col in ("id", "kind", "system", "answers", "summary"):
        table.add_column(col)
    for r in runs:
        table.add_row(r.id, r.kind, r.system_id or "", str(len(r.answers)), r.summary)
    console.print(table)


def _assessment_out(data: dict[str, Any], receipt: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _echo_json(data | {"ledger_entry": receipt})
        return
    console.print(
        f"assessment {data['id']} ({data['kind']}): {data['summary']}",
        highlight=False,
        markup=False,
    )
    print_receipt(receipt, out=console)


# --------------------------------------------------------------------------------------------
# computations without storing: the AIA score and the AI Act classification


@aia_app.command("score")
def aia_score(
    questionnaire: Annotated[
        Path, typer.Argument(help="The published AIA questionnaire (survey-enfr.json).")
    ],
    answers: Annotated[
        Path,
        typer.Option(
            "--answers", help="Answers: {name: value}, or a file the official tool saved."
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Score an AIA answer set exactly as the official tool does (nothing is stored)."""
    from civicflow.governance import load_aia, read_answers, score_aia

    score = score_aia(load_aia(questionnaire), read_answers(answers))
    if as_json:
        _echo_json(score.to_dict())
        return
    _aia_text(score)


def _aia_text(score: AiaScore) -> None:
    console.print(f"[bold]Impact level {score.level_roman}[/]", highlight=False)
    console.print(
        f"current score {score.current_score} of {score.max_raw_impact} "
        f"({score.share:.0%}); raw impact {score.raw_impact}; mitigation {score.mitigation} "
        f"(the 15 % reduction applies from {score.mitigation_threshold:g}: "
        f"{'applied' if score.reduction_applied else 'not applied'})",
        highlight=False,
    )
    for req in score.requirements:
        console.print(f"- {req.name}: {req.text}", highlight=False, markup=False)
    if score.hidden:
        console.print(
            "answers to questions the other answers hide (counted, as the official tool "
            f"counts them): {', '.join(score.hidden)}",
            highlight=False,
            markup=False,
        )
    if score.ignored:
        console.print(f"ignored (no scored question): {', '.join(score.ignored)}", markup=False)


@aiact_app.command("classify")
def aiact_classify(
    answers: Annotated[
        Path | None, typer.Option("--answers", help="Answers to the eu-ai-act questions (JSON).")
    ] = None,
    not_ai: Annotated[
        bool, typer.Option("--not-ai", help="It only follows rules people wrote (Art. 3(1)).")
    ] = False,
    role: Annotated[str | None, typer.Option("--role", help="deployer, provider or both.")] = None,
    public_body: Annotated[
        bool, typer.Option("--public-body", help="The deployer is a public body.")
    ] = False,
    prohibited: Annotated[
        list[str] | None,
        typer.Option("--prohibited", help="An Art. 5 practice, e.g. 5-1-c. Repeatable."),
    ] = None,
    annex_i: Annotated[
        bool, typer.Option("--annex-i", help="A safety component under Annex I.")
    ] = False,
    annex_iii: Annotated[
        list[str] | None,
        typer.Option("--annex-iii", help="An Annex III point, e.g. 5a, 6d, 7c. Repeatable."),
    ] = None,
    profiling: Annotated[
        bool, typer.Option("--profiling", help="It profiles natural persons.")
    ] = False,
    exemption: Annotated[
        list[str] | None,
        typer.Option(
            "--exemption",
            help="An Art. 6(3) condition: narrow_procedural, improve_human, detect_patterns, "
            "preparatory. Repeatable.",
        ),
    ] = None,
    transparency: Annotated[
        list[str] | None,
        typer.Option(
            "--transparency",
            help="An Art. 50 situation: interacts, synthetic, emotion_biometric, deep_fake, "
            "public_text. Repeatable.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Classify a system under the EU AI Act and list the obligations that follow."""
    from civicflow.governance import classify_ai_act, read_answers

    given: dict[str, Any] = read_answers(answers) if answers else {}
    given.setdefault("ai_system", "no" if not_ai else "yes")
    flags = {
        "role": role, "prohibited": prohibited, "annex_iii": annex_iii, "exemption": exemption,
        "transparency": transparency,
    }  # fmt: skip
    given |= {k: v for k, v in flags.items() if v}
    for name, flag in (
        ("public_body", public_body),
        ("annex_i", annex_i),
        ("profiling", profiling),
    ):
        if flag:
            given[name] = "yes"
    result = classify_ai_act(given)
    if as_json:
        _echo_json(result.to_dict())
        return
    _aiact_text(result)


def _aiact_text(result: AiActClassification) -> None:
    console.print(f"[bold]{result.category.value}[/]", highlight=False)
    for reason in result.reasons:
        console.print(f"  {reason}", highlight=False, markup=False)
    for o in result.obligations:
        console.print(f"- {o.article} ({o.party}): {o.title}", highlight=False, markup=False)
        for element in o.elements:
            console.print(f"    {element}", highlight=False, markup=False)


# --------------------------------------------------------------------------------------------
# transparency records


@record_app.command("export")
def record_export(
    system: Annotated[str, typer.Argument(help="The system's name or id.")],
    workspace: WorkspaceOpt,
    fmt: Annotated[str, typer.Option("--format", help="json, csv or html.")] = "json",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file (else standard output).")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Refuse a record with required fields not provided or invalid values."
        ),
    ] = False,
) -> None:
    """Export a system's algorithmic transparency record (UK ATRS v3.0)."""
    from civicflow.app import Permission, governance
    from civicflow.core import InputError, Location, check_choice
    from civicflow.governance import FORMATS, check_record, render_record

    check_choice(fmt, FORMATS, what="record format", field="format")
    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow governance record export"
    ) as act:
        record = governance.export_record(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id, ref=system
        )
    check = check_record(record)
    if strict and not check.complete:
        raise InputError(
            f"the record of '{record.title}' is not ready to publish",
            where=Location(field="record"),
            found="; ".join([*check.problems, *check.missing_required]),
            expected="every required ATRS field provided, every value valid",
            fix="fill the fields in the workbench's system page (Transparency record), or "
            "register add --from-file with their 'details'",
        )
    text = render_record(record, fmt)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"wrote {out}", highlight=False, markup=False)


@record_app.command("check")
def record_check(
    system: Annotated[str, typer.Argument(help="The system's name or id.")],
    workspace: WorkspaceOpt,
    as_json: JsonOpt = False,
) -> None:
    """What a system's transparency record still lacks before it can be published: required
    fields not provided and values GOV.UK would not accept. Exits 1 when there is any."""
    from civicflow.app import Permission, governance
    from civicflow.governance import check_record

    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow governance record check"
    ) as act:
        record = governance.export_record(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id, ref=system
        )
    check = check_record(record)
    if as_json:
        _echo_json(check.to_dict())
    else:
        state = "complete" if check.complete else "not complete"
        console.print(f"{record.title}: the record is {state}", highlight=False, markup=False)
        for problem in check.problems:
            console.print(f"- {problem}", highlight=False, markup=False)
        for name in check.missing_required:
            console.print(f"- not provided: {name}", highlight=False, markup=False)
    if not check.complete:
        raise typer.Exit(1)


# --------------------------------------------------------------------------------------------
# compliance controls and the Art. 30 record

CatalogueArg = Annotated[
    str,
    typer.Argument(help="gdpr, hipaa, eu-ai-act, or a catalogue file (JSON) of your own."),
]


def _catalogue(ref: str) -> Any:
    from civicflow.governance import BUILTIN_CATALOGUES, builtin_catalogue, load_catalogue

    return builtin_catalogue(ref) if ref in BUILTIN_CATALOGUES else load_catalogue(Path(ref))


@controls_app.command("list")
def controls_list(
    catalogue: CatalogueArg, workspace: WorkspaceOpt, as_json: JsonOpt = False
) -> None:
    """The catalogue's controls with this workspace's owner, status, due date and evidence."""
    from civicflow.app import Permission, governance

    cat = _catalogue(catalogue)
    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow governance controls list"
    ) as act:
        states = governance.control_states(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            catalogue=cat.id,
        )  # fmt: skip
    by_id = {s.control: s for s in states}
    rows = []
    for c in cat.controls:
        state = by_id.get(c.id)
        rows.append(
            {
                "control": c.id, "reference": c.reference, "title": c.title,
                "owner": state.owner if state else "",
                "status": state.status.value if state else "not-started",
                "due": state.due.isoformat() if state and state.due else None,
                "evidence": [f"{e.kind}:{e.ref}" for e in state.evidence] if state else [],
            }
        )  # fmt: skip
    if as_json:
        _echo_json({"catalogue": cat.id, "version": cat.version, "controls": rows})
        return
    table = Table(title=f"{cat.title} (version {cat.version})")
    for col in ("control", "reference", "title", "owner", "status", "due", "evidence"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["control"], r["reference"], r["title"], r["owner"], r["status"], r["due"] or "",
            ", ".join(r["evidence"]),
        )  # fmt: skip
    console.print(table)


@controls_app.command("set")
def controls_set(
    catalogue: CatalogueArg,
    control: Annotated[str, typer.Argument(help="The control's id, e.g. GDPR-35.")],
    workspace: WorkspaceOpt,
    owner: Annotated[str | None, typer.Option("--owner", help="Who owns the control.")] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="not-started, in-progress, implemented or not-applicable."),
    ] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date (YYYY-MM-DD).")] = None,
    evidence: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence",
            help="An evidence link kind:ref (assessment:ID, dataset:NAME, pilot:ID, "
            "document:URL …). Repeatable.",
        ),
    ] = None,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a control's owner, status or due date and link evidence."""
    from datetime import date

    from civicflow.app import Permission, governance
    from civicflow.core import InputError, Location

    due_date = None
    if due is not None:
        try:
            due_date = date.fromisoformat(due)
        except ValueError as exc:
            raise InputError(
                "the due date is not a date",
                where=Location(field="due"),
                found=due,
                expected="YYYY-MM-DD",
                fix="give the date as 2026-06-30",
            ) from exc
    cat = _catalogue(catalogue)
    with acting(
        workspace, Permission.GOVERNANCE_WRITE, command="civicflow governance controls set"
    ) as act:
        state = governance.set_control(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            catalogue=cat, control=control, owner=owner, status=status, due=due_date,
            evidence=evidence or [], reason=reason,
        )  # fmt: skip
        receipt = act.receipt(
            action="control.update", object_type="control", object_id=f"{cat.id}:{control}"
        )
    if as_json:
        _echo_json(state.to_dict() | {"ledger_entry": receipt})
        return
    console.print(
        f"{cat.id} {control}: {state.status.value}, owner {state.owner or '-'}, "
        f"{len(state.evidence)} evidence link(s)",
        highlight=False,
        markup=False,
    )
    print_receipt(receipt, out=console)


@controls_app.command("gaps")
def controls_gaps(
    catalogue: CatalogueArg, workspace: WorkspaceOpt, as_json: JsonOpt = False
) -> None:
    """The gaps: applicable controls not implemented with evidence, without owner, or overdue."""
    from civicflow.app import Permission, governance

    cat = _catalogue(catalogue)
    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow governance controls gaps"
    ) as act:
        report = governance.gaps(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            catalogue=cat,
        )  # fmt: skip
    if as_json:
        _echo_json(report.to_dict())
        return
    console.print(
        f"{cat.title}: {report.implemented} of {report.total - report.not_applicable} applicable "
        f"controls implemented with evidence ({report.share_implemented:.0%}); "
        f"{len(report.gaps)} gaps",
        highlight=False,
        markup=False,
    )
    for gap in report.gaps:
        console.print(
            f"- {gap.control} ({gap.reference}) {gap.title}: {'; '.join(gap.problems)}",
            highlight=False,
            markup=False,
        )


@app.command("art30")
def art30(
    workspace: WorkspaceOpt,
    controller: Annotated[
        str, typer.Option("--controller", help="The controller's name and contact details, DPO.")
    ],
    fmt: Annotated[str, typer.Option("--format", help="text, json or csv.")] = "text",
) -> None:
    """The GDPR Art. 30 record of processing activities, generated from the register."""
    import io

    from civicflow.app import Permission, governance
    from civicflow.core import check_choice, write_csv
    from civicflow.governance import ART30_FIELDS

    check_choice(fmt, ("text", "json", "csv"), what="format", field="format")
    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow governance art30") as act:
        rows = governance.processing_record(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            controller=controller,
        )  # fmt: skip
    if fmt == "json":
        _echo_json([r.to_dict() for r in rows])
        return
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        write_csv(
            buffer,
            header=[name for _key, _ref, name in ART30_FIELDS],
            rows=[[r.values[key] for key, _ref, _name in ART30_FIELDS] for r in rows],
        )
        typer.echo(buffer.getvalue(), nl=False)
        return
    if not rows:
        console.print("no registered systems: the record is empty")
    for r in rows:
        console.print(f"[bold]{r.values['name']}[/]", highlight=False)
        for key, ref, name in ART30_FIELDS[1:]:
            console.print(
                f"  {name} ({ref or '-'}): {r.values[key]}", highlight=False, markup=False
            )


@app.command("readiness")
def readiness_cmd(
    workspace: WorkspaceOpt,
    declare: Annotated[
        list[str] | None,
        typer.Option(
            "--declare",
            help="A declared answer where no evidence can exist: AREA=SCORE:NOTE (score 0 to 1), "
            "e.g. infrastructure=0.5:inventory kept by IT. Repeatable.",
        ),
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Keep this scorecard as a point of the trend.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The readiness scorecard: the ten preparations scored from the workspace's evidence, and
    the trend of the saved scorecards."""
    from civicflow.app import Permission, governance
    from civicflow.core import InputError, Location
    from civicflow.governance import Declared

    declared: dict[str, Declared] = {}
    for text in declare or []:
        area, _, rest = text.partition("=")
        score, _, note = rest.partition(":")
        try:
            declared[area.strip()] = Declared(float(score), note.strip() or "declared")
        except ValueError as exc:
            raise InputError(
                "a declared answer is AREA=SCORE:NOTE",
                where=Location(field="declare"),
                found=text,
                expected="e.g. infrastructure=0.5:inventory kept by IT",
                fix="give the area, a score from 0 to 1 and why",
            ) from exc
    needed = Permission.GOVERNANCE_WRITE if save else Permission.WORKSPACE_READ
    with acting(workspace, needed, command="civicflow governance readiness") as act:
        actor, ws = act.operator.actor, act.operator.workspace_id
        scorer = governance.save_readiness if save else governance.readiness
        card = scorer(act.ctx, actor=actor, workspace_id=ws, declared=declared)
        trend = governance.readiness_trend(act.ctx, actor=actor, workspace_id=ws)
    if as_json:
        _echo_json(card.to_dict() | {"trend": [p.to_dict() for p in trend]})
        return
    table = Table(title=f"Readiness: {card.overall:.0%}")
    for col in ("area", "score", "basis", "evidence", "gaps"):
        table.add_column(col)
    for a in card.areas:
        table.add_row(a.title, f"{a.score:.0%}", a.basis, "; ".join(a.evidence), "; ".join(a.gaps))
    console.print(table)
    if card.roadmap:
        console.print("[bold]Roadmap[/]")
        for index, step in enumerate(card.roadmap, 1):
            console.print(f"{index}. {step}", highlight=False, markup=False)
    if trend:
        console.print("[bold]Trend[/] (saved scorecards)")
        for point in trend:
            console.print(f"{point.taken_at:%Y-%m-%d %H:%M}  {point.overall:.0%}", highlight=False)


@inventory_app.command("set")
def inventory_set(
    name: Annotated[str, typer.Argument(help="The system's name (a new one is added).")],
    workspace: WorkspaceOpt,
    type_: Annotated[
        str | None, typer.Option("--type", help="What it is, e.g. case management.")
    ] = None,
    data_held: Annotated[str | None, typer.Option("--data-held", help="The data it holds.")] = None,
    interfaces: Annotated[
        str | None, typer.Option("--interfaces", help="Its interfaces (APIs, files).")
    ] = None,
    hosting: Annotated[str | None, typer.Option("--hosting", help="Where it runs.")] = None,
    support: Annotated[
        str | None,
        typer.Option("--support", help="supported, extended-support, end-of-life or unknown."),
    ] = None,
    compatibility: Annotated[
        str | None,
        typer.Option(
            "--compatibility",
            help="With the planned automation: compatible, needs-work, incompatible or unknown.",
        ),
    ] = None,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a system to the inventory, or change the one of that name."""
    from civicflow.app import Permission, governance

    given = {
        "name": name, "type": type_, "data_held": data_held, "interfaces": interfaces,
        "hosting": hosting, "support": support, "compatibility": compatibility,
    }  # fmt: skip
    with acting(
        workspace, Permission.GOVERNANCE_WRITE, command="civicflow governance inventory set"
    ) as act:
        item = governance.save_inventory_item(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            fields={k: v for k, v in given.items() if v is not None}, reason=reason,
        )  # fmt: skip
    if as_json:
        _echo_json(item.to_dict())
        return
    console.print(
        f"{item.name}: {item.type}, support {item.support.value}, compatibility "
        f"{item.compatibility.value}",
        highlight=False,
        markup=False,
    )


@inventory_app.command("list")
def inventory_list(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """The inventory of systems."""
    from civicflow.app import Permission, governance

    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow governance inventory list"
    ) as act:
        items = governance.list_inventory(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id
        )
    if as_json:
        _echo_json([i.to_dict() for i in items])
        return
    table = Table(title="Infrastructure inventory")
    for col in ("name", "type", "data held", "interfaces", "hosting", "support", "compatibility"):
        table.add_column(col)
    for i in items:
        table.add_row(
            i.name, i.type, i.data_held, i.interfaces, i.hosting, i.support.value,
            i.compatibility.value,
        )  # fmt: skip
    console.print(table)


# --------------------------------------------------------------------------------------------
# evidence files

attach_app = typer.Typer(
    help="Evidence files attached to assessment answers and controls (kept by SHA-256).",
    no_args_is_help=True,
)
app.add_typer(attach_app, name="attach")
FileArg = Annotated[Path, typer.Argument(help="The evidence file (PDF, image, text, office).")]


def _read_upload(path: Path) -> bytes:
    from civicflow.core import InputError, Location
    from civicflow.governance import MAX_ATTACHMENT_BYTES

    try:
        with path.open("rb") as handle:
            return handle.read(MAX_ATTACHMENT_BYTES + 1)
    except OSError as exc:
        raise InputError(
            "the evidence file cannot be read",
            where=Location(file=str(path)),
            found=str(exc),
            expected="a readable file",
            fix="check the path",
        ) from exc


def _attachment_out(att: Any, receipt: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _echo_json(att.to_dict() | {"ledger_entry": receipt})
        return
    console.print(
        f"attached {att.filename} ({att.size:,} bytes) as {att.id} on {att.target}\n"
        f"SHA-256 {att.sha256}",
        highlight=False,
        markup=False,
    )
    print_receipt(receipt, out=console)


@attach_app.command("answer")
def attach_answer(
    assessment: Annotated[str, typer.Argument(help="The assessment's id (asm_…).")],
    question: Annotated[str, typer.Argument(help="The question it is evidence for.")],
    file: FileArg,
    workspace: WorkspaceOpt,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Attach an evidence file to an assessment's answer."""
    from civicflow.app import Permission, governance

    data = _read_upload(file)
    with acting(
        workspace, Permission.GOVERNANCE_WRITE, command="civicflow governance attach answer"
    ) as act:
        att = governance.attach_to_answer(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            assessment_id=assessment, question=question, filename=file.name, data=data,
            reason=reason,
        )  # fmt: skip
        receipt = act.receipt(
            action="governance_attachment.create", object_type="governance_attachment",
            object_id=att.id,
        )  # fmt: skip
    _attachment_out(att, receipt, as_json)


@attach_app.command("control")
def attach_control(
    catalogue: CatalogueArg,
    control: Annotated[str, typer.Argument(help="The control's id, e.g. GDPR-35.")],
    file: FileArg,
    workspace: WorkspaceOpt,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Attach an evidence file to a control (it becomes the control's evidence)."""
    from civicflow.app import Permission, governance

    data = _read_upload(file)
    cat = _catalogue(catalogue)
    with acting(
        workspace, Permission.GOVERNANCE_WRITE, command="civicflow governance attach control"
    ) as act:
        att = governance.attach_to_control(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            catalogue=cat, control=control, filename=file.name, data=data, reason=reason,
        )  # fmt: skip
        receipt = act.receipt(
            action="governance_attachment.create", object_type="governance_attachment",
            object_id=att.id,
        )  # fmt: skip
    _attachment_out(att, receipt, as_json)


@attach_app.command("list")
def attach_list(
    workspace: WorkspaceOpt,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="Only those on assessment:ID:QUESTION or control:CATALOGUE:CONTROL "
            "(assessment:ID: for all of an assessment's answers).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The attached evidence files."""
    from civicflow.app import Permission, governance

    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow governance attach list"
    ) as act:
        files = governance.list_attachments(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            target=target,
        )  # fmt: skip
    if as_json:
        _echo_json([f.to_dict() for f in files])
        return
    if not files:
        console.print("no evidence files attached")
        return
    table = Table()
    table.add_column("id", no_wrap=True)
    table.add_column("target", overflow="fold")
    table.add_column("file", overflow="fold")
    table.add_column("bytes", justify="right")
    table.add_column("SHA-256", no_wrap=True)
    for f in files:
        table.add_row(f.id, f.target, f.filename, f"{f.size:,}", f.sha256[:12] + "…")
    console.print(table)


@attach_app.command("get")
def attach_get(
    attachment: Annotated[str, typer.Argument(help="The attached file's id (att_…).")],
    workspace: WorkspaceOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Write the file here.")],
) -> None:
    """Write an attached file out (its content checked against its SHA-256 first)."""
    from civicflow.app import Permission, governance

    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow governance attach get"
    ) as act:
        att, data = governance.read_attachment(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            attachment_id=attachment,
        )  # fmt: skip
    out.write_bytes(data)
    console.print(
        f"wrote {att.filename} ({att.size:,} bytes, SHA-256 {att.sha256}) to {out}",
        highlight=False,
        markup=False,
    )
