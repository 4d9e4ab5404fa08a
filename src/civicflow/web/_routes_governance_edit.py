"""Governance pages that change things: a registered system (create, edit, move along its
lifecycle with a reason), the compliance controls (owner, status, due date, evidence) and the
infrastructure inventory.

Every change goes through ``civicflow.app.governance`` (GOVERNANCE_WRITE, one ledger entry per
change); these routes read forms, render, and show a refused form again with its error."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from civicflow.app import Permission, governance, workspaces
from civicflow.core import CivicflowError, InputError, Location, NotFoundError
from civicflow.governance import (
    ART30_DETAILS,
    BUILTIN_CATALOGUES,
    EVIDENCE_KINDS,
    INVENTORY_FIELDS,
    MAX_ATTACHMENT_BYTES,
    MOVES,
    Compatibility,
    ControlStatus,
    Oversight,
    RegisterEntry,
    SupportStatus,
    atrs_fields,
    atrs_record,
    builtin_catalogue,
    check_record,
    control_target,
    derived_atrs_keys,
)
from civicflow.web._deps import PostedForm
from civicflow.web._pages import flash, page
from civicflow.web._permissions import AppCtx, GovernanceWriter, WorkspaceReader

router = APIRouter(include_in_schema=False)


TEXT_FIELDS = (
    ("name", "Name", None),
    ("purpose", "Purpose", "What the system is for, in plain words."),
    ("legal_basis", "Legal basis", "The law or duty that allows it, e.g. UK GDPR Art. 6(1)(e)."),
    ("owner", "Owner", "The service that runs it."),
    ("senior_responsible_owner", "Senior responsible owner", None),
    ("affected_people", "Affected people", "Who is affected, and how many."),
    ("model_type", "Model type", "e.g. gradient-boosted trees, rules, a language model."),
    ("model_version", "Model version", None),
    ("organisation", "Organisation", None),
    ("team", "Team", None),
    ("description", "Description", "What it does, for the public record."),
    ("contact_email", "Contact e-mail", None),
    ("website_url", "Web page", None),
)
LONG = {"purpose", "affected_people", "description"}


def _details_fields() -> list[tuple[str, str, str]]:
    """The further record text a system carries: (key, label, group) for each ATRS tier 1/2 field
    not filled from the entry's own fields, then the Art. 30 record's own fields."""
    derived = derived_atrs_keys()
    out = [
        (f.key, f"{f.reference} - {f.name}", "Transparency record (ATRS)")
        for f in atrs_fields()
        if f.tier in ("1", "2") and f.key not in derived
    ]
    out += [(key, label, "Record of processing (GDPR Art. 30)") for key, label in ART30_DETAILS]
    return out


def _lines(text: str) -> list[str]:
    return [p.strip() for part in text.splitlines() for p in part.split(",") if p.strip()]


def _system_fields(form: FormData, current: RegisterEntry | None) -> dict[str, Any]:
    """The register fields of a posted system form (the details merged over the current ones:
    a field of the form left empty removes it, one the form does not show is kept)."""
    fields: dict[str, Any] = {key: str(form.get(key) or "") for key, _l, _h in TEXT_FIELDS}
    datasets = [str(d) for d in form.getlist("datasets")] + _lines(
        str(form.get("other_data") or "")
    )
    fields["datasets"] = list(dict.fromkeys(d for d in datasets if d.strip()))
    fields["oversight"] = str(form.get("oversight") or Oversight.IN_THE_LOOP.value)
    fields["published"] = form.get("published") == "yes"
    details = dict(current.details) if current is not None else {}
    for key, _label, _group in _details_fields():
        value = str(form.get(f"detail__{key}") or "").strip()
        if value:
            details[key] = value
        else:
            details.pop(key, None)
    fields["details"] = details
    return fields


def _system_page(
    request: Request,
    ctx: Any,
    actor: Any,
    workspace_id: str,
    entry: RegisterEntry | None,
    *,
    values: dict[str, Any] | None = None,
    error: dict[str, object] | None = None,
    move_error: dict[str, object] | None = None,
) -> Response:
    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    if values is None:
        values = {} if entry is None else entry.to_dict()
    scans = governance.dataset_scans(ctx, actor=actor, workspace_id=workspace_id)
    known = list(scans)
    chosen = [str(d) for d in values.get("datasets", [])]
    moves = [] if entry is None else sorted(m.value for m in MOVES[entry.status])
    runs = (
        []
        if entry is None
        else governance.list_assessments(
            ctx, actor=actor, workspace_id=workspace_id, system=entry.id
        )
    )
    return page(
        request, "governance_system.html", actor, workspace=ws, nav="governance", entry=entry,
        values=values, text_fields=TEXT_FIELDS, long=LONG, known_datasets=known,
        chosen=chosen, other=[d for d in chosen if d not in known], scans=scans,
        oversights=[(o.value, o.value.replace("-", " ")) for o in Oversight],
        details=_details_fields(), moves=moves, runs=runs,
        record_check=None if entry is None else check_record(atrs_record(entry)),
        can_write=actor.can(Permission.GOVERNANCE_WRITE, workspace_id),
        error=error or move_error, form_error=error, move_error=move_error,
        status=422 if (error or move_error) else 200,
    )  # fmt: skip


@router.get("/w/{workspace_id}/governance/systems/new")
def new_system_page(
    request: Request, ctx: AppCtx, actor: GovernanceWriter, workspace_id: str
) -> Response:
    """The form that registers a system (proposed)."""
    return _system_page(request, ctx, actor, workspace_id, None)


@router.post("/w/{workspace_id}/governance/systems")
def create_system(
    request: Request, ctx: AppCtx, actor: GovernanceWriter, workspace_id: str, form: PostedForm
) -> Response:
    fields = _system_fields(form, None)
    try:
        entry = governance.add_system(
            ctx, actor=actor, workspace_id=workspace_id, fields=fields,
            reason=str(form.get("reason") or "").strip() or None,
        )  # fmt: skip
    except CivicflowError as exc:
        if isinstance(exc, NotFoundError):
            raise
        return _system_page(
            request, ctx, actor, workspace_id, None, values=fields, error=exc.to_dict()
        )
    flash(request, f"Registered {entry.name} (proposed).")
    return RedirectResponse(f"/w/{workspace_id}/governance/systems/{entry.id}", status_code=303)


@router.get("/w/{workspace_id}/governance/systems/{system_id}")
def system_page(
    request: Request, ctx: AppCtx, actor: WorkspaceReader, workspace_id: str, system_id: str
) -> Response:
    """A registered system: its lifecycle and assessments; for governance writers, the forms
    that change it and move it along its lifecycle."""
    entry = governance.get_system(ctx, actor=actor, workspace_id=workspace_id, ref=system_id)
    return _system_page(request, ctx, actor, workspace_id, entry)


@router.post("/w/{workspace_id}/governance/systems/{system_id}")
def update_system(
    request: Request,
    ctx: AppCtx,
    actor: GovernanceWriter,
    workspace_id: str,
    system_id: str,
    form: PostedForm,
) -> Response:
    current = governance.get_system(ctx, actor=actor, workspace_id=workspace_id, ref=system_id)
    fields = _system_fields(form, current)
    try:
        entry = governance.update_system(
            ctx, actor=actor, workspace_id=workspace_id, ref=current.id, fields=fields,
            reason=str(form.get("reason") or "").strip() or None,
        )  # fmt: skip
    except CivicflowError as exc:
        if isinstance(exc, NotFoundError):
            raise
        values = current.to_dict() | fields
        return _system_page(
            request, ctx, actor, workspace_id, current, values=values, error=exc.to_dict()
        )
    flash(request, f"Saved {entry.name}.")
    return RedirectResponse(f"/w/{workspace_id}/governance/systems/{entry.id}", status_code=303)


@router.post("/w/{workspace_id}/governance/systems/{system_id}/move")
def move_system(
    request: Request,
    ctx: AppCtx,
    actor: GovernanceWriter,
    workspace_id: str,
    system_id: str,
    form: PostedForm,
) -> Response:
    current = governance.get_system(ctx, actor=actor, workspace_id=workspace_id, ref=system_id)
    try:
        entry = governance.move_system(
            ctx, actor=actor, workspace_id=workspace_id, ref=current.id,
            to=str(form.get("to") or ""), reason=str(form.get("move_reason") or ""),
        )  # fmt: skip
    except CivicflowError as exc:
        if isinstance(exc, NotFoundError):
            raise
        detail = exc.to_dict()
        if detail.get("field") == "reason":
            detail["field"] = "move_reason"
        return _system_page(request, ctx, actor, workspace_id, current, move_error=detail)
    flash(request, f"{entry.name} is now {entry.status.value}.")
    return RedirectResponse(f"/w/{workspace_id}/governance/systems/{entry.id}", status_code=303)


# --------------------------------------------------------------------------------------------
# compliance controls


def _catalogue_of(name: str) -> Any:
    return builtin_catalogue(name)


@router.get("/w/{workspace_id}/governance/controls")
def controls_page(
    request: Request,
    ctx: AppCtx,
    actor: WorkspaceReader,
    workspace_id: str,
    catalogue: str = "gdpr",
) -> Response:
    """A catalogue's controls with this workspace's state of each, and the gaps report."""
    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    cat = _catalogue_of(catalogue)
    states = {
        s.control: s
        for s in governance.control_states(
            ctx, actor=actor, workspace_id=workspace_id, catalogue=cat.id
        )
    }
    report = governance.gaps(ctx, actor=actor, workspace_id=workspace_id, catalogue=cat)
    return page(
        request, "governance_controls.html", actor, workspace=ws, nav="governance",
        catalogue=cat, catalogues=BUILTIN_CATALOGUES, states=states, report=report,
        gap_of={g.control: g for g in report.gaps},
    )  # fmt: skip


def _control_page(
    request: Request,
    ctx: Any,
    actor: Any,
    workspace_id: str,
    catalogue: str,
    control: str,
    *,
    error: dict[str, object] | None = None,
) -> Response:
    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    cat = _catalogue_of(catalogue)
    spec = cat.control(control)
    state = next(
        (
            s
            for s in governance.control_states(
                ctx, actor=actor, workspace_id=workspace_id, catalogue=cat.id
            )
            if s.control == control
        ),
        None,
    )
    return page(
        request, "governance_control.html", actor, workspace=ws, nav="governance",
        catalogue=cat, control=spec, state=state,
        statuses=[(s.value, s.value.replace("-", " ")) for s in ControlStatus],
        evidence_kinds=[k for k in EVIDENCE_KINDS if k != "attachment"],
        attachments={
            a.id: a
            for a in governance.list_attachments(
                ctx, actor=actor, workspace_id=workspace_id, target=control_target(cat.id, control)
            )
        },
        max_mb=MAX_ATTACHMENT_BYTES // (1024 * 1024),
        can_write=actor.can(Permission.GOVERNANCE_WRITE, workspace_id), error=error,
        status=422 if error else 200,
    )  # fmt: skip


@router.get("/w/{workspace_id}/governance/controls/{catalogue}/{control}")
def control_page(
    request: Request,
    ctx: AppCtx,
    actor: WorkspaceReader,
    workspace_id: str,
    catalogue: str,
    control: str,
) -> Response:
    """One control: what it requires, its state and evidence; for writers, the form."""
    return _control_page(request, ctx, actor, workspace_id, catalogue, control)


def _due(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(
            "the due date is not a date",
            where=Location(field="due"),
            found=text,
            expected="a date as YYYY-MM-DD",
            fix="give the date the control is due, e.g. 2027-03-31",
        ) from exc


@router.post("/w/{workspace_id}/governance/controls/{catalogue}/{control}")
def set_control(
    request: Request,
    ctx: AppCtx,
    actor: GovernanceWriter,
    workspace_id: str,
    catalogue: str,
    control: str,
    form: PostedForm,
) -> Response:
    cat = _catalogue_of(catalogue)
    cat.control(control)
    ref = str(form.get("evidence_ref") or "").strip()
    kind = str(form.get("evidence_kind") or "").strip()
    try:
        state = governance.set_control(
            ctx, actor=actor, workspace_id=workspace_id, catalogue=cat, control=control,
            owner=str(form.get("owner") or ""), status=str(form.get("status") or "") or None,
            due=_due(str(form.get("due") or "")),
            evidence=[f"{kind}:{ref}"] if ref else [],
            remove=[str(r) for r in form.getlist("remove")],
            reason=str(form.get("reason") or "").strip() or None,
        )  # fmt: skip
    except CivicflowError as exc:
        if isinstance(exc, NotFoundError) and exc.where and exc.where.field != "assessment":
            raise
        detail = exc.to_dict()
        if detail.get("field") == "evidence" or (
            isinstance(exc, NotFoundError) and detail.get("field") == "assessment"
        ):
            detail["field"] = "evidence_ref"
        return _control_page(request, ctx, actor, workspace_id, catalogue, control, error=detail)
    flash(request, f"Saved {cat.control(control).reference}: {state.status.value}.")
    return RedirectResponse(
        f"/w/{workspace_id}/governance/controls/{cat.id}/{control}", status_code=303
    )


# --------------------------------------------------------------------------------------------
# the infrastructure inventory

INVENTORY_LABELS = {
    "name": "Name",
    "type": "Type",
    "data_held": "Data held",
    "interfaces": "Interfaces",
    "hosting": "Hosting",
    "support": "Support status",
    "compatibility": "Compatibility with the planned automation",
    "notes": "Notes",
}


def _inventory_page(
    request: Request,
    ctx: Any,
    actor: Any,
    workspace_id: str,
    *,
    values: dict[str, Any] | None = None,
    error: dict[str, object] | None = None,
) -> Response:
    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    items = governance.list_inventory(ctx, actor=actor, workspace_id=workspace_id)
    return page(
        request, "governance_inventory.html", actor, workspace=ws, nav="governance", items=items,
        values=values or {}, labels=INVENTORY_LABELS,
        supports=[s.value for s in SupportStatus], compatibilities=[c.value for c in Compatibility],
        can_write=actor.can(Permission.GOVERNANCE_WRITE, workspace_id), error=error,
        status=422 if error else 200,
    )  # fmt: skip


@router.get("/w/{workspace_id}/governance/inventory")
def inventory_page(
    request: Request, ctx: AppCtx, actor: WorkspaceReader, workspace_id: str, item: str = ""
) -> Response:
    """The inventory of the systems an automation depends on; ``?item=<name>`` fills the form
    with that item to change it."""
    values: dict[str, Any] = {}
    if item:
        found = next(
            (
                i
                for i in governance.list_inventory(ctx, actor=actor, workspace_id=workspace_id)
                if i.name == item
            ),
            None,
        )
        if found is not None:
            values = found.to_dict()
    return _inventory_page(request, ctx, actor, workspace_id, values=values)


@router.post("/w/{workspace_id}/governance/inventory")
def save_inventory(
    request: Request, ctx: AppCtx, actor: GovernanceWriter, workspace_id: str, form: PostedForm
) -> Response:
    fields = {key: str(form.get(key) or "") for key in INVENTORY_FIELDS}
    try:
        item = governance.save_inventory_item(
            ctx, actor=actor, workspace_id=workspace_id, fields=fields,
            reason=str(form.get("reason") or "").strip() or None,
        )  # fmt: skip
    except CivicflowError as exc:
        if isinstance(exc, NotFoundError):
            raise
        return _inventory_page(
            request, ctx, actor, workspace_id, values=fields, error=exc.to_dict()
        )
    flash(request, f"Saved {item.name} in the inventory.")
    return RedirectResponse(f"/w/{workspace_id}/governance/inventory", status_code=303)


# --------------------------------------------------------------------------------------------
# evidence files


def _upload(form: FormData) -> tuple[str, bytes]:
    """The posted file's name and content (one byte more than the limit at most: the check
    refuses it by size without reading the rest)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InputError(
            "no file was chosen",
            where=Location(field="file"),
            expected="an evidence file (PDF, image, text, CSV, JSON, office document)",
            fix="choose the file to attach",
        )
    return upload.filename, upload.file.read(MAX_ATTACHMENT_BYTES + 1)


@router.post("/w/{workspace_id}/governance/assessments/{assessment_id}/attachments")
def attach_to_answer(
    request: Request,
    ctx: AppCtx,
    actor: GovernanceWriter,
    workspace_id: str,
    assessment_id: str,
    form: PostedForm,
) -> Response:
    """Attach an evidence file to one of the assessment's questions."""
    from civicflow.web._routes_governance import assessment_page_with_error

    question = str(form.get("question") or "")
    try:
        filename, data = _upload(form)
        att = governance.attach_to_answer(
            ctx, actor=actor, workspace_id=workspace_id, assessment_id=assessment_id,
            question=question, filename=filename, data=data,
            reason=str(form.get("reason") or "").strip() or None,
        )  # fmt: skip
    except CivicflowError as exc:
        if isinstance(exc, NotFoundError):
            raise
        return assessment_page_with_error(
            request, ctx, actor, workspace_id, assessment_id, exc.to_dict()
        )
    flash(request, f"Attached {att.filename} ({att.size:,} bytes, SHA-256 {att.sha256[:12]}…).")
    return RedirectResponse(
        f"/w/{workspace_id}/governance/assessments/{assessment_id}#attachments", status_code=303
    )


@router.post("/w/{workspace_id}/governance/controls/{catalogue}/{control}/attachments")
def attach_to_control(
    request: Request,
    ctx: AppCtx,
    actor: GovernanceWriter,
    workspace_id: str,
    catalogue: str,
    control: str,
    form: PostedForm,
) -> Response:
    """Attach an evidence file to a control (it becomes one of the control's evidence)."""
    cat = _catalogue_of(catalogue)
    cat.control(control)
    try:
        filename, data = _upload(form)
        att = governance.attach_to_control(
            ctx, actor=actor, workspace_id=workspace_id, catalogue=cat, control=control,
            filename=filename, data=data,
            reason=str(form.get("reason") or "").strip() or None,
        )  # fmt: skip
    except CivicflowError as exc:
        if isinstance(exc, NotFoundError):
            raise
        detail = exc.to_dict()
        detail["field"] = "file"
        return _control_page(request, ctx, actor, workspace_id, catalogue, control, error=detail)
    flash(request, f"Attached {att.filename} ({att.size:,} bytes, SHA-256 {att.sha256[:12]}…).")
    return RedirectResponse(
        f"/w/{workspace_id}/governance/controls/{cat.id}/{control}", status_code=303
    )


@router.get("/w/{workspace_id}/governance/attachments/{attachment_id}")
def download_attachment(
    ctx: AppCtx, actor: WorkspaceReader, workspace_id: str, attachment_id: str
) -> Response:
    """An attached file, as a download (its content checked against the SHA-256 first)."""
    att, data = governance.read_attachment(
        ctx, actor=actor, workspace_id=workspace_id, attachment_id=attachment_id
    )
    return Response(
        data,
        media_type=att.media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(att.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Digest": f"sha-256={att.sha256}",
        },
    )
