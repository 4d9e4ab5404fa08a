"""Rules-as-code pages that draft, approve and publish rule set versions, and decide batches.

* a version's page: its text (YAML rule set or DMN model), its tests and their results, its
  history, and the next step for its status;
* drafting: paste or upload a YAML rule set or a DMN model and its YAML tests (or edit a version
  as the next draft version); a bad rule set comes back with the GOV.UK error summary naming the
  line and field (YAML) or the element (DMN);
* submit for review; approve and publish each on a confirmation page (plain forms, no
  JavaScript needed): approval is refused on the page to the version's author, publication while
  a test fails;
* a batch of cases (CSV or Parquet) decided and stored in the background with a progress bar,
  then its outcome counts, its review items and its results to download.

Every change goes through ``civicflow.app.decisions`` (RULES_WRITE for versions, REVIEW_WRITE for
batches; one ledger entry per change, one per batch); these routes read forms and render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from civicflow.app import Actor, AppContext, Permission, workspaces
from civicflow.app import decisions as rd
from civicflow.core import CivicflowError, InputError, Location
from civicflow.web._deps import PostedForm, form_text
from civicflow.web._jobs import job_page, jobs
from civicflow.web._pages import flash, page
from civicflow.web._permissions import AppCtx, ReviewWriter, RulesWriter, WorkspaceReader
from civicflow.web._upload import read_upload

router = APIRouter(include_in_schema=False)

MAX_TEXT_BYTES = 2_000_000
"""The largest rule set, DMN model or test file the drafting page accepts."""

DRAFT_FIELDS = ("text", "tests_text", "decision", "positive", "name", "automation")
_FIELD_IDS = {"text": "draft-text", "tests_text": "draft-tests"}


def _upload_or_text(form: FormData, upload: str, text: str) -> tuple[str, str | None]:
    """A textarea's text, or the file uploaded beside it (which wins), and the file's name."""
    file = form.get(upload)
    if isinstance(file, UploadFile) and file.filename:
        raw = file.file.read(MAX_TEXT_BYTES + 1)
        if len(raw) > MAX_TEXT_BYTES:
            raise InputError(
                f"{file.filename} is too large",
                where=Location(file=file.filename, field=text),
                found=f"more than {MAX_TEXT_BYTES:,} bytes",
                expected="a rule set, DMN model or test file (kilobytes)",
                fix="upload the rule set's own file",
            )
        try:
            return raw.decode("utf-8"), file.filename
        except UnicodeDecodeError:
            raise InputError(
                f"{file.filename} is not UTF-8 text",
                where=Location(file=file.filename, field=text),
                found="bytes that are not UTF-8",
                expected="a YAML or DMN (XML) text file in UTF-8",
                fix="save the file as UTF-8",
            ) from None
    return form_text(form, text), None


def _form_field(error: dict[str, Any]) -> str:
    """The form field a rule set's error belongs to: the tests' text, or the rule set's."""
    return "tests_text" if "tests" in str(error.get("file") or "") else "text"


def _draft_page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    *,
    values: dict[str, str],
    source: rd.RuleSetVersion | None = None,
    error: dict[str, Any] | None = None,
) -> Response:
    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    target = _form_field(error) if error else None
    # the summary names the rule set's own line and field; its link goes to the text area
    field_ids = {str(error.get("field") or target): _FIELD_IDS[target]} if error and target else {}
    inline = {"field": target, "what": error.get("what")} if error and target else None
    return page(
        request, "rules_draft.html", actor, status=422 if error else 200, workspace=workspace,
        nav="rules", values=values, source=source, error=error, inline=inline,
        field_ids=field_ids, automation=rd.AUTOMATION,
    )  # fmt: skip


@router.get("/w/{workspace_id}/rules/versions/new")
def rules_draft_form(
    request: Request, ctx: AppCtx, workspace_id: str, actor: RulesWriter
) -> Response:
    """Draft a new rule set, or (``?from=<version>``) the next version of one, prefilled."""
    source_id = request.query_params.get("from")
    source = (
        rd.get_version(ctx, actor=actor, workspace_id=workspace_id, version_id=source_id)
        if source_id
        else None
    )
    values: dict[str, str] = {"automation": "recommend", "review_uncertain": "on"}
    if source is not None:
        values = {
            "text": source.text, "tests_text": source.tests_text,
            "decision": source.dmn_decision or "", "positive": ", ".join(source.dmn_positive),
            "name": source.name if source.kind == "dmn" else "", "automation": source.automation,
            "review_negative": "on" if source.review_negative else "",
            "review_uncertain": "on" if source.review_uncertain else "",
        }  # fmt: skip
    return _draft_page(request, ctx, actor, workspace_id, values=values, source=source)


@router.post("/w/{workspace_id}/rules/versions")
def rules_draft(
    request: Request, ctx: AppCtx, workspace_id: str, actor: RulesWriter, form: PostedForm
) -> Response:
    values = {k: form_text(form, k) for k in (*DRAFT_FIELDS, "review_negative", "review_uncertain")}
    try:
        text, text_file = _upload_or_text(form, "text_file", "text")
        tests, _ = _upload_or_text(form, "tests_file", "tests_text")
        values["text"], values["tests_text"] = text, tests
        for name, given in (("text", text), ("tests_text", tests)):
            if not given.strip():
                raise InputError(
                    "the rule set needs its text" if name == "text" else "the rule set needs its tests",
                    where=Location(field=name),
                    found="nothing",
                    expected="a YAML rule set or a DMN model" if name == "text"
                    else "YAML test cases (ruleset, cases: name, date, inputs, expected)",
                    fix="paste it or upload its file",
                )  # fmt: skip
        positive = tuple(p.strip() for p in values["positive"].split(",") if p.strip())
        version = rd.draft_ruleset(
            ctx, actor=actor, workspace_id=workspace_id, text=text, tests_text=tests,
            automation=values["automation"] or "recommend",
            review_negative=bool(values["review_negative"]),
            review_uncertain=bool(values["review_uncertain"]),
            decision=values["decision"] or None, positive=positive, name=values["name"] or None,
            kind="dmn" if (text_file or "").lower().endswith(".dmn") else None,
            reason="drafted in the workbench",
        )  # fmt: skip
    except CivicflowError as exc:
        return _draft_page(request, ctx, actor, workspace_id, values=values, error=exc.to_dict())
    flash(request, f"{version.name} v{version.version} drafted")
    return RedirectResponse(f"/w/{workspace_id}/rules/versions/{version.id}", status_code=303)


def _version_page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    version_id: str,
    *,
    template: str = "rules_version.html",
    error: dict[str, Any] | None = None,
    report: Any = None,
    step: str = "",
) -> Response:
    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    version = rd.get_version(ctx, actor=actor, workspace_id=workspace_id, version_id=version_id)
    history = rd.list_versions(ctx, actor=actor, workspace_id=workspace_id, name=version.name)
    return page(
        request, template, actor, status=422 if error else 200, workspace=workspace,
        nav="rules", version=version, history=history, error=error, report=report, step=step,
        can_write=actor.can(Permission.RULES_WRITE, workspace_id),
        is_author=version.created_by == actor.pseudonym,
    )  # fmt: skip


@router.get("/w/{workspace_id}/rules/versions/{version_id}")
def rules_version(
    request: Request, ctx: AppCtx, workspace_id: str, version_id: str, actor: WorkspaceReader
) -> Response:
    return _version_page(request, ctx, actor, workspace_id, version_id)


def _move(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    version_id: str,
    form: FormData,
    *,
    step: str,
) -> Response:
    moves = {
        "submit": rd.submit_ruleset, "approve": rd.approve_ruleset,
        "publish": rd.publish_ruleset,
    }  # fmt: skip
    reason = form_text(form, "reason") or None
    try:
        if step == "return":
            version = rd.return_ruleset(
                ctx, actor=actor, workspace_id=workspace_id, version_id=version_id,
                reason=reason or "",
            )  # fmt: skip
        else:
            version = moves[step](
                ctx, actor=actor, workspace_id=workspace_id, version_id=version_id, reason=reason
            )
    except CivicflowError as exc:
        confirm = step in ("approve", "publish")
        report = _report(ctx, actor, workspace_id, version_id) if step == "publish" else None
        return _version_page(
            request, ctx, actor, workspace_id, version_id, error=exc.to_dict(), report=report,
            template="rules_confirm.html" if confirm else "rules_version.html", step=step,
        )  # fmt: skip
    flash(request, f"{version.name} v{version.version} is {version.status.replace('_', ' ')}")
    return RedirectResponse(f"/w/{workspace_id}/rules/versions/{version_id}", status_code=303)


def _report(ctx: AppContext, actor: Actor, workspace_id: str, version_id: str) -> Any:
    try:
        return rd.run_version_tests(
            ctx, actor=actor, workspace_id=workspace_id, version_id=version_id
        )
    except CivicflowError:
        return None


@router.post("/w/{workspace_id}/rules/versions/{version_id}/submit")
def rules_submit(
    request: Request, ctx: AppCtx, workspace_id: str, version_id: str, actor: RulesWriter,
    form: PostedForm,
) -> Response:  # fmt: skip
    return _move(request, ctx, actor, workspace_id, version_id, form, step="submit")


@router.post("/w/{workspace_id}/rules/versions/{version_id}/return")
def rules_return(
    request: Request, ctx: AppCtx, workspace_id: str, version_id: str, actor: RulesWriter,
    form: PostedForm,
) -> Response:  # fmt: skip
    return _move(request, ctx, actor, workspace_id, version_id, form, step="return")


@router.get("/w/{workspace_id}/rules/versions/{version_id}/approve")
def rules_approve_confirm(
    request: Request, ctx: AppCtx, workspace_id: str, version_id: str, actor: RulesWriter
) -> Response:
    """Approve: a confirmation page (refused on the page when you drafted the version)."""
    return _version_page(
        request, ctx, actor, workspace_id, version_id, template="rules_confirm.html",
        step="approve",
    )  # fmt: skip


@router.post("/w/{workspace_id}/rules/versions/{version_id}/approve")
def rules_approve(
    request: Request, ctx: AppCtx, workspace_id: str, version_id: str, actor: RulesWriter,
    form: PostedForm,
) -> Response:  # fmt: skip
    return _move(request, ctx, actor, workspace_id, version_id, form, step="approve")


@router.get("/w/{workspace_id}/rules/versions/{version_id}/publish")
def rules_publish_confirm(
    request: Request, ctx: AppCtx, workspace_id: str, version_id: str, actor: RulesWriter
) -> Response:
    """Publish: a confirmation page with the tests run again (refused while one fails)."""
    report = _report(ctx, actor, workspace_id, version_id)
    return _version_page(
        request, ctx, actor, workspace_id, version_id, template="rules_confirm.html",
        report=report, step="publish",
    )  # fmt: skip


@router.post("/w/{workspace_id}/rules/versions/{version_id}/publish")
def rules_publish(
    request: Request, ctx: AppCtx, workspace_id: str, version_id: str, actor: RulesWriter,
    form: PostedForm,
) -> Response:  # fmt: skip
    return _move(request, ctx, actor, workspace_id, version_id, form, step="publish")


# --- batches -------------------------------------------------------------------------------


def _batch_date(text: str) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            "the date is not a date",
            where=Location(field="date"),
            found=text,
            expected="YYYY-MM-DD, e.g. 2026-03-01",
            fix="write the date as year-month-day",
        ) from None


@router.post("/w/{workspace_id}/rules/batches")
def rules_batch_start(
    request: Request, ctx: AppCtx, workspace_id: str, actor: ReviewWriter, form: PostedForm
) -> Response:
    """Decide an uploaded table of cases as a batch, in the background (progress shown)."""
    from civicflow.web._routes_rules import _overview

    values = {k: form_text(form, k) for k in ("ruleset", "date")}
    try:
        on = _batch_date(values["date"])
        uploaded = read_upload(
            form, "cases", what="table of cases", limit=ctx.settings.max_upload_bytes
        )
        if uploaded is None:
            raise InputError(
                "choose the table of cases to decide",
                where=Location(field="cases"),
                found="no file",
                expected="a CSV (header row, one column per input) or a Parquet file",
                fix="choose the file",
            )
        name, data = uploaded
        rows = rd.read_cases(data, name=name)
        rd.published_version(ctx, actor=actor, workspace_id=workspace_id, name=values["ruleset"])
    except CivicflowError as exc:
        return _overview(request, ctx, actor, workspace_id, error=exc.to_dict(), values=values)

    def work(progress: Any) -> Any:
        return rd.decide_batch_cases(
            ctx, actor=actor, workspace_id=workspace_id, ruleset=values["ruleset"], rows=rows,
            on=on, source=name, progress=progress,
        )  # fmt: skip

    job = jobs(request).start(
        workspace_id, f"Deciding {len(rows):,} cases of {name} under {values['ruleset']}", work,
        section="rules/batches", section_title="Rules", counting="cases decided",
        result_url=lambda batch: f"/w/{workspace_id}/rules/batches/{batch.id}",
    )  # fmt: skip
    return RedirectResponse(job.url, status_code=303)


@router.get("/w/{workspace_id}/rules/batches/jobs/{job_id}")
def rules_batch_job(
    request: Request, ctx: AppCtx, workspace_id: str, job_id: str, actor: WorkspaceReader
) -> Response:
    return job_page(request, ctx, actor, workspace_id, job_id, "rules/batches")


@router.get("/w/{workspace_id}/rules/batches/{batch_id}")
def rules_batch(
    request: Request, ctx: AppCtx, workspace_id: str, batch_id: str, actor: WorkspaceReader
) -> Response:
    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    batch = rd.get_batch(ctx, actor=actor, workspace_id=workspace_id, batch_id=batch_id)
    review = rd.batch_decisions(
        ctx, actor=actor, workspace_id=workspace_id, batch_id=batch_id,
        statuses=("recommended", "pending_review"), limit=100,
    )  # fmt: skip
    return page(
        request, "rules_batch.html", actor, workspace=workspace, nav="rules", batch=batch,
        review=review,
        verified=rd.verify_batch(ctx, actor=actor, workspace_id=workspace_id, batch_id=batch_id),
    )  # fmt: skip


@router.get("/w/{workspace_id}/rules/batches/{batch_id}/results.csv")
def rules_batch_results(
    ctx: AppCtx, workspace_id: str, batch_id: str, actor: WorkspaceReader
) -> Response:
    """The batch's results (one row per case: decision id, outcome, routing, outputs,
    explanation) as CSV."""
    frame = rd.batch_results(ctx, actor=actor, workspace_id=workspace_id, batch_id=batch_id)
    return Response(
        frame.to_csv(index=False),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{batch_id}.csv"'},
    )
