"""The data-protection pages: the workspace's overview (each dataset's classification and
protection, legal holds, the data steward's decisions, the differentially private releases and
the budget spent, the data-subject requests with their deadlines), the data steward's decision
form, and the register of data-subject requests (add, verify, extend, search, erase,
verify-erasure, close).

Every change goes through ``civicflow.app.privacy`` (role check and ledger); this module only
reads forms and renders. Identifiers a subject gives are sent to the use cases and never echoed
back into a page, a redirect or the ledger.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from civicflow.app import Actor, AppContext, Permission, workspaces
from civicflow.app import privacy as pv
from civicflow.core import CivicflowError, InputError, Location
from civicflow.web._deps import PostedForm, form_text
from civicflow.web._pages import flash, page
from civicflow.web._permissions import (
    AppCtx,
    PrivacyRequestHandler,
    PrivacySteward,
    WorkspaceReader,
)

router = APIRouter(include_in_schema=False)
STATUS_TAGS = {
    "received": "blue", "verified": "light-blue", "in_progress": "yellow",
    "completed": "green", "refused": "grey",
}  # fmt: skip


def _overview(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    overview = pv.privacy_overview(ctx, actor=actor, workspace_id=workspace_id)
    spent: dict[str, tuple[float, float]] = {}
    for r in overview.releases:
        spent[r.dataset] = (r.spent, r.budget)
    return page(
        request, "privacy.html", actor, status=422 if error else 200, workspace=workspace,
        nav="privacy", overview=overview, spent=spent, tags=STATUS_TAGS,
        can_decide=actor.can(Permission.PRIVACY_DECIDE, workspace_id),
        can_requests=actor.can(Permission.PRIVACY_REQUESTS, workspace_id),
        kinds=pv.KINDS, today=date.today().isoformat(), error=error, values=values or {},
        field_ids={"column": "pd-column", "action": "pd-action", "reason": "pd-reason",
                   "kind": "rq-kind", "identifiers": "rq-identifiers",
                   "received_on": "rq-received"},
    )  # fmt: skip


@router.get("/w/{workspace_id}/privacy")
def privacy_page(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    return _overview(request, ctx, actor, workspace_id)


@router.post("/w/{workspace_id}/privacy/decisions")
def privacy_decide(
    request: Request, ctx: AppCtx, workspace_id: str, actor: PrivacySteward, form: PostedForm
) -> Response:
    values = {k: form_text(form, k) for k in ("column", "action", "reason")}
    try:
        decision = pv.decide_column(
            ctx, actor=actor, workspace_id=workspace_id, column=values["column"],
            action=values["action"], reason=values["reason"],
        )  # fmt: skip
    except CivicflowError as exc:
        return _overview(request, ctx, actor, workspace_id, error=exc.to_dict(), values=values)
    verb = {"keep": "kept clear", "redact": "redacted"}.get(decision.action, "pseudonymised")
    flash(request, f"Column '{decision.column}' will be {verb} at the next ingests.")
    return RedirectResponse(f"/w/{workspace_id}/privacy", status_code=303)


def _received(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(
            "the date the request was received is not a date",
            where=Location(field="received_on"),
            found=value,
            expected="a date as YYYY-MM-DD",
            fix="give the date the request reached the organisation",
        ) from None


@router.post("/w/{workspace_id}/privacy/requests")
def request_add(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    actor: PrivacyRequestHandler,
    form: PostedForm,
) -> Response:
    values = {k: form_text(form, k) for k in ("kind", "received_on")}
    identifiers = [line.strip() for line in form_text(form, "identifiers").splitlines()]
    try:
        stored = pv.add_request(
            ctx, actor=actor, workspace_id=workspace_id, kind=values["kind"],
            identifiers=[i for i in identifiers if i], received_on=_received(values["received_on"]),
        )  # fmt: skip
    except CivicflowError as exc:
        # the identifiers are not sent back into the page
        return _overview(request, ctx, actor, workspace_id, error=exc.to_dict(), values=values)
    flash(request, f"Request {stored.id} registered; due on {stored.due_on.isoformat()}.")
    return RedirectResponse(f"/w/{workspace_id}/privacy/requests/{stored.id}", status_code=303)


def _request_page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    request_id: str,
    *,
    error: dict[str, Any] | None = None,
    search: pv.SubjectSearch | None = None,
    erasure: pv.ErasureResult | None = None,
    scan: pv.ErasureScan | None = None,
) -> Response:
    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    stored = pv.get_request(ctx, actor=actor, workspace_id=workspace_id, request_id=request_id)
    return page(
        request, "privacy_request.html", actor, status=422 if error else 200,
        workspace=workspace, nav="privacy", req=stored, tags=STATUS_TAGS, error=error,
        search=search, erasure=erasure, scan=scan,
        field_ids={"how": "rq-how", "months": "rq-months", "reason": "rq-reason",
                   "outcome": "rq-outcome", "identifier": "rq-identifier"},
    )  # fmt: skip


@router.get("/w/{workspace_id}/privacy/requests/{request_id}")
def request_show(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    request_id: str,
    actor: PrivacyRequestHandler,
) -> Response:
    return _request_page(request, ctx, actor, workspace_id, request_id)


@router.post("/w/{workspace_id}/privacy/requests/{request_id}/{step}")
def request_step(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    request_id: str,
    step: str,
    actor: PrivacyRequestHandler,
    form: PostedForm,
) -> Response:
    """One step of a request: ``verify``, ``extend``, ``close``, ``search``, ``erase`` or
    ``verify-erasure``."""
    search = erasure = scan = None
    try:
        if step == "verify":
            pv.verify_request(
                ctx, actor=actor, workspace_id=workspace_id, request_id=request_id,
                how=form_text(form, "how"),
            )  # fmt: skip
        elif step == "extend":
            months = form_text(form, "months")
            pv.extend_request(
                ctx, actor=actor, workspace_id=workspace_id, request_id=request_id,
                months=int(months) if months.isdigit() else 0, reason=form_text(form, "reason"),
            )  # fmt: skip
        elif step == "close":
            pv.close_request(
                ctx, actor=actor, workspace_id=workspace_id, request_id=request_id,
                outcome=form_text(form, "outcome"), reason=form_text(form, "reason"),
            )  # fmt: skip
        elif step == "search":
            search = pv.search_subject(
                ctx, actor=actor, workspace_id=workspace_id, request_id=request_id,
                identifier=form_text(form, "identifier"),
            )  # fmt: skip
        elif step == "erase":
            erasure = pv.erase_subject(
                ctx, actor=actor, workspace_id=workspace_id, request_id=request_id,
                identifier=form_text(form, "identifier"),
            )  # fmt: skip
        elif step == "verify-erasure":
            scan = pv.verify_erasure(
                ctx, actor=actor, workspace_id=workspace_id, request_id=request_id,
                identifier=form_text(form, "identifier"),
            )  # fmt: skip
        else:
            raise InputError(
                "there is no such step for a request",
                where=Location(field="step"),
                found=step[:40],
                expected="verify, extend, close, search, erase or verify-erasure",
                fix="use the request page's forms",
            )
    except CivicflowError as exc:
        return _request_page(request, ctx, actor, workspace_id, request_id, error=exc.to_dict())
    if search is not None or erasure is not None or scan is not None:
        return _request_page(
            request, ctx, actor, workspace_id, request_id, search=search, erasure=erasure,
            scan=scan,
        )  # fmt: skip
    flash(request, f"Request {request_id}: {step} recorded.")
    return RedirectResponse(f"/w/{workspace_id}/privacy/requests/{request_id}", status_code=303)
