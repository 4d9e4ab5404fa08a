"""The comparison page (two periods or segments side by side) and the downloads of the assessment:
the filtered event log (CSV, Parquet, XES; ledgered), the report as PDF, comparison tables as CSV.

A side of the comparison is the assessment's own filter with a prefix in the query string
(``a_start``, ``b_where``, ...): the same options, read by ``mining.query_values``.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from civicflow import mining
from civicflow.app import assessment
from civicflow.core import CivicflowError, InputError, Location, NotFoundError, write_csv
from civicflow.eventlog import LogFormat
from civicflow.web import _assessment as A
from civicflow.web._pages import page
from civicflow.web._permissions import AppCtx, WorkspaceReader

router = APIRouter(include_in_schema=False)

SIDE_KEYS = ("start", "end", "time_mode", "attr", "attr_value", "present", "absent")
"""The side form's fields (their query names carry the side's prefix)."""
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xes": "application/xml",
}


def _side(request: Request, side: str) -> mining.EventLogFilter:
    params = request.query_params

    def get(key: str) -> list[str]:
        return params.getlist(f"{side}_{key}")

    try:
        return mining.filter_options(mining.query_values(get)).to_filter(door="query")
    except CivicflowError as exc:
        field = exc.where.field if exc.where is not None else None
        raise type(exc)(
            exc.what,
            where=Location(field=f"{side}_{field}" if field else None),
            found=exc.found, expected=exc.expected, fix=exc.fix,
        ) from None  # fmt: skip


def _label(request: Request, side: str) -> str:
    text = (request.query_params.get(f"{side}_label") or "").strip()[:40]
    return text or side.upper()


def _comparison(request: Request, ctx: Any, actor: Any, workspace_id: str, dataset: str) -> Any:
    """The comparison the query asks for, computed once per (data, sides, options)."""
    analyst: A.Analyst = request.app.state.analyst
    a, b = _side(request, "a"), _side(request, "b")
    sla = None
    if request.query_params.get("sla_days"):
        sla = mining.sla_options(mining.query_values(request.query_params.getlist), door="query")
    config = mining.CompareConfig(
        sla=sla.to_config(door="query") if sla is not None else None,
        label_a=_label(request, "a"),
        label_b=_label(request, "b"),
    )
    view = analyst.view(actor, workspace_id, A.Query(dataset=dataset, filter=a, params=()))
    key = (view.cache_key, "compare", b.key(), repr(config.to_dict()))
    return analyst.cache.get_or_compute(
        key,
        lambda: assessment.compare(
            ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset, a=a, b=b,
            config=config, engine=view.engine,
        ),
    )  # fmt: skip


@router.get("/w/{workspace_id}/compare")
def compare_page(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    actor: WorkspaceReader,
    dataset: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    from civicflow.app import workspaces
    from civicflow.report import comparison_context

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    names = workspace.store().dataset_names()
    dataset = dataset or (names[0] if names else "")
    context: dict[str, Any] = {"datasets": names, "dataset": dataset, "error": None}
    asked = any(k.startswith(("a_", "b_")) for k in request.query_params)
    if dataset and asked:
        try:
            cmp = _comparison(request, ctx, actor, workspace_id, dataset)
            context.update(comparison_context(cmp), duration=mining.format_duration)
        except CivicflowError as exc:
            context["error"] = exc.to_dict()
    if dataset:
        context["case_attributes"] = list(
            workspace.store().dataset(dataset).manifest.case_attributes
        )
    return page(
        request, "compare.html", actor, status=422 if context["error"] else 200,
        workspace=workspace, nav="compare", params=request.query_params,
        query_string=request.url.query, side_keys=SIDE_KEYS, **context,
    )  # fmt: skip


@router.get("/w/{workspace_id}/compare/export/{table}.csv")
def compare_table(
    request: Request, ctx: AppCtx, workspace_id: str, table: str, actor: WorkspaceReader,
    dataset: Annotated[str, Query(max_length=64)],
) -> Response:  # fmt: skip
    """One table of the comparison as formula-safe CSV: kpis, waits, edges or nodes."""
    if table not in ("kpis", "waits", "edges", "nodes"):
        raise NotFoundError("no such table", found=table, expected="kpis, waits, edges, nodes")
    cmp = _comparison(request, ctx, actor, workspace_id, dataset)
    rows = [r.to_dict() for r in getattr(cmp, table)]
    for r in rows:
        test = r.pop("test", None)
        if table in ("kpis", "waits"):
            r["test"] = test["test"] if test else None
            r["p_value"] = test["p_value"] if test else None
    buffer = io.StringIO()
    header = list(rows[0]) if rows else []
    write_csv(buffer, header=header, rows=([r[h] for h in header] for r in rows))
    filename = f"{dataset}-compare-{table}.csv"
    return Response(
        buffer.getvalue(), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )  # fmt: skip


def _file(folder: Path, path: Path, media: str) -> FileResponse:
    return FileResponse(
        path,
        media_type=media,
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
        content_disposition_type="attachment",
    )


@router.get("/w/{workspace_id}/compare/report.{fmt}")
def compare_report(
    request: Request, ctx: AppCtx, workspace_id: str, fmt: str, actor: WorkspaceReader,
    dataset: Annotated[str, Query(max_length=64)],
) -> Response:  # fmt: skip
    """The comparison report, as HTML (offline) or PDF (printed by the server's Chromium)."""
    from civicflow.report import build_comparison_report, html_to_pdf

    if fmt not in ("html", "pdf"):
        raise NotFoundError("no such report format", found=fmt, expected="html or pdf")
    cmp = _comparison(request, ctx, actor, workspace_id, dataset)
    folder = Path(tempfile.mkdtemp(prefix="civicflow-compare-"))
    try:
        html = build_comparison_report(cmp, out=folder / f"{dataset}-comparison.html")
        if fmt == "pdf":
            pdf = html_to_pdf(html, folder / f"{dataset}-comparison.pdf",
                              browser=request.app.state.settings.browser)  # fmt: skip
            return _file(folder, pdf, "application/pdf")
        return _file(folder, html, "text/html")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


@router.get("/w/{workspace_id}/assessment/log.{fmt}")
def export_log(
    request: Request, ctx: AppCtx, workspace_id: str, fmt: str, actor: WorkspaceReader
) -> Response:
    """The filtered event log as CSV, Parquet or XES; the export is recorded in the ledger."""
    if fmt not in _MEDIA:
        raise NotFoundError("no such log format", found=fmt, expected="csv, parquet or xes")
    query = A.parse_query(request.query_params, request.query_params.getlist)
    if not query.dataset:
        raise InputError(
            "choose a dataset to export", where=Location(field="dataset"),
            expected="a dataset of this workspace", fix="open the assessment of a dataset first",
        )  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="civicflow-log-"))
    try:
        out = assessment.export_event_log(
            ctx, actor=actor, workspace_id=workspace_id, dataset_name=query.dataset,
            filter=query.filter, fmt=cast(LogFormat, fmt),
            out=folder / f"{query.dataset}-events.{fmt}", reason="workbench download",
        )  # fmt: skip
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _file(folder, out, _MEDIA[fmt])


@router.get("/w/{workspace_id}/assessment/report.pdf")
def report_pdf(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    """The assessment report of the page's view as PDF, map and charts drawn."""
    from civicflow.report import build_report, html_to_pdf

    query = A.parse_query(request.query_params, request.query_params.getlist)
    view = request.app.state.analyst.view(actor, workspace_id, query)
    folder = Path(tempfile.mkdtemp(prefix="civicflow-report-"))
    try:
        with assessment.engine_lock(ctx):
            html = build_report(view=view, out=folder / f"{query.dataset}-assessment.html")
        pdf = html_to_pdf(html, folder / f"{query.dataset}-assessment.pdf",
                          browser=request.app.state.settings.browser)  # fmt: skip
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _file(folder, pdf, "application/pdf")
