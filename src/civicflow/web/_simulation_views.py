"""What the Simulation pages show of a validation or a comparison: table rows with the numbers
formatted, and Vega-Lite charts (real, model and past replayed side by side; scenarios side by
side)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from civicflow.mining import format_duration, format_number, format_share
from civicflow.planning import Estimate, ScenarioComparison, ValidationReport
from civicflow.report import grouped_bars

SERIES = ("Real", "Model", "Past replayed")


def _chart(spec: dict[str, Any], description: str) -> dict[str, Any]:
    return {**spec, "description": description}


def validation_view(report: ValidationReport) -> dict[str, Any]:
    charts = []
    for d in report.distributions:
        values = [
            {"bin": b, "series": name, "value": v}
            for i, b in enumerate(d.bins)
            for name, v in zip(SERIES, (d.real[i], d.simulated[i], d.naive[i]), strict=True)
        ]
        share = d.unit not in ("cases", "per case")
        charts.append(
            _chart(
                grouped_bars(
                    title=d.title, values=values, category="bin", series="series",
                    measure="value", category_title=d.unit, measure_title=d.title,
                    measure_format=".0%" if share else ",.2f",
                    horizontal=d.key == "activities",
                ),
                f"{d.title}: the held-out log, the model's simulation (mean of the "
                "replications) and the past replayed, side by side",
            )
        )  # fmt: skip
    return {
        "report": report,
        "measures": [
            {
                "label": m.label, "unit": m.unit, "model": f"{m.simulated:,.3f}",
                "sd": f"{m.simulated_sd:,.3f}", "naive": f"{m.naive:,.3f}",
                "beats": m.beats_naive, "note": m.note,
            }
            for m in report.measures
        ],
        "figures": [
            {
                "label": f.label, "real": format_number(f.real),
                "model": format_number(f.simulated), "naive": format_number(f.naive),
                "error": format_share(f.relative_error) if math.isfinite(f.relative_error) else "—",
            }
            for f in report.figures
        ],
        "charts": charts,
    }  # fmt: skip


def _est(e: Estimate | None, fmt: Callable[[float], str]) -> str:
    if e is None or math.isnan(e.mean):
        return "—"
    if math.isnan(e.low):
        return fmt(e.mean)
    return f"{fmt(e.mean)} ({fmt(e.low)} to {fmt(e.high)})"


def _money(v: float) -> str:
    return format_number(round(v, 2))


def comparison_view(cmp: ScenarioComparison) -> dict[str, Any]:
    outcomes = [cmp.as_is, *cmp.scenarios]
    rows: list[tuple[str, str, Callable[[float], str]]] = [
        ("Throughput time, median", "throughput_median", format_duration),
        ("Throughput time, 90th percentile", "throughput_p90", format_duration),
        ("Backlog (open cases on average)", "backlog", lambda v: format_number(round(v, 2))),
        ("Cost per case", "cost_per_case", _money),
        ("SLA compliance", "sla_compliance", format_share),
    ]
    rows += [(f"Utilisation: {p}", f"utilisation:{p}", format_share) for p in cmp.as_is.utilisation]
    rows += [(f"Waiting before {a}", f"waiting:{a}", format_duration) for a in cmp.as_is.waiting]
    table = [
        {"label": label, "cells": [_est(o.metric(key), fmt) for o in outcomes]}
        for label, key, fmt in rows
        if any(o.metric(key) is not None for o in outcomes)
    ]
    names = [o.name for o in outcomes]
    throughput = [
        {"scenario": o.name, "measure": label, "days": round(e.mean / 86_400, 3)}
        for o in outcomes
        for label, e in (("median", o.throughput_median), ("90th percentile", o.throughput_p90))
        if not math.isnan(e.mean)
    ]
    util = [
        {"pool": p, "scenario": o.name, "share": round(e.mean, 4)}
        for p in cmp.as_is.utilisation
        for o in outcomes
        if (e := o.utilisation.get(p)) is not None and not math.isnan(e.mean)
    ]
    cost = [
        {"scenario": o.name, "measure": "cost per case", "value": round(o.cost_per_case.mean, 2)}
        for o in outcomes
        if not math.isnan(o.cost_per_case.mean)
    ]
    charts = [
        _chart(
            grouped_bars(
                title="Throughput time (days)", values=throughput, category="scenario",
                series="measure", measure="days", category_title="scenario",
                measure_title="days",
            ),
            "Median and 90th-percentile throughput time per scenario, in days: "
            + "; ".join(f"{v['scenario']} {v['measure']} {v['days']}" for v in throughput),
        ),
        _chart(
            grouped_bars(
                title="Utilisation per pool", values=util, category="pool", series="scenario",
                measure="share", category_title="pool", measure_title="utilisation",
                measure_format=".0%",
            ),
            "Utilisation of each pool per scenario: "
            + "; ".join(f"{v['pool']} {v['scenario']} {v['share']:.0%}" for v in util),
        ),
        _chart(
            grouped_bars(
                title="Cost per case", values=cost, category="scenario", series="measure",
                measure="value", category_title="scenario", measure_title="cost per case",
            ),
            "Cost per case per scenario: "
            + "; ".join(f"{v['scenario']} {v['value']}" for v in cost),
        ),
    ]  # fmt: skip
    return {"cmp": cmp, "names": names, "table": table, "charts": charts}
