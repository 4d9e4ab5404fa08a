"""``civicflow assistant``: import a FAQ table or page into the workspace's knowledge base
(versioned, ledgered), ask a question (an answer with its source, or a hand-off), evaluate the
assistant on a file of questions — each with ``--json``, through ``civicflow.app.assistant``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ._filters import WorkspaceOpt
from ._operator import acting, print_receipt

app = typer.Typer(
    help="The citizen inquiry assistant: import FAQ tables and pages into the knowledge base, "
    "ask questions (answers quoted with their source, or a hand-off), evaluate it.",
    no_args_is_help=True,
)
console = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="A FAQ table (.csv/.tsv), a .md, .html or .pdf document.")
    ],
    workspace: WorkspaceOpt,
    source: Annotated[
        str | None, typer.Option("--source", help="The source's name (default: the file's stem).")
    ] = None,
    question_column: Annotated[
        str, typer.Option("--question-column", help="FAQ column of the question.")
    ] = "question",
    answer_column: Annotated[
        str, typer.Option("--answer-column", help="FAQ column of the answer.")
    ] = "answer",
    url_column: Annotated[
        str | None, typer.Option("--url-column", help="FAQ column of the entry's URL.")
    ] = None,
    effective: Annotated[
        str | None, typer.Option("--effective", help="Effective date (YYYY-MM-DD).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import FILE: a new version of its source when the content changed (ledgered)."""
    from civicflow.app import Permission
    from civicflow.app import assistant as aa
    from civicflow.core import InputError, Location
    from civicflow.services import FaqColumns

    when = None
    if effective:
        try:
            when = date.fromisoformat(effective)
        except ValueError:
            raise InputError(
                "the effective date is not a date", where=Location(field="--effective"),
                found=effective, expected="YYYY-MM-DD",
            ) from None  # fmt: skip
    columns = FaqColumns(question=question_column, answer=answer_column, url=url_column)
    with acting(workspace, Permission.ASSISTANT_WRITE, command="civicflow assistant import") as act:
        result = aa.import_knowledge(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            path=file, source=source, columns=columns, effective_date=when,
            reason=f"civicflow assistant import {file.name} (command line)",
        )  # fmt: skip
        receipt = act.receipt(
            action="assistant.import", object_type="knowledge_source",
            object_id=result.source.source,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    s = result.source
    state = "new version" if result.changed else "unchanged"
    console.print(
        f"source '{s.source}' version {s.number} ({s.version}, {state}): {s.chunks} entries",
        highlight=False,
    )
    print_receipt(receipt, out=console)


@app.command("ask")
def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain words.")],
    workspace: WorkspaceOpt,
    as_json: JsonOpt = False,
) -> None:
    """Answer QUESTION from the knowledge base, quoted with its source, or offer a hand-off."""
    from civicflow.app import Permission
    from civicflow.app import assistant as aa

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow assistant ask") as act:
        answer = aa.ask(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            question=question,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), indent=2))
        return
    if not answer.answered:
        console.print(f"{answer.text} (reason: {answer.reason})", highlight=False, markup=False)
        return
    s = answer.source
    assert s is not None
    console.print(f"“{answer.text}”", highlight=False, markup=False)
    console.print(
        f"source: {s.source} version {s.version} — {s.title} ({s.url}); "
        f"confidence {answer.confidence:.2f}",
        highlight=False, markup=False,
    )  # fmt: skip


@app.command("eval")
def eval_(
    cases: Annotated[Path, typer.Argument(help="CSV with question, expected (row numbers).")],
    workspace: WorkspaceOpt,
    source: Annotated[str, typer.Option("--source", help="The source the row numbers refer to.")],
    precision: Annotated[
        float, typer.Option("--precision", help="Precision the abstention threshold aims for.")
    ] = 0.9,
    as_json: JsonOpt = False,
) -> None:
    """Evaluate: calibrate on half the questions, report recall@1/@3, MRR, abstention and
    latency on the other half."""
    from civicflow.app import Permission
    from civicflow.app import assistant as aa

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow assistant eval") as act:
        report, cal = aa.evaluate_assistant(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            cases_path=cases, source=source, precision=precision,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**report.to_dict(), "threshold": cal.threshold}, indent=2))
        return
    t = Table(title=f"assistant evaluation (held-out half, threshold {cal.threshold:.2f})")
    t.add_column("measure")
    t.add_column("value", justify="right")
    for k, v in report.to_dict().items():
        t.add_row(k, str(v))
    console.print(t)


def _configure(workspace: Path, *, enabled: bool, retention_days: int | None,
               owner: str | None, as_json: bool) -> None:  # fmt: skip
    from civicflow.app import Permission
    from civicflow.app import assistant as aa

    verb = "enable" if enabled else "disable"
    with acting(
        workspace, Permission.ASSISTANT_WRITE, command=f"civicflow assistant {verb}"
    ) as act:
        settings = aa.configure_assistant(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            enabled=enabled, retention_days=retention_days, owner=owner,
            reason=f"civicflow assistant {verb} (command line)",
        )  # fmt: skip
        receipt = act.receipt(
            action="assistant_settings.update", object_type="assistant_settings",
            object_id=act.operator.workspace_id,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**settings.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    state = "public" if settings.enabled else "off"
    console.print(
        f"assistant {state}: /ask/{settings.workspace_id}; transcripts kept "
        f"{settings.retention_days} days; register entry {settings.system_id or '(none)'}",
        highlight=False, markup=False,
    )  # fmt: skip
    print_receipt(receipt, out=console)


RetentionOpt = Annotated[
    int | None,
    typer.Option("--retention-days", help="Keep transcripts this many days (default 90)."),
]


@app.command("enable")
def enable(
    workspace: WorkspaceOpt,
    retention_days: RetentionOpt = None,
    owner: Annotated[
        str | None,
        typer.Option("--owner", help="Owner named in the governance register (first enable)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make the assistant public (chat page /ask/<workspace> and the JSON API). The first time,
    it is registered in the governance register as an automated system (ledgered)."""
    _configure(workspace, enabled=True, retention_days=retention_days, owner=owner,
               as_json=as_json)  # fmt: skip


@app.command("disable")
def disable(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Take the assistant off the public web (transcripts stay until their retention ends)."""
    _configure(workspace, enabled=False, retention_days=None, owner=None, as_json=as_json)


@app.command("purge")
def purge(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Delete transcripts idle longer than the retention period (conversations with a hand-off
    still pending are kept); ledgered with the count. Run it daily (cron, systemd timer)."""
    from civicflow.app import Permission
    from civicflow.app import assistant as aa

    with acting(workspace, Permission.ASSISTANT_WRITE, command="civicflow assistant purge") as act:
        deleted = aa.purge_transcripts(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id
        )
    if as_json:
        typer.echo(json.dumps({"deleted": deleted}))
        return
    console.print(f"{deleted} conversation(s) past their retention deleted", highlight=False)


@app.command("gaps")
def gaps(
    workspace: WorkspaceOpt,
    stale_days: Annotated[
        int, typer.Option("--stale-days", help="A source older than this is stale.")
    ] = 365,
    as_json: JsonOpt = False,
) -> None:
    """What the knowledge base lacks: unanswered and poorly rated questions grouped, stale
    sources, entries never used, answers per source version."""
    from civicflow.app import Permission
    from civicflow.app import assistant as aa

    with acting(workspace, Permission.ASSISTANT_WRITE, command="civicflow assistant gaps") as act:
        g = aa.gaps(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            stale_days=stale_days,
        )  # fmt: skip
    doc = {
        "questions": g.questions, "answered": g.answered, "handoffs": g.handoffs,
        "entries": g.entries,
        "unanswered": [{"label": c.label, "questions": list(c.questions)} for c in g.unanswered],
        "poorly_rated": [{"label": c.label, "questions": list(c.questions)}
                         for c in g.poorly_rated],
        "stale": [{"source": v.source, "number": v.number, "age_days": age} for v, age in g.stale],
        "never_used": [c.id for c in g.never_used],
        "versions": [{"source": v.source, "version": v.version, "answers": v.answers,
                      "helpful": v.helpful, "not_helpful": v.not_helpful} for v in g.versions],
        "kb_versions": [{"kb_version": k.kb_version, "first_asked": k.first_asked.isoformat(),
                         "questions": k.questions, "answered": k.answered,
                         "handoffs": k.handoffs} for k in g.kb_versions],
    }  # fmt: skip
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
        return
    console.print(
        f"{g.questions} questions kept, {g.answered} answered, {g.handoffs} handed off; "
        f"{len(g.never_used)} of {g.entries} entries never used; {len(g.stale)} stale source(s)",
        highlight=False,
    )
    t = Table(title="unanswered questions, grouped")
    t.add_column("topic")
    t.add_column("questions", justify="right")
    t.add_column("example")
    for c in g.unanswered[:20]:
        t.add_row(c.label, str(c.size), c.questions[0])
    console.print(t)
