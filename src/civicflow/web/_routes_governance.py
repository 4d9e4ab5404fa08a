"""Governance pages: the public algorithm register (published transparency records, no sign-in),
the workbench's register of automated systems, and assessments answered in the browser.

Every change goes through ``civicflow.app.governance`` (role check and ledger: every changed
answer is its own entry); these routes read forms and render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from civicflow.app import Permission, governance, workspaces
from civicflow.core import CivicflowError, NotFoundError, check_choice
from civicflow.governance import (
    AIA_ID,
    ASSESSMENT_KINDS,
    FORMATS,
    KIND_TITLES,
    MAX_ATTACHMENT_BYTES,
    NOT_PROVIDED,
    QuestionKind,
    answer_target,
    atrs_fields,
    render_record,
)
from civicflow.web._deps import PostedForm
from civicflow.web._pages import flash, page
from civicflow.web._permissions import AppCtx, GovernanceWriter, WorkspaceReader, public

router = APIRouter(include_in_schema=False)


BROWSER_KINDS = [k for k in ASSESSMENT_KINDS if k != AIA_ID]
"""Kinds started in the browser (the AIA needs its questionnaire file: the command line)."""

_MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def _sections(record: object) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The record's fields grouped by category, each (reference, name, value)."""
    out: list[tuple[str, list[tuple[str, str, str]]]] = []
    for f in atrs_fields():
        if f.tier not in ("1", "2"):
            continue
        title = "Summary information" if f.tier == "1" else f.category
        if not out or out[-1][0] != title:
            out.append((title, []))
        table = record.tier_1 if f.tier == "1" else record.tier_2  # type: ignore[attr-defined]
        out[-1][1].append((f.reference, f.name, table[f.key]))
    return out


@router.get("/register", dependencies=[public()])
def public_register(request: Request, ctx: AppCtx) -> Response:
    """Every published algorithmic transparency record, for anyone."""
    records = governance.published_records(ctx)
    return page(request, "register_public.html", None, records=records, nav="register")


@router.get("/register/{system_id}", dependencies=[public()])
def public_record(request: Request, ctx: AppCtx, system_id: str) -> Response:
    record = governance.published_record(ctx, system_id)
    return page(
        request, "register_record.html", None, record=record, sections=_sections(record),
        not_provided=NOT_PROVIDED, formats=FORMATS,
    )  # fmt: skip


@router.get("/register/{system_id}/record.{fmt}", dependencies=[public()])
def public_record_download(ctx: AppCtx, system_id: str, fmt: str) -> Response:
    check_choice(fmt, FORMATS, what="record format", field="fmt")
    record = governance.published_record(ctx, system_id)
    return Response(
        render_record(record, fmt),
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{system_id}-record.{fmt}"'},
    )


@router.get("/w/{workspace_id}/governance")
def workbench_register(
    request: Request, ctx: AppCtx, actor: WorkspaceReader, workspace_id: str
) -> Response:
    """The workspace's register of automated systems with their lifecycle and assessments."""
    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    systems = governance.list_systems(ctx, actor=actor, workspace_id=workspace_id)
    assessments = governance.list_assessments(ctx, actor=actor, workspace_id=workspace_id)
    return page(
        request, "governance.html", actor, workspace=ws, nav="governance", systems=systems,
        assessments=assessments, titles=KIND_TITLES, kinds=BROWSER_KINDS,
        can_write=actor.can(Permission.GOVERNANCE_WRITE, workspace_id),
        system_names={s.id: s.name for s in systems},
    )  # fmt: skip


@router.post("/w/{workspace_id}/governance/assessments")
def start_assessment(
    ctx: AppCtx, actor: GovernanceWriter, workspace_id: str, form: PostedForm
) -> Response:
    kind = str(form.get("kind") or "")
    check_choice(kind, BROWSER_KINDS, what="assessment kind", field="kind")
    system = str(form.get("system") or "") or None
    run = governance.start_assessment(
        ctx, actor=actor, workspace_id=workspace_id, kind=kind, system=system
    )
    return RedirectResponse(f"/w/{workspace_id}/governance/assessments/{run.id}", status_code=303)


def _assessment_page(
    request: Request,
    ctx: Any,
    actor: Any,
    workspace_id: str,
    assessment_id: str,
    *,
    values: dict[str, Any] | None = None,
    error: dict[str, object] | None = None,
) -> Response:
    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    run = governance.get_assessment(
        ctx, actor=actor, workspace_id=workspace_id, assessment_id=assessment_id
    )
    qs = governance.assessment_questions(
        ctx, actor=actor, workspace_id=workspace_id, assessment_id=assessment_id
    )
    answers = dict(run.answers) if values is None else values
    plain = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in answers.items()}
    files: dict[str, list[Any]] = {}
    for att in governance.list_attachments(
        ctx, actor=actor, workspace_id=workspace_id, target=answer_target(assessment_id, "")
    ):
        files.setdefault(att.target.rsplit(":", 1)[1], []).append(att)
    sections = []
    for section in qs.sections:
        shown = [q for q in section.questions if qs.is_visible(q, plain)]
        if shown:
            sections.append((section, shown))
    return page(
        request, "governance_assessment.html", actor, workspace=ws, nav="governance", run=run,
        title=KIND_TITLES[run.kind], sections=sections, answers=answers, plain=plain,
        can_write=actor.can(Permission.GOVERNANCE_WRITE, workspace_id), error=error,
        field_ids="q-", status=422 if error else 200, files=files,
        all_sections=[(s, [q for q in s.questions if qs.is_visible(q, plain)]) for s in qs.sections],
        max_mb=MAX_ATTACHMENT_BYTES // (1024 * 1024),
    )  # fmt: skip


def assessment_page_with_error(
    request: Request,
    ctx: Any,
    actor: Any,
    workspace_id: str,
    assessment_id: str,
    error: dict[str, object],
) -> Response:
    """The assessment page again with a refused attachment's error (422)."""
    return _assessment_page(request, ctx, actor, workspace_id, assessment_id, error=error)


@router.get("/w/{workspace_id}/governance/assessments/{assessment_id}")
def assessment_page(
    request: Request, ctx: AppCtx, actor: WorkspaceReader, workspace_id: str, assessment_id: str
) -> Response:
    """An assessment: its result and, for governance writers, its questions as a form (the
    questions the answers so far ask; saving shows those the new answers ask)."""
    return _assessment_page(request, ctx, actor, workspace_id, assessment_id)


@router.post("/w/{workspace_id}/governance/assessments/{assessment_id}")
def answer_assessment(
    request: Request,
    ctx: AppCtx,
    actor: GovernanceWriter,
    workspace_id: str,
    assessment_id: str,
    form: PostedForm,
) -> Response:
    qs = governance.assessment_questions(
        ctx, actor=actor, workspace_id=workspace_id, assessment_id=assessment_id
    )
    answers: dict[str, Any] = {}
    for name in form.getlist("shown"):
        question = qs.question(str(name))
        if question is None:
            continue
        if question.kind is QuestionKind.MULTIPLE:
            value: Any = [str(v) for v in form.getlist(question.name)] or None
        else:
            value = str(form.get(question.name) or "").strip() or None
        evidence = str(form.get(f"{question.name}__evidence") or "").strip()
        if evidence and value is not None:
            value = {"value": value, "evidence": evidence}
        answers[question.name] = value
    try:
        run = governance.answer_assessment(
            ctx, actor=actor, workspace_id=workspace_id, assessment_id=assessment_id,
            answers=answers, reason="answered in the workbench",
        )  # fmt: skip
    except CivicflowError as exc:
        if isinstance(exc, NotFoundError):
            raise
        current = governance.get_assessment(
            ctx, actor=actor, workspace_id=workspace_id, assessment_id=assessment_id
        )
        merged = {k: v for k, v in (current.answers | answers).items() if v is not None}
        return _assessment_page(
            request, ctx, actor, workspace_id, assessment_id, values=merged, error=exc.to_dict()
        )
    flash(request, f"Answers saved. Result: {run.summary}")
    return RedirectResponse(
        f"/w/{workspace_id}/governance/assessments/{assessment_id}", status_code=303
    )


def _trend_svg(points: list[Any], *, width: int = 560, height: int = 160) -> dict[str, Any]:
    """The overall readiness of the saved scorecards as a polyline (0-100 % upwards)."""
    pad = 30
    n = len(points)
    xs = [pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5) for i in range(n)]
    ys = [height - pad - (height - 2 * pad) * p.overall for p in points]
    return {
        "width": width,
        "height": height,
        "pad": pad,
        "line": " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True)),
        "dots": list(zip(xs, ys, points, strict=True)),
    }


@router.get("/w/{workspace_id}/governance/readiness")
def readiness_page(
    request: Request, ctx: AppCtx, actor: WorkspaceReader, workspace_id: str
) -> Response:
    """The readiness scorecard now, its roadmap, and the trend of the saved scorecards."""
    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    card = governance.readiness(ctx, actor=actor, workspace_id=workspace_id)
    trend = governance.readiness_trend(ctx, actor=actor, workspace_id=workspace_id)
    return page(
        request, "governance_readiness.html", actor, workspace=ws, nav="governance", card=card,
        trend=trend, chart=_trend_svg(trend) if trend else None,
    )  # fmt: skip
