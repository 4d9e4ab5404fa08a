"""Vega-Lite specs for the report's charts: data inlined, sized for a page, readable in print."""

from __future__ import annotations

from typing import Any

_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# the $schema URL is only an identifier: vega-embed never fetches it

ACCENT = "#1d4f91"
"""Dark blue: 8.6:1 contrast on white (WCAG AA needs 4.5:1 for text, 3:1 for graphics)."""


def _base(title: str, values: list[dict[str, Any]], *, height: int = 220) -> dict[str, Any]:
    return {
        "$schema": _SCHEMA,
        "title": title,
        "data": {"values": values},
        "width": "container",
        "height": height,
        "config": {
            "font": "system-ui, sans-serif",
            "axis": {"labelColor": "#222", "titleColor": "#222", "labelLimit": 260},
            "title": {"color": "#111", "fontSize": 14},
            "view": {"stroke": None},
        },
    }


def bar_chart(
    *,
    title: str,
    values: list[dict[str, Any]],
    category: str,
    measure: str,
    category_title: str,
    measure_title: str,
    measure_format: str = ",d",
    horizontal: bool = True,
) -> dict[str, Any]:
    """Bars in the order of ``values`` (already ranked by the analysis)."""
    spec = _base(title, values, height=max(120, min(22 * len(values), 520)))
    order = [v[category] for v in values]
    cat = {"field": category, "type": "nominal", "sort": order, "title": category_title}
    num = {
        "field": measure,
        "type": "quantitative",
        "title": measure_title,
        "axis": {"format": measure_format},
    }
    spec["mark"] = {"type": "bar", "color": ACCENT, "tooltip": True}
    spec["encoding"] = {"y": cat, "x": num} if horizontal else {"x": cat, "y": num}
    return spec


def histogram(
    *,
    title: str,
    values: list[dict[str, Any]],
    field: str,
    field_title: str,
    maxbins: int = 40,
) -> dict[str, Any]:
    spec = _base(title, values)
    spec["mark"] = {"type": "bar", "color": ACCENT, "tooltip": True}
    spec["encoding"] = {
        "x": {
            "field": field,
            "type": "quantitative",
            "bin": {"maxbins": maxbins},
            "title": field_title,
        },
        "y": {"aggregate": "count", "type": "quantitative", "title": "cases"},
    }
    return spec


def time_series(
    *,
    title: str,
    values: list[dict[str, Any]],
    time: str,
    measure: str,
    measure_title: str,
    mark: str = "line",
    series: str | None = None,
) -> dict[str, Any]:
    spec = _base(title, values)
    spec["mark"] = {"type": mark, "tooltip": True, **({"color": ACCENT} if series is None else {})}
    encoding: dict[str, Any] = {
        "x": {"field": time, "type": "temporal", "title": None},
        "y": {"field": measure, "type": "quantitative", "title": measure_title},
    }
    if series is not None:
        encoding["color"] = {"field": series, "type": "nominal", "title": None}
    spec["encoding"] = encoding
    return spec
