"""Server-rendered pages: workspaces, dashboard, programme, ledger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from civicflow.app import Actor, AppContext, Permission, audit, programme, workspaces
from civicflow.core import CivicflowError, ConflictError, InputError, Location, NotFoundError
from civicflow.web._assessment import latest_baseline
from civicflow.web._deps import PostedForm
from civicflow.web._pages import confirm_delete, flash, page
from civicflow.web._permissions import (
    AppCtx,
    BaselineWriter,
    LedgerReader,
    LedgerVerifier,
    ProgrammeWriter,
    SignedIn,
    UserAdmin,
    WorkspaceReader,
)
from civicflow.web._programme_forms import KINDS, Kind, form_data, item_label, item_values

router = APIRouter(include_in_schema=False)

P = Permission


def _kind(slug: str) -> Kind:
    kind = KINDS.get(slug)
    if kind is None:
        raise NotFoundError(
            f"there is no programme page '{slug}'",
            found=slug,
            expected=", ".join(KINDS),
        )
    return kind


def _home(
    request: Request, ctx: AppContext, actor: Actor, *, error: dict[str, object] | None = None
) -> Response:
    """The list of the actor's workspaces; with ``error``, the create form sent back (422)."""
    items = workspaces.list_workspaces(ctx, actor=actor)
    return page(
        request,
        "home.html",
        actor,
        status=200 if error is None else 422,
        nav="home",
        workspaces=items,
        can_create=actor.can(P.USER_ADMIN),
        error=error,
    )


def _workspace_page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    template: str,
    *,
    nav: str,
    status: int = 200,
    **data: Any,
) -> Response:
    """A page of one workspace (its name and navigation in the layout)."""
    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    return page(request, template, actor, status=status, workspace=ws, nav=nav, **data)


@router.get("/")
def home(request: Request, ctx: AppCtx, actor: SignedIn) -> Response:
    return _home(request, ctx, actor)


@router.post("/workspaces")
def create_workspace(
    request: Request,
    ctx: AppCtx,
    actor: UserAdmin,
    name: Annotated[str, Form(max_length=64)],
) -> Response:
    try:
        ws = workspaces.create_workspace(ctx, actor=actor, name=name.strip())
    except CivicflowError as exc:
        return _home(request, ctx, actor, error=exc.to_dict())
    flash(request, f"Workspace '{ws.name}' created.")
    return RedirectResponse(f"/w/{ws.id}", status_code=303)


@router.get("/w/{workspace_id}")
def dashboard(request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader) -> Response:
    from civicflow.app import dashboard as board
    from civicflow.mining import format_number
    from civicflow.web._dashboard import trend_view

    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    previous = board.record_visit(ctx, actor=actor, workspace_id=workspace_id)
    ov = board.overview(ctx, actor=actor, workspace_id=workspace_id, since=previous)
    return page(
        request,
        "dashboard.html",
        actor,
        workspace=ws,
        nav="dashboard",
        ov=ov,
        objectives=[trend_view(t) for t in ov.objectives],
        kpi_trends=[trend_view(t) for t in ov.baselines],
        pilots=programme.PILOTS.list(ctx, actor=actor, workspace_id=workspace_id),
        can_ledger=actor.can(P.LEDGER_READ, workspace_id),
        can_verify=actor.can(P.LEDGER_VERIFY, workspace_id),
        baseline=latest_baseline(ws),
        number=format_number,
    )


# -- programme -------------------------------------------------------------------------------


@router.get("/w/{workspace_id}/programme/{kind}")
def programme_list(
    request: Request, ctx: AppCtx, workspace_id: str, kind: str, actor: WorkspaceReader
) -> Response:
    k = _kind(kind)
    items = k.app.list(ctx, actor=actor, workspace_id=workspace_id)
    bases = None
    if k.app is programme.OBJECTIVES:
        from civicflow.web._assessment import progress_bases

        bases = progress_bases(ctx, actor, workspace_id, items)
    return _workspace_page(
        request,
        ctx,
        actor,
        workspace_id,
        "programme_list.html",
        nav="programme",
        kind=k,
        kinds=KINDS,
        items=items,
        progress_bases=bases,
        item_label=item_label,
        can_edit=actor.can(P.PROGRAMME_WRITE, workspace_id),
    )


@router.get("/w/{workspace_id}/programme/pilots/{item_id}/evaluation")
def pilot_page(
    request: Request, ctx: AppCtx, workspace_id: str, item_id: str, actor: WorkspaceReader
) -> Response:
    """A pilot's design, the cases it needs (for its own target, or for the drop and power in
    the query: ``?drop=20&power=90``, in per cent), and its latest evaluation."""
    return _pilot_page(request, ctx, actor, workspace_id, item_id)


def _percent(request: Request, field: str, low: float, high: float) -> float | None:
    """A per-cent query field as a fraction; absent or empty is None; else it must lie in
    [low, high] per cent."""
    raw = (request.query_params.get(field) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw.rstrip("%").replace(",", "."))
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise InputError(
            f"the {field} is not a percentage from {low:g} to {high:g}",
            where=Location(field=field),
            found=raw,
            expected=f"a number from {low:g} to {high:g} (per cent)",
            fix=f"e.g. {field}=20 for 20 %",
        )
    return value / 100.0


def _pilot_page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    item_id: str,
    *,
    error: dict[str, Any] | None = None,
) -> Response:
    from civicflow.app import people

    pilot = programme.PILOTS.get(ctx, actor=actor, workspace_id=workspace_id, item_id=item_id)
    sentence = None
    asked = {f: request.query_params.get(f, "") for f in ("drop", "power")}
    try:
        drop = _percent(request, "drop", 1, 90)
        power = _percent(request, "power", 50, 99) or 0.8
    except InputError as exc:
        error = error or exc.to_dict()
        drop, power = None, 0.8
    if pilot.dataset:
        try:
            size = people.pilot_sample_size(
                ctx, actor=actor, workspace_id=workspace_id, pilot_id=item_id, drop=drop,
                power=power,
            )  # fmt: skip
            sentence = size.sentence if size is not None else None
        except CivicflowError:
            sentence = None  # the dataset or a filter set is gone: the evaluation says which
    return _workspace_page(
        request, ctx, actor, workspace_id, "pilot.html", nav="programme",
        status=400 if error else 200, pilot=pilot, kind=KINDS["pilots"], kinds=KINDS,
        sample_size=sentence, error=error, asked=asked,
        can_evaluate=actor.can(P.BASELINE_WRITE, workspace_id),
    )  # fmt: skip


@router.post("/w/{workspace_id}/programme/pilots/{item_id}/evaluation")
def pilot_evaluate(
    request: Request, ctx: AppCtx, workspace_id: str, item_id: str, actor: BaselineWriter
) -> Response:
    from civicflow.app import people

    try:
        people.evaluate_pilot(
            ctx, actor=actor, workspace_id=workspace_id, pilot_id=item_id,
            reason="evaluated in the workbench",
        )  # fmt: skip
    except CivicflowError as exc:
        if (
            isinstance(exc, NotFoundError)
            and exc.where is not None
            and exc.where.field in (None, "pilot_id")
        ):
            raise
        return _pilot_page(request, ctx, actor, workspace_id, item_id, error=exc.to_dict())
    flash(request, "Pilot evaluated.")
    return RedirectResponse(
        f"/w/{workspace_id}/programme/pilots/{item_id}/evaluation", status_code=303
    )


@router.get("/w/{workspace_id}/programme/{kind}/new")
def programme_new(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    kind: str,
    actor: ProgrammeWriter,
    kpi: str = "",
    baseline_name: str = "",
    baseline_value: str = "",
) -> Response:
    # "create an objective from this baseline" pre-fills the KPI and its frozen value
    values = {"kpi": kpi, "baseline_name": baseline_name, "baseline_value": baseline_value}
    return _form_page(
        request, ctx, actor, workspace_id, _kind(kind), {key: v for key, v in values.items() if v}
    )


@router.post("/w/{workspace_id}/programme/{kind}")
def programme_create(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    kind: str,
    actor: ProgrammeWriter,
    form: PostedForm,
) -> Response:
    return _save(request, ctx, workspace_id, _kind(kind), None, actor, form)


@router.get("/w/{workspace_id}/programme/{kind}/{item_id}")
def programme_edit(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    kind: str,
    item_id: str,
    actor: ProgrammeWriter,
) -> Response:
    k = _kind(kind)
    item = k.app.get(ctx, actor=actor, workspace_id=workspace_id, item_id=item_id)
    return _form_page(request, ctx, actor, workspace_id, k, item_values(k, item), item_id)


@router.post("/w/{workspace_id}/programme/{kind}/{item_id}")
def programme_update(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    kind: str,
    item_id: str,
    actor: ProgrammeWriter,
    form: PostedForm,
) -> Response:
    return _save(request, ctx, workspace_id, _kind(kind), item_id, actor, form)


def _save(
    request: Request,
    ctx: AppContext,
    workspace_id: str,
    k: Kind,
    item_id: str | None,
    actor: Actor,
    form: FormData,
) -> Response:
    """Create (``item_id`` None) or update an item from the posted form; an invalid form comes
    back with the error next to its field."""
    try:
        if item_id is None:
            data = programme.parse(
                k.app.create_model, form_data(k, form, partial=False), label=k.singular
            )
            item = k.app.create(ctx, actor=actor, workspace_id=workspace_id, data=data)
        else:
            changes = programme.parse(
                k.app.update_model, form_data(k, form, partial=True), label=k.singular
            )
            item = k.app.update(
                ctx, actor=actor, workspace_id=workspace_id, item_id=item_id, data=changes
            )
    except CivicflowError as exc:
        if isinstance(exc, NotFoundError):
            raise
        return _form_page(
            request, ctx, actor, workspace_id, k, dict(form), item_id, error=exc.to_dict()
        )
    verb = "created" if item_id is None else "saved"
    flash(request, f"{k.singular.capitalize()} '{item_label(item)}' {verb}.")
    return RedirectResponse(f"/w/{workspace_id}/programme/{k.slug}", status_code=303)


@router.get("/w/{workspace_id}/programme/{kind}/{item_id}/delete")
def programme_delete_confirm(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    kind: str,
    item_id: str,
    actor: ProgrammeWriter,
) -> Response:
    """The question before a deletion: a page with one form (works without JavaScript)."""
    k = _kind(kind)
    item = k.app.get(ctx, actor=actor, workspace_id=workspace_id, item_id=item_id)
    return _confirm_delete(request, ctx, actor, workspace_id, k, item)


def _confirm_delete(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    k: Kind,
    item: Any,
    *,
    error: dict[str, object] | None = None,
) -> Response:
    base = f"/w/{workspace_id}/programme/{k.slug}"
    return confirm_delete(
        request,
        actor,
        workspace=workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id),
        nav="programme",
        error=error,
        status=None if error is None else 409,
        thing=f"{k.singular} '{item_label(item)}'",
        consequence="It is removed from the programme; the audit ledger keeps the record "
        "of its history.",
        action=f"{base}/{item.id}/delete",
        cancel=base,
    )


@router.post("/w/{workspace_id}/programme/{kind}/{item_id}/delete")
def programme_delete(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    kind: str,
    item_id: str,
    actor: ProgrammeWriter,
    confirm: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Delete only with the confirmation page's answer; a bare POST gets the question."""
    k = _kind(kind)
    item = k.app.get(ctx, actor=actor, workspace_id=workspace_id, item_id=item_id)
    if confirm != "yes":
        return _confirm_delete(request, ctx, actor, workspace_id, k, item)
    try:
        k.app.delete(
            ctx, actor=actor, workspace_id=workspace_id, item_id=item_id, reason=reason or None
        )
    except ConflictError as exc:
        return _confirm_delete(request, ctx, actor, workspace_id, k, item, error=exc.to_dict())
    flash(request, f"{k.singular.capitalize()} '{item_label(item)}' deleted.")
    return RedirectResponse(f"/w/{workspace_id}/programme/{k.slug}", status_code=303)


def _form_page(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    k: Kind,
    values: dict[str, Any],
    item_id: str | None = None,
    *,
    error: dict[str, object] | None = None,
) -> Response:
    """The new/edit form of ``k``; with ``error``, sent back (422) with it next to its field."""
    return _workspace_page(
        request,
        ctx,
        actor,
        workspace_id,
        "programme_form.html",
        nav="programme",
        status=200 if error is None else 422,
        kind=k,
        values=values,
        item_id=item_id,
        error=error,
    )


# -- ledger ----------------------------------------------------------------------------------


@router.get("/w/{workspace_id}/ledger")
def ledger_page(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    actor: LedgerReader,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Response:
    entries = audit.list_entries(
        ctx, actor=actor, workspace_id=workspace_id, limit=50, offset=offset
    )
    latest = audit.latest_checkpoint(ctx, actor=actor)
    return _workspace_page(
        request,
        ctx,
        actor,
        workspace_id,
        "ledger.html",
        nav="ledger",
        entries=entries,
        offset=offset,
        # a proof exists for the entries the latest checkpoint covers, and only those
        covered=0 if latest is None else latest.tree_size,
        can_verify=actor.can(P.LEDGER_VERIFY, workspace_id),
        report=None,
    )


@router.post("/w/{workspace_id}/ledger/checkpoint")
def ledger_checkpoint(
    request: Request, ctx: AppCtx, workspace_id: str, actor: LedgerVerifier
) -> Response:
    """Checkpoint (and publish the head of) the whole ledger now, recorded in this workspace."""
    cp = audit.write_checkpoint(ctx, actor=actor, workspace_id=workspace_id)
    signed = "signed" if cp.signed else "unsigned"
    flash(
        request,
        f"Checkpoint {cp.id} written ({signed}): it covers all {cp.tree_size} entries, "
        "so each has a proof now.",
    )
    return RedirectResponse(f"/w/{workspace_id}/ledger", status_code=303)


@router.get("/w/{workspace_id}/ledger/verify")
def ledger_verify(
    request: Request, ctx: AppCtx, workspace_id: str, actor: LedgerVerifier
) -> Response:
    report = audit.verify(ctx, actor=actor)
    return _workspace_page(
        request, ctx, actor, workspace_id, "ledger_verify.html", nav="ledger", report=report
    )


@router.get("/w/{workspace_id}/ledger/{entry_index}/proof")
def ledger_proof(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    entry_index: Annotated[int, Path(ge=0, le=2**62)],
    actor: LedgerReader,
) -> Response:
    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    entry = audit.get_entry(ctx, actor=actor, entry_index=entry_index)
    if entry.workspace_id != workspace_id:
        # entries of other workspaces are proven on their own workspace's page
        raise NotFoundError(
            f"ledger entry {entry_index} is not an entry of this workspace",
            found=str(entry_index),
            fix="open the proof from the ledger page of the entry's workspace",
        )
    proof = audit.inclusion_proof(ctx, actor=actor, entry_index=entry_index)
    ok = proof.verify()
    return page(
        request,
        "ledger_proof.html",
        actor,
        workspace=ws,
        nav="ledger",
        proof=proof,
        ok=ok,
        entry=proof.to_dict()["entry"],
    )
