"""The Forecasts pages: the workspace's stored forecasts (every version, with their accuracy
against seasonal naive) and one forecast: a chart of a series' history, forecast and intervals,
the series to pick, and the accuracy on held-out periods per series.

Forecasts run from the form on the Forecasts page as a background job with progress (the
workbench's job runner, web/_jobs.py) or from the command line (``civicflow forecast``), both
through ``civicflow.app.forecasts`` (role check and ledger); this module reads forms, starts jobs
and renders.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from civicflow.app import Actor, AppContext, Permission
from civicflow.app import forecasts as af
from civicflow.core import CivicflowError, InputError, Location
from civicflow.web._deps import PostedForm, form_number, form_text
from civicflow.web._jobs import job_page, jobs
from civicflow.web._pages import page
from civicflow.web._permissions import AppCtx, ForecastWriter, WorkspaceReader
from civicflow.web._upload import save_upload

router = APIRouter(include_in_schema=False)

ACCENT = "#1d70b8"
HISTORY_SHOWN = 156
"""Most past periods drawn before the forecast (three years of weeks)."""


def forecast_chart(result: dict[str, Any], key: str, *, level: int) -> dict[str, Any]:
    """A Vega-Lite spec: the series' recent history (line), the forecast (dashed line) and its
    ``level`` % interval (band)."""
    history = result.get("history", {}).get(key, {"periods": [], "values": []})
    past = [
        {"period": p, "value": v, "kind": "history"}
        for p, v in list(zip(history["periods"], history["values"], strict=True))[-HISTORY_SHOWN:]
        if v is not None
    ]
    future = [
        {"period": r["period"], "value": r["mean"], "lo": r.get(f"lo_{level}"),
         "hi": r.get(f"hi_{level}"), "kind": "forecast"}
        for r in result.get("forecasts", []) if r["series"] == key
    ]  # fmt: skip
    x = {"field": "period", "type": "temporal", "title": None}
    y = {"field": "value", "type": "quantitative", "title": "per period"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": f"{key}: history and forecast with the {level} % interval",
        "width": "container",
        "height": 280,
        "layer": [
            {
                "data": {"values": future},
                "mark": {"type": "area", "opacity": 0.25, "color": ACCENT},
                "encoding": {"x": x, "y": {**y, "field": "lo"}, "y2": {"field": "hi"}},
            },
            {
                "data": {"values": past},
                "mark": {"type": "line", "color": "#505a5f", "tooltip": True},
                "encoding": {"x": x, "y": y},
            },
            {
                "data": {"values": future},
                "mark": {
                    "type": "line",
                    "color": ACCENT,
                    "strokeDash": [6, 3],
                    "point": True,
                    "tooltip": True,
                },
                "encoding": {"x": x, "y": y},
            },
        ],
    }


FORM_FIELDS = {
    "name": "fc-name", "dataset": "fc-dataset", "table_file": "fc-table-file",
    "source": "fc-dataset", "freq": "fc-freq", "by": "fc-by", "horizon": "fc-horizon",
    "models": "fc-models-ets", "period": "fc-period", "value": "fc-value",
    "series": "fc-series-column", "gaps": "fc-gaps", "cv_windows": "fc-cv-windows",
}  # fmt: skip
"""Form field → input id, for the error summary's links (a configuration error names the
configuration's field, which is the form's)."""


def _overview(
    request: Request,
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    from civicflow.app import assessment, workspaces
    from civicflow.forecasting import FREQS, MODELS

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    stored = af.list_forecasts(ctx, actor=actor, workspace_id=workspace_id)
    datasets = [
        d.name for d in assessment.list_datasets(ctx, actor=actor, workspace_id=workspace_id)
    ]
    return page(
        request, "forecasts.html", actor, status=422 if error else 200, workspace=workspace,
        nav="forecasts", forecasts=[f.summary() for f in stored], datasets=datasets,
        can_write=actor.can(Permission.FORECAST_WRITE, workspace_id), freqs=FREQS,
        models=MODELS, error=error, values=values or {}, field_ids=FORM_FIELDS,
    )  # fmt: skip


@router.get("/w/{workspace_id}/forecasts")
def forecasts_page(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    return _overview(request, ctx, actor, workspace_id)


@router.post("/w/{workspace_id}/forecasts")
def forecast_run(
    request: Request, ctx: AppCtx, workspace_id: str, actor: ForecastWriter, form: PostedForm
) -> Response:
    """Forecast from the form as a background job: a dataset's new cases per period (grouped by
    case attributes) or an uploaded table of series, with the horizon and the models chosen."""
    from civicflow.forecasting import DatasetSeriesConfig, ForecastConfig, TableSeriesConfig

    values: dict[str, Any] = {k: form_text(form, k) for k in form if isinstance(form.get(k), str)}
    chosen = [m for m in form.getlist("models") if isinstance(m, str) and m]
    values["models"] = chosen
    tmp = Path(tempfile.mkdtemp(prefix="civicflow-forecast-"))
    try:
        dataset = form_text(form, "dataset")
        table = save_upload(form, "table_file", tmp, what="series table")
        if (table is None) == (not dataset):
            raise InputError(
                "a forecast needs one source: a dataset or a table",
                where=Location(field="dataset"),
                found="both" if table is not None else "neither",
                expected="a dataset chosen, or a CSV/Parquet table of series uploaded",
                fix="choose a dataset, or upload a table (not both)",
            )
        freq = form_text(form, "freq") or "week"
        config = ForecastConfig(
            horizon=form_number(form, "horizon", kind=int, default=13),
            models=tuple(chosen),  # type: ignore[arg-type]
            cv_windows=form_number(form, "cv_windows", kind=int, default=2),
        )
        name = form_text(form, "name") or None
        by = tuple(p.strip() for p in form_text(form, "by").split(",") if p.strip())
        if table is None:
            known = [d.name for d in _datasets(ctx, actor, workspace_id)]
            if dataset not in known:
                raise InputError(
                    f"there is no dataset '{dataset}' in this workspace",
                    where=Location(field="dataset"),
                    found=dataset,
                    expected="one of: " + (", ".join(known) or "(no datasets yet)"),
                    fix="pick a dataset",
                )
            series_config = DatasetSeriesConfig(freq=freq, by=by)  # type: ignore[arg-type]
            source_text = f"dataset '{dataset}'"
        else:
            table_config = TableSeriesConfig(
                period=form_text(form, "period") or "period",
                value=form_text(form, "value") or "value",
                series=form_text(form, "series") or "series", by=by,
                freq=freq,  # type: ignore[arg-type]
                gaps=form_text(form, "gaps") or "error",  # type: ignore[arg-type]
            )  # fmt: skip
            upload = form.get("table_file")
            source_text = f"table '{getattr(upload, 'filename', 'table')}'"
            # the table is recorded by its uploaded name (made safe), with the suffix read by
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(str(getattr(upload, "filename", ""))).stem)
            kept = tmp / ((stem.strip("._-")[:60] or "table") + table.suffix)
            table.rename(kept)
            table = kept
    except CivicflowError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        return _overview(request, ctx, actor, workspace_id, error=exc.to_dict(), values=values)

    def work(progress: Any) -> Any:
        try:
            stored, _ = af.run_forecast(
                ctx, actor=actor, workspace_id=workspace_id, config=config,
                dataset_name=dataset if table is None else None,
                series_config=series_config if table is None else None,
                table=table, table_config=table_config if table is not None else None,
                name=name, reason="run on the Forecasts page", progress=progress,
            )  # fmt: skip
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return stored

    job = jobs(request).start(
        workspace_id, f"Forecasting {source_text}", work, section="forecasts",
        section_title="Forecasts", counting="series done",
        result_url=lambda stored: f"/w/{workspace_id}/forecasts/{stored.id}",
    )  # fmt: skip
    return RedirectResponse(job.url, status_code=303)


def _datasets(ctx: AppContext, actor: Actor, workspace_id: str) -> list[Any]:
    from civicflow.app import assessment

    return list(assessment.list_datasets(ctx, actor=actor, workspace_id=workspace_id))


@router.get("/w/{workspace_id}/forecasts/jobs/{job_id}")
def forecast_job(
    request: Request, ctx: AppCtx, workspace_id: str, job_id: str, actor: WorkspaceReader
) -> Response:
    return job_page(request, ctx, actor, workspace_id, job_id, "forecasts")


@router.get("/w/{workspace_id}/forecasts/{forecast_id}")
def forecast_page(
    request: Request, ctx: AppCtx, workspace_id: str, forecast_id: str, actor: WorkspaceReader
) -> Response:
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    stored = af.get_forecast(ctx, actor=actor, workspace_id=workspace_id, forecast_id=forecast_id)
    result = stored.result
    keys = [c["series"] for c in result.get("choices", [])]
    key = request.query_params.get("series", "")
    if key not in keys:
        key = keys[0] if keys else ""
    levels = stored.config.get("forecast", {}).get("levels") or [80]
    level = int(levels[0])
    chart = forecast_chart(result, key, level=level)
    accuracy = result.get("accuracy") or {}
    rows = [r for r in result.get("forecasts", []) if r["series"] == key]
    return page(
        request, "forecast.html", actor, workspace=workspace, nav="forecasts", forecast=stored,
        keys=keys, key=key, level=level, rows=rows,
        charts=[{**chart, "description": chart["title"]}],
        accuracy=accuracy.get("series", []), summary=accuracy.get("summary"),
        choices=result.get("choices", []),
    )  # fmt: skip
