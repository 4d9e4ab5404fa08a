"""The dashboard's small charts: one Vega-Lite sparkline per KPI trend, with the objective's
baseline and target as rules, each with a sentence that says the same for screen readers."""

from __future__ import annotations

from typing import Any

from civicflow import mining
from civicflow.app.dashboard import KpiTrend

STATUS_LABELS = {
    "achieved": ("achieved", "green"),
    "on_track": ("on track", "blue"),
    "off_track": ("off track", "red"),
    "not_measured": ("not measured yet", "grey"),
}
"""Status -> (words, GOV.UK tag colour)."""

# GOV.UK Frontend's palette (its custom properties), so charts match the page
_LINE = "#1d70b8"
_TARGET = "#0f7a52"
_BASELINE = "#484949"


def fmt(value: float | None, unit: str) -> str:
    """A KPI value as every page shows it (the mining formatters)."""
    return mining.format_kpi_value(value, unit)


def describe(trend: KpiTrend) -> str:
    """The chart in one sentence: what a sighted reader takes from it."""
    values = [p.value for p in trend.points]
    first, last = fmt(values[0], trend.unit), fmt(values[-1], trend.unit)
    text = f"{trend.label}: "
    if trend.objective is not None:
        o = trend.objective
        text += f"baseline {first}, latest {last}, target {fmt(o.target_value, trend.unit)} by "
        text += f"{o.due_date.isoformat()}"
        if trend.status:
            text += f"; {STATUS_LABELS[trend.status][0]}"
    elif len(values) == 1:
        text += f"{first} in the one baseline"
    else:
        text += f"{first} in the first of {len(values)} baselines, {last} in the latest"
    return text + "."


def trend_chart(trend: KpiTrend) -> dict[str, Any]:
    """A sparkline of the trend's points; an objective's baseline and target as dashed rules."""
    share = trend.unit == "share"
    rows = [{"at": p.at, "value": p.value, "source": p.source} for p in trend.points]
    value_axis: dict[str, Any] = {
        "title": None,
        "tickCount": 3,
        "grid": False,
        "labelFontSize": 10,
        **({"format": ".0%"} if share else {}),
    }
    line = {
        "mark": {"type": "line", "point": {"size": 40, "filled": True}, "color": _LINE},
        "encoding": {
            "x": {"field": "at", "type": "temporal", "axis": None},
            "y": {
                "field": "value",
                "type": "quantitative",
                "axis": value_axis,
                "scale": {"zero": False},
            },
            "tooltip": [
                {"field": "at", "type": "temporal", "title": "When", "format": "%Y-%m-%d"},
                {
                    "field": "value",
                    "type": "quantitative",
                    "title": trend.label,
                    **({"format": ".1%"} if share else {"format": ",.2f"}),
                },
                {"field": "source", "title": "From"},
            ],
        },
    }
    layers: list[dict[str, Any]] = [line]
    if trend.objective is not None:
        o = trend.objective
        for value, colour, label in (
            (o.baseline_value, _BASELINE, "baseline"),
            (o.target_value, _TARGET, "target"),
        ):
            layers.append(
                {
                    "data": {"values": [{"y": value, "what": label}]},
                    "mark": {"type": "rule", "strokeDash": [4, 3], "color": colour},
                    "encoding": {"y": {"field": "y", "type": "quantitative"}},
                }
            )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": describe(trend),
        "data": {"values": rows},
        # a fixed size: a chart in a tab panel hidden at first has no container width to take
        "width": 220,
        "height": 60,
        "padding": 2,
        "config": {"view": {"stroke": None}},
        "layer": layers,
    }


def trend_view(trend: KpiTrend) -> dict[str, Any]:
    """What the template shows for one trend: chart, figures, status tag."""
    o = trend.objective
    view: dict[str, Any] = {
        "trend": trend,
        "chart": trend_chart(trend),
        "first": fmt(trend.points[0].value, trend.unit),
        "latest": fmt(trend.latest, trend.unit),
        "target": fmt(o.target_value, trend.unit) if o is not None else None,
        "status": STATUS_LABELS[trend.status] if trend.status else None,
    }
    return view
