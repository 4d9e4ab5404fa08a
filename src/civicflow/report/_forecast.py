"""Forecasts in the report: the "Demand forecasts" section — each named forecast at its latest
version, how many series it covers and how far ahead, the models cross-validation chose, and its
accuracy on held-out periods beside seasonal naive (the yardstick a forecast has to beat).

Like the allocation section, this reads stored JSON (``StoredForecast.to_dict()``): the report
layer does not import the forecasting domain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from civicflow.mining import format_share
from civicflow.report._model import Figure, Section, Table


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:,.2f}"


def _share(x: float | None) -> str:
    return "—" if x is None else format_share(x)


def forecast_section(forecasts: Sequence[Mapping[str, Any]]) -> Section | None:
    """The report's "Demand forecasts" section from the latest version of each named forecast
    (newest first), or None without forecasts."""
    if not forecasts:
        return None
    rows = []
    findings = []
    for f in forecasts:
        result = f.get("result") or {}
        summary = (result.get("accuracy") or {}).get("summary") or {}
        models = Counter(str(c.get("model")) for c in result.get("choices", []))
        chosen = ", ".join(f"{m} ×{n}" for m, n in models.most_common(3)) or "—"
        coverage = summary.get("coverage") or {}
        level = max(coverage, key=lambda k: float(k)) if coverage else None
        horizon = (f.get("config") or {}).get("forecast", {}).get("horizon")
        rows.append((
            str(f["name"]), str(f["version"]), str(f.get("source", "")),
            str(len(result.get("choices", []))), "—" if horizon is None else str(horizon), chosen,
            _num(summary.get("mase")), _num(summary.get("naive_mase")),
            _share(summary.get("beats_naive_share")),
            "—" if level is None else f"{_share(coverage[level])} of {level} %",
        ))  # fmt: skip
        mase, naive = summary.get("mase"), summary.get("naive_mase")
        if mase is not None and naive is not None and mase >= naive:
            findings.append(
                f"{f['name']} (version {f['version']}): on held-out periods its forecasts are no "
                f"better than seasonal naive (MASE {mase:.2f} against {naive:.2f}); plan with the "
                "intervals, not the point forecast."
            )
    return Section(
        id="forecasts",
        title="Demand forecasts",
        intro="Demand per period forecast from the datasets' arrivals or from tables: for each "
        "series the model chosen by rolling-origin cross-validation, and the accuracy on periods "
        "held out from fitting — the mean absolute scaled error (MASE; below 1 beats a naive "
        "forecast of the last season) beside seasonal naive's, the share of series where the "
        "forecast beats it, and how often the outcome fell inside the widest interval.",
        figures=(
            Figure(
                label="Forecasts",
                value=str(len(forecasts)),
                definition="named forecasts, latest versions",
            ),
        ),
        findings=tuple(findings),
        tables=(
            Table(
                caption="Forecasts (latest versions) and their accuracy on held-out periods",
                columns=(
                    "Forecast",
                    "Version",
                    "Source",
                    "Series",
                    "Horizon",
                    "Models chosen",
                    "MASE",
                    "MASE, seasonal naive",
                    "Beats naive",
                    "Interval coverage",
                ),
                rows=tuple(rows),
                numeric=frozenset({1, 3, 4, 6, 7, 8}),
            ),
        ),
    )
