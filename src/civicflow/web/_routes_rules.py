"""Rules-as-code in the workbench: the rule sets page (versions with their tests and history, the
review queue, recent decisions, overrides per rule, deciding a case, what-if of a parameter
change), one decision's page (trace, explanation, confirm/override with a reason, appeals), the
public "services you may be eligible for" page (every published rule set on a person's answers;
nothing stored) and the JSON API.

Every change goes through ``civicflow.app.decisions`` (role check and ledger); this module only
reads forms and renders. Rule set versions are drafted, approved and published on the pages of
``_routes_rules_edit`` (or from the command line: ``civicflow rules submit | approve | publish``)
and appear here with their history; batches are decided there too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from civicflow.app import Actor, AppContext, Permission
from civicflow.app import decisions as rd
from civicflow.core import CivicflowError, InputError, Location
from civicflow.web._api_errors import ERROR_RESPONSES
from civicflow.web._deps import PostedForm, form_text
from civicflow.web._pages import page
from civicflow.web._permissions import AppCtx, ReviewWriter, RulesWriter, WorkspaceReader, public

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["v1"], responses=ERROR_RESPONSES)


def _date(text: str, field: str = "date") -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            "the date is not a date",
            where=Location(field=field),
            found=text,
            expected="YYYY-MM-DD, e.g. 2026-03-01",
            fix="write the date as year-month-day",
        ) from None


def _scale(text: str) -> dict[float, float]:
    pairs: dict[float, float] = {}
    for part in text.split(","):
        key, sep, value = part.partition(":")
        try:
            pairs[float(key)] = float(value)
        except ValueError:
            raise InputError(
                "a scale is key:value pairs",
                where=Location(field="value"),
                found=text,
                expected="e.g. 1:1600, 2:2200, 3:2600",
                fix="separate the pairs with commas and each key from its value with ':'",
            ) from None
        if not sep:
            raise InputError(
                "a scale is key:value pairs", where=Location(field="value"), found=text,
                expected="e.g. 1:1600, 2:2200", fix="write key:value",
            )  # fmt: skip
    return pairs


def _overview(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    what_if: Any = None,
) -> Response:
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    versions = rd.list_versions(ctx, actor=actor, workspace_id=workspace_id)
    published = rd.published_rulesets(ctx, workspace_id=workspace_id)
    overrides = {
        r.name: rd.override_counts(ctx, actor=actor, workspace_id=workspace_id, ruleset=r.name)
        for r in published
    }
    return page(
        request, "rules.html", actor, status=422 if error else 200, workspace=workspace,
        nav="rules", versions=versions, published=published, overrides=overrides,
        queue=rd.review_queue(ctx, actor=actor, workspace_id=workspace_id),
        decisions=rd.list_decisions(ctx, actor=actor, workspace_id=workspace_id, limit=20),
        can_decide=actor.can(Permission.REVIEW_WRITE, workspace_id),
        can_write=actor.can(Permission.RULES_WRITE, workspace_id), error=error,
        values=values or {}, what_if=what_if, today=dt.date.today().isoformat(),
        batches=rd.list_batches(ctx, actor=actor, workspace_id=workspace_id, limit=10),
    )  # fmt: skip


@router.get("/w/{workspace_id}/rules")
def rules_page(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    return _overview(request, ctx, actor, workspace_id)


@router.post("/w/{workspace_id}/rules/decide")
def rules_decide(
    request: Request, ctx: AppCtx, workspace_id: str, actor: ReviewWriter, form: PostedForm
) -> Response:
    values = {str(k): form_text(form, str(k)) for k in form if k != "csrf_token"}
    name = values.pop("ruleset", "")
    case_ref = values.pop("case_ref", "")
    try:
        on = _date(values.pop("date", ""))
        prefix = f"{name}."
        inputs = {
            k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix) and v
        }
        stored = rd.decide_case(
            ctx, actor=actor, workspace_id=workspace_id, ruleset=name, inputs=inputs, on=on,
            case_ref=case_ref,
        )  # fmt: skip
    except CivicflowError as exc:
        return _overview(request, ctx, actor, workspace_id, error=exc.to_dict(), values=values)
    return RedirectResponse(f"/w/{workspace_id}/rules/decisions/{stored.id}", status_code=303)


@router.post("/w/{workspace_id}/rules/what-if")
def rules_what_if(
    request: Request, ctx: AppCtx, workspace_id: str, actor: RulesWriter, form: PostedForm
) -> Response:
    from civicflow.decisions import ParameterChange

    values = {k: form_text(form, k) for k in ("ruleset", "parameter", "value", "since", "until")}
    try:
        raw = values["value"]
        change = ParameterChange(
            parameter=values["parameter"],
            scale=_scale(raw) if ":" in raw else None,
            value=None if ":" in raw else float(raw or "nan"),
        )
        result = rd.what_if_change(
            ctx, actor=actor, workspace_id=workspace_id, ruleset=values["ruleset"], change=change,
            since=_date(values["since"], "since") if values["since"] else None,
            until=_date(values["until"], "until") if values["until"] else None,
        )  # fmt: skip
    except ValueError:
        error = InputError(
            "the new value is not a number", where=Location(field="value"), found=values["value"],
            expected="a number, or key:value pairs for a scale", fix="write e.g. 2200 or 1:1600, 2:2200",
        )  # fmt: skip
        return _overview(request, ctx, actor, workspace_id, error=error.to_dict(), values=values)
    except CivicflowError as exc:
        return _overview(request, ctx, actor, workspace_id, error=exc.to_dict(), values=values)
    return _overview(request, ctx, actor, workspace_id, values=values, what_if=result)


def _decision_page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    decision_id: str,
    *,
    error: dict[str, Any] | None = None,
) -> Response:
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    decision = rd.get_decision(ctx, actor=actor, workspace_id=workspace_id, decision_id=decision_id)
    rules = [s["name"] for s in decision.trace.get("trace", []) if s.get("kind") == "rule"]
    return page(
        request, "rules_decision.html", actor, status=422 if error else 200, workspace=workspace,
        nav="rules", decision=decision, rules=rules, error=error,
        reviews=rd.list_reviews(ctx, actor=actor, workspace_id=workspace_id, decision_id=decision_id),
        appeals=rd.list_appeals(ctx, actor=actor, workspace_id=workspace_id, decision_id=decision_id),
        can_review=actor.can(Permission.REVIEW_WRITE, workspace_id),
        in_queue=decision.status in ("recommended", "pending_review"),
    )  # fmt: skip


@router.get("/w/{workspace_id}/rules/decisions/{decision_id}")
def rules_decision(
    request: Request, ctx: AppCtx, workspace_id: str, decision_id: str, actor: WorkspaceReader
) -> Response:
    return _decision_page(request, ctx, actor, workspace_id, decision_id)


@router.post("/w/{workspace_id}/rules/decisions/{decision_id}/review")
def rules_review(
    request: Request, ctx: AppCtx, workspace_id: str, decision_id: str, actor: ReviewWriter,
    form: PostedForm,
) -> Response:  # fmt: skip
    try:
        rd.review_decision(
            ctx, actor=actor, workspace_id=workspace_id, decision_id=decision_id,
            action=form_text(form, "action"), reason=form_text(form, "reason"),
            rule=form_text(form, "rule") or None,
        )  # fmt: skip
    except CivicflowError as exc:
        return _decision_page(request, ctx, actor, workspace_id, decision_id, error=exc.to_dict())
    return RedirectResponse(f"/w/{workspace_id}/rules/decisions/{decision_id}", status_code=303)


@router.post("/w/{workspace_id}/rules/decisions/{decision_id}/appeal")
def rules_appeal(
    request: Request, ctx: AppCtx, workspace_id: str, decision_id: str, actor: ReviewWriter,
    form: PostedForm,
) -> Response:  # fmt: skip
    corrected = {
        str(k).removeprefix("input."): form_text(form, str(k))
        for k in form
        if str(k).startswith("input.") and form_text(form, str(k))
    }
    try:
        rd.appeal_decision(
            ctx, actor=actor, workspace_id=workspace_id, decision_id=decision_id,
            grounds=form_text(form, "grounds"), reason=form_text(form, "reason"),
            corrected_inputs=corrected or None,
        )  # fmt: skip
    except CivicflowError as exc:
        return _decision_page(request, ctx, actor, workspace_id, decision_id, error=exc.to_dict())
    return RedirectResponse(f"/w/{workspace_id}/rules/decisions/{decision_id}", status_code=303)


@router.get("/eligibility/{workspace_id}", dependencies=[public()])
def eligibility(request: Request, ctx: AppCtx, workspace_id: str) -> Response:
    """The public questionnaire: every published rule set's questions; with answers (a GET, so
    nothing is posted or stored), the services the person may qualify for and why."""
    rulesets = rd.published_rulesets(ctx, workspace_id=workspace_id)
    questions: dict[str, Any] = {}
    for ruleset in rulesets:
        for spec in ruleset.inputs:
            questions.setdefault(spec.name, spec)
    answers = {k: v for k, v in request.query_params.items() if k in questions and v.strip()}
    results = None
    if answers:
        results = rd.check_eligibility(
            ctx, workspace_id=workspace_id, answers=answers, on=dt.date.today()
        )
    return page(
        request, "eligibility.html", None, questions=list(questions.values()), answers=answers,
        results=results, rulesets=rulesets, eligibility_workspace=workspace_id,
    )  # fmt: skip


class DecideBody(BaseModel):
    """A case to decide: its inputs, the date decided for, and its reference."""

    inputs: dict[str, Any]
    date: dt.date = Field(default_factory=dt.date.today)
    case_ref: str = ""


@api.get("/workspaces/{workspace_id}/rules")
def api_rules(ctx: AppCtx, workspace_id: str, actor: WorkspaceReader) -> list[dict[str, Any]]:
    """Every rule set version (the history): status, automation level, tests, approvals."""
    return [v.to_dict() for v in rd.list_versions(ctx, actor=actor, workspace_id=workspace_id)]


@api.post("/workspaces/{workspace_id}/rules/{name}/decide", status_code=201)
def api_decide(
    ctx: AppCtx, workspace_id: str, name: str, body: DecideBody, actor: ReviewWriter
) -> dict[str, Any]:
    """Decide a case under the rule set's published version; stored with its trace, routed by
    the automation level and written to the ledger."""
    stored = rd.decide_case(
        ctx, actor=actor, workspace_id=workspace_id, ruleset=name, inputs=body.inputs,
        on=body.date, case_ref=body.case_ref,
    )  # fmt: skip
    return stored.to_dict()


class BatchBody(BaseModel):
    """Cases to decide as one stored batch: one object of inputs per case (``case_ref`` names
    it), the date decided for, and where the cases came from."""

    cases: list[dict[str, Any]] = Field(min_length=1, max_length=100_000)
    date: dt.date = Field(default_factory=dt.date.today)
    source: str = "api"


@api.post("/workspaces/{workspace_id}/rules/{name}/batches", status_code=201)
def api_decide_batch(
    ctx: AppCtx, workspace_id: str, name: str, body: BatchBody, actor: ReviewWriter
) -> dict[str, Any]:
    """Decide many cases under the rule set's published version: every decision stored with its
    trace and routed by the automation level, one ledger entry for the batch. Returns the
    batch's counts; its decisions are read with ``/rules/batches/{batch_id}``."""
    batch = rd.decide_batch_cases(
        ctx, actor=actor, workspace_id=workspace_id, ruleset=name, rows=body.cases,
        on=body.date, source=body.source,
    )  # fmt: skip
    return batch.to_dict()


@api.get("/workspaces/{workspace_id}/rules/batches/{batch_id}")
def api_batch(
    ctx: AppCtx, workspace_id: str, batch_id: str, actor: WorkspaceReader
) -> dict[str, Any]:
    """A stored batch: its counts, whether its decisions match its ledger entry, and each
    decision (id, case, outcome, status)."""
    batch = rd.get_batch(ctx, actor=actor, workspace_id=workspace_id, batch_id=batch_id)
    decisions = rd.batch_decisions(ctx, actor=actor, workspace_id=workspace_id, batch_id=batch_id)
    return {
        **batch.to_dict(),
        "verified": rd.verify_batch(ctx, actor=actor, workspace_id=workspace_id, batch_id=batch_id),
        "decisions": [
            {"id": d.id, "case_ref": d.case_ref, "outcome": d.outcome, "positive": d.positive,
             "uncertain": d.uncertain, "status": d.status}
            for d in decisions
        ],
    }  # fmt: skip


@api.get("/workspaces/{workspace_id}/rules/decisions/{decision_id}")
def api_decision(
    ctx: AppCtx, workspace_id: str, decision_id: str, actor: WorkspaceReader
) -> dict[str, Any]:
    """A stored decision with its trace, reviews and appeals."""
    decision = rd.get_decision(ctx, actor=actor, workspace_id=workspace_id, decision_id=decision_id)
    return {
        **decision.to_dict(),
        "reviews": [
            r.to_dict()
            for r in rd.list_reviews(
                ctx, actor=actor, workspace_id=workspace_id, decision_id=decision_id
            )
        ],
        "appeals": [
            a.to_dict()
            for a in rd.list_appeals(
                ctx, actor=actor, workspace_id=workspace_id, decision_id=decision_id
            )
        ],
    }
