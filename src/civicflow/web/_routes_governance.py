"""Governance pages: the public algorithm register (published transparency records, no sign-in)
and the workbench's register of automated systems.

Reading only: the register is kept through ``civicflow.app.governance`` (the command line, the
API); these routes render what it returns."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicflow.app import governance, workspaces
from civicflow.core import check_choice
from civicflow.governance import FORMATS, NOT_PROVIDED, atrs_fields, render_record
from civicflow.web._pages import page
from civicflow.web._permissions import AppCtx, WorkspaceReader, public

router = APIRouter(include_in_schema=False)

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
        assessments=assessments,
    )  # fmt: skip
