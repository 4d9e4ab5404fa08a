"""The Forecasts pages: the workspace's stored forecasts (every version, with their accuracy
against seasonal naive) and one forecast: a chart of a series' history, forecast and intervals,
the series to pick, and the accuracy on held-out periods per series.

Forecasts run through ``civicflow.app.forecasts`` (role check and ledger) from the command line
(``civicflow forecast``); this module only reads and renders.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicflow.app import forecasts as af
from civicflow.web._pages import page
from civicflow.web._permissions import AppCtx, WorkspaceReader

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


@router.get("/w/{workspace_id}/forecasts")
def forecasts_page(
    request: Request, ctx: AppCtx, workspace_id: str, actor: WorkspaceReader
) -> Response:
    from civicflow.app import workspaces

    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    stored = af.list_forecasts(ctx, actor=actor, workspace_id=workspace_id)
    return page(
        request, "forecasts.html", actor, workspace=workspace, nav="forecasts",
        forecasts=[f.summary() for f in stored],
    )  # fmt: skip


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
