"""Datasets (streamed upload, mapping with preview, ingest) and the assessment pages."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from civicflow import mining
from civicflow.app import Permission, workspaces
from civicflow.core import CivicflowError, InputError, Location, NotFoundError, write_csv
from civicflow.eventlog import XES_DEFAULT_MAPPING, ColumnMapping
from civicflow.web import _assessment as A
from civicflow.web._pages import confirm_delete, flash, is_htmx, page
from civicflow.web._permissions import (
    AppCtx,
    BaselineWriter,
    DatasetDeleter,
    DatasetWriter,
    WorkspaceReader,
)
from civicflow.web._routes_explore import filter_panel
from civicflow.web._upload import find_upload, preview, store_upload

router = APIRouter(include_in_schema=False)
P = Permission


def _ws(request: Request, actor: Any, workspace_id: str) -> Any:
    return workspaces.get_workspace(request.app.state.ctx, actor=actor, workspace_id=workspace_id)


def _uploads_dir(request: Request, workspace_id: str) -> Path:
    return Path(request.app.state.settings.home) / "uploads" / workspace_id


# -- datasets --------------------------------------------------------------------------------


@router.get("/w/{workspace_id}/datasets")
def datasets_page(request: Request, workspace_id: str, actor: WorkspaceReader) -> Response:
    ws = _ws(request, actor, workspace_id)
    manifests = [d.manifest for d in ws.store().datasets()]
    return page(
        request,
        "datasets.html",
        actor,
        workspace=ws,
        nav="datasets",
        datasets=manifests,
        can_upload=actor.can(P.DATASET_WRITE, workspace_id),
        can_delete=actor.can(P.DATASET_DELETE, workspace_id),
        max_bytes=request.app.state.settings.max_upload_bytes,
    )


_GUESSES = {
    "case_id": ("case:concept:name", "case_id", "case", "caseid", "case id", "case_concept_name"),
    "activity": ("concept:name", "activity", "activity_name", "event", "task"),
    "timestamp": ("time:timestamp", "timestamp", "time", "complete_timestamp", "end_time", "date"),
    "start_timestamp": ("start_timestamp", "start_time", "start"),
    "resource": ("org:resource", "resource", "user", "employee"),
    "lifecycle": ("lifecycle:transition", "lifecycle"),
}


def _guess(fields: list[str]) -> dict[str, str]:
    lower = {f.lower(): f for f in fields}
    out: dict[str, str] = {}
    for target, names in _GUESSES.items():
        for n in names:
            if n in lower:
                out[target] = lower[n]
                break
    return out


_PRIVACY_SAMPLE_ROWS = 200
"""Rows of an upload the mapping preview classifies (eight of them are shown)."""


def _mapping_context(
    ctx: Any,
    actor: Any,
    workspace_id: str,
    path: Path,
    kind: str,
    upload_id: str,
    name: str,
    *,
    mapping: dict[str, str] | None = None,
) -> dict[str, Any]:
    from civicflow.app import privacy

    fields, rows = preview(path, kind, rows=_PRIVACY_SAMPLE_ROWS)
    guessed = _guess(fields)
    if kind.startswith("xes"):
        guessed = {
            **{k: v for k, v in XES_DEFAULT_MAPPING.mapped_fields().items() if v in fields},
            **guessed,
        }
        guessed.setdefault("activity", "concept:name")
    chosen = {k: v for k, v in (mapping if mapping is not None else guessed).items() if v}
    protection = privacy.preview_protection(
        ctx, actor=actor, workspace_id=workspace_id, fields=fields, rows=rows, mapping=chosen
    )
    # the columns ingest will pseudonymise or redact are shown masked in the preview too
    from civicflow.privacy import mask

    hidden = {
        fields.index(c.field)
        for c in protection.columns
        if c.action in ("pseudonymise", "redact") and c.field in fields
    }
    shown = [[mask(v) if i in hidden and v else v for i, v in enumerate(r)] for r in rows[:8]]
    return {
        "upload_id": upload_id,
        "kind": kind,
        "fields": fields,
        "rows": shown,
        "values": {**guessed, "name": name or path.name.split(".")[0]},
        "protection": protection,
    }


@router.post("/w/{workspace_id}/datasets/upload")
async def upload(
    request: Request,
    workspace_id: str,
    actor: DatasetWriter,
    filename: Annotated[str, Query(max_length=255)] = "upload",
    name: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The file is the raw request body (the page's script sends it with upload progress).

    Async because it streams the body to disk; its blocking calls go to the threadpool."""
    ws = await run_in_threadpool(_ws, request, actor, workspace_id)
    try:
        stored = await store_upload(
            request.stream(),
            directory=_uploads_dir(request, workspace_id),
            filename=filename,
            max_bytes=request.app.state.settings.max_upload_bytes,
        )
        try:
            context = await run_in_threadpool(
                _mapping_context,
                request.app.state.ctx,
                actor,
                workspace_id,
                stored.path,
                stored.kind,
                stored.upload_id,
                name,
            )
        except BaseException:
            # a file that cannot even be previewed is not kept
            shutil.rmtree(stored.path.parent, ignore_errors=True)
            raise
    except CivicflowError as exc:
        return page(
            request, "_upload_error.html", actor, status=422, workspace=ws, error=exc.to_dict()
        )
    return page(request, "_mapping_form.html", actor, workspace=ws, **context)


@router.post("/w/{workspace_id}/datasets")
def ingest(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    actor: DatasetWriter,
    upload_id: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=64)],
    case_id: Annotated[str, Form(max_length=200)] = "",
    activity: Annotated[str, Form(max_length=200)] = "",
    timestamp: Annotated[str, Form(max_length=200)] = "",
    start_timestamp: Annotated[str, Form(max_length=200)] = "",
    resource: Annotated[str, Form(max_length=200)] = "",
    lifecycle: Annotated[str, Form(max_length=200)] = "",
    on_error: Annotated[str, Form(pattern="^(fail|skip)$")] = "fail",
    timezone: Annotated[str, Form(max_length=64)] = "",
    timestamp_format: Annotated[str, Form(max_length=100)] = "",
    privacy_column: Annotated[list[str] | None, Form(max_length=200)] = None,
    privacy_shown: Annotated[list[str] | None, Form(max_length=20)] = None,
    privacy_action: Annotated[list[str] | None, Form(max_length=20)] = None,
    privacy_reason: Annotated[list[str] | None, Form(max_length=500)] = None,
) -> Response:
    """Import the upload with the mapping; the data steward's changes to a column's protection
    (the personal-data table of the form) are recorded first, each with its reason."""
    from civicflow.app import privacy
    from civicflow.eventlog import IngestOptions, UnreadableSourceError

    ws = _ws(request, actor, workspace_id)
    directory = _uploads_dir(request, workspace_id)
    zone = timezone.strip()
    fmt = timestamp_format.strip()
    posted = list(
        zip(
            privacy_column or [],
            privacy_shown or [],
            privacy_action or [],
            privacy_reason or [],
            strict=False,
        )
    )
    try:
        path = find_upload(directory, upload_id)
        missing = [
            f
            for f, v in (("case_id", case_id), ("activity", activity), ("timestamp", timestamp))
            if not v
        ]
        if missing:
            raise InputError(
                "the mapping is incomplete",
                where=Location(file=path.name, field=missing[0]),
                found="(nothing chosen)",
                expected="a source field for the case id, the activity and the timestamp",
                fix=f"choose the field that holds the {missing[0].replace('_', ' ')}",
            )
        mapping = ColumnMapping(
            case_id=case_id,
            activity=activity,
            timestamp=timestamp,
            start_timestamp=start_timestamp or None,
            resource=resource or None,
            lifecycle=lifecycle or None,
        )
        from civicflow.app import assessment

        chosen = mapping.mapped_fields()
        privacy.decide_columns(
            ctx,
            actor=actor,
            workspace_id=workspace_id,
            choices=[
                privacy.ColumnChoice(
                    column=privacy.stored_column(f, chosen), action=a, shown=sh, reason=r
                )
                for f, sh, a, r in posted
            ],
        )

        dataset = assessment.ingest_dataset(
            ctx,
            actor=actor,
            workspace_id=workspace_id,
            source=path,
            name=name.strip(),
            mapping=mapping,
            options=IngestOptions(
                on_error=on_error,  # type: ignore[arg-type]
                timezone=zone or None,
                timestamp_format=fmt or None,
            ),
            progress=None,
        )
    except CivicflowError as exc:
        if isinstance(exc, UnreadableSourceError):
            # no mapping fixes the file itself: it is discarded (the user uploads another)
            shutil.rmtree(path.parent, ignore_errors=True)
        context: dict[str, Any] = {"upload_id": upload_id, "fields": [], "rows": [], "kind": ""}
        try:
            path = find_upload(directory, upload_id)
            kind = next(k for k, s in _suffixes() if path.name.endswith(s))
            posted_mapping = {
                "case_id": case_id,
                "activity": activity,
                "timestamp": timestamp,
                "start_timestamp": start_timestamp,
                "resource": resource,
                "lifecycle": lifecycle,
            }
            context = _mapping_context(
                ctx, actor, workspace_id, path, kind, upload_id, name, mapping=posted_mapping
            )
        except (CivicflowError, StopIteration):
            pass
        context["privacy_values"] = {f: (a, r) for f, _, a, r in posted}
        context["values"] = {
            **context.get("values", {}),
            "name": name,
            "case_id": case_id,
            "activity": activity,
            "timestamp": timestamp,
            "start_timestamp": start_timestamp,
            "resource": resource,
            "lifecycle": lifecycle,
            "timezone": zone,
            "timestamp_format": fmt,
        }
        template = "_mapping_form.html" if is_htmx(request) else "mapping_page.html"
        return page(
            request,
            template,
            actor,
            status=422,
            workspace=ws,
            nav="datasets",
            error=exc.to_dict(),
            **context,
        )
    # the stored dataset is the copy that counts; the upload has served its purpose
    shutil.rmtree(path.parent, ignore_errors=True)
    m = dataset.manifest
    flash(
        request,
        f"Dataset '{dataset.name}' imported: {m.events:,} events of {m.cases:,} cases"
        + (f" (times read in {zone})." if zone else "."),
    )
    target = f"/w/{workspace_id}/assessment?dataset={quote(dataset.name, safe='')}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _suffixes() -> list[tuple[str, str]]:
    from civicflow.web._upload import SUFFIX

    return sorted(SUFFIX.items(), key=lambda kv: -len(kv[1]))


def _confirm_dataset_delete(
    request: Request, actor: Any, ws: Any, name: str, *, error: dict[str, object] | None = None
) -> Response:
    return confirm_delete(
        request,
        actor,
        workspace=ws,
        nav="datasets",
        error=error,
        thing=f"dataset '{name}'",
        consequence="Its events, cases and derived files are removed from the workspace; "
        "baselines frozen from it stay. The audit ledger records the deletion.",
        action=f"/w/{ws.id}/datasets/{quote(name, safe='')}/delete",
        cancel=f"/w/{ws.id}/datasets",
        typed_name=name,
    )


@router.get("/w/{workspace_id}/datasets/{name}/delete")
def delete_dataset_confirm(
    request: Request, workspace_id: str, name: str, actor: DatasetDeleter
) -> Response:
    """The question before a deletion: type the dataset's name (works without JavaScript)."""
    ws = _ws(request, actor, workspace_id)
    ws.store().dataset(name)  # a dataset that is not there has nothing to confirm (404)
    return _confirm_dataset_delete(request, actor, ws, name)


@router.post("/w/{workspace_id}/datasets/{name}/delete")
def delete_dataset(
    request: Request,
    ctx: AppCtx,
    workspace_id: str,
    name: str,
    actor: DatasetDeleter,
    confirm_name: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Deletes only when the form carries the dataset's name typed again; else the question."""
    from civicflow.app import assessment

    ws = _ws(request, actor, workspace_id)
    if confirm_name.strip() != name:
        error = None
        if confirm_name:
            error = InputError(
                "the name typed does not match the dataset",
                where=Location(field="confirm_name"),
                found=confirm_name,
                expected=name,
                fix="type the dataset's name exactly, or go back to keep it",
            ).to_dict()
        return _confirm_dataset_delete(request, actor, ws, name, error=error)
    assessment.delete_dataset(
        ctx, actor=actor, workspace_id=workspace_id, name=name, reason=reason or None
    )
    flash(request, f"Dataset '{name}' deleted.")
    return RedirectResponse(f"/w/{workspace_id}/datasets", status_code=303)


# -- assessment ------------------------------------------------------------------------------


def _analyst(request: Request) -> A.Analyst:
    return request.app.state.analyst  # type: ignore[no-any-return]


def _query(request: Request) -> A.Query:
    return A.parse_query(request.query_params, request.query_params.getlist)


def _tab_context(request: Request, actor: Any, ws: Any, query: A.Query, tab: str) -> dict[str, Any]:
    """Compute one analysis tab (cached) and what its template needs."""
    analyst = _analyst(request)
    view = analyst.view(actor, ws.id, query)
    params = request.query_params
    ctx: dict[str, Any] = {"tab": tab, "query": query, "duration": A.duration}
    if tab == "map":
        share = _bounded(params.get("paths", "0.8"), 0.05, 1.0, "paths")
        top = _bounded(params.get("top", "20"), 2, 200, "top")
        pm_all = analyst.process_map(view, max_activities=top, path_share=share)
        ctx.update(
            map=pm_all,
            paths=share,
            top=top,
            dot_frequency=pm_all.to_dot("frequency"),
            dot_performance=pm_all.to_dot("performance"),
        )
    elif tab == "variants":
        result = analyst.variants(view, top=20)
        ctx.update(variants=result, chart=A.variants_chart(result))
    elif tab == "bottlenecks":
        result = analyst.bottlenecks(view)
        ctx.update(
            bottlenecks=result,
            # the chart draws what the ranking ranks by: total waiting time
            chart=A.bars_chart(
                [
                    {"activity": b.target, "days": round(b.total_wait_seconds / A.DAY, 1)}
                    for b in result.activities
                ],
                x="days",
                y="activity",
                x_title="Total waiting time (days, all cases)",
                y_title="Activity",
                description="Total waiting time before each activity across all cases, "
                "largest first",
            ),
        )
    elif tab == "rework":
        ctx.update(rework=analyst.rework(view))
    elif tab in A.SECTION_TABS:
        config = _section_config(params, tab, analyst.activities(view))
        ctx.update(
            section=analyst.section(view, A.SECTION_TABS[tab], config),
            report_config=config,
            activity_names=analyst.activities(view),
        )
    elif tab == "replay":
        # every activity up to 30 and every path among them, so a token has an edge to follow
        pm = analyst.process_map(view, max_activities=30, path_share=1.0)
        replay = analyst.replay(
            view, max_cases=_bounded(params.get("cases", "300"), 10, 2000, "cases")
        )
        ctx.update(
            map=pm,
            replay=replay,
            dot=pm.to_dot("frequency"),
            replay_json=json.dumps(
                {
                    "cases": [[c.activities, c.offsets] for c in replay.cases],
                    "span": replay.span_seconds,
                    "start": replay.start,
                },
                separators=(",", ":"),
            ),
        )
    elif tab == "sla":
        attributes = view.dataset.manifest.case_attributes
        choice = A.sla_config(params.getlist, attributes=attributes)
        result = None if choice.config is None else analyst.sla(view, choice.config)
        ctx.update(
            sla=result,
            sla_config=choice.config,
            sla_options=choice.options,
            sla_default=choice.default,
            sla_attributes=attributes,
            chart=None if result is None else A.sla_chart(result),
        )
    elif tab == "conformance":
        ctx.update(_conformance_context(request, ws, view, params))
    elif tab == "breakdown":
        # offered: the attributes with few groups relative to cases (mining.breakdown_attributes)
        known = analyst.breakdown_attributes(view)
        offered = [a.name for a in known if a.suitable]
        by = params.get("by") or (offered[0] if offered else "")
        kpi = params.get("kpi") or "throughput_median_days"
        definition = mining.kpi_definition(kpi)
        ctx.update(
            attributes=offered,
            left_out=[a for a in known if not a.suitable],
            by=by,
            kpi=kpi,
            kpi_label=definition.label,
            kpi_defs=list(mining.KPI_DEFINITIONS.values()),
        )
        if by:
            result = analyst.breakdown(view, kpi=kpi, by=by)
            scale = 100.0 if definition.unit == "share" else 1.0
            ctx.update(
                breakdown=result,
                chart=A.bars_chart(
                    [
                        {"group": g.value, "value": round(g.kpi_value * scale, 2)}
                        for g in result.groups[:25]
                        if g.kpi_value is not None
                    ],
                    x="value",
                    y="group",
                    x_title=A.kpi_title(definition),
                    y_title=by,
                    description=f"{definition.label} by {by}",
                ),
            )
    else:
        raise NotFoundError(
            f"there is no assessment view '{tab}'", found=tab, expected=", ".join(A.ANALYSES)
        )
    return ctx


_BPMN_NAME = re.compile(r"^[0-9a-f]{16}$")
MAX_BPMN_BYTES = 5_000_000


def _bpmn_path(request: Request, workspace_id: str, key: str) -> Path:
    if not _BPMN_NAME.match(key):
        raise InputError(
            "the reference model is not one uploaded here",
            where=Location(field="model"),
            found=key,
            expected="'discovered' or the key of an uploaded BPMN file",
            fix="upload the BPMN file again from the Conformance tab",
        )
    return _uploads_dir(request, workspace_id) / "bpmn" / f"{key}.bpmn"


def _noise(params: Any) -> float:
    return _bounded(params.get("noise", "0.2"), 0.0, 1.0, "noise")


def _conformance_context(request: Request, ws: Any, view: Any, params: Any) -> dict[str, Any]:
    """The Conformance tab: the view checked against the discovered model (Inductive Miner,
    with the noise the slider sets) or against an uploaded BPMN file."""
    key = params.get("model") or "discovered"
    config = mining.ConformanceConfig(max_states=20_000)
    tree = None
    noise = _noise(params)
    if key == "discovered":
        tree = mining.discover_process_tree(
            view, config=mining.InductiveConfig(noise_threshold=noise)
        )
        net = tree.to_workflow_net(name=f"discovered model (noise {noise:g})")
        result = mining.conformance(view, net=net, config=config)
        dot = tree.to_dot()
        model_name = f"the discovered model (Inductive Miner, noise {noise:g})"
    else:
        path = _bpmn_path(request, ws.id, key)
        if not path.is_file():
            raise NotFoundError(
                "the uploaded BPMN file is no longer here",
                where=Location(field="model"),
                found=key,
                fix="upload the BPMN file again from the Conformance tab",
            )
        bpmn = mining.read_bpmn(path)
        result = mining.conformance(view, model=bpmn, config=config)
        dot = None
        model_name = f"the uploaded model '{bpmn.name or bpmn.process_id}'"
    return {
        "conformance": result,
        "tree": tree,
        "model_key": key,
        "model_name": model_name,
        "noise": noise,
        "dot": dot,
        "max_bpmn_mb": MAX_BPMN_BYTES // 1_000_000,
    }


def _section_config(params: Any, tab: str, activities: list[str]) -> Any:
    """The report's settings a section tab takes from its form (defaults otherwise)."""
    from civicflow.report import ReportConfig

    chosen: tuple[str, ...] = ()
    if tab == "spectrum":
        pair = (params.get("from_activity") or "", params.get("to_activity") or "")
        if any(pair):
            for field, name in zip(("from_activity", "to_activity"), pair, strict=True):
                if name not in activities:
                    raise InputError(
                        f"there is no activity '{name}' in this dataset",
                        where=Location(field=field),
                        found=name or "(nothing chosen)",
                        expected="an activity of the dataset",
                        fix="choose both activities from the lists",
                    )
            chosen = pair
    config = ReportConfig(time_freq=params.get("freq") or "week", spectrum_activities=chosen)
    config.check()  # the report's own check of the period
    return config


N = TypeVar("N", int, float)


def _bounded(raw: str, lo: N, hi: N, field: str) -> N:
    """``raw`` read as the type of ``lo`` (a whole number for int bounds), within [lo, hi]."""
    kind = type(lo)
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise InputError(
            f"'{raw}' is out of range",
            where=Location(field=field),
            found=raw,
            expected=f"a {'whole ' if kind is int else ''}number from {lo} to {hi}",
        )
    return value


@router.get("/w/{workspace_id}/assessment")
def assessment_page(
    request: Request,
    workspace_id: str,
    actor: WorkspaceReader,
    tab: Annotated[str, Query(pattern="^(" + "|".join(A.ANALYSES) + ")$")] = "map",
) -> Response:
    ws = _ws(request, actor, workspace_id)
    query = _query(request)

    def compute() -> dict[str, Any]:
        store = ws.store()
        context: dict[str, Any] = {"datasets": store.dataset_names(), "query": query, "tab": tab}
        if query.dataset:
            analyst = _analyst(request)
            view = analyst.view(actor, workspace_id, query)
            attributes = view.dataset.manifest.case_attributes
            choice = A.sla_config(request.query_params.getlist, attributes=attributes)
            context.update(
                manifest=view.dataset.manifest,
                sla_options=choice.options,
                sla_config=choice.config,
                sla_default=choice.default,
                kpis=analyst.kpis(view),
                activities=analyst.activities(view),
                tab_html=_tab_html(request, actor, ws, view, query, tab),
                **filter_panel(request, actor, workspace_id, query),
            )
        return context

    context = compute()
    return page(
        request,
        "assessment.html",
        actor,
        workspace=ws,
        nav="assessment",
        can_freeze=actor.can(P.BASELINE_WRITE, workspace_id),
        tabs=A.ANALYSES,
        tab_titles=A.TAB_TITLES,
        **context,
    )


@router.get("/w/{workspace_id}/assessment/view/{tab}")
def assessment_fragment(
    request: Request, workspace_id: str, tab: str, actor: WorkspaceReader
) -> Response:
    ws = _ws(request, actor, workspace_id)
    query = _query(request)

    def compute() -> str:
        view = _analyst(request).view(actor, workspace_id, query)
        return _tab_html(request, actor, ws, view, query, tab)

    return HTMLResponse(compute())


_TAB_OPTIONS = {
    "map": ("paths", "top"),
    "arrivals": ("freq",),
    "spectrum": ("from_activity", "to_activity"),
    "replay": ("cases",),
    "sla": A.SLA_KEYS,
    "breakdown": ("kpi", "by"),
    "conformance": ("model", "noise"),
}


def _tab_html(request: Request, actor: Any, ws: Any, view: Any, query: A.Query, tab: str) -> str:
    """A tab's fragment, rendered once per (data, filter, options) and then served from the cache:
    fragments hold nothing personal (no names, no CSRF token), so every reader can share them."""
    if tab not in A.ANALYSES:
        raise NotFoundError(
            f"there is no assessment view '{tab}'", found=tab, expected=", ".join(A.ANALYSES)
        )
    options = tuple(tuple(request.query_params.getlist(k)) for k in _TAB_OPTIONS.get(tab, ()))
    key = (view.cache_key, "html", ws.id, tab, query.params, options)

    def render() -> str:
        # rendered with autoescape like every template; the page then includes it as is
        context = _tab_context(request, actor, ws, query, tab)
        template = request.app.state.templates.get_template(f"_tab_{tab}.html")
        return str(template.render(request=request, workspace=ws, **context))

    return _analyst(request).cache.get_or_compute(key, render, uses_engine=False)  # type: ignore[no-any-return]


@router.post("/w/{workspace_id}/assessment/conformance/model")
async def upload_reference(request: Request, workspace_id: str, actor: WorkspaceReader) -> Response:
    """A BPMN reference for the Conformance tab: checked here (bad XML or an unsupported model
    is a clear error, nothing kept), stored under its content hash, then the tab shows it."""
    await run_in_threadpool(_ws, request, actor, workspace_id)
    form = await request.form()
    upload = form.get("bpmn")
    back = str(form.get("qs") or "")
    data = b""
    if upload is not None and not isinstance(upload, str):
        data = await upload.read(MAX_BPMN_BYTES + 1)
    if not data:
        raise InputError(
            "no BPMN file was chosen",
            where=Location(field="bpmn"),
            expected="a BPMN 2.0 XML file exported from a modeller",
            fix="choose the file, then press 'Check against this model'",
        )
    if len(data) > MAX_BPMN_BYTES:
        raise InputError(
            "the BPMN file is too large",
            where=Location(field="bpmn"),
            found=f"more than {MAX_BPMN_BYTES:,} bytes",
            expected=f"at most {MAX_BPMN_BYTES // 1_000_000} MB",
            fix="export the process alone, without embedded images",
        )
    key = hashlib.sha256(data).hexdigest()[:16]
    path = _bpmn_path(request, workspace_id, key)

    def check() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        try:
            mining.workflow_net(mining.read_bpmn(tmp))
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        tmp.replace(path)

    await run_in_threadpool(check)
    sep = "&" if back else ""
    return RedirectResponse(
        f"/w/{workspace_id}/assessment?{back}{sep}tab=conformance&model={key}", status_code=303
    )


@router.get("/w/{workspace_id}/assessment/discovered.bpmn")
def discovered_bpmn(request: Request, workspace_id: str, actor: WorkspaceReader) -> Response:
    """The discovered model (Inductive Miner on the filtered view) as BPMN 2.0 with a diagram."""
    ws = _ws(request, actor, workspace_id)
    query = _query(request)
    view = _analyst(request).view(actor, ws.id, query)
    noise = _noise(request.query_params)
    tree = mining.discover_process_tree(view, config=mining.InductiveConfig(noise_threshold=noise))
    name = query.dataset or "dataset"
    xml = tree.to_bpmn(process_id="discovered", name=f"{name} (discovered)")
    return Response(
        xml,
        media_type="application/xml",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}-discovered.bpmn"
        },
    )


@router.post("/w/{workspace_id}/baselines")
def freeze(
    request: Request,
    workspace_id: str,
    actor: BaselineWriter,
    baseline_name: Annotated[str, Form(max_length=64)],
    deadline_attribute: Annotated[str, Form(max_length=200)] = "",
    sla_days: Annotated[str, Form(max_length=32)] = "",
    target: Annotated[str, Form(max_length=32)] = "",
    working_hours: Annotated[str, Form(max_length=32)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
    holidays: Annotated[str, Form(max_length=8)] = "",
    subdivision: Annotated[str, Form(max_length=16)] = "",
    end_activity: Annotated[list[str] | None, Form(max_length=200)] = None,
) -> Response:
    from civicflow.app import assessment

    ws = _ws(request, actor, workspace_id)
    query = _query(request)
    # the form's SLA fields are the options of every door (mining.SLA_OPTIONS), read as the SLA
    # tab reads them: none given is the dataset's default SLA (applied by freeze_baseline)
    form = {
        "deadline_attribute": [deadline_attribute], "sla_days": [sla_days], "target": [target],
        "working_hours": [working_hours], "timezone": [timezone], "holidays": [holidays],
        "subdivision": [subdivision], "end_activity": list(end_activity or []),
    }  # fmt: skip

    def run_freeze() -> Any:
        # on the application's analytics engine, under its one lock (taken by freeze_baseline)
        return assessment.freeze_baseline(
            request.app.state.ctx,
            actor=actor,
            workspace_id=workspace_id,
            dataset_name=query.dataset,
            baseline_name=baseline_name.strip(),
            filter=query.filter,
            kpis=None,
            sla=sla,
        )

    try:
        sla = A.sla_config(lambda k: form.get(k, [])).options
        baseline = run_freeze()
    except CivicflowError as exc:
        return page(
            request,
            "_baseline_result.html",
            actor,
            status=422,
            workspace=ws,
            error=exc.to_dict(),
            baseline=None,
        )
    if not is_htmx(request):
        # a plain form post: back to the assessment, where the notice confirms the freeze
        flash(request, f"Baseline '{baseline.name}' frozen on {baseline.cases:,} cases.")
        return RedirectResponse(f"/w/{workspace_id}/assessment?{query.qs()}", status_code=303)
    return page(
        request,
        "_baseline_result.html",
        actor,
        workspace=ws,
        baseline=baseline,
        can_objective=actor.can(P.PROGRAMME_WRITE, workspace_id),
    )


@router.get("/w/{workspace_id}/assessment/export/{tab}.{fmt}")
def export(
    request: Request, workspace_id: str, tab: str, fmt: str, actor: WorkspaceReader
) -> Response:
    if fmt not in {"csv", "json"} or tab not in A.ANALYSES:
        raise NotFoundError(
            "no such export", found=f"{tab}.{fmt}", expected="<view>.csv or <view>.json"
        )
    ws = _ws(request, actor, workspace_id)
    query = _query(request)
    ctx = _tab_context(request, actor, ws, query, tab)
    if ctx.get("section") is not None:
        return _export_section(ctx["section"], fmt, f"{query.dataset}-{tab}.{fmt}")
    result = ctx.get({"map": "map"}.get(tab, tab))
    if result is None:
        raise NotFoundError(
            "nothing to export for this view", found=tab, fix="choose the parameters first"
        )
    filename = f"{query.dataset}-{tab}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "json":
        body = json.dumps(result.to_dict(), default=str, indent=2)
        return Response(body, media_type="application/json", headers=headers)
    frame = result.edges_frame if tab == "map" else getattr(result, "frame", None)
    if frame is None:
        frame = getattr(result, "case_outcomes", None)
    buffer = io.StringIO()
    if frame is not None:
        # activity names, attributes and case ids come from uploaded data: formula-safe cells
        cells = frame.astype(object).where(frame.notna(), None)
        write_csv(
            buffer,
            header=[str(c) for c in frame.columns],
            rows=cells.itertuples(index=False, name=None),
        )
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _export_section(section: Any, fmt: str, filename: str) -> Response:
    """A section tab's export: the section as JSON, or its main table (a chart's data first) as
    CSV, formula-safe."""
    import dataclasses

    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "json":
        body = json.dumps(dataclasses.asdict(section), default=str, indent=2)
        return Response(body, media_type="application/json", headers=headers)
    tables = [
        *(c.table for c in section.charts if c.table is not None),
        *(g.table for g in section.graphs if g.table is not None),
        *section.tables,
    ]
    buffer = io.StringIO()
    if tables:
        write_csv(buffer, header=list(tables[0].columns), rows=tables[0].rows)
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/w/{workspace_id}/assessment/report.html")
def report(request: Request, workspace_id: str, actor: WorkspaceReader) -> Response:
    from civicflow.app import allocation, assessment, forecasts, governance, people, privacy
    from civicflow.app import business_case as bc
    from civicflow.app import fairness as af
    from civicflow.report import ReportConfig, build_report

    _ws(request, actor, workspace_id)  # a workspace the actor may not see is not found
    query = _query(request)
    view = _analyst(request).view(actor, workspace_id, query)
    folder = Path(tempfile.mkdtemp(prefix="civicflow-report-"))
    out = folder / f"{query.dataset}-assessment.html"
    ctx = request.app.state.ctx
    cases = bc.report_section(ctx, actor=actor, workspace_id=workspace_id)
    ranked = bc.rank_opportunities(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=query.dataset,
        filter=query.filter,
    )  # fmt: skip
    opportunities = bc.opportunities_report_section(ranked)
    fairness = af.report_section(ctx, actor=actor, workspace_id=workspace_id)
    demand = forecasts.report_section(ctx, actor=actor, workspace_id=workspace_id)
    allocations = allocation.report_section(ctx, actor=actor, workspace_id=workspace_id)
    protection = privacy.report_section(ctx, actor=actor, workspace_id=workspace_id)
    governed = governance.report_section(ctx, actor=actor, workspace_id=workspace_id)
    # the report's analyses run on the application's engine: under its one lock
    with assessment.engine_lock(ctx):
        staff = people.report_section(ctx, actor=actor, workspace_id=workspace_id, view=view)
        extra = (opportunities, cases, fairness, governed, demand, allocations, protection, staff)
        config = ReportConfig(extra_sections=tuple(s for s in extra if s is not None))
        build_report(view=view, out=out, config=config)

    def cleanup() -> None:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)

    return FileResponse(
        out,
        media_type="text/html",
        filename=out.name,
        background=BackgroundTask(cleanup),
        content_disposition_type="attachment",
    )
