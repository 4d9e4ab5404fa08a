"""What the Simulation pages show of a validation or a comparison: table rows with the numbers
formatted, and the charts (the simulation report's: real, model and past replayed side by side;
scenarios side by side)."""

from __future__ import annotations

import math
from typing import Any

from civicflow.mining import format_number, format_share
from civicflow.planning import ScenarioComparison, ValidationReport
from civicflow.report import Chart, comparison_charts, simulation_comparison_rows, validation_charts


def _chart(chart: Chart) -> dict[str, Any]:
    return {**chart.spec, "description": chart.label}


def validation_view(report: ValidationReport) -> dict[str, Any]:
    result = report.to_dict()
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
        "charts": [_chart(c) for c in validation_charts(result)],
    }  # fmt: skip


def comparison_view(cmp: ScenarioComparison) -> dict[str, Any]:
    result = cmp.to_dict()
    names, rows = simulation_comparison_rows(result)
    return {
        "cmp": cmp,
        "names": names,
        "table": [{"label": r[0], "cells": list(r[1:])} for r in rows],
        "charts": [_chart(c) for c in comparison_charts(result)],
    }
