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
    # a horizontal chart's long labels would collide with a rotated axis title; the chart title
    # and the text alternative already name the category
    cat = {
        "field": category,
        "type": "nominal",
        "sort": order,
        "title": None if horizontal else category_title,
    }
    num = {
        "field": measure,
        "type": "quantitative",
        "title": measure_title,
        # counts must not get fractional ticks such as 0, 0, 1, 1 on a small log
        "axis": {
            "format": measure_format,
            **({"tickMinStep": 1} if measure_format == ",d" else {}),
        },
    }
    spec["mark"] = {"type": "bar", "color": ACCENT, "tooltip": True}
    spec["encoding"] = {"y": cat, "x": num} if horizontal else {"x": cat, "y": num}
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
    style: dict[str, Any] = {"color": ACCENT} if series is None else {}
    if mark == "line":
        style["point"] = len(values) <= 60
    spec["mark"] = {"type": mark, "tooltip": True, **style}
    # few periods read best as one labelled band each; many as a continuous time axis
    x: dict[str, Any] = (
        {"field": time, "type": "ordinal", "title": None, "axis": {"labelAngle": -40}}
        if len(values) <= 60
        else {"field": time, "type": "temporal", "title": None}
    )
    encoding: dict[str, Any] = {
        "x": x,
        "y": {
            "field": measure,
            "type": "quantitative",
            "title": measure_title,
            "axis": {"tickMinStep": 1},
        },
    }
    if series is not None:
        encoding["color"] = {"field": series, "type": "nominal", "title": None}
    spec["encoding"] = encoding
    return spec


def binned_bars(
    *,
    title: str,
    values: list[dict[str, Any]],
    low: str,
    high: str,
    measure: str,
    axis_title: str,
) -> dict[str, Any]:
    """A histogram whose bins the analysis already computed (the engine did the counting)."""
    spec = _base(title, values)
    spec["mark"] = {"type": "bar", "color": ACCENT, "tooltip": True, "binSpacing": 1}
    spec["encoding"] = {
        "x": {"field": low, "type": "quantitative", "bin": {"binned": True}, "title": axis_title},
        "x2": {"field": high},
        "y": {"field": measure, "type": "quantitative", "title": "cases"},
    }
    return spec


def dotted_chart(
    *, title: str, values: list[dict[str, Any]], activities: list[str]
) -> dict[str, Any]:
    """One dot per event: x its time, y its case's row (earliest-starting case on top), colour
    its activity (the legend in ``activities`` order, most frequent first)."""
    rows = max((int(v["row"]) for v in values), default=0) + 1
    spec = _base(title, values, height=max(160, min(3 * rows, 600)))
    spec["mark"] = {"type": "circle", "size": 14, "opacity": 0.85, "tooltip": True}
    spec["encoding"] = {
        "x": {"field": "timestamp", "type": "temporal", "title": None},
        "y": {
            "field": "row",
            "type": "quantitative",
            "title": "cases, by start (earliest on top)",
            "scale": {"reverse": True, "nice": False, "zero": True},
            "axis": {"labels": False, "ticks": False, "grid": False},
        },
        "color": {
            "field": "activity",
            "type": "nominal",
            "sort": activities,
            "scale": {"scheme": "tableau20"},
            "legend": {"title": "activity", "labelLimit": 220, "symbolLimit": 40},
        },
        "tooltip": [
            {"field": "case_id", "title": "case"},
            {"field": "activity"},
            {"field": "timestamp", "type": "temporal", "format": "%Y-%m-%d %H:%M"},
        ],
    }
    return spec


SPECTRUM_COLOURS = ("#1a9850", "#91bfdb", "#fc8d59", "#b2182b")
"""Fastest to slowest quartile."""


def spectrum(
    *, title: str, values: list[dict[str, Any]], activities: list[str], classes: list[str]
) -> dict[str, Any]:
    """One segment per occurrence and step: from (time at step i, lane i) to (time at step i+1,
    lane i+1); lanes are the sequence's activities, top to bottom; colour is the duration class."""
    spec = _base(title, values, height=max(160, 110 * (len(activities) - 1)))
    names = "[" + ",".join(_js_string(a) for a in activities) + "]"
    spec["mark"] = {"type": "rule", "strokeWidth": 1, "opacity": 0.6, "tooltip": True}
    spec["encoding"] = {
        "x": {"field": "start", "type": "temporal", "title": None},
        "x2": {"field": "end"},
        "y": {
            "field": "lane",
            "type": "quantitative",
            "title": None,
            "scale": {"domain": [0, len(activities) - 1], "reverse": True, "nice": False},
            "axis": {
                "values": list(range(len(activities))),
                "labelExpr": f"{names}[datum.value]",
                "grid": True,
                "labelLimit": 200,
            },
        },
        "y2": {"field": "next_lane"},
        "color": {
            "field": "class",
            "type": "ordinal",
            "sort": classes,
            "scale": {"domain": classes, "range": list(SPECTRUM_COLOURS)},
            "legend": {"title": "duration"},
        },
        "tooltip": [
            {"field": "case_id", "title": "case"},
            {"field": "duration"},
            {"field": "class", "title": "quartile"},
        ],
    }
    return spec


def _js_string(text: str) -> str:
    import json

    return json.dumps(text)


SERIES_COLOURS = ["#1d4f91", "#d4351c", "#6f777b", "#00703c", "#f47738", "#4c2c92"]
"""Series colours (GOV.UK palette: blue, red, grey, green, orange, purple), each 3:1 or more on
white."""


def grouped_bars(
    *,
    title: str,
    values: list[dict[str, Any]],
    category: str,
    series: str,
    measure: str,
    category_title: str,
    measure_title: str,
    measure_format: str = ",.2f",
    horizontal: bool = False,
) -> dict[str, Any]:
    """Bars of several series side by side per category (e.g. real, simulated and replayed), in
    the order of ``values``: one row per (category, series)."""
    categories = list(dict.fromkeys(v[category] for v in values))
    names = list(dict.fromkeys(v[series] for v in values))
    size = max(120, min(14 * len(categories) * len(names), 560)) if horizontal else 240
    spec = _base(title, values, height=size)
    cat = {
        "field": category,
        "type": "nominal",
        "sort": categories,
        "title": None if horizontal else category_title,
        "axis": {"labelAngle": 0 if horizontal or len(categories) <= 12 else -45},
    }
    num = {
        "field": measure,
        "type": "quantitative",
        "title": measure_title,
        "axis": {"format": measure_format},
    }
    offset = "yOffset" if horizontal else "xOffset"
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        ("y" if horizontal else "x"): cat,
        ("x" if horizontal else "y"): num,
        offset: {"field": series, "type": "nominal", "sort": names},
        "color": {
            "field": series,
            "type": "nominal",
            "sort": names,
            "title": None,
            "scale": {"domain": names, "range": SERIES_COLOURS[: len(names)]},
            "legend": {"orient": "top"},
        },
    }
    return spec
