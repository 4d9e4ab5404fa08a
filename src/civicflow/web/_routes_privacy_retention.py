"""The retention pages of Data protection: the form that stores a retention policy (a dataset or
every dataset; whole cases, a data category or named columns; an age; an action), and applying
the stored policies after a confirmation page that shows the dry run (a plain form: it works
without JavaScript). The policies and the dry run per policy are on the Data protection page.

Every change goes through ``civicflow.app.privacy`` (role check and ledger); this module only
reads forms and renders.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from civicflow.app import Actor, AppContext, assessment, workspaces
from civicflow.app import privacy as pv
from civicflow.core import CivicflowError, InputError, Location
from civicflow.privacy import RetentionRule
from civicflow.web._deps import PostedForm, form_text
from civicflow.web._pages import flash, page
from civicflow.web._permissions import AppCtx, PrivacyRequestHandler

router = APIRouter(include_in_schema=False)

FIELDS = ("name", "dataset", "action", "category", "columns", "older_than", "unit",
          "measured_from", "k", "position", "reason")  # fmt: skip
FIELD_IDS = {f: f"rt-{f.replace('_', '-')}" for f in FIELDS}
ACTIONS = [
    ("anonymise", "anonymise: suppress identifiers, generalise, redact free text"),
    ("delete", "delete the cases"),
    ("pseudonymise", "pseudonymise the direct identifiers"),
    ("generalise", "generalise the quasi-identifiers"),
]
CATEGORIES = [
    ("personal", "every column with personal data"),
    ("direct_identifier", "direct identifiers (names, numbers, e-mail, phone, address)"),
    ("quasi_identifier", "quasi-identifiers (postcode, date of birth)"),
    ("free_text", "free text (notes, messages)"),
    ("cases", "whole cases (delete)"),
]
UNITS = [("years", "years"), ("months", "months"), ("days", "days")]
DEFAULTS = {"dataset": "*", "action": "anonymise", "category": "personal", "unit": "years",
            "measured_from": "last_event", "k": "5", "position": "100"}  # fmt: skip


def _form_page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    names = [d.name for d in assessment.list_datasets(ctx, actor=actor, workspace_id=workspace_id)]
    return page(
        request, "privacy_retention_form.html", actor, status=422 if error else 200,
        workspace=workspace, nav="privacy", error=error, values={**DEFAULTS, **(values or {})},
        datasets=[("*", "every dataset"), *[(n, n) for n in names]], actions=ACTIONS,
        categories=CATEGORIES, units=UNITS, field_ids=FIELD_IDS,
    )  # fmt: skip


@router.get("/w/{workspace_id}/privacy/retention/new")
def retention_form(
    request: Request, ctx: AppCtx, workspace_id: str, actor: PrivacyRequestHandler
) -> Response:
    return _form_page(request, ctx, actor, workspace_id)


def _whole(values: dict[str, str], field: str, what: str) -> int:
    text = values[field].strip()
    if not text.lstrip("-").isdigit():
        raise InputError(
            f"{what} is not a whole number",
            where=Location(field=field),
            found=text or "(empty)",
            expected="a whole number, e.g. 7",
            fix=f"give {what} in digits",
        )
    return int(text)


@router.post("/w/{workspace_id}/privacy/retention")
def retention_create(
    request: Request, ctx: AppCtx, workspace_id: str, actor: PrivacyRequestHandler, form: PostedForm
) -> Response:
    values = {k: form_text(form, k) for k in FIELDS}
    try:
        columns = tuple(c.strip() for c in values["columns"].split(",") if c.strip())
        rule = RetentionRule(
            older_than=_whole(values, "older_than", "the period"), unit=values["unit"],
            action=values["action"], category=values["category"], columns=columns,
            dataset=values["dataset"] or "*", measured_from=values["measured_from"] or "last_event",
            k=_whole(values, "k", "k"),
        )  # fmt: skip
        policy = pv.set_retention_policy(
            ctx, actor=actor, workspace_id=workspace_id, rule=rule,
            name=values["name"].strip() or None, position=_whole(values, "position", "the order"),
            reason=values["reason"],
        )  # fmt: skip
    except CivicflowError as exc:
        return _form_page(request, ctx, actor, workspace_id, error=exc.to_dict(), values=values)
    flash(
        request,
        f"Retention policy '{policy.name}' (version {policy.version}) stored: {policy.action} "
        f"{policy.scope} after {policy.period}. Nothing changes until the policies are applied.",
    )
    return RedirectResponse(f"/w/{workspace_id}/privacy#retention-heading", status_code=303)


@router.post("/w/{workspace_id}/privacy/retention/apply")
def retention_apply(
    request: Request, ctx: AppCtx, workspace_id: str, actor: PrivacyRequestHandler, form: PostedForm
) -> Response:
    """Without ``confirm=yes``: the confirmation page with the dry run. With it: applied."""
    if form_text(form, "confirm") != "yes":
        workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
        run = pv.retention_run(ctx, actor=actor, workspace_id=workspace_id)
        return page(
            request, "privacy_retention_confirm.html", actor, workspace=workspace,
            nav="privacy", run=run,
        )  # fmt: skip
    run = pv.retention_run(ctx, actor=actor, workspace_id=workspace_id, apply=True)
    if run.changed:
        message = "Retention applied: a new version of " + ", ".join(run.changed) + "."
    else:
        message = "Retention applied: nothing was due."
    held = sorted({s.dataset for s in run.steps if s.plan.held and s.effect and s.effect.changed})
    if held:
        message += " Left alone (legal hold): " + ", ".join(held) + "."
    if run.failed:
        message += " Not applied: " + ", ".join(run.failed) + " (see the dry run)."
    flash(request, message)
    return RedirectResponse(f"/w/{workspace_id}/privacy#retention-heading", status_code=303)
